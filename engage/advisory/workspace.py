"""The members' workspace: recommendations drafted together (versions and comments), adopted at
a meeting into the mission's recommendation-and-response register, and the register's record of
the city's answers to the group, with overdue responses flagged and reminded."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from engage.advisory.models import AdvisoryGroup
from engage.missions.models import Recommendation, RecommendationSourceKind


def register_entries(session: Session, group: AdvisoryGroup) -> list[Recommendation]:
    """The group's recommendations in the missions' register, newest first, with responses."""
    return list(
        session.scalars(
            sa.select(Recommendation)
            .where(
                Recommendation.source_kind == RecommendationSourceKind.ADVISORY_GROUP,
                Recommendation.source_id == group.id,
            )
            .options(selectinload(Recommendation.response), selectinload(Recommendation.updates))
            .order_by(Recommendation.received_on.desc(), Recommendation.id.desc())
        )
    )


def overdue_responses(session: Session, group: AdvisoryGroup, today: date) -> list[Recommendation]:
    """The group's recommendations still awaiting the city's response after their due date."""
    return [entry for entry in register_entries(session, group) if entry.is_overdue(today)]
