"""The password policy, as a pure function: at least 10 characters and not a common password."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from engage.i18n import N_

MIN_LENGTH = 10
MAX_LENGTH = 200
_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")

MESSAGES = {
    "too_short": N_("Use at least 10 characters."),
    "too_long": N_("Use at most 200 characters."),
    "too_common": N_("This password is too common. Choose one that is harder to guess."),
    "personal": N_("Do not use your e-mail address or name as your password."),
}


@cache
def common_passwords() -> frozenset[str]:
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def password_problem(password: str, *, email: str = "", display_name: str = "") -> str | None:
    """The first reason this password is refused (a key of MESSAGES), or None if it is fine."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) < 4:
        return "too_common"
    personal = {email.lower(), email.lower().split("@")[0], display_name.lower()} - {""}
    if lowered in personal:
        return "personal"
    return None
