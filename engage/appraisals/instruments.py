"""Community-appraisal use cases: instruments (blank, or from the Place Standard template) and
their criteria, opening and closing them, residents' and workshop groups' appraisals of an area,
and the results per area.

Rules:
- Officers make and change instruments. Once an instrument has appraisals, its scale cannot
  change and no criterion can be deleted (the scores would no longer mean what was asked).
- An instrument opens when it has a criterion and its mission has an area to appraise.
- Every appraisal scores every criterion on the scale, each score with a justification. A
  resident may appraise an area again: the results count each person's latest appraisal per
  area. A facilitator (an officer) enters a workshop group's agreed scores with the group's name
  and size; a group's score counts once, like a resident's, and the people behind the scores are
  reported separately.
- A form is sent once: its client id (a UUID made when the form is shown) makes a repeated post
  return the stored appraisal.
- Results: staff (officers and evaluators) follow them while an instrument is open; everyone
  sees them once it has closed, so early scores do not sway later ones.

Officers' changes and group entries are audit-logged; residents' own appraisals are not (they are
the data itself; see engage.codesign.services for the same reasoning).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from engage import audit
from engage.accounts.models import User
from engage.appraisals import place_standard
from engage.appraisals.areas import list_areas
from engage.appraisals.models import (
    Appraisal,
    AppraisalKind,
    AppraisalScore,
    Area,
    Criterion,
    Instrument,
    Status,
)
from engage.appraisals.scores import Summary, summarise
from engage.errors import N_, Conflict, Forbidden, Invalid, NotFound
from engage.i18n import Message
from engage.missions import services as missions
from engage.missions.models import Mission, MissionStatus
from engage.security import Role, holds, officers_only
from engage.slugs import unique_slug

# First path segments under /appraisals that are pages, not instruments.
RESERVED_SLUGS = frozenset({"new", "areas"})
MAX_SCALE_POINTS = 11  # 0 to 10 is the widest scale
JUSTIFICATION_MAX_LENGTH = 2000
GROUP_NAME_MAX_LENGTH = 200
GROUP_MIN_PARTICIPANTS = 2
GROUP_MAX_PARTICIPANTS = 500
JUSTIFICATIONS_SHOWN = 10  # per criterion on the results page, until "show all"


def _same(text: str) -> str:
    return text


@dataclass
class InstrumentFields:
    title: str
    description: str
    scale_min: int
    scale_max: int
    low_label: str
    high_label: str


@dataclass
class CriterionFields:
    label: str
    question: str
    hint: str


# --- Who sees what ----------------------------------------------------------------------------


def may_manage(viewer: Any) -> bool:
    """Officers (and admins) make instruments, see drafts and enter workshop groups' scores."""
    return holds(viewer, Role.OFFICER)


def results_visible(instrument: Instrument, viewer: Any) -> bool:
    """Staff follow the results while an instrument runs; everyone sees them once it closes."""
    return (
        instrument.status is Status.CLOSED
        or holds(viewer, Role.OFFICER)
        or holds(viewer, Role.EVALUATOR)
    )


def _hidden(instrument: Instrument) -> bool:
    return instrument.status is Status.DRAFT or instrument.mission.status is MissionStatus.DRAFT


def list_instruments(
    session: Session, *, viewer: Any, mission_slug: str | None = None
) -> list[Instrument]:
    """Newest first: for the public, instruments that are open or closed, of missions that are
    published; officers see drafts too."""
    query = (
        sa.select(Instrument)
        .join(Mission, Mission.id == Instrument.mission_id)
        .options(selectinload(Instrument.criteria), selectinload(Instrument.mission))
        .order_by(Instrument.created_at.desc(), Instrument.id.desc())
    )
    if mission_slug:
        query = query.where(Mission.slug == mission_slug)
    if not may_manage(viewer):
        query = query.where(
            Instrument.status != Status.DRAFT, Mission.status != MissionStatus.DRAFT
        )
    return list(session.scalars(query))


def get_instrument(session: Session, slug: str, *, viewer: Any) -> Instrument:
    """The instrument at ``slug`` as ``viewer`` may see it: drafts (and instruments of draft
    missions) only for officers."""
    instrument = session.scalar(sa.select(Instrument).where(Instrument.slug == slug))
    if instrument is None or (_hidden(instrument) and not may_manage(viewer)):
        raise NotFound(N_("There is no appraisal at this address."))
    return instrument


def _require(session: Session, slug: str) -> Instrument:
    instrument = session.scalar(sa.select(Instrument).where(Instrument.slug == slug))
    if instrument is None:
        raise NotFound(N_("There is no appraisal at this address."))
    return instrument


def count_appraisals(session: Session, instrument_id: int) -> int:
    return (
        session.scalar(sa.select(sa.func.count()).where(Appraisal.instrument_id == instrument_id))
        or 0
    )


def mission_areas(session: Session, instrument: Instrument) -> list[Area]:
    """The areas an instrument's appraisals can be about: its mission's."""
    return list_areas(session, instrument.mission_id)


# --- Instruments ------------------------------------------------------------------------------


def _check_instrument(values: InstrumentFields) -> None:
    if not values.title.strip():
        raise Invalid(N_("Give the instrument a title."), field="title")
    if values.scale_min >= values.scale_max:
        raise Invalid(
            N_("The highest point of the scale must be above the lowest."), field="scale_max"
        )
    if values.scale_max - values.scale_min + 1 > MAX_SCALE_POINTS:
        raise Invalid(
            N_("A scale has at most %(count)s points (such as 0 to 10)."),
            field="scale_max",
            count=MAX_SCALE_POINTS,
        )


@officers_only
def create_instrument(
    session: Session,
    mission_slug: str,
    values: InstrumentFields,
    *,
    actor: User,
    from_template: bool = False,
    translate: Callable[[str], str] = _same,
) -> Instrument:
    """A draft instrument for the mission: blank, or with the Place Standard's 14 criteria on
    its 1-7 scale (``translate`` turns the template's texts into the officer's language; labels
    and a description left empty take the template's)."""
    mission = missions.get_mission(session, mission_slug, include_drafts=True)
    _check_instrument(values)
    criteria: list[Criterion] = []
    description, low_label, high_label = values.description, values.low_label, values.high_label
    if from_template:
        scale = (place_standard.SCALE_MIN, place_standard.SCALE_MAX)
        if (values.scale_min, values.scale_max) != scale:
            raise Invalid(
                N_(
                    "The Place Standard is scored from %(low)s to %(high)s. Keep that scale, "
                    "or start from a blank instrument."
                ),
                field="scale_min",
                low=scale[0],
                high=scale[1],
            )
        low_label = low_label or translate(place_standard.LOW_LABEL)
        high_label = high_label or translate(place_standard.HIGH_LABEL)
        source = translate(place_standard.SOURCE)
        description = description or translate(place_standard.DESCRIPTION)
        if source not in description:
            description = f"{description}\n\n{source}"
        criteria = [
            Criterion(
                position=position,
                label=translate(theme.label),
                question=translate(theme.question),
                hint=translate(theme.hint),
            )
            for position, theme in enumerate(place_standard.THEMES, start=1)
        ]
    instrument = Instrument(
        mission_id=mission.id,
        slug=unique_slug(
            session, Instrument.slug, values.title, fallback="appraisal", reserved=RESERVED_SLUGS
        ),
        title=values.title.strip(),
        description=description,
        scale_min=values.scale_min,
        scale_max=values.scale_max,
        low_label=low_label,
        high_label=high_label,
        created_by_id=actor.id,
        criteria=criteria,
    )
    session.add(instrument)
    session.flush()
    audit.record(
        session, actor, "appraisals.instrument_created", f"appraisal_instrument:{instrument.id}",
        {"mission": mission.id, "slug": instrument.slug, "template": "place_standard" if from_template else None,
         "criteria": len(criteria)},
    )  # fmt: skip
    session.commit()
    return instrument


@officers_only
def update_instrument(
    session: Session, slug: str, values: InstrumentFields, *, actor: User
) -> Instrument:
    """Change an instrument's wording, and its scale while nobody has appraised with it."""
    instrument = _require(session, slug)
    _check_instrument(values)
    new_scale = (values.scale_min, values.scale_max)
    if new_scale != (instrument.scale_min, instrument.scale_max) and count_appraisals(
        session, instrument.id
    ):
        raise Conflict(
            N_("The scale cannot change once people have appraised with it."), field="scale_min"
        )
    changed: dict[str, list[Any]] = {}
    for name in ("title", "description", "scale_min", "scale_max", "low_label", "high_label"):
        before, after = getattr(instrument, name), getattr(values, name)
        if name == "title":
            after = after.strip()
        if before != after:
            changed[name] = [before, after]
            setattr(instrument, name, after)
    if changed:
        audit.record(
            session, actor, "appraisals.instrument_updated",
            f"appraisal_instrument:{instrument.id}", changed,
        )  # fmt: skip
    session.commit()
    return instrument


@officers_only
def open_instrument(session: Session, slug: str, *, actor: User) -> Instrument:
    """Let residents appraise (a draft, or a closed instrument reopened)."""
    instrument = _require(session, slug)
    if instrument.status is Status.OPEN:
        raise Conflict(N_("This instrument is open already."))
    if not instrument.criteria:
        raise Invalid(N_("Add at least one criterion before opening the instrument."))
    if not mission_areas(session, instrument):
        raise Invalid(
            N_("Add at least one area to the mission before opening: appraisals are of an area.")
        )
    before = instrument.status
    instrument.status = Status.OPEN
    audit.record(
        session, actor, "appraisals.instrument_opened", f"appraisal_instrument:{instrument.id}",
        {"from": before.value},
    )  # fmt: skip
    session.commit()
    return instrument


@officers_only
def close_instrument(session: Session, slug: str, *, actor: User) -> Instrument:
    """Stop taking appraisals; the results become public."""
    instrument = _require(session, slug)
    if instrument.status is not Status.OPEN:
        raise Conflict(N_("Only an open instrument can be closed."))
    instrument.status = Status.CLOSED
    audit.record(
        session, actor, "appraisals.instrument_closed", f"appraisal_instrument:{instrument.id}"
    )
    session.commit()
    return instrument


# --- Criteria ---------------------------------------------------------------------------------


def get_criterion(session: Session, slug: str, criterion_id: int) -> Criterion:
    """A criterion of the instrument at ``slug`` (for officers)."""
    instrument = _require(session, slug)
    found = next((c for c in instrument.criteria if c.id == criterion_id), None)
    if found is None:
        raise NotFound(N_("This instrument has no such criterion."))
    return found


def _check_criterion(values: CriterionFields) -> CriterionFields:
    # A field missing from the post arrives as None.
    label, question, hint = (
        (values.label or "").strip(),
        (values.question or "").strip(),
        (values.hint or "").strip(),
    )
    if not label:
        raise Invalid(N_("Give the criterion a short name."), field="label")
    if not question:
        raise Invalid(N_("Write the question people answer."), field="question")
    return CriterionFields(label, question, hint)


@officers_only
def add_criterion(
    session: Session, slug: str, values: CriterionFields, *, actor: User
) -> Criterion:
    instrument = _require(session, slug)
    values = _check_criterion(values)
    criterion = Criterion(
        position=max((c.position for c in instrument.criteria), default=0) + 1,
        label=values.label,
        question=values.question,
        hint=values.hint,
    )
    instrument.criteria.append(criterion)
    session.flush()
    audit.record(
        session, actor, "appraisals.criterion_added", f"appraisal_instrument:{instrument.id}",
        {"criterion": criterion.id, "label": criterion.label},
    )  # fmt: skip
    session.commit()
    return criterion


@officers_only
def update_criterion(
    session: Session, slug: str, criterion_id: int, values: CriterionFields, *, actor: User
) -> Criterion:
    criterion = get_criterion(session, slug, criterion_id)
    values = _check_criterion(values)
    changed: dict[str, list[Any]] = {}
    for name in ("label", "question", "hint"):
        before, after = getattr(criterion, name), getattr(values, name)
        if before != after:
            changed[name] = [before, after]
            setattr(criterion, name, after)
    if changed:
        audit.record(
            session, actor, "appraisals.criterion_updated",
            f"appraisal_instrument:{criterion.instrument_id}",
            {"criterion": criterion.id, **changed},
        )  # fmt: skip
    session.commit()
    return criterion


@officers_only
def move_criterion(
    session: Session, slug: str, criterion_id: int, offset: int, *, actor: User
) -> Criterion:
    """Move a criterion one place earlier (offset -1) or later (+1)."""
    criterion = get_criterion(session, slug, criterion_id)
    ordered = list(criterion.instrument.criteria)
    index = ordered.index(criterion)
    other = index + (1 if offset > 0 else -1)
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, each in enumerate(ordered, start=1):
            each.position = position
        audit.record(
            session, actor, "appraisals.criterion_moved",
            f"appraisal_instrument:{criterion.instrument_id}",
            {"criterion": criterion.id, "position": other + 1},
        )  # fmt: skip
    session.commit()
    return criterion


@officers_only
def delete_criterion(session: Session, slug: str, criterion_id: int, *, actor: User) -> None:
    criterion = get_criterion(session, slug, criterion_id)
    instrument = criterion.instrument
    if count_appraisals(session, instrument.id):
        raise Conflict(
            N_("Criteria cannot be deleted once people have appraised with the instrument.")
        )
    if instrument.status is Status.OPEN and len(instrument.criteria) == 1:
        raise Conflict(N_("An open instrument keeps at least one criterion."))
    audit.record(
        session, actor, "appraisals.criterion_deleted", f"appraisal_instrument:{instrument.id}",
        {"criterion": criterion.id, "label": criterion.label},
    )  # fmt: skip
    instrument.criteria.remove(criterion)
    for position, each in enumerate(instrument.criteria, start=1):
        each.position = position
    session.commit()


# --- Appraisals -------------------------------------------------------------------------------


def score_field(criterion_id: int) -> str:
    """The name of the form field (and of the error's field) of a criterion's score ..."""
    return f"score_{criterion_id}"


def justification_field(criterion_id: int) -> str:
    """... and of its justification."""
    return f"justification_{criterion_id}"


def _client_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise Invalid(
            N_("This form could not be recognised. Open it again and send your answers."),
            field="client_id",
        ) from None


def _stored(session: Session, instrument_id: int, client_id: str) -> Appraisal | None:
    return session.scalar(
        sa.select(Appraisal).where(
            Appraisal.instrument_id == instrument_id, Appraisal.client_id == client_id
        )
    )


def _resent(stored: Appraisal, actor: User) -> Appraisal:
    """The same form sent again (a double click, a retried request): what was stored then."""
    if stored.author_id != actor.id:
        raise Conflict(
            N_("This form has been sent already. Open the form again to send a new appraisal."),
            field="client_id",
        )
    return stored


def _check_scores(
    instrument: Instrument, scores: Mapping[int, tuple[int | None, str]]
) -> list[AppraisalScore]:
    if not instrument.criteria:
        raise Conflict(N_("This instrument has no criteria to score yet."))
    known = {criterion.id for criterion in instrument.criteria}
    if set(scores) - known:
        raise Invalid(
            N_("Some scores are for criteria this instrument does not have. Reload the page.")
        )
    checked = []
    for criterion in instrument.criteria:
        score, justification = scores.get(criterion.id, (None, ""))
        if score is None:
            raise Invalid(N_("Choose a score."), field=score_field(criterion.id))
        if not instrument.scale_min <= score <= instrument.scale_max:
            raise Invalid(
                N_("Choose a score from %(low)s to %(high)s."),
                field=score_field(criterion.id),
                low=instrument.scale_min,
                high=instrument.scale_max,
            )
        justification = (justification or "").strip()
        if not justification:
            raise Invalid(
                N_("Say why you gave this score."), field=justification_field(criterion.id)
            )
        if len(justification) > JUSTIFICATION_MAX_LENGTH:
            raise Invalid(
                N_("Keep your reasons to %(limit)s characters or fewer."),
                field=justification_field(criterion.id),
                limit=JUSTIFICATION_MAX_LENGTH,
            )
        checked.append(
            AppraisalScore(criterion_id=criterion.id, score=score, justification=justification)
        )
    return checked


def submit_appraisal(
    session: Session,
    instrument: Instrument,
    area_id: int | None,
    scores: Mapping[int, tuple[int | None, str]],
    client_id: str,
    *,
    actor: User,
    kind: AppraisalKind = AppraisalKind.INDIVIDUAL,
    group_name: str = "",
    participants: int | None = 1,
) -> Appraisal:
    """Store an appraisal of one area: ``scores`` maps each criterion's id to its score and
    justification. A resident's own (``kind`` individual: one participant, no group name), or a
    workshop group's agreed scores entered by an officer (a group name, and 2 to 500 people).
    The same ``client_id`` sent again returns the appraisal stored the first time."""
    client_id = _client_id(client_id)
    stored = _stored(session, instrument.id, client_id)
    if stored is not None:
        return _resent(stored, actor)
    if instrument.status is not Status.OPEN:
        raise Conflict(N_("This appraisal is not open, so nothing was saved."))
    if kind is AppraisalKind.GROUP:
        if not may_manage(actor):
            raise Forbidden(N_("Only officers enter a workshop group's appraisal."))
        group_name = group_name.strip()
        if not group_name:
            raise Invalid(
                N_("Name the group (such as the workshop's place and date)."), field="group_name"
            )
        if len(group_name) > GROUP_NAME_MAX_LENGTH:
            raise Invalid(
                N_("Keep the group's name to %(limit)s characters or fewer."),
                field="group_name",
                limit=GROUP_NAME_MAX_LENGTH,
            )
        if participants is None or not (
            GROUP_MIN_PARTICIPANTS <= participants <= GROUP_MAX_PARTICIPANTS
        ):
            raise Invalid(
                N_("A group has from %(low)s to %(high)s people."),
                field="participants",
                low=GROUP_MIN_PARTICIPANTS,
                high=GROUP_MAX_PARTICIPANTS,
            )
    else:
        group_name, participants = "", 1
    area = next((a for a in mission_areas(session, instrument) if a.id == area_id), None)
    if area is None:
        raise Invalid(N_("Choose the area you are appraising."), field="area_id")
    appraisal = Appraisal(
        instrument_id=instrument.id,
        area_id=area.id,
        client_id=client_id,
        author_id=actor.id,
        kind=kind,
        group_name=group_name,
        participants=participants,
        scores=_check_scores(instrument, scores),
    )
    instrument_id = instrument.id
    session.add(appraisal)
    try:
        session.flush()
    except IntegrityError:  # the same form, sent twice at the same moment: the other one won
        session.rollback()
        stored = _stored(session, instrument_id, client_id)
        if stored is None:
            raise
        return _resent(stored, actor)
    if kind is AppraisalKind.GROUP:
        audit.record(
            session, actor, "appraisals.group_appraisal_entered", f"appraisal:{appraisal.id}",
            {"instrument": instrument_id, "area": area.id, "group_name": group_name,
             "participants": participants},
        )  # fmt: skip
    session.commit()
    return appraisal


# --- Results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Justification:
    score: int
    text: str
    by: Message  # "Resident", or "Group: <name> (<n> people)": never who the resident is
    created_at: datetime


@dataclass(frozen=True)
class CriterionResult:
    criterion: Criterion
    summary: Summary  # every counted appraisal's score once, a group's too
    people: int  # how many people stand behind those scores
    justifications: list[Justification] = field(default_factory=list)  # newest first
    justification_count: int = 0


@dataclass(frozen=True)
class AreaResult:
    area: Area
    appraisals: int  # counted: each resident's latest, and every group's
    individual: int
    groups: int
    people: int
    criteria: list[CriterionResult]

    def medians(self) -> list[float | None]:
        return [result.summary.median for result in self.criteria]


@dataclass(frozen=True)
class Results:
    instrument: Instrument
    areas: list[AreaResult]  # the areas with appraisals, by name
    not_appraised: list[Area]
    chosen: AreaResult | None  # the area whose justifications are listed
    superseded: int  # earlier appraisals replaced by the same resident's later ones
    all_justifications: bool


@dataclass
class _Counted:
    area_id: int
    by: Message
    participants: int
    created_at: datetime
    kind: AppraisalKind


def _by(kind: AppraisalKind, group_name: str, participants: int) -> Message:
    if kind is AppraisalKind.GROUP:
        return Message(
            N_("Group: %(name)s (%(count)s people)"), {"name": group_name, "count": participants}
        )
    return Message(N_("Resident"))


def _counted_appraisals(session: Session, instrument_id: int) -> tuple[dict[int, _Counted], int]:
    """The appraisals that count, by id (each resident's latest per area, every group's), and
    how many earlier ones were left out."""
    rows = session.execute(
        sa.select(
            Appraisal.id,
            Appraisal.area_id,
            Appraisal.author_id,
            Appraisal.kind,
            Appraisal.group_name,
            Appraisal.participants,
            Appraisal.created_at,
        )
        .where(Appraisal.instrument_id == instrument_id)
        .order_by(Appraisal.created_at.desc(), Appraisal.id.desc())
    )
    counted: dict[int, _Counted] = {}
    seen: set[tuple[int, int]] = set()
    superseded = 0
    for appraisal_id, area_id, author_id, kind, group_name, participants, created_at in rows:
        if kind is AppraisalKind.INDIVIDUAL and author_id is not None:
            if (author_id, area_id) in seen:
                superseded += 1
                continue
            seen.add((author_id, area_id))
        counted[appraisal_id] = _Counted(
            area_id, _by(kind, group_name, participants), participants, created_at, kind
        )
    return counted, superseded


def results(
    session: Session,
    instrument: Instrument,
    area_id: int | None,
    *,
    viewer: Any,
    all_justifications: bool = False,
) -> Results:
    """Per area and criterion: the statistics of the counted appraisals' scores and the people
    behind them; and, for the area ``area_id`` (by default the first appraised), the
    justifications, newest first (the latest few, or all of them)."""
    if not results_visible(instrument, viewer):
        raise Forbidden(N_("The results are published when the appraisal closes."))
    areas = mission_areas(session, instrument)
    by_id = {area.id: area for area in areas}
    if area_id is not None and area_id not in by_id:
        raise NotFound(N_("This appraisal has no such area."))
    counted, superseded = _counted_appraisals(session, instrument.id)
    # (area, criterion) -> scores, people
    scores: dict[tuple[int, int], list[int]] = defaultdict(list)
    people: dict[tuple[int, int], int] = defaultdict(int)
    for appraisal_id, criterion_id, score in session.execute(
        sa.select(AppraisalScore.appraisal_id, AppraisalScore.criterion_id, AppraisalScore.score)
        .join(Appraisal, Appraisal.id == AppraisalScore.appraisal_id)
        .where(Appraisal.instrument_id == instrument.id)
    ):
        found = counted.get(appraisal_id)
        if found is None:
            continue
        scores[found.area_id, criterion_id].append(score)
        people[found.area_id, criterion_id] += found.participants
    by_area: dict[int, list[_Counted]] = defaultdict(list)
    for found in counted.values():
        by_area[found.area_id].append(found)
    appraised = set(by_area)
    if area_id is None:
        area_id = next((area.id for area in areas if area.id in appraised), None)
    said = _justifications(session, instrument, area_id, counted) if area_id else {}

    def area_result(area: Area) -> AreaResult:
        mine = by_area.get(area.id, [])
        groups = [found for found in mine if found.kind is AppraisalKind.GROUP]
        criteria = []
        for criterion in instrument.criteria:
            given = said.get(criterion.id, []) if area.id == area_id else []
            criteria.append(
                CriterionResult(
                    criterion=criterion,
                    summary=summarise(
                        scores[area.id, criterion.id], instrument.scale_min, instrument.scale_max
                    ),
                    people=people[area.id, criterion.id],
                    justifications=given if all_justifications else given[:JUSTIFICATIONS_SHOWN],
                    justification_count=len(given),
                )
            )
        return AreaResult(
            area=area,
            appraisals=len(mine),
            individual=len(mine) - len(groups),
            groups=len(groups),
            people=sum(found.participants for found in mine),
            criteria=criteria,
        )

    area_results = [area_result(area) for area in areas if area.id in appraised]
    chosen = None
    if area_id is not None:
        chosen = next((r for r in area_results if r.area.id == area_id), None) or area_result(
            by_id[area_id]
        )
    return Results(
        instrument=instrument,
        areas=area_results,
        not_appraised=[area for area in areas if area.id not in appraised],
        chosen=chosen,
        superseded=superseded,
        all_justifications=all_justifications,
    )


def _justifications(
    session: Session, instrument: Instrument, area_id: int, counted: dict[int, _Counted]
) -> dict[int, list[Justification]]:
    """The counted appraisals' justifications for one area, by criterion, newest first."""
    found: dict[int, list[Justification]] = defaultdict(list)
    rows = session.execute(
        sa.select(
            AppraisalScore.appraisal_id,
            AppraisalScore.criterion_id,
            AppraisalScore.score,
            AppraisalScore.justification,
        )
        .join(Appraisal, Appraisal.id == AppraisalScore.appraisal_id)
        .where(Appraisal.instrument_id == instrument.id, Appraisal.area_id == area_id)
        .order_by(Appraisal.created_at.desc(), Appraisal.id.desc())
    )
    for appraisal_id, criterion_id, score, text in rows:
        appraisal = counted.get(appraisal_id)
        if appraisal is not None and text:
            found[criterion_id].append(
                Justification(score, text, appraisal.by, appraisal.created_at)
            )
    return found
