"""Standing advisory groups: the group and its rotation rule, members with their terms and
declared interests, meetings (agenda, papers, attendance, minutes, decisions), and the
recommendations members draft together until one is adopted and enters the mission's
recommendation-and-response register."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.db import Base, enum_column, utcnow

if TYPE_CHECKING:
    from engage.accounts.models import User
    from engage.missions.models import Mission


class SeatFilling(enum.StrEnum):
    APPLICATION = "application"  # residents apply; officers choose
    APPOINTMENT = "appointment"  # officers appoint (e.g. organisations' representatives)
    LOT = "lot"  # drawn by lot from applicants, with quotas (a citizens' jury selection)


class MemberRole(enum.StrEnum):
    CHAIR = "chair"
    VICE_CHAIR = "vice_chair"
    MEMBER = "member"


class Attendance(enum.StrEnum):
    PRESENT = "present"
    APOLOGIES = "apologies"
    ABSENT = "absent"


class MinutesStatus(enum.StrEnum):
    NONE = "none"
    DRAFT = "draft"  # members see and comment; the public does not
    APPROVED = "approved"  # approved at a later meeting; public


class DraftStatus(enum.StrEnum):
    DRAFTING = "drafting"
    ADOPTED = "adopted"  # adopted at a meeting; in the mission's register
    WITHDRAWN = "withdrawn"


class AdvisoryGroup(Base):
    __tablename__ = "advisory_groups"
    __table_args__ = (
        sa.CheckConstraint("seats > 0", name="seats_positive"),
        sa.CheckConstraint("term_months > 0", name="term_positive"),
        sa.CheckConstraint(
            "seats_renewed >= 0 AND seats_renewed <= seats", name="renewed_within_seats"
        ),
        sa.CheckConstraint("quorum > 0 AND quorum <= seats", name="quorum_within_seats"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int | None] = mapped_column(  # None: a city-wide group
        sa.ForeignKey("missions.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    purpose: Mapped[str] = mapped_column(sa.Text)
    remit: Mapped[str] = mapped_column(sa.Text)
    seats: Mapped[int]
    term_months: Mapped[int]
    # The rotation rule: this many seats (the longest-serving first) come up every
    # ``rotation_months``; 0 renews no seat before its term ends.
    seats_renewed: Mapped[int] = mapped_column(default=0)
    rotation_months: Mapped[int] = mapped_column(default=12)
    filling: Mapped[SeatFilling] = mapped_column(enum_column(SeatFilling))
    quorum: Mapped[int]  # members present for a meeting's decisions to count
    # The officer who answers the group's recommendations and receives the reminders.
    responsible_officer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # The citizens' jury whose draw fills seats by lot (its volunteers are the applicants).
    jury_id: Mapped[int | None] = mapped_column(sa.ForeignKey("juries.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    mission: Mapped[Mission | None] = relationship("Mission")
    responsible_officer: Mapped[User | None] = relationship(
        "User", foreign_keys=[responsible_officer_id]
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="group",
        order_by="Membership.term_start, Membership.id",
        cascade="all, delete-orphan",
    )
    meetings: Mapped[list[Meeting]] = relationship(
        back_populates="group", order_by="Meeting.starts_at", cascade="all, delete-orphan"
    )


class Membership(Base):
    """A person's seat for one term. Ending it early keeps the row, with the date and reason."""

    __tablename__ = "advisory_memberships"
    __table_args__ = (sa.CheckConstraint("term_end > term_start", name="term_ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("advisory_groups.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[MemberRole] = mapped_column(enum_column(MemberRole), default=MemberRole.MEMBER)
    filled_by: Mapped[SeatFilling] = mapped_column(enum_column(SeatFilling))
    term_start: Mapped[date]
    term_end: Mapped[date]
    ended_on: Mapped[date | None]
    end_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # The register of interests: what the member declares, public only if they agree.
    interests: Mapped[str] = mapped_column(sa.Text, default="")
    interests_public: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[AdvisoryGroup] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship("User")

    @property
    def leaves_on(self) -> date:
        """The first day without the seat: the term's end, or an earlier end of membership."""
        return min(self.term_end, self.ended_on) if self.ended_on else self.term_end

    def is_current(self, today: date) -> bool:
        return self.term_start <= today < self.leaves_on


class Meeting(Base):
    __tablename__ = "advisory_meetings"
    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("advisory_groups.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(sa.String(300), default="")
    link: Mapped[str] = mapped_column(sa.String(500), default="")  # an online meeting's address
    agenda: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # items in order
    minutes: Mapped[str] = mapped_column(sa.Text, default="")
    minutes_status: Mapped[MinutesStatus] = mapped_column(
        enum_column(MinutesStatus), default=MinutesStatus.NONE
    )
    minutes_approved_at: Mapped[datetime | None]
    decisions: Mapped[str] = mapped_column(sa.Text, default="")
    # Changes with every edit, so calendar clients see a new version (iCalendar SEQUENCE).
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[AdvisoryGroup] = relationship(back_populates="meetings")
    papers: Mapped[list[MeetingPaper]] = relationship(
        back_populates="meeting", order_by="MeetingPaper.id", cascade="all, delete-orphan"
    )
    attendance: Mapped[list[MeetingAttendance]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )


class MeetingPaper(Base):
    """A PDF for a meeting; the file lives under the instance folder, named by ``stored_name``."""

    __tablename__ = "advisory_meeting_papers"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("advisory_meetings.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    filename: Mapped[str] = mapped_column(sa.String(200))  # as uploaded, for the download
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="papers")


class MeetingAttendance(Base):
    __tablename__ = "advisory_attendance"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "membership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("advisory_meetings.id", ondelete="CASCADE")
    )
    membership_id: Mapped[int] = mapped_column(
        sa.ForeignKey("advisory_memberships.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[Attendance] = mapped_column(enum_column(Attendance))

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")
    membership: Mapped[Membership] = relationship()


class DraftRecommendation(Base):
    """A recommendation members draft together in the group's workspace. Each edit is a new
    version; adopted at a meeting, it enters the mission's register (``register_entry_id``)."""

    __tablename__ = "advisory_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("advisory_groups.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[DraftStatus] = mapped_column(
        enum_column(DraftStatus), default=DraftStatus.DRAFTING
    )
    adopted_at_meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("advisory_meetings.id", ondelete="SET NULL")
    )
    register_entry_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("recommendations.id", ondelete="SET NULL"), unique=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[AdvisoryGroup] = relationship()
    versions: Mapped[list[DraftVersion]] = relationship(
        back_populates="draft", order_by="DraftVersion.number", cascade="all, delete-orphan"
    )
    comments: Mapped[list[DraftComment]] = relationship(
        back_populates="draft", order_by="DraftComment.id", cascade="all, delete-orphan"
    )
    adopted_at_meeting: Mapped[Meeting | None] = relationship()

    @property
    def current(self) -> DraftVersion | None:
        return self.versions[-1] if self.versions else None


class DraftVersion(Base):
    __tablename__ = "advisory_draft_versions"
    __table_args__ = (sa.UniqueConstraint("draft_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(sa.ForeignKey("advisory_drafts.id", ondelete="CASCADE"))
    number: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text)
    note: Mapped[str] = mapped_column(sa.String(300), default="")  # what changed, in a line
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    draft: Mapped[DraftRecommendation] = relationship(back_populates="versions")
    author: Mapped[User | None] = relationship("User")


class DraftComment(Base):
    __tablename__ = "advisory_draft_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(
        sa.ForeignKey("advisory_drafts.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    draft: Mapped[DraftRecommendation] = relationship(back_populates="comments")
    author: Mapped[User | None] = relationship("User")
