"""An evaluator's journey in Chromium: from the evidence of a mission, find themes (a job the
page follows), add them to the coding frame, merge two of them, code an excerpt of an item, and
download the evidence package, which `frictionless` validates and which holds no e-mail
address."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from frictionless import validate
from playwright.sync_api import expect

from engage.security import Role
from tests.browser.conftest import LiveServer, Tab, sign_in
from tests.evaluation.corpus import planted_corpus
from tests.factories import make_evidence, make_mission, make_user

PAVEMENTS = (
    "Wider pavements by the school gates, please. Write to me at ana.lopez@example.org if the "
    "council wants to see the crush at pick-up time."
)
EXCERPT = "Wider pavements by the school gates"
THEMES = 4  # a fixed number, so the journey does not depend on the stability measure


@pytest.mark.browser
def test_an_evaluator_finds_themes_merges_two_codes_an_item_and_downloads_the_package(
    live_server: LiveServer, new_tab: Callable[[], Tab], tmp_path: Path
) -> None:
    with live_server.session() as session:
        evaluator = make_user(session, role=Role.EVALUATOR, display_name="Eva Evaluator")
        mission = make_mission(session, title="Healthy streets", slug="healthy-streets")
        texts, _, sources, segments = planted_corpus(150, seed=3)
        for text, source, segment in zip(texts, sources, segments, strict=True):
            make_evidence(session, mission, text, title=text[:40], domain=source or "codesign",
                          segment=segment and f"age {segment}")  # fmt: skip
        make_evidence(session, mission, PAVEMENTS, title="Pavements at the school gates")
        email = evaluator.email

    tab = new_tab()
    page = tab.page
    sign_in(page, email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Evaluation").click()
    page.get_by_role("link", name="Healthy streets", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evidence")

    # Themes: from the evidence page, a fixed number of themes, followed as a job.
    page.get_by_role("link", name="Find themes in them").click()
    page.get_by_label("Number of themes").select_option(str(THEMES))
    page.get_by_role("button", name="Find themes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Theme run \d+"))
    expect(page.get_by_role("heading", name=f"{THEMES} themes")).to_be_visible(timeout=60_000)
    sizes = page.get_by_role("table", name=re.compile("Texts in each theme"))
    expect(sizes.get_by_role("row")).to_have_count(1 + THEMES + 1)  # header, themes, no theme
    page.get_by_role("button", name=f"Add these {THEMES} themes to the coding frame").click()
    expect(page.get_by_role("status").first).to_be_visible()
    active = page.get_by_role("region", name="Active codes")
    theme_links = active.get_by_role("link", name=re.compile(r"^Theme \d+: "))
    expect(theme_links).to_have_count(THEMES)
    first, second = theme_links.nth(0).inner_text(), theme_links.nth(1).inner_text()

    # Merge the first theme into the second.
    theme_links.nth(0).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(first)
    page.get_by_label("Merge into", exact=True).select_option(label=second)
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text(second)
    page.get_by_role("link", name="Coding frame", exact=True).click()
    expect(active.get_by_role("link", name=re.compile(r"^Theme \d+: "))).to_have_count(THEMES - 1)
    merged = page.get_by_role("region", name="Merged codes")
    expect(merged).to_contain_text(first)
    expect(merged).to_contain_text(second)

    # Code an excerpt of an item found by searching the evidence.
    page.get_by_role("link", name="Evidence", exact=True).click()
    page.get_by_label("Words").fill("pavements gates")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("status").first).to_contain_text("1 item matches.")
    page.get_by_role("link", name="Pavements at the school gates").click()
    page.get_by_label("Code", exact=True).select_option(label=second)
    page.get_by_label("Excerpt (optional)").fill(EXCERPT)
    page.get_by_role("button", name="Apply the code").click()
    applied = page.get_by_role("table", name="Codes applied to this item")
    expect(applied).to_contain_text(EXCERPT)
    expect(applied).to_contain_text("Eva Evaluator")

    # The evidence package: a valid Frictionless package with the e-mail address scrubbed.
    page.get_by_role("link", name="Evidence package").click()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the package (zip)").click()
    zipped = tmp_path / "package.zip"
    download_info.value.save_as(zipped)
    with zipfile.ZipFile(zipped) as package:
        package.extractall(tmp_path / "package")
        evidence = package.read("evidence.csv").decode("utf-8")
        applications = list(
            csv.DictReader(io.StringIO(package.read("code_applications.csv").decode()))
        )
    report = validate(tmp_path / "package" / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert "ana.lopez@example.org" not in evidence and "[email]" in evidence
    assert any(row["excerpt"] == EXCERPT for row in applications)
    assert not tab.console_errors
