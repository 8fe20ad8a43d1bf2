"""Terms and rotation of an advisory group's seats (pure: dates in, dates and seats out).

The rotation rule renews ``seats_renewed`` seats every ``rotation_months``, counted from the
group's first term. At each renewal the seats that come up are those whose term ends by then,
topped up with the longest-serving members until the rule's number is reached; members whose
terms run on beyond it keep their seats.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

ENDING_SOON_DAYS = 60


@dataclass(frozen=True)
class Seat:
    membership_id: int
    term_start: date
    term_end: date


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter: 31 Jan + 1 =
    28 or 29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def term_end(start: date, term_months: int) -> date:
    return add_months(start, term_months)


def ending_soon(seats: Sequence[Seat], today: date, days: int = ENDING_SOON_DAYS) -> list[Seat]:
    """Current seats whose term ends within ``days`` of ``today``, soonest first."""
    horizon = today + timedelta(days=days)
    return sorted(
        (seat for seat in seats if today <= seat.term_end <= horizon),
        key=lambda seat: (seat.term_end, seat.membership_id),
    )


def next_renewal(first_term_start: date, rotation_months: int, today: date) -> date:
    """The first renewal on or after ``today``: the first term's start plus a whole number (at
    least one) of rotation periods."""
    if rotation_months < 1:
        raise ValueError("rotation_months must be at least 1")
    months = (today.year - first_term_start.year) * 12 + today.month - first_term_start.month
    periods = max(1, -(-months // rotation_months))  # rounded up; the first is one period in
    renewal = add_months(first_term_start, periods * rotation_months)
    if renewal < today:
        renewal = add_months(first_term_start, (periods + 1) * rotation_months)
    return renewal


def seats_coming_up(seats: Sequence[Seat], seats_renewed: int, renewal: date) -> list[Seat]:
    """The seats renewed at ``renewal``: every term ending by then, then the longest-serving
    (earliest start, then lowest id) until ``seats_renewed`` seats are reached."""
    ending = [seat for seat in seats if seat.term_end <= renewal]
    others = sorted(
        (seat for seat in seats if seat.term_end > renewal),
        key=lambda seat: (seat.term_start, seat.membership_id),
    )
    top_up = others[: max(0, seats_renewed - len(ending))]
    return sorted(ending + top_up, key=lambda seat: (seat.term_end, seat.membership_id))
