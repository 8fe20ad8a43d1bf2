"""Community-appraisal services: instruments and their criteria, opening and closing, residents'
and workshop groups' appraisals, and the results per area."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.appraisals import instruments
from engage.appraisals.instruments import CriterionFields, InstrumentFields
from engage.appraisals.models import (
    Appraisal,
    AppraisalKind,
    AppraisalScore,
    Area,
    Criterion,
    Instrument,
    Status,
)
from engage.audit import AuditEntry
from engage.errors import Conflict, Forbidden, Invalid, NotFound
from engage.missions.models import Mission, MissionStatus
from engage.security import Role
from tests.factories import make_appraisal, make_area, make_instrument, make_mission, make_user


@pytest.fixture
def mission(session: Session) -> Mission:
    return make_mission(session, title="Healthy Streets", slug="healthy-streets")


@pytest.fixture
def area(session: Session, mission: Mission) -> Area:
    return make_area(session, mission, name="Kentish Town")


@pytest.fixture
def instrument(session: Session, mission: Mission, area: Area) -> Instrument:
    """Open, three criteria on 1-7, for a mission with one area."""
    return make_instrument(session, mission)


def values(**changes: Any) -> InstrumentFields:
    fields = InstrumentFields(
        title="How good is Kentish Town?",
        description="Tell us what works.",
        scale_min=1,
        scale_max=7,
        low_label="Poor",
        high_label="Excellent",
    )
    for key, value in changes.items():
        setattr(fields, key, value)
    return fields


def actions(session: Session) -> list[str]:
    session.expire_all()
    return list(session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def full_scores(instrument: Instrument, *scores: int) -> dict[int, tuple[int | None, str]]:
    given = scores or (4,) * len(instrument.criteria)
    return {
        criterion.id: (score, f"Because of {criterion.label.lower()}.")
        for criterion, score in zip(instrument.criteria, given, strict=True)
    }


def submit(
    session: Session, instrument: Instrument, area: Area, actor: User, *scores: int, **options: Any
) -> Appraisal:
    return instruments.submit_appraisal(
        session,
        instrument,
        area.id,
        options.pop("scores", None) or full_scores(instrument, *scores),
        options.pop("client_id", None) or str(uuid.uuid4()),
        actor=actor,
        **options,
    )


# --- Instruments ------------------------------------------------------------------------------


def test_an_officer_makes_a_blank_draft_instrument(
    session: Session, officer: User, mission: Mission
) -> None:
    instrument = instruments.create_instrument(session, mission.slug, values(), actor=officer)

    session.expire_all()
    assert instrument.slug == "how-good-is-kentish-town"
    assert instrument.status is Status.DRAFT
    assert (instrument.scale_min, instrument.scale_max) == (1, 7)
    assert (instrument.low_label, instrument.high_label) == ("Poor", "Excellent")
    assert instrument.criteria == []
    assert instrument.created_by_id == officer.id
    assert actions(session) == ["appraisals.instrument_created"]


def test_starting_from_the_place_standard_gives_its_14_criteria_on_1_to_7(
    session: Session, officer: User, mission: Mission
) -> None:
    instrument = instruments.create_instrument(
        session,
        mission.slug,
        values(description="", low_label="", high_label=""),
        actor=officer,
        from_template=True,
    )

    session.expire_all()
    assert len(instrument.criteria) == 14
    assert [c.position for c in instrument.criteria] == list(range(1, 15))
    first, last = instrument.criteria[0], instrument.criteria[-1]
    assert first.label == "Moving around"
    assert first.question == "Can I easily walk and cycle around using good-quality routes?"
    assert first.hint
    assert last.label == "Influence and sense of control"
    assert (instrument.scale_min, instrument.scale_max) == (1, 7)
    assert instrument.low_label == "A lot of room for improvement"
    assert instrument.high_label == "Very little room for improvement"
    assert "Place Standard" in instrument.description
    assert "NHS Health Scotland" in instrument.description
    entry = session.scalars(sa.select(AuditEntry)).one()
    assert entry.details["template"] == "place_standard"
    assert entry.details["criteria"] == 14


def test_the_template_keeps_the_officers_own_words_and_names_its_source(
    session: Session, officer: User, mission: Mission
) -> None:
    instrument = instruments.create_instrument(
        session, mission.slug, values(), actor=officer, from_template=True,
        translate=lambda text: text.upper(),
    )  # fmt: skip

    assert instrument.description.startswith("Tell us what works.\n\n")
    assert "NHS HEALTH SCOTLAND" in instrument.description
    assert (instrument.low_label, instrument.high_label) == ("Poor", "Excellent")
    assert instrument.criteria[0].label == "MOVING AROUND"  # in the officer's language


def test_the_place_standard_cannot_take_another_scale(
    session: Session, officer: User, mission: Mission
) -> None:
    with pytest.raises(Invalid) as refused:
        instruments.create_instrument(
            session, mission.slug, values(scale_min=0, scale_max=10), actor=officer,
            from_template=True,
        )  # fmt: skip

    assert refused.value.field == "scale_min"


@pytest.mark.parametrize(
    ("scale", "field"), [((7, 7), "scale_max"), ((5, 1), "scale_max"), ((0, 11), "scale_max")]
)
def test_a_scale_runs_upwards_over_at_most_eleven_points(
    session: Session, officer: User, mission: Mission, scale: tuple[int, int], field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        instruments.create_instrument(
            session, mission.slug, values(scale_min=scale[0], scale_max=scale[1]), actor=officer
        )

    assert refused.value.field == field
    assert instruments.create_instrument(
        session, mission.slug, values(scale_min=0, scale_max=10), actor=officer
    )


def test_slugs_are_unique_and_never_a_page_of_the_section(
    session: Session, officer: User, mission: Mission
) -> None:
    made = [
        instruments.create_instrument(session, mission.slug, values(title=title), actor=officer)
        for title in ("Our place", "Our place", "New", "Areas", "!!!")
    ]

    assert [i.slug for i in made] == ["our-place", "our-place-2", "new-2", "areas-2", "appraisal"]


def test_an_unknown_mission_cannot_have_an_instrument(session: Session, officer: User) -> None:
    with pytest.raises(NotFound):
        instruments.create_instrument(session, "nowhere", values(), actor=officer)


def test_updating_changes_the_wording_and_records_it(
    session: Session, officer: User, instrument: Instrument
) -> None:
    instruments.update_instrument(
        session, instrument.slug, values(title="  Our place  ", scale_min=1, scale_max=5),
        actor=officer,
    )  # fmt: skip

    session.expire_all()
    assert (instrument.title, instrument.scale_max, instrument.low_label) == (
        "Our place",
        5,
        "Poor",
    )
    entry = session.scalars(sa.select(AuditEntry)).one()
    assert entry.action == "appraisals.instrument_updated"
    assert entry.details["scale_max"] == [7, 5]


def test_the_scale_cannot_change_once_people_have_appraised(
    session: Session, officer: User, instrument: Instrument, area: Area
) -> None:
    make_appraisal(session, instrument, area, [3, 4, 5])

    with pytest.raises(Conflict) as refused:
        instruments.update_instrument(
            session, instrument.slug, values(scale_min=1, scale_max=5), actor=officer
        )

    assert refused.value.field == "scale_min"
    session.rollback()
    # The wording still can.
    instruments.update_instrument(session, instrument.slug, values(title="Renamed"), actor=officer)
    session.expire_all()
    assert (instrument.title, instrument.scale_max) == ("Renamed", 7)


def test_opening_needs_a_criterion_and_an_area_of_the_mission(
    session: Session, officer: User, mission: Mission
) -> None:
    instrument = instruments.create_instrument(session, mission.slug, values(), actor=officer)

    with pytest.raises(Invalid, match="criterion"):
        instruments.open_instrument(session, instrument.slug, actor=officer)
    instruments.add_criterion(
        session, instrument.slug, CriterionFields("Trees", "Are there enough trees?", ""),
        actor=officer,
    )  # fmt: skip
    with pytest.raises(Invalid, match="area"):
        instruments.open_instrument(session, instrument.slug, actor=officer)
    make_area(session, mission)

    instruments.open_instrument(session, instrument.slug, actor=officer)

    session.expire_all()
    assert instrument.status is Status.OPEN
    assert actions(session)[-1] == "appraisals.instrument_opened"


def test_an_open_instrument_closes_and_can_be_reopened(
    session: Session, officer: User, instrument: Instrument
) -> None:
    with pytest.raises(Conflict):
        instruments.open_instrument(session, instrument.slug, actor=officer)

    instruments.close_instrument(session, instrument.slug, actor=officer)
    with pytest.raises(Conflict):
        instruments.close_instrument(session, instrument.slug, actor=officer)
    instruments.open_instrument(session, instrument.slug, actor=officer)

    session.expire_all()
    assert instrument.status is Status.OPEN
    assert actions(session) == [
        "appraisals.instrument_closed",
        "appraisals.instrument_opened",
    ]


def test_the_public_sees_open_and_closed_instruments_of_published_missions(
    session: Session, officer: User, resident: User, mission: Mission
) -> None:
    draft = make_instrument(session, mission, status=Status.DRAFT)
    open_ = make_instrument(session, mission, status=Status.OPEN)
    closed = make_instrument(session, mission, status=Status.CLOSED)
    hidden_mission = make_mission(session, slug="secret", status=MissionStatus.DRAFT)
    of_draft_mission = make_instrument(session, hidden_mission, status=Status.OPEN)

    for viewer in (None, resident):
        seen = {i.slug for i in instruments.list_instruments(session, viewer=viewer)}
        assert seen == {open_.slug, closed.slug}
        for hidden in (draft, of_draft_mission):
            with pytest.raises(NotFound):
                instruments.get_instrument(session, hidden.slug, viewer=viewer)
    assert {i.slug for i in instruments.list_instruments(session, viewer=officer)} == {
        draft.slug, open_.slug, closed.slug, of_draft_mission.slug,
    }  # fmt: skip
    assert instruments.get_instrument(session, draft.slug, viewer=officer) == draft
    assert [
        i.slug for i in instruments.list_instruments(session, viewer=officer, mission_slug="secret")
    ] == [of_draft_mission.slug]
    with pytest.raises(NotFound):
        instruments.get_instrument(session, "nothing-here", viewer=officer)


# --- Criteria ---------------------------------------------------------------------------------


def test_criteria_are_added_edited_moved_and_deleted(
    session: Session, officer: User, mission: Mission
) -> None:
    instrument = make_instrument(session, mission, status=Status.DRAFT)
    first, second, third = instrument.criteria

    added = instruments.add_criterion(
        session, instrument.slug, CriterionFields(" Trees ", " Are there enough trees? ", ""),
        actor=officer,
    )  # fmt: skip
    instruments.update_criterion(
        session, instrument.slug, second.id,
        CriterionFields("Buses", "Do buses meet my needs?", "Routes and times."), actor=officer,
    )  # fmt: skip
    instruments.move_criterion(session, instrument.slug, added.id, -1, actor=officer)
    instruments.move_criterion(
        session, instrument.slug, first.id, -1, actor=officer
    )  # already first
    instruments.delete_criterion(session, instrument.slug, third.id, actor=officer)

    session.expire_all()
    assert [(c.label, c.position) for c in instrument.criteria] == [
        ("Moving around", 1), ("Buses", 2), ("Trees", 3),
    ]  # fmt: skip
    assert (added.question, second.hint) == ("Are there enough trees?", "Routes and times.")
    assert session.get(Criterion, third.id) is None
    assert actions(session) == [
        "appraisals.criterion_added",
        "appraisals.criterion_updated",
        "appraisals.criterion_moved",
        "appraisals.criterion_deleted",
    ]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        (CriterionFields(" ", "A question?", ""), "label"),
        (CriterionFields("Trees", "", ""), "question"),
    ],
)
def test_a_criterion_needs_a_name_and_a_question(
    session: Session, officer: User, instrument: Instrument, fields: CriterionFields, field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        instruments.add_criterion(session, instrument.slug, fields, actor=officer)

    assert refused.value.field == field


def test_criteria_cannot_be_deleted_once_people_have_appraised(
    session: Session, officer: User, instrument: Instrument, area: Area
) -> None:
    make_appraisal(session, instrument, area, [3, 4, 5])

    with pytest.raises(Conflict):
        instruments.delete_criterion(
            session, instrument.slug, instrument.criteria[0].id, actor=officer
        )

    session.rollback()
    assert len(instrument.criteria) == 3
    # Their wording can still be corrected, and criteria added.
    instruments.update_criterion(
        session, instrument.slug, instrument.criteria[0].id,
        CriterionFields("Walking and cycling", "Can I walk and cycle easily?", ""), actor=officer,
    )  # fmt: skip
    instruments.add_criterion(
        session, instrument.slug, CriterionFields("Trees", "Enough trees?", ""), actor=officer
    )


def test_an_open_instrument_keeps_at_least_one_criterion(
    session: Session, officer: User, mission: Mission, area: Area
) -> None:
    instrument = make_instrument(session, mission, criteria=("Only one",))

    with pytest.raises(Conflict):
        instruments.delete_criterion(
            session, instrument.slug, instrument.criteria[0].id, actor=officer
        )


def test_a_criterion_belongs_to_its_own_instrument(
    session: Session, officer: User, mission: Mission, instrument: Instrument
) -> None:
    other = make_instrument(session, mission)

    with pytest.raises(NotFound):
        instruments.get_criterion(session, instrument.slug, other.criteria[0].id)
    with pytest.raises(NotFound):
        instruments.delete_criterion(session, instrument.slug, other.criteria[0].id, actor=officer)


# --- Appraisals -------------------------------------------------------------------------------


def test_a_resident_appraises_an_area(
    session: Session, resident: User, instrument: Instrument, area: Area
) -> None:
    client_id = str(uuid.uuid4())

    appraisal = submit(session, instrument, area, resident, 2, 5, 7, client_id=client_id)

    session.expire_all()
    assert (appraisal.area_id, appraisal.author_id, appraisal.client_id) == (
        area.id, resident.id, client_id,
    )  # fmt: skip
    assert (appraisal.kind, appraisal.participants, appraisal.group_name) == (
        AppraisalKind.INDIVIDUAL, 1, "",
    )  # fmt: skip
    stored = {s.criterion_id: (s.score, s.justification) for s in appraisal.scores}
    assert stored == {
        instrument.criteria[0].id: (2, "Because of moving around."),
        instrument.criteria[1].id: (5, "Because of public transport."),
        instrument.criteria[2].id: (7, "Because of streets and spaces."),
    }
    assert actions(session) == []  # a resident's own appraisal is data, not an officer's act


def test_a_residents_appraisal_ignores_any_group_name_and_size(
    session: Session, resident: User, instrument: Instrument, area: Area
) -> None:
    appraisal = submit(session, instrument, area, resident, group_name="Sneaky", participants=400)

    assert (appraisal.kind, appraisal.group_name, appraisal.participants) == (
        AppraisalKind.INDIVIDUAL, "", 1,
    )  # fmt: skip


def test_the_same_form_sent_twice_is_stored_once(
    session: Session, resident: User, instrument: Instrument, area: Area
) -> None:
    client_id = str(uuid.uuid4())
    first = submit(session, instrument, area, resident, client_id=client_id)

    again = submit(session, instrument, area, resident, 1, 1, 1, client_id=client_id.upper())

    assert again.id == first.id
    assert session.scalar(sa.select(sa.func.count()).select_from(Appraisal)) == 1


def test_someone_elses_form_id_is_refused(
    session: Session, resident: User, instrument: Instrument, area: Area
) -> None:
    client_id = str(uuid.uuid4())
    submit(session, instrument, area, resident, client_id=client_id)

    with pytest.raises(Conflict):
        submit(session, instrument, area, make_user(session), client_id=client_id)


def test_a_form_sent_twice_at_the_same_moment_returns_the_one_stored(
    session: Session,
    resident: User,
    instrument: Instrument,
    area: Area,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The other request stored the appraisal between this one's look-up and its insert: the
    unique constraint catches it and the stored appraisal is returned."""
    client_id = str(uuid.uuid4())
    first = submit(session, instrument, area, resident, client_id=client_id)
    first_id = first.id
    real_stored = instruments._stored
    calls: list[str] = []

    def not_yet(session: Session, instrument_id: int, client_id: str) -> Appraisal | None:
        calls.append(client_id)
        return None if len(calls) == 1 else real_stored(session, instrument_id, client_id)

    monkeypatch.setattr(instruments, "_stored", not_yet)

    again = submit(session, instrument, area, resident, client_id=client_id)

    assert again.id == first_id
    assert len(calls) == 2
    assert session.scalar(sa.select(sa.func.count()).select_from(Appraisal)) == 1


@pytest.mark.parametrize("client_id", ["", "not-a-uuid", "x" * 36])
def test_a_form_without_a_proper_id_is_refused(
    session: Session, resident: User, instrument: Instrument, area: Area, client_id: str
) -> None:
    with pytest.raises(Invalid):
        instruments.submit_appraisal(
            session, instrument, area.id, full_scores(instrument), client_id, actor=resident
        )


def test_every_criterion_needs_a_score_on_the_scale_and_a_reason(
    session: Session, resident: User, instrument: Instrument, area: Area
) -> None:
    first, second, _third = instrument.criteria
    cases: list[tuple[dict[int, tuple[int | None, str]], str]] = [
        ({first.id: (None, "Why")}, f"score_{first.id}"),
        ({first.id: (8, "Why")}, f"score_{first.id}"),
        ({first.id: (0, "Why")}, f"score_{first.id}"),
        ({first.id: (3, "   ")}, f"justification_{first.id}"),
        ({first.id: (3, "x" * 2001)}, f"justification_{first.id}"),
    ]
    for change, field in cases:
        scores = full_scores(instrument) | change
        with pytest.raises(Invalid) as refused:
            submit(session, instrument, area, resident, scores=scores)
        assert refused.value.field == field, change

    missing = full_scores(instrument)
    del missing[second.id]
    with pytest.raises(Invalid) as refused:
        submit(session, instrument, area, resident, scores=missing)
    assert refused.value.field == f"score_{second.id}"

    with pytest.raises(Invalid):
        submit(
            session, instrument, area, resident, scores=full_scores(instrument) | {999: (3, "Hm")}
        )
    assert session.scalar(sa.select(sa.func.count()).select_from(Appraisal)) == 0
    # A reason of exactly 2,000 characters is fine, and it is stored without surrounding spaces.
    appraisal = submit(
        session,
        instrument,
        area,
        resident,
        scores=full_scores(instrument) | {first.id: (1, " " + "x" * 2000 + " ")},
    )
    assert {s.criterion_id: s.justification for s in appraisal.scores}[first.id] == "x" * 2000


def test_the_area_must_be_one_of_the_missions(
    session: Session, resident: User, instrument: Instrument
) -> None:
    elsewhere = make_area(session, make_mission(session, slug="elsewhere"))

    for area_id in (elsewhere.id, None, 2**40, -1):
        with pytest.raises(Invalid) as refused:
            instruments.submit_appraisal(
                session, instrument, area_id, full_scores(instrument), str(uuid.uuid4()),
                actor=resident,
            )  # fmt: skip
        assert refused.value.field == "area_id"


@pytest.mark.parametrize("status", [Status.DRAFT, Status.CLOSED])
def test_only_an_open_instrument_takes_appraisals(
    session: Session, resident: User, mission: Mission, area: Area, status: Status
) -> None:
    instrument = make_instrument(session, mission, status=status)

    with pytest.raises(Conflict):
        submit(session, instrument, area, resident)


def test_a_facilitator_enters_a_workshop_groups_scores(
    session: Session, officer: User, instrument: Instrument, area: Area
) -> None:
    appraisal = submit(
        session, instrument, area, officer, 3, 3, 6, kind=AppraisalKind.GROUP,
        group_name="  Library workshop  ", participants=12,
    )  # fmt: skip

    session.expire_all()
    assert (appraisal.kind, appraisal.group_name, appraisal.participants, appraisal.author_id) == (
        AppraisalKind.GROUP, "Library workshop", 12, officer.id,
    )  # fmt: skip
    entry = session.scalars(sa.select(AuditEntry)).one()
    assert entry.action == "appraisals.group_appraisal_entered"
    assert entry.details == {
        "instrument": instrument.id, "area": area.id, "group_name": "Library workshop",
        "participants": 12,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"group_name": "  "}, "group_name"),
        ({"group_name": "x" * 201}, "group_name"),
        ({"participants": 1}, "participants"),
        ({"participants": 501}, "participants"),
        ({"participants": None}, "participants"),
    ],
)
def test_a_group_needs_a_name_and_two_to_five_hundred_people(
    session: Session,
    officer: User,
    instrument: Instrument,
    area: Area,
    options: dict[str, Any],
    field: str,
) -> None:
    given = {"group_name": "Library workshop", "participants": 12} | options

    with pytest.raises(Invalid) as refused:
        submit(session, instrument, area, officer, kind=AppraisalKind.GROUP, **given)

    assert refused.value.field == field


def test_only_officers_enter_a_groups_scores(
    session: Session, resident: User, instrument: Instrument, area: Area
) -> None:
    evaluator = make_user(session, role=Role.EVALUATOR)
    for person in (resident, evaluator):
        with pytest.raises(Forbidden):
            submit(
                session, instrument, area, person, kind=AppraisalKind.GROUP,
                group_name="Workshop", participants=5,
            )  # fmt: skip


# --- Results ----------------------------------------------------------------------------------


def appraise(
    session: Session,
    instrument: Instrument,
    area: Area,
    author: User,
    scores: list[int],
    *,
    at: datetime,
    group: tuple[str, int] | None = None,
    reasons: list[str] | None = None,
) -> Appraisal:
    appraisal = Appraisal(
        instrument=instrument,
        area=area,
        client_id=str(uuid.uuid4()),
        author=author,
        kind=AppraisalKind.GROUP if group else AppraisalKind.INDIVIDUAL,
        group_name=group[0] if group else "",
        participants=group[1] if group else 1,
        created_at=at,
        scores=[
            AppraisalScore(criterion=criterion, score=score, justification=reason)
            for criterion, score, reason in zip(
                instrument.criteria,
                scores,
                reasons or [f"Scored {score}." for score in scores],
                strict=True,
            )
        ],
    )
    session.add(appraisal)
    session.commit()
    return appraisal


T0 = datetime(2030, 3, 1, 10, 0, tzinfo=UTC)


def test_results_count_each_residents_latest_appraisal_and_each_group_once(
    session: Session, officer: User, mission: Mission, instrument: Instrument, area: Area
) -> None:
    other_area = make_area(session, mission, name="Gospel Oak")
    make_area(session, mission, name="Somers Town")  # nobody appraised it
    rosa, sam = make_user(session), make_user(session)
    appraise(session, instrument, area, rosa, [1, 1, 1], at=T0)  # replaced by her next one
    appraise(session, instrument, area, rosa, [5, 4, 7], at=T0 + timedelta(days=1))
    appraise(session, instrument, area, sam, [3, 2, 6], at=T0 + timedelta(hours=1))
    appraise(session, instrument, area, officer, [4, 6, 2], at=T0, group=("Library", 12))
    appraise(session, instrument, other_area, rosa, [7, 7, 7], at=T0)  # another area: counts

    found = instruments.results(session, instrument, None, viewer=officer)

    assert [r.area.name for r in found.areas] == ["Gospel Oak", "Kentish Town"]
    assert [a.name for a in found.not_appraised] == ["Somers Town"]
    assert found.superseded == 1
    kentish = found.areas[1]
    assert (kentish.appraisals, kentish.individual, kentish.groups, kentish.people) == (3, 2, 1, 14)
    moving = kentish.criteria[0]
    assert moving.summary.n == 3  # Rosa's latest, Sam's and the group's, each once
    assert moving.people == 14
    assert (moving.summary.minimum, moving.summary.median, moving.summary.maximum) == (3, 4, 5)
    assert moving.summary.mean == 4
    assert (moving.summary.lower_quartile, moving.summary.upper_quartile) == (3.5, 4.5)
    assert dict(moving.summary.distribution) == {1: 0, 2: 0, 3: 1, 4: 1, 5: 1, 6: 0, 7: 0}
    assert kentish.medians() == [4, 4, 6]
    assert found.areas[0].medians() == [7, 7, 7]
    # The first appraised area (by name) is the one in detail unless another is chosen.
    assert found.chosen is not None and found.chosen.area.name == "Gospel Oak"


def test_justifications_are_newest_first_and_never_name_the_resident(
    session: Session, officer: User, instrument: Instrument, area: Area
) -> None:
    rosa = make_user(session, display_name="Rosa Resident")
    appraise(
        session, instrument, area, rosa, [5, 4, 7], at=T0, reasons=["Wide pavements.", "a", "b"]
    )
    appraise(
        session, instrument, area, officer, [2, 6, 2], at=T0 + timedelta(hours=2),
        group=("Library workshop", 9), reasons=["Too many steps.", "c", "d"],
    )  # fmt: skip

    found = instruments.results(session, instrument, area.id, viewer=officer)

    assert found.chosen is not None
    said = found.chosen.criteria[0].justifications
    assert [(j.score, j.text) for j in said] == [(2, "Too many steps."), (5, "Wide pavements.")]
    assert [str(j.by) for j in said] == ["Group: Library workshop (9 people)", "Resident"]
    assert said[0].by.template == "Group: %(name)s (%(count)s people)"
    assert said[0].by.params == {"name": "Library workshop", "count": 9}


def test_a_residents_earlier_reasons_are_left_out_with_their_scores(
    session: Session, officer: User, instrument: Instrument, area: Area, resident: User
) -> None:
    appraise(session, instrument, area, resident, [1, 1, 1], at=T0, reasons=["Old", "Old", "Old"])
    appraise(
        session,
        instrument,
        area,
        resident,
        [6, 6, 6],
        at=T0 + timedelta(days=3),
        reasons=["New", "New", "New"],
    )

    found = instruments.results(session, instrument, area.id, viewer=officer)

    assert found.chosen is not None
    assert [j.text for j in found.chosen.criteria[0].justifications] == ["New"]


def test_only_the_latest_ten_reasons_are_listed_until_all_are_asked_for(
    session: Session, officer: User, instrument: Instrument, area: Area
) -> None:
    for n in range(12):
        appraise(
            session, instrument, area, make_user(session), [4, 4, 4], at=T0 + timedelta(minutes=n)
        )

    capped = instruments.results(session, instrument, area.id, viewer=officer)
    every = instruments.results(
        session, instrument, area.id, viewer=officer, all_justifications=True
    )

    assert capped.chosen is not None and every.chosen is not None
    assert len(capped.chosen.criteria[0].justifications) == instruments.JUSTIFICATIONS_SHOWN
    assert capped.chosen.criteria[0].justification_count == 12
    assert len(every.chosen.criteria[0].justifications) == 12


def test_results_show_staff_while_open_and_everyone_once_closed(
    session: Session, officer: User, resident: User, instrument: Instrument, area: Area
) -> None:
    appraise(session, instrument, area, resident, [4, 4, 4], at=T0)
    evaluator = make_user(session, role=Role.EVALUATOR)

    for viewer in (None, resident):
        with pytest.raises(Forbidden):
            instruments.results(session, instrument, None, viewer=viewer)
    for viewer in (officer, evaluator):
        assert instruments.results(session, instrument, None, viewer=viewer).areas

    instrument.status = Status.CLOSED
    session.commit()
    for viewer in (None, resident):
        assert instruments.results(session, instrument, None, viewer=viewer).areas


def test_an_area_outside_the_mission_has_no_results(
    session: Session, officer: User, instrument: Instrument
) -> None:
    elsewhere = make_area(session, make_mission(session, slug="elsewhere"))

    for area_id in (elsewhere.id, 2**40, -5):
        with pytest.raises(NotFound):
            instruments.results(session, instrument, area_id, viewer=officer)


def test_an_area_nobody_appraised_has_empty_results(
    session: Session, officer: User, instrument: Instrument, area: Area
) -> None:
    found = instruments.results(session, instrument, area.id, viewer=officer)

    assert found.areas == []
    assert found.chosen is not None
    assert found.chosen.appraisals == 0
    assert found.chosen.criteria[0].summary.median is None
    assert instruments.results(session, instrument, None, viewer=officer).chosen is None


def test_criteria_added_later_have_results_from_those_who_scored_them(
    session: Session, officer: User, instrument: Instrument, area: Area, resident: User
) -> None:
    appraise(session, instrument, area, resident, [4, 4, 4], at=T0)
    instruments.add_criterion(
        session, instrument.slug, CriterionFields("Trees", "Enough trees?", ""), actor=officer
    )
    session.refresh(instrument)

    found = instruments.results(session, instrument, area.id, viewer=officer)

    assert found.chosen is not None
    assert found.chosen.medians() == [4, 4, 4, None]
