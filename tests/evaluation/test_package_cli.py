"""`engage evaluation export`: the unpacked evidence package from the command line."""

from __future__ import annotations

import csv
from pathlib import Path

import frictionless
import sqlalchemy as sa
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.audit import AuditEntry
from engage.evaluation.package import AUDIT_ACTION
from engage.missions.models import Mission
from tests.factories import make_contribution, make_process, make_round


def export(runner: FlaskCliRunner, session: Session, *args: str) -> tuple[int, str, str]:
    """Run the command (the test's session first lets go of SQLite's write lock, which reading
    an expired attribute such as ``mission.slug`` took)."""
    session.rollback()
    result = runner.invoke(args=["evaluation", "export", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def exports(session: Session) -> list[AuditEntry]:
    session.rollback()
    return list(session.scalars(sa.select(AuditEntry).where(AuditEntry.action == AUDIT_ACTION)))


def test_the_command_refreshes_the_index_and_writes_a_valid_package(
    runner: FlaskCliRunner, session: Session, tmp_path: Path, mission: Mission, resident: User
) -> None:
    round_ = make_round(session, make_process(session, mission))
    make_contribution(session, round_, resident, text="Benches every 100 metres, please.")
    out = tmp_path / "package"

    code, output, errors = export(runner, session, "--mission", mission.slug, "--out", str(out))

    assert code == 0, errors
    assert "Evidence index updated:" in output
    assert "Wrote the evidence package healthy-streets-evidence" in output
    assert "evidence.csv" in output and "datapackage.json" in output and "sha256:" in output
    report = frictionless.validate(out / "datapackage.json")
    assert report.valid, report.flatten(["resourcePath", "type", "message"])
    with (out / "evidence.csv").open(encoding="utf-8", newline="") as data:
        texts = [row["text"] for row in csv.DictReader(data)]
    assert "Benches every 100 metres, please." in texts
    (entry,) = exports(session)
    assert entry.actor_id is None and entry.details["via"] == "command line"


def test_without_refresh_the_index_is_exported_as_it_stands(
    runner: FlaskCliRunner, session: Session, tmp_path: Path, mission: Mission, resident: User
) -> None:
    round_ = make_round(session, make_process(session, mission))
    make_contribution(session, round_, resident)
    out = tmp_path / "package"
    out.mkdir()  # an empty directory is fine

    code, output, errors = export(
        runner, session, "--mission", mission.slug, "--out", str(out), "--no-refresh"
    )

    assert code == 0, errors
    assert "Evidence index updated" not in output
    assert (out / "evidence.csv").read_text(encoding="utf-8").count("\n") == 1  # header only


def test_an_unknown_mission_exits_2_with_a_clear_message(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    code, _, errors = export(
        runner, session, "--mission", "nowhere", "--out", str(tmp_path / "package")
    )

    assert code == 2
    assert "There is no mission with the slug “nowhere”." in errors
    assert not (tmp_path / "package").exists()
    assert exports(session) == []


def test_a_directory_that_is_not_empty_or_a_file_is_refused_with_exit_2(
    runner: FlaskCliRunner, session: Session, tmp_path: Path, mission: Mission
) -> None:
    full = tmp_path / "full"
    full.mkdir()
    (full / "notes.txt").write_text("keep me", encoding="utf-8")
    a_file = tmp_path / "a-file"
    a_file.write_text("", encoding="utf-8")

    code, _, errors = export(runner, session, "--mission", mission.slug, "--out", str(full))
    assert code == 2 and "is not empty" in errors
    assert [path.name for path in full.iterdir()] == ["notes.txt"]

    code, _, errors = export(runner, session, "--mission", mission.slug, "--out", str(a_file))
    assert code == 2 and "is a file" in errors
    assert exports(session) == []


def test_the_mission_and_the_directory_are_required(
    runner: FlaskCliRunner, session: Session
) -> None:
    code, _, errors = export(runner, session, "--out", "somewhere")

    assert code == 2
    assert "--mission" in errors
