"""A believable demo city: one mission with its outcomes, statement history, portfolio and register.

Seeding is idempotent: a second run finds the mission and changes nothing.
"""

from __future__ import annotations

import csv
import io
import random
import secrets
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from engage.accounts import services as accounts
from engage.accounts.models import User
from engage.advisory import meetings as advisory_meetings
from engage.advisory import services as advisory_services
from engage.advisory import workspace as advisory_workspace
from engage.advisory.models import Attendance, MemberRole, SeatFilling
from engage.appraisals import areas as appraisal_areas
from engage.appraisals import instruments, mapping, projects, review, submissions
from engage.appraisals.models import AppraisalKind, FieldType, Status, SubmissionState
from engage.codesign import services as codesign
from engage.codesign import syntheses
from engage.codesign.models import Moderation, PriorityMethod, RoundKind
from engage.errors import NotFound
from engage.juries import services as juries
from engage.juries.models import JuryStatus
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

    mission_id = missions.get_mission(session, DEMO_SLUG, include_drafts=True).id
    group = advisory_services.create_group(
        session, advisory_group_fields(officer, mission_id), actor=officer
    )

    def recommendation(
        kind: RecommendationSourceKind,
        label: str,
        title: str,
        text: str,
        weeks_ago: int,
        source_id: int | None = None,
    ) -> int:
        received = today - timedelta(weeks=weeks_ago)
        fields = missions.RecommendationFields(kind, label, title, text, received, None)
        return missions.add_recommendation(
            session, DEMO_SLUG, fields, actor=officer, source_id=source_id
        ).id

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
        source_id=group.id,
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
    mission = missions.get_mission(session, DEMO_SLUG, include_drafts=True)
    seed_jury(session, mission.id, officer, today)
    seed_codesign(session, officer, people[Role.RESIDENT], today)
    seed_advisory(session, group.slug, officer, people[Role.RESIDENT], today)
    seed_appraisals(session, officer, people[Role.EVALUATOR], people[Role.RESIDENT])
    return credentials


# --- A citizens' jury taking volunteers ------------------------------------------------------------

JURY_FEATURES = [
    # key, label, answers with the population share (%) and how often volunteers give them
    ("gender", "Gender", [("Female", 51.0, 0.56), ("Male", 48.0, 0.42), ("Non-binary", 1.0, 0.02)]),
    (
        "age_band",
        "Age",
        [("16-29", 22.0, 0.12), ("30-44", 27.0, 0.22), ("45-64", 31.0, 0.36), ("65+", 20.0, 0.30)],
    ),
    (
        "area",
        "Where you live",
        [("North", 33.0, 0.30), ("Central", 34.0, 0.42), ("South", 33.0, 0.28)],
    ),
]
FIRST_NAMES = [
    "Amara", "Ben", "Chen", "Dara", "Elif", "Femi", "Grace", "Hamid", "Ines", "Jonah", "Kofi",
    "Leila", "Marek", "Nia", "Oskar", "Priya", "Quinn", "Rosa", "Sami", "Tariq", "Uma", "Vera",
]  # fmt: skip
LAST_NAMES = [
    "Adeyemi", "Brown", "Costa", "Duffy", "Evans", "Fischer", "Gupta", "Hughes", "Ibrahim",
    "Jones", "Khan", "Lopez", "Murphy", "Novak", "Okafor", "Patel", "Reid", "Smith", "Walsh",
]  # fmt: skip
STREETS = {"North": "Highgate Road", "Central": "Market Street", "South": "Riverside Walk"}
POSTCODES = {"North": "NW5 1AA", "Central": "WC1 2BB", "South": "SE1 3CC"}


def _demo_people(count: int) -> bytes:
    """A fictional pool, skewed the way volunteer pools are (older, fewer young people), with
    some people sharing a home."""
    rng = random.Random(2030)  # the same demo every time
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["id", "first_name", "last_name", "email", "address_line1", "city", "postcode"]
        + [key for key, _, _ in JURY_FEATURES]
    )
    previous_address: tuple[str, str] | None = None
    for number in range(1, count + 1):
        answers = [
            rng.choices([a for a, _, _ in options], [w for _, _, w in options])[0]
            for _, _, options in JURY_FEATURES
        ]
        area = answers[2]
        if previous_address is not None and rng.random() < 0.1:
            street, postcode = previous_address  # lives with the person before
        else:
            street = f"{rng.randint(1, 240)} {STREETS[area]}"
            postcode = POSTCODES[area]
        previous_address = (street, postcode)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first}.{last}.{number}@{DEMO_DOMAIN}".lower()
        writer.writerow(
            [f"demo-{number:03d}", first, last, email, street, "Borough", postcode, *answers]
        )
    return out.getvalue().encode()


def seed_jury(session: Session, mission_id: int, officer: User, today: date) -> None:
    """A jury for the demo mission: three questions, quotas from census shares, and a pool of 80
    imported volunteers plus two who registered online, whose quotas can be met."""
    jury = juries.create_jury(
        session,
        mission_id,
        juries.JuryFields(
            title="Citizens' Jury on Healthy Streets",
            question="What should the borough do so that every street is healthy by 2030?",
            panel_size=12,
            purpose=(
                "To choose by lot a jury of 12 residents whose gender, age and area match the "
                "borough's, and to contact the people chosen."
            ),
            registration_opens=None,
            registration_closes=datetime.combine(today + timedelta(days=60), time(17), UTC),
            retention_until=today + timedelta(days=365),
            household_rule=True,
            status=JuryStatus.OPEN,
        ),
        actor=officer,
        today=today,
    )
    for key, label, options in JURY_FEATURES:
        juries.add_feature(
            session,
            jury.id,
            juries.FeatureFields(
                label=label,
                key=key,
                values=[answer for answer, _, _ in options],
                allow_prefer_not_to_say=key == "gender",
            ),
            actor=officer,
        )
    shares = {
        (key, answer): share for key, _, options in JURY_FEATURES for answer, share, _ in options
    }
    features = juries.list_features(session, jury.id)
    juries.propose_from_shares(
        session,
        jury.id,
        {v.id: shares.get((f.key, v.key)) for f in features for v in f.values},
        actor=officer,
    )
    juries.import_pool(
        session,
        jury.id,
        _demo_people(80),
        None,
        replace=False,
        consent_text="Fictional demo volunteers: nobody's real personal data.",
        actor=officer,
    )
    chosen = {f.key: f for f in features}
    for name, email, gender, age, area, address in [
        (
            "Rosa Resident",
            f"resident@{DEMO_DOMAIN}",
            "Female",
            "30-44",
            "Central",
            "7 Market Street",
        ),
        ("Yusuf Young", f"yusuf@{DEMO_DOMAIN}", "Male", "16-29", "North", "18 Highgate Road"),
    ]:
        answers = {}
        for key, answer in (("gender", gender), ("age_band", age), ("area", area)):
            feature = chosen[key]
            answers[feature.id] = next(v.id for v in feature.values if v.key == answer)
        juries.register_volunteer(
            session,
            jury.id,
            juries.VolunteerFields(
                name=name,
                email=email,
                phone="",
                address_line1=address,
                address_line2="",
                city="Borough",
                postcode=POSTCODES[area],
                answers=answers,
                consent=True,
            ),
            consent_text="Demo registration: fictional consent.",
            now=datetime.combine(today, time(12), UTC),
        )


# --- Co-design: a finished ideas round, an open statements round, two rounds in preparation ---

IDEAS = [
    ("School streets at drop-off", "Close the roads outside primary schools for half an hour at "
     "drop-off and pick-up, like the pilot on Market Street.", "Central"),
    ("Benches every few hundred metres", "Older neighbours stay in because there is nowhere to "
     "rest on the way to the shops.", "North"),
    ("Trees where the traffic is", "Plant trees on the main roads first: that is where the air "
     "is worst and the summer heat hits hardest.", "South"),
    ("Safe crossings near care homes", "Crossings are timed for fast walkers. Give people more "
     "time near care homes and health centres.", ""),
]  # fmt: skip
# More residents' ideas, each from a different neighbour, who gave an age band and consented to
# its use in evaluation: enough free text for themes, and bands both large enough to show (10 or
# more people) and too small to show (fewer than 10), so the evaluation pages show both.
VOICES = [
    ("Shade on the walk to school", "More street trees along the walk to school: shade in summer and cleaner air for the children.", "Central", "25-34"),
    ("Trees instead of parking", "Swap two parking spaces on every street for trees and planters.", "South", "25-34"),
    ("Green the high street", "The high street has no trees at all. Plant some and add planters outside the shops.", "Central", "35-44"),
    ("Pocket parks", "Turn the empty corner plots into small pocket parks with trees and seating.", "North", "35-44"),
    ("Water the young trees", "Newly planted street trees die in dry summers. Let residents adopt and water a tree.", "South", "45-54"),
    ("Trees on the bus route", "The bus route is hot and dusty. Trees there would cool the street and clean the air.", "South", "25-34"),
    ("Hedges by the playground", "A hedge between the main road and the playground would keep fumes away from children.", "North", "35-44"),
    ("Fruit trees", "Plant fruit trees in the estates so neighbours can share the harvest.", "North", "65-74"),
    ("Slower traffic", "Traffic is too fast on residential streets. A 20 mph limit, enforced, would make walking safer.", "Central", "35-44"),
    ("Speed cameras on the rat run", "Drivers use our street as a rat run at speed. Average speed cameras would stop it.", "North", "45-54"),
    ("Longer crossing times", "The green man is too short for older people. Longer crossing times at every junction, please.", "South", "65-74"),
    ("Zebra crossing by the surgery", "There is no safe crossing near the surgery. A zebra crossing would help patients and parents.", "Central", "35-44"),
    ("Close the rat run", "Filter the rat run with planters so through traffic stays on the main road.", "North", "25-34"),
    ("Safer junction", "The junction by the station is dangerous for cyclists and people walking. Redesign it with a crossing.", "Central", "25-34"),
    ("Fewer lorries", "Heavy lorries speed through at night. Keep them to the main roads and slow them down.", "South", "45-54"),
    ("Wider pavements", "Pavements are too narrow for a pushchair and a wheelchair to pass. Widen them where traffic is slow.", "Central", "35-44"),
    ("Benches at bus stops", "Put benches at every bus stop so older people can sit while they wait.", "North", "65-74"),
    ("Public toilets", "Older people and parents stay home because there are no public toilets. Open the ones in the library to all.", "Central", "65-74"),
    ("Rest stops on the hill", "The hill to the shops is hard for older neighbours. Benches halfway up would let them rest.", "North", "65-74"),
    ("Toilets in the park", "The park toilets are always locked. Open them every day so families can stay longer.", "South", "35-44"),
    ("Seats outside the shops", "Seats outside the shops on the high street would help people who cannot walk far rest.", "Central", "45-54"),
    ("Shelter and benches", "Benches with shelter from the rain at the bus stops near the care home.", "South", "65-74"),
    ("School street for our school", "Make the road outside our primary school a school street at drop-off and pick-up.", "North", "35-44"),
    ("Air sensors at schools", "Measure the air outside every school and publish the readings so parents know.", "Central", "25-34"),
    ("No idling outside schools", "Engines idling outside the school gates fill the playground with fumes. Ban idling there.", "South", "35-44"),
    ("Walking bus", "Help parents run a walking bus to school so fewer children are driven.", "North", "25-34"),
    ("Cleaner air on the school run", "The school run is the worst hour for air. Close the road at drop-off and plant a hedge.", "Central", "35-44"),
    ("Publish the air data", "Publish air quality readings for every street, every month, in plain language.", "South", "25-34"),
    ("Cycle parking at school", "Secure cycle and scooter parking at schools so children can ride instead of being driven.", "Central", "35-44"),
    ("Bike lanes to school", "Protected bike lanes on the main road would let older children cycle to school safely.", "North", "25-34"),
    ("Quiet hours for deliveries", "Deliveries at night keep us awake. Quiet delivery hours on residential streets, please.", "South", "45-54"),
    ("Lights on the path", "The path through the park is dark in winter. Better lighting would make people feel safe walking.", "North", "25-34"),
]  # fmt: skip


DEMO_STATEMENTS = [
    "Streets outside schools should close to traffic at drop-off and pick-up times.",
    "The borough should build more car parks near the high streets.",
    "Every street should have trees, even if it means fewer parking spaces.",
    "The speed limit on residential streets should be 20 mph.",
    "Delivery vans need more loading bays, not fewer.",
    "I would walk more if there were more benches and public toilets.",
    "Cycle lanes on main roads have made my journeys slower.",
    "Air quality data should be published for every street, every month.",
]
# How each camp of the fictional participants votes on DEMO_STATEMENTS (1 agree, -1 disagree,
# 0 pass): one camp wants streets for people, the other worries about access by car; both
# want the data published and benches, so the map has two groups and some consensus.
CAMPS = [
    [1, -1, 1, 1, -1, 1, -1, 1],
    [-1, 1, -1, -1, 1, 1, 1, 1],
]


def seed_codesign(session: Session, officer: User, resident: User, today: date) -> None:
    now = datetime.combine(today, time(12), UTC)
    process = codesign.create_process(
        session,
        DEMO_SLUG,
        codesign.ProcessFields(
            title="Writing the mission with residents",
            description="Four rounds, each learning from the last: ideas, statements to vote "
            "on, a draft to review, then priorities for the first year.",
        ),
        actor=officer,
    )

    def round_fields(
        kind: RoundKind, title: str, prompt: str, **extra: object
    ) -> codesign.RoundFields:
        values = {
            "kind": kind,
            "title": title,
            "prompt": prompt,
            "opens_at": now - timedelta(days=20),
            "closes_at": now + timedelta(days=20),
            "moderation": Moderation.AFTER,
            "priority_method": None,
            "points_budget": None,
        } | extra
        return codesign.RoundFields(**values)  # type: ignore[arg-type]

    ideas = codesign.create_round(
        session,
        process.id,
        round_fields(RoundKind.IDEAS, "What would make your street healthier?",
                     "Tell us one change that would make the streets near you healthier, and why."),
        actor=officer,
    )  # fmt: skip
    codesign.open_round(session, ideas.id, actor=officer)
    neighbours = [
        accounts.create_user(
            session,
            display_name=f"{FIRST_NAMES[n]} {LAST_NAMES[n][0]}.",
            email=f"neighbour{n + 1}@{DEMO_DOMAIN}",
            password=secrets.token_urlsafe(12),
            roles=set(),
            actor=None,
        )
        for n in range(12)
    ]
    authors = [resident, *neighbours]
    idea_ids = []
    for number, (title, text, area) in enumerate(IDEAS):
        idea = codesign.submit_idea(
            session, ideas.id, codesign.IdeaFields(title, text, area), actor=authors[number]
        )
        idea_ids.append(idea.id)
        for supporter in neighbours[: 9 - 2 * number]:
            codesign.toggle_support(session, idea.id, actor=supporter)
    thread = codesign.add_comment(
        session, idea_ids[0], "Yes, but think of parents who drive on to work.",
        parent_id=None, actor=neighbours[5],
    )  # fmt: skip
    codesign.add_comment(
        session, idea_ids[0], "The pilot let blue badge holders through; that worked.",
        parent_id=thread.id, actor=resident,
    )  # fmt: skip
    for number, (title, text, area, band) in enumerate(VOICES, start=len(neighbours) + 1):
        voice = accounts.create_user(
            session,
            display_name=f"{FIRST_NAMES[number % len(FIRST_NAMES)]} {LAST_NAMES[number % len(LAST_NAMES)][0]}.",
            email=f"neighbour{number}@{DEMO_DOMAIN}",
            password=secrets.token_urlsafe(12),
            roles=set(),
            actor=None,
        )
        accounts.set_demographics(session, voice, band, consent=True)
        codesign.submit_idea(session, ideas.id, codesign.IdeaFields(title, text, area), actor=voice)
    for neighbour, band in zip(neighbours, ("25-34", "35-44", "45-54"), strict=False):
        accounts.set_demographics(session, neighbour, band, consent=True)
    codesign.close_round(session, ideas.id, actor=officer)
    syntheses.publish_synthesis(
        session,
        ideas.id,
        f"School streets (#{idea_ids[0]}) had the most support, and benches (#{idea_ids[1]}) and "
        f"crossings near care homes (#{idea_ids[3]}) show the mission is about older residents "
        "as much as children. The next round tests these ideas as statements.",
        statement=None,
        actor=officer,
    )

    statements = codesign.create_round(
        session,
        process.id,
        round_fields(RoundKind.STATEMENTS, "Where do we agree?",
                     "Agree, disagree or pass on each statement. Add your own if something is missing.",
                     items=DEMO_STATEMENTS),
        actor=officer,
    )  # fmt: skip
    codesign.open_round(session, statements.id, actor=officer)
    rng = random.Random(2030)
    seeded = codesign.seeded_items(session, statements.id)
    for number, voter in enumerate(neighbours):
        camp = CAMPS[number % 2]
        for statement, value in zip(seeded, camp, strict=True):
            if rng.random() < 0.85:  # not everyone reaches every statement
                choice = {1: "agree", -1: "disagree", 0: "pass"}[value]
                codesign.cast_vote(session, statement.id, choice, actor=voter)

    codesign.create_round(
        session,
        process.id,
        round_fields(RoundKind.DRAFT_REVIEW, "Review the draft mission",
                     "Comment on each paragraph and tell us how good the draft is overall.",
                     opens_at=now + timedelta(days=21), closes_at=now + timedelta(days=42),
                     items=[STATEMENTS[2][0], "We will report progress every year, street by street."]),
        actor=officer,
    )  # fmt: skip
    codesign.create_round(
        session,
        process.id,
        round_fields(RoundKind.PRIORITIES, "What comes first?",
                     "Share out 100 points among the first year's projects.",
                     opens_at=now + timedelta(days=43), closes_at=now + timedelta(days=64),
                     priority_method=PriorityMethod.POINTS, points_budget=100,
                     items=["School streets", "Benches and toilets", "Street trees", "Safer crossings"]),
        actor=officer,
    )  # fmt: skip


# --- A standing advisory group with a year of history ------------------------------------------


def advisory_group_fields(officer: User, mission_id: int) -> advisory_services.GroupFields:
    return advisory_services.GroupFields(
        name="Healthy Streets Advisory Group",
        slug="healthy-streets-advisory-group",
        mission_id=mission_id,
        purpose="Keep residents involved in the mission once it is set, and hold the council "
        "to what it promised.",
        remit="Advise on the mission's projects, how progress is measured, and who is left out.",
        seats=9,
        term_months=24,
        seats_renewed=3,  # a third of the seats each year
        rotation_months=12,
        filling=SeatFilling.APPLICATION,
        quorum=5,
        responsible_officer_email=officer.email,
        jury_id=None,
    )


def seed_advisory(session: Session, slug: str, officer: User, resident: User, today: date) -> None:
    """Members from the co-design neighbours (one with a public register of interests), a
    meeting a month ago with attendance, approved minutes and an adopted recommendation now
    awaiting the city's answer, and the next meeting in three weeks."""
    started = today - timedelta(days=300)
    neighbours = [
        accounts.get_user_by_email(session, f"neighbour{n}@{DEMO_DOMAIN}") for n in range(1, 7)
    ]
    people = [resident, *[n for n in neighbours if n is not None]]
    roles = [MemberRole.CHAIR, MemberRole.VICE_CHAIR] + [MemberRole.MEMBER] * (len(people) - 2)
    seats = []
    for number, (person, role) in enumerate(zip(people, roles, strict=True)):
        seats.append(
            advisory_services.add_member(
                session,
                slug,
                advisory_services.MemberFields(
                    email=person.email,
                    role=role,
                    filled_by=SeatFilling.APPLICATION,
                    term_start=started + timedelta(days=number % 2 * 60),
                    term_end=None,
                    interests="Governor of Market Street Primary School." if number == 1 else "",
                    interests_public=number == 1,
                ),
                actor=officer,
                today=today,
            )
        )
    chair = seats[0].user
    held = datetime.combine(today - timedelta(days=30), time(18), UTC)
    past = advisory_meetings.schedule_meeting(
        session,
        slug,
        advisory_meetings.MeetingFields(
            title="Autumn meeting",
            starts_at=held,
            ends_at=held + timedelta(hours=2),
            place="Town Hall, Committee Room 2",
            link="",
            agenda=[
                "Welcome",
                "Air quality monitoring",
                "School streets pilot",
                "Any other business",
            ],
        ),
        actor=officer,
    )
    advisory_meetings.record_attendance(
        session,
        past.id,
        {
            seat.id: Attendance.APOLOGIES if n == 5 else Attendance.PRESENT
            for n, seat in enumerate(seats)
        },
        actor=chair,
        today=today,
    )
    advisory_meetings.approve_minutes(
        session,
        past.id,
        minutes="The chair welcomed members. Officers presented the monitoring network. Members "
        "asked how residents without internet access would see the readings.",
        decisions="The group adopted its recommendation on school streets.",
        actor=chair,
        today=today,
    )
    draft = advisory_workspace.start_draft(
        session,
        slug,
        advisory_workspace.DraftFields(
            title="School streets at every primary school",
            text="Close the streets outside every primary school at drop-off and pick-up "
            "times by September, starting with the schools on main roads.",
        ),
        actor=seats[2].user,
        today=today,
    )
    advisory_workspace.adopt_draft(
        session,
        draft.id,
        meeting_id=past.id,
        actor=chair,
        today=today,
        now=datetime.combine(today, time(12), UTC),
    )
    upcoming = datetime.combine(today + timedelta(days=21), time(18), UTC)
    advisory_meetings.schedule_meeting(
        session,
        slug,
        advisory_meetings.MeetingFields(
            title="Winter meeting",
            starts_at=upcoming,
            ends_at=upcoming + timedelta(hours=2),
            place="Town Hall, Committee Room 2",
            link="",
            agenda=["Welcome", "The council's response on school streets", "Rotation of seats"],
        ),
        actor=officer,
    )


# Three wards of the demo borough (boxes in WGS 84 degrees: west, south, east, north).
DEMO_AREAS = [
    ("Kentish Town", "Around Kentish Town Road and the Leighton Road schools.",
     (-0.1480, 51.5440, -0.1330, 51.5560)),
    ("Gospel Oak", "From Mansfield Road to Lismore Circus.", (-0.1560, 51.5500, -0.1450, 51.5590)),
    ("Camden Town", "The high street, the market and the canal.", (-0.1470, 51.5330, -0.1330, 51.5440)),
]  # fmt: skip

# Readings at school gates (PM2.5, µg/m³): a few high ones by main roads, one implausible.
DEMO_READINGS = [
    (11.5, "school"), (14.0, "school"), (31.5, "road"), (9.0, "park"), (12.5, "school"),
    (27.0, "road"), (8.5, "park"), (16.0, "school"), (22.5, "road"), (10.0, "park"),
    (13.0, "school"), (35.0, "road"), (7.5, "park"), (15.5, "school"), (180.0, "road"),
    (12.0, "school"), (24.5, "road"), (9.5, "park"),
]  # fmt: skip

DEMO_APPRAISALS = [
    # area, scores for the Place Standard's 14 criteria, in its order
    ("Kentish Town", [3, 4, 2, 3, 4, 3, 5, 5, 3, 4, 5, 4, 3, 2]),
    ("Kentish Town", [2, 5, 2, 2, 3, 3, 4, 5, 2, 4, 4, 3, 2, 2]),
    ("Kentish Town", [4, 5, 3, 3, 5, 4, 5, 6, 3, 5, 5, 4, 3, 3]),
    ("Gospel Oak", [5, 3, 4, 4, 6, 5, 3, 3, 3, 5, 6, 5, 4, 3]),
    ("Gospel Oak", [4, 3, 5, 5, 6, 4, 3, 2, 2, 4, 5, 5, 4, 2]),
    ("Camden Town", [3, 6, 1, 2, 2, 2, 6, 6, 2, 5, 6, 3, 2, 2]),
    ("Camden Town", [2, 7, 2, 3, 2, 1, 6, 5, 3, 6, 5, 2, 2, 3]),
]


def seed_appraisals(session: Session, officer: User, evaluator: User, resident: User) -> None:
    """The borough's wards as areas; an open air-quality project whose readings by neighbours
    are mostly approved (one flagged, one waiting); a closed Place Standard appraisal with a
    workshop group's scores; and a closed multi-criteria mapping of ways to cut traffic."""
    neighbours = [
        user
        for n in range(12)
        if (user := accounts.get_user_by_email(session, f"neighbour{n + 1}@{DEMO_DOMAIN}"))
    ]
    wards = {
        name: appraisal_areas.create_area(
            session, DEMO_SLUG, appraisal_areas.AreaFields(name, about, *box), actor=officer
        )
        for name, about, box in DEMO_AREAS
    }
    mission_id = missions.get_mission(session, DEMO_SLUG, include_drafts=True).id
    project = projects.create_project(
        session,
        mission_id,
        projects.ProjectFields(
            title="Air at the school gate",
            summary="Parents and pupils measure fine particles (PM2.5) where children wait.",
            protocol="Use a borrowed PM2.5 sensor. Stand at the school gate at drop-off time "
            "(8:30 to 8:50), hold the sensor at a child's head height, away from exhausts, "
            "and note the reading after two minutes. Say where you stood.",
        ),
        actor=officer,
    )
    for values in [
        projects.FieldValues(FieldType.DECIMAL, "pm25", "PM2.5 reading", "After two minutes.",
                             required=True, unit="µg/m³", min_value=0, max_value=1000,
                             expected_min=0, expected_max=150),
        projects.FieldValues(FieldType.SINGLE_CHOICE, "site", "Where did you stand?",
                             required=True, choices=[
                                 {"value": "school", "label": "At a school gate"},
                                 {"value": "road", "label": "By a main road"},
                                 {"value": "park", "label": "In a park or playground"}]),
        projects.FieldValues(FieldType.INTEGER, "vehicles", "Vehicles idling nearby",
                             "Count engines left running within 20 metres.", min_value=0,
                             max_value=200, condition_field="site", condition_value="road"),
        projects.FieldValues(FieldType.LONG_TEXT, "note", "Anything else we should know?"),
        projects.FieldValues(FieldType.LOCATION, "location", "Where", required=True),
        projects.FieldValues(FieldType.PHOTO, "photo", "A photo of the spot (optional)",
                             "Please leave people out of it."),
    ]:  # fmt: skip
        projects.add_field(session, project.slug, values, actor=officer)
    project = projects.change_status(session, project.slug, Status.OPEN, actor=officer)
    for number, (reading, site) in enumerate(DEMO_READINGS):
        ward = list(wards.values())[number % len(wards)]
        assert ward.west is not None and ward.south is not None  # boxed above
        answers: dict[str, str | list[str]] = {"pm25": str(reading), "site": site}
        if site == "road":
            answers["vehicles"] = str(3 + number % 5)
        submissions.submit(
            session,
            project,
            submissions.Entry(
                answers,
                latitude=f"{ward.south + 0.002 + (number % 4) * 0.002:.5f}",
                longitude=f"{ward.west + 0.002 + (number % 5) * 0.002:.5f}",
                share_exact=number % 3 == 0,
            ),
            client_id=f"00000000-0000-4000-8000-{number:012d}",
            actor=neighbours[number % len(neighbours)] if neighbours else resident,
            photo_dir="",  # no photos in the demo
        )
    flagged = review.list_for_review(
        session, project, review.SubmissionFilter(flagged_only=True), 1, viewer=evaluator
    ).items
    for submission in flagged:  # the implausible reading
        review.review_submission(
            session,
            submission.id,
            SubmissionState.HAS_ISSUES,
            "180 µg/m³ is far above every other reading: was the sensor near an exhaust?",
            actor=evaluator,
        )
    received = review.list_for_review(
        session, project, review.SubmissionFilter(SubmissionState.RECEIVED), 1, viewer=evaluator
    ).items
    review.bulk_review(  # all but the two newest, which wait for a reviewer
        session,
        project,
        SubmissionState.APPROVED,
        "",
        ids=[submission.id for submission in received[2:]],
        actor=evaluator,
    )

    place = instruments.create_instrument(
        session,
        DEMO_SLUG,
        instruments.InstrumentFields("How good is our place?", "", 1, 7, "", ""),
        actor=officer,
        from_template=True,
    )
    instruments.open_instrument(session, place.slug, actor=officer)
    for number, (ward_name, ratings) in enumerate(DEMO_APPRAISALS):
        people = [resident, *neighbours]
        instruments.submit_appraisal(
            session,
            place,
            wards[ward_name].id,
            {
                criterion.id: (score, DEMO_JUSTIFICATIONS[score >= 4])
                for criterion, score in zip(place.criteria, ratings, strict=True)
            },
            f"00000000-0000-4000-9000-{number:012d}",
            actor=people[number % len(people)],
        )
    instruments.submit_appraisal(
        session,
        place,
        wards["Kentish Town"].id,
        {criterion.id: (3, "The group agreed after some debate.") for criterion in place.criteria},
        "00000000-0000-4000-9000-999999999999",
        actor=officer,
        kind=AppraisalKind.GROUP,
        group_name="Queen's Crescent library workshop",
        participants=14,
    )
    instruments.close_instrument(session, place.slug, actor=officer)

    exercise = mapping.create_exercise(
        session,
        DEMO_SLUG,
        mapping.NewExerciseFields(
            title="Cutting traffic on Queen's Crescent",
            question="Which way of cutting through-traffic would serve the street best?",
            scale_min=0,
            scale_max=100,
            options=["Low-traffic neighbourhood", "Bus gate at rush hours", "Do nothing"],
            criteria=["Cleaner air", "Access for disabled people", "Cost to the council"],
        ),
        actor=officer,
    )
    mapping.open_exercise(session, exercise.slug, actor=officer)
    for number, participant in enumerate([resident, *neighbours[:5]]):
        weights = {
            c.id: float(w) for c, w in zip(exercise.criteria, DEMO_WEIGHTS[number % 3], strict=True)
        }
        cells = {
            (option.id, criterion.id): (
                float(max(0, low - 10 * (number % 2))),
                float(min(100, low + 20 + 5 * number)),
                DEMO_REASONS[position],
            )
            for position, option in enumerate(exercise.options)
            for criterion, low in zip(exercise.criteria, DEMO_LOWS[position], strict=True)
        }
        mapping.save_response(
            session, exercise.slug, actor=participant, weights=weights, scores=cells
        )
    mapping.close_exercise(session, exercise.slug, actor=officer)


DEMO_JUSTIFICATIONS = {
    False: "Heavy traffic and narrow pavements make this hard, especially with a buggy.",
    True: "Mostly fine: quiet side streets and people look after them.",
}
DEMO_WEIGHTS = [(50, 30, 20), (30, 50, 20), (40, 20, 40)]
DEMO_LOWS = [(60, 40, 30), (45, 55, 50), (10, 50, 80)]  # per option, per criterion
DEMO_REASONS = [
    "Filters cut through-traffic at once, but displaced traffic may reach the main roads.",
    "Keeps buses moving and access for everyone, but only at rush hours.",
    "Costs nothing now; the air and the injuries stay as they are.",
]
