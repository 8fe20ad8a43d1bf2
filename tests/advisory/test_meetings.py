"""Advisory group meetings as use cases: scheduling and editing, PDF papers, attendance and the
quorum, minutes drafted then approved, and the iCalendar feed."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin
from pypdf import PdfWriter
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.advisory import meetings, services
from engage.advisory.meetings import MeetingFields
from engage.advisory.models import (
    AdvisoryGroup,
    Attendance,
    Meeting,
    MeetingPaper,
    MemberRole,
    MinutesStatus,
)
from engage.audit import AuditEntry
from engage.errors import Conflict, Forbidden, Invalid, NotFound
from engage.missions.models import MissionStatus
from engage.security import Role
from tests.factories import make_group, make_meeting, make_membership, make_mission, make_user

TODAY = date.today()
START = datetime(2031, 3, 4, 18, 0, tzinfo=UTC)


def pdf_bytes(*, password: str | None = None) -> bytes:
    """A real one-page PDF, encrypted when a password is given."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if password is not None:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def meeting_fields(**changes: Any) -> MeetingFields:
    values: dict[str, Any] = {
        "title": "Spring meeting",
        "starts_at": START,
        "ends_at": START + timedelta(hours=2),
        "place": "Town Hall, Room 2",
        "link": "",
        "agenda": ["Welcome", "Air quality report"],
    }
    values.update(changes)
    return MeetingFields(**values)


def actions(session: Session, action: str) -> list[AuditEntry]:
    return list(
        session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def stored_status(session: Session, meeting: Meeting) -> MinutesStatus:
    """The minutes' status as committed."""
    session.expire(meeting)
    return meeting.minutes_status


@pytest.fixture
def officer(session: Session) -> User:
    return make_user(session, role=Role.OFFICER)


@pytest.fixture
def group(session: Session) -> AdvisoryGroup:
    return make_group(session, seats=6, quorum=3)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "papers"


# --- Scheduling ---------------------------------------------------------------------------------


def test_an_officer_schedules_a_meeting_with_its_agenda(
    session: Session, officer: User, group: AdvisoryGroup
) -> None:
    meeting = meetings.schedule_meeting(
        session,
        group.slug,
        meeting_fields(
            agenda=["  Welcome ", "", "Air quality report"], link="https://meet.example.org/a"
        ),
        actor=officer,
    )
    session.expire_all()
    stored = session.get(Meeting, meeting.id)
    assert stored is not None
    assert (stored.title, stored.starts_at, stored.place) == (
        "Spring meeting", START, "Town Hall, Room 2"
    )  # fmt: skip
    assert stored.agenda == ["Welcome", "Air quality report"]
    assert stored.link == "https://meet.example.org/a"
    [entry] = actions(session, "advisory.meeting_scheduled")
    assert (entry.actor_id, entry.subject) == (officer.id, f"advisory_meeting:{meeting.id}")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "   "}, "title"),
        ({"ends_at": START}, "ends_at"),
        ({"ends_at": START - timedelta(minutes=30)}, "ends_at"),
        ({"place": "", "link": ""}, "place"),
        ({"link": "javascript:alert(1)"}, "link"),
        ({"link": "ftp://files.example.org/meeting"}, "link"),
        ({"link": "https://"}, "link"),
    ],
)
def test_a_meeting_needs_a_title_an_end_after_its_start_and_a_place_or_web_link(
    session: Session, officer: User, group: AdvisoryGroup, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        meetings.schedule_meeting(session, group.slug, meeting_fields(**changes), actor=officer)
    assert refused.value.field == field
    session.rollback()
    assert session.scalars(sa.select(Meeting)).all() == []


def test_an_online_meeting_needs_no_place(
    session: Session, officer: User, group: AdvisoryGroup
) -> None:
    meeting = meetings.schedule_meeting(
        session,
        group.slug,
        meeting_fields(place="", link="http://meet.example.org/x"),
        actor=officer,
    )
    assert (meeting.place, meeting.link) == ("", "http://meet.example.org/x")


def test_residents_and_members_cannot_schedule_meetings(
    session: Session, group: AdvisoryGroup
) -> None:
    member = make_membership(session, group, role=MemberRole.CHAIR).user
    for person in (make_user(session), member):
        with pytest.raises(Forbidden):
            meetings.schedule_meeting(session, group.slug, meeting_fields(), actor=person)


def test_each_edit_raises_the_calendar_sequence_and_is_logged(
    session: Session, officer: User, group: AdvisoryGroup
) -> None:
    meeting = make_meeting(session, group, starts_at=START)
    assert meeting.sequence == 0
    later = meeting_fields(
        starts_at=START + timedelta(days=1), ends_at=START + timedelta(days=1, hours=2)
    )
    meetings.update_meeting(session, meeting.id, later, actor=officer)
    assert (meeting.sequence, meeting.starts_at) == (1, START + timedelta(days=1))
    meetings.update_meeting(session, meeting.id, later, actor=officer)  # nothing changed
    assert meeting.sequence == 1
    meetings.update_meeting(session, meeting.id, meeting_fields(title="Moved"), actor=officer)
    assert meeting.sequence == 2
    logged = actions(session, "advisory.meeting_updated")
    assert [sorted(entry.details) for entry in logged] == [
        ["agenda", "ends_at", "starts_at", "title"],
        ["ends_at", "starts_at", "title"],  # back to the first date, with a new title
    ]


def test_a_draft_missions_meetings_are_hidden_from_the_public(
    session: Session, officer: User
) -> None:
    hidden = make_group(session, make_mission(session, status=MissionStatus.DRAFT))
    meeting = make_meeting(session, hidden)
    with pytest.raises(NotFound):
        meetings.get_meeting(session, meeting.id, viewer=AnonymousUserMixin())
    assert meetings.get_meeting(session, meeting.id, viewer=officer) is meeting


# --- Papers -------------------------------------------------------------------------------------


def test_a_pdf_paper_is_stored_under_a_random_name_with_its_digest(
    session: Session, officer: User, group: AdvisoryGroup, folder: Path
) -> None:
    meeting = make_meeting(session, group)
    data = pdf_bytes()
    paper = meetings.upload_paper(
        session, meeting.id, title="", filename="C:\\Papers\\Air report.pdf", data=data,
        folder=folder, actor=officer, today=TODAY,
    )  # fmt: skip
    assert (paper.title, paper.filename) == ("Air report", "Air report.pdf")
    assert (paper.size, paper.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    stored = meetings.paper_path(folder, paper)
    assert stored.parent == folder and stored.read_bytes() == data
    assert "Air" not in stored.name
    [entry] = actions(session, "advisory.paper_uploaded")
    assert entry.details["sha256"] == paper.sha256


def test_the_chair_may_upload_papers_but_other_members_may_not(
    session: Session, group: AdvisoryGroup, folder: Path
) -> None:
    meeting = make_meeting(session, group)
    chair = make_membership(session, group, role=MemberRole.CHAIR).user
    member = make_membership(session, group, role=MemberRole.VICE_CHAIR).user
    paper = meetings.upload_paper(
        session, meeting.id, title="Chair's report", filename="report.pdf", data=pdf_bytes(),
        folder=folder, actor=chair, today=TODAY,
    )  # fmt: skip
    assert paper.uploaded_by_id == chair.id
    with pytest.raises(Forbidden):
        meetings.upload_paper(
            session, meeting.id, title="", filename="x.pdf", data=pdf_bytes(),
            folder=folder, actor=member, today=TODAY,
        )  # fmt: skip
    assert len(list(folder.iterdir())) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"Minutes of the last meeting, typed in a text editor.\n", "not a PDF"),
        (b"%PDF-1.7\nnothing a reader could open\n", "not a PDF"),
        (pdf_bytes(password="secret"), "password"),
        (b"%PDF-1.4\n" + b"0" * meetings.MAX_PAPER_BYTES, "larger than 10 MB"),
    ],
    ids=["empty", "text", "broken", "encrypted", "too-large"],
)
def test_only_readable_unprotected_pdfs_up_to_10_mb_are_kept(
    session: Session,
    officer: User,
    group: AdvisoryGroup,
    folder: Path,
    data: bytes,
    message: str,
) -> None:
    meeting = make_meeting(session, group)
    with pytest.raises(Invalid) as refused:
        meetings.upload_paper(
            session, meeting.id, title="Paper", filename="paper.pdf", data=data,
            folder=folder, actor=officer, today=TODAY,
        )  # fmt: skip
    assert refused.value.field == "file"
    assert message in refused.value.message
    session.rollback()
    assert session.scalars(sa.select(MeetingPaper)).all() == []
    assert not folder.exists() or list(folder.iterdir()) == []


def test_deleting_a_paper_removes_its_file(
    session: Session, officer: User, group: AdvisoryGroup, folder: Path
) -> None:
    meeting = make_meeting(session, group)
    paper = meetings.upload_paper(
        session, meeting.id, title="Old", filename="old.pdf", data=pdf_bytes(),
        folder=folder, actor=officer, today=TODAY,
    )  # fmt: skip
    path, paper_id = meetings.paper_path(folder, paper), paper.id
    chair = make_membership(session, group, role=MemberRole.CHAIR).user
    with pytest.raises(Forbidden):
        meetings.delete_paper(session, paper_id, folder=folder, actor=chair)
    assert meetings.delete_paper(session, paper_id, folder=folder, actor=officer) is meeting
    assert session.get(MeetingPaper, paper_id) is None
    assert not path.exists()
    [entry] = actions(session, "advisory.paper_deleted")
    assert entry.details["paper"] == paper_id


# --- Attendance and quorum ----------------------------------------------------------------------


def test_members_record_attendance_and_the_quorum_counts_those_present(
    session: Session, group: AdvisoryGroup
) -> None:
    seated = [make_membership(session, group) for _ in range(4)]
    meeting = make_meeting(session, group)
    assert services.quorum(meeting) == services.Quorum(0, 4, 3, recorded=False)
    statuses: dict[int, Attendance | None] = {
        seated[0].id: Attendance.PRESENT,
        seated[1].id: Attendance.PRESENT,
        seated[2].id: Attendance.APOLOGIES,
    }
    meetings.record_attendance(session, meeting.id, statuses, actor=seated[3].user, today=TODAY)
    result = services.quorum(meeting)
    assert (result.present, result.members, result.recorded, result.quorate) == (2, 4, True, False)
    statuses[seated[3].id] = Attendance.PRESENT
    meetings.record_attendance(session, meeting.id, statuses, actor=seated[0].user, today=TODAY)
    assert services.quorum(meeting).quorate
    [entry, _second] = actions(session, "advisory.attendance_recorded")
    assert entry.details == {"present": 2, "apologies": 1, "absent": 0}


def test_a_status_left_out_is_cleared(
    session: Session, officer: User, group: AdvisoryGroup
) -> None:
    first, second = make_membership(session, group), make_membership(session, group)
    meeting = make_meeting(session, group)
    meetings.record_attendance(
        session, meeting.id, {first.id: Attendance.ABSENT, second.id: Attendance.PRESENT},
        actor=officer, today=TODAY,
    )  # fmt: skip
    meetings.record_attendance(
        session, meeting.id, {first.id: None, second.id: Attendance.APOLOGIES},
        actor=officer, today=TODAY,
    )  # fmt: skip
    sheet = {membership.id: status for membership, status in services.attendance_sheet(meeting)}
    assert sheet == {first.id: None, second.id: Attendance.APOLOGIES}


def test_only_members_and_officers_record_attendance(
    session: Session, group: AdvisoryGroup
) -> None:
    seat = make_membership(session, group)
    meeting = make_meeting(session, group)
    former = make_membership(
        session, group, term_start=TODAY - timedelta(days=800), term_end=TODAY - timedelta(days=70)
    )
    for outsider in (make_user(session), former.user, make_user(session, role=Role.EVALUATOR)):
        with pytest.raises(Forbidden):
            meetings.record_attendance(
                session, meeting.id, {seat.id: Attendance.PRESENT}, actor=outsider, today=TODAY
            )


def test_attendance_is_for_the_members_seated_on_the_meetings_day(
    session: Session, officer: User, group: AdvisoryGroup
) -> None:
    meeting = make_meeting(session, group, starts_at=datetime.now(UTC) - timedelta(days=100))
    then = make_membership(
        session, group, term_start=TODAY - timedelta(days=400), term_end=TODAY - timedelta(days=10)
    )
    since = make_membership(session, group, term_start=TODAY - timedelta(days=5))
    assert [membership.id for membership, _ in services.attendance_sheet(meeting)] == [then.id]
    meetings.record_attendance(
        session, meeting.id, {then.id: Attendance.PRESENT}, actor=officer, today=TODAY
    )
    with pytest.raises(Invalid):
        meetings.record_attendance(
            session, meeting.id, {since.id: Attendance.PRESENT}, actor=officer, today=TODAY
        )


# --- Minutes and decisions ----------------------------------------------------------------------


def test_minutes_are_drafted_for_members_then_approved_for_everyone(
    session: Session, officer: User, group: AdvisoryGroup
) -> None:
    chair = make_membership(session, group, role=MemberRole.CHAIR).user
    member = make_membership(session, group).user
    meeting = make_meeting(session, group)
    public, outsider = AnonymousUserMixin(), make_user(session)
    assert not meetings.minutes_visible(meeting, officer, TODAY)  # nothing written yet

    meetings.save_minutes(
        session, meeting.id, minutes="We discussed air quality.", decisions="Ask for more sensors.",
        reason="", actor=chair, today=TODAY,
    )  # fmt: skip
    assert stored_status(session, meeting) is MinutesStatus.DRAFT
    seen = [meetings.minutes_visible(meeting, p, TODAY) for p in (chair, member, officer)]
    assert seen == [True, True, True]
    assert not meetings.minutes_visible(meeting, public, TODAY)
    assert not meetings.minutes_visible(meeting, outsider, TODAY)

    meetings.approve_minutes(
        session, meeting.id, minutes="We discussed air quality at length.",
        decisions="Ask for more sensors.", actor=chair, today=TODAY,
    )  # fmt: skip
    assert stored_status(session, meeting) is MinutesStatus.APPROVED
    assert meeting.minutes == "We discussed air quality at length."
    assert meeting.minutes_approved_at is not None
    assert meetings.minutes_visible(meeting, public, TODAY)
    assert [len(actions(session, f"advisory.minutes_{a}")) for a in ("drafted", "approved")] == [
        1,
        1,
    ]


def test_ordinary_members_cannot_write_minutes(session: Session, group: AdvisoryGroup) -> None:
    member = make_membership(session, group).user
    meeting = make_meeting(session, group)
    with pytest.raises(Forbidden):
        meetings.save_minutes(
            session, meeting.id, minutes="Notes", decisions="", reason="", actor=member, today=TODAY
        )
    with pytest.raises(Forbidden):
        meetings.approve_minutes(
            session, meeting.id, minutes="Notes", decisions="", actor=member, today=TODAY
        )


def test_empty_minutes_are_neither_saved_nor_approved(
    session: Session, officer: User, group: AdvisoryGroup
) -> None:
    meeting = make_meeting(session, group)
    with pytest.raises(Invalid) as refused:
        meetings.save_minutes(
            session, meeting.id, minutes="  ", decisions="", reason="", actor=officer, today=TODAY
        )
    assert refused.value.field == "minutes"
    with pytest.raises(Invalid):
        meetings.approve_minutes(
            session, meeting.id, minutes="", decisions="", actor=officer, today=TODAY
        )
    assert meeting.minutes_status is MinutesStatus.NONE


def test_approved_minutes_change_only_by_an_officer_giving_a_reason(
    session: Session, officer: User, group: AdvisoryGroup
) -> None:
    chair = make_membership(session, group, role=MemberRole.CHAIR).user
    meeting = make_meeting(session, group)
    meetings.approve_minutes(
        session, meeting.id, minutes="Agreed text.", decisions="", actor=chair, today=TODAY
    )
    approved_at = meeting.minutes_approved_at
    with pytest.raises(Forbidden):
        meetings.save_minutes(
            session, meeting.id, minutes="Rewritten.", decisions="", reason="Typo",
            actor=chair, today=TODAY,
        )  # fmt: skip
    session.rollback()
    with pytest.raises(Invalid) as refused:
        meetings.save_minutes(
            session, meeting.id, minutes="Agreed text, corrected.", decisions="", reason="",
            actor=officer, today=TODAY,
        )  # fmt: skip
    assert refused.value.field == "reason"
    session.rollback()
    with pytest.raises(Conflict):
        meetings.approve_minutes(
            session, meeting.id, minutes="Other.", decisions="", actor=officer, today=TODAY
        )
    session.rollback()
    assert meeting.minutes == "Agreed text."

    meetings.save_minutes(
        session, meeting.id, minutes="Agreed text, corrected.", decisions="Fund the sensors.",
        reason="A member's name was misspelt.", actor=officer, today=TODAY,
    )  # fmt: skip
    assert (meeting.minutes, meeting.decisions) == ("Agreed text, corrected.", "Fund the sensors.")
    assert (meeting.minutes_status, meeting.minutes_approved_at) == (
        MinutesStatus.APPROVED, approved_at
    )  # fmt: skip
    [entry] = actions(session, "advisory.minutes_corrected")
    assert entry.actor_id == officer.id
    assert entry.details["reason"] == "A member's name was misspelt."
    before, after = entry.details["minutes_sha256"]
    assert before == hashlib.sha256(b"Agreed text.").hexdigest()
    assert after == hashlib.sha256(b"Agreed text, corrected.").hexdigest()


# --- The calendar -------------------------------------------------------------------------------


def test_the_calendar_has_one_event_per_meeting(
    session: Session, officer: User, group: AdvisoryGroup
) -> None:
    first = make_meeting(session, group, title="Spring meeting", starts_at=START)
    online = meetings.schedule_meeting(
        session, group.slug,
        meeting_fields(title="Online catch-up", starts_at=START + timedelta(days=30),
                       ends_at=START + timedelta(days=30, hours=1), place="",
                       link="https://meet.example.org/abc", agenda=[]),
        actor=officer,
    )  # fmt: skip
    meetings.update_meeting(
        session, first.id, meeting_fields(title="Spring meeting, moved"), actor=officer
    )
    now = datetime(2031, 1, 1, 12, 0, tzinfo=UTC)
    feed = meetings.calendar_feed(
        group, host="engage.example.org", page_url=lambda m: f"https://e.org/m/{m.id}", now=now
    )

    calendar = icalendar.Calendar.from_ical(feed)
    assert str(calendar["VERSION"]) == "2.0" and "engage" in str(calendar["PRODID"])
    events = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    assert set(events) == {
        f"meeting-{first.id}@engage.example.org",
        f"meeting-{online.id}@engage.example.org",
    }
    spring = events[f"meeting-{first.id}@engage.example.org"]
    assert spring.decoded("DTSTART") == START
    assert spring.decoded("DTEND") == START + timedelta(hours=2)
    assert spring.decoded("DTSTAMP") == now
    assert str(spring["SUMMARY"]) == "Spring meeting, moved"
    assert str(spring["LOCATION"]) == "Town Hall, Room 2"
    assert str(spring["DESCRIPTION"]) == "Welcome\nAir quality report"
    assert str(spring["URL"]) == f"https://e.org/m/{first.id}"
    assert spring.decoded("SEQUENCE") == 1
    catch_up = events[f"meeting-{online.id}@engage.example.org"]
    assert str(catch_up["LOCATION"]) == "https://meet.example.org/abc"
    assert "DESCRIPTION" not in catch_up
    assert catch_up.decoded("SEQUENCE") == 0
    assert b"DTSTART:20310304T180000Z" in feed  # UTC, readable by every calendar


def test_the_calendar_names_engage_when_the_site_has_no_host(
    session: Session, group: AdvisoryGroup
) -> None:
    meeting = make_meeting(session, group)
    feed = meetings.calendar_feed(group, host="", page_url=lambda m: "", now=START)
    [event] = icalendar.Calendar.from_ical(feed).walk("VEVENT")
    assert str(event["UID"]) == f"meeting-{meeting.id}@engage"


def test_upcoming_and_past_meetings(session: Session, group: AdvisoryGroup) -> None:
    now = datetime.now(UTC)
    past_early = make_meeting(session, group, starts_at=now - timedelta(days=60))
    past_late = make_meeting(session, group, starts_at=now - timedelta(days=10))
    ongoing = make_meeting(session, group, starts_at=now - timedelta(hours=1))
    soon = make_meeting(session, group, starts_at=now + timedelta(days=3))
    session.refresh(group)
    upcoming, past = meetings.split_meetings(group, now)
    assert upcoming == [ongoing, soon]
    assert past == [past_late, past_early]
