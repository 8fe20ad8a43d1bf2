"""Forms for community appraisals: areas, instruments and their criteria (officers), and the
appraisal form residents and facilitators fill in; and the labels people see for the statuses.

The appraisal form depends on the instrument's criteria and scale and the mission's areas, so it
is built per request from what the view hands over; no form reads the database."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import (
    FloatField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than the stubs
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional

from engage.appraisals.instruments import (
    GROUP_MAX_PARTICIPANTS,
    GROUP_MIN_PARTICIPANTS,
    GROUP_NAME_MAX_LENGTH,
    JUSTIFICATION_MAX_LENGTH,
    justification_field,
    score_field,
)
from engage.appraisals.models import AppraisalKind, Area, Criterion, Status
from engage.forms import BaseForm, Finite

STATUS = {
    Status.DRAFT: _l("Draft (only staff can see it)"),
    Status.OPEN: _l("Open for appraisals"),
    Status.CLOSED: _l("Closed"),
}
KIND = {
    AppraisalKind.INDIVIDUAL: _l("A resident's own"),
    AppraisalKind.GROUP: _l("A workshop group's"),
}
TEXT_MAX_LENGTH = 5000


def _refusing(message: Any) -> dict[str, Any]:
    """A choice field's messages for a value that is none of its choices (newer than the
    stubs, hence passed as keyword arguments)."""
    return {"invalid_choice_message": message, "invalid_value_message": message}


# --- Areas ------------------------------------------------------------------------------------


def _degrees(label: Any, hint: Any, limit: int) -> FloatField:
    return FloatField(
        label,
        description=hint,
        validators=[
            Optional(),
            Finite(),
            NumberRange(
                min=-limit,
                max=limit,
                message=_l("Give a number of degrees between %(min)s and %(max)s."),
            ),
        ],
    )


class AreaForm(BaseForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Give the area a name.")), Length(max=200)],
        description=_l("As people know it, such as a neighbourhood, a ward or an estate."),
    )
    description = TextAreaField(
        _l("Description (optional)"),
        validators=[Optional(), Length(max=TEXT_MAX_LENGTH)],
        description=_l("Where its edges are, in words people recognise."),
    )
    west = _degrees(_l("West edge (longitude)"), _l("Such as -0.15"), 180)
    south = _degrees(_l("South edge (latitude)"), _l("Such as 51.54"), 90)
    east = _degrees(_l("East edge (longitude)"), _l("Such as -0.13"), 180)
    north = _degrees(_l("North edge (latitude)"), _l("Such as 51.56"), 90)


# --- Instruments ------------------------------------------------------------------------------

START = {
    "place_standard": _l(
        "Start from the Place Standard: its 14 questions on its 1 to 7 scale, which you can "
        "then edit"
    ),
    "blank": _l("Start blank and write your own criteria"),
}


class InstrumentForm(BaseForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Give the instrument a title.")), Length(max=200)],
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=TEXT_MAX_LENGTH)],
        description=_l("What the appraisal is for and what will be done with the results."),
    )
    scale_min = IntegerField(
        _l("Lowest score"),
        default=1,
        validators=[
            InputRequired(_l("Give the lowest point of the scale.")),
            NumberRange(min=-100, max=100, message=_l("Between %(min)s and %(max)s.")),
        ],
    )
    scale_max = IntegerField(
        _l("Highest score"),
        default=7,
        validators=[
            InputRequired(_l("Give the highest point of the scale.")),
            NumberRange(min=-100, max=100, message=_l("Between %(min)s and %(max)s.")),
        ],
    )
    low_label = StringField(
        _l("What the lowest score means"),
        validators=[Optional(), Length(max=100)],
        description=_l("Such as “A lot of room for improvement”."),
    )
    high_label = StringField(
        _l("What the highest score means"),
        validators=[Optional(), Length(max=100)],
        description=_l("Such as “Very little room for improvement”."),
    )


class NewInstrumentForm(InstrumentForm):
    mission_id = SelectField(
        _l("Mission"),
        coerce=int,
        validate_choice=True,
        validators=[InputRequired(_l("Choose the mission whose areas are appraised."))],
    )
    start = RadioField(
        _l("How to start"),
        choices=[SelectChoice(value, label) for value, label in START.items()],
        default="place_standard",
        validators=[InputRequired(_l("Choose how to start."))],
        **_refusing(_l("Choose how to start.")),
    )

    def __init__(self, *args: Any, missions: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mission_id.choices = [SelectChoice(mid, title) for mid, title in missions]


class CriterionForm(BaseForm):
    label = StringField(
        _l("Criterion"),
        validators=[DataRequired(_l("Give the criterion a short name.")), Length(max=200)],
        description=_l("A few words, such as “Moving around”."),
    )
    question = TextAreaField(
        _l("Question"),
        validators=[DataRequired(_l("Write the question people answer.")), Length(max=2000)],
        description=_l("Such as “Can I easily walk and cycle around using good-quality routes?”"),
    )
    hint = TextAreaField(
        _l("Things to think about (optional)"),
        validators=[Optional(), Length(max=2000)],
    )


class StatusForm(BaseForm):
    action = StringField(validators=[AnyOf(["open", "close"])])


class MoveForm(BaseForm):
    direction = StringField(validators=[AnyOf(["up", "down"])])


# --- Appraising an area -----------------------------------------------------------------------


def _scale_choices(
    scale_min: int, scale_max: int, low_label: str, high_label: str
) -> list[SelectChoice]:
    choices = []
    for point in range(scale_min, scale_max + 1):
        meaning = low_label if point == scale_min else high_label if point == scale_max else ""
        choices.append(SelectChoice(point, f"{point} ({meaning})" if meaning else str(point)))
    return choices


def appraisal_form(
    criteria: Sequence[Criterion],
    areas: Sequence[Area],
    *,
    scale: tuple[int, int],
    labels: tuple[str, str],
    group: bool = False,
    area_id: int | None = None,
) -> BaseForm:
    """The area, then per criterion a score on the scale (a radio group) and the reasons for it;
    a workshop group's entry also asks the group's name and size. ``area_id`` preselects an
    area when the form is first shown."""
    area_message = _l("Choose the area you are appraising.")

    class AppraisalForm(BaseForm):
        area_id = SelectField(
            _l("Area"),
            choices=[SelectChoice("", _l("Choose an area"))]
            + [SelectChoice(str(area.id), area.name) for area in areas],
            validators=[InputRequired(area_message)],
            **_refusing(area_message),
        )
        client_id = HiddenField(default=lambda: str(uuid.uuid4()))

    if group:
        AppraisalForm.group_name = StringField(
            _l("Group"),
            description=_l("Such as “Kentish Town library workshop, 12 March”."),
            validators=[
                DataRequired(_l("Name the group (such as the workshop's place and date).")),
                Length(max=GROUP_NAME_MAX_LENGTH),
            ],
        )
        AppraisalForm.participants = IntegerField(
            _l("How many people agreed these scores"),
            validators=[
                InputRequired(_l("Say how many people were in the group.")),
                NumberRange(
                    min=GROUP_MIN_PARTICIPANTS,
                    max=GROUP_MAX_PARTICIPANTS,
                    message=_l("A group has from %(min)s to %(max)s people."),
                ),
            ],
        )
    choices = _scale_choices(scale[0], scale[1], labels[0], labels[1])
    score_message = _l("Choose a score.")
    for criterion in criteria:
        setattr(
            AppraisalForm,
            score_field(criterion.id),
            RadioField(
                criterion.label,
                choices=choices,
                coerce=int,
                validators=[InputRequired(score_message)],
                **_refusing(score_message),
            ),
        )
        setattr(
            AppraisalForm,
            justification_field(criterion.id),
            TextAreaField(
                # gettext, not lazy_gettext: a lazy string counts as safe HTML, and the
                # criterion's name is an officer's text that must be escaped.
                gettext("Why this score? (%(criterion)s)", criterion=criterion.label),
                validators=[
                    DataRequired(_l("Say why you gave this score.")),
                    Length(
                        max=JUSTIFICATION_MAX_LENGTH,
                        message=_l("Keep your reasons to %(max)d characters or fewer."),
                    ),
                ],
            ),
        )
    form = AppraisalForm()
    if area_id is not None and not form.is_submitted():
        form.area_id.data = str(area_id)
    return form


def chosen_area(form: BaseForm) -> int | None:
    value = form["area_id"].data
    return int(value) if isinstance(value, str) and value.isdigit() else None


def appraisal_scores(
    form: BaseForm, criteria: Sequence[Criterion]
) -> dict[int, tuple[int | None, str]]:
    """The form's scores and justifications by criterion id, for the service."""
    return {
        criterion.id: (
            form[score_field(criterion.id)].data,
            form[justification_field(criterion.id)].data or "",
        )
        for criterion in criteria
    }
