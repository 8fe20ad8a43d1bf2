"""Citizen science and community appraisals: areas, projects with their form fields, submissions
with photos, reviews and quality flags, appraisal instruments with criteria and scores, and
multi-criteria mapping exercises with options, criteria, weights and scores.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appraisal_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("west", sa.Double(), nullable=True),
        sa.Column("south", sa.Double(), nullable=True),
        sa.Column("east", sa.Double(), nullable=True),
        sa.Column("north", sa.Double(), nullable=True),
        sa.CheckConstraint(
            "(west IS NULL AND south IS NULL AND east IS NULL AND north IS NULL) OR (west < east AND south < north)",
            name=op.f("ck_appraisal_areas_box_is_whole_and_ordered"),
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_appraisal_areas_mission_id_missions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_areas")),
        sa.UniqueConstraint("mission_id", "slug", name=op.f("uq_appraisal_areas_mission_id_slug")),
    )
    with op.batch_alter_table("appraisal_areas", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appraisal_areas_mission_id"), ["mission_id"], unique=False
        )

    op.create_table(
        "appraisal_instruments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("scale_min", sa.Integer(), nullable=False),
        sa.Column("scale_max", sa.Integer(), nullable=False),
        sa.Column("low_label", sa.String(length=100), nullable=False),
        sa.Column("high_label", sa.String(length=100), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "open", "closed", name="status", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "scale_min < scale_max", name=op.f("ck_appraisal_instruments_scale_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_appraisal_instruments_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_appraisal_instruments_mission_id_missions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_instruments")),
        sa.UniqueConstraint("slug", name=op.f("uq_appraisal_instruments_slug")),
    )
    with op.batch_alter_table("appraisal_instruments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appraisal_instruments_mission_id"), ["mission_id"], unique=False
        )

    op.create_table(
        "appraisal_projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("protocol", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "open", "closed", name="status", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_appraisal_projects_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_appraisal_projects_mission_id_missions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_projects")),
        sa.UniqueConstraint("slug", name=op.f("uq_appraisal_projects_slug")),
    )
    with op.batch_alter_table("appraisal_projects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appraisal_projects_mission_id"), ["mission_id"], unique=False
        )

    op.create_table(
        "mapping_exercises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("scale_min", sa.Integer(), nullable=False),
        sa.Column("scale_max", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "open", "closed", name="status", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "scale_min < scale_max", name=op.f("ck_mapping_exercises_scale_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_mapping_exercises_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_mapping_exercises_mission_id_missions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mapping_exercises")),
        sa.UniqueConstraint("slug", name=op.f("uq_mapping_exercises_slug")),
    )
    with op.batch_alter_table("mapping_exercises", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mapping_exercises_mission_id"), ["mission_id"], unique=False
        )

    op.create_table(
        "appraisal_criteria",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("hint", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["appraisal_instruments.id"],
            name=op.f("fk_appraisal_criteria_instrument_id_appraisal_instruments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_criteria")),
    )
    with op.batch_alter_table("appraisal_criteria", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appraisal_criteria_instrument_id"), ["instrument_id"], unique=False
        )

    op.create_table(
        "appraisal_fields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("hint", sa.Text(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "text",
                "long_text",
                "integer",
                "decimal",
                "single_choice",
                "multiple_choice",
                "date",
                "time",
                "datetime",
                "location",
                "photo",
                name="fieldtype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("min_value", sa.Double(), nullable=True),
        sa.Column("max_value", sa.Double(), nullable=True),
        sa.Column("expected_min", sa.Double(), nullable=True),
        sa.Column("expected_max", sa.Double(), nullable=True),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("condition_field", sa.String(length=64), nullable=True),
        sa.Column("condition_value", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "expected_min IS NULL OR expected_max IS NULL OR expected_min <= expected_max",
            name=op.f("ck_appraisal_fields_expected_range_ordered"),
        ),
        sa.CheckConstraint(
            "min_value IS NULL OR max_value IS NULL OR min_value <= max_value",
            name=op.f("ck_appraisal_fields_allowed_range_ordered"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["appraisal_projects.id"],
            name=op.f("fk_appraisal_fields_project_id_appraisal_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_fields")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_appraisal_fields_project_id_name")),
    )
    with op.batch_alter_table("appraisal_fields", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appraisal_fields_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "appraisal_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("share_exact", sa.Boolean(), nullable=False),
        sa.Column("public_latitude", sa.Double(), nullable=True),
        sa.Column("public_longitude", sa.Double(), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "received",
                "has_issues",
                "approved",
                "rejected",
                name="submissionstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["appraisal_areas.id"],
            name=op.f("fk_appraisal_submissions_area_id_appraisal_areas"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_appraisal_submissions_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["appraisal_projects.id"],
            name=op.f("fk_appraisal_submissions_project_id_appraisal_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_submissions")),
        sa.UniqueConstraint(
            "project_id", "client_id", name=op.f("uq_appraisal_submissions_project_id_client_id")
        ),
    )
    with op.batch_alter_table("appraisal_submissions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appraisal_submissions_area_id"), ["area_id"], unique=False
        )
        batch_op.create_index(
            "ix_appraisal_submissions_arrival", ["project_id", "id"], unique=False
        )
        batch_op.create_index(
            "ix_appraisal_submissions_author_time", ["author_id", "submitted_at"], unique=False
        )
        batch_op.create_index(
            "ix_appraisal_submissions_review", ["project_id", "state", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_appraisal_submissions_submitted_at"), ["submitted_at"], unique=False
        )

    op.create_table(
        "appraisals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("individual", "group", name="appraisalkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("group_name", sa.String(length=200), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("participants > 0", name=op.f("ck_appraisals_participants_positive")),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["appraisal_areas.id"],
            name=op.f("fk_appraisals_area_id_appraisal_areas"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_appraisals_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["appraisal_instruments.id"],
            name=op.f("fk_appraisals_instrument_id_appraisal_instruments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisals")),
        sa.UniqueConstraint(
            "instrument_id", "client_id", name=op.f("uq_appraisals_instrument_id_client_id")
        ),
    )
    with op.batch_alter_table("appraisals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appraisals_area_id"), ["area_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_appraisals_instrument_id"), ["instrument_id"], unique=False
        )

    op.create_table(
        "mapping_criteria",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exercise_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exercise_id"],
            ["mapping_exercises.id"],
            name=op.f("fk_mapping_criteria_exercise_id_mapping_exercises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mapping_criteria")),
    )
    with op.batch_alter_table("mapping_criteria", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mapping_criteria_exercise_id"), ["exercise_id"], unique=False
        )

    op.create_table(
        "mapping_options",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exercise_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exercise_id"],
            ["mapping_exercises.id"],
            name=op.f("fk_mapping_options_exercise_id_mapping_exercises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mapping_options")),
    )
    with op.batch_alter_table("mapping_options", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mapping_options_exercise_id"), ["exercise_id"], unique=False
        )

    op.create_table(
        "mapping_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exercise_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["exercise_id"],
            ["mapping_exercises.id"],
            name=op.f("fk_mapping_responses_exercise_id_mapping_exercises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["users.id"],
            name=op.f("fk_mapping_responses_participant_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mapping_responses")),
        sa.UniqueConstraint(
            "exercise_id",
            "participant_id",
            name=op.f("uq_mapping_responses_exercise_id_participant_id"),
        ),
    )
    with op.batch_alter_table("mapping_responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mapping_responses_exercise_id"), ["exercise_id"], unique=False
        )

    op.create_table(
        "appraisal_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "out_of_range", "likely_duplicate", name="flagkind", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("field_name", sa.String(length=64), nullable=False),
        sa.Column("other_submission_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["other_submission_id"],
            ["appraisal_submissions.id"],
            name=op.f("fk_appraisal_flags_other_submission_id_appraisal_submissions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["appraisal_submissions.id"],
            name=op.f("fk_appraisal_flags_submission_id_appraisal_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_flags")),
    )
    with op.batch_alter_table("appraisal_flags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appraisal_flags_submission_id"), ["submission_id"], unique=False
        )

    op.create_table(
        "appraisal_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("field_name", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("stored_name", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["appraisal_submissions.id"],
            name=op.f("fk_appraisal_photos_submission_id_appraisal_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_photos")),
    )
    with op.batch_alter_table("appraisal_photos", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appraisal_photos_submission_id"), ["submission_id"], unique=False
        )

    op.create_table(
        "appraisal_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column(
            "from_state",
            sa.Enum(
                "received",
                "has_issues",
                "approved",
                "rejected",
                name="submissionstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "to_state",
            sa.Enum(
                "received",
                "has_issues",
                "approved",
                "rejected",
                name="submissionstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["users.id"],
            name=op.f("fk_appraisal_reviews_reviewer_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["appraisal_submissions.id"],
            name=op.f("fk_appraisal_reviews_submission_id_appraisal_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_reviews")),
    )
    with op.batch_alter_table("appraisal_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appraisal_reviews_submission_id"), ["submission_id"], unique=False
        )

    op.create_table(
        "appraisal_scores",
        sa.Column("appraisal_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appraisal_id"],
            ["appraisals.id"],
            name=op.f("fk_appraisal_scores_appraisal_id_appraisals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["appraisal_criteria.id"],
            name=op.f("fk_appraisal_scores_criterion_id_appraisal_criteria"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("appraisal_id", "criterion_id", name=op.f("pk_appraisal_scores")),
    )
    with op.batch_alter_table("appraisal_scores", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appraisal_scores_criterion_id"), ["criterion_id"], unique=False
        )

    op.create_table(
        "mapping_scores",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("low", sa.Double(), nullable=False),
        sa.Column("high", sa.Double(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.CheckConstraint("low <= high", name=op.f("ck_mapping_scores_low_not_above_high")),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["mapping_criteria.id"],
            name=op.f("fk_mapping_scores_criterion_id_mapping_criteria"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["option_id"],
            ["mapping_options.id"],
            name=op.f("fk_mapping_scores_option_id_mapping_options"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["mapping_responses.id"],
            name=op.f("fk_mapping_scores_response_id_mapping_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "response_id", "option_id", "criterion_id", name=op.f("pk_mapping_scores")
        ),
    )
    with op.batch_alter_table("mapping_scores", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mapping_scores_criterion_id"), ["criterion_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mapping_scores_option_id"), ["option_id"], unique=False
        )

    op.create_table(
        "mapping_weights",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.CheckConstraint("weight >= 0", name=op.f("ck_mapping_weights_weight_not_negative")),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["mapping_criteria.id"],
            name=op.f("fk_mapping_weights_criterion_id_mapping_criteria"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["mapping_responses.id"],
            name=op.f("fk_mapping_weights_response_id_mapping_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("response_id", "criterion_id", name=op.f("pk_mapping_weights")),
    )
    with op.batch_alter_table("mapping_weights", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mapping_weights_criterion_id"), ["criterion_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("mapping_weights", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mapping_weights_criterion_id"))

    op.drop_table("mapping_weights")
    with op.batch_alter_table("mapping_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mapping_scores_option_id"))
        batch_op.drop_index(batch_op.f("ix_mapping_scores_criterion_id"))

    op.drop_table("mapping_scores")
    with op.batch_alter_table("appraisal_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appraisal_scores_criterion_id"))

    op.drop_table("appraisal_scores")
    with op.batch_alter_table("appraisal_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appraisal_reviews_submission_id"))

    op.drop_table("appraisal_reviews")
    with op.batch_alter_table("appraisal_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appraisal_photos_submission_id"))

    op.drop_table("appraisal_photos")
    with op.batch_alter_table("appraisal_flags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appraisal_flags_submission_id"))

    op.drop_table("appraisal_flags")
    with op.batch_alter_table("mapping_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mapping_responses_exercise_id"))

    op.drop_table("mapping_responses")
    with op.batch_alter_table("mapping_options", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mapping_options_exercise_id"))

    op.drop_table("mapping_options")
    with op.batch_alter_table("mapping_criteria", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mapping_criteria_exercise_id"))

    op.drop_table("mapping_criteria")
    with op.batch_alter_table("appraisals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appraisals_instrument_id"))
        batch_op.drop_index(batch_op.f("ix_appraisals_area_id"))

    op.drop_table("appraisals")
    with op.batch_alter_table("appraisal_submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appraisal_submissions_submitted_at"))
        batch_op.drop_index("ix_appraisal_submissions_review")
        batch_op.drop_index("ix_appraisal_submissions_author_time")
        batch_op.drop_index("ix_appraisal_submissions_arrival")
        batch_op.drop_index(batch_op.f("ix_appraisal_submissions_area_id"))

    op.drop_table("appraisal_submissions")
    with op.batch_alter_table("appraisal_fields", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appraisal_fields_project_id"))

    op.drop_table("appraisal_fields")
    with op.batch_alter_table("appraisal_criteria", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appraisal_criteria_instrument_id"))

    op.drop_table("appraisal_criteria")
    with op.batch_alter_table("mapping_exercises", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mapping_exercises_mission_id"))

    op.drop_table("mapping_exercises")
    with op.batch_alter_table("appraisal_projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appraisal_projects_mission_id"))

    op.drop_table("appraisal_projects")
    with op.batch_alter_table("appraisal_instruments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appraisal_instruments_mission_id"))

    op.drop_table("appraisal_instruments")
    with op.batch_alter_table("appraisal_areas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appraisal_areas_mission_id"))

    op.drop_table("appraisal_areas")
