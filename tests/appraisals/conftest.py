"""The people most appraisals tests need: an officer, an evaluator and a resident."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.security import Role
from tests.factories import make_user


@pytest.fixture
def officer(session: Session) -> User:
    return make_user(session, role=Role.OFFICER, email="olu@example.org")


@pytest.fixture
def evaluator(session: Session) -> User:
    return make_user(session, role=Role.EVALUATOR, email="eva@example.org")


@pytest.fixture
def resident(session: Session) -> User:
    return make_user(session, email="rosa@example.org", display_name="Rosa Resident")
