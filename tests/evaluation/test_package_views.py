"""The evidence package page: what the package holds, its filter, and the zip download."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import frictionless
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.audit import AuditEntry
from engage.evaluation.package import AUDIT_ACTION
from engage.missions.models import Mission
from tests.conftest import AuthActions
from tests.evaluation.test_package import PLANTED_EMAIL, rich_mission
from tests.factories import make_evidence, make_mission


def audit_entries(session: Session) -> list[AuditEntry]:
    session.rollback()
    return list(
        session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == AUDIT_ACTION).order_by(AuditEntry.id)
        )
    )


def test_the_page_says_what_the_package_holds_and_keeps_a_filter_from_the_evidence_page(
    client: FlaskClient, auth: AuthActions, session: Session, mission: Mission, evaluator: User
) -> None:
    make_evidence(session, mission, "Plant trees.", area="Kentish Town")
    auth.sign_in(evaluator.email)

    page = client.get(f"/evaluation/{mission.slug}/package?query=trees&area=Kentish+Town")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "evidence.csv" in html and "datapackage.json" in html
    assert "Counts of people from 1 to 9 are left out" in html
    assert "at least 10 people of that segment" in html
    assert 'value="trees"' in html  # the filter arrives in the form
    assert '<option selected value="Kentish Town">' in html
    assert 'aria-current="page"' in html and "Evidence package" in html
    assert "Download the package (zip)" in html


def test_an_evaluator_downloads_a_valid_zipped_package(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    evaluator: User,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rich = rich_mission(session)
    slug, evaluator_id = rich.mission.slug, evaluator.id
    work = tmp_path / "temporary"
    work.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(work))
    auth.sign_in(evaluator.email)

    response = client.post(f"/evaluation/{slug}/package", data={"domain": "appraisals"})

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/zip"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename={slug}-evidence-" in disposition and disposition.endswith(".zip")
    assert response.headers["Cache-Control"] == "no-store"
    bundle = zipfile.ZipFile(io.BytesIO(response.data))
    names = bundle.namelist()
    assert names[0] == "datapackage.json"
    assert {"evidence.csv", "README.md", "evidence.geojson", "segments.csv"} <= set(names)
    assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in bundle.infolist())
    unpacked = tmp_path / "unpacked"
    bundle.extractall(unpacked)
    report = frictionless.validate(unpacked / "datapackage.json")
    assert report.valid, report.flatten(["resourcePath", "type", "message"])
    assert PLANTED_EMAIL.encode() not in b"".join(bundle.read(name) for name in names)
    assert list(work.iterdir()) == []  # the temporary directory and zip are gone
    entries = audit_entries(session)
    assert len(entries) == 1
    assert entries[0].actor_id == evaluator_id
    assert entries[0].details["filters"] == {"domain": "appraisals"}
    assert entries[0].details["files"]["evidence.csv"] == 2


def test_a_bad_filter_is_shown_with_its_error_and_nothing_is_exported(
    client: FlaskClient, auth: AuthActions, session: Session, mission: Mission, evaluator: User
) -> None:
    auth.sign_in(evaluator.email)

    response = client.post(
        f"/evaluation/{mission.slug}/package",
        data={"domain": "nowhere", "date_from": "2026-05-01", "date_to": "2026-04-01"},
    )

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Choose a source from the list." in html
    assert "Give a date on or after the first date." in html
    assert audit_entries(session) == []


@pytest.mark.parametrize(
    "data",
    [
        {"query": "trees\x00"},
        {"query": "x" * 5000},
        {"code": "99999999999"},
        {"segment": "no such segment"},
        {"date_from": "31-31-2026"},
    ],
)
def test_odd_input_is_refused_with_400_not_500(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    evaluator: User,
    data: dict[str, str],
) -> None:
    auth.sign_in(evaluator.email)

    response = client.post(f"/evaluation/{mission.slug}/package", data=data)

    assert response.status_code == 400
    assert audit_entries(session) == []


def test_a_package_of_a_small_segment_is_refused_beside_the_segment(
    client: FlaskClient, auth: AuthActions, session: Session, mission: Mission, evaluator: User
) -> None:
    for person in range(4):
        make_evidence(session, mission, contributor_key=f"k:{person}", segment="65+")
    auth.sign_in(evaluator.email)

    response = client.post(f"/evaluation/{mission.slug}/package", data={"segment": "65+"})

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Fewer than 10 people of this segment are in the evidence" in html
    assert 'id="segment-error"' in html
    assert audit_entries(session) == []


def test_only_evaluators_and_admins_reach_the_package(
    client: FlaskClient,
    auth: AuthActions,
    session: Session,
    mission: Mission,
    resident: User,
    officer: User,
) -> None:
    for person in (resident, officer):
        auth.sign_in(person.email)
        assert client.get(f"/evaluation/{mission.slug}/package").status_code == 403
        assert client.post(f"/evaluation/{mission.slug}/package").status_code == 403
        auth.sign_out()
    assert client.get(f"/evaluation/{mission.slug}/package").status_code == 302
    assert client.post(f"/evaluation/{mission.slug}/package").status_code == 302
    assert audit_entries(session) == []


def test_an_unknown_mission_is_not_found(
    client: FlaskClient, auth: AuthActions, session: Session, evaluator: User
) -> None:
    make_mission(session, slug="another")
    auth.sign_in(evaluator.email)

    assert client.get("/evaluation/no-such-mission/package").status_code == 404
    assert client.post("/evaluation/no-such-mission/package").status_code == 404
