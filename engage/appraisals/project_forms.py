"""Forms officers fill in to set up citizen-science projects and build their forms, and the
labels people see for question types and project states.

The mission list and the earlier questions a condition can name are handed over by the view; no
form reads the database. Forms check shape (numbers are numbers, texts fit); the rules (names,
ranges, choices, conditions) are the service's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired, FileSize
from slugify import slugify
from wtforms import BooleanField, FloatField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than the stubs
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional

from engage.appraisals.models import FieldType, Status
from engage.forms import BaseForm, Finite

# --- Labels people see for stored values; templates use these too -----------------------------

FIELD_TYPE = {
    FieldType.TEXT: _l("Short text"),
    FieldType.LONG_TEXT: _l("Long text"),
    FieldType.INTEGER: _l("Whole number"),
    FieldType.DECIMAL: _l("Decimal number"),
    FieldType.SINGLE_CHOICE: _l("Single choice"),
    FieldType.MULTIPLE_CHOICE: _l("Multiple choice"),
    FieldType.DATE: _l("Date"),
    FieldType.TIME: _l("Time"),
    FieldType.DATETIME: _l("Date and time"),
    FieldType.LOCATION: _l("Location (a point on a map)"),
    FieldType.PHOTO: _l("Photo (JPEG or PNG)"),
}
PROJECT_STATUS = {
    Status.DRAFT: _l("Draft (only staff can see it)"),
    Status.OPEN: _l("Open for observations"),
    Status.CLOSED: _l("Closed"),
}

NUMBER_TYPES = frozenset({FieldType.INTEGER, FieldType.DECIMAL})
CHOICE_TYPES = frozenset({FieldType.SINGLE_CHOICE, FieldType.MULTIPLE_CHOICE})
TEXT_MAX_LENGTH = 5000
PROTOCOL_MAX_LENGTH = 20_000
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
NUMBER_MESSAGE = _l("Enter a number, like 40 or 72.5.")


def _select_messages(message: Any) -> dict[str, Any]:
    return {"invalid_choice_message": message, "invalid_value_message": message}


# --- Projects -----------------------------------------------------------------------------------


class ProjectForm(BaseForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Give the project a title.")), Length(max=200)],
    )
    summary = TextAreaField(
        _l("Summary"),
        description=_l(
            "What residents observe or measure, and why: shown in the list of projects."
        ),
        validators=[Optional(), Length(max=TEXT_MAX_LENGTH)],
    )
    protocol = TextAreaField(
        _l("Protocol"),
        description=_l(
            "How to observe or measure, step by step, so that everyone's observations can be "
            "compared. It is shown above the form."
        ),
        validators=[Optional(), Length(max=PROTOCOL_MAX_LENGTH)],
    )


class NewProjectForm(ProjectForm):
    mission_id = SelectField(
        _l("Mission"),
        description=_l("The mission the observations are evidence for."),
        coerce=lambda value: None if value in (None, "") else int(value),
        validators=[InputRequired(_l("Choose a mission from the list."))],
        **_select_messages(_l("Choose a mission from the list.")),
    )

    def __init__(self, *args: Any, missions: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mission_id.choices = [
            SelectChoice("", _l("Choose a mission")),
            *(SelectChoice(mission_id, title) for mission_id, title in missions),
        ]


# --- Questions ----------------------------------------------------------------------------------


def parse_choice_lines(text: str) -> list[dict[str, str]]:
    """One choice per line: "value | Label", or just "Label", whose value is made from it
    ("By a main road" gives ``by_a_main_road``). Blank lines are skipped."""
    choices: list[dict[str, str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if "|" in line:
            value, label = (part.strip() for part in line.split("|", 1))
        else:
            label = line
            value = slugify(label, separator="_", max_length=100)
        choices.append({"value": value, "label": label})
    return choices


def choice_lines(choices: Sequence[dict[str, str]]) -> str:
    return "\n".join(f"{choice['value']} | {choice['label']}" for choice in choices)


class ChoicesField(TextAreaField):
    """A text area of choices, one per line, whose data is the list of choices. What the officer
    typed is shown again as typed."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = parse_choice_lines(str(valuelist[0])) if valuelist else []  # type: ignore[assignment]  # a list of choices, not the text

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return choice_lines(self.data if isinstance(self.data, list) else [])


def _number_field(label: Any, description: Any = None) -> FloatField:
    return FloatField(
        label,
        description=description,
        validators=[Optional(), Finite()],
        invalid_value_message=NUMBER_MESSAGE,  # type: ignore[call-arg]  # newer than the stubs
        render_kw={"inputmode": "decimal"},
    )


def _optional_name(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


class FieldForm(BaseForm):
    """One question, with every option; those that do not apply to the type are ignored."""

    type = SelectField(
        _l("Type of answer"),
        choices=[SelectChoice(value, label) for value, label in FIELD_TYPE.items()],
        coerce=FieldType,
        default=FieldType.TEXT,
        validators=[InputRequired(_l("Choose the type of answer."))],
        **_select_messages(_l("Choose a type of answer from the list.")),
    )
    label = StringField(
        _l("Question"),
        description=_l("What residents see, such as “PM2.5 reading”."),
        validators=[DataRequired(_l("Give the question a label.")), Length(max=300)],
    )
    name = StringField(
        _l("Name in exports"),
        description=_l(
            "Lower-case letters, digits and underscores, such as pm25: the column of the CSV "
            "export. Leave empty to make one from the question."
        ),
        validators=[Optional(), Length(max=64)],
    )
    hint = TextAreaField(
        _l("Hint"),
        description=_l("Optional help shown with the question."),
        validators=[Optional(), Length(max=2000)],
    )
    required = BooleanField(_l("An answer is required"))
    unit = StringField(
        _l("Unit (numbers only)"),
        description=_l("Shown beside the box, such as µg/m³ or trees."),
        validators=[Optional(), Length(max=40)],
    )
    min_value = _number_field(
        _l("Lowest allowed value (numbers only)"),
        _l("Answers below it are refused."),
    )
    max_value = _number_field(
        _l("Highest allowed value (numbers only)"),
        _l("Answers above it are refused."),
    )
    expected_min = _number_field(
        _l("Lowest expected value (numbers only)"),
        _l("Answers below it are accepted but flagged for review."),
    )
    expected_max = _number_field(
        _l("Highest expected value (numbers only)"),
        _l("Answers above it are accepted but flagged for review."),
    )
    choices = ChoicesField(
        _l("Choices (choice questions only)"),
        description=_l(
            "One per line, as “value | Label” (such as “road | By a main road”) or just the "
            "label, whose value is made from it."
        ),
        render_kw={"rows": 6},
    )
    condition_field = SelectField(
        _l("Show this question only when the answer to"),
        coerce=_optional_name,
        **_select_messages(_l("Choose a question from the list.")),
    )
    condition_value = StringField(
        _l("is (or, for a multiple choice, includes)"),
        description=_l("The choice's value or label, the number or the text."),
        validators=[Optional(), Length(max=200)],
    )

    def __init__(self, *args: Any, earlier: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        """``earlier``: (name, label) of the questions a condition can name."""
        super().__init__(*args, **kwargs)
        self.condition_field.choices = [
            SelectChoice("", _l("Always show this question")),
            *(SelectChoice(name, f"{label} ({name})") for name, label in earlier),
        ]

    def validate(self, extra_validators: Any = None) -> bool:
        """Problems in options the chosen type ignores do not count."""
        super().validate(extra_validators)
        field_type = self.type.data
        ignored: list[str] = []
        if field_type not in NUMBER_TYPES:
            ignored += ["unit", "min_value", "max_value", "expected_min", "expected_max"]
        if field_type not in CHOICE_TYPES:
            ignored.append("choices")
        for name in ignored:
            self[name].errors = []
        return not self.errors


class ImportForm(BaseForm):
    file = FileField(
        _l("XLSForm workbook (.xlsx or .xls)"),
        description=_l("At most 5 MB. The form in it replaces this project's form."),
        validators=[
            FileRequired(_l("Choose the XLSForm file.")),
            FileSize(MAX_UPLOAD_BYTES, message=_l("The file is larger than 5 MB.")),
        ],
    )


class StatusForm(BaseForm):
    status = StringField(validators=[AnyOf(["open", "closed"])])


class MoveForm(BaseForm):
    direction = StringField(validators=[AnyOf(["up", "down"])])
