"""The rotation maths of advisory groups: term ends, terms ending soon, the next renewal and the
seats it brings up. Pure: dates in, dates and seats out."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from engage.advisory.terms import (
    ENDING_SOON_DAYS,
    Seat,
    add_months,
    ending_soon,
    next_renewal,
    seats_coming_up,
    term_end,
)

# --- Adding months ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 3, 14), 0, date(2025, 3, 14)),
        (date(2025, 3, 14), 1, date(2025, 4, 14)),
        (date(2025, 11, 30), 2, date(2026, 1, 30)),  # over the turn of the year
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),  # the shorter month's last day
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # in a leap year
        (date(2025, 8, 31), 1, date(2025, 9, 30)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),  # a leap day a year on
        (date(2024, 2, 29), 48, date(2028, 2, 29)),  # and four years on
        (date(2025, 1, 15), 36, date(2028, 1, 15)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),  # backwards too
        (date(2025, 1, 15), -1, date(2024, 12, 15)),  # backwards over the turn of the year
        (date(2025, 1, 15), -13, date(2023, 12, 15)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_months_last(
    day: date, months: int, expected: date
) -> None:
    assert add_months(day, months) == expected


def test_a_term_ends_its_length_in_months_after_it_starts() -> None:
    assert term_end(date(2025, 1, 31), 24) == date(2027, 1, 31)
    assert term_end(date(2025, 10, 31), 4) == date(2026, 2, 28)


# --- Terms ending soon --------------------------------------------------------------------------

TODAY = date(2026, 5, 1)


def seat(membership_id: int, start: date, end: date) -> Seat:
    return Seat(membership_id, start, end)


def test_terms_ending_within_sixty_days_are_flagged_soonest_first() -> None:
    start = date(2024, 5, 1)
    seats = [
        seat(1, start, TODAY + timedelta(days=ENDING_SOON_DAYS)),  # the last day flagged
        seat(2, start, TODAY + timedelta(days=ENDING_SOON_DAYS + 1)),  # one day too late
        seat(3, start, TODAY + timedelta(days=10)),
        seat(4, start, TODAY),  # ends today
        seat(5, start, TODAY - timedelta(days=1)),  # already over
        seat(6, start, TODAY + timedelta(days=10)),  # the same day as seat 3
    ]
    assert [s.membership_id for s in ending_soon(seats, TODAY)] == [4, 3, 6, 1]


def test_the_warning_period_can_be_chosen() -> None:
    seats = [seat(1, date(2024, 5, 1), TODAY + timedelta(days=20))]
    assert ending_soon(seats, TODAY, days=19) == []
    assert ending_soon(seats, TODAY, days=20) == seats


# --- The next renewal ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2025, 3, 1), date(2025, 9, 1)),  # during the first period
        (date(2025, 9, 1), date(2025, 9, 1)),  # on a renewal day: that day
        (date(2025, 9, 2), date(2026, 9, 1)),  # the day after: a year on
        (date(2025, 8, 31), date(2025, 9, 1)),
        (date(2031, 1, 20), date(2031, 9, 1)),  # years later
    ],
)
def test_the_next_renewal_is_the_first_on_or_after_today(today: date, expected: date) -> None:
    assert next_renewal(date(2024, 9, 1), 12, today) == expected


def test_renewals_from_a_months_last_day_stay_on_each_months_last_day() -> None:
    first = date(2025, 1, 31)
    assert next_renewal(first, 1, date(2025, 2, 10)) == date(2025, 2, 28)
    assert next_renewal(first, 1, date(2025, 2, 28)) == date(2025, 2, 28)
    assert next_renewal(first, 1, date(2025, 3, 1)) == date(2025, 3, 31)
    assert next_renewal(first, 3, date(2025, 3, 15)) == date(2025, 4, 30)


def test_renewals_every_six_months() -> None:
    first = date(2024, 4, 10)
    assert next_renewal(first, 6, date(2024, 10, 11)) == date(2025, 4, 10)
    assert next_renewal(first, 6, date(2025, 6, 30)) == date(2025, 10, 10)


def test_before_the_first_terms_start_no_renewal_is_before_it() -> None:
    assert next_renewal(date(2026, 9, 1), 12, date(2026, 1, 1)) >= date(2026, 9, 1)


def test_the_first_renewal_is_one_rotation_period_after_the_group_starts() -> None:
    first = date(2026, 9, 1)
    assert next_renewal(first, 12, first) == date(2027, 9, 1)
    assert next_renewal(first, 12, date(2026, 1, 1)) == date(2027, 9, 1)


def test_a_rotation_period_must_be_at_least_a_month() -> None:
    with pytest.raises(ValueError, match="rotation_months"):
        next_renewal(date(2024, 9, 1), 0, TODAY)


# --- The seats that come up ---------------------------------------------------------------------


def test_a_third_renewed_each_year_brings_up_the_two_longest_serving_of_six() -> None:
    # Six seats, two renewed every year. The founding members all started together; two
    # joined later, replacing founders, so their terms run on longest.
    founded = date(2024, 9, 1)
    seats = [
        seat(1, founded, date(2027, 9, 1)),
        seat(2, founded, date(2027, 9, 1)),
        seat(3, founded, date(2027, 9, 1)),
        seat(4, founded, date(2027, 9, 1)),
        seat(7, date(2025, 9, 1), date(2028, 9, 1)),
        seat(8, date(2025, 9, 1), date(2028, 9, 1)),
    ]
    renewal = next_renewal(founded, 12, date(2026, 5, 1))
    assert renewal == date(2026, 9, 1)
    # No term ends by then: the longest-serving, ties broken by the lower id.
    assert [s.membership_id for s in seats_coming_up(seats, 2, renewal)] == [1, 2]


def test_terms_ending_by_the_renewal_come_up_first_and_count_towards_the_rule() -> None:
    seats = [
        seat(1, date(2023, 9, 1), date(2027, 9, 1)),  # longest-serving, term runs on
        seat(2, date(2024, 9, 1), date(2026, 8, 1)),  # ends before the renewal
        seat(3, date(2025, 9, 1), date(2026, 9, 1)),  # ends on the renewal day
        seat(4, date(2024, 3, 1), date(2028, 3, 1)),
    ]
    renewal = date(2026, 9, 1)
    assert [s.membership_id for s in seats_coming_up(seats, 2, renewal)] == [2, 3]
    # One more seat to renew than the terms ending: topped up with the longest-serving.
    assert [s.membership_id for s in seats_coming_up(seats, 3, renewal)] == [2, 3, 1]
    assert [s.membership_id for s in seats_coming_up(seats, 4, renewal)] == [2, 3, 1, 4]


def test_every_term_ending_comes_up_even_beyond_the_rules_number() -> None:
    seats = [
        seat(1, date(2024, 9, 1), date(2026, 6, 1)),
        seat(2, date(2024, 9, 1), date(2026, 7, 1)),
        seat(3, date(2024, 9, 1), date(2026, 8, 1)),
        seat(4, date(2022, 9, 1), date(2027, 9, 1)),
    ]
    chosen = seats_coming_up(seats, 2, date(2026, 9, 1))
    assert [s.membership_id for s in chosen] == [1, 2, 3]


def test_a_rule_renewing_no_seat_brings_up_only_the_terms_that_end() -> None:
    seats = [
        seat(1, date(2020, 1, 1), date(2030, 1, 1)),
        seat(2, date(2025, 1, 1), date(2026, 6, 1)),
    ]
    assert [s.membership_id for s in seats_coming_up(seats, 0, date(2026, 9, 1))] == [2]
    assert seats_coming_up([], 2, date(2026, 9, 1)) == []
