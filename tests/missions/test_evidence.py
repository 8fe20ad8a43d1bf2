from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from engage.missions.evidence import evidence_items
from engage.missions.models import Decision
from tests.factories import make_mission, make_recommendation, make_response


def test_a_mission_yields_its_versions_recommendations_and_responses(session: Session) -> None:
    mission = make_mission(session, statements=("First.", "Second."))
    answered = make_recommendation(
        session, mission, title="Crossings", received_on=date(2026, 1, 5)
    )
    make_response(
        session,
        answered,
        decision=Decision.PARTLY_ACCEPTED,
        responded_on=date(2026, 1, 5) + timedelta(weeks=10),
    )
    make_recommendation(session, mission, title="Benches")
    other = make_mission(session)
    make_recommendation(session, other, title="Not this mission")

    items = list(evidence_items(session, mission.id))

    assert [(item.source_kind, item.title) for item in items] == [
        ("missions.statement_version", "Statement version 1"),
        ("missions.statement_version", "Statement version 2"),
        ("missions.recommendation", "Crossings"),
        ("missions.response", "Response to: Crossings"),
        ("missions.recommendation", "Benches"),
    ]
    response = items[3]
    assert response.attributes["decision"] == "partly_accepted"
    assert response.attributes["answered_late"] == "yes"  # 10 weeks against the default 8
    assert all(item.mission_id == mission.id and item.contributor_key is None for item in items)
