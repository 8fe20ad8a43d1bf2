"""Checking answers against a form's fields: types, required answers, allowed and expected
ranges, choices, dates and times, text lengths and questions asked only for some answers."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from engage.appraisals.answers import (
    FieldSpec,
    format_number,
    out_of_expected_range,
    shown_fields,
    validate_answers,
)

PM25 = FieldSpec(
    name="pm25",
    label="PM2.5 reading",
    type="decimal",
    required=True,
    unit="µg/m³",
    min_value=0,
    max_value=1000,
    expected_min=0,
    expected_max=150,
)
COUNT = FieldSpec(name="trees", label="Trees", type="integer", min_value=0)
SITE = FieldSpec(
    name="site",
    label="Where were you?",
    type="single_choice",
    choices=(("school", "Outside a school"), ("road", "By a main road"), ("park", "In a park")),
)
TRAFFIC = FieldSpec(
    name="traffic",
    label="How busy was the road?",
    type="integer",
    required=True,
    condition_field="site",
    condition_value="road",
)


def messages(errors: Mapping[str, object]) -> dict[str, str]:
    return {name: str(message) for name, message in errors.items()}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("12", 12.0), (" 12.5 ", 12.5), ("12,5", 12.5), ("0", 0.0), ("1000", 1000.0), (".5", 0.5)],
)
def test_a_decimal_is_read_with_a_point_or_a_comma(typed: str, stored: float) -> None:
    values, errors = validate_answers([PM25], {"pm25": typed})

    assert errors == {}
    assert values == {"pm25": stored}


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("twelve", "Enter a number, like 12.5."),
        ("nan", "Enter a number, like 12.5."),
        ("inf", "Enter a number, like 12.5."),
        ("-Infinity", "Enter a number, like 12.5."),
        ("1e3", "Enter a number, like 12.5."),
        ("12.5.1", "Enter a number, like 12.5."),
        ("9" * 400, "This number is too large."),
        ("1,500", "Write the number without a thousands separator, like 1500 or 1.5."),
        ("1001", "Enter a value from 0 µg/m³ to 1000 µg/m³."),
        ("-0.5", "Enter a value from 0 µg/m³ to 1000 µg/m³."),
        ("", "Answer this question."),
        ("   ", "Answer this question."),
    ],
)
def test_a_bad_decimal_is_refused_with_a_message_naming_the_unit(typed: str, message: str) -> None:
    values, errors = validate_answers([PM25], {"pm25": typed})

    assert values == {}
    assert messages(errors) == {"pm25": message}


@pytest.mark.parametrize(
    ("typed", "stored"), [("12", 12), (" 12 ", 12), ("+3", 3), ("1 000", 1000), ("0", 0)]
)
def test_an_integer_is_a_whole_number(typed: str, stored: int) -> None:
    values, errors = validate_answers([COUNT], {"trees": typed})

    assert errors == {}
    assert values == {"trees": stored}
    assert isinstance(values["trees"], int)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12.5", "Enter a whole number, without decimals or separators."),
        ("12,0", "Enter a whole number, without decimals or separators."),
        ("a dozen", "Enter a whole number, like 12."),
        ("-1", "Enter a value of at least 0."),
        ("1" * 16, "This number is too large."),
    ],
)
def test_an_integer_refuses_decimals_and_words(typed: str, message: str) -> None:
    _values, errors = validate_answers([COUNT], {"trees": typed})

    assert messages(errors) == {"trees": message}


def test_an_unanswered_optional_question_is_left_out() -> None:
    values, errors = validate_answers([COUNT, SITE], {"trees": "", "site": ""})

    assert (values, errors) == ({}, {})


def test_only_an_offered_choice_is_taken() -> None:
    assert validate_answers([SITE], {"site": "park"}) == ({"site": "park"}, {})
    values, errors = validate_answers([SITE], {"site": "moon"})
    assert values == {}
    assert messages(errors) == {"site": "Choose one of the answers given."}


def test_a_multiple_choice_keeps_the_offered_values_in_the_form_order() -> None:
    trees = FieldSpec(
        name="species",
        label="Species",
        type="multiple_choice",
        required=True,
        choices=(("oak", "Oak"), ("ash", "Ash"), ("lime", "Lime")),
    )

    assert validate_answers([trees], {"species": ["lime", "oak", "oak"]}) == (
        {"species": ["oak", "lime"]},
        {},
    )
    assert messages(validate_answers([trees], {"species": []})[1]) == {
        "species": "Choose at least one answer."
    }
    assert messages(validate_answers([trees], {"species": ["oak", "elm"]})[1]) == {
        "species": "Choose among the answers given."
    }
    # One value sent as plain text is a list of one.
    assert validate_answers([trees], {"species": "ash"})[0] == {"species": ["ash"]}


@pytest.mark.parametrize(
    ("kind", "typed", "stored"),
    [
        ("date", "2026-11-21", "2026-11-21"),
        ("time", "14:05", "14:05"),
        ("time", "09:30:15", "09:30:15"),
        ("time", "09:30:00", "09:30"),
        ("datetime", "2026-11-21T14:05", "2026-11-21T14:05"),
        ("datetime", "2026-11-21 14:05", "2026-11-21T14:05"),
    ],
)
def test_dates_and_times_as_browsers_send_them(kind: str, typed: str, stored: str) -> None:
    spec = FieldSpec(name="when", label="When", type=kind)

    assert validate_answers([spec], {"when": typed}) == ({"when": stored}, {})


@pytest.mark.parametrize(
    ("kind", "typed"),
    [
        ("date", "21/11/2026"),
        ("date", "2026-02-30"),
        ("date", "2026-1-5"),
        ("time", "25:00"),
        ("time", "2pm"),
        ("datetime", "2026-11-21"),
        ("datetime", "2026-13-01T10:00"),
    ],
)
def test_impossible_dates_and_times_are_refused(kind: str, typed: str) -> None:
    spec = FieldSpec(name="when", label="When", type=kind)

    values, errors = validate_answers([spec], {"when": typed})

    assert values == {}
    assert "when" in errors


def test_texts_have_a_length_limit_and_no_control_characters() -> None:
    short = FieldSpec(name="street", label="Street", type="text")
    long = FieldSpec(name="note", label="Note", type="long_text")

    assert validate_answers([short], {"street": "  Queen's Crescent "}) == (
        {"street": "Queen's Crescent"},
        {},
    )
    assert validate_answers([long], {"note": "x" * 10_000})[1] == {}
    assert messages(validate_answers([short], {"street": "x" * 501})[1]) == {
        "street": "Keep it to 500 characters or fewer (this has 501)."
    }
    assert messages(validate_answers([long], {"note": "x" * 10_001})[1]) == {
        "note": "Keep it to 10000 characters or fewer (this has 10001)."
    }
    assert "street" in validate_answers([short], {"street": "a\x00b"})[1]


def test_every_problem_is_reported_at_once() -> None:
    _values, errors = validate_answers([PM25, COUNT, SITE], {"trees": "x", "site": "moon"})

    assert set(errors) == {"pm25", "trees", "site"}


def test_a_question_whose_condition_is_not_met_is_neither_checked_nor_kept() -> None:
    # Asked only for a main road: its (bad) answer is dropped for a park.
    values, errors = validate_answers([SITE, TRAFFIC], {"site": "park", "traffic": "lots"})
    assert (values, errors) == ({"site": "park"}, {})

    # And required when it is asked.
    values, errors = validate_answers([SITE, TRAFFIC], {"site": "road", "traffic": ""})
    assert messages(errors) == {"traffic": "Answer this question."}

    values, errors = validate_answers([SITE, TRAFFIC], {"site": "road", "traffic": "40"})
    assert (values, errors) == ({"site": "road", "traffic": 40}, {})


def test_conditions_chain_and_follow_multiple_choices() -> None:
    kinds = FieldSpec(
        name="kinds",
        label="What did you see?",
        type="multiple_choice",
        choices=(("litter", "Litter"), ("graffiti", "Graffiti")),
    )
    bags = FieldSpec(
        name="bags", label="Bags", type="integer", condition_field="kinds", condition_value="litter"
    )
    heavy = FieldSpec(
        name="heavy", label="Heavy?", type="text", condition_field="bags", condition_value="3"
    )
    specs = [kinds, bags, heavy]

    values, _ = validate_answers(specs, {"kinds": ["litter"], "bags": "3", "heavy": "yes"})
    assert values == {"kinds": ["litter"], "bags": 3, "heavy": "yes"}
    assert shown_fields(specs, values) == {"kinds", "bags", "heavy"}

    # Without litter, "bags" is not asked, so neither is "heavy" (which depends on it).
    values, _ = validate_answers(specs, {"kinds": ["graffiti"], "bags": "3", "heavy": "yes"})
    assert values == {"kinds": ["graffiti"]}
    assert shown_fields(specs, values) == {"kinds"}


def test_a_condition_on_a_field_the_form_lacks_is_ignored() -> None:
    orphan = FieldSpec(
        name="x", label="X", type="text", condition_field="gone", condition_value="1"
    )

    assert validate_answers([orphan], {"x": "kept"}) == ({"x": "kept"}, {})
    assert shown_fields([orphan], {}) == {"x"}


def test_location_and_photo_answers_are_not_part_of_the_answers() -> None:
    where = FieldSpec(name="where", label="Where", type="location", required=True)
    photo = FieldSpec(name="photo", label="Photo", type="photo", required=True)

    assert validate_answers([where, photo], {"where": "51,0", "photo": "x"}) == ({}, {})
    assert shown_fields([where, photo], {}) == {"where", "photo"}


def test_answers_outside_the_expected_range_are_named() -> None:
    specs = [PM25, COUNT, SITE]

    assert out_of_expected_range(specs, {"pm25": 151.0, "trees": 10**6, "site": "road"}) == ["pm25"]
    assert out_of_expected_range(specs, {"pm25": 150.0}) == []
    assert out_of_expected_range(specs, {}) == []


def test_numbers_are_written_the_way_people_write_them() -> None:
    assert format_number(1000.0) == "1000"
    assert format_number(12.5) == "12.5"
    assert format_number(-3) == "-3"
