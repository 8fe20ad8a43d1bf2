"""A co-design statements round walked in Chromium: a resident votes and adds a statement; an
officer closes the round, reads the opinion groups and publishes a synthesis with a new mission
statement; the public mission page shows what changed and the contributions behind it."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from engage.codesign import services as codesign
from engage.codesign.models import Contribution, RoundKind
from engage.security import Role
from tests.browser.conftest import LiveServer, Tab, sign_in
from tests.factories import make_mission, make_process, make_round, make_user, make_votes

STATEMENTS = (
    "Streets outside schools should close to traffic at drop-off times.",
    "The borough should build more car parks near the high streets.",
    "Every street should have trees, even if it means fewer parking spaces.",
    "The speed limit on residential streets should be 20 mph.",
)
# Two camps of neighbours: one for streets for people, one for access by car; all want trees.
CAMPS = ((1, -1, 1, 1), (-1, 1, 1, -1))
NEW_STATEMENT = "Every primary school should have a safe cycle route to it."


@pytest.mark.browser
def test_a_statements_round_from_votes_to_a_new_mission_statement(
    live_server: LiveServer, new_tab: Callable[[], Tab]
) -> None:
    with live_server.session() as session:
        officer = make_user(session, role=Role.OFFICER)
        resident = make_user(session, display_name="Amira")
        mission = make_mission(
            session, title="Healthy streets", statements=("Every street healthy by 2030.",)
        )
        process = make_process(session, mission, title="Writing the mission together")
        round_ = make_round(
            session,
            process,
            kind=RoundKind.STATEMENTS,
            items=STATEMENTS,
            title="Where do we agree?",
        )
        statements = codesign.seeded_items(session, round_.id)
        neighbours = [make_user(session) for _ in range(10)]
        make_votes(
            session,
            round_,
            [
                (person, statement, value)
                for number, person in enumerate(neighbours)
                for statement, value in zip(statements, CAMPS[number % 2], strict=True)
            ],
        )
        slug, round_id, trees_id = mission.slug, round_.id, statements[2].id
        officer_email, resident_email = officer.email, resident.email

    # A resident finds the round from the mission and votes on every statement, one at a time.
    resident_tab = new_tab()
    page = resident_tab.page
    sign_in(page, resident_email)
    page.goto(f"/missions/{slug}")
    page.get_by_role("link", name=re.compile("Help shape this mission")).click()
    page.get_by_role("link", name="Writing the mission together").click()
    page.get_by_role("link", name="Where do we agree?").click()
    page.get_by_role("link", name="Vote on statements").click()
    seen = []
    for number in range(len(STATEMENTS)):
        expect(page.locator("#progress")).to_contain_text(
            f"You have voted on {number} of {len(STATEMENTS)} statements."
        )
        shown = page.locator("#statement-text").inner_text()
        assert shown in STATEMENTS and shown not in seen, "each statement once, unseen first"
        seen.append(shown)
        page.get_by_role(
            "button", name="Agree" if number % 2 == 0 else "Disagree", exact=True
        ).click()
    expect(page.get_by_role("status")).to_contain_text("You have voted on every statement")

    # ... then adds one of their own, which goes straight back into the round.
    page.get_by_role("link", name="Is something missing? Add your own statement").click()
    page.get_by_label("Your statement").fill(NEW_STATEMENT)
    page.get_by_role("button", name="Add statement").click()
    expect(page.get_by_role("status").first).to_contain_text("Your contribution is published")
    expect(page.locator("#progress")).to_contain_text(
        f"You have voted on {len(STATEMENTS) + 1} of {len(STATEMENTS) + 1} statements."
    )
    assert resident_tab.console_errors == []

    # The officer closes the round and reads the opinion groups.
    officer_tab = new_tab()
    page = officer_tab.page
    sign_in(page, officer_email)
    page.goto(f"/codesign/rounds/{round_id}")
    page.get_by_role("button", name="Close the round").click()
    expect(page.get_by_role("status").first).to_be_visible()
    page.get_by_role("link", name=re.compile("See the opinion groups")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Opinion groups")
    groups = page.get_by_role("table", name=re.compile("Groups, largest first"))
    expect(groups).to_contain_text("Group A")
    expect(groups).to_contain_text("Group B")
    expect(page.get_by_role("img", name="Participants placed by how they voted")).to_be_visible()
    consensus = page.get_by_role("region", name="Where every group agrees")
    expect(consensus).to_contain_text(STATEMENTS[2])
    expect(page.get_by_role("heading", name="How the groups are found")).to_be_visible()

    # The synthesis cites the consensus statement and the resident's new one by number, as the
    # list of what can be cited shows them.
    with live_server.session() as session:
        new_id = session.scalars(
            sa.select(Contribution.id).where(Contribution.text == NEW_STATEMENT)
        ).one()
    page.goto(f"/codesign/rounds/{round_id}")
    page.get_by_role("link", name="Synthesis", exact=True).click()
    expect(page.get_by_text(f"#{new_id}", exact=True).first).to_be_visible()
    page.get_by_label("Synthesis", exact=True).fill(
        f"Everyone wants trees (#{trees_id}); a resident asked for cycle routes (#{new_id})."
    )
    page.get_by_label("Publish a new mission statement version with it").check()
    page.get_by_label("New mission statement", exact=True).fill(
        "Every street healthy and green by 2030, with a safe cycle route to every school."
    )
    page.get_by_role("button", name="Publish").click()
    synthesis = page.get_by_role("region", name="What we heard and what we did with it")
    expect(synthesis.get_by_role("link", name=f"#{new_id}")).to_be_visible()
    assert officer_tab.console_errors == []

    # Anyone reading the mission sees the change and the contributions behind it.
    public = new_tab()
    page = public.page
    page.goto(f"/missions/{slug}")
    expect(page.locator("#current-statement")).to_contain_text("healthy and green by 2030")
    change = page.get_by_role("region", name="What changed in version 2")
    expect(change.get_by_test_id("diff").locator("ins").first).to_be_visible()
    expect(change.get_by_test_id("diff")).to_contain_text("green")
    cited = change.get_by_role("link", name=re.compile(f"#{new_id} "))
    expect(cited).to_be_visible()
    cited.click()
    expect(page.locator(".contribution")).to_contain_text(NEW_STATEMENT)
    assert public.console_errors == [] and public.csp_violations == []

    # And the resident sees what became of their statement.
    page = resident_tab.page
    page.goto("/codesign/mine")
    mine = page.locator(f"#contribution-{new_id}")
    expect(mine).to_contain_text("Cited in the synthesis of")
    expect(mine.get_by_role("link", name="version 2 of the mission statement")).to_be_visible()
