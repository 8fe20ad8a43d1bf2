"""Fixtures and helpers the co-design tests share."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.audit import AuditEntry
from engage.codesign.models import Contribution, Round
from engage.security import Role
from tests.factories import make_user, make_votes


@pytest.fixture
def officer(session: Session) -> User:
    return make_user(session, role=Role.OFFICER, email="olu@example.org")


@pytest.fixture
def resident(session: Session) -> User:
    return make_user(session, email="rosa@example.org", display_name="Rosa Resident")


def address(app: Flask, endpoint: str, **values: Any) -> str:
    """Where a page lives, whatever its URL looks like."""
    with app.test_request_context():
        return url_for(endpoint, **values)


def audit_entries(session: Session, action: str) -> list[AuditEntry]:
    session.rollback()  # see what the requests committed
    return list(
        session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def plant_two_camps(
    session: Session, round_: Round, statements: list[Contribution]
) -> tuple[list[User], list[User]]:
    """Twelve voters: camp A agrees with the first half of ``statements`` and disagrees with the
    rest; camp B votes the opposite way on every one."""
    camp_a = [make_user(session, display_name=f"Voter A{n}") for n in range(1, 7)]
    camp_b = [make_user(session, display_name=f"Voter B{n}") for n in range(1, 7)]
    half = len(statements) // 2
    make_votes(
        session,
        round_,
        [
            (person, statement, (1 if index < half else -1) * (1 if person in camp_a else -1))
            for person in camp_a + camp_b
            for index, statement in enumerate(statements)
        ],
    )
    return camp_a, camp_b
