"""Forms for advisory group meetings, and the labels people see for attendance and minutes.

The attendance form's members are handed over by the view; no form reads the database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import DateTimeLocalField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than the stubs
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from engage.advisory.meetings import MAX_PAPER_BYTES
from engage.advisory.models import Attendance, Membership, MinutesStatus
from engage.forms import BaseForm

ATTENDANCE = {
    Attendance.PRESENT: _l("Present"),
    Attendance.APOLOGIES: _l("Sent apologies"),
    Attendance.ABSENT: _l("Absent"),
}
MINUTES_STATUS = {
    MinutesStatus.NONE: _l("Not written yet"),
    MinutesStatus.DRAFT: _l("Draft, for members to check"),
    MinutesStatus.APPROVED: _l("Approved"),
}

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
TEXT_MAX_LENGTH = 100_000


class MeetingForm(BaseForm):
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Give the meeting a title.")), Length(max=200)]
    )
    starts_at = DateTimeLocalField(
        _l("Starts"),
        format=DATETIME_FORMAT,
        validators=[InputRequired(_l("Give the date and time the meeting starts."))],
    )
    ends_at = DateTimeLocalField(
        _l("Ends"),
        format=DATETIME_FORMAT,
        validators=[InputRequired(_l("Give the date and time the meeting ends."))],
    )
    place = StringField(
        _l("Place"),
        description=_l("The address and room. Leave empty for a meeting held only online."),
        validators=[Optional(), Length(max=300)],
    )
    link = StringField(
        _l("Link to join online"),
        description=_l("For example https://meet.example.org/advisory. Leave empty if none."),
        validators=[Optional(), Length(max=500)],
    )
    agenda = TextAreaField(
        _l("Agenda"),
        description=_l("One item per line, in order."),
        validators=[Optional(), Length(max=TEXT_MAX_LENGTH)],
    )

    def agenda_items(self) -> list[str]:
        lines = (self.agenda.data or "").replace("\r\n", "\n").split("\n")
        return [line.strip() for line in lines if line.strip()]


class PaperForm(BaseForm):
    title = StringField(
        _l("Title of the paper"),
        description=_l("Leave empty to use the file's name."),
        validators=[Optional(), Length(max=200)],
    )
    file = FileField(
        _l("PDF file"),
        description=_l("A PDF document of up to 10 MB, without a password. It will be public."),
        validators=[
            FileRequired(_l("Choose the PDF file.")),
            FileSize(MAX_PAPER_BYTES, message=_l("The file is larger than 10 MB.")),
        ],
    )


# "" stands for nothing recorded, so a sheet can be filled in bit by bit (apologies come first).
NOT_RECORDED = ""


class AttendanceForm(BaseForm):
    membership_ids: list[int]

    def field_for(self, membership_id: int) -> Any:
        return self[f"member_{membership_id}"]

    def statuses(self) -> dict[int, Attendance | None]:
        return {
            membership_id: Attendance(value)
            if (value := self.field_for(membership_id).data)
            else None
            for membership_id in self.membership_ids
        }


def attendance_form(
    sheet: Sequence[tuple[Membership, Attendance | None]], **kwargs: Any
) -> AttendanceForm:
    """One radio group per member, named ``member_<membership id>``, showing what is recorded."""
    choices = [SelectChoice(status.value, label) for status, label in ATTENDANCE.items()]
    choices.append(SelectChoice(NOT_RECORDED, _l("Not recorded")))
    attrs: dict[str, Any] = {}
    for membership, status in sheet:
        attrs[f"member_{membership.id}"] = RadioField(
            membership.user.display_name,
            choices=choices,
            default=status.value if status else NOT_RECORDED,
            invalid_choice_message=_l("Choose present, apologies, absent or not recorded."),  # type: ignore[call-arg]  # newer than the stubs
        )
    form_class = type("MeetingAttendanceForm", (AttendanceForm,), attrs)
    form: AttendanceForm = form_class(**kwargs)
    form.membership_ids = [membership.id for membership, _status in sheet]
    return form


MINUTES_ACTIONS = {"save": _l("Save draft"), "approve": _l("Approve minutes")}


class MinutesForm(BaseForm):
    minutes = TextAreaField(
        _l("Minutes"),
        description=_l("Who spoke to each agenda item and what was discussed."),
        validators=[DataRequired(_l("Write the minutes.")), Length(max=TEXT_MAX_LENGTH)],
    )
    decisions = TextAreaField(
        _l("Decisions"),
        description=_l("What the group decided. Decisions are public as soon as they are saved."),
        validators=[Optional(), Length(max=TEXT_MAX_LENGTH)],
    )
    reason = TextAreaField(
        _l("Reason for the change"),
        description=_l("Needed to change approved minutes; kept in the audit log."),
        validators=[Optional(), Length(max=2000)],
    )
    # Sent by the button pressed: save a draft or approve.
    action = SelectField(
        _l("Action"),
        choices=[SelectChoice(value, label) for value, label in MINUTES_ACTIONS.items()],
        invalid_choice_message=_l("Choose to save a draft or to approve."),  # type: ignore[call-arg]  # newer than the stubs
    )

    @property
    def approving(self) -> bool:
        return bool(self.action.data == "approve")
