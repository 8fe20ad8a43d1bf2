from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.db import Base, enum_column, utcnow
from engage.security import Role


class User(Base):
    """A person with an account. Everyone is a resident; staff roles are granted on top."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)  # stored lower-cased
    display_name: Mapped[str] = mapped_column(sa.String(80))
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None]

    role_grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        lazy="selectin",
        foreign_keys="RoleGrant.user_id",
    )

    @property
    def roles(self) -> set[Role]:
        return {grant.role for grant in self.role_grants}

    def has_role(self, role: Role) -> bool:
        """Residents are everyone; admins hold every staff role as well."""
        held = self.roles
        return role is Role.RESIDENT or role in held or Role.ADMIN in held

    # Flask-Login's user protocol, spelled out so models need not import Flask-Login.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class RoleGrant(Base):
    __tablename__ = "role_grants"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role, length=16), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    user: Mapped[User] = relationship(back_populates="role_grants", foreign_keys=[user_id])


class AgeBand(enum.StrEnum):
    """The age bands people may give about themselves: ten years wide from 25, open from 75."""

    AGE_16_24 = "16-24"
    AGE_25_34 = "25-34"
    AGE_35_44 = "35-44"
    AGE_45_54 = "45-54"
    AGE_55_64 = "55-64"
    AGE_65_74 = "65-74"
    AGE_75_PLUS = "75+"


class DemographicProfile(Base):
    """What a person chose to tell about themselves for evaluation, held only while they consent:
    withdrawing consent deletes the row, so a row is the consent."""

    __tablename__ = "demographic_profiles"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    age_band: Mapped[AgeBand] = mapped_column(enum_column(AgeBand, length=8))
    consented_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
