"""The people most evaluation tests need: two evaluators (for double-coding), an officer and a
resident, and a mission to evaluate."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.missions.models import Mission
from engage.security import Role
from tests.factories import make_mission, make_user


@pytest.fixture
def evaluator(session: Session) -> User:
    return make_user(session, role=Role.EVALUATOR, email="eva@example.org", display_name="Eva")


@pytest.fixture
def second_evaluator(session: Session) -> User:
    return make_user(session, role=Role.EVALUATOR, email="ezra@example.org", display_name="Ezra")


@pytest.fixture
def officer(session: Session) -> User:
    return make_user(session, role=Role.OFFICER, email="olu@example.org")


@pytest.fixture
def resident(session: Session) -> User:
    return make_user(session, email="rosa@example.org", display_name="Rosa Resident")


@pytest.fixture
def mission(session: Session) -> Mission:
    return make_mission(session, title="Healthy streets", slug="healthy-streets")
