"""A mission's own record as evidence items: statement versions with their rationale,
recommendations received, and the city's responses. Evaluation reads missions only through here."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from engage.evidence import EvidenceItem
from engage.missions.models import Recommendation, StatementVersion


def evidence_items(session: Session, mission_id: int) -> Iterator[EvidenceItem]:
    versions = session.scalars(
        sa.select(StatementVersion)
        .where(StatementVersion.mission_id == mission_id)
        .order_by(StatementVersion.number)
    )
    for version in versions:
        yield EvidenceItem(
            source_kind="missions.statement_version",
            source_id=version.id,
            mission_id=mission_id,
            created_at=version.created_at,
            title=f"Statement version {version.number}",
            text=version.text,
            attributes={"rationale": version.rationale, "number": str(version.number)},
        )
    recommendations = session.scalars(
        sa.select(Recommendation)
        .where(Recommendation.mission_id == mission_id)
        .options(selectinload(Recommendation.response))
        .order_by(Recommendation.id)
    )
    for recommendation in recommendations:
        # Recommendations come from bodies (a jury, a group), not individuals: no contributor key.
        yield EvidenceItem(
            source_kind="missions.recommendation",
            source_id=recommendation.id,
            mission_id=mission_id,
            created_at=recommendation.created_at,
            title=recommendation.title,
            text=recommendation.text,
            attributes={
                "source_kind": recommendation.source_kind.value,
                "source": recommendation.source_label,
                "received_on": recommendation.received_on.isoformat(),
                "response_due": recommendation.response_due.isoformat(),
            },
        )
        response = recommendation.response
        if response is not None:
            yield EvidenceItem(
                source_kind="missions.response",
                source_id=response.id,
                mission_id=mission_id,
                created_at=response.created_at,
                title=f"Response to: {recommendation.title}",
                text=response.rationale,
                attributes={
                    "decision": response.decision.value,
                    "responded_on": response.responded_on.isoformat(),
                    "answered_late": "yes" if recommendation.answered_late else "no",
                    "recommendation_id": str(recommendation.id),
                },
            )
