"""Co-design: processes, rounds, contributions, comments, supports, votes, reports, priorities,
draft ratings, syntheses and their citations.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "codesign_processes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_codesign_processes_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_codesign_processes_mission_id_missions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_codesign_processes")),
    )
    with op.batch_alter_table("codesign_processes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_codesign_processes_mission_id"), ["mission_id"], unique=False
        )

    op.create_table(
        "codesign_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "ideas",
                "statements",
                "draft_review",
                "priorities",
                name="roundkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "open",
                "closed",
                "synthesised",
                name="roundstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "moderation",
            sa.Enum("before", "after", name="moderation", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "priority_method",
            sa.Enum("ranking", "points", name="prioritymethod", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("points_budget", sa.Integer(), nullable=True),
        sa.Column("opinion_map", sa.JSON(), nullable=True),
        sa.Column("opinion_signature", sa.String(length=80), nullable=True),
        sa.Column("opinion_job_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "closes_at > opens_at", name=op.f("ck_codesign_rounds_closes_after_opening")
        ),
        sa.CheckConstraint(
            "points_budget IS NULL OR points_budget > 0",
            name=op.f("ck_codesign_rounds_points_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["opinion_job_id"],
            ["jobs.id"],
            name=op.f("fk_codesign_rounds_opinion_job_id_jobs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["codesign_processes.id"],
            name=op.f("fk_codesign_rounds_process_id_codesign_processes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_codesign_rounds")),
    )
    with op.batch_alter_table("codesign_rounds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_codesign_rounds_process_id"), ["process_id"], unique=False
        )

    op.create_table(
        "codesign_contributions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "idea",
                "statement",
                "option",
                "paragraph",
                name="contributionkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("seeded", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("area", sa.String(length=120), nullable=False),
        sa.Column(
            "visibility",
            sa.Enum(
                "pending",
                "visible",
                "reported",
                "hidden",
                name="visibility",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("moderation_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_codesign_contributions_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["codesign_rounds.id"],
            name=op.f("fk_codesign_contributions_round_id_codesign_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_codesign_contributions")),
    )
    with op.batch_alter_table("codesign_contributions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_codesign_contributions_author_id"), ["author_id"], unique=False
        )
        batch_op.create_index(
            "ix_codesign_contributions_round_kind", ["round_id", "kind"], unique=False
        )

    op.create_table(
        "codesign_draft_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "score BETWEEN 1 AND 5", name=op.f("ck_codesign_draft_ratings_score_range")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["codesign_rounds.id"],
            name=op.f("fk_codesign_draft_ratings_round_id_codesign_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_codesign_draft_ratings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_codesign_draft_ratings")),
        sa.UniqueConstraint(
            "round_id", "user_id", name=op.f("uq_codesign_draft_ratings_round_id_user_id")
        ),
    )
    op.create_table(
        "codesign_syntheses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("statement_version_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_codesign_syntheses_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["codesign_rounds.id"],
            name=op.f("fk_codesign_syntheses_round_id_codesign_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["statement_version_id"],
            ["statement_versions.id"],
            name=op.f("fk_codesign_syntheses_statement_version_id_statement_versions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_codesign_syntheses")),
        sa.UniqueConstraint("round_id", name=op.f("uq_codesign_syntheses_round_id")),
    )
    op.create_table(
        "codesign_citations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("synthesis_id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["codesign_contributions.id"],
            name=op.f("fk_codesign_citations_contribution_id_codesign_contributions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["synthesis_id"],
            ["codesign_syntheses.id"],
            name=op.f("fk_codesign_citations_synthesis_id_codesign_syntheses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_codesign_citations")),
        sa.UniqueConstraint(
            "synthesis_id",
            "contribution_id",
            name=op.f("uq_codesign_citations_synthesis_id_contribution_id"),
        ),
    )
    with op.batch_alter_table("codesign_citations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_codesign_citations_contribution_id"), ["contribution_id"], unique=False
        )

    op.create_table(
        "codesign_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "visibility",
            sa.Enum(
                "pending",
                "visible",
                "reported",
                "hidden",
                name="visibility",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("moderation_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_codesign_comments_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["codesign_contributions.id"],
            name=op.f("fk_codesign_comments_contribution_id_codesign_contributions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["codesign_comments.id"],
            name=op.f("fk_codesign_comments_parent_id_codesign_comments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_codesign_comments")),
    )
    with op.batch_alter_table("codesign_comments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_codesign_comments_author_id"), ["author_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_codesign_comments_contribution_id"), ["contribution_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_codesign_comments_parent_id"), ["parent_id"], unique=False
        )

    op.create_table(
        "codesign_priority_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "value >= 0", name=op.f("ck_codesign_priority_answers_value_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["option_id"],
            ["codesign_contributions.id"],
            name=op.f("fk_codesign_priority_answers_option_id_codesign_contributions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["codesign_rounds.id"],
            name=op.f("fk_codesign_priority_answers_round_id_codesign_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_codesign_priority_answers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_codesign_priority_answers")),
        sa.UniqueConstraint(
            "option_id", "user_id", name=op.f("uq_codesign_priority_answers_option_id_user_id")
        ),
    )
    with op.batch_alter_table("codesign_priority_answers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_codesign_priority_answers_round_user", ["round_id", "user_id"], unique=False
        )

    op.create_table(
        "codesign_supports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["codesign_contributions.id"],
            name=op.f("fk_codesign_supports_contribution_id_codesign_contributions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_codesign_supports_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_codesign_supports")),
        sa.UniqueConstraint(
            "contribution_id", "user_id", name=op.f("uq_codesign_supports_contribution_id_user_id")
        ),
    )
    with op.batch_alter_table("codesign_supports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_codesign_supports_user_id"), ["user_id"], unique=False)

    op.create_table(
        "codesign_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("value IN (-1, 0, 1)", name=op.f("ck_codesign_votes_value_allowed")),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["codesign_rounds.id"],
            name=op.f("fk_codesign_votes_round_id_codesign_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["codesign_contributions.id"],
            name=op.f("fk_codesign_votes_statement_id_codesign_contributions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_codesign_votes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_codesign_votes")),
        sa.UniqueConstraint(
            "statement_id", "user_id", name=op.f("uq_codesign_votes_statement_id_user_id")
        ),
    )
    with op.batch_alter_table("codesign_votes", schema=None) as batch_op:
        batch_op.create_index("ix_codesign_votes_round_user", ["round_id", "user_id"], unique=False)

    op.create_table(
        "codesign_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=True),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(contribution_id IS NULL) <> (comment_id IS NULL)",
            name=op.f("ck_codesign_reports_one_reported_item"),
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["codesign_comments.id"],
            name=op.f("fk_codesign_reports_comment_id_codesign_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["codesign_contributions.id"],
            name=op.f("fk_codesign_reports_contribution_id_codesign_contributions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["users.id"],
            name=op.f("fk_codesign_reports_reporter_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_codesign_reports")),
        sa.UniqueConstraint(
            "comment_id", "reporter_id", name=op.f("uq_codesign_reports_comment_id_reporter_id")
        ),
        sa.UniqueConstraint(
            "contribution_id",
            "reporter_id",
            name=op.f("uq_codesign_reports_contribution_id_reporter_id"),
        ),
    )
    with op.batch_alter_table("codesign_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_codesign_reports_comment_id"), ["comment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_codesign_reports_contribution_id"), ["contribution_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("codesign_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_codesign_reports_contribution_id"))
        batch_op.drop_index(batch_op.f("ix_codesign_reports_comment_id"))

    op.drop_table("codesign_reports")
    with op.batch_alter_table("codesign_votes", schema=None) as batch_op:
        batch_op.drop_index("ix_codesign_votes_round_user")

    op.drop_table("codesign_votes")
    with op.batch_alter_table("codesign_supports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_codesign_supports_user_id"))

    op.drop_table("codesign_supports")
    with op.batch_alter_table("codesign_priority_answers", schema=None) as batch_op:
        batch_op.drop_index("ix_codesign_priority_answers_round_user")

    op.drop_table("codesign_priority_answers")
    with op.batch_alter_table("codesign_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_codesign_comments_parent_id"))
        batch_op.drop_index(batch_op.f("ix_codesign_comments_contribution_id"))
        batch_op.drop_index(batch_op.f("ix_codesign_comments_author_id"))

    op.drop_table("codesign_comments")
    with op.batch_alter_table("codesign_citations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_codesign_citations_contribution_id"))

    op.drop_table("codesign_citations")
    op.drop_table("codesign_syntheses")
    op.drop_table("codesign_draft_ratings")
    with op.batch_alter_table("codesign_contributions", schema=None) as batch_op:
        batch_op.drop_index("ix_codesign_contributions_round_kind")
        batch_op.drop_index(batch_op.f("ix_codesign_contributions_author_id"))

    op.drop_table("codesign_contributions")
    with op.batch_alter_table("codesign_rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_codesign_rounds_process_id"))

    op.drop_table("codesign_rounds")
    with op.batch_alter_table("codesign_processes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_codesign_processes_mission_id"))

    op.drop_table("codesign_processes")
