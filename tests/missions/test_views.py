"""Mission pages through the test client: what the public sees, and the officer's forms."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.audit import AuditEntry
from engage.missions import services
from engage.missions.models import (
    Decision,
    Direction,
    ImplementationStatus,
    ImplementationUpdate,
    Indicator,
    Mission,
    MissionProject,
    MissionStatus,
    Outcome,
    Recommendation,
    RecommendationResponse,
    RecommendationSourceKind,
)
from engage.models import Base
from engage.security import Role
from tests.conftest import AuthActions
from tests.factories import (
    make_indicator,
    make_mission,
    make_outcome,
    make_recommendation,
    make_response,
    make_user,
)


def page_text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def marked(page: str, tag: str) -> list[str]:
    """The text inside each <ins> or <del>, without the words only screen readers hear."""
    found = re.findall(rf"<{tag}>(.*?)</{tag}>", page, flags=re.DOTALL)
    return [
        html.unescape(re.sub(r'<span class="visually-hidden">.*?</span>', "", f)) for f in found
    ]


def field_error(page: str, field_id: str) -> str:
    """The error message shown beside a field (tied to it by id), or "" if there is none."""
    match = re.search(rf'<p class="error-message" id="{field_id}-error">(.*?)</p>', page, re.DOTALL)
    if match is None:
        return ""
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).replace("Error:", "").strip()


def field_value(page: str, name: str) -> str | None:
    """What an input or text area shows, i.e. what the person typed when the form comes back."""
    textarea = re.search(rf'<textarea[^>]*\bname="{name}"[^>]*>(.*?)</textarea>', page, re.DOTALL)
    if textarea is not None:
        return html.unescape(textarea.group(1)).lstrip("\r\n")
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    if tag is None:
        return None
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return html.unescape(value.group(1)) if value else ""


def sign_in(auth: AuthActions, user: User) -> None:
    response = auth.sign_in(user.email)
    assert response.status_code == 302, "signed in"


def snapshot(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to show that a refused form changed nothing."""
    session.rollback()
    return {
        table.name: [
            tuple(row) for row in session.execute(sa.select(table).order_by(*table.primary_key))
        ]
        for table in Base.metadata.sorted_tables
    }


# --- What everyone sees -------------------------------------------------------------------------


def test_public_pages_render_for_anonymous_visitors(client: FlaskClient, session: Session) -> None:
    mission = make_mission(session, title="Healthy streets", statements=("Every street healthy.",))
    outcome = make_outcome(session, mission, title="Cleaner air")
    make_indicator(session, outcome, baseline=40.0, target=20.0, latest_value=30.0)
    draft = make_mission(session, title="Secret plans", status=MissionStatus.DRAFT)
    slug, draft_title = mission.slug, draft.title

    home = page_text(client.get("/"))
    listing = page_text(client.get("/missions/"))
    for page in (home, listing):
        assert "Healthy streets" in page
        assert "Every street healthy." in page
        assert draft_title not in page
    assert "Create a mission" not in listing

    response = client.get(f"/missions/{slug}")
    assert response.status_code == 200
    page = page_text(response)
    assert '<blockquote class="statement" id="current-statement">Every street healthy.' in page
    table = re.search(r"<table>.*?</table>", page, re.DOTALL)
    assert table is not None
    row = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table.group(0)))
    assert "Annual mean NO2" in row
    assert re.search(r"40 .*30 .*20 .*50% of the way .*Monitoring network", row)
    assert "<svg" in page
    assert "Edit mission" not in page
    assert "Add an outcome" not in page


def test_history_shows_the_change_its_reason_and_its_sources(
    client: FlaskClient, session: Session
) -> None:
    officer = make_user(session, role=Role.OFFICER)
    mission = make_mission(
        session, statements=("By 2030 every street will be healthy: clean air near busy schools.",)
    )
    recommendation = make_recommendation(session, mission, title="Name care homes")
    services.publish_statement_version(
        session,
        mission.slug,
        text="By 2030 every street will be healthy for everyone: clean air near schools and care homes.",
        rationale="The jury asked us to name care homes.",
        source_keys=[f"missions.recommendation:{recommendation.id}"],
        actor=officer,
    )
    slug, recommendation_id = mission.slug, recommendation.id

    response = client.get(f"/missions/{slug}/statement")

    assert response.status_code == 200
    raw = response.get_data(as_text=True)
    page = page_text(response)
    assert [text.strip() for text in marked(raw, "ins")] == ["for everyone", "and care homes"]
    assert [text.strip() for text in marked(raw, "del")] == ["busy"]
    assert "5 words added, 1 removed since version 1." in page
    assert "The jury asked us to name care homes." in page
    assert "First version." in page
    assert "Citizens' jury: Name care homes" in page
    assert f'href="/missions/{slug}/you-said-we-did#recommendation-{recommendation_id}"' in raw


def test_register_flags_overdue_and_late_answers(client: FlaskClient, session: Session) -> None:
    mission = make_mission(session)
    today = date.today()
    make_recommendation(
        session, mission, title="Cycle routes to schools", received_on=today - timedelta(weeks=10)
    )
    late = make_recommendation(
        session, mission, title="Monthly air data", received_on=today - timedelta(weeks=12)
    )
    make_response(session, late, decision=Decision.PARTLY_ACCEPTED, responded_on=today)
    make_recommendation(
        session, mission, title="Bike repair sessions", received_on=today - timedelta(weeks=1)
    )
    slug = mission.slug

    response = client.get(f"/missions/{slug}/you-said-we-did")

    assert response.status_code == 200
    page = page_text(response)
    articles: dict[str, str] = {}
    for article in re.findall(r"<article.*?</article>", page, re.DOTALL):
        heading = re.search(r"<h2>(.*?)</h2>", article, re.DOTALL)
        assert heading is not None
        articles[heading.group(1)] = article
    assert set(articles) == {"Cycle routes to schools", "Monthly air data", "Bike repair sessions"}
    assert "Response overdue" in articles["Cycle routes to schools"]
    assert "recommendation-overdue" in articles["Cycle routes to schools"]
    assert "Response overdue" not in articles["Monthly air data"]
    assert "Partly accepted" in articles["Monthly air data"]
    assert "Answered after the due date" in articles["Monthly air data"]
    assert "Response overdue" not in articles["Bike repair sessions"]
    assert "Awaiting the city's response" in articles["Bike repair sessions"]
    assert "<svg" in page
    assert "Respond or add an update" not in page

    summary = page_text(client.get(f"/missions/{slug}"))
    assert "3 recommendations received; 1 awaiting a response past the due date." in summary


def test_drafts_are_not_found_by_the_public_but_officers_see_them(
    client: FlaskClient, auth: AuthActions, session: Session, app: Flask
) -> None:
    draft = make_mission(session, title="Quiet draft", status=MissionStatus.DRAFT)
    officer = make_user(session, role=Role.OFFICER)
    resident = make_user(session)
    pages = [f"/missions/{draft.slug}", f"/missions/{draft.slug}/statement"]
    pages.append(f"/missions/{draft.slug}/you-said-we-did")

    for url in pages:
        assert client.get(url).status_code == 404
    assert "Quiet draft" not in page_text(client.get("/missions/"))

    sign_in(auth, resident)
    for url in pages:
        assert client.get(url).status_code == 404

    staff_client = app.test_client()
    assert AuthActions(staff_client).sign_in(officer.email).status_code == 302
    for url in pages:
        assert staff_client.get(url).status_code == 200
    assert "Quiet draft" in page_text(staff_client.get("/missions/"))
    assert "Quiet draft" in page_text(staff_client.get("/"))
    assert client.get(pages[0]).status_code == 404, "the resident still cannot see it"


@pytest.mark.parametrize(
    "path", ["/missions/new", "/missions/{slug}/edit", "/missions/{slug}/outcomes/new"]
)
def test_officer_forms_are_for_officers(
    client: FlaskClient, auth: AuthActions, session: Session, path: str
) -> None:
    mission = make_mission(session)
    resident = make_user(session)
    url = path.format(slug=mission.slug)

    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/sign-in?next=")

    sign_in(auth, resident)
    assert client.get(url).status_code == 403
    assert client.post(url, data={"title": "Taken over"}).status_code == 403
    assert "Taken over" not in str(snapshot(session))


# --- What officers do ---------------------------------------------------------------------------


def mission_form(**changes: str) -> dict[str, str]:
    data = {
        "title": "Healthy streets for all",
        "slug": "",
        "challenge": "Air on many streets is unhealthy.",
        "statement": "By 2030 every street will be healthy: clean air near busy schools.",
        "team": "Healthy Streets Team",
        "target_date": "2030-12-31",
        "status": "active",
    }
    data.update(changes)
    return data


def test_an_officer_runs_a_mission_through_the_forms(
    client: FlaskClient, auth: AuthActions, session: Session
) -> None:
    officer = make_user(session, role=Role.OFFICER)
    officer_id = officer.id
    sign_in(auth, officer)

    # Create the mission.
    assert client.get("/missions/new").status_code == 200
    created = client.post("/missions/new", data=mission_form())
    assert created.status_code == 302
    assert created.headers["Location"] == "/missions/healthy-streets-for-all"
    page = page_text(client.get("/missions/healthy-streets-for-all"))
    assert "Mission created." in page
    assert "By 2030 every street will be healthy: clean air near busy schools." in page
    mission = session.scalars(sa.select(Mission)).one()
    assert (mission.title, mission.status, mission.target_date) == (
        "Healthy streets for all",
        MissionStatus.ACTIVE,
        date(2030, 12, 31),
    )

    # Edit it: the form starts from what is stored.
    form = page_text(client.get("/missions/healthy-streets-for-all/edit"))
    assert field_value(form, "team") == "Healthy Streets Team"
    edited = client.post(
        "/missions/healthy-streets-for-all/edit",
        data=mission_form(slug="healthy-streets", team="Public Health"),
    )
    assert edited.status_code == 302
    assert edited.headers["Location"] == "/missions/healthy-streets"
    session.rollback()
    assert (mission.slug, mission.team) == ("healthy-streets", "Public Health")

    # Add an outcome, an indicator and a project.
    assert client.get("/missions/healthy-streets/outcomes/new").status_code == 200
    response = client.post(
        "/missions/healthy-streets/outcomes/new",
        data={"title": "Cleaner air", "description": "Air meets the WHO guideline."},
    )
    assert response.headers["Location"] == "/missions/healthy-streets"
    outcome = session.scalars(sa.select(Outcome)).one()
    assert (outcome.mission_id, outcome.title) == (mission.id, "Cleaner air")

    assert client.get(f"/missions/outcomes/{outcome.id}/indicators/new").status_code == 200
    response = client.post(
        f"/missions/outcomes/{outcome.id}/indicators/new",
        data={
            "name": "Roadside NO2",
            "unit": "µg/m³",
            "baseline": "38",
            "target": "10",
            "direction": "decrease",
            "latest_value": "24",
            "latest_value_on": "2025-12-31",
            "latest_value_source": "Monitoring network",
        },
    )
    assert response.headers["Location"] == "/missions/healthy-streets"
    indicator = session.scalars(sa.select(Indicator)).one()
    assert (indicator.outcome_id, indicator.baseline, indicator.latest_value) == (
        outcome.id,
        38,
        24,
    )
    assert indicator.direction is Direction.DECREASE

    response = client.post(
        "/missions/healthy-streets/projects/new",
        data={
            "name": "School Streets",
            "lead_organisation": "Highways",
            "status": "planned",
            "description": "",
        },
    )
    assert response.headers["Location"] == "/missions/healthy-streets"
    project = session.scalars(sa.select(MissionProject)).one()
    assert (project.mission_id, project.name, project.status.value) == (
        mission.id,
        "School Streets",
        "planned",
    )

    page = page_text(client.get("/missions/healthy-streets"))
    assert "Roadside NO2" in page
    assert "50% of the way" in page
    assert "School Streets" in page
    assert "Led by Highways" in page

    # Add a recommendation, respond to it, and report progress.
    response = client.post(
        "/missions/healthy-streets/recommendations/new",
        data={
            "source_kind": "jury",
            "source_label": "Citizens' Jury on Healthy Streets",
            "title": "Name care homes",
            "text": "Name care homes alongside schools.",
            "received_on": "2026-03-02",
            "response_due": "",
        },
    )
    recommendation = session.scalars(sa.select(Recommendation)).one()
    assert response.headers["Location"] == f"/missions/recommendations/{recommendation.id}"
    assert recommendation.response_due == date(2026, 4, 27)
    assert recommendation.created_by_id == officer_id
    assert recommendation.source_kind is RecommendationSourceKind.JURY

    response = client.post(
        f"/missions/recommendations/{recommendation.id}/response",
        data={
            "decision": "accepted",
            "rationale": "We agree.",
            "responder_name": "Cabinet Member",
            "responded_on": "2026-03-20",
        },
    )
    assert response.headers["Location"] == f"/missions/recommendations/{recommendation.id}"
    page = page_text(client.get(f"/missions/recommendations/{recommendation.id}"))
    assert "Response recorded." in page
    assert "Amend the formal response" in page
    response_row = session.scalars(sa.select(RecommendationResponse)).one()
    assert (response_row.decision, response_row.responder_id) == (Decision.ACCEPTED, officer_id)

    response = client.post(
        f"/missions/recommendations/{recommendation.id}/updates",
        data={"status": "in_progress", "note": "Drafting the new wording."},
    )
    assert response.status_code == 302
    update = session.scalars(sa.select(ImplementationUpdate)).one()
    assert (update.status, update.note) == (
        ImplementationStatus.IN_PROGRESS,
        "Drafting the new wording.",
    )

    # Publish a new statement version citing the recommendation.
    key = f"missions.recommendation:{recommendation.id}"
    form = page_text(client.get("/missions/healthy-streets/statement/new"))
    assert f'value="{key}"' in form
    assert "Citizens' Jury on Healthy Streets: Name care homes" in form
    response = client.post(
        "/missions/healthy-streets/statement/new",
        data={
            "text": "By 2030 every street will be healthy for everyone: clean air near schools and care homes.",
            "rationale": "The jury asked us to name care homes.",
            "sources": [key],
        },
    )
    assert response.headers["Location"] == "/missions/healthy-streets/statement"
    raw = client.get("/missions/healthy-streets/statement").get_data(as_text=True)
    history = html.unescape(raw)
    assert [text.strip() for text in marked(raw, "ins")] == ["for everyone", "and care homes"]
    assert [text.strip() for text in marked(raw, "del")] == ["busy"]
    assert "The jury asked us to name care homes." in history
    assert "Citizens' Jury on Healthy Streets: Name care homes" in history

    register = page_text(client.get("/missions/healthy-streets/you-said-we-did"))
    assert "Drafting the new wording." in register
    assert "Respond or add an update" in register

    actions = list(session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == [
        "mission.created",
        "mission.updated",
        "mission.outcome_added",
        "mission.indicator_added",
        "mission.project_added",
        "recommendation.added",
        "recommendation.responded",
        "recommendation.update_added",
        "mission.statement_published",
    ]


# --- Refused forms ------------------------------------------------------------------------------


@pytest.fixture
def officer_with_mission(
    client: FlaskClient, auth: AuthActions, session: Session
) -> dict[str, Any]:
    """A signed-in officer and a mission with one of everything, named for the URLs below."""
    officer = make_user(session, role=Role.OFFICER)
    mission = make_mission(session, slug="healthy-streets", statements=("Every street healthy.",))
    make_mission(session, slug="taken")
    outcome = make_outcome(session, mission)
    indicator = make_indicator(session, outcome)
    recommendation = make_recommendation(session, mission, received_on=date(2026, 3, 2))
    answered = make_recommendation(session, mission, received_on=date(2026, 3, 2))
    make_response(session, answered)
    sign_in(auth, officer)
    return {
        "slug": mission.slug,
        "outcome": outcome.id,
        "indicator": indicator.id,
        "recommendation": recommendation.id,
        "answered": answered.id,
    }


INDICATOR = {
    "name": "Roadside NO2",
    "unit": "µg/m³",
    "baseline": "38",
    "target": "10",
    "direction": "decrease",
    "latest_value": "",
    "latest_value_on": "",
    "latest_value_source": "",
}
RECOMMENDATION = {
    "source_kind": "jury",
    "source_label": "Youth Council",
    "title": "Cycle routes to schools",
    "text": "Protected routes to every secondary school.",
    "received_on": "2026-03-02",
    "response_due": "",
}
RESPONSE = {
    "decision": "accepted",
    "rationale": "We will build them by 2028.",
    "responder_name": "Cabinet Member",
    "responded_on": "2026-03-20",
}

REFUSED: list[tuple[str, int, dict[str, Any], str, str, dict[str, str]]] = [
    # (url, expected status, data, field in error, message, values kept)
    (
        "/missions/new",
        200,
        mission_form(title=""),
        "title",
        "Give the mission a title.",
        {"challenge": "Air on many streets is unhealthy.", "team": "Healthy Streets Team"},
    ),
    (
        "/missions/new",
        200,
        mission_form(slug="taken"),
        "slug",
        "Another mission already uses this web address.",
        {"title": "Healthy streets for all", "slug": "taken"},
    ),
    (
        "/missions/new",
        200,
        mission_form(slug="Not A Slug"),
        "slug",
        "Use lower-case letters, digits and dashes only.",
        {"slug": "Not A Slug"},
    ),
    (
        "/missions/{slug}/edit",
        200,
        mission_form(team=""),
        "team",
        "Name the team that owns the mission.",
        {"title": "Healthy streets for all", "team": ""},
    ),
    (
        "/missions/{slug}/edit",
        200,
        mission_form(slug="taken", title="Renamed"),
        "slug",
        "Another mission already uses this web address.",
        {"title": "Renamed"},
    ),
    (
        "/missions/{slug}/statement/new",
        200,
        {"text": "Every street healthy.", "rationale": "Tidying up."},
        "text",
        "This is the same as the current statement.",
        {"rationale": "Tidying up."},
    ),
    (
        "/missions/{slug}/statement/new",
        200,
        {"text": "New words.", "rationale": "", "sources": []},
        "rationale",
        "Explain why the statement changed.",
        {"text": "New words."},
    ),
    (
        "/missions/{slug}/outcomes/new",
        200,
        {"title": "", "description": "Air meets the WHO guideline."},
        "title",
        "Name the outcome.",
        {"description": "Air meets the WHO guideline."},
    ),
    (
        "/missions/outcomes/{outcome}/indicators/new",
        200,
        {**INDICATOR, "baseline": "abc"},
        "baseline",
        "Not a valid float value.",
        {"baseline": "abc", "name": "Roadside NO2"},
    ),
    (
        "/missions/outcomes/{outcome}/indicators/new",
        200,
        {**INDICATOR, "target": "nan"},
        "target",
        "Enter an ordinary number.",
        {"target": "nan"},
    ),
    (
        "/missions/outcomes/{outcome}/indicators/new",
        200,
        {**INDICATOR, "target": "38"},
        "target",
        "The target must differ from the baseline.",
        {"name": "Roadside NO2", "target": "38"},
    ),
    (
        "/missions/indicators/{indicator}/edit",
        200,
        {**INDICATOR, "latest_value": "24"},
        "latest_value_on",
        "Give the latest value together with the date it was measured.",
        {"latest_value": "24", "name": "Roadside NO2"},
    ),
    (
        "/missions/indicators/{indicator}/edit",
        200,
        {**INDICATOR, "direction": "increase"},
        "direction",
        "The target is on the wrong side of the baseline",
        {"baseline": "38", "target": "10"},
    ),
    (
        "/missions/{slug}/projects/new",
        200,
        {
            "name": "School Streets",
            "lead_organisation": "",
            "status": "planned",
            "description": "x",
        },
        "lead_organisation",
        "Name the lead organisation.",
        {"name": "School Streets", "description": "x"},
    ),
    (
        "/missions/{slug}/recommendations/new",
        200,
        {**RECOMMENDATION, "response_due": "2026-03-01"},
        "response_due",
        "The response cannot be due before the recommendation was received.",
        {"title": "Cycle routes to schools", "response_due": "2026-03-01"},
    ),
    (
        "/missions/{slug}/recommendations/new",
        200,
        {**RECOMMENDATION, "received_on": ""},
        "received_on",
        "Give the date it was received.",
        {"source_label": "Youth Council", "text": "Protected routes to every secondary school."},
    ),
    (
        "/missions/recommendations/{recommendation}/response",
        400,
        {**RESPONSE, "responded_on": "2026-03-01"},
        "responded_on",
        "The response cannot be dated before the recommendation was received.",
        {"rationale": "We will build them by 2028.", "responded_on": "2026-03-01"},
    ),
    (
        "/missions/recommendations/{recommendation}/response",
        400,
        {**RESPONSE, "responder_name": ""},
        "responder_name",
        "Say who is responding.",
        {"rationale": "We will build them by 2028."},
    ),
    (
        "/missions/recommendations/{answered}/updates",
        400,
        {"status": "done", "note": ""},
        "note",
        "Describe the progress.",
        {},
    ),
]


@pytest.mark.parametrize(
    ("url", "status", "data", "field", "message", "kept"),
    REFUSED,
    ids=[
        "-".join(part for part in case[0].split("/")[2:] if not part.startswith("{"))
        + f"-{case[3]}"
        for case in REFUSED
    ],
)
def test_a_refused_form_comes_back_with_the_error_beside_the_field(
    client: FlaskClient,
    session: Session,
    officer_with_mission: dict[str, Any],
    url: str,
    status: int,
    data: dict[str, Any],
    field: str,
    message: str,
    kept: dict[str, str],
) -> None:
    before = snapshot(session)

    response = client.post(url.format(**officer_with_mission), data=data)

    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert message in field_error(page, field)
    assert "There is a problem" in page
    for name, value in kept.items():
        assert field_value(page, name) == value, name
    assert snapshot(session) == before


def test_an_update_posted_before_any_response_is_refused(
    client: FlaskClient, session: Session, officer_with_mission: dict[str, Any]
) -> None:
    before = snapshot(session)
    response = client.post(
        f"/missions/recommendations/{officer_with_mission['recommendation']}/updates",
        data={"status": "done", "note": "Finished."},
    )
    assert response.status_code == 400
    assert snapshot(session) == before
