"""The theme pages through the test client: starting a run from the form (prefilled from the
evidence page's filter), following it, reading its themes and adopting them; who may do what,
errors beside their fields, and odd input."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.evaluation import theme_runs
from engage.evaluation.index import EvidenceFilter
from engage.evaluation.models import Code, CodeApplication, CodeOrigin, ThemeRun
from engage.evaluation.themes import MIN_TEXTS, Themes, ThemeSettings
from engage.jobs import Job, JobStatus
from engage.missions.models import Mission
from tests.conftest import AuthActions
from tests.evaluation.test_theme_runs import CORPUS_SIZE, Idle, plant, thread_runner
from tests.factories import make_evidence, make_mission
from tests.missions.test_views import field_error, field_value, page_text, sign_in

SETTINGS = {"themes": "auto", "seed": "0", "languages": ["en", "es", "ca"]}


@pytest.fixture
def planted(session: Session, mission: Mission) -> list[int]:
    return plant(session, mission)


def url(mission: Mission, *rest: object) -> str:
    return "/".join([f"/evaluation/{mission.slug}/themes", *(str(part) for part in rest)])


def runs_of(session: Session) -> list[ThemeRun]:
    session.rollback()  # see what the requests committed
    return list(session.scalars(sa.select(ThemeRun).order_by(ThemeRun.id)))


def start_and_finish(client: FlaskClient, app: Flask, mission: Mission, **data: object) -> str:
    """Start a run from the page, wait for its job, and give the run page's address."""
    response = client.post(url(mission), data={**SETTINGS, **data})
    assert response.status_code == 302, page_text(response)
    thread_runner(app).drain(timeout=60)
    return str(response.headers["Location"])


def selected(page: str, name: str) -> list[str]:
    """The values chosen in a select or checked among checkboxes called ``name``."""
    select = re.search(rf'<select[^>]*\bname="{name}"[^>]*>(.*?)</select>', page, re.DOTALL)
    if select is not None:
        return re.findall(r'<option[^>]*\bselected[^>]*\bvalue="([^"]*)"', select.group(1)) + [
            value
            for value in re.findall(
                r'<option[^>]*\bvalue="([^"]*)"[^>]*\bselected', select.group(1)
            )
        ]
    boxes = re.findall(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    return [
        re.search(r'\bvalue="([^"]*)"', box).group(1)  # type: ignore[union-attr]
        for box in boxes
        if re.search(r"\bchecked\b", box)
    ]


# --- Who may use what ---------------------------------------------------------------------------


def test_residents_and_officers_cannot_use_the_theme_pages(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    evaluator: User,
    officer: User,
    resident: User,
) -> None:
    for number in range(MIN_TEXTS):
        make_evidence(session, mission, f"Safer crossings by the school, idea {number}")
    run = theme_runs.start_theme_run(
        session, Idle(), mission, EvidenceFilter(), ThemeSettings(), actor=evaluator
    )
    run_id = run.id
    session.rollback()
    pages = [url(mission), url(mission, run_id), url(mission, run_id, "status")]
    posts = {url(mission): SETTINGS, url(mission, run_id, "adopt"): {}}
    for person in (officer, resident):
        sign_in(auth, person)
        for page in pages:
            assert client.get(page).status_code == 403, page
        for address, data in posts.items():
            assert client.post(address, data=data).status_code == 403, address
        auth.sign_out()
    # Visitors are sent to sign in.
    assert client.get(url(mission)).status_code == 302
    assert len(runs_of(session)) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(Code)) == 0


# --- Starting a run -----------------------------------------------------------------------------


def test_the_form_is_prefilled_from_the_evidence_page_filter(
    client: FlaskClient, auth: AuthActions, session: Session, mission: Mission, evaluator: User
) -> None:
    make_evidence(session, mission, "Wider pavements", domain="advisory", area="North")
    sign_in(auth, evaluator)

    response = client.get(
        url(mission),
        query_string={
            "query": "pavements",
            "domain": "advisory",
            "area": "North",
            "date_from": "2026-01-01",
            "with_text": "y",
            "segment": "not a segment",  # not in the index: left out
        },
    )

    page = page_text(response)
    assert response.status_code == 200
    assert field_value(page, "query") == "pavements"
    assert field_value(page, "date_from") == "2026-01-01"
    assert selected(page, "domain") == ["advisory"]
    assert selected(page, "area") == ["North"]
    assert selected(page, "segment") == [""]
    assert selected(page, "themes") == ["auto"]
    assert field_value(page, "seed") == "0"
    assert selected(page, "languages") == ["en", "es", "ca"]
    assert "1 item with free text matches this filter." in page
    assert "No themes have been looked for in this mission yet." in page


def test_an_evaluator_starts_a_run_and_reads_its_themes(
    client: FlaskClient,
    auth: AuthActions,
    app: Flask,
    session: Session,
    mission: Mission,
    evaluator: User,
    planted: list[int],
) -> None:
    sign_in(auth, evaluator)

    response = client.post(url(mission), data=SETTINGS)
    thread_runner(app).drain(timeout=60)  # before reading: a test holding SQLite blocks the job

    [run] = runs_of(session)
    assert response.status_code == 302
    assert response.headers["Location"] == url(mission, run.id)
    assert len(run.evidence_ids) == CORPUS_SIZE
    page = page_text(client.get(url(mission, run.id)))
    assert f"Finding themes in {CORPUS_SIZE} items." in page
    assert run.result is not None
    themes = Themes.from_dict(run.result)
    assert themes.k == 4
    for theme in themes.themes:
        keywords = ", ".join(keyword.label for keyword in theme.keywords[:3])
        assert f"Theme {theme.number + 1}: {keywords}" in page
        for keyword in theme.keywords:
            assert f'<span class="tag">{keyword.label}</span>' in page
        for position in theme.quotes:
            evidence_id = run.evidence_ids[position]
            assert f'href="/evaluation/{mission.slug}/items/{evidence_id}"' in page
    assert "Stability of each number of themes" in page
    assert "Texts in each theme" in page and '<svg viewBox="0 0 720' in page
    assert "Prevalence by source" in page and "Prevalence by segment" in page
    assert "How the themes were found" in page and "random seed 0" in page
    assert "Add these 4 themes to the coding frame" in page
    assert "data-status-url" not in page  # finished: nothing to follow
    listing = page_text(client.get(url(mission)))
    assert "4 themes" in listing and "Eva" in listing
    status = json.loads(client.get(url(mission, run.id, "status")).data)
    assert status == {
        "id": run.id,
        "status": "succeeded",
        "finished": True,
        "progress": 100,
        "message": "Storing the themes",
    }


def test_bad_settings_come_back_with_errors_beside_the_fields(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    evaluator: User,
    planted: list[int],
) -> None:
    sign_in(auth, evaluator)

    response = client.post(
        url(mission),
        data={"themes": "25", "seed": "twelve", "query": "trees", "domain": "codesign"},
    )

    page = page_text(response)
    assert response.status_code == 400
    assert field_error(page, "themes") == "Choose a number of themes from the list."
    assert field_error(page, "seed") == "Enter a whole number, such as 0 or 42."
    assert field_error(page, "languages") == "Choose at least one language."
    assert "There is a problem" in page
    assert field_value(page, "seed") == "twelve"
    assert field_value(page, "query") == "trees"
    assert selected(page, "domain") == ["codesign"]
    assert runs_of(session) == []


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ("-1", "Enter a whole number, such as 0 or 42."),
        ("2147483648", "Give a whole number from 0 to 2147483647."),
        ("", "Give a seed: a whole number, such as 0."),
        ("²", "Enter a whole number, such as 0 or 42."),
        ("1" * 5000, "Enter a whole number, such as 0 or 42."),
    ],
)
def test_odd_seeds_are_refused(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    evaluator: User,
    seed: str,
    message: str,
) -> None:
    sign_in(auth, evaluator)

    response = client.post(url(mission), data={**SETTINGS, "seed": seed})

    assert response.status_code == 400
    assert field_error(page_text(response), "seed") == message
    assert runs_of(session) == []


def test_odd_input_never_fails(
    client: FlaskClient, auth: AuthActions, session: Session, mission: Mission, evaluator: User
) -> None:
    sign_in(auth, evaluator)

    nul = client.post(url(mission), data={**SETTINGS, "query": "trees\x00"})
    huge = client.post(url(mission), data={**SETTINGS, "query": "tree " * 10_000})
    languages = client.post(url(mission), data={**SETTINGS, "languages": ["en", "klingon"]})
    missing = client.post(url(mission), data={})
    listing = client.get(url(mission), query_string={"code": "99999999999", "date_to": "x\x00"})

    assert nul.status_code == 400
    assert "NUL" in field_error(page_text(nul), "query")
    assert huge.status_code == 400 and field_error(page_text(huge), "query")
    assert languages.status_code == 400
    assert field_error(page_text(languages), "languages") == "Choose languages from the list."
    assert missing.status_code == 400
    assert listing.status_code == 200
    assert client.get(url(mission, 99_999_999_999)).status_code == 404
    assert client.get(url(mission, 12345)).status_code == 404
    assert client.get("/evaluation/no-such-mission/themes").status_code == 404
    assert runs_of(session) == []


def test_too_few_texts_are_refused_on_the_form(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    evaluator: User,
    planted: list[int],
) -> None:
    sign_in(auth, evaluator)

    response = client.post(url(mission), data={**SETTINGS, "query": "smog asthma diesel"})

    page = page_text(response)
    assert response.status_code == 400
    assert "Themes need at least 10 items with free text; this filter matches 0." in page
    assert field_value(page, "query") == "smog asthma diesel"
    assert runs_of(session) == []


# --- Following and reading a run ----------------------------------------------------------------


def test_a_running_run_shows_its_progress(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    evaluator: User,
    second_evaluator: User,
    planted: list[int],
) -> None:
    run = theme_runs.start_theme_run(
        session, Idle(), mission, EvidenceFilter(area=""), ThemeSettings(), actor=evaluator
    )
    run_id = run.id
    session.rollback()
    sign_in(auth, second_evaluator)  # another evaluator follows it too

    page = page_text(client.get(url(mission, run_id)))
    status = client.get(url(mission, run_id, "status"))

    assert f'data-status-url="{url(mission, run_id, "status")}"' in page
    assert 'id="job-progress"' in page and "js/job.js" in page
    assert "Waiting to start" in page
    assert status.status_code == 200
    assert json.loads(status.data) == {
        "id": run_id,
        "status": "queued",
        "finished": False,
        "progress": 0,
        "message": "",
    }
    adopt = client.post(url(mission, run_id, "adopt"))
    assert adopt.status_code == 302 and adopt.headers["Location"] == url(mission, run_id)
    assert "wait until it has finished" in page_text(client.get(url(mission, run_id)))


def test_a_failed_run_says_so(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    evaluator: User,
    planted: list[int],
) -> None:
    run = theme_runs.start_theme_run(
        session, Idle(), mission, EvidenceFilter(), ThemeSettings(), actor=evaluator
    )
    run_id = run.id
    session.execute(
        sa.update(Job).where(Job.id == run.job_id).values(status=JobStatus.FAILED, error="boom")
    )
    session.commit()
    sign_in(auth, evaluator)

    page = page_text(client.get(url(mission, run_id)))
    status = json.loads(client.get(url(mission, run_id, "status")).data)

    assert "This run failed" in page and "boom" not in page
    assert "js/job.js" not in page
    assert status["finished"] is True and status["status"] == "failed"
    assert "Failed" in page_text(client.get(url(mission)))


def test_a_run_without_themes_shows_the_problem(
    client: FlaskClient,
    auth: AuthActions,
    app: Flask,
    session: Session,
    mission: Mission,
    evaluator: User,
) -> None:
    for _ in range(MIN_TEXTS + 1):
        make_evidence(session, mission, "The and of it is, with more of the same!")
    sign_in(auth, evaluator)

    location = start_and_finish(client, app, mission)

    page = page_text(client.get(location))
    assert "Themes need at least 10 texts with words that are not too common or too rare" in page
    assert "Add these" not in page
    assert "No themes" in page_text(client.get(url(mission)))


def test_a_run_of_another_mission_is_not_found(
    client: FlaskClient,
    auth: AuthActions,
    app: Flask,
    session: Session,
    mission: Mission,
    evaluator: User,
    planted: list[int],
) -> None:
    other = make_mission(session, title="Clean air", slug="clean-air")
    sign_in(auth, evaluator)
    location = start_and_finish(client, app, mission)
    run_id = int(location.rsplit("/", 1)[1])

    assert client.get(url(other, run_id)).status_code == 404
    assert client.get(url(other, run_id, "status")).status_code == 404
    assert client.post(url(other, run_id, "adopt")).status_code == 404
    assert session.scalar(sa.select(sa.func.count()).select_from(Code)) == 0


# --- Adopting -----------------------------------------------------------------------------------


def test_adopting_from_the_page_fills_the_frame_once(
    client: FlaskClient,
    auth: AuthActions,
    app: Flask,
    session: Session,
    mission: Mission,
    evaluator: User,
    planted: list[int],
) -> None:
    sign_in(auth, evaluator)
    location = start_and_finish(client, app, mission)
    run_id = int(location.rsplit("/", 1)[1])

    response = client.post(url(mission, run_id, "adopt"))

    assert response.status_code == 302
    assert response.headers["Location"] == f"/evaluation/{mission.slug}/frame"
    session.rollback()
    codes = session.scalars(sa.select(Code).where(Code.theme_run_id == run_id)).all()
    assert len(codes) == 4 and all(code.origin is CodeOrigin.THEME for code in codes)
    proposed = session.scalar(
        sa.select(sa.func.count())
        .select_from(CodeApplication)
        .where(CodeApplication.coder_id.is_(None))
    )
    assert proposed == CORPUS_SIZE
    page = page_text(client.get(location))
    assert "4 themes added to the coding frame as codes, each proposed for its items." in page
    assert "These themes were added to the coding frame" in page
    assert all(code.name in page for code in codes)

    again = client.post(url(mission, run_id, "adopt"))

    assert again.status_code == 302 and again.headers["Location"] == location
    assert "already in the coding frame" in page_text(client.get(location))
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Code)) == 4
