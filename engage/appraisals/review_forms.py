"""Forms for reviewing submissions and exporting them, and the words people see for states and
flags. The areas to choose from are handed over by the view; no form reads the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    Field,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than the stubs
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional, ValidationError

from engage.appraisals.models import Area, FlagKind, SubmissionState
from engage.forms import BaseForm
from engage.security import MAX_ID, row_id

STATE_LABELS = {
    SubmissionState.RECEIVED: _l("Received"),
    SubmissionState.HAS_ISSUES: _l("Has issues"),
    SubmissionState.APPROVED: _l("Approved"),
    SubmissionState.REJECTED: _l("Rejected"),
}
# What a reviewer may choose, with what it means for the submitter.
DECISIONS = {
    SubmissionState.APPROVED: _l("It becomes public: on the map, in the list and in exports."),
    SubmissionState.HAS_ISSUES: _l(
        "The submitter is asked to correct it. Say what to change in the comment."
    ),
    SubmissionState.REJECTED: _l("It is not used. Say why in the comment."),
}
FLAG_LABELS = {
    FlagKind.OUT_OF_RANGE: _l("Out of the expected range"),
    FlagKind.LIKELY_DUPLICATE: _l("Likely duplicate"),
}
ALL = "all"
COMMENT_MAX_LENGTH = 5000
MAX_IDS = 1000


def _state_or_all(value: Any) -> SubmissionState | str | None:
    """The state chosen, or None for every state; anything else stays as typed and fails the
    choice with its message."""
    if value is None or value in ("", ALL):
        return None
    try:
        return SubmissionState(value)
    except ValueError:
        return str(value)


def _area_or_any(value: Any) -> int | str | None:
    """The area's id, or None for any area; anything else stays as typed and fails the choice."""
    if value is None or value == "":
        return None
    found = row_id(value)
    return str(value) if found is None else found


class FilterFields(BaseForm):
    """Which submissions: a state (or all), dates sent (inclusive), an area and flagged only."""

    state = SelectField(
        _l("State"),
        coerce=_state_or_all,
        default=SubmissionState.RECEIVED.value,
        invalid_choice_message=_l("Choose a state from the list."),  # type: ignore[call-arg]  # newer than the stubs
    )
    submitted_from = DateField(_l("Sent on or after"), validators=[Optional()])
    submitted_to = DateField(_l("Sent on or before"), validators=[Optional()])
    area = SelectField(
        _l("Area"),
        coerce=_area_or_any,
        default="",
        invalid_choice_message=_l("Choose an area from the list."),  # type: ignore[call-arg]  # newer than the stubs
    )
    flagged = BooleanField(_l("Only submissions with a quality flag"))

    def __init__(self, *args: Any, areas: Sequence[Area] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.state.choices = [SelectChoice(ALL, _l("All states"))] + [
            SelectChoice(state.value, label) for state, label in STATE_LABELS.items()
        ]
        self.area.choices = [SelectChoice("", _l("All areas"))] + [
            SelectChoice(str(area.id), area.name) for area in areas
        ]

    def validate_submitted_to(self, field: Field) -> None:
        start: date | None = self.submitted_from.data
        if field.data is not None and start is not None and field.data < start:
            raise ValidationError(_l("Give a date on or after the first date."))


class FilterForm(FilterFields):
    """The review queue's filter, read from the query string."""

    class Meta:
        csrf = False  # a GET filter changes nothing


class ExportForm(FilterFields):
    state = SelectField(
        _l("State"),
        coerce=_state_or_all,
        default=SubmissionState.APPROVED.value,
        invalid_choice_message=_l("Choose a state from the list."),  # type: ignore[call-arg]  # newer than the stubs
    )
    format = RadioField(
        _l("Format"),
        choices=[
            SelectChoice(
                "csv", _l("CSV: a spreadsheet, one row per submission and one column per question")
            ),
            SelectChoice("geojson", _l("GeoJSON: the points with their answers, for a map or GIS")),
            SelectChoice(
                "photos", _l("Photos: a zip file of the photos, with a list of which is which")
            ),
        ],
        invalid_choice_message=_l("Choose one of the formats."),  # type: ignore[call-arg]  # newer than the stubs
        default="csv",
        validators=[InputRequired(_l("Choose a format."))],
    )


class ReviewForm(BaseForm):
    to_state = RadioField(
        _l("Decision"),
        choices=[SelectChoice(state.value, STATE_LABELS[state]) for state in DECISIONS],
        invalid_choice_message=_l("Choose one of these decisions."),  # type: ignore[call-arg]  # newer than the stubs
        validators=[InputRequired(_l("Choose a decision."))],
    )
    comment = TextAreaField(
        _l("Comment"),
        description=_l(
            "The submitter reads it. Needed when the submission has issues or is rejected."
        ),
        validators=[Length(max=COMMENT_MAX_LENGTH)],
    )


class IdsField(Field):
    """The checked submissions: every ``ids`` value that is a whole number (others are ignored)."""

    data: list[int]

    def process_formdata(self, valuelist: list[Any]) -> None:
        found = (row_id(value) for value in valuelist[: MAX_IDS + 1])
        self.data = [number for number in found if number is not None]

    def _value(self) -> str:
        return ""


class BulkReviewForm(BaseForm):
    """The decision for many submissions at once. The filter's fields come with it (hidden), so
    "all that match" means what the reviewer was looking at."""

    to_state = SelectField(
        _l("New state"),
        choices=[SelectChoice("", _l("Choose…"))]
        + [SelectChoice(state.value, STATE_LABELS[state]) for state in DECISIONS],
        invalid_choice_message=_l("Choose one of these states."),  # type: ignore[call-arg]  # newer than the stubs
        validators=[InputRequired(_l("Choose the new state."))],
    )
    comment = TextAreaField(
        _l("Comment for the submitters"),
        description=_l("Needed for has issues and rejected. Every submitter concerned reads it."),
        validators=[Length(max=COMMENT_MAX_LENGTH)],
    )
    scope = StringField(default="checked", validators=[AnyOf(["checked", "all"])])
    ids = IdsField(default=list)
    matching = IntegerField(validators=[Optional(), NumberRange(min=0, max=MAX_ID)])
