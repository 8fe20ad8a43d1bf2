"""The evidence page: evaluators filter and search a mission's index and update it as a job."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.evaluation.models import EvidenceRecord
from engage.jobs import Job, JobStatus
from engage.missions.models import Mission
from tests.conftest import AuthActions
from tests.factories import make_contribution, make_evidence, make_process, make_round


def test_an_evaluator_searches_the_evidence_and_sees_each_item_once(
    client: FlaskClient, auth: AuthActions, session: Session, mission: Mission, evaluator: User
) -> None:
    make_evidence(session, mission, "Plant more street trees on Malden Road.", title="Trees")
    make_evidence(session, mission, "Slower traffic near the school.", title="Traffic")
    auth.sign_in(evaluator.email)

    page = client.get(f"/evaluation/{mission.slug}/?query=TREES")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "1 item matches." in html
    assert "Plant more street trees" in html and "Slower traffic" not in html
    assert 'value="TREES"' in html  # the search is kept in its box


def test_a_bad_part_of_the_filter_is_shown_with_its_error_and_the_rest_still_applies(
    client: FlaskClient, auth: AuthActions, session: Session, mission: Mission, evaluator: User
) -> None:
    make_evidence(session, mission, "Plant more street trees.", title="Trees")
    auth.sign_in(evaluator.email)

    page = client.get(
        f"/evaluation/{mission.slug}/?domain=nowhere&date_from=31-31-2026&query=trees&code=99"
    )

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Choose a source from the list." in html
    assert "Choose a code from the list." in html
    assert "1 item matches." in html


def test_updating_the_index_runs_as_a_job_and_reads_the_domains(
    app: Flask,
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    evaluator: User,
    resident: User,
) -> None:
    round_ = make_round(session, make_process(session, mission))
    make_contribution(session, round_, resident, text="Benches every 100 metres, please.")
    auth.sign_in(evaluator.email)

    started = client.post(f"/evaluation/{mission.slug}/refresh")

    assert started.status_code == 302
    found = re.fullmatch(r"/jobs/(\d+)", started.headers["Location"])
    assert found is not None
    app.extensions["engage.jobs"].drain()
    job = session.get(Job, int(found.group(1)))
    assert job is not None and job.status is JobStatus.SUCCEEDED, job and job.error
    assert session.query(EvidenceRecord).filter_by(mission_id=mission.id).count() >= 1
    assert "See the evidence" in client.get(started.headers["Location"]).get_data(as_text=True)
    assert "Benches every 100 metres" in client.get(f"/evaluation/{mission.slug}/").get_data(
        as_text=True
    )


def test_only_evaluators_and_admins_reach_the_evidence(
    client: FlaskClient,
    auth: AuthActions,
    mission: Mission,
    resident: User,
    officer: User,
) -> None:
    for person in (resident, officer):
        auth.sign_in(person.email)
        assert client.get(f"/evaluation/{mission.slug}/").status_code == 403
        assert client.post(f"/evaluation/{mission.slug}/refresh").status_code == 403
        auth.sign_out()
    assert client.get("/evaluation/").status_code == 302  # to the sign-in page


def test_an_unknown_mission_is_not_found(
    client: FlaskClient, auth: AuthActions, evaluator: User
) -> None:
    auth.sign_in(evaluator.email)
    assert client.get("/evaluation/no-such-mission/").status_code == 404


def test_a_second_update_waits_for_the_first(
    app: Flask, client: FlaskClient, auth: AuthActions, mission: Mission, evaluator: User
) -> None:
    held = HeldRunner()
    app.extensions["engage.jobs"] = held
    auth.sign_in(evaluator.email)

    first = client.post(f"/evaluation/{mission.slug}/refresh")
    second = client.post(f"/evaluation/{mission.slug}/refresh", follow_redirects=True)

    assert first.status_code == 302 and len(held.submitted) == 1
    assert "being updated already" in second.get_data(as_text=True)
    assert len(held.submitted) == 1


class HeldRunner:
    """Takes jobs and never runs them, so the first stays queued."""

    def __init__(self) -> None:
        self.submitted: list[int] = []

    def submit(self, job_id: int) -> None:
        self.submitted.append(job_id)


def test_officers_find_every_mission_s_report_and_evaluators_its_workbench_too(
    client: FlaskClient, auth: AuthActions, mission: Mission, officer: User, evaluator: User
) -> None:
    auth.sign_in(officer.email)
    html = client.get("/evaluation/").get_data(as_text=True)
    assert f'href="/evaluation/{mission.slug}/report"' in html
    assert f'href="/evaluation/{mission.slug}/"' not in html  # the workbench is not theirs
    auth.sign_out()

    auth.sign_in(evaluator.email)
    html = client.get("/evaluation/").get_data(as_text=True)
    assert f'href="/evaluation/{mission.slug}/"' in html
    assert f'href="/evaluation/{mission.slug}/report"' in html
