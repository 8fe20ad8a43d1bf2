from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.db import Base, enum_column, utcnow

if TYPE_CHECKING:
    from engage.accounts.models import User


class MissionStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"


class Direction(enum.StrEnum):
    INCREASE = "increase"
    DECREASE = "decrease"


class ProjectStatus(enum.StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"


class Decision(enum.StrEnum):
    ACCEPTED = "accepted"
    PARTLY_ACCEPTED = "partly_accepted"
    NOT_ACCEPTED = "not_accepted"


class ImplementationStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    STOPPED = "stopped"


class RecommendationSourceKind(enum.StrEnum):
    OFFICER = "officer"  # entered by an officer (a letter, a petition, a meeting)
    JURY = "jury"
    ADVISORY_GROUP = "advisory_group"
    CODESIGN_ROUND = "codesign_round"


class Mission(Base):
    __tablename__ = "missions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    challenge: Mapped[str] = mapped_column(sa.Text)
    target_date: Mapped[date | None]
    status: Mapped[MissionStatus] = mapped_column(
        enum_column(MissionStatus), default=MissionStatus.DRAFT
    )
    team: Mapped[str] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    versions: Mapped[list[StatementVersion]] = relationship(
        back_populates="mission", order_by="StatementVersion.number", cascade="all, delete-orphan"
    )
    outcomes: Mapped[list[Outcome]] = relationship(
        back_populates="mission", order_by="Outcome.id", cascade="all, delete-orphan"
    )
    projects: Mapped[list[MissionProject]] = relationship(
        back_populates="mission", order_by="MissionProject.id", cascade="all, delete-orphan"
    )

    @property
    def current_version(self) -> StatementVersion | None:
        return self.versions[-1] if self.versions else None


class StatementVersion(Base):
    """One wording of the mission statement; the newest is the current one."""

    __tablename__ = "statement_versions"
    __table_args__ = (sa.UniqueConstraint("mission_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(sa.ForeignKey("missions.id", ondelete="CASCADE"))
    number: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text)
    rationale: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    mission: Mapped[Mission] = relationship(back_populates="versions")
    # By class name: accounts sits below missions, and the mapper resolves it without an import.
    author: Mapped[User | None] = relationship("User")
    sources: Mapped[list[StatementSource]] = relationship(
        back_populates="version", order_by="StatementSource.id", cascade="all, delete-orphan"
    )


class StatementSource(Base):
    """A contribution that informed a version: a generic link (kind + id), with its label kept.

    Other domains (co-design, juries, advisory groups) register the kinds they offer, so missions
    never import them. The label is stored so the history still reads well if the source goes.
    """

    __tablename__ = "statement_sources"
    __table_args__ = (sa.UniqueConstraint("version_id", "source_kind", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("statement_versions.id", ondelete="CASCADE")
    )
    source_kind: Mapped[str] = mapped_column(sa.String(60))
    source_id: Mapped[int]
    label: Mapped[str] = mapped_column(sa.String(300))

    version: Mapped[StatementVersion] = relationship(back_populates="sources")


class Outcome(Base):
    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("missions.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")

    mission: Mapped[Mission] = relationship(back_populates="outcomes")
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="outcome", order_by="Indicator.id", cascade="all, delete-orphan"
    )


class Indicator(Base):
    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outcomes.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    unit: Mapped[str] = mapped_column(sa.String(40))
    baseline: Mapped[float]
    target: Mapped[float]
    direction: Mapped[Direction] = mapped_column(enum_column(Direction))
    latest_value: Mapped[float | None]
    latest_value_on: Mapped[date | None]
    latest_value_source: Mapped[str] = mapped_column(sa.String(300), default="")

    outcome: Mapped[Outcome] = relationship(back_populates="indicators")

    @property
    def progress(self) -> float | None:
        """Share of the way from baseline to target (0 = baseline, 1 = target), or None."""
        if self.latest_value is None or self.target == self.baseline:
            return None
        return (self.latest_value - self.baseline) / (self.target - self.baseline)


class MissionProject(Base):
    """A project in the mission's portfolio."""

    __tablename__ = "mission_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("missions.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    lead_organisation: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[ProjectStatus] = mapped_column(
        enum_column(ProjectStatus), default=ProjectStatus.PLANNED
    )
    description: Mapped[str] = mapped_column(sa.Text, default="")

    mission: Mapped[Mission] = relationship(back_populates="projects")


class Recommendation(Base):
    """An entry in the recommendation-and-response register ("you said, we did")."""

    __tablename__ = "recommendations"

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("missions.id", ondelete="CASCADE"), index=True
    )
    source_kind: Mapped[RecommendationSourceKind] = mapped_column(
        enum_column(RecommendationSourceKind)
    )
    source_id: Mapped[int | None]
    source_label: Mapped[str] = mapped_column(sa.String(200))
    title: Mapped[str] = mapped_column(sa.String(200))
    text: Mapped[str] = mapped_column(sa.Text)
    received_on: Mapped[date]
    response_due: Mapped[date]
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    mission: Mapped[Mission] = relationship()
    response: Mapped[RecommendationResponse | None] = relationship(
        back_populates="recommendation", cascade="all, delete-orphan"
    )
    updates: Mapped[list[ImplementationUpdate]] = relationship(
        back_populates="recommendation",
        order_by="ImplementationUpdate.id",
        cascade="all, delete-orphan",
    )

    def is_overdue(self, today: date) -> bool:
        return self.response is None and today > self.response_due

    @property
    def answered_late(self) -> bool:
        return self.response is not None and self.response.responded_on > self.response_due


class RecommendationResponse(Base):
    __tablename__ = "recommendation_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("recommendations.id", ondelete="CASCADE"), unique=True
    )
    decision: Mapped[Decision] = mapped_column(enum_column(Decision))
    rationale: Mapped[str] = mapped_column(sa.Text)
    responder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    responder_name: Mapped[str] = mapped_column(
        sa.String(120)
    )  # the office that answers, shown publicly
    responded_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    recommendation: Mapped[Recommendation] = relationship(back_populates="response")


class ImplementationUpdate(Base):
    __tablename__ = "implementation_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("recommendations.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[ImplementationStatus] = mapped_column(enum_column(ImplementationStatus))
    note: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    recommendation: Mapped[Recommendation] = relationship(back_populates="updates")
