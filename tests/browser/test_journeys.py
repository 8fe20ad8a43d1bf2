"""The main journeys of residents, officers and administrators, walked in Chromium."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Request, expect

from engage import audit
from engage.security import Role
from tests.browser.conftest import GatedRunner, LiveServer, Tab, sign_in
from tests.factories import make_mission, make_recommendation, make_user


@pytest.mark.browser
def test_resident_registers_and_reads_a_mission(live_server: LiveServer, tab: Tab) -> None:
    with live_server.session() as session:
        mission = make_mission(
            session,
            title="Healthy streets",
            statements=("Every street in the city has clean air by 2030.",),
        )
        slug = mission.slug
    page = tab.page

    page.goto("/register")
    page.get_by_label("Name shown to others").fill("Amira")
    page.get_by_label("E-mail address").fill("amira@example.org")
    page.get_by_label("Password", exact=True).fill("violet harbour lantern 42")
    page.get_by_label("Password again").fill("violet harbour lantern 42")
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("status")).to_contain_text("Welcome, Amira. Your account is ready.")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Missions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Missions")
    page.get_by_role("link", name="Healthy streets").click()

    expect(page).to_have_url(f"{live_server.url}/missions/{slug}")
    expect(page.locator("#current-statement")).to_have_text(
        "Every street in the city has clean air by 2030."
    )
    expect(page.locator("#current-statement")).to_be_visible()

    # Keyboard users can jump past the navigation: the skip link comes first and focuses <main>.
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    box = skip_link.bounding_box()
    assert box is not None and box["x"] >= 0, "the focused skip link must be on screen"
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    assert tab.console_errors == []


@pytest.mark.browser
def test_officer_publishes_a_statement_version_the_public_can_trace(
    live_server: LiveServer, new_tab: Callable[[], Tab]
) -> None:
    with live_server.session() as session:
        officer = make_user(session, role=Role.OFFICER)
        mission = make_mission(
            session, title="Healthy streets", statements=("Every street healthy by 2030.",)
        )
        recommendation = make_recommendation(session, mission, title="Safer crossings")
        officer_email, slug = officer.email, mission.slug
        cited = f"{recommendation.source_label}: {recommendation.title}"
    officer_tab = new_tab()
    page = officer_tab.page

    sign_in(page, officer_email)
    page.goto(f"/missions/{slug}")
    page.get_by_role("link", name="Publish a new statement version").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish a new statement version")
    text = page.get_by_label("New statement")
    expect(text).to_have_value("Every street healthy by 2030.")
    text.fill("Every street healthy and safe for children by 2030.")
    page.get_by_label("Why it changed").fill("The jury asked us to put children's safety first.")
    page.get_by_label(cited).check()
    page.get_by_role("button", name="Publish version").click()

    expect(page).to_have_url(f"{live_server.url}/missions/{slug}/statement")
    expect(page.get_by_role("status")).to_contain_text("New statement version published.")
    assert officer_tab.console_errors == []

    public = new_tab().page  # a fresh context: nobody signed in
    public.goto(f"/missions/{slug}/statement")
    expect(public.get_by_role("button", name="Sign out")).to_have_count(0)
    newest = public.locator("#version-2")
    diff = newest.get_by_test_id("diff")
    expect(diff.locator("ins")).to_contain_text(["and safe for children"])
    expect(diff.locator("del")).to_have_count(0)
    expect(newest).to_contain_text("The jury asked us to put children's safety first.")
    expect(newest.get_by_role("link", name=cited)).to_be_visible()

    # Rewording (not only adding) shows the old words struck through beside the new ones.
    officer_tab.page.goto(f"/missions/{slug}/statement/new")
    officer_tab.page.get_by_label("New statement").fill(
        "Every street clean and safe for children by 2030."
    )
    officer_tab.page.get_by_label("Why it changed").fill("Residents said healthy was too vague.")
    officer_tab.page.get_by_role("button", name="Publish version").click()
    expect(officer_tab.page).to_have_url(f"{live_server.url}/missions/{slug}/statement")

    public.reload()
    newest = public.locator("#version-3")
    expect(newest.get_by_test_id("diff").locator("del")).to_contain_text(["healthy"])
    expect(newest.get_by_test_id("diff").locator("ins")).to_contain_text(["clean"])
    expect(newest).to_contain_text("Residents said healthy was too vague.")
    # The earlier version keeps its rationale and the recommendation it cited.
    expect(public.locator("#version-2").get_by_role("link", name=cited)).to_be_visible()


@pytest.mark.browser
def test_wrong_password_is_explained_beside_the_password_field(
    live_server: LiveServer, tab: Tab
) -> None:
    with live_server.session() as session:
        person = make_user(session, email="sam@example.org")
        email = person.email
    page = tab.page

    page.goto("/sign-in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill("not the right password at all")
    page.get_by_role("button", name="Sign in").click()

    message = "The e-mail address or password is not right."
    password = page.get_by_label("Password", exact=True)
    container = page.locator(".field").filter(has=page.locator("#password"))
    error = container.locator(".error-message")
    expect(error).to_contain_text(message)
    error_id = error.get_attribute("id")
    assert error_id
    described_by = (password.get_attribute("aria-describedby") or "").split()
    assert error_id in described_by
    expect(password).to_have_attribute("aria-invalid", "true")
    # The message belongs to the password field only, and what the person typed is kept.
    expect(
        page.locator(".field").filter(has=page.locator("#email")).locator(".error-message")
    ).to_have_count(0)
    expect(page.get_by_label("E-mail address")).to_have_value(email)
    expect(password).to_have_value("")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert tab.console_errors == []


@pytest.mark.browser
def test_admin_checks_the_audit_chain_and_follows_the_job(
    live_server: LiveServer, tab: Tab, gated_jobs: GatedRunner
) -> None:
    with live_server.session() as session:
        admin = make_user(session, role=Role.ADMIN)
        for number in range(3):
            audit.record(session, admin, "test.entry", f"entry:{number}", {"number": number})
        session.commit()
        admin_email = admin.email
    page = tab.page
    polls: list[str] = []

    def count_polls(request: Request) -> None:
        if re.search(r"/jobs/\d+/status$", request.url):
            polls.append(request.url)

    page.on("request", count_polls)

    sign_in(page, admin_email)
    page.goto("/admin/audit")
    page.get_by_role("button", name="Check the whole chain").click()

    expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
    expect(page.locator("#job-state")).to_have_text("Waiting to start")
    expect(page.locator(".job")).to_have_attribute("data-finished", "false")
    # The page's script polls the job's status while it waits.
    for _ in range(50):
        if polls:
            break
        page.wait_for_timeout(100)
    assert polls, "the job page never asked for the job's status"

    gated_jobs.release.set()
    # When the job finishes, the script reloads the page, which then shows the result.
    expect(page.get_by_text("The audit log is intact")).to_be_visible()
    expect(page.get_by_text("The audit log is intact")).to_contain_text("3 entries verified")
    expect(page.locator(".job")).to_have_attribute("data-finished", "true")
    expect(page.locator("#job-state")).to_have_text("Finished")
    progress = page.get_by_label("Progress")
    expect(progress).to_have_attribute("value", "100")
    assert progress.evaluate("bar => bar.position") == 1

    assert tab.csp_violations == []
    assert tab.console_errors == []
