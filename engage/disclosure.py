"""The one disclosure rule for counts of people that leave the server, whichever domain
publishes them: under ``SMALL_COUNT`` they are suppressed, the rest rounded to ``ROUND_TO``
(pure: standard library only)."""

from __future__ import annotations

SMALL_COUNT = 10  # counts of people from 1 to this - 1 are suppressed
ROUND_TO = 5  # the others are rounded to the nearest multiple of this


def suppress_and_round(
    count: int, threshold: int = SMALL_COUNT, base: int = ROUND_TO
) -> int | None:
    """A count fit to publish: 0 stays 0, 1 to threshold - 1 -> None, else rounded to ``base``.

    Rounding is to the nearest multiple of ``base``, halves up (12 -> 10, 13 -> 15). A count that
    is published is never shown as 0, which would read as a true zero.
    """
    for name, value in (("count", count), ("threshold", threshold), ("base", base)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int")
    if count < 0:
        raise ValueError("count must not be negative")
    if threshold < 1 or base < 1:
        raise ValueError("threshold and base must be at least 1")
    if count == 0:
        return 0
    if count < threshold:
        return None
    return max(base, base * ((count + base // 2) // base))
