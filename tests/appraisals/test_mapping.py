"""Multi-criteria mapping use cases with a real session: preparing exercises, their options and
criteria, opening and closing them, saving (and replacing) responses with every rule checked at
once, and the pseudonymous results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.appraisals import mapping
from engage.appraisals.mapping import Cell, ResponseInvalid
from engage.appraisals.models import (
    MappingExercise,
    MappingResponse,
    MappingScore,
    MappingWeight,
    Status,
)
from engage.audit import AuditEntry
from engage.errors import Conflict, Forbidden, Invalid, NotFound
from engage.missions.models import MissionStatus
from engage.security import Role
from tests.factories import make_exercise, make_mission, make_user


def count(session: Session, model: type[Any]) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def actions(session: Session) -> list[str]:
    return list(session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def new_fields(**changes: Any) -> mapping.NewExerciseFields:
    values: dict[str, Any] = {
        "title": "Cutting traffic on Queen's Crescent",
        "question": "Which way of cutting traffic would serve the street best?",
        "scale_min": 0,
        "scale_max": 100,
        "options": ["Low-traffic neighbourhood", "Bus gate", "Do nothing"],
        "criteria": ["Air quality", "Cost"],
    }
    values.update(changes)
    return mapping.NewExerciseFields(**values)


def answers(
    exercise: MappingExercise,
    weights: list[float] | None = None,
    cells: dict[tuple[int, int], Cell] | None = None,
) -> tuple[dict[int, float | None], dict[tuple[int, int], Cell]]:
    """A complete, valid response: the given weights (default 50 each) and scores (by option
    and criterion position, 0-based; default low 40, high 60)."""
    criteria, options = exercise.criteria, exercise.options
    given = weights or [50.0] * len(criteria)
    weight_map: dict[int, float | None] = {c.id: w for c, w in zip(criteria, given, strict=True)}
    scores: dict[tuple[int, int], Cell] = {}
    for o, option in enumerate(options):
        for c, criterion in enumerate(criteria):
            scores[(option.id, criterion.id)] = (cells or {}).get(
                (o, c), (40.0, 60.0, f"Because of {option.label} and {criterion.label}.")
            )
    return weight_map, scores


def save(
    session: Session,
    exercise: MappingExercise,
    actor: User,
    weights: list[float] | None = None,
    cells: dict[tuple[int, int], Cell] | None = None,
) -> MappingResponse:
    weight_map, scores = answers(exercise, weights, cells)
    return mapping.save_response(
        session, exercise.slug, actor=actor, weights=weight_map, scores=scores
    )


def errors_of(excinfo: pytest.ExceptionInfo[ResponseInvalid]) -> dict[str | None, str]:
    return {error.field: str(error) for error in excinfo.value.errors}


# --- Preparing exercises ----------------------------------------------------------------------


def test_an_officer_creates_a_draft_exercise_with_options_and_criteria(
    session: Session, officer: User
) -> None:
    mission = make_mission(session, slug="healthy-streets")

    exercise = mapping.create_exercise(
        session,
        "healthy-streets",
        new_fields(options=["  Bus gate ", "", "Do nothing"], criteria=["Cost"]),
        actor=officer,
    )

    session.expire_all()
    stored = session.get(MappingExercise, exercise.id)
    assert stored is not None
    assert (stored.mission_id, stored.status, stored.created_by_id) == (
        mission.id,
        Status.DRAFT,
        officer.id,
    )
    assert stored.slug == "cutting-traffic-on-queen-s-crescent"
    assert [(o.position, o.label) for o in stored.options] == [(1, "Bus gate"), (2, "Do nothing")]
    assert [c.label for c in stored.criteria] == ["Cost"]
    assert (stored.scale_min, stored.scale_max) == (0, 100)
    assert actions(session) == ["mapping.exercise_created"]


def test_slugs_are_unique_and_never_new(session: Session, officer: User) -> None:
    mission = make_mission(session)
    first = mapping.create_exercise(session, mission.slug, new_fields(), actor=officer)
    second = mapping.create_exercise(session, mission.slug, new_fields(), actor=officer)
    reserved = mapping.create_exercise(
        session, mission.slug, new_fields(title="New"), actor=officer
    )
    odd = mapping.create_exercise(session, mission.slug, new_fields(title="???"), actor=officer)

    assert second.slug == f"{first.slug}-2"
    assert reserved.slug == "new-2"
    assert odd.slug == "mapping"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"options": ["Only one"]}, "options"),
        ({"options": ["Bus gate", "bus gate "]}, "options"),
        ({"options": [f"Option {n}" for n in range(13)]}, "options"),
        ({"options": ["x" * 201, "y"]}, "options"),
        ({"criteria": []}, "criteria"),
        ({"criteria": ["", "  "]}, "criteria"),
        ({"scale_min": 10, "scale_max": 10}, "scale_max"),
        ({"scale_min": 10, "scale_max": 5}, "scale_max"),
        ({"scale_min": -2_000_000}, "scale_min"),
        ({"scale_max": 10**12}, "scale_max"),
    ],
)
def test_creating_refuses_what_cannot_be_mapped(
    session: Session, officer: User, changes: dict[str, Any], field: str
) -> None:
    mission = make_mission(session)

    with pytest.raises(Invalid) as excinfo:
        mapping.create_exercise(session, mission.slug, new_fields(**changes), actor=officer)

    assert excinfo.value.field == field
    session.rollback()
    assert count(session, MappingExercise) == 0


def test_creating_for_an_unknown_mission_is_not_found(session: Session, officer: User) -> None:
    with pytest.raises(NotFound):
        mapping.create_exercise(session, "nowhere", new_fields(), actor=officer)


def test_an_officer_edits_the_exercise_and_the_change_is_audited(
    session: Session, officer: User
) -> None:
    exercise = make_exercise(session, status=Status.DRAFT)

    mapping.update_exercise(
        session,
        exercise.slug,
        mapping.ExerciseFields("New title", exercise.question, 1, 10),
        actor=officer,
    )

    session.expire_all()
    assert (exercise.title, exercise.scale_min, exercise.scale_max) == ("New title", 1, 10)
    entry = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "mapping.exercise_updated")
    ).one()
    assert entry.details == {
        "title": ["Cutting traffic on Queen's Crescent", "New title"],
        "scale_min": [0, 1],
        "scale_max": [100, 10],
    }


def test_options_and_criteria_are_added_edited_and_deleted_before_anyone_answers(
    session: Session, officer: User
) -> None:
    exercise = make_exercise(session, status=Status.DRAFT)
    slug = exercise.slug

    option = mapping.add_option(
        session, slug, mapping.ItemFields("Wider pavements", "Take a lane."), actor=officer
    )
    criterion = mapping.add_criterion(
        session, slug, mapping.ItemFields("Safety", ""), actor=officer
    )
    mapping.update_option(
        session,
        slug,
        option.id,
        mapping.ItemFields("Wider pavements", "Both sides."),
        actor=officer,
    )
    mapping.update_criterion(
        session, slug, criterion.id, mapping.ItemFields("Road safety", "Crashes."), actor=officer
    )
    first_option = exercise.options[0]
    mapping.delete_option(session, slug, first_option.id, actor=officer)
    mapping.delete_criterion(session, slug, criterion.id, actor=officer)

    session.expire_all()
    assert [o.label for o in exercise.options] == ["Bus gate", "Do nothing", "Wider pavements"]
    assert exercise.options[-1].description == "Both sides."
    assert exercise.options[-1].position == 4
    assert [c.label for c in exercise.criteria] == [
        "Air quality",
        "Cost",
        "Access for disabled people",
    ]
    assert actions(session) == [
        "mapping.option_added",
        "mapping.criterion_added",
        "mapping.option_updated",
        "mapping.criterion_updated",
        "mapping.option_deleted",
        "mapping.criterion_deleted",
    ]


def test_item_rules(session: Session, officer: User) -> None:
    exercise = make_exercise(session, options=("A", "B"), criteria=("Cost",), status=Status.DRAFT)
    slug = exercise.slug

    with pytest.raises(Conflict) as duplicate:
        mapping.add_option(session, slug, mapping.ItemFields(" a ", ""), actor=officer)
    assert duplicate.value.field == "label"
    with pytest.raises(Invalid) as empty:
        mapping.add_criterion(session, slug, mapping.ItemFields("  ", ""), actor=officer)
    assert empty.value.field == "label"
    with pytest.raises(Invalid) as long_description:
        mapping.add_criterion(session, slug, mapping.ItemFields("Noise", "x" * 2001), actor=officer)
    assert long_description.value.field == "description"
    with pytest.raises(Conflict, match="at least 2 options"):
        mapping.delete_option(session, slug, exercise.options[0].id, actor=officer)
    with pytest.raises(Conflict, match="at least 1 criterion"):
        mapping.delete_criterion(session, slug, exercise.criteria[0].id, actor=officer)
    # Renaming an option to its own label (another case) is fine.
    mapping.update_option(
        session, slug, exercise.options[0].id, mapping.ItemFields("a", ""), actor=officer
    )


def test_options_of_another_exercise_are_not_found(session: Session, officer: User) -> None:
    mine, other = make_exercise(session), make_exercise(session)

    with pytest.raises(NotFound):
        mapping.delete_option(session, mine.slug, other.options[0].id, actor=officer)
    with pytest.raises(NotFound):
        mapping.update_criterion(
            session, mine.slug, other.criteria[0].id, mapping.ItemFields("x", ""), actor=officer
        )
    with pytest.raises(NotFound):
        mapping.delete_criterion(session, mine.slug, 2**31 - 1, actor=officer)


def test_a_full_exercise_takes_no_more_options(session: Session, officer: User) -> None:
    exercise = make_exercise(session, options=tuple(f"Option {n}" for n in range(12)))

    with pytest.raises(Conflict):
        mapping.add_option(
            session, exercise.slug, mapping.ItemFields("One more", ""), actor=officer
        )


def test_once_someone_answers_options_criteria_and_scale_stay(
    session: Session, officer: User, resident: User
) -> None:
    exercise = make_exercise(session)
    save(session, exercise, resident)
    slug, option, criterion = exercise.slug, exercise.options[0], exercise.criteria[0]

    refusals: list[Callable[[], object]] = [
        lambda: mapping.add_option(session, slug, mapping.ItemFields("New", ""), actor=officer),
        lambda: mapping.add_criterion(session, slug, mapping.ItemFields("New", ""), actor=officer),
        lambda: mapping.update_option(
            session, slug, option.id, mapping.ItemFields("Renamed", ""), actor=officer
        ),
        lambda: mapping.update_criterion(
            session, slug, criterion.id, mapping.ItemFields("Renamed", ""), actor=officer
        ),
        lambda: mapping.delete_option(session, slug, option.id, actor=officer),
        lambda: mapping.delete_criterion(session, slug, criterion.id, actor=officer),
        lambda: mapping.update_exercise(
            session, slug, mapping.ExerciseFields("T", "Q", 0, 10), actor=officer
        ),
    ]
    for refuse in refusals:
        with pytest.raises(Conflict):
            refuse()
        session.rollback()

    # The title and question still change.
    mapping.update_exercise(
        session, slug, mapping.ExerciseFields("Better title", "Q?", 0, 100), actor=officer
    )
    session.expire_all()
    assert (exercise.title, len(exercise.options), len(exercise.criteria)) == ("Better title", 3, 3)


def test_opening_and_closing_are_audited(session: Session, officer: User) -> None:
    exercise = make_exercise(session, status=Status.DRAFT)

    mapping.open_exercise(session, exercise.slug, actor=officer)
    with pytest.raises(Conflict):
        mapping.open_exercise(session, exercise.slug, actor=officer)
    mapping.close_exercise(session, exercise.slug, actor=officer)
    with pytest.raises(Conflict):
        mapping.close_exercise(session, exercise.slug, actor=officer)
    mapping.open_exercise(session, exercise.slug, actor=officer)  # reopened

    assert exercise.status is Status.OPEN
    assert actions(session) == [
        "mapping.exercise_opened",
        "mapping.exercise_closed",
        "mapping.exercise_opened",
    ]


# --- Visibility -------------------------------------------------------------------------------


def test_drafts_and_draft_missions_are_for_officers_only(
    session: Session, officer: User, resident: User
) -> None:
    draft = make_exercise(session, status=Status.DRAFT)
    hidden_mission = make_mission(session, status=MissionStatus.DRAFT)
    in_draft_mission = make_exercise(session, hidden_mission)
    public = make_exercise(session)
    closed = make_exercise(session, status=Status.CLOSED)

    for viewer in (None, resident):
        for hidden in (draft, in_draft_mission):
            with pytest.raises(NotFound):
                mapping.get_exercise(session, hidden.slug, viewer=viewer)
        listed = mapping.list_exercises(session, viewer=viewer, page=1)
        assert [e.slug for e in listed.items] == [closed.slug, public.slug]
        assert listed.total == 2
    assert mapping.get_exercise(session, draft.slug, viewer=officer) is draft
    assert mapping.list_exercises(session, viewer=officer, page=1).total == 4
    with pytest.raises(NotFound):
        mapping.get_exercise(session, "no-such-exercise", viewer=officer)


def test_the_list_paginates(session: Session) -> None:
    mission = make_mission(session)
    for _ in range(mapping.EXERCISES_PER_PAGE + 3):
        make_exercise(session, mission)

    first = mapping.list_exercises(session, viewer=None, page=1)
    second = mapping.list_exercises(session, viewer=None, page=2)

    assert (len(first.items), len(second.items), first.pages) == (20, 3, 2)
    assert not {e.id for e in first.items} & {e.id for e in second.items}


# --- Responses --------------------------------------------------------------------------------


def test_a_participant_saves_weights_and_scores(session: Session, resident: User) -> None:
    exercise = make_exercise(session)

    response = save(
        session, exercise, resident, [60, 40, 0], {(1, 2): (10.5, 30.0, "  Hard to tell.  ")}
    )

    session.expire_all()
    assert response.participant_id == resident.id
    assert sorted((w.criterion_id, w.weight) for w in response.weights) == [
        (exercise.criteria[0].id, 60),
        (exercise.criteria[1].id, 40),
        (exercise.criteria[2].id, 0),
    ]
    assert len(response.scores) == 9
    cell = next(
        s
        for s in response.scores
        if (s.option_id, s.criterion_id) == (exercise.options[1].id, exercise.criteria[2].id)
    )
    assert (cell.low, cell.high, cell.reason) == (10.5, 30.0, "Hard to tell.")
    assert mapping.get_response(session, exercise.id, resident) is not None
    assert mapping.get_response(session, exercise.id, None) is None
    assert actions(session) == []  # residents' answers are data, not audit entries


def test_saving_again_replaces_the_response(session: Session, resident: User) -> None:
    exercise = make_exercise(session)
    first = save(session, exercise, resident)
    first_id = first.id

    save(session, exercise, resident, [1, 1, 1], {(0, 0): (0.0, 100.0, "Changed my mind.")})

    session.expire_all()
    assert count(session, MappingResponse) == 1
    assert count(session, MappingWeight) == 3
    assert count(session, MappingScore) == 9
    response = session.scalars(sa.select(MappingResponse)).one()
    assert response.id == first_id  # the participant keeps their place in the order
    assert {w.weight for w in response.weights} == {1}
    changed = [s for s in response.scores if s.reason == "Changed my mind."]
    assert [(s.low, s.high) for s in changed] == [(0, 100)]


def test_every_problem_is_reported_at_once_naming_its_cell(
    session: Session, resident: User
) -> None:
    exercise = make_exercise(session, options=("A", "B"), criteria=("Air", "Cost"))
    (a, b), (air, cost) = [o.id for o in exercise.options], [c.id for c in exercise.criteria]
    weights: dict[int, float | None] = {air: 150, cost: None}
    scores: dict[tuple[int, int], Cell] = {
        (a, air): (70, 60, "Low above high."),
        (a, cost): (-1, 101, "Both outside the scale."),
        (b, air): (None, 50, ""),
        # (b, cost) is missing altogether.
    }

    with pytest.raises(ResponseInvalid) as excinfo:
        mapping.save_response(
            session, exercise.slug, actor=resident, weights=weights, scores=scores
        )

    assert errors_of(excinfo) == {
        f"weight-{air}": "Give this criterion a weight from 0 to 100.",
        f"weight-{cost}": "Give this criterion a weight from 0 to 100.",
        f"high-{a}-{air}": "The high score cannot be below the low score.",
        f"low-{a}-{cost}": "Give a low score from 0 to 100.",
        f"high-{a}-{cost}": "Give a high score from 0 to 100.",
        f"low-{b}-{air}": "Give a low score from 0 to 100.",
        f"reason-{b}-{air}": "Say why you gave these scores.",
        f"low-{b}-{cost}": "Give a low score from 0 to 100.",
        f"high-{b}-{cost}": "Give a high score from 0 to 100.",
        f"reason-{b}-{cost}": "Say why you gave these scores.",
    }
    session.rollback()
    assert count(session, MappingResponse) == 0


def test_all_zero_weights_are_refused(session: Session, resident: User) -> None:
    exercise = make_exercise(session)

    with pytest.raises(ResponseInvalid) as excinfo:
        save(session, exercise, resident, [0, 0, 0])

    assert errors_of(excinfo) == {"weights": "Give at least one criterion a weight above 0."}


@pytest.mark.parametrize(
    "odd",
    [float("nan"), float("inf"), float("-inf"), -0.5, 100.01, 1e308, True, "50", None],
)
def test_odd_weights_are_refused(session: Session, resident: User, odd: Any) -> None:
    exercise = make_exercise(session)
    weights, scores = answers(exercise)
    weights[exercise.criteria[1].id] = odd

    with pytest.raises(ResponseInvalid) as excinfo:
        mapping.save_response(
            session, exercise.slug, actor=resident, weights=weights, scores=scores
        )

    assert list(errors_of(excinfo)) == [f"weight-{exercise.criteria[1].id}"]


@pytest.mark.parametrize("odd", [float("nan"), float("inf"), -1e-9, 1e300, "40"])
def test_odd_scores_are_refused(session: Session, resident: User, odd: Any) -> None:
    exercise = make_exercise(session)
    option, criterion = exercise.options[2].id, exercise.criteria[0].id

    with pytest.raises(ResponseInvalid) as excinfo:
        save(session, exercise, resident, cells={(2, 0): (odd, 60.0, "Odd.")})

    assert list(errors_of(excinfo)) == [f"low-{option}-{criterion}"]


def test_reasons_are_limited_to_a_thousand_characters(session: Session, resident: User) -> None:
    exercise = make_exercise(session)
    option, criterion = exercise.options[0].id, exercise.criteria[0].id

    save(session, exercise, resident, cells={(0, 0): (1.0, 2.0, "x" * 1000)})
    with pytest.raises(ResponseInvalid) as excinfo:
        save(session, exercise, resident, cells={(0, 0): (1.0, 2.0, "x" * 1001)})

    assert errors_of(excinfo) == {
        f"reason-{option}-{criterion}": "Keep the reason to 1000 characters or fewer, in plain text."
    }


def test_scores_follow_the_exercise_scale(session: Session, resident: User) -> None:
    exercise = make_exercise(session)
    exercise.scale_min, exercise.scale_max = 1, 7
    session.commit()

    save(
        session,
        exercise,
        resident,
        cells={(o, c): (1, 7, "Ok.") for o in range(3) for c in range(3)},
    )
    with pytest.raises(ResponseInvalid) as excinfo:
        save(session, exercise, resident, cells={(0, 0): (0.0, 7.5, "Outside.")})

    assert set(errors_of(excinfo).values()) == {
        "Give a low score from 1 to 7.",
        "Give a high score from 1 to 7.",
    }


def test_answers_for_something_else_are_refused(session: Session, resident: User) -> None:
    exercise = make_exercise(session)
    other = make_exercise(session)
    weights, scores = answers(exercise)
    weights[other.criteria[0].id] = 10

    with pytest.raises(ResponseInvalid) as excinfo:
        mapping.save_response(
            session, exercise.slug, actor=resident, weights=weights, scores=scores
        )

    assert errors_of(excinfo) == {None: "The exercise has changed since the page was loaded."}


@pytest.mark.parametrize("status", [Status.DRAFT, Status.CLOSED])
def test_only_open_exercises_take_answers(
    session: Session, officer: User, resident: User, status: Status
) -> None:
    exercise = make_exercise(session, status=status)

    with pytest.raises((Conflict, NotFound)):
        save(session, exercise, resident)
    with pytest.raises(Conflict, match="not open"):
        save(session, exercise, officer)  # officers see drafts but cannot answer them either
    session.rollback()
    assert count(session, MappingResponse) == 0


def test_a_closed_exercise_keeps_its_responses_unchanged(
    session: Session, officer: User, resident: User
) -> None:
    exercise = make_exercise(session)
    save(session, exercise, resident)
    mapping.close_exercise(session, exercise.slug, actor=officer)

    with pytest.raises(Conflict):
        save(session, exercise, resident, [1, 0, 0])

    session.rollback()
    assert {w.weight for w in session.scalars(sa.select(MappingWeight))} == {50}


# --- Results ----------------------------------------------------------------------------------


def test_results_are_for_staff_while_open_and_for_everyone_once_closed(
    session: Session, officer: User, resident: User
) -> None:
    exercise = make_exercise(session)
    evaluator = make_user(session, role=Role.EVALUATOR)

    for viewer in (None, resident):
        with pytest.raises(Forbidden):
            mapping.results(session, exercise.slug, viewer=viewer)
    assert mapping.results(session, exercise.slug, viewer=officer).participants == []
    assert mapping.results(session, exercise.slug, viewer=evaluator).participants == []

    mapping.close_exercise(session, exercise.slug, actor=officer)
    assert mapping.results(session, exercise.slug, viewer=None).participants == []
    with pytest.raises(NotFound):
        mapping.results(session, make_exercise(session, status=Status.DRAFT).slug, viewer=None)


def test_results_number_participants_by_first_answer_and_name_no_one(
    session: Session, officer: User
) -> None:
    exercise = make_exercise(session, options=("A", "B", "C"), criteria=("Air", "Cost"))
    later, first = make_user(session, display_name="Zed"), make_user(session, display_name="Amy")
    # Amy answers first (hand-worked example of the ranking tests), Zed second.
    save(
        session, exercise, first, [1, 1],
        {(0, 0): (60, 80, "a"), (0, 1): (80, 100, "b"), (1, 0): (40, 60, "c"),
         (1, 1): (50, 80, "d"), (2, 0): (0, 20, "e"), (2, 1): (10, 30, "f")},
    )  # fmt: skip
    save(
        session, exercise, later, [3, 1],
        {(0, 0): (10, 30, "g"), (0, 1): (10, 30, "h"), (1, 0): (90, 100, "i"),
         (1, 1): (90, 100, "j"), (2, 0): (20, 40, "k"), (2, 1): (20, 40, "l")},
    )  # fmt: skip
    save(session, exercise, first, [1, 1], {(0, 0): (60, 80, "a, again")})  # Amy stays first

    found = mapping.results(session, exercise.slug, viewer=officer)

    one, two = found.participants
    assert (one.number, two.number) == (1, 2)
    assert two.weights == (0.75, 0.25)
    assert [(i.best, i.worst) for i in two.intervals] == [(2, 3), (1, 1), (2, 3)]
    assert found.comparison.agreement[1].common == (1, 1)
    assert found.weights[0] is not None and found.weights[0].maximum == 0.75
    air_a = found.reasons[(exercise.options[0].id, exercise.criteria[0].id)]
    assert [(r.participant, r.low, r.high, r.text) for r in air_a] == [
        (1, 60, 80, "a, again"),
        (2, 10, 30, "g"),
    ]
    shown = repr(found.participants) + repr(found.reasons)
    assert "Amy" not in shown and "Zed" not in shown
    paragraphs = [text % params for text, params in found.method_note]
    assert "9 decimal places" in paragraphs[1]


def test_results_skip_what_could_not_have_been_saved(session: Session, officer: User) -> None:
    """Rows written around the service (an import, a manual fix) never break the results."""
    exercise = make_exercise(session, options=("A", "B"), criteria=("Air",))
    person = make_user(session)
    response = MappingResponse(exercise_id=exercise.id, participant_id=person.id)
    response.weights.append(MappingWeight(criterion_id=exercise.criteria[0].id, weight=0))
    for option in exercise.options:
        response.scores.append(
            MappingScore(option_id=option.id, criterion_id=exercise.criteria[0].id, low=1, high=2)
        )
    session.add(response)
    session.add(MappingResponse(exercise_id=exercise.id, participant_id=None))  # no answers
    session.commit()

    assert mapping.results(session, exercise.slug, viewer=officer).participants == []
