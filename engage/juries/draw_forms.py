"""Forms for selection runs, the draw and the panel."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than the stubs
from wtforms.validators import DataRequired, Length, Optional

from engage.forms import BaseForm
from engage.juries.models import RunStatus, SeatStatus
from engage.juries.selection import Algorithm

ALGORITHM = {
    Algorithm.LEXIMIN: _l("LEXIMIN: the fairest lottery the quotas allow (recommended)"),
    Algorithm.MAXIMIN: _l("MAXIMIN: raises only the smallest chance"),
    Algorithm.LEGACY: _l("LEGACY: the older greedy method, for comparison"),
}
ALGORITHM_NAME = {
    Algorithm.LEXIMIN.value: "LEXIMIN",
    Algorithm.MAXIMIN.value: "MAXIMIN",
    Algorithm.LEGACY.value: "LEGACY",
}
RUN_STATUS = {
    RunStatus.RUNNING: _l("Running"),
    RunStatus.DONE: _l("Finished"),
    RunStatus.INFEASIBLE: _l("Quotas cannot be met"),
    RunStatus.FAILED: _l("Failed"),
}
SEAT_STATUS = {
    SeatStatus.INVITED: _l("Invited"),
    SeatStatus.CONFIRMED: _l("Confirmed"),
    SeatStatus.DECLINED: _l("Declined"),
    SeatStatus.WITHDRAWN: _l("Withdrawn"),
    SeatStatus.RESERVE: _l("Reserve"),
}


def _choices(labels: dict[Any, Any]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class StartRunForm(BaseForm):
    algorithm = RadioField(
        _l("Algorithm"),
        choices=_choices(ALGORITHM),
        coerce=Algorithm,
        default=Algorithm.LEXIMIN,
    )


class CommitForm(BaseForm):
    randomness_source = TextAreaField(
        _l("Source of public randomness"),
        description=_l(
            "Announce it before anyone can know it, precisely enough that anyone can look the "
            "value up: for example “EuroMillions draw of 2026-12-04, main numbers in drawn order”."
        ),
        validators=[
            DataRequired(_l("Say where the public random value will come from.")),
            Length(max=1000),
        ],
    )
    confirm = BooleanField(
        _l("I understand that the pool and the quotas can no longer change after this."),
        validators=[DataRequired(_l("Confirm that the pool and quotas are to be frozen."))],
    )


class RevealForm(BaseForm):
    random_value = StringField(
        _l("Random value"),
        description=_l(
            "Exactly as published by the announced source. It can be entered only once."
        ),
        validators=[DataRequired(_l("Enter the random value.")), Length(max=500)],
    )
    confirm = BooleanField(
        _l("I have checked this value against its public source."),
        validators=[DataRequired(_l("Confirm that you checked the value."))],
    )


class SeatStatusForm(BaseForm):
    # Panel seats take invited/confirmed/declined/withdrawn, reserves reserve/declined/withdrawn;
    # the page offers only those, and the service refuses the others.
    status = SelectField(_l("Invitation status"), choices=_choices(SEAT_STATUS), coerce=SeatStatus)


class AcceptReplacementForm(BaseForm):
    # The newcomers the officer was shown (member ids); the service refuses a stale proposal.
    proposal = HiddenField(validators=[Optional(), Length(max=2000)])


class PurgeForm(BaseForm):
    confirm = BooleanField(
        _l("Erase the volunteers' personal data now. This cannot be undone."),
        validators=[DataRequired(_l("Confirm that the personal data is to be erased."))],
    )
