"""Advisory group meetings: scheduling (date, place or link, agenda), papers (validated PDFs kept
under the instance folder), attendance and the quorum check, minutes drafted then approved,
decisions, and the group's iCalendar feed.

Who may do what: officers schedule meetings and delete papers; officers and the group's chair
upload papers and write and approve minutes; the group's current members and officers record
attendance. Meetings and their papers are public once scheduled, like a council's public papers;
minutes are public once approved, and drafts are for members and officers only. Decisions are
public as soon as they are written. Changes are audit-logged.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import icalendar
import sqlalchemy as sa
from pypdf import PdfReader
from sqlalchemy.orm import Session

from engage import audit
from engage.accounts.models import User
from engage.advisory import services
from engage.advisory.models import (
    AdvisoryGroup,
    Attendance,
    Meeting,
    MeetingAttendance,
    MeetingPaper,
    MemberRole,
    MinutesStatus,
)
from engage.db import utcnow
from engage.errors import N_, Conflict, Forbidden, Invalid, NotFound
from engage.security import Role, holds

MAX_PAPER_BYTES = 10 * 1024 * 1024
PAPERS_FOLDER = "advisory-papers"  # inside the app's instance folder
_STORED_NAME = re.compile(r"[A-Za-z0-9_-]{20,64}\.pdf")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class MeetingFields:
    title: str
    starts_at: datetime  # aware, UTC
    ends_at: datetime  # aware, UTC
    place: str
    link: str  # an online meeting's address, http(s)
    agenda: list[str]  # items in order


# --- Who may do what ----------------------------------------------------------------------------


def _is_chair(group: AdvisoryGroup, user: Any, today: date) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return any(
        m.user_id == user.id and m.role is MemberRole.CHAIR
        for m in services.current_members(group, today)
    )


def can_write_minutes(meeting: Meeting, user: Any, today: date) -> bool:
    """Officers and the group's chair write, approve and upload papers for its meetings."""
    return holds(user, Role.OFFICER) or _is_chair(meeting.group, user, today)


def can_record_attendance(meeting: Meeting, user: Any, today: date) -> bool:
    return holds(user, Role.OFFICER) or services.is_member(meeting.group, user, today)


def minutes_visible(meeting: Meeting, user: Any, today: date) -> bool:
    """Approved minutes are public; a draft only for the group's members and officers."""
    if meeting.minutes_status is MinutesStatus.APPROVED:
        return True
    return meeting.minutes_status is MinutesStatus.DRAFT and can_record_attendance(
        meeting, user, today
    )


def _require_officer(user: Any) -> None:
    if not holds(user, Role.OFFICER):
        raise Forbidden(N_("Only officers can do this."))


def require_minute_writer(meeting: Meeting, user: Any, today: date) -> None:
    if not can_write_minutes(meeting, user, today):
        raise Forbidden(N_("Only officers and the group's chair can do this."))


def require_attendance_recorder(meeting: Meeting, user: Any, today: date) -> None:
    if not can_record_attendance(meeting, user, today):
        raise Forbidden(N_("Only the group's members and officers can record attendance."))


# --- Meetings -----------------------------------------------------------------------------------


def get_meeting(session: Session, meeting_id: int, *, viewer: Any) -> Meeting:
    """A meeting, hidden like its group (a draft mission's groups only for officers)."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(N_("There is no such meeting."))
    services.get_group(session, meeting.group.slug, viewer=viewer)
    return meeting


def split_meetings(group: AdvisoryGroup, now: datetime) -> tuple[list[Meeting], list[Meeting]]:
    """Upcoming meetings (those not over yet) soonest first, and past ones latest first."""
    upcoming = [m for m in group.meetings if m.ends_at >= now]
    past = [m for m in reversed(group.meetings) if m.ends_at < now]
    return upcoming, past


def _check_meeting(values: MeetingFields) -> dict[str, Any]:
    """The checked values as the meeting's columns."""
    title = values.title.strip()
    if not title:
        raise Invalid(N_("Give the meeting a title."), field="title")
    if values.ends_at <= values.starts_at:
        raise Invalid(N_("The meeting must end after it starts."), field="ends_at")
    place, link = values.place.strip(), values.link.strip()
    if not place and not link:
        raise Invalid(
            N_("Give the place of the meeting, a link to join it online, or both."), field="place"
        )
    if link:
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise Invalid(N_("Give a web address starting with https:// or http://."), field="link")
    return {
        "title": title,
        "starts_at": values.starts_at,
        "ends_at": values.ends_at,
        "place": place,
        "link": link,
        "agenda": [item.strip() for item in values.agenda if item.strip()],
    }


def schedule_meeting(
    session: Session, group_slug: str, values: MeetingFields, *, actor: User
) -> Meeting:
    _require_officer(actor)
    group = services.get_group(session, group_slug, viewer=actor)
    meeting = Meeting(group=group, **_check_meeting(values))
    session.add(meeting)
    session.flush()
    audit.record(
        session, actor, "advisory.meeting_scheduled", f"advisory_meeting:{meeting.id}",
        {"group": group.id, "starts_at": meeting.starts_at.isoformat()},
    )  # fmt: skip
    session.commit()
    return meeting


def update_meeting(
    session: Session, meeting_id: int, values: MeetingFields, *, actor: User
) -> Meeting:
    _require_officer(actor)
    meeting = get_meeting(session, meeting_id, viewer=actor)
    changed: dict[str, list[Any]] = {}
    for name, after in _check_meeting(values).items():
        before = getattr(meeting, name)
        if before != after:
            changed[name] = [before, after]
            setattr(meeting, name, after)
    if changed:
        # Calendar clients replace their copy only when the sequence number goes up.
        meeting.sequence += 1
        audit.record(
            session, actor, "advisory.meeting_updated", f"advisory_meeting:{meeting.id}", changed
        )
    session.commit()
    return meeting


# --- Papers -------------------------------------------------------------------------------------


def _check_pdf(data: bytes) -> None:
    if not data:
        raise Invalid(N_("The file is empty."), field="file")
    if len(data) > MAX_PAPER_BYTES:
        raise Invalid(N_("The file is larger than 10 MB."), field="file")
    not_a_pdf = Invalid(N_("The file is not a PDF document that can be opened."), field="file")
    if not data.startswith(b"%PDF-"):
        raise not_a_pdf
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
        if not encrypted:
            len(reader.pages)  # reading the page tree finds files broken past their header
    # pypdf raises many kinds of error on malformed input (its own, ValueError, KeyError, ...):
    # whatever it is, the file cannot be opened, which is what a reader of the paper would find.
    except Exception as error:
        raise not_a_pdf from error
    if encrypted:
        raise Invalid(
            N_("The PDF is protected by a password. Upload a copy without one."), field="file"
        )


def _download_name(filename: str) -> str:
    """The uploaded file's own name without folders or control characters, ending in .pdf."""
    name = _CONTROL_CHARACTERS.sub("", re.split(r"[/\\]", filename)[-1]).strip()
    if not name.lower().endswith(".pdf"):
        name = f"{name or 'paper'}.pdf"
    return name[-200:]


def _write_new(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def paper_path(folder: Path, paper: MeetingPaper) -> Path:
    """Where a paper's file is kept in ``folder``."""
    if not _STORED_NAME.fullmatch(paper.stored_name):  # only ever our own random names
        raise NotFound(N_("There is no such paper."))
    return folder / paper.stored_name


def paper_file(folder: Path, paper: MeetingPaper) -> Path:
    """The paper's file, to send; not found when it has gone (an instance folder restored
    without its papers, say)."""
    path = paper_path(folder, paper)
    if not path.is_file():
        raise NotFound(N_("The file of this paper is missing. Ask an officer to upload it again."))
    return path


def upload_paper(
    session: Session,
    meeting_id: int,
    *,
    title: str,
    filename: str,
    data: bytes,
    folder: Path,
    actor: User,
    today: date,
) -> MeetingPaper:
    """Keep a PDF for the meeting in ``folder`` (the instance's papers folder)."""
    meeting = get_meeting(session, meeting_id, viewer=actor)
    require_minute_writer(meeting, actor, today)
    _check_pdf(data)
    download_name = _download_name(filename)
    paper = MeetingPaper(
        meeting=meeting,
        title=title.strip() or download_name[: -len(".pdf")] or download_name,
        filename=download_name,
        stored_name=f"{secrets.token_urlsafe(24)}.pdf",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=actor.id,
    )
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = paper_path(folder, paper)
    _write_new(path, data)
    try:
        session.add(paper)
        session.flush()
        audit.record(
            session, actor, "advisory.paper_uploaded", f"advisory_meeting:{meeting.id}",
            {"paper": paper.id, "size": paper.size, "sha256": paper.sha256},
        )  # fmt: skip
        session.commit()
    except BaseException:
        session.rollback()
        path.unlink(missing_ok=True)  # no row points to it
        raise
    return paper


def get_paper(session: Session, paper_id: int, *, viewer: Any) -> MeetingPaper:
    paper = session.get(MeetingPaper, paper_id)
    if paper is None:
        raise NotFound(N_("There is no such paper."))
    get_meeting(session, paper.meeting_id, viewer=viewer)
    return paper


def delete_paper(session: Session, paper_id: int, *, folder: Path, actor: User) -> Meeting:
    """Remove a paper and its file; returns its meeting."""
    _require_officer(actor)
    paper = get_paper(session, paper_id, viewer=actor)
    meeting, path = paper.meeting, paper_path(folder, paper)
    audit.record(
        session, actor, "advisory.paper_deleted", f"advisory_meeting:{meeting.id}",
        {"paper": paper.id, "title": paper.title, "sha256": paper.sha256},
    )  # fmt: skip
    session.delete(paper)
    session.commit()
    # Only once the row is gone for good: a failed commit must not leave a row without its file.
    path.unlink(missing_ok=True)
    return meeting


# --- Attendance and quorum ----------------------------------------------------------------------


def record_attendance(
    session: Session,
    meeting_id: int,
    statuses: Mapping[int, Attendance | None],
    *,
    actor: User,
    today: date,
) -> Meeting:
    """Set the attendance sheet: each member's status by membership id; None (or a member left
    out) clears what was recorded, so apologies can be noted before the meeting."""
    meeting = get_meeting(session, meeting_id, viewer=actor)
    require_attendance_recorder(meeting, actor, today)
    # Two people saving the sheet at once would both insert the same member's row: the second
    # waits here, then reads the first one's rows (PostgreSQL; SQLite already serialises writers).
    session.execute(sa.select(Meeting.id).where(Meeting.id == meeting.id).with_for_update())
    session.expire(meeting, ["attendance"])
    seated = {membership.id for membership, _status in services.attendance_sheet(meeting)}
    if set(statuses) - seated:
        raise Invalid(N_("Record attendance only for the members seated on the meeting's day."))
    rows = {row.membership_id: row for row in meeting.attendance}
    for membership_id in seated:
        status, row = statuses.get(membership_id), rows.get(membership_id)
        if status is None and row is not None:
            meeting.attendance.remove(row)
        elif status is not None and row is None:
            meeting.attendance.append(MeetingAttendance(membership_id=membership_id, status=status))
        elif status is not None and row is not None:
            row.status = status
    session.flush()
    counts = {kind.value: 0 for kind in Attendance}
    for row in meeting.attendance:
        counts[row.status.value] += 1
    audit.record(
        session, actor, "advisory.attendance_recorded", f"advisory_meeting:{meeting.id}", counts
    )
    session.commit()
    return meeting


# --- Minutes and decisions ----------------------------------------------------------------------


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def save_minutes(
    session: Session,
    meeting_id: int,
    *,
    minutes: str,
    decisions: str,
    reason: str,
    actor: User,
    today: date,
) -> Meeting:
    """Save the minutes as a draft, or correct approved minutes (officers only, with a reason).
    Decisions are public as soon as they are saved."""
    meeting = get_meeting(session, meeting_id, viewer=actor)
    require_minute_writer(meeting, actor, today)
    minutes, decisions, reason = minutes.strip(), decisions.strip(), reason.strip()
    if not minutes:
        raise Invalid(N_("Write the minutes."), field="minutes")
    if meeting.minutes_status is MinutesStatus.APPROVED:
        return _correct_approved(session, meeting, minutes, decisions, reason, actor)
    meeting.minutes, meeting.decisions = minutes, decisions
    meeting.minutes_status = MinutesStatus.DRAFT
    audit.record(
        session, actor, "advisory.minutes_drafted", f"advisory_meeting:{meeting.id}",
        {"minutes_sha256": _digest(minutes), "decisions_sha256": _digest(decisions)},
    )  # fmt: skip
    session.commit()
    return meeting


def _correct_approved(
    session: Session, meeting: Meeting, minutes: str, decisions: str, reason: str, actor: User
) -> Meeting:
    """Approved minutes are the record: only an officer changes them, saying why, and the log
    keeps digests of both texts so any copy can be checked against what was approved."""
    if not holds(actor, Role.OFFICER):
        raise Forbidden(N_("Approved minutes can only be corrected by an officer."))
    if minutes == meeting.minutes and decisions == meeting.decisions:
        return meeting
    if not reason:
        raise Invalid(N_("Say why the approved minutes are changed."), field="reason")
    audit.record(
        session, actor, "advisory.minutes_corrected", f"advisory_meeting:{meeting.id}",
        {"reason": reason,
         "minutes_sha256": [_digest(meeting.minutes), _digest(minutes)],
         "decisions_sha256": [_digest(meeting.decisions), _digest(decisions)]},
    )  # fmt: skip
    meeting.minutes, meeting.decisions = minutes, decisions
    session.commit()
    return meeting


def approve_minutes(
    session: Session,
    meeting_id: int,
    *,
    minutes: str,
    decisions: str,
    actor: User,
    today: date,
) -> Meeting:
    """Approve the minutes as written here: from now on they are public and fixed."""
    meeting = get_meeting(session, meeting_id, viewer=actor)
    require_minute_writer(meeting, actor, today)
    if meeting.minutes_status is MinutesStatus.APPROVED:
        raise Conflict(N_("These minutes are already approved."))
    minutes, decisions = minutes.strip(), decisions.strip()
    if not minutes:
        raise Invalid(N_("Write the minutes."), field="minutes")
    meeting.minutes, meeting.decisions = minutes, decisions
    meeting.minutes_status = MinutesStatus.APPROVED
    meeting.minutes_approved_at = utcnow()
    audit.record(
        session, actor, "advisory.minutes_approved", f"advisory_meeting:{meeting.id}",
        {"minutes_sha256": _digest(minutes), "decisions_sha256": _digest(decisions)},
    )  # fmt: skip
    session.commit()
    return meeting


# --- The calendar -------------------------------------------------------------------------------


def calendar_feed(
    group: AdvisoryGroup, *, host: str, page_url: Callable[[Meeting], str], now: datetime
) -> bytes:
    """The group's meetings as an iCalendar file. ``host`` names this site in the events' UIDs
    (keep it stable, or calendars see new events); ``page_url`` gives a meeting's absolute
    address."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//engage//Advisory group meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", group.name)
    for meeting in group.meetings:
        event = icalendar.Event()
        event.add("uid", f"meeting-{meeting.id}@{host or 'engage'}")
        event.add("dtstamp", now)
        event.add("dtstart", meeting.starts_at)
        event.add("dtend", meeting.ends_at)
        event.add("summary", meeting.title)
        event.add("location", meeting.place or meeting.link)
        event.add("url", page_url(meeting))
        if meeting.agenda:
            event.add("description", "\n".join(meeting.agenda))
        event.add("sequence", meeting.sequence)
        calendar.add_component(event)
    feed: bytes = calendar.to_ical()
    return feed
