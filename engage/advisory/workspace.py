"""The members' workspace: recommendations drafted together (versions and comments), adopted at
a meeting into the mission's recommendation-and-response register, and the register's record of
the city's answers to the group, with overdue responses flagged and reminded.

The workspace is the members' own space: only the group's current members read or write in it,
not officers and not administrators. A recommendation is adopted by the group's current chair or
vice-chair, who record the meeting's decision; officers then answer it in the register, so the
group's voice and the city's answer never come from the same hands."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import pairwise
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from engage import audit
from engage.accounts.models import User
from engage.advisory import services
from engage.advisory.models import (
    AdvisoryGroup,
    DraftComment,
    DraftRecommendation,
    DraftStatus,
    DraftVersion,
    Meeting,
    MemberRole,
)
from engage.errors import N_, Conflict, Forbidden, Invalid, NotFound
from engage.missions import diff
from engage.missions import services as missions
from engage.missions.models import (
    Mission,
    MissionStatus,
    Recommendation,
    RecommendationSourceKind,
)

# Who records that the group adopted a recommendation at a meeting.
ADOPTING_ROLES = (MemberRole.CHAIR, MemberRole.VICE_CHAIR)


@dataclass
class DraftFields:
    title: str
    text: str


# --- Who may do what ----------------------------------------------------------------------------


def _role_in(group: AdvisoryGroup, user: Any, today: date) -> MemberRole | None:
    """The user's role among the group's current members, or None for anyone else."""
    if user is None or not user.is_authenticated:
        return None
    return next(
        (m.role for m in services.current_members(group, today) if m.user_id == user.id), None
    )


def check_open(draft: DraftRecommendation) -> None:
    """Only a draft still being written can change; an adopted one is in the register."""
    if draft.status is DraftStatus.ADOPTED:
        raise Conflict(N_("This recommendation has been adopted: its draft is closed."))
    if draft.status is DraftStatus.WITHDRAWN:
        raise Conflict(N_("This draft was withdrawn: it is closed."))


def check_may_adopt(draft: DraftRecommendation, user: Any, today: date) -> None:
    services.require_member(draft.group, user, today)
    if draft.status is DraftStatus.ADOPTED:
        raise Conflict(N_("This recommendation has already been adopted."))
    check_open(draft)
    if _role_in(draft.group, user, today) not in ADOPTING_ROLES:
        raise Forbidden(N_("Only the group's chair or vice-chair can record an adoption."))


def check_may_withdraw(draft: DraftRecommendation, user: Any, today: date) -> None:
    services.require_member(draft.group, user, today)
    check_open(draft)
    if draft.created_by_id != user.id and _role_in(draft.group, user, today) not in ADOPTING_ROLES:
        raise Forbidden(
            N_(
                "Only the member who started the draft, the chair or the vice-chair can withdraw it."
            )
        )


def _allowed(check: Callable[[], None]) -> bool:
    try:
        check()
    except (Conflict, Forbidden):
        return False
    return True


# --- Reading the workspace ----------------------------------------------------------------------


@dataclass(frozen=True)
class Workspace:
    group: AdvisoryGroup
    drafts: list[DraftRecommendation]  # those being written first, then adopted, then withdrawn


_STATUS_ORDER = {DraftStatus.DRAFTING: 0, DraftStatus.ADOPTED: 1, DraftStatus.WITHDRAWN: 2}


def get_workspace(session: Session, slug: str, *, viewer: Any, today: date) -> Workspace:
    group = services.get_group(session, slug, viewer=viewer)
    services.require_member(group, viewer, today)
    drafts = session.scalars(
        sa.select(DraftRecommendation)
        .where(DraftRecommendation.group_id == group.id)
        .options(
            selectinload(DraftRecommendation.versions), selectinload(DraftRecommendation.comments)
        )
        .order_by(DraftRecommendation.id.desc())
    )
    return Workspace(group, sorted(drafts, key=lambda d: _STATUS_ORDER[d.status]))


def _get_draft(session: Session, draft_id: int, *, for_update: bool = False) -> DraftRecommendation:
    # Changes lock the row (PostgreSQL; SQLite writers queue anyway), so two members saving at
    # once cannot both take the same version number or both adopt it.
    draft = session.get(
        DraftRecommendation, draft_id, with_for_update=for_update, populate_existing=for_update
    )
    if draft is None:
        raise NotFound(N_("There is no such draft recommendation."))
    return draft


@dataclass(frozen=True)
class DraftPage:
    draft: DraftRecommendation
    entry: Recommendation | None  # its entry in the register, once adopted
    diffs: dict[int, list[diff.Segment]]  # by version id: the change from the version before
    meetings: list[Meeting]  # where it may have been adopted: those that have started, latest first
    missions: list[Mission] | None  # a city-wide group's choice of register; None for the others
    can_change: bool
    can_adopt: bool
    can_withdraw: bool


def get_draft_page(
    session: Session, draft_id: int, *, viewer: Any, today: date, now: datetime
) -> DraftPage:
    draft = _get_draft(session, draft_id)
    group = draft.group
    services.require_member(group, viewer, today)
    diffs = {new.id: diff.word_diff(old.text, new.text) for old, new in pairwise(draft.versions)}
    entry_id = draft.register_entry_id
    return DraftPage(
        draft=draft,
        entry=session.get(Recommendation, entry_id) if entry_id is not None else None,
        diffs=diffs,
        meetings=started_meetings(group, now),
        missions=(
            missions.list_missions(session, include_drafts=False) if group.mission is None else None
        ),
        can_change=draft.status is DraftStatus.DRAFTING,
        can_adopt=_allowed(lambda: check_may_adopt(draft, viewer, today)),
        can_withdraw=_allowed(lambda: check_may_withdraw(draft, viewer, today)),
    )


def started_meetings(group: AdvisoryGroup, now: datetime) -> list[Meeting]:
    """Meetings that took place or are under way, latest first: a recommendation is adopted by
    the group in session, never ahead of the meeting."""
    return [m for m in reversed(group.meetings) if m.starts_at <= now]


# --- Drafting -----------------------------------------------------------------------------------


def start_draft(
    session: Session, slug: str, values: DraftFields, *, actor: User, today: date
) -> DraftRecommendation:
    group = services.get_group(session, slug, viewer=actor)
    services.require_member(group, actor, today)
    draft = DraftRecommendation(group=group, title=values.title, created_by_id=actor.id)
    draft.versions.append(DraftVersion(number=1, text=values.text, author_id=actor.id))
    session.add(draft)
    session.commit()
    return draft


def _same_words(a: str, b: str) -> bool:
    return a.split() == b.split()


def revise_draft(
    session: Session, draft_id: int, *, text: str, note: str, actor: User, today: date
) -> DraftVersion:
    """A new version; the ones before stay, so members can see how the wording moved."""
    draft = _get_draft(session, draft_id, for_update=True)
    services.require_member(draft.group, actor, today)
    check_open(draft)
    current = draft.current
    if current is not None and _same_words(current.text, text):
        raise Invalid(
            N_("This is the wording of the current version. Change it to save a new version."),
            field="text",
        )
    if not note.strip():
        raise Invalid(N_("Say in a line what changed."), field="note")
    version = DraftVersion(
        number=current.number + 1 if current else 1, text=text, note=note, author_id=actor.id
    )
    draft.versions.append(version)
    session.commit()
    return version


def comment_on_draft(
    session: Session, draft_id: int, *, text: str, actor: User, today: date
) -> DraftComment:
    draft = _get_draft(session, draft_id)
    services.require_member(draft.group, actor, today)
    check_open(draft)
    if not text.strip():
        raise Invalid(N_("Write your comment."), field="comment")
    comment = DraftComment(text=text, author_id=actor.id)
    draft.comments.append(comment)
    session.commit()
    return comment


def withdraw_draft(
    session: Session, draft_id: int, *, actor: User, today: date
) -> DraftRecommendation:
    draft = _get_draft(session, draft_id, for_update=True)
    check_may_withdraw(draft, actor, today)
    draft.status = DraftStatus.WITHDRAWN
    audit.record(
        session, actor, "advisory.draft_withdrawn", f"advisory_draft:{draft.id}",
        {"group": draft.group_id, "versions": len(draft.versions)},
    )  # fmt: skip
    session.commit()
    return draft


# --- Adoption: into the mission's register ------------------------------------------------------


def _register_mission(session: Session, group: AdvisoryGroup, mission_id: int | None) -> Mission:
    """A mission's group answers to its mission; a city-wide group chooses, each time, the
    mission whose register receives the recommendation."""
    if group.mission is not None:
        if mission_id is not None and mission_id != group.mission_id:
            raise Invalid(
                N_("This group's recommendations go to its own mission's register."),
                field="mission_id",
            )
        return group.mission
    if mission_id is None:
        raise Invalid(
            N_("Choose the mission whose register receives this recommendation."),
            field="mission_id",
        )
    mission = session.get(Mission, mission_id)
    if mission is None or mission.status is MissionStatus.DRAFT:
        raise Invalid(N_("Choose a mission from the list."), field="mission_id")
    return mission


def adopt_draft(
    session: Session,
    draft_id: int,
    *,
    meeting_id: int,
    response_due: date | None = None,
    mission_id: int | None = None,
    actor: User,
    today: date,
    now: datetime,
) -> DraftRecommendation:
    """Record that the group adopted the draft's current version at a meeting: it enters the
    mission's register, received on the meeting's date and due for a response by
    ``response_due`` (by default the register's usual period after the meeting)."""
    draft = _get_draft(session, draft_id, for_update=True)
    check_may_adopt(draft, actor, today)
    group = draft.group
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.group_id != group.id:
        raise Invalid(N_("Choose one of the group's meetings."), field="meeting_id")
    if meeting.starts_at > now:
        raise Invalid(
            N_("This meeting has not started yet. Record the adoption at or after the meeting."),
            field="meeting_id",
        )
    if not services.quorum(meeting).quorate:
        raise Invalid(
            N_(
                "This meeting was not quorate, so its decisions do not count. Record its "
                "attendance first: at least %(quorum)s members must have been present."
            ),
            field="meeting_id",
            quorum=group.quorum,
        )
    mission = _register_mission(session, group, mission_id)
    current = draft.current
    assert current is not None  # a draft starts with its first version
    entry = missions.enter_recommendation(
        session,
        mission,
        missions.RecommendationFields(
            source_kind=RecommendationSourceKind.ADVISORY_GROUP,
            source_label=group.name,
            title=draft.title,
            text=current.text,
            received_on=meeting.starts_at.date(),
            response_due=response_due,
        ),
        actor=actor,
        source_id=group.id,
    )
    draft.status = DraftStatus.ADOPTED
    draft.adopted_at_meeting_id = meeting.id
    draft.register_entry_id = entry.id
    audit.record(
        session, actor, "advisory.draft_adopted", f"advisory_draft:{draft.id}",
        {"group": group.id, "meeting": meeting.id, "version": current.number,
         "recommendation": entry.id, "mission": mission.id, "due": entry.response_due.isoformat()},
    )  # fmt: skip
    session.commit()
    return draft


# --- The group's recommendations and the city's answers -----------------------------------------


def register_entries(session: Session, group: AdvisoryGroup) -> list[Recommendation]:
    """The group's recommendations in the missions' register, newest first, with responses."""
    return list(
        session.scalars(
            sa.select(Recommendation)
            .where(
                Recommendation.source_kind == RecommendationSourceKind.ADVISORY_GROUP,
                Recommendation.source_id == group.id,
            )
            .options(
                selectinload(Recommendation.response),
                selectinload(Recommendation.updates),
                selectinload(Recommendation.mission),
            )
            .order_by(Recommendation.received_on.desc(), Recommendation.id.desc())
        )
    )


def overdue_responses(session: Session, group: AdvisoryGroup, today: date) -> list[Recommendation]:
    """The group's recommendations still awaiting the city's response after their due date."""
    return [entry for entry in register_entries(session, group) if entry.is_overdue(today)]


@dataclass(frozen=True)
class GroupRecommendations:
    """What members and the public see alike: every recommendation the group made, its status
    in the register, the response and what has happened since."""

    group: AdvisoryGroup
    entries: list[Recommendation]
    today: date
    counts: Counter[str]  # by register status (missions.register_status)
    meetings: dict[int, Meeting]  # register entry id -> the meeting that adopted it

    def status(self, entry: Recommendation) -> str:
        return missions.register_status(entry, self.today)

    def overdue(self) -> list[Recommendation]:
        return [entry for entry in self.entries if entry.is_overdue(self.today)]


def get_recommendations(
    session: Session, slug: str, *, viewer: Any, today: date
) -> GroupRecommendations:
    group = services.get_group(session, slug, viewer=viewer)
    entries = register_entries(session, group)
    adopted = session.scalars(
        sa.select(DraftRecommendation)
        .where(
            DraftRecommendation.group_id == group.id,
            DraftRecommendation.register_entry_id.is_not(None),
        )
        .options(selectinload(DraftRecommendation.adopted_at_meeting))
    )
    meetings = {
        d.register_entry_id: d.adopted_at_meeting
        for d in adopted
        if d.register_entry_id is not None and d.adopted_at_meeting is not None
    }
    counts = Counter(missions.register_status(entry, today) for entry in entries)
    return GroupRecommendations(group, entries, today, counts, meetings)


# --- Reminding the responsible officers ---------------------------------------------------------


@dataclass(frozen=True)
class GroupOverdue:
    group: AdvisoryGroup
    entries: list[Recommendation]


@dataclass
class Reminder:
    """One e-mail to a responsible officer, listing the overdue responses of every group they
    answer for. ``officer`` is None for groups nobody answers for: no one can be reminded."""

    officer: User | None
    groups: list[GroupOverdue] = field(default_factory=list)
    sent: bool = False
    failure: str = ""  # why it was not sent, for the operator running the command

    @property
    def entries(self) -> list[Recommendation]:
        return [entry for overdue in self.groups for entry in overdue.entries]


def overdue_by_officer(session: Session, today: date) -> list[Reminder]:
    """Every group's overdue responses, gathered per responsible officer (unsent)."""
    groups = session.scalars(
        sa.select(AdvisoryGroup)
        .options(selectinload(AdvisoryGroup.responsible_officer))
        .order_by(AdvisoryGroup.name, AdvisoryGroup.id)
    )
    reminders: dict[int | None, Reminder] = {}
    for group in groups:
        entries = overdue_responses(session, group, today)
        if not entries:
            continue
        officer = group.responsible_officer
        key = officer.id if officer else None
        reminders.setdefault(key, Reminder(officer)).groups.append(GroupOverdue(group, entries))
    return list(reminders.values())


def remind_overdue(
    session: Session, today: date, send: Callable[[Reminder], None]
) -> list[Reminder]:
    """Send each responsible officer one reminder of the responses they owe (``send`` turns a
    reminder into an e-mail and sends it), and audit-log the batch. A reminder that cannot be
    sent is reported, not fatal: the others still go."""
    reminders = overdue_by_officer(session, today)
    if not reminders:
        return []
    for reminder in reminders:
        if reminder.officer is None:
            reminder.failure = N_("the group has no responsible officer")
        elif not reminder.officer.active:
            reminder.failure = N_("the responsible officer's account is deactivated")
        else:
            try:
                send(reminder)
            except OSError as error:  # SMTP and network failures
                reminder.failure = N_("sending failed: %(error)s") % {"error": error}
            else:
                reminder.sent = True
    audit.record(
        session, None, "advisory.reminders_sent", "advisory_groups",
        {"today": today.isoformat(),
         "reminders": [{"officer": r.officer.id if r.officer else None,
                        "groups": [o.group.id for o in r.groups],
                        "recommendations": [e.id for e in r.entries],
                        "sent": r.sent} for r in reminders]},
    )  # fmt: skip
    session.commit()
    return reminders
