"""Multi-criteria mapping: exercises with their options and criteria, participants' weights and
low/high scores, and the results (rank intervals, agreement and difference) from ``ranking``.

Officers' actions (creating and changing an exercise, opening and closing it) are audit-logged.
Participants' answers are not: they are the data itself, kept in the responses (as co-design
does with votes). Results never name participants: they are "Participant 1, 2, ..." in the
order of their first answer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from engage import audit
from engage.accounts.models import User
from engage.appraisals import ranking
from engage.appraisals.models import (
    MappingCriterion,
    MappingExercise,
    MappingOption,
    MappingResponse,
    MappingScore,
    MappingWeight,
    Status,
)
from engage.db import utcnow
from engage.errors import N_, Conflict, Forbidden, Invalid, NotFound
from engage.missions import services as missions
from engage.missions.models import Mission, MissionStatus
from engage.pagination import Page, offset_of
from engage.security import Role, holds, officers_only
from engage.slugs import unique_slug

EXERCISES_PER_PAGE = 20
MIN_OPTIONS = 2
MAX_OPTIONS = 12
MIN_CRITERIA = 1
MAX_CRITERIA = 12
LABEL_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 2000
REASON_MAX_LENGTH = 1000
MAX_WEIGHT = 100
SCALE_LIMIT = 1_000_000  # scales run within -SCALE_LIMIT .. SCALE_LIMIT
RESERVED_SLUGS = frozenset({"new"})  # /mapping/new is the new-exercise page

# The method note shown under the results, one paragraph per item.
METHOD_NOTE = (
    N_(
        "Each participant weights the criteria; the weights are divided by their sum, so only "
        "their proportions count. For every option they give a pessimistic (low) and an "
        "optimistic (high) score on each criterion. The option's pessimistic total is the "
        "weighted sum of its low scores, its optimistic total the weighted sum of its high scores."
    ),
    N_(
        "An option's best rank is 1 plus the number of other options whose pessimistic total is "
        "above its optimistic total: they beat it even at its best. Its worst rank is 1 plus the "
        "number of other options whose optimistic total is above its pessimistic total: they "
        "could beat it at its worst. Equal totals never push a rank down, and totals are "
        "rounded to %(decimals)s decimal places before they are compared."
    ),
    N_(
        "Participants agree on an option when some rank lies inside every participant's "
        "interval; two participants differ on it when their intervals share no rank. A "
        "participant robustly prefers one option to another when the first option's "
        "pessimistic total is above the other's optimistic total. Participants are numbered in "
        "the order they first answered and never named. The method follows Andy Stirling's "
        "multi-criteria mapping; the same answers always give the same results."
    ),
)


# --- Inputs: what the forms hand over ---------------------------------------------------------


@dataclass
class ExerciseFields:
    title: str
    question: str
    scale_min: int
    scale_max: int


@dataclass
class NewExerciseFields(ExerciseFields):
    options: list[str]  # one label per line as typed
    criteria: list[str]


@dataclass
class ItemFields:
    """An option or a criterion."""

    label: str
    description: str


Cell = tuple[float | None, float | None, str]  # low, high, reason


class ResponseInvalid(Invalid):
    """Everything wrong with a response at once: ``errors`` each name the input they are about
    (``weight-<criterion>``, ``low-<option>-<criterion>``, ``high-...``, ``reason-...``, or
    ``weights`` for the weights as a whole)."""

    def __init__(self, errors: Sequence[Invalid]) -> None:
        super().__init__(N_("Some answers need another look: see the messages beside them."))
        self.errors = list(errors)


def weight_field(criterion_id: int) -> str:
    return f"weight-{criterion_id}"


def score_field(part: str, option_id: int, criterion_id: int) -> str:
    """``part`` is low, high or reason."""
    return f"{part}-{option_id}-{criterion_id}"


# --- Reading ----------------------------------------------------------------------------------


def may_manage(viewer: Any) -> bool:
    """Officers (and admins) prepare exercises and see them while they are drafts."""
    return holds(viewer, Role.OFFICER)


def results_visible(exercise: MappingExercise, viewer: Any) -> bool:
    """Staff (officers and evaluators) follow the results while an exercise is open; everyone
    sees them once it has closed, so early results do not sway later participants."""
    staff = holds(viewer, Role.OFFICER) or holds(viewer, Role.EVALUATOR)
    return staff or exercise.status is Status.CLOSED


def _hidden(exercise: MappingExercise) -> bool:
    return exercise.status is Status.DRAFT or exercise.mission.status is MissionStatus.DRAFT


def list_exercises(
    session: Session, *, viewer: Any, page: int, mission_slug: str | None = None
) -> Page[MappingExercise]:
    """Exercises (of one mission, if given), newest first; drafts (and exercises of draft
    missions) only for officers."""
    query = sa.select(MappingExercise).join(Mission, Mission.id == MappingExercise.mission_id)
    if mission_slug:
        query = query.where(Mission.slug == mission_slug)
    if not may_manage(viewer):
        query = query.where(
            MappingExercise.status != Status.DRAFT, Mission.status != MissionStatus.DRAFT
        )
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.options(selectinload(MappingExercise.mission))
        .order_by(MappingExercise.created_at.desc(), MappingExercise.id.desc())
        .offset(offset_of(page, EXERCISES_PER_PAGE))
        .limit(EXERCISES_PER_PAGE)
    )
    return Page(list(items), page, EXERCISES_PER_PAGE, total)


def get_exercise(session: Session, slug: str, *, viewer: Any) -> MappingExercise:
    """The exercise at ``slug`` as ``viewer`` may see it: drafts only for officers."""
    exercise = session.scalars(
        sa.select(MappingExercise).where(MappingExercise.slug == slug)
    ).one_or_none()
    if exercise is None or (_hidden(exercise) and not may_manage(viewer)):
        raise NotFound(N_("There is no mapping exercise at this address."))
    return exercise


def count_responses(session: Session, exercise_id: int) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(MappingResponse)
            .where(MappingResponse.exercise_id == exercise_id)
        )
        or 0
    )


def get_response(session: Session, exercise_id: int, participant: Any) -> MappingResponse | None:
    """The participant's saved response, or None."""
    if participant is None or not participant.is_authenticated:
        return None
    return session.scalars(
        sa.select(MappingResponse)
        .where(
            MappingResponse.exercise_id == exercise_id,
            MappingResponse.participant_id == participant.id,
        )
        .options(selectinload(MappingResponse.weights), selectinload(MappingResponse.scores))
    ).one_or_none()


def get_option(session: Session, slug: str, option_id: int) -> MappingOption:
    option = session.get(MappingOption, option_id)
    if option is None or option.exercise.slug != slug:
        raise NotFound(N_("This exercise has no such option."))
    return option


def get_criterion(session: Session, slug: str, criterion_id: int) -> MappingCriterion:
    criterion = session.get(MappingCriterion, criterion_id)
    if criterion is None or criterion.exercise.slug != slug:
        raise NotFound(N_("This exercise has no such criterion."))
    return criterion


# --- Preparing an exercise (officers) ---------------------------------------------------------


def _check_scale(values: ExerciseFields) -> None:
    for name in ("scale_min", "scale_max"):
        if abs(getattr(values, name)) > SCALE_LIMIT:
            raise Invalid(
                N_("Keep the scale within %(low)s and %(high)s."),
                field=name,
                low=-SCALE_LIMIT,
                high=SCALE_LIMIT,
            )
    if values.scale_min >= values.scale_max:
        raise Invalid(N_("The best score must be above the worst score."), field="scale_max")


def _check_labels(labels: Sequence[str], field: str, *, least: int, most: int) -> list[str]:
    cleaned = [label.strip() for label in labels if label.strip()]
    if len(cleaned) < least:
        message = (
            N_("List at least %(count)s options, one per line.")
            if field == "options"
            else N_("List at least %(count)s criterion, one per line.")
        )
        raise Invalid(message, field=field, count=least)
    if len(cleaned) > most:
        raise Invalid(N_("List at most %(count)s, one per line."), field=field, count=most)
    if any(len(label) > LABEL_MAX_LENGTH for label in cleaned):
        raise Invalid(
            N_("Keep each line to %(limit)s characters or fewer."),
            field=field,
            limit=LABEL_MAX_LENGTH,
        )
    folded = [label.casefold() for label in cleaned]
    if len(set(folded)) < len(folded):
        raise Invalid(N_("Each line must be different from the others."), field=field)
    return cleaned


@officers_only
def create_exercise(
    session: Session, mission_slug: str, values: NewExerciseFields, *, actor: User
) -> MappingExercise:
    """A draft exercise with its options and criteria (one per line, in order)."""
    mission = missions.get_mission(session, mission_slug, include_drafts=True)
    _check_scale(values)
    options = _check_labels(values.options, "options", least=MIN_OPTIONS, most=MAX_OPTIONS)
    criteria = _check_labels(values.criteria, "criteria", least=MIN_CRITERIA, most=MAX_CRITERIA)
    exercise = MappingExercise(
        mission_id=mission.id,
        slug=unique_slug(
            session, MappingExercise.slug, values.title, fallback="mapping", reserved=RESERVED_SLUGS
        ),
        title=values.title,
        question=values.question,
        scale_min=values.scale_min,
        scale_max=values.scale_max,
        status=Status.DRAFT,
        created_by_id=actor.id,
        options=[MappingOption(position=n, label=label) for n, label in enumerate(options, 1)],
        criteria=[MappingCriterion(position=n, label=label) for n, label in enumerate(criteria, 1)],
    )
    session.add(exercise)
    session.flush()
    audit.record(
        session, actor, "mapping.exercise_created", f"mapping_exercise:{exercise.id}",
        {"mission": mission.id, "title": values.title, "options": options, "criteria": criteria},
    )  # fmt: skip
    session.commit()
    return exercise


def _require_no_responses(session: Session, exercise: MappingExercise, field: str | None) -> None:
    if count_responses(session, exercise.id):
        raise Conflict(
            N_(
                "People have already answered, so the options, criteria and scale stay as they are."
            ),
            field=field,
        )


@officers_only
def update_exercise(
    session: Session, slug: str, values: ExerciseFields, *, actor: User
) -> MappingExercise:
    """Title and question may change at any time; the scale only before anyone answers."""
    exercise = get_exercise(session, slug, viewer=actor)
    _check_scale(values)
    if (values.scale_min, values.scale_max) != (exercise.scale_min, exercise.scale_max):
        _require_no_responses(session, exercise, "scale_min")
    changed: dict[str, list[Any]] = {}
    for name in ("title", "question", "scale_min", "scale_max"):
        before, after = getattr(exercise, name), getattr(values, name)
        if before != after:
            changed[name] = [before, after]
            setattr(exercise, name, after)
    if changed:
        audit.record(
            session, actor, "mapping.exercise_updated", f"mapping_exercise:{exercise.id}", changed
        )
    session.commit()
    return exercise


def _items(exercise: MappingExercise, kind: str) -> list[Any]:
    return list(exercise.options if kind == "option" else exercise.criteria)


def _check_item(
    exercise: MappingExercise, kind: str, values: ItemFields, item_id: int | None
) -> None:
    if not values.label.strip():
        raise Invalid(N_("Give it a label."), field="label")
    if len(values.label) > LABEL_MAX_LENGTH:
        raise Invalid(
            N_("Keep the label to %(limit)s characters or fewer."),
            field="label",
            limit=LABEL_MAX_LENGTH,
        )
    if len(values.description) > DESCRIPTION_MAX_LENGTH:
        raise Invalid(
            N_("Keep the description to %(limit)s characters or fewer."),
            field="description",
            limit=DESCRIPTION_MAX_LENGTH,
        )
    if any(
        item.label.casefold() == values.label.strip().casefold() and item.id != item_id
        for item in _items(exercise, kind)
    ):
        raise Conflict(N_("The exercise already has one with this label."), field="label")


def _add_item(
    session: Session, slug: str, kind: str, values: ItemFields, *, actor: User
) -> MappingOption | MappingCriterion:
    exercise = get_exercise(session, slug, viewer=actor)
    _require_no_responses(session, exercise, None)
    _check_item(exercise, kind, values, None)
    items = _items(exercise, kind)
    most = MAX_OPTIONS if kind == "option" else MAX_CRITERIA
    if len(items) >= most:
        raise Conflict(N_("An exercise can have at most %(count)s of these."), count=most)
    position = max((item.position for item in items), default=0) + 1
    label, description = values.label.strip(), values.description
    item: MappingOption | MappingCriterion
    if kind == "option":
        item = MappingOption(position=position, label=label, description=description)
        exercise.options.append(item)
    else:
        item = MappingCriterion(position=position, label=label, description=description)
        exercise.criteria.append(item)
    session.flush()
    audit.record(
        session, actor, f"mapping.{kind}_added", f"mapping_exercise:{exercise.id}",
        {kind: item.id, "label": label},
    )  # fmt: skip
    session.commit()
    return item


def _update_item(
    session: Session,
    exercise: MappingExercise,
    kind: str,
    item: MappingOption | MappingCriterion,
    values: ItemFields,
    *,
    actor: User,
) -> None:
    _require_no_responses(session, exercise, None)
    _check_item(exercise, kind, values, item.id)
    changed: dict[str, list[str]] = {}
    for name, after in (("label", values.label.strip()), ("description", values.description)):
        before = getattr(item, name)
        if before != after:
            changed[name] = [before, after]
            setattr(item, name, after)
    if changed:
        audit.record(
            session, actor, f"mapping.{kind}_updated", f"mapping_exercise:{exercise.id}",
            {kind: item.id, **changed},
        )  # fmt: skip
    session.commit()


def _delete_item(
    session: Session,
    exercise: MappingExercise,
    kind: str,
    item: MappingOption | MappingCriterion,
    *,
    actor: User,
) -> None:
    _require_no_responses(session, exercise, None)
    least = MIN_OPTIONS if kind == "option" else MIN_CRITERIA
    if len(_items(exercise, kind)) <= least:
        message = (
            N_("An exercise needs at least %(count)s options.")
            if kind == "option"
            else N_("An exercise needs at least %(count)s criterion.")
        )
        raise Conflict(message, count=least)
    if kind == "option":
        exercise.options.remove(item)  # type: ignore[arg-type]
    else:
        exercise.criteria.remove(item)  # type: ignore[arg-type]
    audit.record(
        session, actor, f"mapping.{kind}_deleted", f"mapping_exercise:{exercise.id}",
        {kind: item.id, "label": item.label},
    )  # fmt: skip
    session.commit()


@officers_only
def add_option(session: Session, slug: str, values: ItemFields, *, actor: User) -> MappingOption:
    option = _add_item(session, slug, "option", values, actor=actor)
    assert isinstance(option, MappingOption)
    return option


@officers_only
def add_criterion(
    session: Session, slug: str, values: ItemFields, *, actor: User
) -> MappingCriterion:
    criterion = _add_item(session, slug, "criterion", values, actor=actor)
    assert isinstance(criterion, MappingCriterion)
    return criterion


@officers_only
def update_option(
    session: Session, slug: str, option_id: int, values: ItemFields, *, actor: User
) -> MappingOption:
    exercise = get_exercise(session, slug, viewer=actor)
    option = get_option(session, slug, option_id)
    _update_item(session, exercise, "option", option, values, actor=actor)
    return option


@officers_only
def update_criterion(
    session: Session, slug: str, criterion_id: int, values: ItemFields, *, actor: User
) -> MappingCriterion:
    exercise = get_exercise(session, slug, viewer=actor)
    criterion = get_criterion(session, slug, criterion_id)
    _update_item(session, exercise, "criterion", criterion, values, actor=actor)
    return criterion


@officers_only
def delete_option(session: Session, slug: str, option_id: int, *, actor: User) -> None:
    exercise = get_exercise(session, slug, viewer=actor)
    _delete_item(session, exercise, "option", get_option(session, slug, option_id), actor=actor)


@officers_only
def delete_criterion(session: Session, slug: str, criterion_id: int, *, actor: User) -> None:
    exercise = get_exercise(session, slug, viewer=actor)
    criterion = get_criterion(session, slug, criterion_id)
    _delete_item(session, exercise, "criterion", criterion, actor=actor)


@officers_only
def open_exercise(session: Session, slug: str, *, actor: User) -> MappingExercise:
    """A draft (or a closed exercise, reopened) starts taking answers."""
    exercise = get_exercise(session, slug, viewer=actor)
    if exercise.status is Status.OPEN:
        raise Conflict(N_("This exercise is already open."))
    before = exercise.status
    exercise.status = Status.OPEN
    audit.record(
        session, actor, "mapping.exercise_opened", f"mapping_exercise:{exercise.id}",
        {"from": before.value},
    )  # fmt: skip
    session.commit()
    return exercise


@officers_only
def close_exercise(session: Session, slug: str, *, actor: User) -> MappingExercise:
    """An open exercise stops taking answers; its results become public."""
    exercise = get_exercise(session, slug, viewer=actor)
    if exercise.status is not Status.OPEN:
        raise Conflict(N_("Only an open exercise can be closed."))
    exercise.status = Status.CLOSED
    audit.record(
        session, actor, "mapping.exercise_closed", f"mapping_exercise:{exercise.id}",
        {"responses": count_responses(session, exercise.id)},
    )  # fmt: skip
    session.commit()
    return exercise


# --- Taking part ------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    """A finite number, or None for anything else (missing, text, NaN, infinity, booleans)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _response_errors(
    exercise: MappingExercise,
    weights: Mapping[int, float | None],
    scores: Mapping[tuple[int, int], Cell],
) -> list[Invalid]:
    errors: list[Invalid] = []
    criterion_ids = {criterion.id for criterion in exercise.criteria}
    option_ids = {option.id for option in exercise.options}
    stray_weights = set(weights) - criterion_ids
    stray_cells = {key for key in scores if key[0] not in option_ids or key[1] not in criterion_ids}
    if stray_weights or stray_cells:
        errors.append(Invalid(N_("The exercise has changed since the page was loaded.")))
    given = []
    for criterion in exercise.criteria:
        weight = _number(weights.get(criterion.id))
        if weight is None or not 0 <= weight <= MAX_WEIGHT:
            errors.append(
                Invalid(
                    N_("Give this criterion a weight from 0 to %(max)s."),
                    field=weight_field(criterion.id),
                    max=MAX_WEIGHT,
                )
            )
        else:
            given.append(weight)
    if len(given) == len(exercise.criteria) and not any(given):
        errors.append(Invalid(N_("Give at least one criterion a weight above 0."), field="weights"))
    low_end, high_end = exercise.scale_min, exercise.scale_max
    for option in exercise.options:
        for criterion in exercise.criteria:
            low, high, reason = scores.get((option.id, criterion.id), (None, None, ""))
            cell = (option.id, criterion.id)
            low, high = _number(low), _number(high)
            in_scale = True
            for part, value, message in (
                ("low", low, N_("Give a low score from %(min)s to %(max)s.")),
                ("high", high, N_("Give a high score from %(min)s to %(max)s.")),
            ):
                if value is None or not low_end <= value <= high_end:
                    in_scale = False
                    errors.append(
                        Invalid(message, field=score_field(part, *cell), min=low_end, max=high_end)
                    )
            if in_scale and low is not None and high is not None and low > high:
                errors.append(
                    Invalid(
                        N_("The high score cannot be below the low score."),
                        field=score_field("high", *cell),
                    )
                )
            text = reason.strip() if isinstance(reason, str) else ""
            if not text:
                errors.append(
                    Invalid(
                        N_("Say why you gave these scores."), field=score_field("reason", *cell)
                    )
                )
            elif len(text) > REASON_MAX_LENGTH or "\x00" in text:
                errors.append(
                    Invalid(
                        N_("Keep the reason to %(limit)s characters or fewer, in plain text."),
                        field=score_field("reason", *cell),
                        limit=REASON_MAX_LENGTH,
                    )
                )
    return errors


def save_response(
    session: Session,
    slug: str,
    *,
    actor: User,
    weights: Mapping[int, float | None],
    scores: Mapping[tuple[int, int], Cell],
) -> MappingResponse:
    """Store the participant's weights ({criterion id: 0..100}) and scores ({(option id,
    criterion id): (low, high, reason)}), replacing any they saved before, in one transaction.
    Every problem is reported at once, as a :class:`ResponseInvalid`."""
    exercise = get_exercise(session, slug, viewer=actor)
    if exercise.status is not Status.OPEN:
        raise Conflict(N_("This exercise is not open for answers."))
    errors = _response_errors(exercise, weights, scores)
    if errors:
        raise ResponseInvalid(errors)
    response = get_response(session, exercise.id, actor)
    if response is None:
        response = MappingResponse(exercise_id=exercise.id, participant_id=actor.id)
        session.add(response)
    else:
        # Replace: remove the old rows first, so the new ones can take their keys.
        response.weights.clear()
        response.scores.clear()
        session.flush()
    response.updated_at = utcnow()
    response.weights.extend(
        MappingWeight(criterion_id=criterion.id, weight=float(weights[criterion.id] or 0))
        for criterion in exercise.criteria
    )
    for option in exercise.options:
        for criterion in exercise.criteria:
            low, high, reason = scores[(option.id, criterion.id)]
            response.scores.append(
                MappingScore(
                    option_id=option.id,
                    criterion_id=criterion.id,
                    low=float(low or 0),
                    high=float(high or 0),
                    reason=reason.strip(),
                )
            )
    try:
        session.commit()
    except IntegrityError as error:  # the same person's first answer, sent twice at once
        session.rollback()
        raise Conflict(
            N_("Your answers were sent twice at once. Check them and send again.")
        ) from error
    return response


# --- Results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParticipantResult:
    number: int  # "Participant 1", in the order of first answers
    weights: tuple[float, ...]  # normalised (sum 1), in criteria order
    intervals: tuple[ranking.RankInterval, ...]  # in options order


@dataclass(frozen=True)
class Reason:
    participant: int
    low: float
    high: float
    text: str


@dataclass(frozen=True)
class MappingResults:
    exercise: MappingExercise
    options: list[MappingOption]
    criteria: list[MappingCriterion]
    participants: list[ParticipantResult]
    comparison: ranking.Comparison
    weights: list[ranking.CriterionWeights | None]  # per criterion
    reasons: dict[tuple[int, int], list[Reason]]  # (option id, criterion id)

    @property
    def method_note(self) -> list[tuple[str, dict[str, Any]]]:
        """The paragraphs of the method note with their parameters, to translate."""
        return [(paragraph, {"decimals": ranking.TIE_DECIMALS}) for paragraph in METHOD_NOTE]


def results(session: Session, slug: str, *, viewer: Any) -> MappingResults:
    """Every participant's normalised weights and rank intervals, what they share, and their
    reasons; for staff while the exercise is open and for everyone once it has closed."""
    exercise = get_exercise(session, slug, viewer=viewer)
    if not results_visible(exercise, viewer):
        raise Forbidden(N_("The results of this exercise are published when it closes."))
    options, criteria = list(exercise.options), list(exercise.criteria)
    responses = session.scalars(
        sa.select(MappingResponse)
        .where(MappingResponse.exercise_id == exercise.id)
        .options(selectinload(MappingResponse.weights), selectinload(MappingResponse.scores))
        .order_by(MappingResponse.id)
    )
    participants: list[ParticipantResult] = []
    reasons: dict[tuple[int, int], list[Reason]] = {
        (option.id, criterion.id): [] for option in options for criterion in criteria
    }
    for response in responses:
        weight_of = {weight.criterion_id: weight.weight for weight in response.weights}
        score_of = {(score.option_id, score.criterion_id): score for score in response.scores}
        cells = [(o.id, c.id) for o in options for c in criteria]
        if any(c.id not in weight_of for c in criteria) or any(k not in score_of for k in cells):
            continue  # incomplete (cannot happen through save_response); left out, not guessed
        raw_weights = [weight_of[criterion.id] for criterion in criteria]
        try:
            normalised = ranking.normalise_weights(raw_weights)
            intervals = ranking.rank_intervals(
                raw_weights,
                [[score_of[(o.id, c.id)].low for c in criteria] for o in options],
                [[score_of[(o.id, c.id)].high for c in criteria] for o in options],
            )
        except ValueError:
            continue  # all-zero weights or low above high: refused on saving, so never stored
        number = len(participants) + 1
        participants.append(
            ParticipantResult(number, tuple(float(w) for w in normalised), tuple(intervals))
        )
        for key in cells:
            score = score_of[key]
            reasons[key].append(Reason(number, score.low, score.high, score.reason))
    comparison = ranking.compare([p.intervals for p in participants], len(options))
    weights = ranking.summarise_weights([p.weights for p in participants], len(criteria))
    return MappingResults(exercise, options, criteria, participants, comparison, weights, reasons)
