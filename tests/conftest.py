"""Fixtures: an app on a fresh database for every test, SQLite always and PostgreSQL as well when
ENGAGE_TEST_DATABASE_URL is set (every database test then runs once per database).

The suite runs in parallel with pytest-xdist: each worker has its own PostgreSQL database (the
configured one's name with the worker's id appended, created when missing); the tests that use
the Redis server take turns through a lock file (tests/test_jobs.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pytest
import sqlalchemy as sa
from flask import Flask, request_started
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session

from engage import create_app
from engage.extensions import db
from engage.models import Base
from tests.factories import DEFAULT_PASSWORD


def _database_of_this_worker(url: str) -> str:
    """The configured PostgreSQL database, or under pytest-xdist a database of this worker's own
    beside it (``engage_ci_gw0``...), created on first use."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    configured = sa.make_url(url)
    name = f"{configured.database}_{worker}"
    admin = sa.create_engine(configured.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return configured.set(database=name).render_as_string(hide_password=False)


POSTGRES_URL = _database_of_this_worker(os.environ.get("ENGAGE_TEST_DATABASE_URL", ""))
REDIS_URL = os.environ.get("ENGAGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def service_missing(reason: str) -> NoReturn:
    """Skip a test whose browser or server is missing on a developer's machine; fail in CI,
    which installs them all, so a missing service never passes silently there."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must provide it)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def _postgres_schema() -> Iterator[str]:
    """Create the tables once per run; each test then starts from empty tables."""
    engine = sa.create_engine(POSTGRES_URL)
    Base.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    Base.metadata.create_all(engine)
    engine.dispose()
    yield POSTGRES_URL
    engine = sa.create_engine(POSTGRES_URL)
    Base.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL to an empty database with every table, one per parametrised database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
        engine = sa.create_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        return url
    postgres_url: str = request.getfixturevalue("_postgres_schema")
    engine = sa.create_engine(postgres_url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        # A connection a broken test left "idle in transaction" would make TRUNCATE wait forever.
        connection.execute(sa.text("SET LOCAL lock_timeout = '30s'"))
        connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return postgres_url


def test_config(database_url: str, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "test secret key, not for production",
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,
        "MAIL_BACKEND": "memory",
        "RATELIMIT_STORAGE_URI": "memory://",
        "JOB_RUNNER": "thread",
        "MAP_TILE_URL": "",  # no tile server to reach from the tests
    }
    config.update(overrides)
    return config


test_config.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test, when imported


@pytest.fixture
def make_app(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Build an app on the test database with extra settings (CSRF on, another runner, ...)."""
    monkeypatch.setenv("ENGAGE_INSTANCE_PATH", str(tmp_path / "instance"))
    apps: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        app = create_app(test_config(database_url, **overrides))
        apps.append(app)
        return app

    yield build
    for app in apps:
        runner = app.extensions["engage.jobs"]
        if hasattr(runner, "drain"):
            runner.drain()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app: Any) -> Flask:
    built: Flask = make_app()
    return built


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """The test's own session, outside any app context, as another process would hold one.

    Were it the app's request-bound session, the test would keep an app context pushed and every
    client request would reuse it: its ``g`` (with the user Flask-Login cached), its session, and
    no teardown between requests. Before each request this session ends its transaction, so on
    SQLite it never holds the write lock the request needs.
    """
    with app.app_context():
        own = db.sessionmaker()

    def let_go(sender: Flask, **extra: Any) -> None:
        own.rollback()

    request_started.connect(let_go, app, weak=False)
    yield own
    request_started.disconnect(let_go, app)
    own.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


class AuthActions:
    """Signs in through the real sign-in page, as a person would."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def sign_in(self, email: str, password: str = DEFAULT_PASSWORD) -> Any:
        return self.client.post("/sign-in", data={"email": email, "password": password})

    def sign_out(self) -> Any:
        return self.client.post("/sign-out")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@contextmanager
def counting_queries(session: Session) -> Iterator[list[str]]:
    """The SQL statements sent while the block runs (to show a page's or export's query count
    does not grow with the data)."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
