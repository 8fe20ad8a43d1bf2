"""Advisory group pages through the test client: the list and a group's public page, officers
setting groups up and managing members, members declaring their interests, filling seats by lot,
and who may see and do what."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.advisory.models import AdvisoryGroup, MemberRole, Membership, SeatFilling
from engage.juries import draws
from engage.missions.models import MissionStatus, RecommendationSourceKind
from engage.security import Role
from tests.conftest import AuthActions
from tests.factories import (
    make_group,
    make_membership,
    make_mission,
    make_recommendation,
    make_user,
)
from tests.juries.draw_support import make_drawn_jury
from tests.missions.test_views import field_error, field_value, page_text, sign_in, snapshot

TODAY = date.today()


@pytest.fixture
def officer(session: Session) -> User:
    return make_user(session, role=Role.OFFICER, email="olu@example.org", display_name="Olu")


@pytest.fixture
def group(session: Session, officer: User) -> AdvisoryGroup:
    mission = make_mission(session, title="Healthy streets", slug="healthy-streets")
    return make_group(
        session, mission, name="Streets Advisory Group", slug="streets", responsible_officer=officer
    )


def group_form(officer: User, **changes: str) -> dict[str, str]:
    return {
        "name": "Older Residents Panel",
        "slug": "",
        "mission_id": "",
        "purpose": "Bring older residents' experience to the city's plans.",
        "remit": "Housing, transport and care services.",
        "seats": "9",
        "term_months": "36",
        "seats_renewed": "3",
        "rotation_months": "12",
        "filling": "application",
        "quorum": "5",
        "responsible_officer_email": officer.email,
        "jury_id": "",
        **changes,
    }


def member_form(**changes: str) -> dict[str, str]:
    return {
        "email": "new@example.org",
        "role": "member",
        "filled_by": "application",
        "term_start": TODAY.isoformat(),
        "term_end": "",
        "interests": "",
        **changes,
    }


def reloaded(session: Session, row: Any) -> Any:
    session.rollback()
    return session.get(type(row), row.id)


def flashes(page: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", message).strip()
        for message in re.findall(r'<p class="flash flash-\w+"[^>]*>(.*?)</p>', page, re.DOTALL)
    ]


# --- The list of groups -------------------------------------------------------------------------


def test_the_list_shows_groups_and_marks_city_wide_ones(
    client: FlaskClient, session: Session, group: AdvisoryGroup
) -> None:
    make_group(session, name="Young People's Panel", city_wide=True)
    draft = make_mission(session, status=MissionStatus.DRAFT)
    make_group(session, draft, name="Secret Draft Group")

    page = page_text(client.get("/advisory/"))

    assert "Streets Advisory Group" in page
    assert "For the mission: Healthy streets" in page
    assert re.search(r"Young People's Panel.*City-wide", page, re.DOTALL)
    assert "Secret Draft Group" not in page
    assert "Create a group" not in page


def test_officers_see_draft_missions_groups_and_the_create_button(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User
) -> None:
    make_group(session, make_mission(session, status=MissionStatus.DRAFT), name="Draft Group")
    sign_in(auth, officer)
    page = page_text(client.get("/advisory/"))
    assert "Draft Group" in page
    assert 'href="/advisory/new"' in page


def test_the_list_can_show_one_missions_groups(
    client: FlaskClient, session: Session, group: AdvisoryGroup
) -> None:
    make_group(session, name="Other Mission Group")
    page = page_text(client.get("/advisory/?mission=healthy-streets"))
    assert "Streets Advisory Group" in page
    assert "Other Mission Group" not in page
    for odd in ("\x00", "x" * 10_000, "%00"):
        assert client.get("/advisory/", query_string={"mission": odd}).status_code == 200


# --- A group's page -----------------------------------------------------------------------------


def test_the_group_page_tells_the_public_how_it_works_and_who_sits_on_it(
    client: FlaskClient, session: Session, group: AdvisoryGroup
) -> None:
    chair = make_user(session, display_name="Ada Chair", email="ada@example.org")
    make_membership(session, group, chair, role=MemberRole.CHAIR)
    ended = make_membership(session, group, make_user(session, display_name="Gone Member"))
    ended.ended_on, ended.end_reason = TODAY, "Moved away."
    session.commit()

    page = page_text(client.get("/advisory/streets"))

    assert "Keep residents at the heart of the mission." in page
    assert "Advise on the mission's projects and how they are measured." in page
    assert "24 months" in page
    assert "2 seats of 6 come up every 12 months" in page
    assert "By application. Residents apply and officers choose among them." in page
    assert re.search(r"Ada Chair</th>\s*<td>Chair</td>", page)
    assert "Gone Member" not in page
    assert "ada@example.org" not in page  # no e-mail addresses in public
    assert 'href="/advisory/streets/meetings"' in page
    assert "/workspace" not in page  # for members only
    assert "Terms and rotation" not in page  # for officers only
    assert "Edit group" not in page


def test_the_register_of_interests_shows_only_what_members_agreed_to_publish(
    client: FlaskClient, auth: AuthActions, session: Session, group: AdvisoryGroup
) -> None:
    public = make_user(session, display_name="Open Member")
    private = make_user(session, display_name="Quiet Member")
    make_membership(
        session, group, public, interests="Trustee of Cycle Club.", interests_public=True
    )
    own = make_membership(session, group, private, interests="Owns Corner Shop.")

    anonymous = page_text(client.get("/advisory/streets"))
    assert "Trustee of Cycle Club." in anonymous
    assert "Owns Corner Shop." not in anonymous

    sign_in(auth, private)
    member = page_text(client.get("/advisory/streets"))
    assert "Owns Corner Shop." in member
    assert "(private: only you and officers see this)" in member
    assert f'href="/advisory/memberships/{own.id}/interests"' in member
    assert 'href="/advisory/streets/workspace"' in member


def test_officers_see_terms_ending_soon_the_next_renewal_and_vacant_seats(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, group: AdvisoryGroup
) -> None:
    make_membership(
        session,
        group,
        make_user(session, display_name="Soon Leaving"),
        term_start=TODAY - timedelta(days=300),
        term_end=TODAY + timedelta(days=20),
    )
    make_membership(session, group, make_user(session, display_name="Staying On"))
    sign_in(auth, officer)

    page = page_text(client.get("/advisory/streets"))

    ending = page.split("Terms ending in the next 60 days")[1].split("Next renewal")[0]
    assert "Soon Leaving: term ends" in ending
    assert "Staying On" not in ending
    assert "4 seats are vacant." in page
    assert "Next renewal:" in page
    assert "Soon Leaving (term" in page.split("Next renewal:")[1]


def test_overdue_responses_are_flagged_for_everyone(
    client: FlaskClient, session: Session, group: AdvisoryGroup
) -> None:
    assert group.mission is not None
    late = make_recommendation(
        session,
        group.mission,
        title="Benches at every bus stop",
        received_on=TODAY - timedelta(days=100),
        response_due=TODAY - timedelta(days=10),
        source_kind=RecommendationSourceKind.ADVISORY_GROUP,
    )
    late.source_id = group.id
    session.commit()

    page = page_text(client.get("/advisory/streets"))

    assert "Responses overdue" in page
    assert "Benches at every bus stop: response due" in page
    assert 'href="/advisory/streets/recommendations"' in page


def test_a_draft_missions_group_is_not_found_by_the_public(
    client: FlaskClient, session: Session
) -> None:
    make_group(session, make_mission(session, status=MissionStatus.DRAFT), slug="hidden")
    assert client.get("/advisory/hidden").status_code == 404
    assert client.get("/advisory/no-such-group").status_code == 404


# --- Setting a group up -------------------------------------------------------------------------


def test_an_officer_creates_a_group(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User
) -> None:
    mission = make_mission(session, title="Ageing well")
    sign_in(auth, officer)

    form = page_text(client.get("/advisory/new"))
    assert "City-wide (no mission)" in form
    assert "Ageing well" in form
    assert field_value(form, "responsible_officer_email") == officer.email

    response = client.post("/advisory/new", data=group_form(officer, mission_id=str(mission.id)))

    assert response.status_code == 302
    assert response.headers["Location"] == "/advisory/older-residents-panel"
    session.rollback()
    created = session.scalar(sa.select(AdvisoryGroup))
    assert created is not None
    assert (created.mission_id, created.seats, created.quorum) == (mission.id, 9, 5)
    assert created.responsible_officer_id == officer.id


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Give the group a name."),
        ({"seats": "many"}, "seats", "Not a valid integer value."),
        ({"quorum": "10"}, "quorum", "The quorum cannot be more than the number of seats."),
        ({"seats_renewed": "10"}, "seats_renewed", "No more seats can be renewed than"),
        ({"mission_id": "999999"}, "mission_id", "Choose a mission from the list."),
        ({"filling": "raffle"}, "filling", "Choose how seats are filled."),
        ({"filling": "lot"}, "jury_id", "Choose the citizens' jury whose draw fills"),
        ({"responsible_officer_email": "x@example.org"}, "responsible_officer_email", "officer"),
        ({"slug": "Not A Slug"}, "slug", "Use lower-case letters, digits and dashes only."),
        ({"term_months": "1000"}, "term_months", "Give a number from 1 to 120."),
    ],
)
def test_a_refused_group_shows_the_error_beside_the_field_and_keeps_the_values(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    officer: User,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    sign_in(auth, officer)
    before = snapshot(session)

    response = client.post("/advisory/new", data=group_form(officer, **changes))

    page = page_text(response)
    assert response.status_code == 200
    assert message in field_error(page, field)
    assert field_value(page, "remit") == "Housing, transport and care services."
    assert field_value(page, "seats") == changes.get("seats", "9")
    assert snapshot(session) == before


def test_an_officer_edits_a_group_from_its_current_values(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, group: AdvisoryGroup
) -> None:
    make_group(session, slug="taken")
    sign_in(auth, officer)

    form = page_text(client.get("/advisory/streets/edit"))
    assert field_value(form, "name") == "Streets Advisory Group"
    assert field_value(form, "seats") == "6"
    assert field_value(form, "responsible_officer_email") == officer.email
    assert re.search(rf'<option selected value="{group.mission_id}">', form)

    values = group_form(officer, name="Streets Panel", slug="streets", seats="8")
    values["mission_id"] = str(group.mission_id)
    taken = client.post("/advisory/streets/edit", data={**values, "slug": "taken"})
    assert "Another advisory group already uses" in field_error(page_text(taken), "slug")

    response = client.post("/advisory/streets/edit", data=values)
    assert response.headers["Location"] == "/advisory/streets"
    edited = reloaded(session, group)
    assert (edited.name, edited.seats) == ("Streets Panel", 8)


# --- Managing members ---------------------------------------------------------------------------


def test_the_members_page_lists_current_future_and_past_members(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, group: AdvisoryGroup
) -> None:
    serving = make_membership(session, group, make_user(session, display_name="Now Serving"))
    later = make_membership(
        session,
        group,
        make_user(session, display_name="Starts Later"),
        term_start=TODAY + timedelta(days=30),
    )
    gone = make_membership(session, group, make_user(session, display_name="Has Left"))
    gone.ended_on, gone.end_reason = TODAY, "Moved to Leeds."
    session.commit()
    sign_in(auth, officer)

    page = page_text(client.get("/advisory/streets/members"))

    current = page.split('id="current-heading"')[1].split('id="upcoming-heading"')[0]
    assert "Now Serving" in current
    assert "Starts Later" not in current
    assert "Starts Later" in page.split('id="upcoming-heading"')[1]
    past = page.split('id="past-heading"')[1]
    assert re.search(r"Has Left</th>.*Moved to Leeds\.", past, re.DOTALL)
    # The role and end forms of each row have inputs of their own, tied to their labels.
    for membership in (serving, later):
        assert f'<label for="reason-{membership.id}">' in page
        assert re.search(rf'<textarea[^>]*id="reason-{membership.id}"', page)


def test_an_officer_adds_a_member(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, group: AdvisoryGroup
) -> None:
    person = make_user(session, display_name="New Member", email="new@example.org")
    sign_in(auth, officer)

    blank = page_text(client.get("/advisory/streets/members"))
    assert field_value(blank, "term_start") == TODAY.isoformat()

    response = client.post(
        "/advisory/streets/members",
        data=member_form(role="vice_chair", interests="Cycling charity."),
        follow_redirects=True,
    )

    assert "New Member joined the group." in flashes(page_text(response))
    session.rollback()
    membership = session.scalar(sa.select(Membership).where(Membership.user_id == person.id))
    assert membership is not None
    assert (membership.role, membership.interests) == (MemberRole.VICE_CHAIR, "Cycling charity.")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "nobody@example.org"}, "email", "Nobody has an account"),
        ({"email": "not an address"}, "email", "Enter an e-mail address like"),
        ({"term_start": "9999-12-31"}, "term_start", "between the years 1900 and 2999"),
        ({"term_start": "31/12/2026"}, "term_start", "Not a valid date value."),
        ({"role": "president"}, "role", "Choose a role from the list."),
    ],
)
def test_a_refused_member_shows_the_error_beside_the_field_and_keeps_the_values(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    officer: User,
    group: AdvisoryGroup,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    make_user(session, email="new@example.org")
    sign_in(auth, officer)
    data = member_form(**{"interests": "Landlord of two flats.", **changes})

    response = client.post("/advisory/streets/members", data=data)

    page = page_text(response)
    assert response.status_code == 200
    assert message in field_error(page, field)
    assert field_value(page, "interests") == "Landlord of two flats."
    assert field_value(page, "email") == data["email"]
    assert reloaded(session, group).memberships == []


def test_a_second_chair_is_refused_beside_the_role_of_that_row(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, group: AdvisoryGroup
) -> None:
    make_membership(session, group, role=MemberRole.CHAIR)
    other = make_membership(session, group)
    sign_in(auth, officer)

    response = client.post(f"/advisory/memberships/{other.id}/role", data={"role": "chair"})

    assert response.status_code == 400
    page = page_text(response)
    assert "Someone already holds this role." in field_error(page, f"role-{other.id}")
    assert reloaded(session, other).role is MemberRole.MEMBER

    ok = client.post(f"/advisory/memberships/{other.id}/role", data={"role": "vice_chair"})
    assert ok.headers["Location"] == "/advisory/streets/members"
    assert reloaded(session, other).role is MemberRole.VICE_CHAIR


def test_ending_a_membership_needs_a_reason(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, group: AdvisoryGroup
) -> None:
    membership = make_membership(session, group, make_user(session, display_name="Leaving Soon"))
    sign_in(auth, officer)
    url = f"/advisory/memberships/{membership.id}/end"

    refused = client.post(url, data={"ended_on": TODAY.isoformat(), "reason": "  "})

    assert refused.status_code == 400
    page = page_text(refused)
    assert "Say why the membership ends." in field_error(page, f"reason-{membership.id}")
    assert field_value(page, "ended_on") == TODAY.isoformat()
    assert reloaded(session, membership).ended_on is None

    response = client.post(
        url, data={"ended_on": TODAY.isoformat(), "reason": "Resigned."}, follow_redirects=True
    )
    assert "The membership of Leaving Soon has ended." in flashes(page_text(response))
    ended = reloaded(session, membership)
    assert (ended.ended_on, ended.end_reason) == (TODAY, "Resigned.")

    again = client.post(url, data={"ended_on": TODAY.isoformat(), "reason": "Again."})
    assert again.status_code == 400
    assert "This membership has already ended." in page_text(again)


# --- The register of interests ------------------------------------------------------------------


def test_a_member_updates_their_own_declared_interests(
    client: FlaskClient, auth: AuthActions, session: Session, group: AdvisoryGroup
) -> None:
    person = make_user(session)
    membership = make_membership(session, group, person, interests="Landlord.")
    sign_in(auth, person)
    url = f"/advisory/memberships/{membership.id}/interests"

    assert field_value(page_text(client.get(url)), "interests") == "Landlord."
    response = client.post(
        url, data={"interests": "Landlord; school governor.", "interests_public": "y"}
    )

    assert response.headers["Location"] == "/advisory/streets"
    saved = reloaded(session, membership)
    assert (saved.interests, saved.interests_public) == ("Landlord; school governor.", True)


def test_nobody_else_reads_or_changes_a_members_private_interests(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User, group: AdvisoryGroup
) -> None:
    membership = make_membership(session, group, interests="Secret shareholding.")
    url = f"/advisory/memberships/{membership.id}/interests"
    sign_in(auth, make_user(session))

    assert client.get(url).status_code == 403
    assert client.post(url, data={"interests": "", "interests_public": "y"}).status_code == 403
    assert reloaded(session, membership).interests == "Secret shareholding."

    auth.sign_out()
    sign_in(auth, officer)
    assert "Secret shareholding." in page_text(client.get(url))
    assert client.post(url, data={"interests": "Updated by officer."}).status_code == 302
    assert reloaded(session, membership).interests == "Updated by officer."


# --- Filling seats by lot -----------------------------------------------------------------------


def test_filling_seats_by_lot_reports_who_was_seated_and_who_was_not(
    client: FlaskClient, auth: AuthActions, session: Session, officer: User
) -> None:
    drawn = make_drawn_jury(session, officer)
    seats = draws.get_panel(session, drawn.draw_id, officer).seats
    for seat in seats[:3]:  # the fourth person drawn volunteered without an account
        seat.member.user_id = make_user(session).id
    session.commit()
    names = [seat.member.name for seat in seats]
    group = make_group(session, seats=2, quorum=1, filling=SeatFilling.LOT, slug="by-lot")
    group.jury_id = drawn.jury_id
    session.commit()
    sign_in(auth, officer)

    members_page = page_text(client.get("/advisory/by-lot/members"))
    assert 'action="/advisory/by-lot/fill-by-lot"' in members_page
    response = client.post("/advisory/by-lot/fill-by-lot", follow_redirects=True)

    messages = flashes(page_text(response))
    assert "2 seats filled by lot." in messages
    assert any(names[3] in m and "without an account" in m for m in messages)
    assert f"Drawn, but no seat was left for: {names[2]}." in messages
    assert len(reloaded(session, group).memberships) == 2


def test_filling_by_lot_a_group_without_a_jury_explains_why_not(
    client: FlaskClient, auth: AuthActions, officer: User, group: AdvisoryGroup
) -> None:
    sign_in(auth, officer)
    response = client.post("/advisory/streets/fill-by-lot", follow_redirects=True)
    assert "This group does not fill its seats by lot." in flashes(page_text(response))


# --- Who may do what ----------------------------------------------------------------------------


def test_only_officers_manage_groups_and_members(
    client: FlaskClient, auth: AuthActions, session: Session, group: AdvisoryGroup
) -> None:
    membership = make_membership(session, group)
    officer_only = [
        ("GET", "/advisory/new"),
        ("POST", "/advisory/new"),
        ("GET", "/advisory/streets/edit"),
        ("POST", "/advisory/streets/edit"),
        ("GET", "/advisory/streets/members"),
        ("POST", "/advisory/streets/members"),
        ("POST", f"/advisory/memberships/{membership.id}/role"),
        ("POST", f"/advisory/memberships/{membership.id}/end"),
        ("POST", "/advisory/streets/fill-by-lot"),
    ]
    for method, url in officer_only:
        anonymous = client.open(url, method=method)
        assert anonymous.status_code == 302, url
        assert anonymous.headers["Location"].startswith("/sign-in"), url
    sign_in(auth, membership.user)  # even the group's own members
    for method, url in officer_only:
        assert client.open(url, method=method).status_code == 403, url
    before = snapshot(session)
    client.post(f"/advisory/memberships/{membership.id}/end", data={"reason": "x"})
    assert snapshot(session) == before


# Each replaces one field's value in an otherwise valid form: NUL (PostgreSQL cannot store it),
# a huge string, numbers too big or negative, a year a date cannot hold, and nothing at all.
ODD_VALUES = {
    "nul": "\x00",
    "huge": "x" * 100_000,
    "overflow": "1e400",
    "digits": "9" * 5000,
    "negative": "-1",
    "unparseable-year": "99999-01-01",
    "last-year": "9999-12-31",  # a term from then would end after the last year a date holds
    "empty": "",
}


@pytest.mark.parametrize("odd", ODD_VALUES.values(), ids=ODD_VALUES.keys())
def test_odd_input_in_any_field_never_causes_a_server_error(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    officer: User,
    group: AdvisoryGroup,
    odd: str,
) -> None:
    membership = make_membership(session, group)
    make_user(session, email="new@example.org")
    sign_in(auth, officer)
    forms = {
        "/advisory/new": group_form(officer),
        "/advisory/streets/edit": group_form(officer, slug="streets"),
        "/advisory/streets/members": member_form(),
        f"/advisory/memberships/{membership.id}/role": {"role": "member"},
        f"/advisory/memberships/{membership.id}/end": {
            "ended_on": TODAY.isoformat(),
            "reason": "x",
        },
        f"/advisory/memberships/{membership.id}/interests": {
            "interests": "",
            "interests_public": "y",
        },
    }
    for url, valid in forms.items():
        for name in valid:
            response = client.post(url, data={**valid, name: odd})
            assert response.status_code < 500, (url, name)
