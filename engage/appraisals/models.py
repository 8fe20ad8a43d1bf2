"""Citizen science and community appraisals.

- **Areas** of a mission: named places that submissions fall in and appraisals are about.
- **Projects**: a protocol and a form of typed fields; residents' **submissions** answer it, with
  an optional location and photos; reviewers move each through its states (every **review** is
  kept) and automatic **quality flags** point at what to look at first.
- **Instruments**: criteria scored on a scale with a justification (the Place Standard is one);
  an **appraisal** scores every criterion for one area, by one resident or a workshop group.
- **Mapping exercises** (multi-criteria mapping): options by criteria; each participant weights
  the criteria and gives every option a low and a high score per criterion, with a reason.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.db import Base, enum_column, utcnow

if TYPE_CHECKING:
    from engage.accounts.models import User
    from engage.missions.models import Mission


class Status(enum.StrEnum):
    """Of a project, an instrument or a mapping exercise."""

    DRAFT = "draft"  # the officer is preparing it; only staff see it
    OPEN = "open"  # residents take part
    CLOSED = "closed"  # results stay public; nothing new comes in


class FieldType(enum.StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    DATE = "date"
    TIME = "time"
    DATETIME = "datetime"
    LOCATION = "location"  # at most one per form: it is the submission's point
    PHOTO = "photo"


class SubmissionState(enum.StrEnum):
    RECEIVED = "received"
    HAS_ISSUES = "has_issues"  # the submitter is asked to look again; needs a comment
    APPROVED = "approved"  # public, on the map, in exports by default
    REJECTED = "rejected"  # needs a comment


class FlagKind(enum.StrEnum):
    OUT_OF_RANGE = "out_of_range"  # a number outside the field's expected (not allowed) range
    LIKELY_DUPLICATE = "likely_duplicate"  # same person, close in time and space


class AppraisalKind(enum.StrEnum):
    INDIVIDUAL = "individual"  # a resident's own
    GROUP = "group"  # a workshop group's, entered by its facilitator


class Area(Base):
    """A named place within a mission. A bounding box (WGS 84) lets submissions be placed in it
    from their point; without one, only appraisals name it."""

    __tablename__ = "appraisal_areas"
    __table_args__ = (
        sa.UniqueConstraint("mission_id", "slug"),
        sa.CheckConstraint(
            "(west IS NULL AND south IS NULL AND east IS NULL AND north IS NULL) OR "
            "(west < east AND south < north)",
            name="box_is_whole_and_ordered",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("missions.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(sa.String(80))
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    west: Mapped[float | None]
    south: Mapped[float | None]
    east: Mapped[float | None]
    north: Mapped[float | None]

    mission: Mapped[Mission] = relationship("Mission")


class Project(Base):
    """A citizen-science project: a protocol and the form residents answer under it."""

    __tablename__ = "appraisal_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("missions.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    protocol: Mapped[str] = mapped_column(sa.Text, default="")  # how to observe or measure
    status: Mapped[Status] = mapped_column(enum_column(Status), default=Status.DRAFT)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    mission: Mapped[Mission] = relationship("Mission")
    fields: Mapped[list[FormField]] = relationship(
        back_populates="project",
        order_by="FormField.position, FormField.id",
        cascade="all, delete-orphan",
    )


class FormField(Base):
    """One question of a project's form. ``name`` is the machine name: the answer's key, the
    CSV column and the GeoJSON property."""

    __tablename__ = "appraisal_fields"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "name"),
        sa.CheckConstraint(
            "min_value IS NULL OR max_value IS NULL OR min_value <= max_value",
            name="allowed_range_ordered",
        ),
        sa.CheckConstraint(
            "expected_min IS NULL OR expected_max IS NULL OR expected_min <= expected_max",
            name="expected_range_ordered",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appraisal_projects.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(sa.String(64))
    label: Mapped[str] = mapped_column(sa.String(300))
    hint: Mapped[str] = mapped_column(sa.Text, default="")
    type: Mapped[FieldType] = mapped_column(enum_column(FieldType))
    required: Mapped[bool] = mapped_column(default=False)
    # Numbers: the unit shown beside the box, the allowed range (a value outside it is refused)
    # and the expected range (a value outside it is stored, and flagged for review).
    unit: Mapped[str] = mapped_column(sa.String(40), default="")
    min_value: Mapped[float | None]
    max_value: Mapped[float | None]
    expected_min: Mapped[float | None]
    expected_max: Mapped[float | None]
    # Choices: [{"value": "oak", "label": "Oak"}, ...] in the order shown.
    choices: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON, default=list)
    # Shown (and checked) only when the earlier field named ``condition_field`` has the value
    # ``condition_value`` (for a multiple choice: includes it).
    condition_field: Mapped[str | None] = mapped_column(sa.String(64))
    condition_value: Mapped[str] = mapped_column(sa.String(200), default="")

    project: Mapped[Project] = relationship(back_populates="fields")


class Submission(Base):
    """A resident's answers to a project's form, sent once: ``client_id`` is generated by the
    form when it is shown, so a repeated post finds the stored submission."""

    __tablename__ = "appraisal_submissions"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "client_id"),
        sa.Index("ix_appraisal_submissions_review", "project_id", "state", "id"),
        sa.Index(
            "ix_appraisal_submissions_arrival", "project_id", "id"
        ),  # every state, newest first
        sa.Index("ix_appraisal_submissions_author_time", "author_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appraisal_projects.id", ondelete="CASCADE")
    )
    client_id: Mapped[str] = mapped_column(sa.String(36))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Every answer but the location and the photos, by field name, as JSON values (numbers,
    # strings, ISO dates and times, lists of choice values). Unanswered fields are absent.
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # The exact point as given (WGS 84), seen by the submitter and reviewers only ...
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    share_exact: Mapped[bool] = mapped_column(default=False)
    # ... and the point the public sees: the centre of its ~500 m grid cell, or the exact point
    # when the submitter chose to share it.
    public_latitude: Mapped[float | None]
    public_longitude: Mapped[float | None]
    area_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("appraisal_areas.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[SubmissionState] = mapped_column(
        enum_column(SubmissionState), default=SubmissionState.RECEIVED
    )

    project: Mapped[Project] = relationship()
    author: Mapped[User | None] = relationship("User")
    area: Mapped[Area | None] = relationship()
    photos: Mapped[list[Photo]] = relationship(
        back_populates="submission", order_by="Photo.id", cascade="all, delete-orphan"
    )
    reviews: Mapped[list[Review]] = relationship(
        back_populates="submission", order_by="Review.id", cascade="all, delete-orphan"
    )
    flags: Mapped[list[QualityFlag]] = relationship(
        back_populates="submission",
        foreign_keys="QualityFlag.submission_id",
        order_by="QualityFlag.id",
        cascade="all, delete-orphan",
    )


class Photo(Base):
    """A photo answer, stored without its metadata under the instance folder (the original as
    re-encoded, and a smaller copy for display), named by the SHA-256 of the stored bytes."""

    __tablename__ = "appraisal_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appraisal_submissions.id", ondelete="CASCADE"), index=True
    )
    field_name: Mapped[str] = mapped_column(sa.String(64))
    content_type: Mapped[str] = mapped_column(sa.String(40))  # image/jpeg or image/png
    stored_name: Mapped[str] = mapped_column(sa.String(100))
    display_name: Mapped[str] = mapped_column(sa.String(100))
    width: Mapped[int]
    height: Mapped[int]
    byte_size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))

    submission: Mapped[Submission] = relationship(back_populates="photos")


class Review(Base):
    """One change of a submission's state, with the reviewer's comment: the submission's history."""

    __tablename__ = "appraisal_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appraisal_submissions.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    from_state: Mapped[SubmissionState] = mapped_column(enum_column(SubmissionState))
    to_state: Mapped[SubmissionState] = mapped_column(enum_column(SubmissionState))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="reviews")
    reviewer: Mapped[User | None] = relationship("User")


class QualityFlag(Base):
    """What the automatic checks found in a submission when it was stored."""

    __tablename__ = "appraisal_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appraisal_submissions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[FlagKind] = mapped_column(enum_column(FlagKind))
    field_name: Mapped[str] = mapped_column(sa.String(64), default="")  # out of range: which
    # Likely duplicate: the earlier submission it resembles.
    other_submission_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("appraisal_submissions.id", ondelete="SET NULL")
    )

    submission: Mapped[Submission] = relationship(
        back_populates="flags", foreign_keys=[submission_id]
    )


class Instrument(Base):
    """A community-appraisal instrument: criteria, each scored on one scale with a justification."""

    __tablename__ = "appraisal_instruments"
    __table_args__ = (sa.CheckConstraint("scale_min < scale_max", name="scale_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("missions.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    scale_min: Mapped[int] = mapped_column(default=1)
    scale_max: Mapped[int] = mapped_column(default=7)
    low_label: Mapped[str] = mapped_column(sa.String(100), default="")  # what scale_min means
    high_label: Mapped[str] = mapped_column(sa.String(100), default="")  # what scale_max means
    status: Mapped[Status] = mapped_column(enum_column(Status), default=Status.DRAFT)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    mission: Mapped[Mission] = relationship("Mission")
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="instrument",
        order_by="Criterion.position, Criterion.id",
        cascade="all, delete-orphan",
    )


class Criterion(Base):
    __tablename__ = "appraisal_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appraisal_instruments.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(sa.String(200))  # "Moving around"
    question: Mapped[str] = mapped_column(sa.Text)  # "Can I easily walk and cycle around ...?"
    hint: Mapped[str] = mapped_column(sa.Text, default="")  # things to think about

    instrument: Mapped[Instrument] = relationship(back_populates="criteria")


class Appraisal(Base):
    """Scores for every criterion of an instrument, for one area, by a resident or a group."""

    __tablename__ = "appraisals"
    __table_args__ = (
        sa.UniqueConstraint("instrument_id", "client_id"),
        sa.CheckConstraint("participants > 0", name="participants_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appraisal_instruments.id", ondelete="CASCADE"), index=True
    )
    # An area with appraisals is never deleted (the service says so; the database insists,
    # checking at the end of the statement, so deleting a whole mission still cascades).
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("appraisal_areas.id"), index=True)
    client_id: Mapped[str] = mapped_column(sa.String(36))  # one appraisal per form shown
    author_id: Mapped[int | None] = mapped_column(  # the resident, or the group's facilitator
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    kind: Mapped[AppraisalKind] = mapped_column(enum_column(AppraisalKind))
    group_name: Mapped[str] = mapped_column(sa.String(200), default="")  # "Kentish Town workshop"
    participants: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    instrument: Mapped[Instrument] = relationship()
    area: Mapped[Area] = relationship()
    author: Mapped[User | None] = relationship("User")
    scores: Mapped[list[AppraisalScore]] = relationship(
        back_populates="appraisal", cascade="all, delete-orphan"
    )


class AppraisalScore(Base):
    __tablename__ = "appraisal_scores"

    appraisal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appraisals.id", ondelete="CASCADE"), primary_key=True
    )
    criterion_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appraisal_criteria.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    score: Mapped[int]
    justification: Mapped[str] = mapped_column(sa.Text, default="")

    appraisal: Mapped[Appraisal] = relationship(back_populates="scores")
    criterion: Mapped[Criterion] = relationship()


class MappingExercise(Base):
    """A multi-criteria mapping: how participants judge options against criteria they weight."""

    __tablename__ = "mapping_exercises"
    __table_args__ = (sa.CheckConstraint("scale_min < scale_max", name="scale_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("missions.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    question: Mapped[str] = mapped_column(sa.Text)  # "How should we cut traffic on ...?"
    scale_min: Mapped[int] = mapped_column(default=0)  # scores run from worst ...
    scale_max: Mapped[int] = mapped_column(default=100)  # ... to best
    status: Mapped[Status] = mapped_column(enum_column(Status), default=Status.DRAFT)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    mission: Mapped[Mission] = relationship("Mission")
    options: Mapped[list[MappingOption]] = relationship(
        back_populates="exercise",
        order_by="MappingOption.position, MappingOption.id",
        cascade="all, delete-orphan",
    )
    criteria: Mapped[list[MappingCriterion]] = relationship(
        back_populates="exercise",
        order_by="MappingCriterion.position, MappingCriterion.id",
        cascade="all, delete-orphan",
    )


class MappingOption(Base):
    __tablename__ = "mapping_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mapping_exercises.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")

    exercise: Mapped[MappingExercise] = relationship(back_populates="options")


class MappingCriterion(Base):
    __tablename__ = "mapping_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mapping_exercises.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")

    exercise: Mapped[MappingExercise] = relationship(back_populates="criteria")


class MappingResponse(Base):
    """One participant's weights and scores; saving again replaces them."""

    __tablename__ = "mapping_responses"
    __table_args__ = (sa.UniqueConstraint("exercise_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mapping_exercises.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    exercise: Mapped[MappingExercise] = relationship()
    participant: Mapped[User | None] = relationship("User")
    weights: Mapped[list[MappingWeight]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )
    scores: Mapped[list[MappingScore]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class MappingWeight(Base):
    __tablename__ = "mapping_weights"
    __table_args__ = (sa.CheckConstraint("weight >= 0", name="weight_not_negative"),)

    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mapping_responses.id", ondelete="CASCADE"), primary_key=True
    )
    criterion_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mapping_criteria.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    weight: Mapped[float]

    response: Mapped[MappingResponse] = relationship(back_populates="weights")


class MappingScore(Base):
    """An option's pessimistic (low) and optimistic (high) score on one criterion."""

    __tablename__ = "mapping_scores"
    __table_args__ = (sa.CheckConstraint("low <= high", name="low_not_above_high"),)

    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mapping_responses.id", ondelete="CASCADE"), primary_key=True
    )
    option_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mapping_options.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    criterion_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mapping_criteria.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    low: Mapped[float]
    high: Mapped[float]
    reason: Mapped[str] = mapped_column(sa.Text, default="")

    response: Mapped[MappingResponse] = relationship(back_populates="scores")
