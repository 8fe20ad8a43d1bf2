"""Every model, imported so Base.metadata is complete (for Alembic and the tests)."""

from engage.accounts.models import RoleGrant, User
from engage.audit import AuditEntry
from engage.codesign.models import (
    Citation,
    CodesignProcess,
    Comment,
    Contribution,
    DraftRating,
    PriorityAnswer,
    Report,
    Round,
    Support,
    Synthesis,
    Vote,
)
from engage.db import Base
from engage.jobs import Job
from engage.juries.models import (
    Draw,
    FeatureValue,
    Jury,
    JuryFeature,
    JuryOfficer,
    MemberAnswer,
    PanelSeat,
    PoolMember,
    SelectionRun,
)
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
    "Citation",
    "CodesignProcess",
    "Comment",
    "Contribution",
    "DraftRating",
    "Draw",
    "FeatureValue",
    "ImplementationUpdate",
    "Indicator",
    "Job",
    "Jury",
    "JuryFeature",
    "JuryOfficer",
    "MemberAnswer",
    "Mission",
    "MissionProject",
    "Outcome",
    "PanelSeat",
    "PoolMember",
    "PriorityAnswer",
    "Recommendation",
    "RecommendationResponse",
    "Report",
    "RoleGrant",
    "Round",
    "SelectionRun",
    "StatementSource",
    "StatementVersion",
    "Support",
    "Synthesis",
    "User",
    "Vote",
]
