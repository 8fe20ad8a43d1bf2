"""Advisory group use cases: groups, their members and terms, the rotation rule, and filling
seats by lot from a citizens' jury's draw. Meetings (``meetings.py``) and the recommendations
workspace (``workspace.py``) build on these. Officers' changes are audit-logged."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

import sqlalchemy as sa
from slugify import slugify
from sqlalchemy.orm import Session, selectinload

from engage import audit
from engage.accounts import services as accounts
from engage.accounts.models import User
from engage.advisory import terms
from engage.advisory.models import (
    AdvisoryGroup,
    Attendance,
    Meeting,
    MemberRole,
    Membership,
    SeatFilling,
)
from engage.errors import N_, Conflict, Forbidden, Invalid, NotFound
from engage.juries import services as juries
from engage.missions import services as missions
from engage.missions.models import Mission, MissionStatus
from engage.security import Role, holds


@dataclass
class GroupFields:
    name: str
    slug: str
    mission_id: int | None
    purpose: str
    remit: str
    seats: int
    term_months: int
    seats_renewed: int
    rotation_months: int
    filling: SeatFilling
    quorum: int
    responsible_officer_email: str
    jury_id: int | None


@dataclass
class MemberFields:
    email: str
    role: MemberRole
    filled_by: SeatFilling
    term_start: date
    term_end: date | None  # None: the group's term length from the start
    interests: str
    interests_public: bool


# Words in the advisory pages' own addresses (/advisory/new, /advisory/meetings/12...).
RESERVED_SLUGS = frozenset({"new", "meetings", "memberships", "papers", "drafts"})


# --- Groups -------------------------------------------------------------------------------------


def list_groups(
    session: Session, *, mission_slug: str | None, include_drafts: bool
) -> list[AdvisoryGroup]:
    """Groups, city-wide ones included; a draft mission's groups only for officers."""
    query = (
        sa.select(AdvisoryGroup)
        .outerjoin(Mission, Mission.id == AdvisoryGroup.mission_id)
        .options(selectinload(AdvisoryGroup.mission))
        .order_by(AdvisoryGroup.name)
    )
    if mission_slug:
        query = query.where(Mission.slug == mission_slug)
    if not include_drafts:
        query = query.where(sa.or_(Mission.id.is_(None), Mission.status != MissionStatus.DRAFT))
    return list(session.scalars(query))


def get_group(session: Session, slug: str, *, viewer: Any) -> AdvisoryGroup:
    group = session.scalar(sa.select(AdvisoryGroup).where(AdvisoryGroup.slug == slug))
    hidden = (
        group is not None
        and group.mission is not None
        and group.mission.status is MissionStatus.DRAFT
        and not holds(viewer, Role.OFFICER)
    )
    if group is None or hidden:
        raise NotFound(N_("There is no advisory group at this address."))
    return group


def _check_group(session: Session, values: GroupFields, group_id: int | None) -> dict[str, Any]:
    """The checked values as the group's columns."""
    slug = slugify(values.slug or values.name, max_length=80, word_boundary=True) or "group"
    if slug in RESERVED_SLUGS:
        raise Conflict(
            N_("This web address is taken by a page of engage. Choose another."), field="slug"
        )
    taken = session.scalar(sa.select(AdvisoryGroup.id).where(AdvisoryGroup.slug == slug))
    if taken is not None and taken != group_id:
        raise Conflict(N_("Another advisory group already uses this web address."), field="slug")
    if values.seats_renewed > values.seats:
        raise Invalid(N_("No more seats can be renewed than the group has."), field="seats_renewed")
    if values.quorum > values.seats:
        raise Invalid(N_("The quorum cannot be more than the number of seats."), field="quorum")
    if values.mission_id is not None and session.get(Mission, values.mission_id) is None:
        raise Invalid(N_("Choose a mission from the list."), field="mission_id")
    if values.filling is SeatFilling.LOT:
        try:
            juries.get_jury(session, values.jury_id or 0)
        except NotFound:
            raise Invalid(
                N_("Choose the citizens' jury whose draw fills the seats by lot."), field="jury_id"
            ) from None
    officer = accounts.get_user_by_email(session, values.responsible_officer_email)
    if officer is None or not officer.has_role(Role.OFFICER):
        raise Invalid(
            N_("Give the e-mail address of an officer's account."),
            field="responsible_officer_email",
        )
    columns = {f.name: getattr(values, f.name) for f in fields(values)}
    del columns["responsible_officer_email"]
    columns.update(slug=slug, responsible_officer_id=officer.id)
    if values.filling is not SeatFilling.LOT:
        columns["jury_id"] = None
    return columns


def create_group(session: Session, values: GroupFields, *, actor: User) -> AdvisoryGroup:
    group = AdvisoryGroup(**_check_group(session, values, None), created_by_id=actor.id)
    session.add(group)
    session.flush()
    audit.record(
        session, actor, "advisory.group_created", f"advisory_group:{group.id}",
        {"slug": group.slug, "seats": group.seats, "filling": group.filling.value},
    )  # fmt: skip
    session.commit()
    return group


def update_group(session: Session, slug: str, values: GroupFields, *, actor: User) -> AdvisoryGroup:
    group = get_group(session, slug, viewer=actor)
    changed: dict[str, list[Any]] = {}
    for name, after in _check_group(session, values, group.id).items():
        before = getattr(group, name)
        if before != after:
            changed[name] = [str(before), str(after)]
            setattr(group, name, after)
    if changed:
        audit.record(
            session, actor, "advisory.group_updated", f"advisory_group:{group.id}", changed
        )
    session.commit()
    return group


# --- Members and terms --------------------------------------------------------------------------


def current_members(group: AdvisoryGroup, today: date) -> list[Membership]:
    return [m for m in group.memberships if m.is_current(today)]


def is_member(group: AdvisoryGroup, user: Any, today: date) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return any(m.user_id == user.id for m in current_members(group, today))


def require_member(group: AdvisoryGroup, user: Any, today: date) -> None:
    """The workspace is for the group's current members only (not officers, not admins)."""
    if not is_member(group, user, today):
        raise Forbidden(N_("Only the group's members can use its workspace."))


def _seats_taken(group: AdvisoryGroup, on: date) -> int:
    return sum(1 for m in group.memberships if m.is_current(on))


def _most_seats_taken(group: AdvisoryGroup, start: date, end: date) -> int:
    """The most seats held on any day from ``start`` to ``end`` (exclusive): the count can only
    rise on a day a term starts, so those days (and ``start``) are the ones to check."""
    days = {start} | {m.term_start for m in group.memberships if start < m.term_start < end}
    return max(_seats_taken(group, day) for day in days)


def add_member(
    session: Session, slug: str, values: MemberFields, *, actor: User, today: date
) -> Membership:
    group = get_group(session, slug, viewer=actor)
    user = accounts.get_user_by_email(session, values.email)
    if user is None:
        raise Invalid(
            N_("Nobody has an account with this e-mail address. Ask them to register first."),
            field="email",
        )
    return _seat(session, group, user, values, actor=actor, today=today)


def _seat(
    session: Session,
    group: AdvisoryGroup,
    user: User,
    values: MemberFields,
    *,
    actor: User,
    today: date,
) -> Membership:
    end = values.term_end or terms.term_end(values.term_start, group.term_months)
    if end <= values.term_start:
        raise Invalid(N_("The term must end after it starts."), field="term_end")
    if any(m.user_id == user.id and m.leaves_on > values.term_start and m.term_start < end
           for m in group.memberships):  # fmt: skip
        raise Conflict(N_("This person already holds a seat in the group."), field="email")
    if _most_seats_taken(group, max(values.term_start, today), end) >= group.seats:
        raise Conflict(
            N_("Every seat is taken on that date. End a membership first."), field="term_start"
        )
    if values.role is not MemberRole.MEMBER and any(
        m.role is values.role for m in current_members(group, max(values.term_start, today))
    ):
        raise Conflict(N_("Someone already holds this role."), field="role")
    membership = Membership(
        group=group,
        user_id=user.id,
        role=values.role,
        filled_by=values.filled_by,
        term_start=values.term_start,
        term_end=end,
        interests=values.interests,
        interests_public=values.interests_public,
    )
    session.add(membership)
    session.flush()
    audit.record(
        session, actor, "advisory.member_added", f"advisory_group:{group.id}",
        {"membership": membership.id, "role": values.role.value, "filled_by": values.filled_by.value,
         "term": [values.term_start.isoformat(), end.isoformat()]},
    )  # fmt: skip
    session.commit()
    return membership


def get_membership(session: Session, membership_id: int) -> Membership:
    membership = session.get(Membership, membership_id)
    if membership is None:
        raise NotFound(N_("There is no such membership."))
    return membership


def change_role(
    session: Session, membership_id: int, role: MemberRole, *, actor: User, today: date
) -> Membership:
    membership = get_membership(session, membership_id)
    if role is not MemberRole.MEMBER and any(
        m.role is role and m.id != membership.id for m in current_members(membership.group, today)
    ):
        raise Conflict(N_("Someone already holds this role."), field="role")
    before = membership.role
    membership.role = role
    audit.record(
        session, actor, "advisory.role_changed", f"advisory_group:{membership.group_id}",
        {"membership": membership.id, "from": before.value, "to": role.value},
    )  # fmt: skip
    session.commit()
    return membership


def end_membership(
    session: Session, membership_id: int, *, ended_on: date, reason: str, actor: User
) -> Membership:
    membership = get_membership(session, membership_id)
    if membership.ended_on is not None:
        raise Conflict(N_("This membership has already ended."))
    if ended_on < membership.term_start:
        raise Invalid(N_("A membership cannot end before it starts."), field="ended_on")
    if ended_on >= membership.term_end:
        raise Invalid(
            N_("The term ends on %(date)s by itself; an early end must come before it."),
            field="ended_on",
            date=membership.term_end.isoformat(),
        )
    if not reason:
        raise Invalid(N_("Say why the membership ends."), field="reason")
    membership.ended_on, membership.end_reason = ended_on, reason
    audit.record(
        session, actor, "advisory.member_ended", f"advisory_group:{membership.group_id}",
        {"membership": membership.id, "ended_on": ended_on.isoformat(), "reason": reason},
    )  # fmt: skip
    session.commit()
    return membership


def register_of_interests(members: list[Membership], viewer: Any) -> list[Membership]:
    """The declared interests a visitor may read: those members agreed to publish, and the
    viewer's own (so a member sees what they declared even while it is private)."""
    viewer_id = viewer.id if viewer is not None and viewer.is_authenticated else None
    return [m for m in members if m.interests and (m.interests_public or m.user_id == viewer_id)]


def get_declaration(session: Session, membership_id: int, *, actor: User) -> Membership:
    """A membership whose declared interests ``actor`` may read and change: their own, or any
    for an officer (a private declaration is never shown to anyone else)."""
    membership = get_membership(session, membership_id)
    if membership.user_id != actor.id and not holds(actor, Role.OFFICER):
        raise Forbidden(N_("Only the member or an officer can change the declared interests."))
    return membership


def declare_interests(
    session: Session, membership_id: int, *, interests: str, public: bool, actor: User
) -> Membership:
    """A member's own entry in the register of interests (officers may keep it up to date too)."""
    membership = get_declaration(session, membership_id, actor=actor)
    membership.interests, membership.interests_public = interests, public
    audit.record(
        session, actor, "advisory.interests_declared", f"advisory_group:{membership.group_id}",
        {"membership": membership.id, "public": public},
    )  # fmt: skip
    session.commit()
    return membership


def attendance_sheet(meeting: Meeting) -> list[tuple[Membership, Attendance | None]]:
    """Each member seated on the day of the meeting, with their recorded status if any."""
    recorded = {row.membership_id: row.status for row in meeting.attendance}
    seated = current_members(meeting.group, meeting.starts_at.date())
    return [(membership, recorded.get(membership.id)) for membership in seated]


@dataclass(frozen=True)
class Quorum:
    present: int
    members: int  # seated on the meeting's day
    quorum: int
    recorded: bool  # whether any attendance has been recorded

    @property
    def quorate(self) -> bool:
        return self.present >= self.quorum


def quorum(meeting: Meeting) -> Quorum:
    sheet = attendance_sheet(meeting)
    present = sum(1 for _membership, status in sheet if status is Attendance.PRESENT)
    recorded = any(status is not None for _membership, status in sheet)
    return Quorum(present, len(sheet), meeting.group.quorum, recorded)


@dataclass(frozen=True)
class Rotation:
    """What the group page flags: terms ending soon and the seats the next renewal brings up."""

    ending_soon: list[Membership]
    next_renewal: date | None
    coming_up: list[Membership]
    vacant: int


def rotation(group: AdvisoryGroup, today: date) -> Rotation:
    current = current_members(group, today)
    by_id = {m.id: m for m in current}
    seats = [terms.Seat(m.id, m.term_start, m.term_end) for m in current]
    ending = [by_id[s.membership_id] for s in terms.ending_soon(seats, today)]
    renewal: date | None = None
    coming_up: list[Membership] = []
    if group.seats_renewed and group.memberships:
        first = min(m.term_start for m in group.memberships)
        renewal = terms.next_renewal(first, group.rotation_months, today)
        chosen = terms.seats_coming_up(seats, group.seats_renewed, renewal)
        coming_up = [by_id[s.membership_id] for s in chosen]
    return Rotation(ending, renewal, coming_up, max(0, group.seats - len(current)))


# --- Filling seats by lot -----------------------------------------------------------------------


@dataclass(frozen=True)
class LotResult:
    seated: list[Membership]
    without_account: list[str]  # drawn people who volunteered without an account
    no_seat_left: list[str]  # drawn people beyond the vacant seats


def fill_by_lot(session: Session, slug: str, *, actor: User, today: date) -> LotResult:
    """Seat the people drawn by the group's citizens' jury (its volunteers are the applicants,
    its quotas and LEXIMIN selection make the lot fair), up to the vacant seats, for a full
    term from today."""
    group = get_group(session, slug, viewer=actor)
    if group.jury_id is None:
        raise Invalid(N_("This group does not fill its seats by lot."))
    drawn = juries.drawn_people(session, group.jury_id)
    if drawn is None:
        raise Conflict(N_("The jury's draw has not been revealed yet."))
    seated_ids = {m.user_id for m in current_members(group, today)}
    vacant = group.seats - _seats_taken(group, today)
    seated: list[Membership] = []
    without_account: list[str] = []
    no_seat_left: list[str] = []
    for person in drawn:
        if person.user_id is None:
            without_account.append(person.name)
        elif person.user_id in seated_ids:
            continue
        elif len(seated) >= vacant:
            no_seat_left.append(person.name)
        else:
            membership = Membership(
                group=group,
                user_id=person.user_id,
                role=MemberRole.MEMBER,
                filled_by=SeatFilling.LOT,
                term_start=today,
                term_end=terms.term_end(today, group.term_months),
            )
            session.add(membership)
            seated.append(membership)
    session.flush()
    audit.record(
        session, actor, "advisory.seats_drawn", f"advisory_group:{group.id}",
        {"jury": group.jury_id, "memberships": [m.id for m in seated],
         "without_account": len(without_account), "no_seat_left": len(no_seat_left)},
    )  # fmt: skip
    session.commit()
    return LotResult(seated, without_account, no_seat_left)


def mission_choices(session: Session) -> list[Mission]:
    return missions.list_missions(session, include_drafts=True)


def jury_choices(session: Session) -> list[tuple[int, str, str]]:
    """(id, title, mission title) of every jury whose draw could fill seats by lot."""
    return [
        (item.jury.id, item.jury.title, item.mission_title)
        for item in juries.list_juries(session, include_drafts=True)
    ]


def as_fields(group: AdvisoryGroup) -> dict[str, Any]:
    """A group's values as the form shows them."""
    values = {f.name: getattr(group, f.name, None) for f in fields(GroupFields)}
    officer = group.responsible_officer
    values["responsible_officer_email"] = officer.email if officer else ""
    return values
