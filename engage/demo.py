"""A believable demo city: one mission with its outcomes, statement history, portfolio and register.

Seeding is idempotent: a second run finds the mission and changes nothing.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from sqlalchemy.orm import Session

from engage.accounts import services as accounts
from engage.accounts.models import User
from engage.errors import NotFound
from engage.missions import services as missions
from engage.missions.models import (
    Decision,
    Direction,
    ImplementationStatus,
    MissionStatus,
    ProjectStatus,
    RecommendationSourceKind,
)
from engage.security import Role

DEMO_SLUG = "healthy-streets-2030"
DEMO_DOMAIN = "demo.engage.example"

STATEMENTS = [
    (
        "By 2030 every street in the borough will be healthy: clean air, safe crossings and "
        "space to walk and play.",
        "",
    ),
    (
        "By 2030 every street in the borough will be healthy: air that meets the World Health "
        "Organization's guideline, safe crossings near every school, and space to walk, sit "
        "and play within five minutes of every home.",
        "The co-design round asked for measurable promises. We tied clean air to the WHO "
        "guideline and named schools, where residents' concerns were strongest.",
    ),
    (
        "By 2030 every street in the borough will be healthy for everyone who uses it: air that "
        "meets the World Health Organization's guideline, safe crossings near every school and "
        "care home, and space to walk, sit and play within five minutes of every home.",
        "The citizens' jury recommended that older residents be named alongside children. We "
        "added care homes and made clear the mission covers everyone who uses a street.",
    ),
]


def seed(session: Session, today: date | None = None) -> dict[str, tuple[str, str]] | None:
    """Create the demo data; return {role: (e-mail, password)}, or None if it already exists."""
    today = today or date.today()
    try:
        missions.get_mission(session, DEMO_SLUG, include_drafts=True)
    except NotFound:
        pass
    else:
        return None

    credentials: dict[str, tuple[str, str]] = {}
    people: dict[Role, User] = {}
    for role, name in [
        (Role.ADMIN, "Alex Admin"),
        (Role.OFFICER, "Olu Officer"),
        (Role.EVALUATOR, "Eva Evaluator"),
        (Role.RESIDENT, "Rosa Resident"),
    ]:
        email = f"{role.value}@{DEMO_DOMAIN}"
        password = secrets.token_urlsafe(12)
        existing = accounts.get_user_by_email(session, email)
        if existing is not None:
            people[role] = existing
            continue
        people[role] = accounts.create_user(
            session, display_name=name, email=email, password=password, roles={role}, actor=None
        )
        credentials[role.value] = (email, password)
    officer = people[Role.OFFICER]

    missions.create_mission(
        session,
        missions.MissionFields(
            title="Healthy streets for every neighbourhood by 2030",
            slug=DEMO_SLUG,
            challenge=(
                "One in four children in the borough lives on a street where nitrogen dioxide "
                "exceeds the legal limit, traffic injuries fall hardest on the poorest wards, and "
                "many older residents say they no longer walk to the shops."
            ),
            team="Healthy Streets Mission Team, Environment and Public Health",
            target_date=date(2030, 12, 31),
            status=MissionStatus.ACTIVE,
        ),
        STATEMENTS[0][0],
        actor=officer,
    )

    air = missions.add_outcome(
        session,
        DEMO_SLUG,
        missions.OutcomeFields("Cleaner air", "Air on every street meets the WHO guideline."),
        actor=officer,
    )
    travel = missions.add_outcome(
        session,
        DEMO_SLUG,
        missions.OutcomeFields(
            "More walking and cycling", "Short trips are made on foot or by bike."
        ),
        actor=officer,
    )
    safety = missions.add_outcome(
        session,
        DEMO_SLUG,
        missions.OutcomeFields(
            "Safer streets", "Nobody is killed or seriously injured on our streets."
        ),
        actor=officer,
    )
    for outcome, fields in [
        (
            air,
            missions.IndicatorFields(
                "Annual mean nitrogen dioxide at roadside monitors",
                "µg/m³",
                38.0,
                10.0,
                Direction.DECREASE,
                29.0,
                date(2025, 12, 31),
                "Borough air quality monitoring network, 2025 annual report",
            ),
        ),
        (
            air,
            missions.IndicatorFields(
                "Schools on roads above the NO₂ limit",
                "schools",
                14.0,
                0.0,
                Direction.DECREASE,
                6.0,
                date(2025, 9, 1),
                "Public health team analysis of monitoring data",
            ),
        ),
        (
            travel,
            missions.IndicatorFields(
                "Share of trips made on foot or by bicycle",
                "%",
                48.0,
                65.0,
                Direction.INCREASE,
                53.0,
                date(2025, 11, 30),
                "Travel in London survey, borough sample",
            ),
        ),
        (
            safety,
            missions.IndicatorFields(
                "People killed or seriously injured on borough roads",
                "people per year",
                92.0,
                0.0,
                Direction.DECREASE,
                71.0,
                date(2025, 12, 31),
                "Police collision records (STATS19)",
            ),
        ),
    ]:
        missions.add_indicator(session, outcome.id, fields, actor=officer)

    for name, lead, status, description in [
        (
            "School Streets",
            "Borough Highways",
            ProjectStatus.ACTIVE,
            "Timed closures outside 30 primary schools at drop-off and pick-up.",
        ),
        (
            "Low-traffic neighbourhoods in the north wards",
            "Borough Transport Strategy",
            ProjectStatus.ACTIVE,
            "Filters that stop through-traffic while keeping every home reachable.",
        ),
        (
            "Parklets and pocket parks",
            "Neighbourhood forums with Parks team",
            ProjectStatus.PLANNED,
            "Twenty parking bays turned into seating and planting, chosen by residents.",
        ),
        (
            "Clean-air monitoring with schools",
            "University partner and six schools",
            ProjectStatus.COMPLETED,
            "Pupils ran diffusion tubes for a year; the data now feeds the air indicator.",
        ),
    ]:
        missions.add_project(
            session,
            DEMO_SLUG,
            missions.ProjectFields(name, lead, status, description),
            actor=officer,
        )

    def recommendation(
        kind: RecommendationSourceKind, label: str, title: str, text: str, weeks_ago: int
    ) -> int:
        received = today - timedelta(weeks=weeks_ago)
        fields = missions.RecommendationFields(kind, label, title, text, received, None)
        return missions.add_recommendation(session, DEMO_SLUG, fields, actor=officer).id

    jury = recommendation(
        RecommendationSourceKind.JURY,
        "Citizens' Jury on Healthy Streets",
        "Name older residents in the mission",
        "The mission speaks about children but older residents also stop walking when streets feel "
        "unsafe. Name care homes alongside schools and measure how far older people walk.",
        20,
    )
    advisory = recommendation(
        RecommendationSourceKind.ADVISORY_GROUP,
        "Healthy Streets Advisory Group",
        "Publish air quality data street by street",
        "Publish monitoring results every month, for every monitored street, in plain language.",
        16,
    )
    codesign = recommendation(
        RecommendationSourceKind.CODESIGN_ROUND,
        "Co-design round 2: what makes a street healthy?",
        "Ban all cars from the town centre at weekends",
        "Residents in round 2 proposed closing the whole town centre to cars on Saturdays and Sundays.",
        14,
    )
    recommendation(
        RecommendationSourceKind.OFFICER,
        "Letter from the Youth Council",
        "Safe cycle routes to every secondary school",
        "Young people asked for protected cycle routes to each secondary school by 2028.",
        10,  # more than 8 weeks ago with no response: shown as overdue
    )
    recommendation(
        RecommendationSourceKind.JURY,
        "Citizens' Jury on Healthy Streets",
        "Free bike maintenance sessions",
        "Run monthly free bike repair sessions in each ward.",
        2,
    )

    for rec_id, decision, rationale, weeks_ago in [
        (
            jury,
            Decision.ACCEPTED,
            "We agree. Care homes are now named in the mission statement and a walking measure for "
            "over-65s will be added to the indicators.",
            15,
        ),
        (
            advisory,
            Decision.PARTLY_ACCEPTED,
            "We will publish monthly data for every monitored street. Plain-language summaries will be "
            "quarterly, as the monitoring team is small.",
            9,
        ),
        (
            codesign,
            Decision.NOT_ACCEPTED,
            "A full weekend closure would cut off disabled residents and deliveries to 40 homes. We "
            "will instead trial two car-free Sundays a year and report back.",
            8,
        ),
    ]:
        missions.respond_to_recommendation(
            session,
            rec_id,
            missions.ResponseFields(
                decision,
                rationale,
                "Cabinet Member for Environment",
                today - timedelta(weeks=weeks_ago),
            ),
            actor=officer,
        )
    missions.add_implementation_update(
        session,
        jury,
        status=ImplementationStatus.DONE,
        note="Statement version 3 names care homes.",
        actor=officer,
    )
    missions.add_implementation_update(
        session,
        advisory,
        status=ImplementationStatus.IN_PROGRESS,
        note="Monthly street-level data published since September; first quarterly summary due in January.",
        actor=officer,
    )

    missions.publish_statement_version(
        session,
        DEMO_SLUG,
        text=STATEMENTS[1][0],
        rationale=STATEMENTS[1][1],
        source_keys=[],
        actor=officer,
    )
    missions.publish_statement_version(
        session,
        DEMO_SLUG,
        text=STATEMENTS[2][0],
        rationale=STATEMENTS[2][1],
        source_keys=[f"missions.recommendation:{jury}"],
        actor=officer,
    )
    return credentials
