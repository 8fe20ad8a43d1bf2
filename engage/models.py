"""Every model, imported so Base.metadata is complete (for Alembic and the tests)."""

from engage.accounts.models import RoleGrant, User
from engage.audit import AuditEntry
from engage.db import Base
from engage.jobs import Job
from engage.missions.models import (
    ImplementationUpdate,
    Indicator,
    Mission,
    MissionProject,
    Outcome,
    Recommendation,
    RecommendationResponse,
    StatementSource,
    StatementVersion,
)

__all__ = [
    "AuditEntry",
    "Base",
    "ImplementationUpdate",
    "Indicator",
    "Job",
    "Mission",
    "MissionProject",
    "Outcome",
    "Recommendation",
    "RecommendationResponse",
    "RoleGrant",
    "StatementSource",
    "StatementVersion",
    "User",
]
