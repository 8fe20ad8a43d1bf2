"""Citizens' juries: the jury and its demographic features, the volunteer pool, selection runs,
the committed and revealed draw, and the panel with its reserves.

Quotas live on the feature values they bound. Personal data (name, contact details, address)
lives only on ``PoolMember`` and is erased by purging the jury; everything published uses the
member's pseudonym.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.db import Base, enum_column, utcnow


class JuryStatus(enum.StrEnum):
    DRAFT = "draft"  # being set up; registration page not public
    OPEN = "open"  # taking volunteers (within the registration window)
    FROZEN = "frozen"  # a draw is committed: pool and quotas can no longer change
    DRAWN = "drawn"  # the random value is revealed and the panel is known
    PURGED = "purged"  # personal data erased; aggregate counts and the audit trail remain


class MemberSource(enum.StrEnum):
    REGISTRATION = "registration"
    IMPORT = "import"


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"
    INFEASIBLE = "infeasible"
    FAILED = "failed"


class SeatStatus(enum.StrEnum):
    INVITED = "invited"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    RESERVE = "reserve"  # a ranked reserve not (yet) invited


class Jury(Base):
    __tablename__ = "juries"

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("missions.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    question: Mapped[str] = mapped_column(sa.Text)
    panel_size: Mapped[int]
    # Why the demographic answers are collected, shown beside the consent box.
    purpose: Mapped[str] = mapped_column(sa.Text)
    registration_opens: Mapped[datetime | None]
    registration_closes: Mapped[datetime | None]
    retention_until: Mapped[date]
    household_rule: Mapped[bool] = mapped_column(default=True)
    status: Mapped[JuryStatus] = mapped_column(enum_column(JuryStatus), default=JuryStatus.DRAFT)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    purged_at: Mapped[datetime | None]
    # After a purge: {"pool": {feature: {value: n}}, "panel": {...}}, small counts suppressed.
    aggregate_counts: Mapped[dict[str, Any] | None]

    features: Mapped[list[JuryFeature]] = relationship(
        back_populates="jury", order_by="JuryFeature.position", cascade="all, delete-orphan"
    )
    officers: Mapped[list[JuryOfficer]] = relationship(
        back_populates="jury", cascade="all, delete-orphan"
    )


class JuryOfficer(Base):
    """An officer in charge of one jury: only they (and admins) see its volunteers' contacts."""

    __tablename__ = "jury_officers"
    __table_args__ = (sa.UniqueConstraint("jury_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jury_id: Mapped[int] = mapped_column(sa.ForeignKey("juries.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)

    jury: Mapped[Jury] = relationship(back_populates="officers")


class JuryFeature(Base):
    """A demographic question (gender, age band, area...): its key is the CSV column name."""

    __tablename__ = "jury_features"
    __table_args__ = (sa.UniqueConstraint("jury_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jury_id: Mapped[int] = mapped_column(sa.ForeignKey("juries.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(80))
    label: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(default=0)
    allow_prefer_not_to_say: Mapped[bool] = mapped_column(default=False)

    jury: Mapped[Jury] = relationship(back_populates="features")
    values: Mapped[list[FeatureValue]] = relationship(
        back_populates="feature", order_by="FeatureValue.position", cascade="all, delete-orphan"
    )


class FeatureValue(Base):
    """One answer to a feature, with its quota: the panel holds between quota_min and quota_max
    people with this value. The flex bounds (Sortition Foundation format) limit how far a
    proposed relaxation may move the quota."""

    __tablename__ = "feature_values"
    __table_args__ = (
        sa.UniqueConstraint("feature_id", "key"),
        sa.CheckConstraint(
            "quota_min IS NULL OR quota_max IS NULL OR quota_min <= quota_max", name="quota_order"
        ),
        sa.CheckConstraint("quota_min IS NULL OR quota_min >= 0", name="quota_min_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feature_id: Mapped[int] = mapped_column(sa.ForeignKey("jury_features.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(120))
    label: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(default=0)
    # True for the "prefer not to say" answer a feature offers when the officer allows it.
    is_prefer_not_to_say: Mapped[bool] = mapped_column(default=False)
    population_share: Mapped[float | None]  # percent of the city's population, for the helper
    quota_min: Mapped[int | None]
    quota_max: Mapped[int | None]
    min_flex: Mapped[int | None]
    max_flex: Mapped[int | None]

    feature: Mapped[JuryFeature] = relationship(back_populates="values")


class PoolMember(Base):
    """A volunteer in a jury's pool. The pseudonym is what every published page and bundle uses."""

    __tablename__ = "pool_members"
    __table_args__ = (
        sa.UniqueConstraint("jury_id", "pseudonym"),
        sa.UniqueConstraint("jury_id", "email"),
        sa.UniqueConstraint("jury_id", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    jury_id: Mapped[int] = mapped_column(sa.ForeignKey("juries.id", ondelete="CASCADE"), index=True)
    pseudonym: Mapped[str] = mapped_column(sa.String(16))
    source: Mapped[MemberSource] = mapped_column(enum_column(MemberSource))
    external_id: Mapped[str | None] = mapped_column(sa.String(120))  # the id column of an import
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(254))  # lower-cased
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    address_line1: Mapped[str] = mapped_column(sa.String(200), default="")
    address_line2: Mapped[str] = mapped_column(sa.String(200), default="")
    city: Mapped[str] = mapped_column(sa.String(120), default="")
    postcode: Mapped[str] = mapped_column(sa.String(20), default="")
    # Members sharing this key live together (normalised address, or an imported household id).
    household_key: Mapped[str] = mapped_column(sa.String(64), index=True)
    consent_given_at: Mapped[datetime]
    consent_text: Mapped[str] = mapped_column(sa.Text)  # what the volunteer agreed to, verbatim
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    answers: Mapped[list[MemberAnswer]] = relationship(
        back_populates="member", cascade="all, delete-orphan"
    )


class MemberAnswer(Base):
    __tablename__ = "member_answers"
    __table_args__ = (sa.UniqueConstraint("member_id", "feature_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("pool_members.id", ondelete="CASCADE"))
    feature_id: Mapped[int] = mapped_column(sa.ForeignKey("jury_features.id", ondelete="CASCADE"))
    value_id: Mapped[int] = mapped_column(
        sa.ForeignKey("feature_values.id", ondelete="CASCADE"), index=True
    )

    member: Mapped[PoolMember] = relationship(back_populates="answers")


class SelectionRun(Base):
    """One run of a selection algorithm on the jury's pool and quotas, computed as a job.

    ``result`` holds the outcome in terms of pool member ids: {"panel_count": ..., "marginals":
    {id: p}, "fairness": {...}, "lottery": {"panels": [[id, ...], ...], ...}, ...}."""

    __tablename__ = "selection_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    jury_id: Mapped[int] = mapped_column(sa.ForeignKey("juries.id", ondelete="CASCADE"), index=True)
    algorithm: Mapped[str] = mapped_column(sa.String(16))
    household_rule: Mapped[bool]
    status: Mapped[RunStatus] = mapped_column(enum_column(RunStatus), default=RunStatus.RUNNING)
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jobs.id", ondelete="SET NULL"))
    result: Mapped[dict[str, Any] | None]
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class Draw(Base):
    """A committed, then revealed, lottery over m panels.

    ``bundle`` is the canonical JSON text whose SHA-256 is ``commitment``; it names members by
    pseudonym only, so it can be published as it is."""

    __tablename__ = "draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    jury_id: Mapped[int] = mapped_column(
        sa.ForeignKey("juries.id", ondelete="CASCADE"), unique=True
    )
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_runs.id", ondelete="RESTRICT"))
    bundle: Mapped[str] = mapped_column(sa.Text)
    commitment: Mapped[str] = mapped_column(sa.String(64), unique=True)
    randomness_source: Mapped[str] = mapped_column(sa.Text)
    committed_at: Mapped[datetime] = mapped_column(default=utcnow)
    committed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    random_value: Mapped[str | None] = mapped_column(sa.String(500))
    chosen_index: Mapped[int | None]
    revealed_at: Mapped[datetime | None]
    revealed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )


class PanelSeat(Base):
    """A drawn panel member or a ranked reserve, with their invitation status.

    A replacement seat points at the seat it replaced."""

    __tablename__ = "panel_seats"
    __table_args__ = (
        sa.UniqueConstraint("draw_id", "member_id"),
        sa.UniqueConstraint("draw_id", "reserve_rank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(sa.ForeignKey("draws.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("pool_members.id", ondelete="CASCADE"))
    status: Mapped[SeatStatus] = mapped_column(enum_column(SeatStatus))
    reserve_rank: Mapped[int | None]  # 1, 2, ... for reserves; None for the drawn panel
    replaces_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("panel_seats.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
