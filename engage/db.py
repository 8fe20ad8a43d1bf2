"""The declarative Base every model shares, shared column types, and engine set-up."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session

# Same constraint names on SQLite and PostgreSQL, so migrations can refer to them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database (SQLite keeps no zone, so we restore it)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_column(enum_type: type[enum.Enum], length: int = 32) -> sa.Enum:
    """Store an enum by its value (not its name) in a plain string column on every database."""
    return sa.Enum(
        enum_type,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: sa.JSON()}


SQLITE_BUSY_TIMEOUT_MS = 30_000


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """WAL for readers beside a writer, a busy timeout for writers, and enforced foreign keys."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        # Take control of transactions ourselves (see _sqlite_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def begin_without_write_lock(session: Session) -> None:
    """Begin the session's next transaction without SQLite's write lock, for work that only
    reads (a page, a report, a long check), so it never makes writers wait. Call it before the
    session's first query; it changes nothing on PostgreSQL."""
    session.connection(execution_options={"sqlite_deferred": True})


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection: sa.Connection) -> None:
    """Start SQLite transactions with BEGIN IMMEDIATE.

    A deferred SQLite transaction that reads and then writes fails at once with "database is
    locked" when another process wrote in between, whatever the busy timeout. Taking the write
    lock up front makes concurrent writers queue (up to the busy timeout) instead of failing, so
    simultaneous submissions are all stored. Read-only work opts out through
    ``begin_without_write_lock``: every GET request does, as state changes only by POST.
    """
    if connection.dialect.name == "sqlite":
        deferred = connection.get_execution_options().get("sqlite_deferred", False)
        connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")
