"""The `engage` commands an operator types: the demo and account creation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from engage import create_app
from engage.accounts import services as accounts
from engage.accounts.models import User
from engage.demo import VOICES
from engage.errors import Invalid
from engage.extensions import db
from engage.missions import services as missions
from engage.missions.models import Mission, StatementVersion
from engage.models import Base
from engage.security import Role
from tests.conftest import test_config as app_config
from tests.factories import make_user

ACCOUNT_LINE = re.compile(r"^\s+(\w+)\s+(\S+@\S+)\s+(\S+)\s*$", re.MULTILINE)


@pytest.fixture
def demo_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """An app on an empty SQLite file: the demo migrates it itself."""
    monkeypatch.setenv("ENGAGE_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(app_config(f"sqlite:///{tmp_path / 'demo.sqlite3'}"))
    yield app
    with app.app_context():
        db.engine.dispose()


def row_counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {
            table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def test_demo_seeds_once_and_prints_working_accounts(demo_app: Flask) -> None:
    runner = demo_app.test_cli_runner()

    result = runner.invoke(args=["demo", "--no-serve"])

    assert result.exit_code == 0, result.output
    assert "passwords are shown only this once" in result.output
    accounts_printed = {
        role: (email, pw) for role, email, pw in ACCOUNT_LINE.findall(result.output)
    }
    assert set(accounts_printed) == {"admin", "officer", "evaluator", "resident"}
    assert len({pw for _, pw in accounts_printed.values()}) == 4, "every password differs"
    assert "Serving" not in result.output

    with demo_app.app_context():
        [mission] = db.session.scalars(sa.select(Mission))
        versions = db.session.scalars(
            sa.select(StatementVersion.number).where(StatementVersion.mission_id == mission.id)
        )
        assert sorted(versions) == [1, 2, 3]
        register = missions.get_register(db.session, mission.id, date.today())
        assert len(register.recommendations) == 6  # five, and one the advisory group adopted
        assert [r.title for r in register.overdue()] == [
            "Safe cycle routes to every secondary school"
        ]
        for role, (email, _) in accounts_printed.items():
            user = accounts.get_user_by_email(db.session, email)
            assert user is not None
            assert user.has_role(Role(role))
    counts = row_counts(demo_app)
    # The four printed accounts and the fictional neighbours who take part in co-design.
    assert counts["users"] == 4 + 12 + len(VOICES)
    assert counts["recommendations"] == 6
    assert counts["codesign_rounds"] == 4
    assert counts["codesign_votes"] > 0
    assert counts["codesign_syntheses"] == 1
    assert counts["advisory_memberships"] == 7
    assert counts["advisory_meetings"] == 2
    assert counts["advisory_drafts"] == 1
    assert counts["appraisal_areas"] == 3
    assert counts["appraisal_submissions"] == 18
    assert counts["appraisal_reviews"] == 1 + 15  # one with issues; all but two others approved
    assert counts["appraisal_flags"] == 1  # the implausible reading
    assert counts["appraisals"] == 8  # seven residents' and a workshop group's
    assert counts["appraisal_criteria"] == 14  # the Place Standard
    assert counts["mapping_responses"] == 6
    # The evaluation: every domain indexed, the evaluator's first codes applied, an outcome,
    # one learning-log entry per loop; themes are left for the visitor to run.
    assert counts["evaluation_evidence"] > counts["codesign_contributions"]
    assert counts["evaluation_codes"] == 2
    assert counts["evaluation_code_applications"] > 2
    assert counts["evaluation_outcomes"] == 1 and counts["evaluation_outcome_evidence"] > 0
    assert counts["evaluation_learning"] == 3
    assert counts["evaluation_theme_runs"] == 0

    again = runner.invoke(args=["demo", "--no-serve"])

    assert again.exit_code == 0, again.output
    assert "already present" in again.output
    assert ACCOUNT_LINE.findall(again.output) == []
    assert row_counts(demo_app) == counts

    email, password = accounts_printed["officer"]
    client = demo_app.test_client()
    signed_in = client.post("/sign-in", data={"email": email, "password": password})
    assert signed_in.status_code == 302
    with demo_app.app_context():
        slug = db.session.scalars(sa.select(Mission.slug)).one()
    assert client.get(f"/missions/{slug}/edit").status_code == 200
    assert (
        client.post(
            "/sign-in", data={"email": email, "password": "wrong guess, surely"}
        ).status_code
        == 200
    )


def test_users_create_makes_an_officer(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Olu@Example.org",
            "--name",
            "Olu Officer",
            "--role",
            "officer",
            "--password",
            "a quiet street at dawn",
        ]
    )

    assert result.exit_code == 0, result.output
    assert re.search(r"Created account \d+ for olu@example.org \(officer\)\.", result.output)
    with app.app_context():
        user = accounts.authenticate(db.session, "olu@example.org", "a quiet street at dawn")
        assert user.display_name == "Olu Officer"
        assert user.roles == {Role.OFFICER}


def test_users_create_asks_for_the_password_twice(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["users", "create", "--email", "rosa@example.org", "--name", "Rosa"],
        input="cobbles and lime trees\ncobbles and lime trees\n",
    )

    assert result.exit_code == 0, result.output
    assert "cobbles" not in result.output, "the password is not echoed"
    assert "(resident)" in result.output
    with app.app_context():
        user = accounts.authenticate(db.session, "rosa@example.org", "cobbles and lime trees")
        assert user.roles == set()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "Use at least 10 characters."),
        ("password123", "This password is too common."),
        ("ada@example.org", "Do not use your e-mail address or name as your password."),
    ],
)
def test_users_create_refuses_a_weak_password(
    app: Flask, runner: FlaskCliRunner, password: str, message: str
) -> None:
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "ada@example.org",
            "--name",
            "Ada",
            "--role",
            "admin",
            "--password",
            password,
        ]
    )

    assert result.exit_code != 0
    assert f"Error: {message}" in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
        with pytest.raises(Invalid):
            accounts.authenticate(db.session, "ada@example.org", password)


def test_users_create_refuses_a_taken_address(app: Flask, runner: FlaskCliRunner) -> None:
    with app.app_context():
        make_user(db.session, email="ada@example.org")

    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "ADA@example.org",
            "--name",
            "Ada again",
            "--password",
            "a quiet street at dawn",
        ]
    )

    assert result.exit_code == 1
    assert "An account with this e-mail address already exists." in result.output
    assert row_counts(app)["users"] == 1
