"""Disclosure control for evidence packages (pure: standard library only).

Three tools, used when free text and counts leave the server:

**Scrubbing** (:func:`scrub`) replaces contact details in free text with placeholders and counts
them by kind (``email``, ``phone``, ``postcode``). It is deliberately conservative about what it
calls a phone number or a postcode, so that ordinary numbers (years, prices, counts such as
"120 trees", times such as "18:30", dates such as "2026-11-21", decimals, thousands) survive:

* ``[email]``: ``name@domain.tld`` (letters, digits and ``._%+'-`` before the ``@``).
* ``[phone]``:

  - international numbers written with a leading ``+`` or ``00`` and a country code: ``+44``
    takes 9 or 10 national digits (an optional ``(0)`` is allowed), ``+34`` takes 9, and any
    other country code 6 to 13 digits; groups may be separated by one space, hyphen or dot;
  - UK national numbers: a leading 0 and 10 or 11 digits in all (``020 7946 0018``,
    ``07700 900123``, ``(01632) 960123``), groups separated by one space or hyphen;
  - Spanish national numbers: 9 digits starting with 6, 7, 8 or 9 (``612345678``,
    ``612 34 56 78``, ``91 234 56 78``), groups separated by one space or hyphen.

  A number glued to other digits, letters, or to ``.``/``,``/``:``/``/``/``-`` followed by
  digits is never a phone number (so decimals, dates and times are left alone).
  Known limitation: a nine-digit quantity starting with 6 to 9 written with space separators
  ("600 000 000") reads as a Spanish phone number and is scrubbed; over-scrubbing is the safe way
  to be wrong.
* ``[postcode]``:

  - UK full postcodes (outward and inward code, ``NW1 2DB``, ``SW1A 1AA``, ``EC1V 9LB``, also
    without the space or in lower case); an inward code that reads as an ordinal in lower case
    ("M25 2nd") is left alone. A lone outward code ("NW1") is a district, not an address, and
    is kept;
  - Spanish five-digit postcodes (01000 to 52999) only where an address makes them one: after a
    cue (``CP``, ``C.P.``, ``código postal``, ``codi postal``, ``postcode``, ``postal code``,
    optionally with a colon) or after a comma and before a capitalised place name
    ("Mallorca 401, 08013 Barcelona"). The cue and the place name are kept. A bare five-digit
    number is never treated as a postcode.

Addresses spelt out in words ("name at example dot com") are not detected.

**Suppression and rounding** (:func:`suppress_and_round`, :func:`suppress_table`): a count
below the threshold (10) is suppressed (``None``); the rest are rounded to the nearest multiple
of the base (5, halves up). A true zero is shown as 0: a cell with nobody in it singles no one
out, and hiding it would make "nobody" indistinguishable from "a few", which is exactly what
suppression must keep apart. Totals must come from the raw counts (``suppress_table`` does
this), never from adding rounded cells, which would let a reader work a suppressed cell back out.

**Pseudonyms** (:func:`pseudonym`): an HMAC-SHA256 of the kind and the id under a per-package
secret key (:func:`make_package_key`), cut to ``length`` hex characters. The same key gives the
same pseudonym for the same id (stable within a package); another key gives unrelated ones, so
two packages cannot be joined on them; without the key, which never leaves the server, the hash
cannot be reversed by trying every id. Ids are compared as text: ``7`` and ``"7"`` are the same.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from engage.disclosure import ROUND_TO, SMALL_COUNT, suppress_and_round

__all__ = [
    "KINDS",
    "PLACEHOLDERS",
    "SuppressedTable",
    "make_package_key",
    "pseudonym",
    "scrub",
    "suppress_and_round",
    "suppress_table",
]

KINDS = ("email", "phone", "postcode")
PLACEHOLDERS = {kind: f"[{kind}]" for kind in KINDS}

KEY_BYTES = 32
MIN_KEY_BYTES = 16

# Not part of a longer number, word, date, time or decimal on either side.
_START = r"(?<![\w+@])(?<!\d[.,:/-])"
_END = r"(?!\w)(?![.,:/-]\d)"

_EMAIL = re.compile(
    r"(?<![\w.%+'-])[\w.%+'-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}\b"
)


def _country(code: str) -> str:
    """A country-code prefix: +CC or 00CC, optionally in brackets: "+44", "(+44)", "0034"."""
    return rf"(?:\((?:\+|00){code}\)|(?:\+|00){code})"


_PHONES = (
    # +44 / 0044: 9 or 10 national digits, optional (0).
    re.compile(_START + _country("44") + r"[ .-]?(?:\(0\)[ .-]?)?\d(?:[ .-]?\d){8,9}" + _END),
    # +34 / 0034: 9 national digits.
    re.compile(_START + _country("34") + r"[ .-]?\d(?:[ .-]?\d){8}" + _END),
    # Any other country code (1 to 3 digits), 6 to 13 national digits.
    re.compile(
        _START + _country(r"[1-9]\d{0,2}") + r"[ .-]?(?:\(0\)[ .-]?)?\d(?:[ .-]?\d){5,12}" + _END
    ),
    # UK national: 0 then 9 or 10 more digits; the area code may be in brackets (the digits
    # are counted in scrub, since brackets of 3 to 5 digits leave the rest between 5 and 8).
    re.compile(_START + r"(?:\(0\d{2,4}\)[ ]?\d(?:[ -]?\d){4,7}|0\d(?:[ -]?\d){8,9})" + _END),
    # Spanish national: 9 digits starting 6 to 9.
    re.compile(_START + r"[6-9]\d(?:[ -]?\d){7}" + _END),
)

# How many digits a UK national number has in all (with the leading 0).
_UK_DIGITS = (10, 11)

_UK_POSTCODE = re.compile(
    r"\b(?P<outward>[A-Z]{1,2}[0-9][A-Z0-9]?) ?(?P<inward>[0-9][ABD-HJLNP-UW-Z]{2})\b",
    re.IGNORECASE,
)
_ORDINALS = {"st", "nd", "rd", "th"}

_ES_POSTCODE_CUE = re.compile(
    r"(?P<cue>\b(?:C\.\s?P\.|CP|c[óo]digo postal|codi postal|postal code|postcode)\s*:?\s*)"
    r"(?P<code>(?:0[1-9]|[1-4]\d|5[0-2])\d{3})(?!\d)(?![.,:/-]\d)",
    re.IGNORECASE,
)
_ES_POSTCODE_ADDRESS = re.compile(
    r"(?P<lead>,\s*)(?P<code>(?:0[1-9]|[1-4]\d|5[0-2])\d{3})(?P<place>\s+[A-ZÀ-ÖØ-Þ][\w'-]+)"
)


def scrub(text: str) -> tuple[str, dict[str, int]]:
    """Replace e-mail addresses, phone numbers and postcodes with placeholders.

    Returns the clean text and how many of each kind were replaced (every kind is a key).
    """
    counts = dict.fromkeys(KINDS, 0)

    def phone(match: re.Match[str]) -> str:
        found = match.group(0)
        digits = sum(1 for c in found if c.isdigit())
        uk_brackets = found.startswith("(0") and not found.startswith("(00")
        if uk_brackets and not _UK_DIGITS[0] <= digits <= _UK_DIGITS[1]:
            return found
        counts["phone"] += 1
        return PLACEHOLDERS["phone"]

    def email(match: re.Match[str]) -> str:
        counts["email"] += 1
        return PLACEHOLDERS["email"]

    text = _EMAIL.sub(email, text)
    for pattern in _PHONES:
        text = pattern.sub(phone, text)

    def uk_postcode(match: re.Match[str]) -> str:
        inward = match.group("inward")
        if inward[1:] in _ORDINALS:  # lower-case ordinal suffix such as "2nd": not a postcode
            return match.group(0)
        counts["postcode"] += 1
        return PLACEHOLDERS["postcode"]

    text = _UK_POSTCODE.sub(uk_postcode, text)

    def es_cue(match: re.Match[str]) -> str:
        counts["postcode"] += 1
        return match.group("cue") + PLACEHOLDERS["postcode"]

    text = _ES_POSTCODE_CUE.sub(es_cue, text)

    def es_address(match: re.Match[str]) -> str:
        counts["postcode"] += 1
        return match.group("lead") + PLACEHOLDERS["postcode"] + match.group("place")

    text = _ES_POSTCODE_ADDRESS.sub(es_address, text)
    return text, counts


K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class SuppressedTable(Generic[K]):
    """A table of counts fit to publish, with its total and how many cells were hidden."""

    cells: dict[K, int | None]
    total: int | None  # from the raw counts, then suppressed and rounded itself
    suppressed: int


def suppress_table(
    counts: Mapping[K, int], threshold: int = SMALL_COUNT, base: int = ROUND_TO
) -> SuppressedTable[K]:
    """Apply :func:`suppress_and_round` to every cell (keeping order) and to the raw total."""
    cells = {key: suppress_and_round(value, threshold, base) for key, value in counts.items()}
    total = suppress_and_round(sum(counts.values()), threshold, base)
    hidden = sum(1 for value in cells.values() if value is None)
    return SuppressedTable(cells=cells, total=total, suppressed=hidden)


def make_package_key() -> bytes:
    """A fresh random key for one package's pseudonyms (32 bytes from :mod:`secrets`)."""
    return secrets.token_bytes(KEY_BYTES)


def pseudonym(key: bytes, kind: str, raw_id: str | int, length: int = 12) -> str:
    """Stable pseudonymous id: the first ``length`` hex digits of HMAC-SHA256(key, kind, id).

    ``kind`` (such as "participant" or "submission") is part of the message, so the same raw id
    of two kinds gives two unrelated pseudonyms.
    """
    if not isinstance(key, bytes) or len(key) < MIN_KEY_BYTES:
        raise ValueError(f"key must be at least {MIN_KEY_BYTES} bytes")
    if not kind or "\x1f" in kind:
        raise ValueError("kind must be a non-empty name")
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
        raise TypeError("raw_id must be a str or an int")
    if not 8 <= length <= 64:
        raise ValueError("length must be between 8 and 64")
    message = f"{kind}\x1f{raw_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:length]
