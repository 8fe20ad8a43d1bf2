"""Forms of the outcome records and the learning log. The mission's outcomes and indicators are
handed over by the view as choices; no form reads the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    Field,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than the stubs
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from engage.evaluation.models import LearningLoop
from engage.evaluation.outcomes import (
    FOR_WHOM_MAX_LENGTH,
    NUMBERS_MAX_LENGTH,
    PLACE_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    LearningFields,
    OutcomeFields,
)
from engage.forms import BaseForm
from engage.security import row_id

ALL = ""
UNLINKED = "none"
SUBSTANTIATED = {"yes": True, "no": False}

LOOP_LABELS = {
    LearningLoop.SINGLE: _l("Single loop"),
    LearningLoop.DOUBLE: _l("Double loop"),
    LearningLoop.TRIPLE: _l("Triple loop"),
}
LOOP_QUESTIONS = {
    LearningLoop.SINGLE: _l("Are we doing things right?"),
    LearningLoop.DOUBLE: _l("Are we doing the right things?"),
    LearningLoop.TRIPLE: _l("How do we decide what is right?"),
}
LOOP_HINTS = {
    LearningLoop.SINGLE.value: _l(
        "Are we doing things right? A correction within the current approach."
    ),
    LearningLoop.DOUBLE.value: _l(
        "Are we doing the right things? The approach or its assumptions changed."
    ),
    LearningLoop.TRIPLE.value: _l(
        "How do we decide what is right? Governance, values, who decides."
    ),
}


def _id_or_none(value: Any) -> int | str | None:
    """An outcome's id, None for "not linked"; anything else stays as sent and fails the
    choice."""
    if value is None or value == "":
        return None
    return row_id(value) or str(value)


class NotInFuture:
    def __call__(self, form: Any, field: Field) -> None:
        if isinstance(field.data, date) and field.data > date.today():
            raise ValidationError(_l("Give a date that is not in the future."))


def _long_text(label: Any, *, required: Any = None, description: Any = None) -> TextAreaField:
    validators: list[Any] = [DataRequired(required)] if required else [Optional()]
    validators.append(Length(max=TEXT_MAX_LENGTH))
    return TextAreaField(label, description=description, validators=validators)


class OutcomeForm(BaseForm):
    """An outcome-harvesting record."""

    what_changed = _long_text(
        _l("What changed"),
        required=_l("Say what changed."),
        description=_l(
            "The change in behaviour, relationships, actions, policies or practice you observed."
        ),
    )
    for_whom = StringField(
        _l("For whom"),
        description=_l("The people, group or organisation that changed."),
        validators=[
            DataRequired(_l("Say for whom it changed: people, a group or an organisation.")),
            Length(max=FOR_WHOM_MAX_LENGTH),
        ],
    )
    happened_on = DateField(
        _l("When"),
        description=_l("The day it happened, if known."),
        validators=[Optional(), NotInFuture()],
    )
    place = StringField(
        _l("Where"),
        description=_l("A street, an area or a place, if it matters."),
        validators=[Optional(), Length(max=PLACE_MAX_LENGTH)],
    )
    significance = _long_text(
        _l("Significance"), description=_l("Why the change matters for the mission.")
    )
    contribution = _long_text(
        _l("How engagement contributed"),
        required=_l("Say how the engagement contributed to the change."),
        description=_l(
            "What the co-design, juries, advisory groups or citizen science did that led to it."
        ),
    )
    substantiated_by = _long_text(
        _l("Substantiated by"),
        description=_l(
            "Who independent of the team confirmed the change and the contribution, and how. "
            "Leave empty while it is not yet substantiated."
        ),
    )
    mission_outcome_id = SelectField(
        _l("Mission outcome"),
        coerce=_id_or_none,
        default=None,
        invalid_choice_message=_l("Choose one of this mission's outcomes."),  # type: ignore[call-arg]  # newer than the stubs
    )
    indicator_ids = SelectMultipleField(
        _l("Indicators"),
        description=_l("The mission's indicators this change speaks to."),
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validate_choice=True,
        invalid_choice_message=_l("Choose indicators of this mission only."),  # type: ignore[call-arg]  # newer than the stubs
    )

    def __init__(
        self,
        *args: Any,
        outcomes: Sequence[tuple[int, str]] = (),
        indicators: Sequence[tuple[int, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.mission_outcome_id.choices = [SelectChoice("", _l("Not linked to an outcome"))] + [
            SelectChoice(outcome_id, title) for outcome_id, title in outcomes
        ]
        self.indicator_ids.choices = [
            SelectChoice(str(indicator_id), label) for indicator_id, label in indicators
        ]

    def values(self) -> OutcomeFields:
        chosen = self.mission_outcome_id.data
        indicator_ids = (row_id(value) for value in self.indicator_ids.data or [])
        return OutcomeFields(
            what_changed=self.what_changed.data or "",
            for_whom=self.for_whom.data or "",
            contribution=self.contribution.data or "",
            happened_on=self.happened_on.data,
            place=self.place.data or "",
            significance=self.significance.data or "",
            substantiated_by=self.substantiated_by.data or "",
            mission_outcome_id=chosen if isinstance(chosen, int) else None,
            indicator_ids=tuple(i for i in indicator_ids if i is not None),
        )

    def fill(self, values: OutcomeFields) -> None:
        """Show a record's values (the edit page, before anything is sent)."""
        self.what_changed.data = values.what_changed
        self.for_whom.data = values.for_whom
        self.contribution.data = values.contribution
        self.happened_on.data = values.happened_on
        self.place.data = values.place
        self.significance.data = values.significance
        self.substantiated_by.data = values.substantiated_by
        self.mission_outcome_id.data = values.mission_outcome_id
        self.indicator_ids.data = [str(i) for i in values.indicator_ids]


class LinkEvidenceForm(BaseForm):
    numbers = StringField(
        _l("Evidence item numbers"),
        description=_l(
            "The numbers shown on the evidence pages, separated by commas or spaces, "
            "for example: 12, 15 18."
        ),
        validators=[
            DataRequired(_l("Give the numbers of the evidence items to link.")),
            Length(max=NUMBERS_MAX_LENGTH),
        ],
    )


class LearningForm(BaseForm):
    """An entry of the learning log."""

    loop = RadioField(
        _l("Loop"),
        choices=[SelectChoice(loop.value, LOOP_LABELS[loop]) for loop in LearningLoop],
        invalid_choice_message=_l("Choose one of the three loops."),  # type: ignore[call-arg]  # newer than the stubs
        validators=[InputRequired(_l("Choose the loop of learning."))],
    )
    noted_on = DateField(
        _l("Noted on"),
        default=date.today,
        validators=[InputRequired(_l("Give the date it was noted.")), NotInFuture()],
    )
    what_happened = _long_text(_l("What happened"), required=_l("Say what happened."))
    learned = _long_text(_l("What we learned"), required=_l("Say what was learned."))
    next_step = _long_text(
        _l("What we will do differently"),
        description=_l("Leave empty if nothing changes yet."),
    )

    def values(self) -> LearningFields:
        return LearningFields(
            loop=LearningLoop(self.loop.data) if self.loop.data else None,
            noted_on=self.noted_on.data,
            what_happened=self.what_happened.data or "",
            learned=self.learned.data or "",
            next_step=self.next_step.data or "",
        )


# --- Filters (read from the query string; a GET filter changes nothing) ----------------------


def _text_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


class OutcomeFilterForm(BaseForm):
    class Meta:
        csrf = False

    mission_outcome = SelectField(
        _l("Mission outcome"),
        coerce=_text_or_none,
        default=ALL,
        invalid_choice_message=_l("Choose an outcome from the list."),  # type: ignore[call-arg]  # newer than the stubs
    )
    substantiated = SelectField(
        _l("Substantiated"),
        coerce=_text_or_none,
        default=ALL,
        choices=[
            SelectChoice(ALL, _l("Substantiated or not")),
            SelectChoice("yes", _l("Substantiated")),
            SelectChoice("no", _l("Not yet substantiated")),
        ],
        invalid_choice_message=_l("Choose from the list."),  # type: ignore[call-arg]  # newer than the stubs
    )

    def __init__(self, *args: Any, outcomes: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mission_outcome.choices = [
            SelectChoice(ALL, _l("Any or none")),
            SelectChoice(UNLINKED, _l("Not linked to an outcome")),
        ] + [SelectChoice(str(outcome_id), title) for outcome_id, title in outcomes]

    def wanted(self) -> dict[str, Any]:
        """The filter asked for, as ``list_outcomes`` keywords; a part with an error is left
        out (and shown with its error)."""
        self.validate()
        linked = None if self.mission_outcome.errors else self.mission_outcome.data
        substantiated = None if self.substantiated.errors else self.substantiated.data
        return {
            "unlinked": linked == UNLINKED,
            "mission_outcome_id": row_id(linked) if linked and linked != UNLINKED else None,
            "substantiated": SUBSTANTIATED.get(substantiated or ""),
        }


class LearningFilterForm(BaseForm):
    class Meta:
        csrf = False

    loop = SelectField(
        _l("Loop"),
        id="filter-loop",  # the add form on the same page has its own "loop"
        coerce=_text_or_none,
        default=ALL,
        choices=[SelectChoice(ALL, _l("All loops"))]
        + [SelectChoice(loop.value, LOOP_LABELS[loop]) for loop in LearningLoop],
        invalid_choice_message=_l("Choose a loop from the list."),  # type: ignore[call-arg]  # newer than the stubs
    )

    def wanted(self) -> LearningLoop | None:
        self.validate()
        chosen = None if self.loop.errors else self.loop.data
        return LearningLoop(chosen) if chosen else None
