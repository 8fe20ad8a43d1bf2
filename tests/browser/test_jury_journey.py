"""A jury officer's journey from a volunteer pool to a drawn panel, walked in Chromium: a LEXIMIN
run followed as a job, the commitment, the reveal, the panel; and the public draw page."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Request, expect

from engage.juries import draws
from engage.security import Role
from tests.browser.conftest import GatedRunner, LiveServer, Tab, sign_in
from tests.factories import make_user
from tests.juries.draw_support import RANDOM_VALUE, SOURCE, make_jury


@pytest.mark.browser
def test_officer_runs_leximin_commits_reveals_and_the_public_can_check(
    live_server: LiveServer, new_tab: Callable[[], Tab], gated_jobs: GatedRunner
) -> None:
    with live_server.session() as session:
        officer = make_user(session, role=Role.OFFICER)
        jury = make_jury(session, officers=[officer])
        officer_email, jury_id = officer.email, jury.id
    officer_tab = new_tab()
    page = officer_tab.page
    polls: list[str] = []

    def count_polls(request: Request) -> None:
        if re.search(r"/juries/runs/\d+/status$", request.url):
            polls.append(request.url)

    page.on("request", count_polls)
    sign_in(page, officer_email)

    # Start a LEXIMIN run: the page answers at once and follows the job.
    page.goto(f"/juries/{jury_id}/selection")
    expect(page.get_by_label("LEXIMIN: the fairest lottery the quotas allow")).to_be_checked()
    page.get_by_role("button", name="Start the selection").click()
    expect(page).to_have_url(re.compile(r"/juries/runs/\d+$"))
    expect(page.locator("#job-state")).to_have_text("Waiting to start")
    for _ in range(50):
        if polls:
            break
        page.wait_for_timeout(100)
    assert polls, "the run page never asked for the job's status"
    gated_jobs.release.set()

    # When the job is done the page reloads and shows the fairness report with its numbers.
    expect(page.get_by_role("heading", name="Fairness report")).to_be_visible(timeout=60_000)
    expect(page.locator("#fairness-table")).to_contain_text("Smallest chance")
    expect(page.locator("#chances tbody tr")).to_have_count(8)

    # Commit: announce the source of randomness and freeze the pool.
    page.get_by_role("link", name="Commit a draw from this run").click()
    page.get_by_label("Source of public randomness").fill(SOURCE)
    page.get_by_label("I understand that the pool and the quotas can no longer change").check()
    page.get_by_role("button", name="Commit and publish").click()
    expect(page).to_have_url(re.compile(r"/juries/draws/\d+$"))
    expect(page.get_by_role("status")).to_contain_text("The draw is committed and published")
    commitment = page.locator("#commitment").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", commitment)
    public_url = page.url

    # Reveal: the random value, once, with a confirmation; the panel follows.
    page.get_by_role("link", name="Enter the random value").click()
    page.get_by_label("Random value").fill(RANDOM_VALUE)
    page.get_by_label("I have checked this value against its public source.").check()
    page.get_by_role("button", name="Draw the panel").click()
    expect(page).to_have_url(re.compile(r"/juries/draws/\d+/panel$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Panel and reserves")
    expect(page.locator("#panel tbody tr")).to_have_count(4)
    expect(page.locator("#panel")).to_contain_text("@example.org")  # contacts, for officers
    assert officer_tab.csp_violations == []
    assert officer_tab.console_errors == []

    # Anyone, signed in or not, sees the commitment, the value and the panel by pseudonym.
    public_tab = new_tab()
    public = public_tab.page
    public.goto(public_url)
    expect(public.get_by_role("button", name="Sign out")).to_have_count(0)
    expect(public.locator("#commitment")).to_have_text(commitment)
    expect(public.locator("#random-value")).to_have_text(RANDOM_VALUE)
    with live_server.session() as session:
        draw_id = int(public_url.rsplit("/", 1)[1])
        expected = draws.public_draw(session, draw_id).panel
    expect(public.locator("#panel-pseudonyms li")).to_have_text(expected)
    expect(public.locator("body")).not_to_contain_text("@example.org")
    expect(public.get_by_role("link", name="Download the bundle (JSON)")).to_be_visible()
    assert public_tab.console_errors == []
