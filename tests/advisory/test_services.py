"""Advisory group use cases with a real session: setting a group up, members and their terms,
roles, ending memberships, the register of interests, the rotation flags, and filling seats by
lot from a citizens' jury's draw."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.advisory import services, terms
from engage.advisory.models import AdvisoryGroup, MemberRole, Membership, SeatFilling
from engage.audit import AuditEntry
from engage.errors import Conflict, Forbidden, Invalid, NotFound
from engage.juries import draws
from engage.missions.models import MissionStatus
from engage.security import Role
from tests.factories import make_group, make_jury, make_membership, make_mission, make_user
from tests.juries.draw_support import committed_draw, make_drawn_jury

TODAY = date.today()


@pytest.fixture
def officer(session: Session) -> User:
    return make_user(session, role=Role.OFFICER, email="olu@example.org")


def group_fields(officer: User, **changes: Any) -> services.GroupFields:
    values = services.GroupFields(
        name="Healthy Streets Advisory Group",
        slug="",
        mission_id=None,
        purpose="Keep residents at the heart of the mission.",
        remit="The mission's projects and how they are measured.",
        seats=6,
        term_months=36,
        seats_renewed=2,
        rotation_months=12,
        filling=SeatFilling.APPLICATION,
        quorum=3,
        responsible_officer_email=officer.email,
        jury_id=None,
    )
    return replace(values, **changes)


def member_fields(person: User, **changes: Any) -> services.MemberFields:
    values = services.MemberFields(
        email=person.email,
        role=MemberRole.MEMBER,
        filled_by=SeatFilling.APPLICATION,
        term_start=TODAY,
        term_end=None,
        interests="",
        interests_public=False,
    )
    return replace(values, **changes)


def actions(session: Session, action: str) -> list[AuditEntry]:
    session.rollback()
    return list(
        session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def memberships(session: Session, group: AdvisoryGroup) -> list[Membership]:
    session.rollback()
    return list(
        session.scalars(
            sa.select(Membership).where(Membership.group_id == group.id).order_by(Membership.id)
        )
    )


# --- Setting a group up -------------------------------------------------------------------------


def test_an_officer_creates_a_city_wide_group_with_a_slug_from_its_name(
    session: Session, officer: User
) -> None:
    group = services.create_group(session, group_fields(officer), actor=officer)

    assert group.slug == "healthy-streets-advisory-group"
    assert group.mission_id is None
    assert (group.seats, group.term_months, group.seats_renewed) == (6, 36, 2)
    assert group.responsible_officer_id == officer.id
    assert group.created_by_id == officer.id
    [entry] = actions(session, "advisory.group_created")
    assert entry.actor_id == officer.id
    assert entry.subject == f"advisory_group:{group.id}"
    assert entry.details == {"slug": group.slug, "seats": 6, "filling": "application"}


def test_a_group_can_advise_a_mission(session: Session, officer: User) -> None:
    mission = make_mission(session)
    group = services.create_group(
        session, group_fields(officer, mission_id=mission.id, slug="streets"), actor=officer
    )
    assert (group.mission_id, group.slug) == (mission.id, "streets")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"seats_renewed": 7}, "seats_renewed"),
        ({"quorum": 7}, "quorum"),
        ({"mission_id": 999_999}, "mission_id"),
        ({"filling": SeatFilling.LOT}, "jury_id"),
        ({"responsible_officer_email": "nobody@example.org"}, "responsible_officer_email"),
    ],
)
def test_a_group_that_breaks_a_rule_is_refused_beside_the_field(
    session: Session, officer: User, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        services.create_group(session, group_fields(officer, **changes), actor=officer)
    assert refused.value.field == field
    assert session.scalar(sa.select(sa.func.count(AdvisoryGroup.id))) == 0


def test_the_responsible_officer_must_hold_the_officer_role(
    session: Session, officer: User
) -> None:
    resident = make_user(session)
    with pytest.raises(Invalid) as refused:
        services.create_group(
            session, group_fields(officer, responsible_officer_email=resident.email), actor=officer
        )
    assert refused.value.field == "responsible_officer_email"


def test_two_groups_cannot_share_a_web_address(session: Session, officer: User) -> None:
    make_group(session, slug="streets")
    with pytest.raises(Conflict) as refused:
        services.create_group(session, group_fields(officer, slug="streets"), actor=officer)
    assert refused.value.field == "slug"


def test_only_a_group_filled_by_lot_keeps_its_jury(session: Session, officer: User) -> None:
    jury = make_jury(session)
    by_lot = services.create_group(
        session,
        group_fields(officer, slug="by-lot", filling=SeatFilling.LOT, jury_id=jury.id),
        actor=officer,
    )
    appointed = services.create_group(
        session,
        group_fields(officer, slug="appointed", filling=SeatFilling.APPOINTMENT, jury_id=jury.id),
        actor=officer,
    )
    assert by_lot.jury_id == jury.id
    assert appointed.jury_id is None


def test_an_unknown_jury_is_refused_beside_the_field(session: Session, officer: User) -> None:
    with pytest.raises(Invalid) as refused:
        services.create_group(
            session, group_fields(officer, filling=SeatFilling.LOT, jury_id=999_999), actor=officer
        )
    assert refused.value.field == "jury_id"


def test_updating_a_group_records_what_changed(session: Session, officer: User) -> None:
    group = services.create_group(session, group_fields(officer, slug="streets"), actor=officer)

    services.update_group(
        session, "streets", group_fields(officer, slug="streets", seats=9), actor=officer
    )
    services.update_group(
        session, "streets", group_fields(officer, slug="streets", seats=9), actor=officer
    )

    session.refresh(group)
    assert group.seats == 9
    [entry] = actions(session, "advisory.group_updated")  # the second saved nothing new
    assert entry.details == {"seats": ["6", "9"]}


def test_a_group_keeps_its_own_web_address_but_cannot_take_anothers(
    session: Session, officer: User
) -> None:
    make_group(session, slug="taken")
    services.create_group(session, group_fields(officer, slug="streets"), actor=officer)
    services.update_group(
        session, "streets", group_fields(officer, slug="streets", name="Renamed"), actor=officer
    )
    with pytest.raises(Conflict):
        services.update_group(
            session, "streets", group_fields(officer, slug="taken"), actor=officer
        )


def test_a_draft_missions_groups_are_for_officers_only(session: Session, officer: User) -> None:
    draft = make_group(session, make_mission(session, status=MissionStatus.DRAFT), name="Draft")
    active = make_group(session, name="Active")
    city_wide = make_group(session, name="City", city_wide=True)
    resident = make_user(session)

    public = services.list_groups(session, mission_slug=None, include_drafts=False)
    everything = services.list_groups(session, mission_slug=None, include_drafts=True)

    assert [g.id for g in public] == [active.id, city_wide.id]
    assert {g.id for g in everything} == {draft.id, active.id, city_wide.id}
    with pytest.raises(NotFound):
        services.get_group(session, draft.slug, viewer=resident)
    assert services.get_group(session, draft.slug, viewer=officer).id == draft.id


def test_groups_can_be_listed_for_one_mission(session: Session) -> None:
    mission = make_mission(session, slug="quieter-streets")
    mine = make_group(session, mission)
    make_group(session)
    make_group(session, city_wide=True)
    listed = services.list_groups(session, mission_slug="quieter-streets", include_drafts=False)
    assert [g.id for g in listed] == [mine.id]


# --- Members ------------------------------------------------------------------------------------


def test_an_officer_seats_a_member_for_the_groups_term(session: Session, officer: User) -> None:
    group = make_group(session, term_months=24)
    person = make_user(session)

    membership = services.add_member(
        session,
        group.slug,
        member_fields(person, interests="Trustee of a cycling charity.", interests_public=True),
        actor=officer,
        today=TODAY,
    )

    assert membership.term_start == TODAY
    assert membership.term_end == terms.term_end(TODAY, 24)
    assert membership.interests == "Trustee of a cycling charity."
    assert services.is_member(group, person, TODAY)
    [entry] = actions(session, "advisory.member_added")
    assert entry.details["membership"] == membership.id
    assert entry.details["term"] == [TODAY.isoformat(), membership.term_end.isoformat()]


def test_a_member_needs_an_account(session: Session, officer: User) -> None:
    group = make_group(session)
    stranger = member_fields(officer, email="stranger@example.org")  # nobody's address
    with pytest.raises(Invalid) as refused:
        services.add_member(session, group.slug, stranger, actor=officer, today=TODAY)
    assert refused.value.field == "email"


def test_a_term_must_end_after_it_starts(session: Session, officer: User) -> None:
    group = make_group(session)
    with pytest.raises(Invalid) as refused:
        services.add_member(
            session,
            group.slug,
            member_fields(make_user(session), term_end=TODAY),
            actor=officer,
            today=TODAY,
        )
    assert refused.value.field == "term_end"


def test_no_more_members_than_seats(session: Session, officer: User) -> None:
    group = make_group(session, seats=2, quorum=1)
    make_membership(session, group)
    make_membership(session, group)
    with pytest.raises(Conflict) as refused:
        services.add_member(
            session, group.slug, member_fields(make_user(session)), actor=officer, today=TODAY
        )
    assert refused.value.field == "term_start"


def test_a_seat_can_be_filled_from_the_day_a_term_ends(session: Session, officer: User) -> None:
    group = make_group(session, seats=1, quorum=1, seats_renewed=0)
    make_membership(session, group, term_end=TODAY + timedelta(days=40))
    successor = services.add_member(
        session,
        group.slug,
        member_fields(make_user(session), term_start=TODAY + timedelta(days=40)),
        actor=officer,
        today=TODAY,
    )
    assert successor.term_start == TODAY + timedelta(days=40)


def test_a_seat_promised_from_a_later_date_cannot_be_given_away(
    session: Session, officer: User
) -> None:
    group = make_group(session, seats=2, quorum=1)
    make_membership(session, group)  # one seat taken now
    later = TODAY + timedelta(days=30)
    services.add_member(
        session, group.slug, member_fields(make_user(session), term_start=later), actor=officer,
        today=TODAY,
    )  # fmt: skip
    # The second seat is promised from next month; seating someone today overfills the group then.
    with pytest.raises(Conflict):
        services.add_member(
            session, group.slug, member_fields(make_user(session)), actor=officer, today=TODAY
        )


def test_nobody_holds_two_seats(session: Session, officer: User) -> None:
    group = make_group(session)
    person = make_user(session)
    make_membership(session, group, person)
    with pytest.raises(Conflict) as refused:
        services.add_member(session, group.slug, member_fields(person), actor=officer, today=TODAY)
    assert refused.value.field == "email"


def test_a_former_member_may_come_back(session: Session, officer: User) -> None:
    group = make_group(session)
    person = make_user(session)
    earlier = make_membership(session, group, person, term_start=TODAY - timedelta(days=400))
    services.end_membership(
        session, earlier.id, ended_on=TODAY - timedelta(days=10), reason="Moved.", actor=officer
    )
    again = services.add_member(
        session, group.slug, member_fields(person), actor=officer, today=TODAY
    )
    assert again.is_current(TODAY)


def test_one_chair_and_one_vice_chair_at_a_time(session: Session, officer: User) -> None:
    group = make_group(session)
    make_membership(session, group, role=MemberRole.CHAIR)
    make_membership(session, group, role=MemberRole.MEMBER)

    with pytest.raises(Conflict) as refused:
        services.add_member(
            session,
            group.slug,
            member_fields(make_user(session), role=MemberRole.CHAIR),
            actor=officer,
            today=TODAY,
        )
    assert refused.value.field == "role"
    vice = services.add_member(
        session,
        group.slug,
        member_fields(make_user(session), role=MemberRole.VICE_CHAIR),
        actor=officer,
        today=TODAY,
    )
    assert vice.role is MemberRole.VICE_CHAIR


def test_changing_roles_keeps_one_chair(session: Session, officer: User) -> None:
    group = make_group(session)
    chair = make_membership(session, group, role=MemberRole.CHAIR)
    other = make_membership(session, group)

    with pytest.raises(Conflict) as refused:
        services.change_role(session, other.id, MemberRole.CHAIR, actor=officer, today=TODAY)
    assert refused.value.field == "role"

    services.change_role(session, chair.id, MemberRole.MEMBER, actor=officer, today=TODAY)
    services.change_role(session, other.id, MemberRole.CHAIR, actor=officer, today=TODAY)
    session.refresh(chair)
    session.refresh(other)
    assert (chair.role, other.role) == (MemberRole.MEMBER, MemberRole.CHAIR)
    assert [e.details for e in actions(session, "advisory.role_changed")] == [
        {"membership": chair.id, "from": "chair", "to": "member"},
        {"membership": other.id, "from": "member", "to": "chair"},
    ]


def test_a_chair_who_left_no_longer_blocks_the_role(session: Session, officer: User) -> None:
    group = make_group(session)
    former = make_membership(session, group, role=MemberRole.CHAIR)
    services.end_membership(session, former.id, ended_on=TODAY, reason="Resigned.", actor=officer)
    other = make_membership(session, group)
    services.change_role(session, other.id, MemberRole.CHAIR, actor=officer, today=TODAY)
    assert other.role is MemberRole.CHAIR


# --- Ending a membership ------------------------------------------------------------------------


def test_ending_a_membership_keeps_it_with_the_date_and_reason(
    session: Session, officer: User
) -> None:
    group = make_group(session, seats=1, quorum=1, seats_renewed=0)
    membership = make_membership(session, group)

    services.end_membership(
        session, membership.id, ended_on=TODAY, reason="Moved out of the city.", actor=officer
    )

    [kept] = memberships(session, group)
    assert (kept.ended_on, kept.end_reason) == (TODAY, "Moved out of the city.")
    assert not kept.is_current(TODAY)
    [entry] = actions(session, "advisory.member_ended")
    assert entry.details["reason"] == "Moved out of the city."
    # The seat is free again.
    services.add_member(
        session, group.slug, member_fields(make_user(session)), actor=officer, today=TODAY
    )


@pytest.mark.parametrize(
    ("ended_on", "reason", "field"),
    [
        (TODAY, "", "reason"),
        (TODAY - timedelta(days=31), "Never joined.", "ended_on"),  # before the term started
    ],
)
def test_ending_a_membership_needs_a_reason_and_a_date_in_the_term(
    session: Session, officer: User, ended_on: date, reason: str, field: str
) -> None:
    membership = make_membership(session, make_group(session))  # started 30 days ago
    with pytest.raises(Invalid) as refused:
        services.end_membership(
            session, membership.id, ended_on=ended_on, reason=reason, actor=officer
        )
    assert refused.value.field == field
    session.refresh(membership)
    assert membership.ended_on is None


def test_a_membership_ends_only_once(session: Session, officer: User) -> None:
    membership = make_membership(session, make_group(session))
    services.end_membership(session, membership.id, ended_on=TODAY, reason="Left.", actor=officer)
    with pytest.raises(Conflict):
        services.end_membership(
            session, membership.id, ended_on=TODAY, reason="Again.", actor=officer
        )


def test_a_membership_ended_from_a_later_date_lasts_until_then(
    session: Session, officer: User
) -> None:
    membership = make_membership(session, make_group(session))
    try:
        services.end_membership(
            session,
            membership.id,
            ended_on=TODAY + timedelta(days=30),
            reason="Resigns at the end of next month.",
            actor=officer,
        )
    except Invalid as refused:
        assert refused.field == "ended_on"
    else:
        assert membership.is_current(TODAY)


def test_unknown_memberships_are_not_found(session: Session, officer: User) -> None:
    with pytest.raises(NotFound):
        services.end_membership(session, 999_999, ended_on=TODAY, reason="x", actor=officer)


# --- The register of interests ------------------------------------------------------------------


def test_members_declare_their_own_interests(session: Session) -> None:
    person = make_user(session)
    membership = make_membership(session, make_group(session), person)

    services.declare_interests(
        session, membership.id, interests="Owns a shop on the high street.", public=True,
        actor=person,
    )  # fmt: skip

    session.refresh(membership)
    assert (membership.interests, membership.interests_public) == (
        "Owns a shop on the high street.",
        True,
    )
    [entry] = actions(session, "advisory.interests_declared")
    assert (entry.actor_id, entry.details) == (
        person.id,
        {"membership": membership.id, "public": True},
    )


def test_an_officer_keeps_a_members_interests_up_to_date(session: Session, officer: User) -> None:
    membership = make_membership(session, make_group(session), interests_public=True)
    services.declare_interests(
        session, membership.id, interests="School governor.", public=False, actor=officer
    )
    session.refresh(membership)
    assert (membership.interests, membership.interests_public) == ("School governor.", False)


def test_nobody_else_changes_a_members_interests(session: Session) -> None:
    membership = make_membership(session, make_group(session), interests="Landlord.")
    other_member = make_membership(session, membership.group)
    for intruder in (make_user(session), other_member.user):
        with pytest.raises(Forbidden):
            services.declare_interests(
                session, membership.id, interests="", public=True, actor=intruder
            )
    session.refresh(membership)
    assert (membership.interests, membership.interests_public) == ("Landlord.", False)


# --- Rotation -----------------------------------------------------------------------------------


def test_rotation_flags_terms_ending_soon_the_next_renewal_and_vacant_seats(
    session: Session,
) -> None:
    group = make_group(session, seats=6, seats_renewed=2)
    founded = TODAY - timedelta(days=200)
    founder = make_membership(session, group, term_start=founded)
    ending = make_membership(
        session, group, term_start=founded + timedelta(days=1), term_end=TODAY + timedelta(days=20)
    )
    make_membership(session, group, term_start=TODAY - timedelta(days=10))
    left = make_membership(session, group, term_start=founded)
    services.end_membership(session, left.id, ended_on=TODAY, reason="Left.", actor=left.user)

    rotation = services.rotation(group, TODAY)

    assert [m.id for m in rotation.ending_soon] == [ending.id]
    assert rotation.next_renewal == terms.next_renewal(founded, 12, TODAY)
    # The term ending by the renewal comes up, then the longest-serving current member.
    assert {m.id for m in rotation.coming_up} == {ending.id, founder.id}
    assert rotation.vacant == 3


def test_a_group_renewing_no_seat_early_has_no_renewal_date(session: Session) -> None:
    group = make_group(session, seats_renewed=0)
    make_membership(session, group)
    rotation = services.rotation(group, TODAY)
    assert (rotation.next_renewal, rotation.coming_up) == (None, [])
    assert rotation.vacant == group.seats - 1


# --- Filling seats by lot -----------------------------------------------------------------------


def lot_group(session: Session, jury_id: int, *, seats: int) -> AdvisoryGroup:
    group = make_group(session, seats=seats, quorum=1, filling=SeatFilling.LOT)
    group.jury_id = jury_id
    session.commit()
    return group


def drawn_with_accounts(session: Session, officer: User, accounts: int) -> tuple[int, list[Any]]:
    """A revealed draw of four; the first ``accounts`` people drawn volunteered with an
    account. The jury's id and the drawn panel's seats, in order."""
    drawn = make_drawn_jury(session, officer)
    panel = draws.get_panel(session, drawn.draw_id, officer)
    for seat in panel.seats[:accounts]:
        seat.member.user_id = make_user(session, display_name=seat.member.name).id
    session.commit()
    return drawn.jury_id, panel.seats


def test_fill_by_lot_seats_drawn_account_holders_up_to_the_vacant_seats(
    session: Session, officer: User
) -> None:
    jury_id, seats = drawn_with_accounts(session, officer, accounts=3)
    group = lot_group(session, jury_id, seats=3)
    make_membership(session, group)  # one seat already taken: two vacant

    result = services.fill_by_lot(session, group.slug, actor=officer, today=TODAY)

    drawn_members = [seat.member for seat in seats]
    assert [m.user_id for m in result.seated] == [m.user_id for m in drawn_members[:2]]
    assert all(m.filled_by is SeatFilling.LOT for m in result.seated)
    assert all(m.term_end == terms.term_end(TODAY, group.term_months)
               for m in result.seated)  # fmt: skip
    assert result.no_seat_left == [drawn_members[2].name]
    assert result.without_account == [drawn_members[3].name]
    assert len(services.current_members(group, TODAY)) == 3
    [entry] = actions(session, "advisory.seats_drawn")
    assert entry.details == {
        "jury": jury_id,
        "memberships": [m.id for m in result.seated],
        "without_account": 1,
        "no_seat_left": 1,
    }


def test_filling_by_lot_again_seats_nobody_twice(session: Session, officer: User) -> None:
    jury_id, _ = drawn_with_accounts(session, officer, accounts=2)
    group = lot_group(session, jury_id, seats=6)
    first = services.fill_by_lot(session, group.slug, actor=officer, today=TODAY)
    again = services.fill_by_lot(session, group.slug, actor=officer, today=TODAY)
    assert (len(first.seated), len(again.seated)) == (2, 0)
    assert len(memberships(session, group)) == 2


def test_fill_by_lot_needs_a_jury_with_a_revealed_draw(session: Session, officer: User) -> None:
    with pytest.raises(Invalid):
        services.fill_by_lot(session, make_group(session).slug, actor=officer, today=TODAY)
    draw = committed_draw(session, officer)  # committed, not revealed
    group = lot_group(session, draw.jury_id, seats=4)
    with pytest.raises(Conflict):
        services.fill_by_lot(session, group.slug, actor=officer, today=TODAY)
    assert memberships(session, group) == []
