"""Forms officers fill in to set up advisory groups and manage their members, the form a member
keeps their declared interests up to date with, and the labels people see for seat filling and
members' roles.

The mission and jury lists of the group form are handed over by the view; no form reads the
database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than the stubs
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from engage.advisory.models import MemberRole, SeatFilling
from engage.forms import BaseForm

# --- Labels people see for stored values; templates use these too -----------------------------

SEAT_FILLING = {
    SeatFilling.APPLICATION: _l("By application"),
    SeatFilling.APPOINTMENT: _l("By appointment"),
    SeatFilling.LOT: _l("By lot"),
}
SEAT_FILLING_HINT = {
    SeatFilling.APPLICATION: _l("Residents apply and officers choose among them."),
    SeatFilling.APPOINTMENT: _l(
        "Officers appoint members, for example representatives of local organisations."
    ),
    SeatFilling.LOT: _l(
        "Members are drawn by lot from the volunteers of a citizens' jury, whose quotas make the "
        "group reflect the city."
    ),
}
MEMBER_ROLE = {
    MemberRole.CHAIR: _l("Chair"),
    MemberRole.VICE_CHAIR: _l("Vice-chair"),
    MemberRole.MEMBER: _l("Member"),
}

MAX_SEATS = 1000
MAX_MONTHS = 120  # ten years: longer terms or rotation periods are surely a typing mistake
TEXT_MAX_LENGTH = 5000
# Dates far outside a group's life are typing mistakes; bounding them also keeps the term
# arithmetic (a start plus the term length) inside the years a date can hold.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)


class SensibleDate:
    """Refuse dates before 1900 or after 2999."""

    def __call__(self, form: Any, field: Any) -> None:
        if field.data is not None and not EARLIEST_DATE <= field.data <= LATEST_DATE:
            raise ValidationError(_l("Enter a date between the years 1900 and 2999."))


def _optional_id(value: Any) -> int | None:
    """A select's coerce where the empty choice means "none" (a city-wide group, no jury)."""
    if value is None or value == "":
        return None
    return int(value)


def _select(field_class: Any, label: Any, message: Any, **kwargs: Any) -> Any:
    """A select or radio group where nothing chosen, or a value that is none of the choices,
    gets one message that says what to do."""
    return field_class(
        label, invalid_choice_message=message, invalid_value_message=message, **kwargs
    )


def _optional_id_select(label: Any, description: Any, message: Any) -> Any:
    """A select of ids (filled in by the form's constructor) whose empty choice means none."""
    return _select(SelectField, label, message, description=description, coerce=_optional_id)


def _enum_select(
    field_class: Any,
    label: Any,
    enum_type: Any,
    labels: dict[Any, Any],
    message: Any,
    **kwargs: Any,
) -> Any:
    return _select(
        field_class,
        label,
        message,
        choices=[SelectChoice(value, text) for value, text in labels.items()],
        coerce=enum_type,
        **kwargs,
    )


# --- Groups -------------------------------------------------------------------------------------


class GroupForm(BaseForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Give the group a name.")), Length(max=200)]
    )
    slug = StringField(
        _l("Web address"),
        description=_l(
            "Lower-case letters, digits and dashes. Leave empty to make one from the name."
        ),
        validators=[
            Optional(),
            Length(max=80),
            Regexp(r"^[a-z0-9-]+$", message=_l("Use lower-case letters, digits and dashes only.")),
        ],
    )
    mission_id = _optional_id_select(
        _l("Mission"),
        _l("The mission the group advises, or none for a city-wide group."),
        _l("Choose a mission from the list."),
    )
    purpose = TextAreaField(
        _l("Purpose"),
        validators=[
            DataRequired(_l("Say what the group is for.")),
            Length(max=TEXT_MAX_LENGTH),
        ],
    )
    remit = TextAreaField(
        _l("Remit"),
        description=_l("What the group advises on, and what is outside its remit."),
        validators=[DataRequired(_l("Describe the group's remit.")), Length(max=TEXT_MAX_LENGTH)],
    )
    seats = IntegerField(
        _l("Number of seats"),
        validators=[
            InputRequired(_l("Give the number of seats.")),
            NumberRange(1, MAX_SEATS, _l("Give a number from 1 to %(max)s.", max=MAX_SEATS)),
        ],
    )
    term_months = IntegerField(
        _l("Term length in months"),
        validators=[
            InputRequired(_l("Give the length of a term in months.")),
            NumberRange(1, MAX_MONTHS, _l("Give a number from 1 to %(max)s.", max=MAX_MONTHS)),
        ],
    )
    seats_renewed = IntegerField(
        _l("Seats renewed at each rotation"),
        description=_l(
            "For example 2 of 6 seats renewed every 12 months renews a third of the group each "
            "year. 0 renews a seat only when its term ends."
        ),
        default=0,
        validators=[
            InputRequired(_l("Give the number of seats renewed, or 0.")),
            NumberRange(0, MAX_SEATS, _l("Give a number from 0 to %(max)s.", max=MAX_SEATS)),
        ],
    )
    rotation_months = IntegerField(
        _l("Months between rotations"),
        default=12,
        validators=[
            InputRequired(_l("Give the number of months between rotations.")),
            NumberRange(1, MAX_MONTHS, _l("Give a number from 1 to %(max)s.", max=MAX_MONTHS)),
        ],
    )
    filling = _enum_select(
        RadioField,
        _l("How seats are filled"),
        SeatFilling,
        SEAT_FILLING,
        _l("Choose how seats are filled."),
        default=SeatFilling.APPLICATION,
    )
    quorum = IntegerField(
        _l("Quorum"),
        description=_l("How many members must be present for a meeting's decisions to count."),
        validators=[
            InputRequired(_l("Give the quorum.")),
            NumberRange(1, MAX_SEATS, _l("Give a number from 1 to %(max)s.", max=MAX_SEATS)),
        ],
    )
    responsible_officer_email = EmailField(
        _l("E-mail address of the responsible officer"),
        description=_l("The officer who answers the group's recommendations."),
        validators=[
            DataRequired(_l("Enter the responsible officer's e-mail address.")),
            Email(_l("Enter an e-mail address like name@example.org.")),
            Length(max=254),
        ],
    )
    jury_id = _optional_id_select(
        _l("Citizens' jury"),
        _l("Only for seats filled by lot: the jury whose draw chooses the members."),
        _l("Choose a jury from the list."),
    )

    def __init__(
        self,
        *args: Any,
        missions: Sequence[tuple[int, str]],
        juries: Sequence[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.mission_id.choices = [
            SelectChoice("", _l("City-wide (no mission)")),
            *(SelectChoice(mission_id, title) for mission_id, title in missions),
        ]
        self.jury_id.choices = [
            SelectChoice("", _l("No jury")),
            *(SelectChoice(jury_id, title) for jury_id, title in juries),
        ]


# --- Members ------------------------------------------------------------------------------------


def _role_field(**kwargs: Any) -> Any:
    return _enum_select(
        SelectField,
        _l("Role"),
        MemberRole,
        MEMBER_ROLE,
        _l("Choose a role from the list."),
        **kwargs,
    )


class InterestsForm(BaseForm):
    interests = TextAreaField(
        _l("Declared interests"),
        description=_l(
            "Paid work, unpaid roles, property or memberships that bear on the group's work."
        ),
        validators=[Optional(), Length(max=TEXT_MAX_LENGTH)],
    )
    interests_public = BooleanField(
        _l("Show the declared interests on the public register of interests")
    )


class MemberForm(InterestsForm):
    email = EmailField(
        _l("E-mail address of the new member"),
        description=_l("They need an account on this site."),
        validators=[
            DataRequired(_l("Enter the new member's e-mail address.")),
            Email(_l("Enter an e-mail address like name@example.org.")),
            Length(max=254),
        ],
    )
    role = _role_field(default=MemberRole.MEMBER)
    filled_by = _enum_select(
        SelectField,
        _l("How the seat was filled"),
        SeatFilling,
        SEAT_FILLING,
        _l("Choose how the seat was filled."),
    )
    term_start = DateField(
        _l("Term starts"),
        validators=[InputRequired(_l("Give the date the term starts.")), SensibleDate()],
    )
    term_end = DateField(
        _l("Term ends (optional)"),
        description=_l("Leave empty for the group's usual term length."),
        validators=[Optional(), SensibleDate()],
    )


class RoleForm(BaseForm):
    # No default here: a post without a role must change nothing, not demote a chair.
    role = _role_field(validators=[InputRequired(_l("Choose a role from the list."))])


class EndMembershipForm(BaseForm):
    ended_on = DateField(
        _l("Membership ends on"),
        validators=[InputRequired(_l("Give the date the membership ends.")), SensibleDate()],
    )
    reason = TextAreaField(
        _l("Reason"),
        description=_l("Kept with the membership, for example: resigned, moved away."),
        validators=[DataRequired(_l("Say why the membership ends.")), Length(max=2000)],
    )
