"""Co-design: a mission's processes, their ordered rounds, and what residents put into them.

Everything a resident or officer puts into a round is a ``Contribution``: an idea, a short
statement to vote on, a priority option or a paragraph of a draft. One table makes moderation,
citation by a synthesis, evidence and "what became of my contribution" work the same for all four,
and a contribution keeps its number (``#id``) across rounds, so a later round's synthesis can cite
what an earlier round produced.
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


class RoundKind(enum.StrEnum):
    IDEAS = "ideas"
    STATEMENTS = "statements"
    DRAFT_REVIEW = "draft_review"
    PRIORITIES = "priorities"


class RoundStatus(enum.StrEnum):
    DRAFT = "draft"  # being prepared; only officers see it
    OPEN = "open"  # published; takes part between its opening and closing dates
    CLOSED = "closed"  # closed by an officer; awaiting its synthesis
    SYNTHESISED = "synthesised"  # its synthesis is published


class Moderation(enum.StrEnum):
    BEFORE = "before"  # residents' contributions wait for an officer's approval
    AFTER = "after"  # published at once; reports and officers can hide them


class PriorityMethod(enum.StrEnum):
    RANKING = "ranking"
    POINTS = "points"


class ContributionKind(enum.StrEnum):
    IDEA = "idea"
    STATEMENT = "statement"
    OPTION = "option"  # a choice in a priorities round, set by an officer
    PARAGRAPH = "paragraph"  # a paragraph of a draft under review, set by an officer


class Visibility(enum.StrEnum):
    PENDING = "pending"  # waiting for approval (moderation before publication)
    VISIBLE = "visible"
    REPORTED = "reported"  # hidden after enough reports, waiting for an officer's review
    HIDDEN = "hidden"  # hidden by an officer, with a public reason


class CodesignProcess(Base):
    __tablename__ = "codesign_processes"

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("missions.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    mission: Mapped[Mission] = relationship("Mission")
    rounds: Mapped[list[Round]] = relationship(
        back_populates="process", order_by="Round.position", cascade="all, delete-orphan"
    )


class Round(Base):
    __tablename__ = "codesign_rounds"
    __table_args__ = (
        sa.CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
        sa.CheckConstraint("points_budget IS NULL OR points_budget > 0", name="points_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(
        sa.ForeignKey("codesign_processes.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    kind: Mapped[RoundKind] = mapped_column(enum_column(RoundKind))
    title: Mapped[str] = mapped_column(sa.String(200))
    prompt: Mapped[str] = mapped_column(sa.Text)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    status: Mapped[RoundStatus] = mapped_column(enum_column(RoundStatus), default=RoundStatus.DRAFT)
    moderation: Mapped[Moderation] = mapped_column(
        enum_column(Moderation), default=Moderation.AFTER
    )
    priority_method: Mapped[PriorityMethod | None] = mapped_column(enum_column(PriorityMethod))
    points_budget: Mapped[int | None]
    # The opinion groups last computed, with the fingerprint of the votes they came from.
    opinion_map: Mapped[dict[str, Any] | None]
    opinion_signature: Mapped[str | None] = mapped_column(sa.String(80))
    opinion_job_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("jobs.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    process: Mapped[CodesignProcess] = relationship(back_populates="rounds")
    synthesis: Mapped[Synthesis | None] = relationship(
        back_populates="round", cascade="all, delete-orphan"
    )


class Contribution(Base):
    __tablename__ = "codesign_contributions"
    __table_args__ = (sa.Index("ix_codesign_contributions_round_kind", "round_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("codesign_rounds.id", ondelete="CASCADE"))
    kind: Mapped[ContributionKind] = mapped_column(enum_column(ContributionKind))
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Set by an officer when preparing the round (seed statements, options, paragraphs).
    seeded: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)  # order of options and paragraphs
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    text: Mapped[str] = mapped_column(sa.Text)
    area: Mapped[str] = mapped_column(sa.String(120), default="")
    visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility), default=Visibility.VISIBLE
    )
    moderation_reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    round: Mapped[Round] = relationship()
    author: Mapped[User | None] = relationship("User")

    @property
    def label(self) -> str:
        """How citations and lists name it: ``#12 Safer crossings``."""
        return f"#{self.id} {self.title or self.text}"


class Comment(Base):
    """A comment on a contribution; a reply has a parent, and replies have no replies."""

    __tablename__ = "codesign_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(
        sa.ForeignKey("codesign_contributions.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("codesign_comments.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(sa.Text)
    visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility), default=Visibility.VISIBLE
    )
    moderation_reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    contribution: Mapped[Contribution] = relationship()
    author: Mapped[User | None] = relationship("User")


class Support(Base):
    __tablename__ = "codesign_supports"
    __table_args__ = (sa.UniqueConstraint("contribution_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(
        sa.ForeignKey("codesign_contributions.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Vote(Base):
    """A participant's vote on a statement: 1 agree, -1 disagree, 0 pass. A new vote replaces."""

    __tablename__ = "codesign_votes"
    __table_args__ = (
        sa.UniqueConstraint("statement_id", "user_id"),
        sa.CheckConstraint("value IN (-1, 0, 1)", name="value_allowed"),
        sa.Index("ix_codesign_votes_round_user", "round_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("codesign_rounds.id", ondelete="CASCADE"))
    statement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("codesign_contributions.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    value: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Report(Base):
    """Someone's report that a contribution or a comment breaks the rules. A review by an
    officer resolves the open reports, so later reports count afresh."""

    __tablename__ = "codesign_reports"
    __table_args__ = (
        sa.CheckConstraint(
            "(contribution_id IS NULL) <> (comment_id IS NULL)", name="one_reported_item"
        ),
        sa.UniqueConstraint("contribution_id", "reporter_id"),
        sa.UniqueConstraint("comment_id", "reporter_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("codesign_contributions.id", ondelete="CASCADE"), index=True
    )
    comment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("codesign_comments.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]


class PriorityAnswer(Base):
    """One participant's rank (1 = first) or points for one option of a priorities round."""

    __tablename__ = "codesign_priority_answers"
    __table_args__ = (
        sa.UniqueConstraint("option_id", "user_id"),
        sa.CheckConstraint("value >= 0", name="value_not_negative"),
        sa.Index("ix_codesign_priority_answers_round_user", "round_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("codesign_rounds.id", ondelete="CASCADE"))
    option_id: Mapped[int] = mapped_column(
        sa.ForeignKey("codesign_contributions.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    value: Mapped[int]


class DraftRating(Base):
    """A participant's overall rating of a draft under review, 1 (poor) to 5 (very good)."""

    __tablename__ = "codesign_draft_ratings"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "user_id"),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("codesign_rounds.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    score: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Synthesis(Base):
    """What officers made of a closed round, citing its contributions (``#12`` in the text)."""

    __tablename__ = "codesign_syntheses"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("codesign_rounds.id", ondelete="CASCADE"), unique=True
    )
    text: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None]
    statement_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("statement_versions.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    round: Mapped[Round] = relationship(back_populates="synthesis")
    citations: Mapped[list[Citation]] = relationship(
        back_populates="synthesis",
        order_by="Citation.contribution_id",
        cascade="all, delete-orphan",
    )


class Citation(Base):
    __tablename__ = "codesign_citations"
    __table_args__ = (sa.UniqueConstraint("synthesis_id", "contribution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    synthesis_id: Mapped[int] = mapped_column(
        sa.ForeignKey("codesign_syntheses.id", ondelete="CASCADE")
    )
    contribution_id: Mapped[int] = mapped_column(
        sa.ForeignKey("codesign_contributions.id", ondelete="CASCADE"), index=True
    )

    synthesis: Mapped[Synthesis] = relationship(back_populates="citations")
    contribution: Mapped[Contribution] = relationship()
