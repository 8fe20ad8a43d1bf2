"""Mission use cases with a real session: every rule a service enforces, and what it records."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.audit import AuditEntry
from engage.errors import Conflict, Invalid, NotFound
from engage.missions import services
from engage.missions.models import (
    Decision,
    Direction,
    ImplementationStatus,
    ImplementationUpdate,
    Indicator,
    Mission,
    MissionStatus,
    RecommendationResponse,
    RecommendationSourceKind,
    StatementSource,
    StatementVersion,
)
from engage.security import Role
from tests.factories import (
    make_indicator,
    make_mission,
    make_outcome,
    make_recommendation,
    make_response,
    make_user,
)


@pytest.fixture
def officer(session: Session) -> User:
    return make_user(session, role=Role.OFFICER)


def mission_fields(
    title: str = "Healthy streets", slug: str = "", **changes: Any
) -> services.MissionFields:
    fields = services.MissionFields(
        title=title,
        slug=slug,
        challenge="Air on many streets is unhealthy.",
        team="Healthy Streets Team",
        target_date=date(2030, 12, 31),
        status=MissionStatus.ACTIVE,
    )
    return replace(fields, **changes)


def audit_entries(session: Session, action: str | None = None) -> list[AuditEntry]:
    query = sa.select(AuditEntry).order_by(AuditEntry.id)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    return list(session.scalars(query))


def count(session: Session, model: type[Any]) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


# --- Missions -----------------------------------------------------------------------------------


def test_create_mission_makes_slug_first_version_and_audit_entry(
    session: Session, officer: User
) -> None:
    mission = services.create_mission(
        session, mission_fields("Healthy Streets by 2030!"), "Every street healthy.", actor=officer
    )

    assert mission.slug == "healthy-streets-by-2030"
    assert [(v.number, v.text, v.author_id) for v in mission.versions] == [
        (1, "Every street healthy.", officer.id)
    ]
    [entry] = audit_entries(session)
    assert (entry.action, entry.subject, entry.actor_id) == (
        "mission.created",
        f"mission:{mission.id}",
        officer.id,
    )
    assert entry.details == {"slug": "healthy-streets-by-2030"}


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Missió València", "missio-valencia"),
        ("Ciutat àgil: ús públic", "ciutat-agil-us-public"),
        ("Straßen für alle", "strassen-fur-alle"),
        ("Здоровые улицы", "zdorovye-ulitsy"),
        ("日本語", "ri-ben-yu"),
        ("!!!", "mission"),
    ],
)
def test_non_ascii_titles_make_usable_slugs(
    session: Session, officer: User, title: str, slug: str
) -> None:
    mission = services.create_mission(session, mission_fields(title), "Text.", actor=officer)
    assert mission.slug == slug
    assert services.get_mission(session, slug, include_drafts=False).id == mission.id


def test_a_given_slug_is_normalised(session: Session, officer: User) -> None:
    mission = services.create_mission(
        session, mission_fields(slug="Clean Air  Now"), "Text.", actor=officer
    )
    assert mission.slug == "clean-air-now"


def test_duplicate_slug_is_a_conflict_on_the_slug_field(session: Session, officer: User) -> None:
    services.create_mission(session, mission_fields("Clean air"), "Text.", actor=officer)

    with pytest.raises(Conflict) as raised:
        services.create_mission(session, mission_fields("Clean  Air"), "Other.", actor=officer)
    assert raised.value.field == "slug"

    other = services.create_mission(session, mission_fields("Quiet streets"), "T.", actor=officer)
    with pytest.raises(Conflict) as raised:
        services.update_mission(
            session, other.slug, mission_fields(slug="clean-air"), actor=officer
        )
    assert raised.value.field == "slug"
    session.rollback()
    assert sorted(session.scalars(sa.select(Mission.slug))) == ["clean-air", "quiet-streets"]
    assert len(audit_entries(session, "mission.created")) == 2
    assert audit_entries(session, "mission.updated") == []


def test_update_mission_records_what_changed(session: Session, officer: User) -> None:
    mission = services.create_mission(session, mission_fields(), "Text.", actor=officer)

    services.update_mission(
        session,
        mission.slug,
        mission_fields(slug=mission.slug, team="Public Health", target_date=date(2031, 6, 30)),
        actor=officer,
    )

    [entry] = audit_entries(session, "mission.updated")
    assert entry.subject == f"mission:{mission.id}"
    assert entry.details == {
        "team": ["Healthy Streets Team", "Public Health"],
        "target_date": ["2030-12-31", "2031-06-30"],
    }
    session.expire_all()
    assert (mission.team, mission.target_date) == ("Public Health", date(2031, 6, 30))


def test_update_mission_without_changes_writes_nothing(session: Session, officer: User) -> None:
    mission = services.create_mission(session, mission_fields(), "Text.", actor=officer)
    before = len(audit_entries(session))

    services.update_mission(session, mission.slug, mission_fields(), actor=officer)

    assert len(audit_entries(session)) == before


def test_drafts_are_hidden_unless_asked_for(session: Session) -> None:
    draft = make_mission(session, title="B draft", status=MissionStatus.DRAFT)
    active = make_mission(session, title="A active")
    closed = make_mission(session, title="C closed", status=MissionStatus.CLOSED)

    public = services.list_missions(session, include_drafts=False)
    assert [m.id for m in public] == [active.id, closed.id]
    staff = services.list_missions(session, include_drafts=True)
    assert [m.id for m in staff] == [active.id, draft.id, closed.id]

    with pytest.raises(NotFound):
        services.get_mission(session, draft.slug, include_drafts=False)
    assert services.get_mission(session, draft.slug, include_drafts=True).id == draft.id
    with pytest.raises(NotFound):
        services.get_mission(session, "no-such-mission", include_drafts=True)


# --- Statement versions -------------------------------------------------------------------------


def test_publishing_versions_numbers_them_in_order(session: Session, officer: User) -> None:
    mission = make_mission(session, statements=("Version one.",))

    second = services.publish_statement_version(
        session,
        mission.slug,
        text="Version two.",
        rationale="Clearer.",
        source_keys=[],
        actor=officer,
    )
    third = services.publish_statement_version(
        session,
        mission.slug,
        text="Version three.",
        rationale="Wider.",
        source_keys=[],
        actor=officer,
    )

    assert (second.number, third.number) == (2, 3)
    session.expire_all()
    reloaded = services.get_mission(session, mission.slug, include_drafts=True)
    assert [v.number for v in reloaded.versions] == [1, 2, 3]
    assert reloaded.current_version is not None
    assert reloaded.current_version.text == "Version three."
    assert [e.details["version"] for e in audit_entries(session)] == [2, 3]


def test_publishing_the_same_text_is_refused(session: Session, officer: User) -> None:
    mission = make_mission(session, statements=("Every street healthy.",))

    with pytest.raises(Invalid) as raised:
        services.publish_statement_version(
            session,
            mission.slug,
            text="  Every street healthy.\n",
            rationale="No change really.",
            source_keys=[],
            actor=officer,
        )
    assert raised.value.field == "text"
    assert count(session, StatementVersion) == 1
    assert audit_entries(session) == []


def test_a_version_cites_recommendations_of_its_own_mission_only(
    session: Session, officer: User
) -> None:
    mission = make_mission(session)
    other_mission = make_mission(session)
    own = make_recommendation(session, mission, title="Name care homes")
    foreign = make_recommendation(session, other_mission, title="Something else")

    offered = services.list_citable_sources(session, mission.slug)
    assert [ref.key for ref in offered] == [f"missions.recommendation:{own.id}"]

    with pytest.raises(Invalid) as raised:
        services.publish_statement_version(
            session,
            mission.slug,
            text="A new wording.",
            rationale="Because.",
            source_keys=[f"missions.recommendation:{foreign.id}"],
            actor=officer,
        )
    assert raised.value.field == "sources"
    with pytest.raises(Invalid):
        services.publish_statement_version(
            session,
            mission.slug,
            text="A new wording.",
            rationale="Because.",
            source_keys=["missions.recommendation:999999"],
            actor=officer,
        )
    assert count(session, StatementVersion) == 2  # one per mission, from the factory
    assert count(session, StatementSource) == 0


def test_cited_sources_are_stored_with_their_label(session: Session, officer: User) -> None:
    mission = make_mission(session)
    recommendation = make_recommendation(session, mission, title="Name care homes")
    key = f"missions.recommendation:{recommendation.id}"

    version = services.publish_statement_version(
        session,
        mission.slug,
        text="Every street healthy, near every school and care home.",
        rationale="The jury asked us to name care homes.",
        source_keys=[key, key],
        actor=officer,
    )

    assert [(s.source_kind, s.source_id, s.label) for s in version.sources] == [
        ("missions.recommendation", recommendation.id, "Citizens' jury: Name care homes")
    ]
    [entry] = audit_entries(session, "mission.statement_published")
    assert entry.subject == f"mission:{mission.id}"
    assert entry.actor_id == officer.id
    assert entry.details == {"version": 2, "sources": [key]}


# --- Outcomes and indicators --------------------------------------------------------------------


def indicator_fields(**changes: Any) -> services.IndicatorFields:
    fields = services.IndicatorFields(
        name="Annual mean NO2",
        unit="µg/m³",
        baseline=40.0,
        target=20.0,
        direction=Direction.DECREASE,
        latest_value=30.0,
        latest_value_on=date(2025, 12, 31),
        latest_value_source="Monitoring network",
    )
    return replace(fields, **changes)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"target": 40.0}, "target"),
        ({"direction": Direction.INCREASE}, "direction"),
        ({"baseline": 10.0, "target": 20.0, "direction": Direction.DECREASE}, "direction"),
        ({"latest_value_on": None}, "latest_value_on"),
        ({"latest_value": None}, "latest_value_on"),
    ],
)
def test_indicator_rules(
    session: Session, officer: User, changes: dict[str, Any], field: str
) -> None:
    outcome = make_outcome(session, make_mission(session))

    with pytest.raises(Invalid) as raised:
        services.add_indicator(session, outcome.id, indicator_fields(**changes), actor=officer)
    assert raised.value.field == field

    existing = make_indicator(session, outcome)
    with pytest.raises(Invalid) as raised:
        services.update_indicator(session, existing.id, indicator_fields(**changes), actor=officer)
    assert raised.value.field == field
    session.rollback()
    assert count(session, Indicator) == 1
    assert audit_entries(session) == []


def test_a_valid_indicator_is_added_and_audited(session: Session, officer: User) -> None:
    outcome = make_outcome(session, make_mission(session))
    indicator = services.add_indicator(
        session,
        outcome.id,
        indicator_fields(
            baseline=48.0,
            target=65.0,
            direction=Direction.INCREASE,
            latest_value=None,
            latest_value_on=None,
        ),
        actor=officer,
    )
    assert indicator.outcome_id == outcome.id
    [entry] = audit_entries(session, "mission.indicator_added")
    assert entry.subject == f"indicator:{indicator.id}"
    assert entry.details["direction"] == "increase"


@pytest.mark.parametrize(
    ("baseline", "target", "direction", "latest", "progress"),
    [
        (40.0, 20.0, Direction.DECREASE, 30.0, 0.5),
        (40.0, 20.0, Direction.DECREASE, 40.0, 0.0),
        (40.0, 20.0, Direction.DECREASE, 15.0, 1.25),
        (40.0, 20.0, Direction.DECREASE, 44.0, -0.2),
        (48.0, 65.0, Direction.INCREASE, 53.0, 5 / 17),
        (48.0, 65.0, Direction.INCREASE, None, None),
    ],
)
def test_indicator_progress(
    session: Session,
    baseline: float,
    target: float,
    direction: Direction,
    latest: float | None,
    progress: float | None,
) -> None:
    outcome = make_outcome(session, make_mission(session))
    indicator = make_indicator(
        session, outcome, baseline=baseline, target=target, direction=direction, latest_value=latest
    )
    assert indicator.progress == (None if progress is None else pytest.approx(progress))


# --- The register -------------------------------------------------------------------------------


def recommendation_fields(
    received_on: date, response_due: date | None = None
) -> services.RecommendationFields:
    return services.RecommendationFields(
        source_kind=RecommendationSourceKind.JURY,
        source_label="Citizens' Jury on Healthy Streets",
        title="Name older residents",
        text="Name care homes alongside schools.",
        received_on=received_on,
        response_due=response_due,
    )


def test_a_recommendation_is_due_eight_weeks_after_it_arrived(
    session: Session, officer: User
) -> None:
    mission = make_mission(session)
    recommendation = services.add_recommendation(
        session, mission.slug, recommendation_fields(date(2026, 3, 2)), actor=officer
    )
    assert recommendation.response_due == date(2026, 4, 27)
    [entry] = audit_entries(session, "recommendation.added")
    assert entry.details == {"mission": mission.id, "source": "jury", "due": "2026-04-27"}

    chosen = services.add_recommendation(
        session, mission.slug, recommendation_fields(date(2026, 3, 2), date(2026, 3, 2)), actor=None
    )
    assert chosen.response_due == date(2026, 3, 2)
    assert chosen.created_by_id is None


def test_a_response_cannot_be_due_before_the_recommendation_arrived(
    session: Session, officer: User
) -> None:
    mission = make_mission(session)
    with pytest.raises(Invalid) as raised:
        services.add_recommendation(
            session,
            mission.slug,
            recommendation_fields(date(2026, 3, 2), date(2026, 3, 1)),
            actor=officer,
        )
    assert raised.value.field == "response_due"
    assert services.get_register(session, mission.id, date(2026, 3, 2)).recommendations == []


def response_fields(
    decision: Decision = Decision.ACCEPTED, responded_on: date = date(2026, 3, 20)
) -> services.ResponseFields:
    return services.ResponseFields(
        decision=decision,
        rationale="We agree.",
        responder_name="Cabinet Member for Environment",
        responded_on=responded_on,
    )


def test_respond_then_amend_keeps_one_response_and_both_audit_entries(
    session: Session, officer: User
) -> None:
    recommendation = make_recommendation(
        session, make_mission(session), received_on=date(2026, 3, 2)
    )
    other_officer = make_user(session, role=Role.OFFICER)

    services.respond_to_recommendation(session, recommendation.id, response_fields(), actor=officer)
    services.respond_to_recommendation(
        session,
        recommendation.id,
        response_fields(Decision.PARTLY_ACCEPTED, date(2026, 3, 27)),
        actor=other_officer,
    )

    session.expire_all()
    [response] = session.scalars(sa.select(RecommendationResponse))
    assert response.recommendation_id == recommendation.id
    assert response.decision is Decision.PARTLY_ACCEPTED
    assert response.responded_on == date(2026, 3, 27)
    assert response.responder_id == other_officer.id
    entries = audit_entries(session)
    assert [(e.action, e.subject, e.actor_id) for e in entries] == [
        ("recommendation.responded", f"recommendation:{recommendation.id}", officer.id),
        (
            "recommendation.response_amended",
            f"recommendation:{recommendation.id}",
            other_officer.id,
        ),
    ]
    assert entries[1].details == {"decision": "partly_accepted", "responded_on": "2026-03-27"}


def test_a_response_cannot_be_dated_before_the_recommendation(
    session: Session, officer: User
) -> None:
    recommendation = make_recommendation(
        session, make_mission(session), received_on=date(2026, 3, 2)
    )
    with pytest.raises(Invalid) as raised:
        services.respond_to_recommendation(
            session,
            recommendation.id,
            response_fields(responded_on=date(2026, 3, 1)),
            actor=officer,
        )
    assert raised.value.field == "responded_on"
    assert count(session, RecommendationResponse) == 0


def test_implementation_updates_need_a_response_first(session: Session, officer: User) -> None:
    recommendation = make_recommendation(session, make_mission(session))

    with pytest.raises(Invalid) as raised:
        services.add_implementation_update(
            session,
            recommendation.id,
            status=ImplementationStatus.IN_PROGRESS,
            note="Started.",
            actor=officer,
        )
    assert raised.value.field == "status"
    assert count(session, ImplementationUpdate) == 0

    make_response(session, recommendation)
    update = services.add_implementation_update(
        session,
        recommendation.id,
        status=ImplementationStatus.IN_PROGRESS,
        note="Started.",
        actor=officer,
    )
    assert update.recommendation_id == recommendation.id
    [entry] = audit_entries(session, "recommendation.update_added")
    assert entry.details == {"status": "in_progress"}


def test_register_counts_and_overdue(session: Session) -> None:
    today = date(2026, 6, 1)
    mission = make_mission(session)
    overdue = make_recommendation(
        session, mission, title="Overdue", received_on=today - timedelta(weeks=10)
    )
    late = make_recommendation(
        session, mission, title="Answered late", received_on=today - timedelta(weeks=12)
    )
    make_response(
        session, late, decision=Decision.NOT_ACCEPTED, responded_on=today - timedelta(days=3)
    )
    on_time = make_recommendation(
        session, mission, title="On time", received_on=today - timedelta(weeks=6)
    )
    make_response(session, on_time, responded_on=today - timedelta(weeks=5))
    due_today = make_recommendation(
        session, mission, title="Due today", received_on=today - timedelta(weeks=8)
    )
    awaiting = make_recommendation(
        session, mission, title="Awaiting", received_on=today - timedelta(weeks=1)
    )
    make_recommendation(session, make_mission(session), received_on=today - timedelta(weeks=20))

    register = services.get_register(session, mission.id, today)

    assert register.counts == {
        "accepted": 1,
        "partly_accepted": 0,
        "not_accepted": 1,
        "awaiting": 2,
        "overdue": 1,
    }
    assert [r.id for r in register.overdue()] == [overdue.id]
    assert late.answered_late
    assert not late.is_overdue(today)
    assert not on_time.answered_late
    assert not due_today.is_overdue(today)
    assert due_today.is_overdue(today + timedelta(days=1))
    assert [r.id for r in register.recommendations] == [
        awaiting.id,
        on_time.id,
        due_today.id,
        overdue.id,
        late.id,
    ]
