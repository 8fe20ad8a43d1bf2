"""Evaluation: the evidence index, theme runs, the coding frame with its versions, memos and
double-coding samples, harvested outcomes and the learning log.

Links to other domains are foreign keys by table name; evaluation reads their contributions only
through their ``evidence.py`` (copied into ``evaluation_evidence`` by the index).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.db import Base, enum_column, utcnow

# Full-text search lives beside the table, outside the models (read by engage.evaluation.index):
# SQLite keeps an FTS5 index in these tables, PostgreSQL a GIN index on the search text.
FTS_TABLE = "evaluation_evidence_fts"
PG_SEARCH_INDEX = "ix_evaluation_evidence_search"


class EvidenceRecord(Base):
    """One evidence item of a mission, as its domain's ``evidence.py`` gave it at the last
    refresh. Rows keep their id across refreshes, so codes and memos stay attached."""

    __tablename__ = "evaluation_evidence"
    __table_args__ = (sa.UniqueConstraint("mission_id", "source_kind", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("missions.id", ondelete="CASCADE"), index=True
    )
    domain: Mapped[str] = mapped_column(sa.String(20))  # codesign, juries, advisory, ...
    source_kind: Mapped[str] = mapped_column(sa.String(60))
    source_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(index=True)  # when it was contributed
    title: Mapped[str] = mapped_column(sa.String(300))
    text: Mapped[str] = mapped_column(sa.Text)
    # Lower case without accents: what both databases' full-text indexes read.
    search_text: Mapped[str] = mapped_column(sa.Text)
    contributor_key: Mapped[str | None] = mapped_column(sa.String(80))
    segment: Mapped[str | None] = mapped_column(sa.String(80))  # only where the person consented
    area: Mapped[str] = mapped_column(sa.String(200), default="")
    latitude: Mapped[float | None]  # the point the public sees, never a more exact one
    longitude: Mapped[float | None]
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    indexed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ThemeRun(Base):
    """Themes proposed for a filtered set of evidence: the job, its inputs and its result."""

    __tablename__ = "evaluation_theme_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("missions.id", ondelete="CASCADE"), index=True
    )
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jobs.id", ondelete="SET NULL"))
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the index filter, as query args
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The evidence ids themed, in order: a theme's quotes and assignments index into this list.
    evidence_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    result: Mapped[dict[str, Any] | None]  # Themes.as_dict(), once the job has finished
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    adopted_at: Mapped[datetime | None]  # when its themes became codes of the frame


class CodeOrigin(enum.StrEnum):
    THEME = "theme"  # proposed by a theme run, adopted into the frame
    EVALUATOR = "evaluator"  # written by an evaluator


class CodeStatus(enum.StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"
    MERGED = "merged"  # into ``merged_into``; its applications moved there


class Code(Base):
    """A code of the mission's coding frame."""

    __tablename__ = "evaluation_codes"
    __table_args__ = (sa.UniqueConstraint("mission_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("missions.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(120))
    definition: Mapped[str] = mapped_column(sa.Text, default="")
    origin: Mapped[CodeOrigin] = mapped_column(enum_column(CodeOrigin))
    status: Mapped[CodeStatus] = mapped_column(enum_column(CodeStatus), default=CodeStatus.ACTIVE)
    keywords: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # from its theme, if any
    theme_run_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("evaluation_theme_runs.id", ondelete="SET NULL")
    )
    theme_number: Mapped[int | None]
    merged_into_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("evaluation_codes.id", ondelete="SET NULL")
    )
    split_from_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("evaluation_codes.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    applications: Mapped[list[CodeApplication]] = relationship(
        back_populates="code", cascade="all, delete-orphan", passive_deletes=True
    )


class CodeApplication(Base):
    """A code applied to an evidence item, or to an excerpt of its text, by one coder.

    ``coder_id`` is None for an application proposed by a theme run (the item's strongest
    theme); such applications never count towards agreement."""

    __tablename__ = "evaluation_code_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_id: Mapped[int] = mapped_column(
        sa.ForeignKey("evaluation_codes.id", ondelete="CASCADE"), index=True
    )
    evidence_id: Mapped[int] = mapped_column(
        sa.ForeignKey("evaluation_evidence.id", ondelete="CASCADE"), index=True
    )
    coder_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    excerpt: Mapped[str] = mapped_column(sa.Text, default="")  # "" for the whole item
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    code: Mapped[Code] = relationship(back_populates="applications")


class FrameVersion(Base):
    """A numbered version of the coding frame, written by every change to it, with the whole
    frame as it then stood."""

    __tablename__ = "evaluation_frame_versions"
    __table_args__ = (sa.UniqueConstraint("mission_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("missions.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    # What changed: an English template marked with N_ and its values, translated where shown.
    change: Mapped[str] = mapped_column(sa.String(200))
    change_params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Every code as it stood: [{"id", "name", "definition", "status", "origin", ...}, ...]
    snapshot: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Memo(Base):
    """An evaluator's note on a code or on an evidence item (exactly one of the two)."""

    __tablename__ = "evaluation_memos"
    __table_args__ = (
        sa.CheckConstraint("(code_id IS NULL) <> (evidence_id IS NULL)", name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("missions.id", ondelete="CASCADE"), index=True
    )
    code_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("evaluation_codes.id", ondelete="CASCADE"), index=True
    )
    evidence_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("evaluation_evidence.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CodingSample(Base):
    """A seeded random sample of evidence items that two coders code independently, so the
    frame's agreement can be measured code by code."""

    __tablename__ = "evaluation_samples"
    __table_args__ = (
        sa.UniqueConstraint("mission_id", "name"),
        sa.CheckConstraint("coder_a_id <> coder_b_id", name="two_coders"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("missions.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(120))
    seed: Mapped[str] = mapped_column(sa.String(64))
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    coder_a_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    coder_b_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    items: Mapped[list[SampleItem]] = relationship(
        order_by="SampleItem.position", cascade="all, delete-orphan", passive_deletes=True
    )


class SampleItem(Base):
    __tablename__ = "evaluation_sample_items"

    sample_id: Mapped[int] = mapped_column(
        sa.ForeignKey("evaluation_samples.id", ondelete="CASCADE"), primary_key=True
    )
    evidence_id: Mapped[int] = mapped_column(
        sa.ForeignKey("evaluation_evidence.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int]


outcome_indicators = sa.Table(
    "evaluation_outcome_indicators",
    Base.metadata,
    sa.Column(
        "outcome_id",
        sa.ForeignKey("evaluation_outcomes.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("indicator_id", sa.ForeignKey("indicators.id", ondelete="CASCADE"), primary_key=True),
)

outcome_evidence = sa.Table(
    "evaluation_outcome_evidence",
    Base.metadata,
    sa.Column(
        "outcome_id",
        sa.ForeignKey("evaluation_outcomes.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "evidence_id",
        sa.ForeignKey("evaluation_evidence.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


class HarvestedOutcome(Base):
    """An outcome-harvesting record: a change observed, and how engagement contributed to it."""

    __tablename__ = "evaluation_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("missions.id", ondelete="CASCADE"), index=True
    )
    what_changed: Mapped[str] = mapped_column(sa.Text)
    for_whom: Mapped[str] = mapped_column(sa.String(300))
    happened_on: Mapped[date | None]
    place: Mapped[str] = mapped_column(sa.String(200), default="")  # where
    significance: Mapped[str] = mapped_column(sa.Text, default="")
    contribution: Mapped[str] = mapped_column(sa.Text, default="")  # how engagement contributed
    substantiated_by: Mapped[str] = mapped_column(sa.Text, default="")  # "" = not yet
    mission_outcome_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outcomes.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    evidence: Mapped[list[EvidenceRecord]] = relationship(
        secondary=outcome_evidence, order_by=EvidenceRecord.created_at
    )


class LearningLoop(enum.StrEnum):
    SINGLE = "single"  # doing things right: a correction within the current approach
    DOUBLE = "double"  # doing the right things: the approach or its assumptions changed
    TRIPLE = "triple"  # how we decide what is right: governance, values, who decides


class LearningEntry(Base):
    """An entry of the mission's learning log."""

    __tablename__ = "evaluation_learning"

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("missions.id", ondelete="CASCADE"), index=True
    )
    loop: Mapped[LearningLoop] = mapped_column(enum_column(LearningLoop))
    noted_on: Mapped[date]
    what_happened: Mapped[str] = mapped_column(sa.Text)
    learned: Mapped[str] = mapped_column(sa.Text)
    next_step: Mapped[str] = mapped_column(sa.Text, default="")  # what will be done differently
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# SQLite: an external-content FTS5 table kept in step by triggers. PostgreSQL: a GIN index on the
# search text's tsvector. Both read ``search_text`` ('simple' configuration and unicode61: no
# stemming, since a mission's texts mix English, Spanish and Catalan). Migration 0007 runs the
# same statements; a later migration that copies this table on SQLite must run them again.
SQLITE_SEARCH_DDL = (
    "CREATE VIRTUAL TABLE evaluation_evidence_fts USING fts5(search_text, content='evaluation_evidence', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER evaluation_evidence_fts_insert AFTER INSERT ON evaluation_evidence BEGIN "
    "INSERT INTO evaluation_evidence_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER evaluation_evidence_fts_delete AFTER DELETE ON evaluation_evidence BEGIN "
    "INSERT INTO evaluation_evidence_fts(evaluation_evidence_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER evaluation_evidence_fts_update AFTER UPDATE OF search_text ON evaluation_evidence BEGIN "
    "INSERT INTO evaluation_evidence_fts(evaluation_evidence_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO evaluation_evidence_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
)
SQLITE_SEARCH_DROP = ("DROP TABLE IF EXISTS evaluation_evidence_fts",)
POSTGRES_SEARCH_DDL = (
    "CREATE INDEX ix_evaluation_evidence_search ON evaluation_evidence "
    "USING gin (to_tsvector('simple', search_text))",
)


def search_ddl(dialect: str) -> tuple[str, ...]:
    return {"sqlite": SQLITE_SEARCH_DDL, "postgresql": POSTGRES_SEARCH_DDL}.get(dialect, ())


@sa.event.listens_for(EvidenceRecord.__table__, "after_create")
def _create_search(target: sa.Table, connection: sa.Connection, **kw: Any) -> None:
    for statement in search_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)


@sa.event.listens_for(EvidenceRecord.__table__, "before_drop")
def _drop_search(target: sa.Table, connection: sa.Connection, **kw: Any) -> None:
    if connection.dialect.name == "sqlite":  # PostgreSQL drops the index with the table
        for statement in SQLITE_SEARCH_DROP:
            connection.exec_driver_sql(statement)


def is_search_object(name: str | None) -> bool:
    """The FTS5 tables (and their shadow tables) and the GIN index: built by hand, not models."""
    return bool(name) and (str(name).startswith(FTS_TABLE) or name == PG_SEARCH_INDEX)
