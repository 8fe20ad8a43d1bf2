"""Advisory group meeting pages through the test client: scheduling, papers, attendance,
minutes and the calendar feed, and who may use each."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import icalendar
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.advisory import meetings
from engage.advisory.models import (
    AdvisoryGroup,
    Attendance,
    Meeting,
    MeetingPaper,
    MemberRole,
    MinutesStatus,
)
from engage.missions.models import MissionStatus
from engage.security import Role
from tests.advisory.test_meetings import pdf_bytes
from tests.codesign.conftest import address, audit_entries
from tests.conftest import AuthActions
from tests.factories import make_group, make_meeting, make_membership, make_mission, make_user
from tests.missions.test_views import field_error, field_value, page_text, sign_in


@pytest.fixture
def officer(session: Session) -> User:
    return make_user(session, role=Role.OFFICER, email="olu@example.org")


@pytest.fixture
def group(session: Session) -> AdvisoryGroup:
    return make_group(session, name="Healthy Streets Advisory Group", slug="healthy-streets")


# Next week, while the members the tests seat hold their seats.
STARTS_AT = datetime.now(UTC).replace(hour=18, minute=0, second=0, microsecond=0) + timedelta(7)


@pytest.fixture
def meeting(session: Session, group: AdvisoryGroup) -> Meeting:
    return make_meeting(session, group, title="Spring meeting", starts_at=STARTS_AT)


def reload(session: Session, model: Any, row_id: int) -> Any:
    session.rollback()  # see what the requests committed
    return session.get(model, row_id)


def meeting_form(**changes: str) -> dict[str, str]:
    form = {
        "title": "Summer meeting",
        "starts_at": "2031-06-10T18:30",
        "ends_at": "2031-06-10T20:30",
        "place": "Library, first floor",
        "link": "",
        "agenda": "Welcome\r\n\r\nCycle lanes\r\nAny other business",
    }
    form.update(changes)
    return form


def papers_folder(app: Flask) -> Path:
    return Path(app.instance_path) / meetings.PAPERS_FOLDER


def upload(client: FlaskClient, app: Flask, meeting_id: int, data: bytes, name: str) -> Any:
    return client.post(
        address(app, "advisory_meetings.upload_paper", meeting_id=meeting_id),
        data={"title": "", "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


# --- Meetings -----------------------------------------------------------------------------------


def test_an_officer_schedules_a_meeting_and_everyone_sees_it(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, officer: User,
    group: AdvisoryGroup,
) -> None:  # fmt: skip
    sign_in(auth, officer)
    response = client.post(
        address(app, "advisory_meetings.new", group_slug=group.slug), data=meeting_form()
    )
    assert response.status_code == 302
    [scheduled] = reload(session, AdvisoryGroup, group.id).meetings
    assert response.headers["Location"] == address(
        app, "advisory_meetings.show", meeting_id=scheduled.id
    )
    # Typed in the deployment's time zone (UTC here), stored in UTC.
    assert scheduled.starts_at == datetime(2031, 6, 10, 18, 30, tzinfo=UTC)
    assert scheduled.agenda == ["Welcome", "Cycle lanes", "Any other business"]
    assert len(audit_entries(session, "advisory.meeting_scheduled")) == 1

    auth.sign_out()
    listing = page_text(client.get(address(app, "advisory_meetings.index", group_slug=group.slug)))
    assert "Summer meeting" in listing and "Library, first floor" in listing
    assert address(app, "advisory_meetings.calendar", group_slug=group.slug) in listing
    page = page_text(client.get(address(app, "advisory_meetings.show", meeting_id=scheduled.id)))
    assert "Cycle lanes" in page and "Library, first floor" in page
    assert address(app, "advisory.show", group_slug=group.slug) in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ends_at": "2031-06-10T17:00"}, "ends_at", "must end after it starts"),
        ({"place": "", "link": ""}, "place", "Give the place of the meeting"),
        ({"link": "javascript:alert(1)"}, "link", "https://"),
        ({"starts_at": ""}, "starts_at", "Give the date and time the meeting starts."),
        ({"title": ""}, "title", "Give the meeting a title."),
    ],
)
def test_a_refused_meeting_shows_the_problem_beside_its_field_and_keeps_the_values(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, officer: User,
    group: AdvisoryGroup, changes: dict[str, str], field: str, message: str,
) -> None:  # fmt: skip
    sign_in(auth, officer)
    sent = meeting_form(**changes)
    page = page_text(
        client.post(address(app, "advisory_meetings.new", group_slug=group.slug), data=sent)
    )
    assert message in field_error(page, field)
    assert field_value(page, "place") == sent["place"]
    assert field_value(page, "link") == sent["link"]
    assert field_value(page, "agenda") == sent["agenda"]
    assert reload(session, AdvisoryGroup, group.id).meetings == []


def test_editing_a_meeting_shows_its_values_and_raises_its_sequence(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, officer: User,
    meeting: Meeting,
) -> None:  # fmt: skip
    sign_in(auth, officer)
    url = address(app, "advisory_meetings.edit", meeting_id=meeting.id)
    form = page_text(client.get(url))
    assert field_value(form, "starts_at") == STARTS_AT.strftime("%Y-%m-%dT18:00")
    assert field_value(form, "agenda") == "Welcome\nProgress report\nRecommendations"
    response = client.post(url, data=meeting_form(link="https://meet.example.org/spring"))
    assert response.status_code == 302
    stored = reload(session, Meeting, meeting.id)
    assert (stored.title, stored.link, stored.sequence) == (
        "Summer meeting", "https://meet.example.org/spring", 1
    )  # fmt: skip


def test_only_officers_schedule_and_edit_meetings(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, group: AdvisoryGroup,
    meeting: Meeting,
) -> None:  # fmt: skip
    chair = make_membership(session, group, role=MemberRole.CHAIR).user
    new = address(app, "advisory_meetings.new", group_slug=group.slug)
    edit = address(app, "advisory_meetings.edit", meeting_id=meeting.id)
    assert client.get(new).status_code == 302  # to the sign-in page
    sign_in(auth, chair)
    assert client.get(new).status_code == 403
    assert client.post(edit, data=meeting_form()).status_code == 403
    assert reload(session, Meeting, meeting.id).title == "Spring meeting"


def test_a_draft_missions_meetings_are_not_found_by_the_public(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    hidden = make_group(session, make_mission(session, status=MissionStatus.DRAFT))
    secret = make_meeting(session, hidden)
    for url in (
        address(app, "advisory_meetings.index", group_slug=hidden.slug),
        address(app, "advisory_meetings.show", meeting_id=secret.id),
        address(app, "advisory_meetings.calendar", group_slug=hidden.slug),
    ):
        assert client.get(url).status_code == 404


# --- Papers -------------------------------------------------------------------------------------


def test_a_pdf_paper_is_uploaded_and_downloaded_by_anyone_as_an_attachment(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, officer: User,
    meeting: Meeting,
) -> None:  # fmt: skip
    sign_in(auth, officer)
    data = pdf_bytes()
    response = upload(client, app, meeting.id, data, "Air quality report.pdf")
    assert response.status_code == 302
    [paper] = reload(session, Meeting, meeting.id).papers
    assert (paper.title, paper.sha256) == ("Air quality report", hashlib.sha256(data).hexdigest())
    assert [path.read_bytes() for path in papers_folder(app).iterdir()] == [data]

    auth.sign_out()
    page = page_text(client.get(address(app, "advisory_meetings.show", meeting_id=meeting.id)))
    download_url = address(app, "advisory_meetings.paper", paper_id=paper.id)
    assert download_url in page and "Air quality report" in page
    download = client.get(download_url)
    assert download.status_code == 200
    assert download.data == data
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "Air quality report.pdf" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert len(audit_entries(session, "advisory.paper_uploaded")) == 1

    for path in papers_folder(app).iterdir():
        path.unlink()  # an instance folder restored without its papers
    assert client.get(download_url).status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Minutes typed in a text editor, saved as .pdf\n", "not a PDF document"),
        (pdf_bytes(password="secret"), "protected by a password"),
        (b"%PDF-1.4\n" + b"0" * meetings.MAX_PAPER_BYTES, "larger than 10 MB"),
    ],
    ids=["text", "encrypted", "too-large"],
)
def test_a_refused_paper_is_explained_beside_the_file_field(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, officer: User,
    meeting: Meeting, data: bytes, message: str,
) -> None:  # fmt: skip
    sign_in(auth, officer)
    response = upload(client, app, meeting.id, data, "paper.pdf")
    assert response.status_code == 400
    assert message in field_error(page_text(response), "file")
    assert reload(session, Meeting, meeting.id).papers == []
    assert not papers_folder(app).exists() or list(papers_folder(app).iterdir()) == []


def test_the_chair_uploads_papers_but_other_members_cannot(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, group: AdvisoryGroup,
    meeting: Meeting,
) -> None:  # fmt: skip
    chair = make_membership(session, group, role=MemberRole.CHAIR).user
    member = make_membership(session, group).user
    sign_in(auth, member)
    assert upload(client, app, meeting.id, pdf_bytes(), "a.pdf").status_code == 403
    show = page_text(client.get(address(app, "advisory_meetings.show", meeting_id=meeting.id)))
    assert address(app, "advisory_meetings.upload_paper", meeting_id=meeting.id) not in show
    auth.sign_out()
    sign_in(auth, chair)
    show = page_text(client.get(address(app, "advisory_meetings.show", meeting_id=meeting.id)))
    assert address(app, "advisory_meetings.upload_paper", meeting_id=meeting.id) in show
    assert upload(client, app, meeting.id, pdf_bytes(), "a.pdf").status_code == 302
    assert len(reload(session, Meeting, meeting.id).papers) == 1


def test_an_officer_deletes_a_paper_and_its_file(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, officer: User,
    meeting: Meeting,
) -> None:  # fmt: skip
    sign_in(auth, officer)
    upload(client, app, meeting.id, pdf_bytes(), "old.pdf")
    [paper_id] = [paper.id for paper in reload(session, Meeting, meeting.id).papers]
    response = client.post(address(app, "advisory_meetings.delete_paper", paper_id=paper_id))
    assert response.status_code == 302
    assert reload(session, MeetingPaper, paper_id) is None
    assert list(papers_folder(app).iterdir()) == []
    assert client.get(address(app, "advisory_meetings.paper", paper_id=paper_id)).status_code == 404
    assert len(audit_entries(session, "advisory.paper_deleted")) == 1


# --- Attendance ---------------------------------------------------------------------------------


def test_a_member_records_attendance_and_the_page_shows_the_quorum(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, group: AdvisoryGroup,
    meeting: Meeting,
) -> None:  # fmt: skip
    seats = [make_membership(session, group) for _ in range(4)]
    sign_in(auth, seats[0].user)
    url = address(app, "advisory_meetings.attendance", meeting_id=meeting.id)
    form = page_text(client.get(url))
    assert all(seat.user.display_name in form for seat in seats)
    sent = {f"member_{seat.id}": "present" for seat in seats[:3]} | {
        f"member_{seats[3].id}": "apologies"
    }
    assert client.post(url, data=sent).status_code == 302
    statuses = {
        row.membership_id: row.status for row in reload(session, Meeting, meeting.id).attendance
    }
    assert statuses == {seats[0].id: Attendance.PRESENT, seats[1].id: Attendance.PRESENT,
                        seats[2].id: Attendance.PRESENT, seats[3].id: Attendance.APOLOGIES}  # fmt: skip

    auth.sign_out()
    page = page_text(client.get(address(app, "advisory_meetings.show", meeting_id=meeting.id)))
    assert "Quorate: 3 of 4 present, quorum 3." in page
    assert len(audit_entries(session, "advisory.attendance_recorded")) == 1


def test_a_sheet_without_enough_present_is_not_quorate(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, officer: User,
    group: AdvisoryGroup, meeting: Meeting,
) -> None:  # fmt: skip
    seats = [make_membership(session, group) for _ in range(3)]
    sign_in(auth, officer)
    sent = {f"member_{seats[0].id}": "present", f"member_{seats[1].id}": "absent"}
    client.post(address(app, "advisory_meetings.attendance", meeting_id=meeting.id), data=sent)
    page = page_text(client.get(address(app, "advisory_meetings.show", meeting_id=meeting.id)))
    assert "Not quorate: 1 of 3 present, quorum 3." in page


def test_people_outside_the_group_cannot_record_attendance(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, group: AdvisoryGroup,
    meeting: Meeting,
) -> None:  # fmt: skip
    seat = make_membership(session, group)
    url = address(app, "advisory_meetings.attendance", meeting_id=meeting.id)
    sign_in(auth, make_user(session))
    assert client.get(url).status_code == 403
    assert client.post(url, data={f"member_{seat.id}": "present"}).status_code == 403
    assert reload(session, Meeting, meeting.id).attendance == []


def test_an_unknown_status_is_refused_beside_the_member(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, group: AdvisoryGroup,
    meeting: Meeting,
) -> None:  # fmt: skip
    seat = make_membership(session, group)
    sign_in(auth, seat.user)
    url = address(app, "advisory_meetings.attendance", meeting_id=meeting.id)
    page = page_text(client.post(url, data={f"member_{seat.id}": "asleep"}))
    assert "Choose present, apologies, absent or not recorded." in field_error(
        page, f"member_{seat.id}"
    )
    assert reload(session, Meeting, meeting.id).attendance == []


# --- Minutes ------------------------------------------------------------------------------------


def test_draft_minutes_are_for_members_and_approved_minutes_for_everyone(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, group: AdvisoryGroup,
    meeting: Meeting,
) -> None:  # fmt: skip
    chair = make_membership(session, group, role=MemberRole.CHAIR).user
    member = make_membership(session, group).user
    show = address(app, "advisory_meetings.show", meeting_id=meeting.id)
    url = address(app, "advisory_meetings.minutes", meeting_id=meeting.id)
    sign_in(auth, chair)
    sent = {
        "minutes": "Rosa opened the meeting.",
        "decisions": "Ask for sensors.",
        "action": "save",
    }
    assert client.post(url, data=sent).status_code == 302
    assert reload(session, Meeting, meeting.id).minutes_status is MinutesStatus.DRAFT
    auth.sign_out()

    assert "Rosa opened the meeting." not in page_text(client.get(show))
    assert "Ask for sensors." in page_text(client.get(show))  # decisions are public at once
    sign_in(auth, member)
    assert "Rosa opened the meeting." in page_text(client.get(show))
    assert client.get(url).status_code == 403  # members read drafts; the chair writes them
    auth.sign_out()

    sign_in(auth, chair)
    assert field_value(page_text(client.get(url)), "minutes") == "Rosa opened the meeting."
    approved = {**sent, "minutes": "Rosa opened the meeting at six.", "action": "approve"}
    assert client.post(url, data=approved).status_code == 302
    auth.sign_out()
    stored = reload(session, Meeting, meeting.id)
    assert (stored.minutes_status, stored.minutes) == (
        MinutesStatus.APPROVED,
        "Rosa opened the meeting at six.",
    )
    assert "Rosa opened the meeting at six." in page_text(client.get(show))
    assert len(audit_entries(session, "advisory.minutes_approved")) == 1


def test_approved_minutes_are_corrected_only_by_an_officer_with_a_reason(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, officer: User,
    group: AdvisoryGroup, meeting: Meeting,
) -> None:  # fmt: skip
    chair = make_membership(session, group, role=MemberRole.CHAIR).user
    meetings.approve_minutes(
        session,
        meeting.id,
        minutes="Agreed.",
        decisions="",
        actor=chair,
        today=datetime.now(UTC).date(),
    )
    url = address(app, "advisory_meetings.minutes", meeting_id=meeting.id)
    correction = {"minutes": "Agreed, corrected.", "decisions": "", "reason": "", "action": "save"}
    sign_in(auth, chair)
    assert client.post(url, data={**correction, "reason": "Typo"}).status_code == 403
    auth.sign_out()

    sign_in(auth, officer)
    page = page_text(client.post(url, data=correction))
    assert "Say why the approved minutes are changed." in field_error(page, "reason")
    assert field_value(page, "minutes") == "Agreed, corrected."
    assert reload(session, Meeting, meeting.id).minutes == "Agreed."
    response = client.post(url, data={**correction, "reason": "A name was misspelt."})
    assert response.status_code == 302
    assert reload(session, Meeting, meeting.id).minutes == "Agreed, corrected."
    [entry] = audit_entries(session, "advisory.minutes_corrected")
    assert (entry.actor_id, entry.details["reason"]) == (officer.id, "A name was misspelt.")


def test_minutes_must_be_written_before_they_are_saved(
    app: Flask, client: FlaskClient, auth: AuthActions, session: Session, officer: User,
    meeting: Meeting,
) -> None:  # fmt: skip
    sign_in(auth, officer)
    url = address(app, "advisory_meetings.minutes", meeting_id=meeting.id)
    page = page_text(
        client.post(url, data={"minutes": "", "decisions": "Keep this.", "action": "approve"})
    )
    assert "Write the minutes." in field_error(page, "minutes")
    assert field_value(page, "decisions") == "Keep this."
    assert reload(session, Meeting, meeting.id).minutes_status is MinutesStatus.NONE


# --- The calendar -------------------------------------------------------------------------------


def test_the_calendar_feed_lists_the_groups_meetings(
    app: Flask, client: FlaskClient, session: Session, group: AdvisoryGroup, meeting: Meeting
) -> None:
    other = make_meeting(session, group, title="Autumn meeting")
    make_meeting(session, make_group(session), title="Another group's meeting")
    response = client.get(address(app, "advisory_meetings.calendar", group_slug=group.slug))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.data)
    events = {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}
    assert set(events) == {"Spring meeting", "Autumn meeting"}
    spring = events["Spring meeting"]
    base = app.config["BASE_URL"].rstrip("/")
    host = urlsplit(base).hostname
    assert str(spring["UID"]) == f"meeting-{meeting.id}@{host}"
    assert str(spring["URL"]) == base + address(
        app, "advisory_meetings.show", meeting_id=meeting.id
    )
    assert spring.decoded("DTSTART") == STARTS_AT
    assert events["Autumn meeting"].decoded("DTEND") - events["Autumn meeting"].decoded(
        "DTSTART"
    ) == timedelta(hours=2)
    assert str(events["Autumn meeting"]["UID"]) == f"meeting-{other.id}@{host}"
