"""Marking messages for translation where Flask is not available (services, pure modules)."""


def N_(message: str) -> str:
    """Mark a message for the catalogue without translating it; it is translated where shown."""
    return message
