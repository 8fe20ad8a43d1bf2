"""The evaluation report page through the test client: who may read it, what it shows (charts
beside their tables, suppressed counts, scrubbed quotes), an empty mission, and odd addresses."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.evaluation.models import LearningLoop
from engage.missions.models import Decision, Mission, MissionStatus
from tests.conftest import AuthActions
from tests.evaluation.test_report import apply, harvest, learn
from tests.factories import (
    make_code,
    make_evidence,
    make_indicator,
    make_mission,
    make_outcome,
    make_recommendation,
    make_response,
)
from tests.missions.test_views import page_text, sign_in


def url(mission: Mission) -> str:
    return f"/evaluation/{mission.slug}/report"


def section(page: str, section_id: str) -> str:
    """The HTML of one section of the report."""
    match = re.search(rf'<section id="{section_id}".*?</section>', page, re.DOTALL)
    assert match is not None, f"section {section_id}"
    return match.group(0)


def test_residents_and_visitors_cannot_read_the_report(
    client: FlaskClient, auth: AuthActions, mission: Mission, resident: User
) -> None:
    visitor = client.get(url(mission))
    assert visitor.status_code == 302
    assert "/sign-in" in visitor.headers["Location"]
    sign_in(auth, resident)
    assert client.get(url(mission)).status_code == 403


def test_officers_and_evaluators_read_it(
    client: FlaskClient,
    auth: AuthActions,
    mission: Mission,
    officer: User,
    evaluator: User,
) -> None:
    for person in (officer, evaluator):
        sign_in(auth, person)
        response = client.get(url(mission))
        assert response.status_code == 200
        page = page_text(response)
        assert "Evaluation report: Healthy streets" in page
        auth.sign_out()


def test_an_unknown_mission_or_odd_address_is_not_found(
    client: FlaskClient, auth: AuthActions, evaluator: User
) -> None:
    sign_in(auth, evaluator)
    assert client.get("/evaluation/no-such-mission/report").status_code == 404
    assert client.get("/evaluation/%00/report").status_code == 404
    assert client.get("/evaluation/" + "x" * 5000 + "/report").status_code == 404


def test_a_draft_mission_has_a_report_too(
    session: Session, client: FlaskClient, auth: AuthActions, officer: User
) -> None:
    draft = make_mission(session, title="Still a draft", status=MissionStatus.DRAFT)
    sign_in(auth, officer)
    assert client.get(url(draft)).status_code == 200


def test_an_empty_mission_gives_a_sensible_report(
    client: FlaskClient, auth: AuthActions, mission: Mission, evaluator: User
) -> None:
    sign_in(auth, evaluator)
    response = client.get(url(mission))

    assert response.status_code == 200
    page = page_text(response)
    assert "The evidence index has not been built for this mission yet" in page
    assert "there is no participation to show" in page
    assert "No participant's segment is known yet." in page
    assert "The coding frame has no active codes yet." in page
    assert "The mission's register holds no recommendations yet." in page
    assert "The mission has no outcomes and no harvested outcomes yet." in page
    assert "The learning log has no entries yet." in page


def test_the_top_has_contents_the_date_made_and_a_print_hint(
    session: Session, client: FlaskClient, auth: AuthActions, mission: Mission, evaluator: User
) -> None:
    make_evidence(session, mission)
    sign_in(auth, evaluator)
    response = client.get(url(mission))
    page = page_text(response)

    for anchor in ("participation", "segments", "themes", "register", "outcomes", "learning"):
        assert f'href="#{anchor}"' in page
        assert f'<section id="{anchor}" class="report-section"' in page
    assert "Report made on" in page
    assert "The evidence index was last updated on" in page
    assert f'href="/evaluation/{mission.slug}/"' in page  # the evidence page, to update it
    assert "Print or save as PDF" in page and "Save as PDF" in page
    # The print button is wired by a static script: no inline script under the CSP.
    assert "js/print-report.js" in page
    assert re.search(r"<script>(?!\s*</script>)", page) is None
    assert "onclick" not in page


def test_officers_see_no_workbench_links_they_could_not_follow(
    session: Session,
    client: FlaskClient,
    auth: AuthActions,
    mission: Mission,
    officer: User,
    evaluator: User,
) -> None:
    make_evidence(session, mission)
    sign_in(auth, officer)
    page = page_text(client.get(url(mission)))
    assert "evaluation-sections" not in page
    assert f'href="/evaluation/{mission.slug}/"' not in page
    assert "Evaluators update it on the evidence page." in page
    assert f'href="/missions/{mission.slug}"' in page
    auth.sign_out()

    sign_in(auth, evaluator)
    page = page_text(client.get(url(mission)))
    assert "evaluation-sections" in page
    assert 'aria-current="page">Report<' in page


def test_participation_shows_months_sources_and_suppressed_people(
    session: Session, client: FlaskClient, auth: AuthActions, mission: Mission, evaluator: User
) -> None:
    for person in range(12):
        make_evidence(
            session,
            mission,
            created_at=datetime(2026, 3, 3 + person, tzinfo=UTC),
            contributor_key=f"codesign:p{person}",
        )
    for person in range(3):
        make_evidence(
            session,
            mission,
            domain="appraisals",
            source_kind="appraisals.submission",
            created_at=datetime(2026, 5, 2, tzinfo=UTC),
            contributor_key=f"appraisals:p{person}",
        )
    sign_in(auth, evaluator)
    part = section(page_text(client.get(url(mission))), "participation")

    assert "Evidence items per month and source" in part
    assert re.search(
        r'<th scope="row">March 2026</th>\s*<td class="numeric">12</td>\s*'
        r'<td class="numeric">0</td>\s*<td class="numeric">12</td>',
        part,
    )
    assert re.search(r'<th scope="row">April 2026</th>(\s*<td class="numeric">0</td>){3}', part)
    assert re.search(
        r'<th scope="row">Co-design</th><td class="numeric">10</td>', part
    )  # 12 people, rounded to 5
    assert re.search(
        r'<th scope="row">Citizen science and appraisals</th>'
        r'<td class="numeric">fewer than 10</td>',
        part,
    )
    assert part.count('<figure class="chart"') == 3  # months, sources, people: beside tables
    assert "rounded to the nearest 5" in part


def test_segments_count_consenting_people_only(
    session: Session, client: FlaskClient, auth: AuthActions, mission: Mission, officer: User
) -> None:
    for person in range(10):
        make_evidence(session, mission, contributor_key=f"codesign:a{person}", segment="16-39")
    for person in range(2):
        make_evidence(session, mission, contributor_key=f"codesign:b{person}", segment="40+")
    for person in range(20):
        make_evidence(session, mission, contributor_key=f"codesign:c{person}")
    sign_in(auth, officer)
    part = section(page_text(client.get(url(mission))), "segments")

    assert "Only people who consented" in part
    assert '<th scope="row">16-39</th><td class="numeric">10</td>' in part
    assert '<th scope="row">40+</th><td class="numeric">fewer than 10</td>' in part
    assert '<td class="numeric">10</td></tr></tfoot>' in part  # 12 consenting, not 32
    assert '<figure class="chart"' in part


def test_quotes_never_print_an_email_address_phone_or_postcode(
    session: Session, client: FlaskClient, auth: AuthActions, mission: Mission, evaluator: User
) -> None:
    code = make_code(session, mission, "Crossings", definition="Safe places to cross.")
    item = make_evidence(
        session,
        mission,
        "Email me at rosa.resident@example.org or call +44 20 7946 0018 about SW1A 1AA.",
    )
    apply(session, code.id, item, coder=evaluator)
    sign_in(auth, evaluator)
    page = page_text(client.get(url(mission)))

    assert "rosa.resident@example.org" not in page
    assert "7946" not in page
    assert "SW1A 1AA" not in page
    part = section(page, "themes")
    assert "Email me at [email] or call [phone] about [postcode]." in part
    assert "Safe places to cross." in part
    assert "Applied to 1 evidence item." in part


def test_register_outcomes_and_learning_are_shown_with_their_charts(
    session: Session, client: FlaskClient, auth: AuthActions, mission: Mission, evaluator: User
) -> None:
    answered = make_recommendation(session, mission, title="Zebra crossings")
    make_response(session, answered, decision=Decision.ACCEPTED)
    make_recommendation(
        session,
        mission,
        title="More benches",
        received_on=date(2025, 1, 1),
        response_due=date(2025, 3, 1),
    )
    air = make_outcome(session, mission, title="Cleaner air")
    make_indicator(session, air, baseline=40, target=20, latest_value=30)
    harvest(session, mission, "School Lane closed at drop-off.", outcome=air)
    harvest(session, mission, "A bus route changed.")
    learn(session, mission, LearningLoop.DOUBLE)
    sign_in(auth, evaluator)
    page = page_text(client.get(url(mission)))

    register = section(page, "register")
    assert "Zebra crossings" in register and "More benches" in register
    assert '<th scope="row">Response overdue</th><td class="numeric">1</td>' in register
    assert '<th scope="row">Accepted</th><td class="numeric">1</td>' in register
    assert '<figure class="chart"' in register

    outcomes = section(page, "outcomes")
    assert "Cleaner air" in outcomes and "Annual mean NO2" in outcomes
    assert '<td class="numeric">50%</td>' in outcomes
    assert "School Lane closed at drop-off." in outcomes
    assert "Harvested outcomes linked to no mission outcome" in outcomes
    assert "A bus route changed." in outcomes
    assert '<figure class="chart"' in outcomes

    learning = section(page, "learning")
    assert '<th scope="row">Double loop</th>' in learning
    assert "Evening meetings reach more working parents." in learning
    assert '<figure class="chart"' in learning
