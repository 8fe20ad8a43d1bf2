"""Checking a resident's answers against a project's form, field by field, on the server.

Pure: the service turns each FormField into a FieldSpec, so this module knows no model, no
database and no Flask. ``validate_answers`` takes what the browser sent (text, or a list of
values for a multiple choice) and returns the answers as JSON-ready values, with every problem
by field name as a translatable Message. Fields whose condition is not met are neither checked
nor kept: the server decides what was shown, whatever the browser did.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from engage.i18n import N_, Message

# Field types, by the values FieldType stores (models.FieldType is a StrEnum of these).
TEXT = "text"
LONG_TEXT = "long_text"
INTEGER = "integer"
DECIMAL = "decimal"
SINGLE_CHOICE = "single_choice"
MULTIPLE_CHOICE = "multiple_choice"
DATE = "date"
TIME = "time"
DATETIME = "datetime"
LOCATION = "location"
PHOTO = "photo"

NUMBER_TYPES = frozenset({INTEGER, DECIMAL})
CHOICE_TYPES = frozenset({SINGLE_CHOICE, MULTIPLE_CHOICE})
# Answered elsewhere: the point (geo.py) and the photos (photos.py).
NOT_IN_ANSWERS = frozenset({LOCATION, PHOTO})

TEXT_MAX_LENGTH = 500
LONG_TEXT_MAX_LENGTH = 10_000
# Beyond this a number is a typing slip, and JavaScript (maps, exports) loses its digits.
NUMBER_LIMIT = 1e15
NUMBER_MAX_CHARACTERS = 40

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
# "1,500": one thousand five hundred, or one and a half? Refused rather than guessed.
_AMBIGUOUS_COMMA = re.compile(r"[+-]?[1-9]\d{0,2},\d{3}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?")


@dataclass(frozen=True)
class FieldSpec:
    """What validation needs to know about one field of a form."""

    name: str
    label: str
    type: str  # one of the type constants above
    hint: str = ""
    required: bool = False
    unit: str = ""
    min_value: float | None = None  # allowed range: outside it the answer is refused
    max_value: float | None = None
    expected_min: float | None = None  # expected range: outside it the answer is flagged
    expected_max: float | None = None
    choices: tuple[tuple[str, str], ...] = ()  # (value, label) in the order shown
    condition_field: str | None = None
    condition_value: str = ""

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(value for value, _label in self.choices)


@dataclass(frozen=True)
class Checked:
    """One field's answer once checked: its value (None when unanswered) or what is wrong."""

    value: Any = None
    error: Message | None = None


@dataclass
class _State:
    values: dict[str, Any] = field(default_factory=dict)
    shown: set[str] = field(default_factory=set)


def format_number(value: float) -> str:
    """12.0 as "12", 12.5 as "12.5": how people write the numbers in messages and forms."""
    if float(value).is_integer() and abs(value) < NUMBER_LIMIT:
        return str(int(value))
    return repr(float(value))


def with_unit(value: float, unit: str) -> str:
    return f"{format_number(value)} {unit}".strip()


def location_spec(specs: Sequence[FieldSpec]) -> FieldSpec | None:
    """The form's location question (a form has at most one)."""
    return next((spec for spec in specs if spec.type == LOCATION), None)


def answer_display(spec: FieldSpec, value: Any) -> str:
    """An answer as people read it: a number with its unit, a choice by its label."""
    if value is None or value == [] or value == "":
        return ""
    labels = dict(spec.choices)
    if spec.type == MULTIPLE_CHOICE and isinstance(value, list):
        return ", ".join(labels.get(str(v), str(v)) for v in value)
    if spec.type == SINGLE_CHOICE:
        return labels.get(str(value), str(value))
    if spec.type in NUMBER_TYPES and isinstance(value, int | float):
        return with_unit(value, spec.unit)
    if spec.type == DATETIME:
        return str(value).replace("T", " ")
    return str(value)


def condition_met(spec: FieldSpec, values: Mapping[str, Any], shown: Iterable[str]) -> bool:
    """Whether ``spec``'s condition holds, given the earlier answers and the fields ``shown``
    so far: a field depending on a hidden field is hidden too."""
    if not spec.condition_field:
        return True
    shown = set(shown)
    if spec.condition_field not in shown:
        return False
    answer = values.get(spec.condition_field)
    wanted = spec.condition_value
    if answer is None:
        return False
    if isinstance(answer, list):
        return wanted in answer
    if isinstance(answer, bool):
        return False
    if isinstance(answer, int | float):
        try:
            return float(wanted.strip().replace(",", ".")) == float(answer)
        except ValueError:
            return False
    return str(answer) == wanted


def shown_fields(specs: Sequence[FieldSpec], values: Mapping[str, Any]) -> set[str]:
    """The names of the fields asked, given the (checked) answers."""
    known = {spec.name for spec in specs}
    shown: set[str] = set()
    for spec in specs:
        if (spec.condition_field and spec.condition_field not in known) or condition_met(
            spec, values, shown
        ):
            shown.add(spec.name)
    return shown


def validate_answers(
    specs: Sequence[FieldSpec], raw: Mapping[str, str | list[str]]
) -> tuple[dict[str, Any], dict[str, Message]]:
    """The answers to the fields asked (never the location or photos), and the problems.

    ``raw`` holds what the browser sent: a text for most fields, a list for a multiple choice.
    Unanswered fields are absent from the values; the fields in error too.
    """
    known = {spec.name for spec in specs}
    state = _State()
    errors: dict[str, Message] = {}
    for spec in specs:
        unconditional = not spec.condition_field or spec.condition_field not in known
        if not unconditional and not condition_met(spec, state.values, state.shown):
            continue
        state.shown.add(spec.name)
        if spec.type in NOT_IN_ANSWERS:
            continue
        checked = check_answer(spec, raw.get(spec.name))
        if checked.error is not None:
            errors[spec.name] = checked.error
        elif checked.value is not None:
            state.values[spec.name] = checked.value
    return state.values, errors


def check_answer(spec: FieldSpec, raw: str | list[str] | None) -> Checked:
    """One field's answer, converted, or why it cannot be taken."""
    if spec.type == MULTIPLE_CHOICE:
        return _check_choices(spec, _as_list(raw))
    text = _as_text(raw)
    if "\x00" in text:
        return Checked(error=Message(N_("Remove the invisible control character (NUL).")))
    text = text.strip()
    if not text:
        return Checked(error=_missing(spec) if spec.required else None)
    if spec.type in (TEXT, LONG_TEXT):
        return _check_text(spec, text)
    if spec.type in NUMBER_TYPES:
        return _check_number(spec, text)
    if spec.type == SINGLE_CHOICE:
        if text not in spec.choice_values:
            return Checked(error=Message(N_("Choose one of the answers given.")))
        return Checked(text)
    if spec.type == DATE:
        return _check_date(text)
    if spec.type == TIME:
        return _check_time(text)
    if spec.type == DATETIME:
        return _check_datetime(text)
    return Checked()  # a type answered elsewhere, or unknown: nothing kept


def out_of_expected_range(specs: Sequence[FieldSpec], values: Mapping[str, Any]) -> list[str]:
    """The numeric fields whose answer lies outside the expected range (for a quality flag)."""
    flagged = []
    for spec in specs:
        value = values.get(spec.name)
        if spec.type not in NUMBER_TYPES or not isinstance(value, int | float):
            continue
        if isinstance(value, bool):
            continue
        below = spec.expected_min is not None and value < spec.expected_min
        above = spec.expected_max is not None and value > spec.expected_max
        if below or above:
            flagged.append(spec.name)
    return flagged


# --- One type at a time -----------------------------------------------------------------------


def _as_text(raw: str | list[str] | None) -> str:
    if raw is None:
        return ""
    if isinstance(raw, list):
        return raw[0] if raw else ""
    return raw


def _as_list(raw: str | list[str] | None) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    return list(raw)


def _missing(spec: FieldSpec) -> Message:
    if spec.type == SINGLE_CHOICE:
        return Message(N_("Choose an answer."))
    if spec.type == MULTIPLE_CHOICE:
        return Message(N_("Choose at least one answer."))
    return Message(N_("Answer this question."))


def _check_text(spec: FieldSpec, text: str) -> Checked:
    limit = LONG_TEXT_MAX_LENGTH if spec.type == LONG_TEXT else TEXT_MAX_LENGTH
    if len(text) > limit:
        return Checked(
            error=Message(
                N_("Keep it to %(max)s characters or fewer (this has %(length)s)."),
                {"max": limit, "length": len(text)},
            )
        )
    return Checked(text)


def _check_number(spec: FieldSpec, text: str) -> Checked:
    compact = text.replace(" ", "")
    if len(compact) > NUMBER_MAX_CHARACTERS:
        return Checked(error=Message(N_("This number is too large.")))
    number: float | int
    if spec.type == INTEGER:
        if not _INTEGER.fullmatch(compact):
            if _DECIMAL.fullmatch(compact.replace(",", ".")):
                return Checked(
                    error=Message(N_("Enter a whole number, without decimals or separators."))
                )
            return Checked(error=Message(N_("Enter a whole number, like 12.")))
        number = int(compact)
    else:
        if _AMBIGUOUS_COMMA.fullmatch(compact):
            return Checked(
                error=Message(
                    N_("Write the number without a thousands separator, like 1500 or 1.5.")
                )
            )
        if compact.count(",") == 1 and "." not in compact:
            compact = compact.replace(",", ".")  # a decimal comma: 12,5
        if not _DECIMAL.fullmatch(compact):
            return Checked(error=Message(N_("Enter a number, like 12.5.")))
        number = float(compact)
        if not math.isfinite(number):
            return Checked(error=Message(N_("This number is too large.")))
    if abs(number) >= NUMBER_LIMIT:
        return Checked(error=Message(N_("This number is too large.")))
    low, high = spec.min_value, spec.max_value
    if (low is not None and number < low) or (high is not None and number > high):
        return Checked(error=_range_message(spec))
    return Checked(number)


def _range_message(spec: FieldSpec) -> Message:
    low, high = spec.min_value, spec.max_value
    if low is not None and high is not None:
        return Message(
            N_("Enter a value from %(min)s to %(max)s."),
            {"min": with_unit(low, spec.unit), "max": with_unit(high, spec.unit)},
        )
    if low is not None:
        return Message(N_("Enter a value of at least %(min)s."), {"min": with_unit(low, spec.unit)})
    assert high is not None
    return Message(N_("Enter a value of at most %(max)s."), {"max": with_unit(high, spec.unit)})


def _check_choices(spec: FieldSpec, raw: list[str]) -> Checked:
    chosen = {value.strip() for value in raw if value.strip()}
    if any("\x00" in value for value in chosen):
        return Checked(error=Message(N_("Choose among the answers given.")))
    if not chosen:
        return Checked(error=_missing(spec) if spec.required else None)
    if not chosen <= set(spec.choice_values):
        return Checked(error=Message(N_("Choose among the answers given.")))
    return Checked([value for value in spec.choice_values if value in chosen])


def _check_date(text: str) -> Checked:
    if _DATE.fullmatch(text):
        try:
            return Checked(date.fromisoformat(text).isoformat())
        except ValueError:
            pass
    return Checked(error=Message(N_("Enter a date as year-month-day, like 2026-11-21.")))


def _parse_time(text: str) -> time | None:
    found = _TIME.fullmatch(text)
    if found is None:
        return None
    hours, minutes, seconds = int(found[1]), int(found[2]), int(found[3] or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        return None
    return time(hours, minutes, seconds)


def _time_text(value: time) -> str:
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def _check_time(text: str) -> Checked:
    parsed = _parse_time(text)
    if parsed is None:
        return Checked(error=Message(N_("Enter a time as hours:minutes, like 14:05.")))
    return Checked(_time_text(parsed))


def _check_datetime(text: str) -> Checked:
    day, separator, clock = text.replace(" ", "T", 1).partition("T")
    parsed = _parse_time(clock) if separator else None
    if parsed is not None and _DATE.fullmatch(day):
        try:
            return Checked(f"{date.fromisoformat(day).isoformat()}T{_time_text(parsed)}")
        except ValueError:
            pass
    return Checked(
        error=Message(N_("Enter a date and time, like 2026-11-21 14:05 (year-month-day)."))
    )


def answer_text(spec: FieldSpec, value: Any) -> str:
    """A stored answer as the form shows it again (for corrections)."""
    if value is None:
        return ""
    if spec.type in NUMBER_TYPES and isinstance(value, int | float):
        return format_number(value)
    return str(value)
