"""Demographics: the age band a person chose to give for evaluation, kept only while they
consent (one row per person; withdrawing consent deletes it).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "demographic_profiles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "age_band",
            sa.Enum(
                "16-24",
                "25-34",
                "35-44",
                "45-54",
                "55-64",
                "65-74",
                "75+",
                name="ageband",
                native_enum=False,
                length=8,
            ),
            nullable=False,
        ),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_demographic_profiles_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_demographic_profiles")),
    )


def downgrade() -> None:
    op.drop_table("demographic_profiles")
