"""A standing advisory group walked in Chromium: an officer creates it, fills its seats (one by
appointment, one by lot from a citizens' jury's draw) and schedules a meeting; the members
record attendance, draft and adopt a recommendation; the officer responds in the register; and
the public mission page shows it under "you said, we did"."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from engage.juries import draws
from engage.juries.models import PoolMember
from engage.security import Role
from tests.browser.conftest import LiveServer, Tab, sign_in
from tests.factories import make_mission, make_user
from tests.juries.draw_support import make_drawn_jury

RECOMMENDATION = "Publish air quality readings for every street, every month."


@pytest.mark.browser
def test_an_advisory_group_from_its_seats_to_an_answered_recommendation(
    live_server: LiveServer, new_tab: Callable[[], Tab]
) -> None:
    with live_server.session() as session:
        officer = make_user(session, role=Role.OFFICER, display_name="Olu Officer")
        chair = make_user(session, display_name="Ada Chair")
        drawn_resident = make_user(session, display_name="Bea Drawn")
        mission = make_mission(session, title="Healthy streets")
        # A jury whose revealed draw is the applicant pool; one drawn volunteer has an account.
        jury = make_drawn_jury(session, officer)
        first_seat = draws.get_panel(session, jury.draw_id, officer).seats[0]
        session.execute(
            sa.update(PoolMember)
            .where(PoolMember.id == first_seat.member.id)
            .values(user_id=drawn_resident.id)
        )
        session.commit()
        emails = {"officer": officer.email, "chair": chair.email, "drawn": drawn_resident.email}
        slug = mission.slug

    # The officer creates the group, seats the chair and fills the rest by lot.
    page = new_tab().page
    sign_in(page, emails["officer"])
    page.goto("/advisory/")
    page.get_by_role("link", name="Create a group").click()
    page.get_by_label("Name", exact=True).fill("Healthy Streets Advisory Group")
    page.get_by_label("Mission").select_option(label="Healthy streets")
    page.get_by_label("Purpose").fill("Keep residents at the heart of the mission.")
    page.get_by_label("Remit").fill("Advise on projects and how they are measured.")
    page.get_by_label("Number of seats").fill("6")
    page.get_by_label("Term length in months").fill("24")
    page.get_by_label("Seats renewed at each rotation").fill("2")
    page.get_by_label("Months between rotations").fill("12")
    page.get_by_label("By lot").check()
    page.get_by_label("Citizens' jury").select_option(index=1)
    page.get_by_label("Quorum").fill("2")
    page.get_by_label("E-mail address of the responsible officer").fill(emails["officer"])
    page.get_by_role("button", name=re.compile("Save|Create")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Healthy Streets Advisory Group")

    page.get_by_role("link", name="Manage members").click()
    page.get_by_label("E-mail address of the new member").fill(emails["chair"])
    page.get_by_label("Role").last.select_option(label="Chair")
    page.get_by_label("How the seat was filled").select_option(label="By appointment")
    page.get_by_label("Term starts").fill(datetime.now(UTC).date().isoformat())
    page.get_by_role("button", name=re.compile("Add")).click()
    expect(page.get_by_role("status").first).to_be_visible()
    page.get_by_role("button", name="Fill the vacant seats from the jury's draw").click()
    expect(page.get_by_role("status").first).to_contain_text("1")
    members = page.get_by_role("table").first
    expect(members).to_contain_text("Ada Chair")
    expect(members).to_contain_text("Bea Drawn")

    # ... and schedules a meeting that is under way.
    page.goto("/advisory/")
    page.get_by_role("link", name="Healthy Streets Advisory Group").click()
    page.get_by_role("link", name="Meetings").click()
    page.get_by_role("link", name="Schedule a meeting").click()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    page.get_by_label("Title").fill("Autumn meeting")
    page.get_by_label("Starts").fill(_local(now - timedelta(hours=1)))
    page.get_by_label("Ends").fill(_local(now + timedelta(hours=1)))
    page.get_by_label("Place").fill("Town Hall, Room 2")
    page.get_by_label("Agenda").fill("Welcome\nAir quality data")
    page.get_by_role("button", name=re.compile("Save|Schedule")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Autumn meeting")
    meeting_url = page.url

    # The chair records who came, drafts the recommendation; the drawn member comments.
    chair_page = new_tab().page
    sign_in(chair_page, emails["chair"])
    chair_page.goto(meeting_url)
    chair_page.get_by_role("link", name="Record attendance").click()
    for name in ("Ada Chair", "Bea Drawn"):
        chair_page.get_by_role("group", name=name).get_by_label("Present").check()
    chair_page.get_by_role("button", name="Save attendance").click()
    expect(chair_page.get_by_text(re.compile("Quorate: 2 of 2 present"))).to_be_visible()

    chair_page.goto("/advisory/")
    chair_page.get_by_role("link", name="Healthy Streets Advisory Group").click()
    chair_page.get_by_role("link", name="Members' workspace").click()
    chair_page.get_by_label("Title").fill("Air quality data for every street")
    chair_page.get_by_role("textbox", name="Recommendation", exact=True).fill(RECOMMENDATION)
    chair_page.get_by_role("button", name="Start the draft").click()
    expect(chair_page.get_by_role("heading", level=1)).to_contain_text("Air quality data")
    draft_url = chair_page.url

    member_page = new_tab().page
    sign_in(member_page, emails["drawn"])
    member_page.goto(draft_url)
    member_page.get_by_label("Your comment").fill("Yes, and in plain language please.")
    member_page.get_by_role("button", name="Add comment").click()
    expect(member_page.get_by_text("Yes, and in plain language please.")).to_be_visible()

    chair_page.reload()
    chair_page.get_by_label("Adopted at the meeting").select_option(index=0)
    chair_page.get_by_role("button", name="Record the adoption").click()
    expect(chair_page.get_by_role("status").first).to_be_visible()

    # The officer answers in the mission's register.
    page.goto(f"/missions/{slug}/you-said-we-did")
    page.get_by_role("link", name=re.compile("Respond or add an update")).first.click()
    page.get_by_label("Decision").select_option(label="Accepted")
    page.get_by_label("Reasons").fill("We will publish monthly readings from January.")
    page.get_by_label("Responding on behalf of").fill("Cabinet Member for Environment")
    page.get_by_label("Date of the response").fill(datetime.now(UTC).date().isoformat())
    page.get_by_role("button", name="Save response").click()

    # Anyone reading the mission sees what the group said and what the city did.
    public = new_tab()
    _expect_you_said_we_did(public.page, slug)
    assert public.console_errors == [] and public.csp_violations == []


def _local(moment: datetime) -> str:
    """A datetime-local value in the deployment's time zone (UTC by default)."""
    return moment.strftime("%Y-%m-%dT%H:%M")


def _expect_you_said_we_did(page: Page, slug: str) -> None:
    page.goto(f"/missions/{slug}")
    section = page.get_by_role("region", name="You said, we did")
    entry = section.get_by_role("listitem").filter(has_text="Air quality data for every street")
    expect(entry).to_contain_text("Healthy Streets Advisory Group")
    expect(entry).to_contain_text("Accepted")
    expect(entry).to_contain_text("We will publish monthly readings from January.")
