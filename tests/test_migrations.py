"""The migrations build exactly the schema the models describe, and take it all down again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from engage import create_app, schema
from engage.evaluation.models import is_search_object
from engage.extensions import db
from engage.models import Base
from tests.conftest import POSTGRES_URL
from tests.conftest import test_config as app_config


def _fresh_postgres_database() -> Iterator[str]:
    server = sa.make_url(POSTGRES_URL)
    migrations_database = f"{server.database}_migrations"  # beside this worker's test database
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{migrations_database}"'))
            connection.execute(sa.text(f'CREATE DATABASE "{migrations_database}"'))
        yield server.set(database=migrations_database).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(
                sa.text(f'DROP DATABASE IF EXISTS "{migrations_database}" WITH (FORCE)')
            )
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A URL to a database with no tables at all."""
    monkeypatch.setenv("ENGAGE_INSTANCE_PATH", str(tmp_path / "instance"))
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    if not POSTGRES_URL:
        pytest.skip("set ENGAGE_TEST_DATABASE_URL to check the migrations on PostgreSQL")
    yield from _fresh_postgres_database()


def _model_tables(connection: sa.Connection) -> set[str]:
    """Every table but the full-text search ones, which the models do not describe."""
    return {name for name in sa.inspect(connection).get_table_names() if not is_search_object(name)}


def _search_objects(connection: sa.Connection) -> list[str]:
    """The SQLite FTS5 tables or the PostgreSQL GIN index that full-text search reads."""
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE name LIKE 'evaluation_evidence_fts%'"
    else:
        query = "SELECT indexname FROM pg_indexes WHERE indexname = 'ix_evaluation_evidence_search'"
    return list(connection.scalars(sa.text(query)))


def test_migrations_match_the_models_and_downgrade_to_nothing(empty_database: str) -> None:
    app = create_app(app_config(empty_database))
    try:
        schema.upgrade(app)
        with app.app_context(), db.engine.connect() as connection:
            tables = _model_tables(connection)
            assert tables == set(Base.metadata.tables) | {"alembic_version"}
            head = ScriptDirectory.from_config(schema.alembic_config(app)).get_current_head()
            assert connection.scalar(sa.text("SELECT version_num FROM alembic_version")) == head
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "include_name": lambda name, type_, parents: not is_search_object(name),
                },
            )
            assert _search_objects(connection), "the full-text index is missing"
            assert compare_metadata(context, Base.metadata) == []

        schema.downgrade(app, "base")
        with app.app_context(), db.engine.connect() as connection:
            assert sa.inspect(connection).get_table_names() == ["alembic_version"]
            assert not _search_objects(connection)
            assert connection.scalar(sa.text("SELECT count(*) FROM alembic_version")) == 0

        schema.upgrade(app)  # and up again from nothing
        with app.app_context(), db.engine.connect() as connection:
            assert set(sa.inspect(connection).get_table_names()) >= set(Base.metadata.tables)
    finally:
        with app.app_context():
            db.engine.dispose()
