"""Evaluation: the evidence index with full-text search (SQLite FTS5, PostgreSQL GIN), theme
runs, the coding frame with applications, versions, memos and double-coding samples, harvested
outcomes with their indicators and evidence, and the learning log.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Full-text search beside evaluation_evidence, as engage/evaluation/models.py builds it for a new
# database (copied here so this revision stays as it was when the models change).
SEARCH_DDL = {
    "sqlite": (
        "CREATE VIRTUAL TABLE evaluation_evidence_fts USING fts5(search_text, content='evaluation_evidence', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
        "CREATE TRIGGER evaluation_evidence_fts_insert AFTER INSERT ON evaluation_evidence BEGIN INSERT INTO evaluation_evidence_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
        "CREATE TRIGGER evaluation_evidence_fts_delete AFTER DELETE ON evaluation_evidence BEGIN INSERT INTO evaluation_evidence_fts(evaluation_evidence_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
        "CREATE TRIGGER evaluation_evidence_fts_update AFTER UPDATE OF search_text ON evaluation_evidence BEGIN INSERT INTO evaluation_evidence_fts(evaluation_evidence_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); INSERT INTO evaluation_evidence_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    ),
    "postgresql": (
        "CREATE INDEX ix_evaluation_evidence_search ON evaluation_evidence USING gin (to_tsvector('simple', search_text))",
    ),
}


def upgrade() -> None:
    op.create_table(
        "evaluation_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=20), nullable=False),
        sa.Column("source_kind", sa.String(length=60), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("contributor_key", sa.String(length=80), nullable=True),
        sa.Column("segment", sa.String(length=80), nullable=True),
        sa.Column("area", sa.String(length=200), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_evaluation_evidence_mission_id_missions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_evidence")),
        sa.UniqueConstraint(
            "mission_id",
            "source_kind",
            "source_id",
            name=op.f("uq_evaluation_evidence_mission_id_source_kind_source_id"),
        ),
    )
    with op.batch_alter_table("evaluation_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evaluation_evidence_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_evaluation_evidence_mission_id"), ["mission_id"], unique=False
        )

    op.create_table(
        "evaluation_frame_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=200), nullable=False),
        sa.Column("change_params", sa.JSON(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_evaluation_frame_versions_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_evaluation_frame_versions_mission_id_missions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_frame_versions")),
        sa.UniqueConstraint(
            "mission_id", "number", name=op.f("uq_evaluation_frame_versions_mission_id_number")
        ),
    )
    with op.batch_alter_table("evaluation_frame_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evaluation_frame_versions_mission_id"), ["mission_id"], unique=False
        )

    op.create_table(
        "evaluation_learning",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column(
            "loop",
            sa.Enum(
                "single", "double", "triple", name="learningloop", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("noted_on", sa.Date(), nullable=False),
        sa.Column("what_happened", sa.Text(), nullable=False),
        sa.Column("learned", sa.Text(), nullable=False),
        sa.Column("next_step", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_evaluation_learning_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_evaluation_learning_mission_id_missions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_learning")),
    )
    with op.batch_alter_table("evaluation_learning", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evaluation_learning_mission_id"), ["mission_id"], unique=False
        )

    op.create_table(
        "evaluation_samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("coder_a_id", sa.Integer(), nullable=True),
        sa.Column("coder_b_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "coder_a_id <> coder_b_id", name=op.f("ck_evaluation_samples_two_coders")
        ),
        sa.ForeignKeyConstraint(
            ["coder_a_id"],
            ["users.id"],
            name=op.f("fk_evaluation_samples_coder_a_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["coder_b_id"],
            ["users.id"],
            name=op.f("fk_evaluation_samples_coder_b_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_evaluation_samples_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_evaluation_samples_mission_id_missions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_samples")),
        sa.UniqueConstraint(
            "mission_id", "name", name=op.f("uq_evaluation_samples_mission_id_name")
        ),
    )
    with op.batch_alter_table("evaluation_samples", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evaluation_samples_mission_id"), ["mission_id"], unique=False
        )

    op.create_table(
        "evaluation_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("what_changed", sa.Text(), nullable=False),
        sa.Column("for_whom", sa.String(length=300), nullable=False),
        sa.Column("happened_on", sa.Date(), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("significance", sa.Text(), nullable=False),
        sa.Column("contribution", sa.Text(), nullable=False),
        sa.Column("substantiated_by", sa.Text(), nullable=False),
        sa.Column("mission_outcome_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_evaluation_outcomes_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_evaluation_outcomes_mission_id_missions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mission_outcome_id"],
            ["outcomes.id"],
            name=op.f("fk_evaluation_outcomes_mission_outcome_id_outcomes"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_outcomes")),
    )
    with op.batch_alter_table("evaluation_outcomes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evaluation_outcomes_mission_id"), ["mission_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_evaluation_outcomes_mission_outcome_id"),
            ["mission_outcome_id"],
            unique=False,
        )

    op.create_table(
        "evaluation_sample_items",
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evaluation_evidence.id"],
            name=op.f("fk_evaluation_sample_items_evidence_id_evaluation_evidence"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["evaluation_samples.id"],
            name=op.f("fk_evaluation_sample_items_sample_id_evaluation_samples"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "sample_id", "evidence_id", name=op.f("pk_evaluation_sample_items")
        ),
    )
    op.create_table(
        "evaluation_theme_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("evidence_ids", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("adopted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_evaluation_theme_runs_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["jobs.id"],
            name=op.f("fk_evaluation_theme_runs_job_id_jobs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_evaluation_theme_runs_mission_id_missions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_theme_runs")),
    )
    with op.batch_alter_table("evaluation_theme_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evaluation_theme_runs_mission_id"), ["mission_id"], unique=False
        )

    op.create_table(
        "evaluation_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column(
            "origin",
            sa.Enum("theme", "evaluator", name="codeorigin", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("active", "retired", "merged", name="codestatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("theme_run_id", sa.Integer(), nullable=True),
        sa.Column("theme_number", sa.Integer(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("split_from_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_evaluation_codes_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["evaluation_codes.id"],
            name=op.f("fk_evaluation_codes_merged_into_id_evaluation_codes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_evaluation_codes_mission_id_missions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["split_from_id"],
            ["evaluation_codes.id"],
            name=op.f("fk_evaluation_codes_split_from_id_evaluation_codes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["theme_run_id"],
            ["evaluation_theme_runs.id"],
            name=op.f("fk_evaluation_codes_theme_run_id_evaluation_theme_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_codes")),
        sa.UniqueConstraint("mission_id", "name", name=op.f("uq_evaluation_codes_mission_id_name")),
    )
    with op.batch_alter_table("evaluation_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evaluation_codes_mission_id"), ["mission_id"], unique=False
        )

    op.create_table(
        "evaluation_outcome_evidence",
        sa.Column("outcome_id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evaluation_evidence.id"],
            name=op.f("fk_evaluation_outcome_evidence_evidence_id_evaluation_evidence"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outcome_id"],
            ["evaluation_outcomes.id"],
            name=op.f("fk_evaluation_outcome_evidence_outcome_id_evaluation_outcomes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "outcome_id", "evidence_id", name=op.f("pk_evaluation_outcome_evidence")
        ),
    )
    op.create_table(
        "evaluation_outcome_indicators",
        sa.Column("outcome_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicators.id"],
            name=op.f("fk_evaluation_outcome_indicators_indicator_id_indicators"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outcome_id"],
            ["evaluation_outcomes.id"],
            name=op.f("fk_evaluation_outcome_indicators_outcome_id_evaluation_outcomes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "outcome_id", "indicator_id", name=op.f("pk_evaluation_outcome_indicators")
        ),
    )
    op.create_table(
        "evaluation_code_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("coder_id", sa.Integer(), nullable=True),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["code_id"],
            ["evaluation_codes.id"],
            name=op.f("fk_evaluation_code_applications_code_id_evaluation_codes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["coder_id"],
            ["users.id"],
            name=op.f("fk_evaluation_code_applications_coder_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evaluation_evidence.id"],
            name=op.f("fk_evaluation_code_applications_evidence_id_evaluation_evidence"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_code_applications")),
    )
    with op.batch_alter_table("evaluation_code_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evaluation_code_applications_code_id"), ["code_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_evaluation_code_applications_coder_id"), ["coder_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_evaluation_code_applications_evidence_id"), ["evidence_id"], unique=False
        )

    op.create_table(
        "evaluation_memos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=True),
        sa.Column("evidence_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(code_id IS NULL) <> (evidence_id IS NULL)",
            name=op.f("ck_evaluation_memos_one_subject"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_evaluation_memos_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["code_id"],
            ["evaluation_codes.id"],
            name=op.f("fk_evaluation_memos_code_id_evaluation_codes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evaluation_evidence.id"],
            name=op.f("fk_evaluation_memos_evidence_id_evaluation_evidence"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_evaluation_memos_mission_id_missions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_memos")),
    )
    with op.batch_alter_table("evaluation_memos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_memos_code_id"), ["code_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_evaluation_memos_evidence_id"), ["evidence_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_evaluation_memos_mission_id"), ["mission_id"], unique=False
        )

    for statement in SEARCH_DDL.get(op.get_bind().dialect.name, ()):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # PostgreSQL drops its index with the table
        op.execute("DROP TABLE IF EXISTS evaluation_evidence_fts")
    with op.batch_alter_table("evaluation_memos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_memos_mission_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_memos_evidence_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_memos_code_id"))

    op.drop_table("evaluation_memos")
    with op.batch_alter_table("evaluation_code_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_code_applications_evidence_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_code_applications_coder_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_code_applications_code_id"))

    op.drop_table("evaluation_code_applications")
    op.drop_table("evaluation_outcome_indicators")
    op.drop_table("evaluation_outcome_evidence")
    with op.batch_alter_table("evaluation_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_codes_mission_id"))

    op.drop_table("evaluation_codes")
    with op.batch_alter_table("evaluation_theme_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_theme_runs_mission_id"))

    op.drop_table("evaluation_theme_runs")
    op.drop_table("evaluation_sample_items")
    with op.batch_alter_table("evaluation_outcomes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_outcomes_mission_outcome_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_outcomes_mission_id"))

    op.drop_table("evaluation_outcomes")
    with op.batch_alter_table("evaluation_samples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_samples_mission_id"))

    op.drop_table("evaluation_samples")
    with op.batch_alter_table("evaluation_learning", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_learning_mission_id"))

    op.drop_table("evaluation_learning")
    with op.batch_alter_table("evaluation_frame_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_frame_versions_mission_id"))

    op.drop_table("evaluation_frame_versions")
    with op.batch_alter_table("evaluation_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_evidence_mission_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_evidence_created_at"))

    op.drop_table("evaluation_evidence")
