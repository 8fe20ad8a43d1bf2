"""Marking messages for translation where Flask is not available (services, pure modules)."""

from __future__ import annotations

from dataclasses import dataclass, field


def N_(message: str) -> str:
    """Mark a message for the catalogue without translating it; it is translated where shown."""
    return message


@dataclass(frozen=True)
class Message:
    """A sentence for people: an English template marked for translation and its values.
    Pages show ``gettext(template, **params)``; ``str()`` gives the English text."""

    template: str
    params: dict[str, str | int] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.template % self.params if self.params else self.template
