"""Citizens' juries: features with quotas, the volunteer pool and its answers, selection runs,
committed draws and panel seats.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 11:13:50.211509
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "juries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("panel_size", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("registration_opens", sa.DateTime(timezone=True), nullable=True),
        sa.Column("registration_closes", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retention_until", sa.Date(), nullable=False),
        sa.Column("household_rule", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "open",
                "frozen",
                "drawn",
                "purged",
                name="jurystatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("aggregate_counts", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_juries_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_juries_mission_id_missions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_juries")),
        sa.UniqueConstraint("slug", name=op.f("uq_juries_slug")),
    )
    with op.batch_alter_table("juries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_juries_mission_id"), ["mission_id"], unique=False)

    op.create_table(
        "jury_features",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jury_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("allow_prefer_not_to_say", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["jury_id"],
            ["juries.id"],
            name=op.f("fk_jury_features_jury_id_juries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jury_features")),
        sa.UniqueConstraint("jury_id", "key", name=op.f("uq_jury_features_jury_id_key")),
    )
    op.create_table(
        "jury_officers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jury_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["jury_id"],
            ["juries.id"],
            name=op.f("fk_jury_officers_jury_id_juries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_jury_officers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jury_officers")),
        sa.UniqueConstraint("jury_id", "user_id", name=op.f("uq_jury_officers_jury_id_user_id")),
    )
    with op.batch_alter_table("jury_officers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jury_officers_user_id"), ["user_id"], unique=False)

    op.create_table(
        "pool_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jury_id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(length=16), nullable=False),
        sa.Column(
            "source",
            sa.Enum("registration", "import", name="membersource", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("external_id", sa.String(length=120), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("address_line1", sa.String(length=200), nullable=False),
        sa.Column("address_line2", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=120), nullable=False),
        sa.Column("postcode", sa.String(length=20), nullable=False),
        sa.Column("household_key", sa.String(length=64), nullable=False),
        sa.Column("consent_given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consent_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["jury_id"],
            ["juries.id"],
            name=op.f("fk_pool_members_jury_id_juries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_pool_members_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pool_members")),
        sa.UniqueConstraint("jury_id", "email", name=op.f("uq_pool_members_jury_id_email")),
        sa.UniqueConstraint(
            "jury_id", "external_id", name=op.f("uq_pool_members_jury_id_external_id")
        ),
        sa.UniqueConstraint("jury_id", "pseudonym", name=op.f("uq_pool_members_jury_id_pseudonym")),
    )
    with op.batch_alter_table("pool_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pool_members_household_key"), ["household_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_pool_members_jury_id"), ["jury_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pool_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "selection_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jury_id", sa.Integer(), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("household_rule", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "running",
                "done",
                "infeasible",
                "failed",
                name="runstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_selection_runs_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_selection_runs_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["jury_id"],
            ["juries.id"],
            name=op.f("fk_selection_runs_jury_id_juries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selection_runs")),
    )
    with op.batch_alter_table("selection_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_selection_runs_jury_id"), ["jury_id"], unique=False)

    op.create_table(
        "draws",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jury_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("bundle", sa.Text(), nullable=False),
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column("randomness_source", sa.Text(), nullable=False),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("committed_by_id", sa.Integer(), nullable=True),
        sa.Column("random_value", sa.String(length=500), nullable=True),
        sa.Column("chosen_index", sa.Integer(), nullable=True),
        sa.Column("revealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revealed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["committed_by_id"],
            ["users.id"],
            name=op.f("fk_draws_committed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["jury_id"], ["juries.id"], name=op.f("fk_draws_jury_id_juries"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["revealed_by_id"],
            ["users.id"],
            name=op.f("fk_draws_revealed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["selection_runs.id"],
            name=op.f("fk_draws_run_id_selection_runs"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draws")),
        sa.UniqueConstraint("commitment", name=op.f("uq_draws_commitment")),
        sa.UniqueConstraint("jury_id", name=op.f("uq_draws_jury_id")),
    )
    op.create_table(
        "feature_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_prefer_not_to_say", sa.Boolean(), nullable=False),
        sa.Column("population_share", sa.Double(), nullable=True),
        sa.Column("quota_min", sa.Integer(), nullable=True),
        sa.Column("quota_max", sa.Integer(), nullable=True),
        sa.Column("min_flex", sa.Integer(), nullable=True),
        sa.Column("max_flex", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "quota_min IS NULL OR quota_max IS NULL OR quota_min <= quota_max",
            name=op.f("ck_feature_values_quota_order"),
        ),
        sa.CheckConstraint(
            "quota_min IS NULL OR quota_min >= 0",
            name=op.f("ck_feature_values_quota_min_nonnegative"),
        ),
        sa.ForeignKeyConstraint(
            ["feature_id"],
            ["jury_features.id"],
            name=op.f("fk_feature_values_feature_id_jury_features"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feature_values")),
        sa.UniqueConstraint("feature_id", "key", name=op.f("uq_feature_values_feature_id_key")),
    )
    op.create_table(
        "member_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("value_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feature_id"],
            ["jury_features.id"],
            name=op.f("fk_member_answers_feature_id_jury_features"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["pool_members.id"],
            name=op.f("fk_member_answers_member_id_pool_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["value_id"],
            ["feature_values.id"],
            name=op.f("fk_member_answers_value_id_feature_values"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_answers")),
        sa.UniqueConstraint(
            "member_id", "feature_id", name=op.f("uq_member_answers_member_id_feature_id")
        ),
    )
    with op.batch_alter_table("member_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_answers_value_id"), ["value_id"], unique=False)

    op.create_table(
        "panel_seats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draw_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "invited",
                "confirmed",
                "declined",
                "withdrawn",
                "reserve",
                name="seatstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reserve_rank", sa.Integer(), nullable=True),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["draw_id"], ["draws.id"], name=op.f("fk_panel_seats_draw_id_draws"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["pool_members.id"],
            name=op.f("fk_panel_seats_member_id_pool_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"],
            ["panel_seats.id"],
            name=op.f("fk_panel_seats_replaces_id_panel_seats"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_seats")),
        sa.UniqueConstraint("draw_id", "member_id", name=op.f("uq_panel_seats_draw_id_member_id")),
        sa.UniqueConstraint(
            "draw_id", "reserve_rank", name=op.f("uq_panel_seats_draw_id_reserve_rank")
        ),
    )
    with op.batch_alter_table("panel_seats", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_panel_seats_draw_id"), ["draw_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("panel_seats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_panel_seats_draw_id"))

    op.drop_table("panel_seats")
    with op.batch_alter_table("member_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_answers_value_id"))

    op.drop_table("member_answers")
    op.drop_table("feature_values")
    op.drop_table("draws")
    with op.batch_alter_table("selection_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_selection_runs_jury_id"))

    op.drop_table("selection_runs")
    with op.batch_alter_table("pool_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pool_members_user_id"))
        batch_op.drop_index(batch_op.f("ix_pool_members_jury_id"))
        batch_op.drop_index(batch_op.f("ix_pool_members_household_key"))

    op.drop_table("pool_members")
    with op.batch_alter_table("jury_officers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jury_officers_user_id"))

    op.drop_table("jury_officers")
    op.drop_table("jury_features")
    with op.batch_alter_table("juries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_juries_mission_id"))

    op.drop_table("juries")
