"""The only way tests create rows: small functions with believable defaults."""

from __future__ import annotations

import hashlib
import io
import itertools
import secrets
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

from pypdf import PdfWriter
from sqlalchemy.orm import Session

from engage.accounts.models import RoleGrant, User
from engage.accounts.services import hash_password
from engage.advisory.models import (
    AdvisoryGroup,
    Attendance,
    DraftRecommendation,
    DraftVersion,
    Meeting,
    MeetingAttendance,
    MeetingPaper,
    MemberRole,
    Membership,
    SeatFilling,
)
from engage.appraisals import photos
from engage.appraisals.models import (
    Appraisal,
    AppraisalKind,
    AppraisalScore,
    Area,
    Criterion,
    FieldType,
    FormField,
    Instrument,
    MappingCriterion,
    MappingExercise,
    MappingOption,
    Photo,
    Project,
    Status,
    Submission,
    SubmissionState,
)
from engage.codesign.models import (
    CodesignProcess,
    Comment,
    Contribution,
    ContributionKind,
    Moderation,
    PriorityMethod,
    Round,
    RoundKind,
    RoundStatus,
    Visibility,
    Vote,
)
from engage.evaluation.models import Code, CodeOrigin, EvidenceRecord
from engage.evaluation.themes import normalise
from engage.juries.models import (
    FeatureValue,
    Jury,
    JuryFeature,
    JuryOfficer,
    JuryStatus,
    MemberAnswer,
    MemberSource,
    PoolMember,
)
from engage.missions.models import (
    Decision,
    Direction,
    Indicator,
    Mission,
    MissionProject,
    MissionStatus,
    Outcome,
    ProjectStatus,
    Recommendation,
    RecommendationResponse,
    RecommendationSourceKind,
    StatementVersion,
)
from engage.security import Role

DEFAULT_PASSWORD = "correct horse battery staple"
_numbers = itertools.count(1)


@cache
def _default_hash() -> str:
    """Hashing with argon2 is slow on purpose; hash the shared test password once."""
    return hash_password(DEFAULT_PASSWORD)


def make_user(
    session: Session,
    *,
    role: Role | None = None,
    email: str | None = None,
    display_name: str | None = None,
    password: str | None = None,
) -> User:
    number = next(_numbers)
    user = User(
        email=(email or f"person{number}@example.org").lower(),
        display_name=display_name or f"Person {number}",
        password_hash=hash_password(password) if password else _default_hash(),
    )
    if role is not None and role is not Role.RESIDENT:
        user.role_grants.append(RoleGrant(role=role))
    session.add(user)
    session.commit()
    return user


def make_mission(
    session: Session,
    *,
    title: str | None = None,
    slug: str | None = None,
    status: MissionStatus = MissionStatus.ACTIVE,
    statements: tuple[str, ...] = ("Every street healthy by 2030.",),
    author: User | None = None,
) -> Mission:
    number = next(_numbers)
    mission = Mission(
        title=title or f"Mission {number}",
        slug=slug or f"mission-{number}",
        challenge="Air on many streets is unhealthy.",
        team="Mission team",
        target_date=date(2030, 12, 31),
        status=status,
    )
    for index, text in enumerate(statements, start=1):
        mission.versions.append(
            StatementVersion(
                number=index,
                text=text,
                rationale="First version." if index == 1 else f"Change {index}.",
                author_id=author.id if author else None,
            )
        )
    session.add(mission)
    session.commit()
    return mission


def make_outcome(session: Session, mission: Mission, *, title: str = "Cleaner air") -> Outcome:
    outcome = Outcome(mission=mission, title=title, description="")
    session.add(outcome)
    session.commit()
    return outcome


def make_indicator(
    session: Session,
    outcome: Outcome,
    *,
    baseline: float = 40.0,
    target: float = 20.0,
    direction: Direction = Direction.DECREASE,
    latest_value: float | None = 30.0,
) -> Indicator:
    indicator = Indicator(
        outcome=outcome,
        name="Annual mean NO2",
        unit="µg/m³",
        baseline=baseline,
        target=target,
        direction=direction,
        latest_value=latest_value,
        latest_value_on=date(2025, 12, 31) if latest_value is not None else None,
        latest_value_source="Monitoring network",
    )
    session.add(indicator)
    session.commit()
    return indicator


def make_project(
    session: Session, mission: Mission, *, name: str = "School Streets"
) -> MissionProject:
    project = MissionProject(
        mission=mission,
        name=name,
        lead_organisation="Highways",
        status=ProjectStatus.ACTIVE,
        description="",
    )
    session.add(project)
    session.commit()
    return project


def make_recommendation(
    session: Session,
    mission: Mission,
    *,
    title: str = "Safer crossings near schools",
    received_on: date | None = None,
    response_due: date | None = None,
    source_kind: RecommendationSourceKind = RecommendationSourceKind.JURY,
) -> Recommendation:
    received = received_on or date.today() - timedelta(weeks=1)
    recommendation = Recommendation(
        mission=mission,
        source_kind=source_kind,
        source_label="Citizens' jury",
        title=title,
        text="Put a zebra crossing outside every primary school.",
        received_on=received,
        response_due=response_due or received + timedelta(weeks=8),
    )
    session.add(recommendation)
    session.commit()
    return recommendation


def make_response(
    session: Session,
    recommendation: Recommendation,
    *,
    decision: Decision = Decision.ACCEPTED,
    responded_on: date | None = None,
) -> RecommendationResponse:
    response = RecommendationResponse(
        recommendation=recommendation,
        decision=decision,
        rationale="We agree and will do it.",
        responder_name="Cabinet Member",
        responded_on=responded_on or recommendation.received_on + timedelta(weeks=2),
    )
    session.add(response)
    session.commit()
    return response


# --- Juries: setup and pool ----------------------------------------------------------------------

DEFAULT_FEATURES: dict[str, list[str]] = {"gender": ["female", "male"], "age": ["16-39", "40+"]}


def make_jury(
    session: Session,
    mission: Mission | None = None,
    *,
    title: str | None = None,
    slug: str | None = None,
    panel_size: int = 4,
    status: JuryStatus = JuryStatus.OPEN,
    features: dict[str, list[str]] | None = None,
    quotas: dict[tuple[str, str], tuple[int | None, int | None]] | None = None,
    officers: tuple[User, ...] = (),
    household_rule: bool = False,
    registration_opens: datetime | None = None,
    registration_closes: datetime | None = None,
    prefer_not_to_say: tuple[str, ...] = (),
) -> Jury:
    """A jury with features (key -> value keys), optional quotas ((feature, value) -> (min, max))
    and officers. Features listed in ``prefer_not_to_say`` also offer that answer."""
    number = next(_numbers)
    mission = mission or make_mission(session)
    jury = Jury(
        mission_id=mission.id,
        slug=slug or f"jury-{number}",
        title=title or f"Jury {number}",
        question="How should our streets change?",
        panel_size=panel_size,
        purpose="To select a jury that reflects the borough.",
        registration_opens=registration_opens,
        registration_closes=registration_closes,
        retention_until=date.today() + timedelta(days=365),
        household_rule=household_rule,
        status=status,
    )
    quotas = quotas or {}
    chosen = DEFAULT_FEATURES if features is None else features
    for position, (key, values) in enumerate(chosen.items()):
        feature = JuryFeature(
            key=key,
            label=key.capitalize(),
            position=position,
            allow_prefer_not_to_say=key in prefer_not_to_say,
        )
        keys = [*values, "Prefer not to say"] if key in prefer_not_to_say else values
        for value_position, value in enumerate(keys):
            low, high = quotas.get((key, value), (None, None))
            feature.values.append(
                FeatureValue(
                    key=value,
                    label=value,
                    position=value_position,
                    is_prefer_not_to_say=value == "Prefer not to say",
                    quota_min=low,
                    quota_max=high,
                )
            )
        jury.features.append(feature)
    for officer in officers:
        jury.officers.append(JuryOfficer(user_id=officer.id))
    session.add(jury)
    session.commit()
    return jury


def make_member(
    session: Session,
    jury: Jury,
    answers: dict[str, str] | None = None,
    *,
    name: str | None = None,
    email: str | None = None,
    household: str | None = None,
    source: MemberSource = MemberSource.REGISTRATION,
    external_id: str | None = None,
) -> PoolMember:
    """A volunteer in the jury's pool; ``answers`` maps feature keys to value keys (by default
    the first value of every feature)."""
    number = next(_numbers)
    features = {feature.key: feature for feature in jury.features}
    chosen = answers or {key: feature.values[0].key for key, feature in features.items()}
    member = PoolMember(
        jury_id=jury.id,
        pseudonym=f"V-T{number:05d}",
        source=source,
        external_id=external_id,
        name=name or f"Volunteer {number}",
        email=email if email is not None else f"volunteer{number}@example.org",
        phone="020 7946 0000",
        address_line1=f"{number} High Street",
        city="London",
        postcode="N1 1AA",
        household_key=household or f"household-{number}",
        consent_given_at=datetime.now(UTC),
        consent_text="I agree.",
    )
    for key, value_key in chosen.items():
        feature = features[key]
        value = next(v for v in feature.values if v.key == value_key)
        member.answers.append(MemberAnswer(feature_id=feature.id, value_id=value.id))
    session.add(member)
    session.commit()
    return member


# --- Co-design -----------------------------------------------------------------------------------


def make_process(
    session: Session, mission: Mission | None = None, *, title: str = "Healthy streets co-design"
) -> CodesignProcess:
    process = CodesignProcess(
        mission=mission or make_mission(session),
        title=title,
        description="Three rounds to write the mission with residents.",
    )
    session.add(process)
    session.commit()
    return process


def make_round(
    session: Session,
    process: CodesignProcess | None = None,
    *,
    kind: RoundKind = RoundKind.IDEAS,
    status: RoundStatus = RoundStatus.OPEN,
    items: tuple[str, ...] = (),
    moderation: Moderation = Moderation.AFTER,
    priority_method: PriorityMethod | None = None,
    points_budget: int | None = None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    title: str = "What would make your street healthier?",
) -> Round:
    """A round (open now, for four weeks, unless told otherwise) with the officer's ``items``:
    seed statements, priority options or draft paragraphs, according to ``kind``."""
    process = process or make_process(session)
    now = datetime.now(UTC)
    round_ = Round(
        process=process,
        position=len(process.rounds) + 1,
        kind=kind,
        title=title,
        prompt="Tell us what you would change and why.",
        opens_at=opens_at or now - timedelta(days=1),
        closes_at=closes_at or now + timedelta(weeks=4),
        status=status,
        moderation=moderation,
        priority_method=priority_method
        or (PriorityMethod.RANKING if kind is RoundKind.PRIORITIES else None),
        points_budget=points_budget,
    )
    item_kind = {
        RoundKind.STATEMENTS: ContributionKind.STATEMENT,
        RoundKind.PRIORITIES: ContributionKind.OPTION,
        RoundKind.DRAFT_REVIEW: ContributionKind.PARAGRAPH,
    }.get(kind)
    session.add(round_)
    if item_kind is not None:
        session.add_all(
            Contribution(round=round_, kind=item_kind, seeded=True, position=number, text=text)
            for number, text in enumerate(items, start=1)
        )
    session.commit()
    return round_


def make_contribution(
    session: Session,
    round_: Round,
    author: User | None = None,
    *,
    kind: ContributionKind | None = None,
    title: str = "Plant trees on every street",
    text: str = "Shade, cleaner air and calmer traffic.",
    visibility: Visibility = Visibility.VISIBLE,
) -> Contribution:
    """A resident's idea (or, in a statements round, a statement)."""
    default_kind = (
        ContributionKind.STATEMENT if round_.kind is RoundKind.STATEMENTS else ContributionKind.IDEA
    )
    contribution = Contribution(
        round=round_,
        kind=kind or default_kind,
        author=author or make_user(session),
        title=title if (kind or default_kind) is ContributionKind.IDEA else "",
        text=text,
        visibility=visibility,
    )
    session.add(contribution)
    session.commit()
    return contribution


def make_comment(
    session: Session,
    contribution: Contribution,
    author: User | None = None,
    *,
    text: str = "Yes, and fruit trees please.",
    parent: Comment | None = None,
) -> Comment:
    comment = Comment(
        contribution=contribution,
        author=author or make_user(session),
        text=text,
        parent_id=parent.id if parent else None,
    )
    session.add(comment)
    session.commit()
    return comment


def make_votes(
    session: Session, round_: Round, votes: list[tuple[User, Contribution, int]]
) -> None:
    """Votes (1 agree, -1 disagree, 0 pass) as the vote page would store them."""
    session.add_all(
        Vote(round_id=round_.id, statement_id=statement.id, user_id=user.id, value=value)
        for user, statement, value in votes
    )
    session.commit()


# --- Advisory groups -----------------------------------------------------------------------------


def make_group(
    session: Session,
    mission: Mission | None = None,
    *,
    name: str = "Healthy Streets Advisory Group",
    slug: str | None = None,
    seats: int = 6,
    quorum: int = 3,
    term_months: int = 24,
    seats_renewed: int = 2,
    filling: SeatFilling = SeatFilling.APPLICATION,
    responsible_officer: User | None = None,
    city_wide: bool = False,
) -> AdvisoryGroup:
    number = next(_numbers)
    group = AdvisoryGroup(
        mission=None if city_wide else (mission or make_mission(session)),
        slug=slug or f"advisory-group-{number}",
        name=name,
        purpose="Keep residents at the heart of the mission.",
        remit="Advise on the mission's projects and how they are measured.",
        seats=seats,
        term_months=term_months,
        seats_renewed=seats_renewed,
        rotation_months=12,
        filling=filling,
        quorum=quorum,
        responsible_officer=responsible_officer or make_user(session, role=Role.OFFICER),
    )
    session.add(group)
    session.commit()
    return group


def make_membership(
    session: Session,
    group: AdvisoryGroup,
    user: User | None = None,
    *,
    role: MemberRole = MemberRole.MEMBER,
    term_start: date | None = None,
    term_end: date | None = None,
    interests: str = "",
    interests_public: bool = False,
) -> Membership:
    """A current seat (from a month ago for two years) unless told otherwise."""
    start = term_start or date.today() - timedelta(days=30)
    membership = Membership(
        group=group,
        user=user or make_user(session),
        role=role,
        filled_by=group.filling,
        term_start=start,
        term_end=term_end or start + timedelta(days=730),
        interests=interests,
        interests_public=interests_public,
    )
    session.add(membership)
    session.commit()
    return membership


def make_meeting(
    session: Session,
    group: AdvisoryGroup,
    *,
    title: str = "Quarterly meeting",
    starts_at: datetime | None = None,
    agenda: tuple[str, ...] = ("Welcome", "Progress report", "Recommendations"),
) -> Meeting:
    """A two-hour meeting, a week from now unless told otherwise."""
    start = starts_at or datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    meeting = Meeting(
        group=group,
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="Town Hall, Room 2",
        agenda=list(agenda),
    )
    session.add(meeting)
    session.commit()
    return meeting


def small_pdf() -> bytes:
    """A real one-page PDF, as a scanner or word processor would produce."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_paper(
    session: Session, meeting: Meeting, folder: Path, *, title: str = "Agenda pack"
) -> MeetingPaper:
    """A paper with its PDF written under ``folder`` (the instance's advisory-papers folder)."""
    data = small_pdf()
    paper = MeetingPaper(
        meeting=meeting,
        title=title,
        filename="agenda-pack.pdf",
        stored_name=f"{secrets.token_urlsafe(24)}.pdf",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / paper.stored_name).write_bytes(data)
    session.add(paper)
    session.commit()
    return paper


def make_draft(
    session: Session,
    group: AdvisoryGroup,
    author: User,
    *,
    title: str = "School streets everywhere",
    text: str = "Close the streets outside every primary school at drop-off and pick-up.",
) -> DraftRecommendation:
    draft = DraftRecommendation(group=group, title=title, created_by_id=author.id)
    draft.versions.append(DraftVersion(number=1, text=text, author_id=author.id))
    session.add(draft)
    session.commit()
    return draft


def record_presence(session: Session, meeting: Meeting, *memberships: Membership) -> None:
    """Mark these members present at the meeting (enough of them make it quorate)."""
    session.add_all(
        MeetingAttendance(meeting=meeting, membership_id=m.id, status=Attendance.PRESENT)
        for m in memberships
    )
    session.commit()


def make_area(
    session: Session,
    mission: Mission | None = None,
    *,
    name: str = "Kentish Town",
    box: tuple[float, float, float, float] | None = (-0.15, 51.54, -0.13, 51.56),
) -> Area:
    """An area of ``mission``; ``box`` is (west, south, east, north) in degrees, or None."""
    number = next(_numbers)
    west, south, east, north = box or (None, None, None, None)
    area = Area(
        mission=mission or make_mission(session),
        slug=f"area-{number}",
        name=name,
        west=west,
        south=south,
        east=east,
        north=north,
    )
    session.add(area)
    session.commit()
    return area


def make_field(
    project: Project,
    name: str,
    type_: FieldType = FieldType.TEXT,
    *,
    label: str | None = None,
    required: bool = False,
    **options: object,
) -> FormField:
    """A field appended to ``project``'s form (not yet committed); ``options`` are FormField's
    other columns (unit, min_value, choices, condition_field, ...)."""
    field = FormField(
        name=name,
        label=label or name.replace("_", " ").capitalize(),
        type=type_,
        required=required,
        position=len(project.fields) + 1,
        **options,
    )
    project.fields.append(field)
    return field


def make_science_project(
    session: Session,
    mission: Mission | None = None,
    *,
    title: str = "Air quality on our streets",
    status: Status = Status.OPEN,
    with_fields: bool = True,
) -> Project:
    """A citizen-science project; ``with_fields`` gives it a typical form: a required decimal
    reading in µg/m³ (allowed 0-1000, expected 0-150), a site type, a note, a point and a photo."""
    number = next(_numbers)
    project = Project(
        mission=mission or make_mission(session),
        slug=f"science-project-{number}",
        title=title,
        summary="Residents measure fine particles (PM2.5) outside schools.",
        protocol="Hold the sensor at head height for two minutes, away from exhausts.",
        status=status,
    )
    if with_fields:
        make_field(
            project,
            "pm25",
            FieldType.DECIMAL,
            label="PM2.5 reading",
            required=True,
            unit="µg/m³",
            min_value=0,
            max_value=1000,
            expected_min=0,
            expected_max=150,
        )
        make_field(
            project,
            "site",
            FieldType.SINGLE_CHOICE,
            label="Where were you?",
            choices=[
                {"value": "school", "label": "Outside a school"},
                {"value": "road", "label": "By a main road"},
                {"value": "park", "label": "In a park"},
            ],
        )
        make_field(project, "note", FieldType.LONG_TEXT, label="Anything else we should know?")
        make_field(project, "location", FieldType.LOCATION, label="Where", required=True)
        make_field(project, "photo", FieldType.PHOTO, label="A photo of the site")
    session.add(project)
    session.commit()
    return project


def make_submission(
    session: Session,
    project: Project,
    author: User | None = None,
    *,
    answers: dict[str, object] | None = None,
    point: tuple[float, float] | None = (51.5500, -0.1400),
    state: SubmissionState = SubmissionState.RECEIVED,
    submitted_at: datetime | None = None,
    share_exact: bool = False,
) -> Submission:
    """A stored submission, written directly (no validation, flags or photos); ``point`` is
    (latitude, longitude). The public point is the exact one rounded to 0.005 degrees."""
    latitude, longitude = point or (None, None)
    submission = Submission(
        project=project,
        client_id=secrets.token_hex(16),
        author=author or make_user(session),
        answers={"pm25": 12.5, "site": "school"} if answers is None else answers,
        latitude=latitude,
        longitude=longitude,
        share_exact=share_exact,
        public_latitude=None if latitude is None else round(latitude / 0.005) * 0.005,
        public_longitude=None if longitude is None else round(longitude / 0.005) * 0.005,
        state=state,
        submitted_at=submitted_at or datetime.now(UTC),
    )
    session.add(submission)
    session.commit()
    return submission


def jpeg_bytes(size: tuple[int, int] = (64, 48), colour: str = "seagreen") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def make_photo(
    session: Session,
    submission: Submission,
    directory: Path,
    *,
    field_name: str = "photo",
    data: bytes | None = None,
) -> Photo:
    """A photo answer of ``submission`` (``data``, or a small JPEG), processed and stored in
    ``directory`` as the submit service does."""
    processed = photos.process_photo(data or jpeg_bytes())
    photos.store_photo(processed, directory)
    photo = Photo(
        submission=submission,
        field_name=field_name,
        content_type=processed.content_type,
        stored_name=processed.stored_name,
        display_name=processed.display_name,
        width=processed.width,
        height=processed.height,
        byte_size=len(processed.full),
        sha256=processed.sha256,
    )
    session.add(photo)
    session.commit()
    return photo


def make_instrument(
    session: Session,
    mission: Mission | None = None,
    *,
    criteria: tuple[str, ...] = ("Moving around", "Public transport", "Streets and spaces"),
    status: Status = Status.OPEN,
    scale: tuple[int, int] = (1, 7),
) -> Instrument:
    number = next(_numbers)
    instrument = Instrument(
        mission=mission or make_mission(session),
        slug=f"instrument-{number}",
        title="How good is our place?",
        scale_min=scale[0],
        scale_max=scale[1],
        low_label="A lot of room for improvement",
        high_label="Very little room for improvement",
        status=status,
        criteria=[
            Criterion(position=position, label=label, question=f"How good is it for {label}?")
            for position, label in enumerate(criteria, start=1)
        ],
    )
    session.add(instrument)
    session.commit()
    return instrument


def make_appraisal(
    session: Session,
    instrument: Instrument,
    area: Area,
    scores: list[int],
    author: User | None = None,
    *,
    participants: int = 1,
) -> Appraisal:
    """An appraisal scoring the instrument's criteria in order; more than one participant makes
    it a workshop group's."""
    appraisal = Appraisal(
        instrument=instrument,
        area=area,
        client_id=secrets.token_hex(16),
        author=author or make_user(session),
        kind=AppraisalKind.GROUP if participants > 1 else AppraisalKind.INDIVIDUAL,
        group_name="Community centre workshop" if participants > 1 else "",
        participants=participants,
        scores=[
            AppraisalScore(criterion=criterion, score=score, justification=f"Because {score}.")
            for criterion, score in zip(instrument.criteria, scores, strict=True)
        ],
    )
    session.add(appraisal)
    session.commit()
    return appraisal


def make_exercise(
    session: Session,
    mission: Mission | None = None,
    *,
    options: tuple[str, ...] = ("Low-traffic neighbourhood", "Bus gate", "Do nothing"),
    criteria: tuple[str, ...] = ("Air quality", "Cost", "Access for disabled people"),
    status: Status = Status.OPEN,
) -> MappingExercise:
    number = next(_numbers)
    exercise = MappingExercise(
        mission=mission or make_mission(session),
        slug=f"mapping-{number}",
        title="Cutting traffic on Queen's Crescent",
        question="Which way of cutting traffic would serve the street best?",
        status=status,
        options=[
            MappingOption(position=position, label=label)
            for position, label in enumerate(options, start=1)
        ],
        criteria=[
            MappingCriterion(position=position, label=label)
            for position, label in enumerate(criteria, start=1)
        ],
    )
    session.add(exercise)
    session.commit()
    return exercise


# evaluation
def make_evidence(
    session: Session,
    mission: Mission,
    text: str = "Wider pavements on the high street would help everyone walk safely.",
    *,
    title: str = "An idea",
    domain: str = "codesign",
    source_kind: str = "codesign.contribution",
    created_at: datetime | None = None,
    contributor_key: str | None = None,
    segment: str | None = None,
    area: str = "",
    location: tuple[float, float] | None = None,
    attributes: dict[str, str] | None = None,
) -> EvidenceRecord:
    """An evidence item in the mission's index, as a refresh would have copied it."""
    number = next(_numbers)
    record = EvidenceRecord(
        mission_id=mission.id,
        domain=domain,
        source_kind=source_kind,
        source_id=number,
        # Noon on 1 March 2026, a microsecond apart in the order made: one day however many.
        created_at=created_at
        or datetime(2026, 3, 1, 12, tzinfo=UTC) + timedelta(microseconds=number),
        title=title,
        text=text,
        search_text=normalise(f"{title}\n{text}"),
        contributor_key=contributor_key or f"{domain}:m{mission.id}:p{number}",
        segment=segment,
        area=area,
        latitude=location[0] if location else None,
        longitude=location[1] if location else None,
        attributes=attributes or {},
    )
    session.add(record)
    session.commit()
    return record


def make_code(
    session: Session,
    mission: Mission,
    name: str | None = None,
    *,
    definition: str = "",
    origin: CodeOrigin = CodeOrigin.EVALUATOR,
) -> Code:
    """An active code of the mission's frame (no frame version: use the services for that)."""
    code = Code(
        mission_id=mission.id,
        name=name or f"Code {next(_numbers)}",
        definition=definition,
        origin=origin,
    )
    session.add(code)
    session.commit()
    return code
