"""A mission's advisory groups as evidence items. Evaluation reads advisory groups only through
here.

Only the groups attached to the mission count: a city-wide group (``mission_id`` None) belongs
to no mission, so none of its meetings, recommendations or members is any mission's evidence.
For each of the mission's groups:

- ``advisory.minutes``: one per meeting whose minutes are approved (drafts and meetings without
  minutes are not public), with its decisions, how many members were present, sent apologies or
  were absent, and whether enough were present for the decisions to count (``quorate``).
- ``advisory.recommendation``: one per recommendation the group adopted, with the text of the
  version adopted, the meeting that adopted it, how many versions and comments it took, and
  ``register_entry_id``: the mission's register entry, which with the city's response already is
  evidence from missions (``missions.recommendation`` / ``missions.response``) and is joined to
  by that id, never repeated here. Drafts still being drafted and withdrawn ones are the members'
  private workspace and are not evidence.
- ``advisory.membership``: one per group, as of ``today``: seats, current members by role and
  by how their seat was filled, and how many terms end within ``terms.ENDING_SOON_DAYS`` days.
  Counts only.

Items come kind by kind in that order: minutes by meeting start, recommendations by the start of
the meeting that adopted them, summaries by group, each then by id. Everything is read with a
fixed number of queries, whatever the number of meetings, drafts or members.

Contributor keys. As in co-design (``engage.codesign.evidence``), the key is an ordinal within
the mission: ``advisory:m<mission>:p<n>`` for the n-th person to write in any of the mission's
groups' workspaces (start a draft, write a version, comment), in the order of their first
writing, whatever became of the draft (adopting or withdrawing one renumbers no one). It is not
numbered by membership, which the public member list shows in order and would give away. An
adopted recommendation carries the key of the member who proposed it and, in ``drafters``, the
keys of everyone who wrote a version of it; the register entry stays the group's, keyless.
Minutes and summaries are the group's: no key. No name, e-mail or account id appears anywhere.

Segments. An adopted recommendation carries the demographic segment of the member who proposed it
(the one its key names; ``engage.accounts.services.consented_segments``) only where that member
consented to its use in evaluation. Minutes and membership summaries carry none.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from engage.accounts.services import consented_segments
from engage.advisory import terms
from engage.advisory.models import (
    AdvisoryGroup,
    Attendance,
    DraftComment,
    DraftRecommendation,
    DraftStatus,
    DraftVersion,
    Meeting,
    MeetingAttendance,
    MemberRole,
    MinutesStatus,
    SeatFilling,
)
from engage.evidence import EvidenceItem, numbered_contributors

MINUTES_SOURCE = "advisory.minutes"
RECOMMENDATION_SOURCE = "advisory.recommendation"
MEMBERSHIP_SOURCE = "advisory.membership"


def evidence_items(
    session: Session, mission_id: int, *, today: date | None = None
) -> Iterator[EvidenceItem]:
    """The mission's advisory evidence; ``today`` dates the membership summaries."""
    groups = {
        group.id: group
        for group in session.scalars(
            sa.select(AdvisoryGroup)
            .where(AdvisoryGroup.mission_id == mission_id)
            .options(selectinload(AdvisoryGroup.memberships))
            .order_by(AdvisoryGroup.created_at, AdvisoryGroup.id)
        )
    }
    if not groups:
        return
    yield from _minutes_items(session, mission_id, groups)
    yield from _recommendation_items(session, mission_id, groups)
    yield from _membership_items(mission_id, groups, today or date.today())


def contributor_keys(session: Session, mission_id: int) -> dict[int, str]:
    """Account id -> the pseudonymous key of everyone who wrote in the mission's workspaces."""
    mission_drafts = (
        sa.select(DraftRecommendation.id)
        .join(AdvisoryGroup, AdvisoryGroup.id == DraftRecommendation.group_id)
        .where(AdvisoryGroup.mission_id == mission_id)
    )
    written = sa.union_all(
        sa.select(
            DraftRecommendation.created_by_id.label("author_id"),
            DraftRecommendation.created_at.label("at"),
        ).where(DraftRecommendation.id.in_(mission_drafts)),
        sa.select(DraftVersion.author_id, DraftVersion.created_at).where(
            DraftVersion.draft_id.in_(mission_drafts)
        ),
        sa.select(DraftComment.author_id, DraftComment.created_at).where(
            DraftComment.draft_id.in_(mission_drafts)
        ),
    ).subquery()
    return numbered_contributors(session, written, f"advisory:m{mission_id}")


def _group_attributes(group: AdvisoryGroup) -> dict[str, str]:
    return {"group_id": str(group.id), "group_name": group.name}


def _minutes_items(
    session: Session, mission_id: int, groups: dict[int, AdvisoryGroup]
) -> Iterator[EvidenceItem]:
    approved = sa.and_(
        Meeting.group_id.in_(list(groups)), Meeting.minutes_status == MinutesStatus.APPROVED
    )
    meetings = session.scalars(
        sa.select(Meeting).where(approved).order_by(Meeting.starts_at, Meeting.id)
    ).all()
    # Counted by the database: who attended never leaves it.
    attendance = {
        (meeting_id, status): count
        for meeting_id, status, count in session.execute(
            sa.select(MeetingAttendance.meeting_id, MeetingAttendance.status, sa.func.count())
            .join(Meeting, Meeting.id == MeetingAttendance.meeting_id)
            .where(approved)
            .group_by(MeetingAttendance.meeting_id, MeetingAttendance.status)
        )
    }
    for meeting in meetings:
        group = groups[meeting.group_id]
        counts = {status: attendance.get((meeting.id, status), 0) for status in Attendance}
        approved_at = meeting.minutes_approved_at
        yield EvidenceItem(
            source_kind=MINUTES_SOURCE,
            source_id=meeting.id,
            mission_id=mission_id,
            created_at=meeting.starts_at,
            title=f"Minutes: {meeting.title}",
            text=meeting.minutes,
            attributes=_group_attributes(group)
            | {
                "meeting_title": meeting.title,
                "meeting_date": meeting.starts_at.date().isoformat(),
                "minutes_approved_on": approved_at.date().isoformat() if approved_at else "",
                "decisions": meeting.decisions,
                "present": str(counts[Attendance.PRESENT]),
                "apologies": str(counts[Attendance.APOLOGIES]),
                "absent": str(counts[Attendance.ABSENT]),
                "quorum": str(group.quorum),
                "quorate": "yes" if counts[Attendance.PRESENT] >= group.quorum else "no",
            },
        )


def _recommendation_items(
    session: Session, mission_id: int, groups: dict[int, AdvisoryGroup]
) -> Iterator[EvidenceItem]:
    adopted = sa.and_(
        DraftRecommendation.group_id.in_(list(groups)),
        DraftRecommendation.status == DraftStatus.ADOPTED,
    )
    rows = session.execute(
        sa.select(DraftRecommendation, Meeting)
        .outerjoin(Meeting, Meeting.id == DraftRecommendation.adopted_at_meeting_id)
        .where(adopted)
        .options(selectinload(DraftRecommendation.versions))
    ).all()
    if not rows:
        return
    comments = dict(
        session.execute(
            sa.select(DraftComment.draft_id, sa.func.count())
            .join(DraftRecommendation, DraftRecommendation.id == DraftComment.draft_id)
            .where(adopted)
            .group_by(DraftComment.draft_id)
        ).all()
    )
    keys = contributor_keys(session, mission_id)
    segments = consented_segments(
        session, {draft.created_by_id for draft, _ in rows if draft.created_by_id is not None}
    )
    for draft, meeting in sorted(rows, key=lambda row: (_adopted_on(*row), row[0].id)):
        adopted_version = draft.current
        drafters = dict.fromkeys(
            keys[version.author_id] for version in draft.versions if version.author_id in keys
        )
        yield EvidenceItem(
            source_kind=RECOMMENDATION_SOURCE,
            source_id=draft.id,
            mission_id=mission_id,
            created_at=_adopted_on(draft, meeting),
            title=draft.title,
            text=adopted_version.text if adopted_version else "",
            contributor_key=keys.get(draft.created_by_id) if draft.created_by_id else None,
            segment=segments.get(draft.created_by_id) if draft.created_by_id else None,
            attributes=_group_attributes(groups[draft.group_id])
            | {
                "meeting_id": str(meeting.id) if meeting else "",
                "meeting_date": meeting.starts_at.date().isoformat() if meeting else "",
                "register_entry_id": str(draft.register_entry_id or ""),
                "versions": str(len(draft.versions)),
                "comments": str(comments.get(draft.id, 0)),
                "drafters": ",".join(drafters),
            },
        )


def _adopted_on(draft: DraftRecommendation, meeting: Meeting | None) -> datetime:
    # If the adopting meeting was deleted since, the version adopted is the next best date.
    return meeting.starts_at if meeting else (draft.current or draft).created_at


def _membership_items(
    mission_id: int, groups: dict[int, AdvisoryGroup], today: date
) -> Iterator[EvidenceItem]:
    for group in groups.values():
        current = [membership for membership in group.memberships if membership.is_current(today)]
        roles = Counter(membership.role for membership in current)
        filled = Counter(membership.filled_by for membership in current)
        seats = [terms.Seat(m.id, m.term_start, m.term_end) for m in current]
        ending = len(terms.ending_soon(seats, today))
        attributes = _group_attributes(group) | {
            "as_of": today.isoformat(),
            "filling": group.filling.value,
            "seats": str(group.seats),
            "members": str(len(current)),
            "vacant": str(max(0, group.seats - len(current))),
            "terms_ending_soon": str(ending),
            "ending_soon_days": str(terms.ENDING_SOON_DAYS),
        }
        attributes |= {f"role.{role.value}": str(roles[role]) for role in MemberRole}
        attributes |= {f"filled_by.{way.value}": str(filled[way]) for way in SeatFilling}
        yield EvidenceItem(
            source_kind=MEMBERSHIP_SOURCE,
            source_id=group.id,
            mission_id=mission_id,
            created_at=group.created_at,
            title=f"Membership of {group.name}",
            text=(
                f"{len(current)} of {group.seats} seats filled on {today.isoformat()}; "
                f"{ending} terms end within {terms.ENDING_SOON_DAYS} days."
            ),
            attributes=attributes,
        )
