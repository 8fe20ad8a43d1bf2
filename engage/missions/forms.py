from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    FloatField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than the stubs
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from engage.forms import BaseForm, Finite
from engage.missions.models import (
    Decision,
    Direction,
    ImplementationStatus,
    MissionStatus,
    ProjectStatus,
    RecommendationSourceKind,
)

# Labels people see for stored enum values; templates use these too.
MISSION_STATUS = {
    MissionStatus.DRAFT: _l("Draft (only staff can see it)"),
    MissionStatus.ACTIVE: _l("Active"),
    MissionStatus.CLOSED: _l("Closed"),
}
DIRECTION = {Direction.INCREASE: _l("Higher is better"), Direction.DECREASE: _l("Lower is better")}
PROJECT_STATUS = {
    ProjectStatus.PLANNED: _l("Planned"),
    ProjectStatus.ACTIVE: _l("Under way"),
    ProjectStatus.PAUSED: _l("Paused"),
    ProjectStatus.COMPLETED: _l("Completed"),
}
DECISION = {
    Decision.ACCEPTED: _l("Accepted"),
    Decision.PARTLY_ACCEPTED: _l("Partly accepted"),
    Decision.NOT_ACCEPTED: _l("Not accepted"),
}
IMPLEMENTATION_STATUS = {
    ImplementationStatus.NOT_STARTED: _l("Not started"),
    ImplementationStatus.IN_PROGRESS: _l("In progress"),
    ImplementationStatus.DONE: _l("Done"),
    ImplementationStatus.STOPPED: _l("Stopped"),
}
SOURCE_KIND = {
    RecommendationSourceKind.OFFICER: _l("Entered by an officer"),
    RecommendationSourceKind.JURY: _l("Citizens' jury"),
    RecommendationSourceKind.ADVISORY_GROUP: _l("Advisory group"),
    RecommendationSourceKind.CODESIGN_ROUND: _l("Co-design round"),
}
REGISTER_STATUS = {
    "accepted": _l("Accepted"),
    "partly_accepted": _l("Partly accepted"),
    "not_accepted": _l("Not accepted"),
    "awaiting": _l("Awaiting response"),
    "overdue": _l("Response overdue"),
}


def _choices(labels: dict[Any, Any]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


def _enum_field(label: Any, enum_type: Any, labels: dict[Any, Any], **kwargs: Any) -> SelectField:
    return SelectField(label, choices=_choices(labels), coerce=enum_type, **kwargs)


class MissionForm(BaseForm):
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Give the mission a title.")), Length(max=200)]
    )
    slug = StringField(
        _l("Web address"),
        description=_l(
            "Lower-case letters, digits and dashes. Leave empty to make one from the title."
        ),
        validators=[
            Optional(),
            Length(max=80),
            Regexp(r"^[a-z0-9-]+$", message=_l("Use lower-case letters, digits and dashes only.")),
        ],
    )
    challenge = TextAreaField(
        _l("The challenge it answers"),
        validators=[DataRequired(_l("Describe the challenge.")), Length(max=5000)],
    )
    team = StringField(
        _l("Owning team"),
        validators=[DataRequired(_l("Name the team that owns the mission.")), Length(max=120)],
    )
    target_date = DateField(
        _l("Target date"),
        validators=[Optional()],
        description=_l("When the mission should be achieved."),
    )
    status = _enum_field(_l("Status"), MissionStatus, MISSION_STATUS, default=MissionStatus.DRAFT)


class NewMissionForm(MissionForm):
    statement = TextAreaField(
        _l("Mission statement"),
        description=_l("The first version. Later versions record why they changed."),
        validators=[DataRequired(_l("Write the mission statement.")), Length(max=5000)],
    )


class StatementForm(BaseForm):
    text = TextAreaField(
        _l("New statement"),
        validators=[DataRequired(_l("Write the new statement.")), Length(max=5000)],
    )
    rationale = TextAreaField(
        _l("Why it changed"),
        description=_l("Shown to the public beside the change."),
        validators=[DataRequired(_l("Explain why the statement changed.")), Length(max=5000)],
    )
    sources = SelectMultipleField(
        _l("Contributions that informed this version"),
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validate_choice=True,
    )

    def __init__(self, *args: Any, source_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sources.choices = [SelectChoice(key, label) for key, label in source_choices]


class OutcomeForm(BaseForm):
    title = StringField(
        _l("Outcome"), validators=[DataRequired(_l("Name the outcome.")), Length(max=200)]
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])


class IndicatorForm(BaseForm):
    name = StringField(
        _l("Indicator"), validators=[DataRequired(_l("Name the indicator.")), Length(max=200)]
    )
    unit = StringField(
        _l("Unit"),
        description=_l("For example: %, µg/m³, trips per day."),
        validators=[DataRequired(_l("Give the unit.")), Length(max=40)],
    )
    baseline = FloatField(
        _l("Baseline"), validators=[InputRequired(_l("Give the baseline value.")), Finite()]
    )
    target = FloatField(
        _l("Target"), validators=[InputRequired(_l("Give the target value.")), Finite()]
    )
    direction = _enum_field(_l("Direction"), Direction, DIRECTION)
    latest_value = FloatField(_l("Latest value"), validators=[Optional(), Finite()])
    latest_value_on = DateField(_l("Measured on"), validators=[Optional()])
    latest_value_source = StringField(
        _l("Source of the latest value"),
        validators=[Optional(), Length(max=300)],
        description=_l("Where the figure comes from, so anyone can check it."),
    )


class ProjectForm(BaseForm):
    name = StringField(
        _l("Project"), validators=[DataRequired(_l("Name the project.")), Length(max=200)]
    )
    lead_organisation = StringField(
        _l("Lead organisation"),
        validators=[DataRequired(_l("Name the lead organisation.")), Length(max=200)],
    )
    status = _enum_field(_l("Status"), ProjectStatus, PROJECT_STATUS)
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])


class RecommendationForm(BaseForm):
    source_kind = _enum_field(_l("Where it comes from"), RecommendationSourceKind, SOURCE_KIND)
    source_label = StringField(
        _l("From"),
        description=_l("For example: Camden Citizens' Jury on Healthy Streets, 2026."),
        validators=[DataRequired(_l("Say who made the recommendation.")), Length(max=200)],
    )
    title = StringField(
        _l("Recommendation"),
        validators=[DataRequired(_l("Give the recommendation a short title.")), Length(max=200)],
    )
    text = TextAreaField(
        _l("Full text"), validators=[DataRequired(_l("Give the full text.")), Length(max=10000)]
    )
    received_on = DateField(
        _l("Received on"), validators=[InputRequired(_l("Give the date it was received."))]
    )
    response_due = DateField(
        _l("Response due"),
        validators=[Optional()],
        description=_l("Leave empty for the default: 8 weeks after it was received."),
    )


class ResponseForm(BaseForm):
    decision = _enum_field(_l("Decision"), Decision, DECISION)
    rationale = TextAreaField(
        _l("Reasons"),
        validators=[DataRequired(_l("Give the reasons for the decision.")), Length(max=10000)],
    )
    responder_name = StringField(
        _l("Responding on behalf of"),
        description=_l("The office or post that answers, shown to the public."),
        validators=[DataRequired(_l("Say who is responding.")), Length(max=120)],
    )
    responded_on = DateField(
        _l("Date of the response"), validators=[InputRequired(_l("Give the date of the response."))]
    )


class ImplementationUpdateForm(BaseForm):
    status = _enum_field(_l("Implementation status"), ImplementationStatus, IMPLEMENTATION_STATUS)
    note = TextAreaField(
        _l("What happened"),
        validators=[DataRequired(_l("Describe the progress.")), Length(max=5000)],
    )
