"""Standing advisory groups: groups, memberships with terms and interests, meetings with papers
and attendance, and the recommendations members draft with their versions and comments.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "advisory_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=True),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("remit", sa.Text(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("seats_renewed", sa.Integer(), nullable=False),
        sa.Column("rotation_months", sa.Integer(), nullable=False),
        sa.Column(
            "filling",
            sa.Enum(
                "application",
                "appointment",
                "lot",
                name="seatfilling",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("quorum", sa.Integer(), nullable=False),
        sa.Column("responsible_officer_id", sa.Integer(), nullable=True),
        sa.Column("jury_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "quorum > 0 AND quorum <= seats", name=op.f("ck_advisory_groups_quorum_within_seats")
        ),
        sa.CheckConstraint("seats > 0", name=op.f("ck_advisory_groups_seats_positive")),
        sa.CheckConstraint(
            "seats_renewed >= 0 AND seats_renewed <= seats",
            name=op.f("ck_advisory_groups_renewed_within_seats"),
        ),
        sa.CheckConstraint("term_months > 0", name=op.f("ck_advisory_groups_term_positive")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_advisory_groups_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["jury_id"],
            ["juries.id"],
            name=op.f("fk_advisory_groups_jury_id_juries"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_advisory_groups_mission_id_missions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["responsible_officer_id"],
            ["users.id"],
            name=op.f("fk_advisory_groups_responsible_officer_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisory_groups")),
        sa.UniqueConstraint("slug", name=op.f("uq_advisory_groups_slug")),
    )
    with op.batch_alter_table("advisory_groups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_advisory_groups_mission_id"), ["mission_id"], unique=False
        )

    op.create_table(
        "advisory_meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("agenda", sa.JSON(), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=False),
        sa.Column(
            "minutes_status",
            sa.Enum(
                "none", "draft", "approved", name="minutesstatus", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("minutes_approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decisions", sa.Text(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "ends_at > starts_at", name=op.f("ck_advisory_meetings_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["advisory_groups.id"],
            name=op.f("fk_advisory_meetings_group_id_advisory_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisory_meetings")),
    )
    with op.batch_alter_table("advisory_meetings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_advisory_meetings_group_id"), ["group_id"], unique=False
        )

    op.create_table(
        "advisory_memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "chair", "vice_chair", "member", name="memberrole", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column(
            "filled_by",
            sa.Enum(
                "application",
                "appointment",
                "lot",
                name="seatfilling",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("term_start", sa.Date(), nullable=False),
        sa.Column("term_end", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=False),
        sa.Column("interests", sa.Text(), nullable=False),
        sa.Column("interests_public", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "term_end > term_start", name=op.f("ck_advisory_memberships_term_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["advisory_groups.id"],
            name=op.f("fk_advisory_memberships_group_id_advisory_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_advisory_memberships_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisory_memberships")),
    )
    with op.batch_alter_table("advisory_memberships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_advisory_memberships_group_id"), ["group_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_advisory_memberships_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "advisory_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "present", "apologies", "absent", name="attendance", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["advisory_meetings.id"],
            name=op.f("fk_advisory_attendance_meeting_id_advisory_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["advisory_memberships.id"],
            name=op.f("fk_advisory_attendance_membership_id_advisory_memberships"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisory_attendance")),
        sa.UniqueConstraint(
            "meeting_id",
            "membership_id",
            name=op.f("uq_advisory_attendance_meeting_id_membership_id"),
        ),
    )
    with op.batch_alter_table("advisory_attendance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_advisory_attendance_membership_id"), ["membership_id"], unique=False
        )

    op.create_table(
        "advisory_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "drafting", "adopted", "withdrawn", name="draftstatus", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("adopted_at_meeting_id", sa.Integer(), nullable=True),
        sa.Column("register_entry_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["adopted_at_meeting_id"],
            ["advisory_meetings.id"],
            name=op.f("fk_advisory_drafts_adopted_at_meeting_id_advisory_meetings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_advisory_drafts_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["advisory_groups.id"],
            name=op.f("fk_advisory_drafts_group_id_advisory_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["register_entry_id"],
            ["recommendations.id"],
            name=op.f("fk_advisory_drafts_register_entry_id_recommendations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisory_drafts")),
        sa.UniqueConstraint("register_entry_id", name=op.f("uq_advisory_drafts_register_entry_id")),
    )
    with op.batch_alter_table("advisory_drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_advisory_drafts_group_id"), ["group_id"], unique=False)

    op.create_table(
        "advisory_meeting_papers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("stored_name", sa.String(length=80), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["advisory_meetings.id"],
            name=op.f("fk_advisory_meeting_papers_meeting_id_advisory_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_advisory_meeting_papers_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisory_meeting_papers")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_advisory_meeting_papers_stored_name")),
    )
    with op.batch_alter_table("advisory_meeting_papers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_advisory_meeting_papers_meeting_id"), ["meeting_id"], unique=False
        )

    op.create_table(
        "advisory_draft_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_advisory_draft_comments_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["advisory_drafts.id"],
            name=op.f("fk_advisory_draft_comments_draft_id_advisory_drafts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisory_draft_comments")),
    )
    with op.batch_alter_table("advisory_draft_comments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_advisory_draft_comments_draft_id"), ["draft_id"], unique=False
        )

    op.create_table(
        "advisory_draft_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_advisory_draft_versions_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["advisory_drafts.id"],
            name=op.f("fk_advisory_draft_versions_draft_id_advisory_drafts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisory_draft_versions")),
        sa.UniqueConstraint(
            "draft_id", "number", name=op.f("uq_advisory_draft_versions_draft_id_number")
        ),
    )


def downgrade() -> None:
    op.drop_table("advisory_draft_versions")
    with op.batch_alter_table("advisory_draft_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_advisory_draft_comments_draft_id"))

    op.drop_table("advisory_draft_comments")
    with op.batch_alter_table("advisory_meeting_papers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_advisory_meeting_papers_meeting_id"))

    op.drop_table("advisory_meeting_papers")
    with op.batch_alter_table("advisory_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_advisory_drafts_group_id"))

    op.drop_table("advisory_drafts")
    with op.batch_alter_table("advisory_attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_advisory_attendance_membership_id"))

    op.drop_table("advisory_attendance")
    with op.batch_alter_table("advisory_memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_advisory_memberships_user_id"))
        batch_op.drop_index(batch_op.f("ix_advisory_memberships_group_id"))

    op.drop_table("advisory_memberships")
    with op.batch_alter_table("advisory_meetings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_advisory_meetings_group_id"))

    op.drop_table("advisory_meetings")
    with op.batch_alter_table("advisory_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_advisory_groups_mission_id"))

    op.drop_table("advisory_groups")
