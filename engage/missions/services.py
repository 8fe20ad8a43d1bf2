"""Mission use cases: missions, statement versions, outcomes and indicators, the portfolio, and the
recommendation-and-response register. Every change by an officer is audit-logged in its own
transaction."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from slugify import slugify as make_slug
from sqlalchemy.orm import Session, selectinload

from engage import audit
from engage.accounts.models import User
from engage.errors import N_, Conflict, Invalid, NotFound
from engage.missions.models import (
    Decision,
    Direction,
    ImplementationStatus,
    ImplementationUpdate,
    Indicator,
    Mission,
    MissionProject,
    MissionStatus,
    Outcome,
    ProjectStatus,
    Recommendation,
    RecommendationResponse,
    RecommendationSourceKind,
    StatementSource,
    StatementVersion,
)
from engage.missions.sources import SourceRef, citable_sources, register_source_provider

RESPONSE_PERIOD = timedelta(weeks=8)


# --- Inputs: what the forms hand over ---------------------------------------------------------


@dataclass
class MissionFields:
    title: str
    slug: str
    challenge: str
    team: str
    target_date: date | None
    status: MissionStatus


@dataclass
class OutcomeFields:
    title: str
    description: str


@dataclass
class IndicatorFields:
    name: str
    unit: str
    baseline: float
    target: float
    direction: Direction
    latest_value: float | None
    latest_value_on: date | None
    latest_value_source: str


@dataclass
class ProjectFields:
    name: str
    lead_organisation: str
    status: ProjectStatus
    description: str


@dataclass
class RecommendationFields:
    source_kind: RecommendationSourceKind
    source_label: str
    title: str
    text: str
    received_on: date
    response_due: date | None


@dataclass
class ResponseFields:
    decision: Decision
    rationale: str
    responder_name: str
    responded_on: date


def slugify(text: str) -> str:
    """A web address from any title: "Straßen für alle" → "strassen-fur-alle"."""
    return make_slug(text, max_length=80, word_boundary=True) or "mission"


def _apply(target: Any, values: Any) -> dict[str, list[Any]]:
    """Copy a fields dataclass onto a row; return what changed as {field: [before, after]}."""
    changed: dict[str, list[Any]] = {}
    for field in fields(values):
        before, after = getattr(target, field.name), getattr(values, field.name)
        if before != after:
            changed[field.name] = [before, after]
            setattr(target, field.name, after)
    return changed


# --- Missions ---------------------------------------------------------------------------------


def list_missions(session: Session, *, include_drafts: bool) -> list[Mission]:
    query = sa.select(Mission).options(selectinload(Mission.versions)).order_by(Mission.title)
    if not include_drafts:
        query = query.where(Mission.status != MissionStatus.DRAFT)
    return list(session.scalars(query))


def get_mission(session: Session, slug: str, *, include_drafts: bool) -> Mission:
    mission = session.scalar(sa.select(Mission).where(Mission.slug == slug))
    if mission is None or (mission.status is MissionStatus.DRAFT and not include_drafts):
        raise NotFound(N_("There is no mission at this address."))
    return mission


def _unique_slug(session: Session, wanted: str, *, mission_id: int | None) -> str:
    taken = session.scalar(sa.select(Mission.id).where(Mission.slug == wanted))
    if taken is not None and taken != mission_id:
        raise Conflict(N_("Another mission already uses this web address."), field="slug")
    return wanted


def create_mission(
    session: Session, values: MissionFields, statement: str, *, actor: User
) -> Mission:
    """A new mission with its first statement version."""
    values.slug = _unique_slug(session, slugify(values.slug or values.title), mission_id=None)
    mission = Mission(**asdict(values))
    mission.versions.append(
        StatementVersion(number=1, text=statement, rationale="First version.", author_id=actor.id)
    )
    session.add(mission)
    session.flush()
    audit.record(session, actor, "mission.created", f"mission:{mission.id}", {"slug": mission.slug})
    session.commit()
    return mission


def update_mission(session: Session, slug: str, values: MissionFields, *, actor: User) -> Mission:
    mission = get_mission(session, slug, include_drafts=True)
    values.slug = _unique_slug(session, slugify(values.slug or values.title), mission_id=mission.id)
    changed = _apply(mission, values)
    if changed:
        audit.record(session, actor, "mission.updated", f"mission:{mission.id}", changed)
    session.commit()
    return mission


# --- Statement versions -----------------------------------------------------------------------


def publish_statement_version(
    session: Session,
    slug: str,
    *,
    text: str,
    rationale: str,
    source_keys: list[str],
    actor: User,
) -> StatementVersion:
    """A new current statement, with why it changed and the contributions behind the change."""
    mission = get_mission(session, slug, include_drafts=True)
    version = add_statement_version(
        session, mission, text=text, rationale=rationale, source_keys=source_keys, actor=actor
    )
    session.commit()
    return version


def add_statement_version(
    session: Session,
    mission: Mission,
    *,
    text: str,
    rationale: str,
    source_keys: list[str],
    actor: User,
) -> StatementVersion:
    """The work of ``publish_statement_version`` without the commit, for a service of another
    domain that publishes a version as part of its own change (a co-design synthesis)."""
    current = mission.current_version
    if current is not None and current.text.strip() == text.strip():
        raise Invalid(
            N_("This is the same as the current statement. Change the wording first."), field="text"
        )
    offered = {ref.key: ref for ref in citable_sources(session, mission.id)}
    unknown = [key for key in source_keys if key not in offered]
    if unknown:
        raise Invalid(
            N_("Some of the chosen sources are not available for this mission."), field="sources"
        )
    number = (current.number if current else 0) + 1
    version = StatementVersion(number=number, text=text, rationale=rationale, author_id=actor.id)
    version.sources = [
        StatementSource(source_kind=ref.kind, source_id=ref.id, label=ref.label[:300])
        for ref in (offered[key] for key in dict.fromkeys(source_keys))
    ]
    mission.versions.append(version)
    session.flush()
    audit.record(
        session,
        actor,
        "mission.statement_published",
        f"mission:{mission.id}",
        {"version": number, "sources": list(dict.fromkeys(source_keys))},
    )
    return version


def list_citable_sources(session: Session, slug: str) -> list[SourceRef]:
    mission = get_mission(session, slug, include_drafts=True)
    return citable_sources(session, mission.id)


class _RecommendationSources:
    """The register's own recommendations can be cited by a statement version."""

    kind = "missions.recommendation"

    def citable(self, session: Session, mission_id: int) -> list[SourceRef]:
        rows = session.scalars(
            sa.select(Recommendation)
            .where(Recommendation.mission_id == mission_id)
            .order_by(Recommendation.id)
        )
        return [SourceRef(self.kind, row.id, f"{row.source_label}: {row.title}") for row in rows]


register_source_provider(_RecommendationSources())


# --- Outcomes, indicators and the portfolio ---------------------------------------------------


def _get(session: Session, model: type[Any], row_id: int) -> Any:
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(N_("There is no such item."))
    return row


def get_outcome(session: Session, outcome_id: int) -> Outcome:
    outcome: Outcome = _get(session, Outcome, outcome_id)
    return outcome


def get_indicator(session: Session, indicator_id: int) -> Indicator:
    indicator: Indicator = _get(session, Indicator, indicator_id)
    return indicator


def get_project(session: Session, project_id: int) -> MissionProject:
    project: MissionProject = _get(session, MissionProject, project_id)
    return project


def _check_indicator(values: IndicatorFields) -> None:
    if values.target == values.baseline:
        raise Invalid(N_("The target must differ from the baseline."), field="target")
    heading_up = values.target > values.baseline
    if heading_up != (values.direction is Direction.INCREASE):
        raise Invalid(
            N_("The target is on the wrong side of the baseline for the chosen direction."),
            field="direction",
        )
    if (values.latest_value is None) != (values.latest_value_on is None):
        raise Invalid(
            N_("Give the latest value together with the date it was measured."),
            field="latest_value_on",
        )


def add_outcome(session: Session, slug: str, values: OutcomeFields, *, actor: User) -> Outcome:
    mission = get_mission(session, slug, include_drafts=True)
    outcome = Outcome(mission=mission, **asdict(values))
    session.add(outcome)
    session.flush()
    audit.record(session, actor, "mission.outcome_added", f"outcome:{outcome.id}", asdict(values))
    session.commit()
    return outcome


def update_outcome(
    session: Session, outcome_id: int, values: OutcomeFields, *, actor: User
) -> Outcome:
    outcome = get_outcome(session, outcome_id)
    changed = _apply(outcome, values)
    if changed:
        audit.record(session, actor, "mission.outcome_updated", f"outcome:{outcome.id}", changed)
    session.commit()
    return outcome


def add_indicator(
    session: Session, outcome_id: int, values: IndicatorFields, *, actor: User
) -> Indicator:
    outcome = get_outcome(session, outcome_id)
    _check_indicator(values)
    indicator = Indicator(outcome=outcome, **asdict(values))
    session.add(indicator)
    session.flush()
    audit.record(
        session, actor, "mission.indicator_added", f"indicator:{indicator.id}", asdict(values)
    )
    session.commit()
    return indicator


def update_indicator(
    session: Session, indicator_id: int, values: IndicatorFields, *, actor: User
) -> Indicator:
    indicator = get_indicator(session, indicator_id)
    _check_indicator(values)
    changed = _apply(indicator, values)
    if changed:
        audit.record(
            session, actor, "mission.indicator_updated", f"indicator:{indicator.id}", changed
        )
    session.commit()
    return indicator


def add_project(
    session: Session, slug: str, values: ProjectFields, *, actor: User
) -> MissionProject:
    mission = get_mission(session, slug, include_drafts=True)
    project = MissionProject(mission=mission, **asdict(values))
    session.add(project)
    session.flush()
    audit.record(
        session, actor, "mission.project_added", f"project:{project.id}", {"name": project.name}
    )
    session.commit()
    return project


def update_project(
    session: Session, project_id: int, values: ProjectFields, *, actor: User
) -> MissionProject:
    project = get_project(session, project_id)
    changed = _apply(project, values)
    if changed:
        audit.record(session, actor, "mission.project_updated", f"project:{project.id}", changed)
    session.commit()
    return project


# --- The recommendation-and-response register -------------------------------------------------


def default_response_due(received_on: date) -> date:
    return received_on + RESPONSE_PERIOD


def add_recommendation(
    session: Session,
    slug: str,
    values: RecommendationFields,
    *,
    actor: User | None,
    source_id: int | None = None,
) -> Recommendation:
    """Enter a recommendation; other domains pass their own kind and id (a jury, a group...)."""
    mission = get_mission(session, slug, include_drafts=True)
    recommendation = enter_recommendation(
        session, mission, values, actor=actor, source_id=source_id
    )
    session.commit()
    return recommendation


def enter_recommendation(
    session: Session,
    mission: Mission,
    values: RecommendationFields,
    *,
    actor: User | None,
    source_id: int | None = None,
) -> Recommendation:
    """The work of ``add_recommendation`` without the commit, for a service of another domain
    that enters a recommendation as part of its own change (an advisory group adopting one)."""
    due = values.response_due or default_response_due(values.received_on)
    if due < values.received_on:
        raise Invalid(
            N_("The response cannot be due before the recommendation was received."),
            field="response_due",
        )
    recommendation = Recommendation(
        mission=mission,
        source_kind=values.source_kind,
        source_id=source_id,
        source_label=values.source_label,
        title=values.title,
        text=values.text,
        received_on=values.received_on,
        response_due=due,
        created_by_id=actor.id if actor else None,
    )
    session.add(recommendation)
    session.flush()
    audit.record(
        session,
        actor,
        "recommendation.added",
        f"recommendation:{recommendation.id}",
        {"mission": mission.id, "source": values.source_kind.value, "due": due.isoformat()},
    )
    return recommendation


def get_recommendation(session: Session, recommendation_id: int) -> Recommendation:
    recommendation: Recommendation = _get(session, Recommendation, recommendation_id)
    return recommendation


def respond_to_recommendation(
    session: Session, recommendation_id: int, values: ResponseFields, *, actor: User
) -> RecommendationResponse:
    """Record the formal response; a second call amends it, and the audit log keeps both."""
    recommendation = get_recommendation(session, recommendation_id)
    if values.responded_on < recommendation.received_on:
        raise Invalid(
            N_("The response cannot be dated before the recommendation was received."),
            field="responded_on",
        )
    response = recommendation.response
    action = "recommendation.response_amended" if response else "recommendation.responded"
    if response is None:
        response = RecommendationResponse(responder_id=actor.id, **asdict(values))
        recommendation.response = response
    else:
        _apply(response, ResponseFields(**asdict(values)))
        response.responder_id = actor.id
    session.flush()
    audit.record(
        session,
        actor,
        action,
        f"recommendation:{recommendation.id}",
        {"decision": values.decision.value, "responded_on": values.responded_on.isoformat()},
    )
    session.commit()
    return response


def add_implementation_update(
    session: Session,
    recommendation_id: int,
    *,
    status: ImplementationStatus,
    note: str,
    actor: User,
) -> ImplementationUpdate:
    recommendation = get_recommendation(session, recommendation_id)
    if recommendation.response is None:
        raise Invalid(
            N_("Record the formal response before implementation updates."), field="status"
        )
    update = ImplementationUpdate(status=status, note=note, author_id=actor.id)
    recommendation.updates.append(update)
    session.flush()
    audit.record(
        session,
        actor,
        "recommendation.update_added",
        f"recommendation:{recommendation.id}",
        {"status": status.value},
    )
    session.commit()
    return update


@dataclass(frozen=True)
class Register:
    recommendations: list[Recommendation]
    today: date
    counts: dict[str, int]

    def overdue(self) -> list[Recommendation]:
        return [r for r in self.recommendations if r.is_overdue(self.today)]


def register_status(recommendation: Recommendation, today: date) -> str:
    """One status per recommendation, for counting and for the register's legend."""
    if recommendation.response is not None:
        return recommendation.response.decision.value
    return "overdue" if recommendation.is_overdue(today) else "awaiting"


def get_register(session: Session, mission_id: int, today: date) -> Register:
    recommendations = list(
        session.scalars(
            sa.select(Recommendation)
            .where(Recommendation.mission_id == mission_id)
            .options(selectinload(Recommendation.response), selectinload(Recommendation.updates))
            .order_by(Recommendation.received_on.desc(), Recommendation.id.desc())
        )
    )
    counts = Counter(register_status(r, today) for r in recommendations)
    ordered = ["accepted", "partly_accepted", "not_accepted", "awaiting", "overdue"]
    return Register(recommendations, today, {key: counts.get(key, 0) for key in ordered})
