"""Harvested outcomes: recording, changing and deleting records, their links to the mission's
outcomes, indicators and evidence, and the refusals (another mission's indicator, a future date,
unknown evidence numbers, a person who is not an evaluator)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.audit import AuditEntry
from engage.errors import Forbidden, Invalid, NotFound
from engage.evaluation import outcomes
from engage.evaluation.models import (
    EvidenceRecord,
    HarvestedOutcome,
    outcome_evidence,
    outcome_indicators,
)
from engage.evaluation.outcomes import OutcomeFields
from engage.missions.models import Indicator, Mission
from tests.factories import make_evidence, make_indicator, make_mission, make_outcome

TODAY = date(2026, 6, 15)


def fields(**changes: object) -> OutcomeFields:
    values: dict[str, object] = {
        "what_changed": "The council opened two school streets.",
        "for_whom": "Families at Green Lane primary",
        "contribution": "The co-design round proposed them and the jury endorsed them.",
        "happened_on": date(2026, 5, 4),
        "place": "Green Lane",
        "significance": "The first closures to traffic at school times.",
        "substantiated_by": "",
    }
    values.update(changes)
    return OutcomeFields(**values)  # type: ignore[arg-type]


def actions(session: Session) -> list[tuple[str, str]]:
    session.rollback()
    return [
        (entry.action, entry.subject)
        for entry in session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))
    ]


def linked_indicators(session: Session, record: HarvestedOutcome) -> list[int]:
    session.rollback()
    return outcomes.indicator_ids_of(session, record.id)


@pytest.fixture
def indicator(session: Session, mission: Mission) -> Indicator:
    return make_indicator(session, make_outcome(session, mission, title="Safer streets"))


# --- Recording -----------------------------------------------------------------------------------


def test_an_evaluator_records_an_outcome_with_its_links(
    session: Session, mission: Mission, evaluator: User, indicator: Indicator
) -> None:
    second = make_indicator(session, indicator.outcome)
    record = outcomes.record_outcome(
        session,
        mission.id,
        fields(
            what_changed="  The council opened two school streets.  ",
            mission_outcome_id=indicator.outcome_id,
            indicator_ids=(second.id, indicator.id, second.id),
        ),
        actor=evaluator,
        today=TODAY,
    )
    session.expire_all()
    stored = session.get_one(HarvestedOutcome, record.id)
    assert stored.what_changed == "The council opened two school streets."
    assert stored.for_whom == "Families at Green Lane primary"
    assert stored.happened_on == date(2026, 5, 4)
    assert stored.mission_outcome_id == indicator.outcome_id
    assert stored.created_by_id == evaluator.id
    assert stored.substantiated_by == ""
    assert linked_indicators(session, record) == sorted([indicator.id, second.id])
    assert actions(session) == [("evaluation.outcome_recorded", f"mission:{mission.id}")]
    entry = session.scalars(sa.select(AuditEntry)).one()
    assert entry.details["indicators"] == sorted([indicator.id, second.id])
    assert entry.details["substantiated"] is False
    assert "what_changed" not in entry.details  # texts may name people: not in the log


def test_when_and_links_are_optional(session: Session, mission: Mission, evaluator: User) -> None:
    record = outcomes.record_outcome(
        session, mission.id, fields(happened_on=None, place="", significance=""), actor=evaluator
    )
    assert record.happened_on is None and record.mission_outcome_id is None
    assert linked_indicators(session, record) == []


@pytest.mark.parametrize(
    ("name", "field"),
    [("what_changed", "what_changed"), ("for_whom", "for_whom"), ("contribution", "contribution")],
)
def test_what_for_whom_and_contribution_are_required(
    session: Session, mission: Mission, evaluator: User, name: str, field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        outcomes.record_outcome(session, mission.id, fields(**{name: "   "}), actor=evaluator)
    assert refused.value.field == field
    session.rollback()
    assert session.scalar(sa.select(sa.func.count(HarvestedOutcome.id))) == 0


def test_a_future_date_is_refused_today_is_not(
    session: Session, mission: Mission, evaluator: User
) -> None:
    with pytest.raises(Invalid, match="not in the future") as refused:
        outcomes.record_outcome(
            session, mission.id, fields(happened_on=date(2026, 6, 16)), actor=evaluator, today=TODAY
        )
    assert refused.value.field == "happened_on"
    record = outcomes.record_outcome(
        session, mission.id, fields(happened_on=TODAY), actor=evaluator, today=TODAY
    )
    assert record.happened_on == TODAY


def test_another_missions_indicator_or_outcome_is_refused(
    session: Session, mission: Mission, evaluator: User, indicator: Indicator
) -> None:
    other = make_mission(session)
    theirs = make_indicator(session, make_outcome(session, other))
    with pytest.raises(Invalid) as refused:
        outcomes.record_outcome(
            session, mission.id, fields(indicator_ids=(indicator.id, theirs.id)), actor=evaluator
        )
    assert refused.value.field == "indicator_ids"
    with pytest.raises(Invalid) as refused:
        outcomes.record_outcome(
            session, mission.id, fields(indicator_ids=(2**31 - 1,)), actor=evaluator
        )
    assert refused.value.field == "indicator_ids"
    with pytest.raises(Invalid) as refused:
        outcomes.record_outcome(
            session, mission.id, fields(mission_outcome_id=theirs.outcome_id), actor=evaluator
        )
    assert refused.value.field == "mission_outcome_id"
    session.rollback()
    assert session.scalar(sa.select(sa.func.count(HarvestedOutcome.id))) == 0
    assert session.execute(sa.select(outcome_indicators)).all() == []
    assert actions(session) == []


def test_texts_are_bounded_and_nul_is_refused(
    session: Session, mission: Mission, evaluator: User
) -> None:
    with pytest.raises(Invalid) as refused:
        outcomes.record_outcome(session, mission.id, fields(for_whom="x" * 301), actor=evaluator)
    assert refused.value.field == "for_whom"
    with pytest.raises(Invalid) as refused:
        outcomes.record_outcome(session, mission.id, fields(place="x" * 201), actor=evaluator)
    assert refused.value.field == "place"
    with pytest.raises(Invalid) as refused:
        outcomes.record_outcome(
            session, mission.id, fields(significance="x" * 10_001), actor=evaluator
        )
    assert refused.value.field == "significance"
    with pytest.raises(Invalid) as refused:
        outcomes.record_outcome(session, mission.id, fields(what_changed="a\x00b"), actor=evaluator)
    assert refused.value.field == "what_changed"


def test_only_evaluators_record_change_or_delete(
    session: Session, mission: Mission, evaluator: User, officer: User, resident: User
) -> None:
    record = outcomes.record_outcome(session, mission.id, fields(), actor=evaluator)
    for person in (officer, resident, None):
        with pytest.raises(Forbidden):
            outcomes.record_outcome(session, mission.id, fields(), actor=person)
        with pytest.raises(Forbidden):
            outcomes.update_outcome(session, mission.id, record.id, fields(), actor=person)
        with pytest.raises(Forbidden):
            outcomes.delete_outcome(session, mission.id, record.id, actor=person)
        with pytest.raises(Forbidden):
            outcomes.link_evidence(session, mission.id, record.id, "1", actor=person)
    assert [action for action, _ in actions(session)] == ["evaluation.outcome_recorded"]


# --- Changing and deleting -----------------------------------------------------------------------


def test_an_update_replaces_the_values_and_the_indicators(
    session: Session, mission: Mission, evaluator: User, indicator: Indicator
) -> None:
    second = make_indicator(session, indicator.outcome)
    record = outcomes.record_outcome(
        session, mission.id, fields(indicator_ids=(indicator.id,)), actor=evaluator
    )
    outcomes.update_outcome(
        session,
        mission.id,
        record.id,
        fields(
            substantiated_by="The head teacher, in an interview on 10 May.",
            indicator_ids=[second.id],
        ),
        actor=evaluator,
        today=TODAY,
    )
    session.expire_all()
    stored = session.get_one(HarvestedOutcome, record.id)
    assert stored.substantiated_by == "The head teacher, in an interview on 10 May."
    assert stored.updated_at >= stored.created_at
    assert linked_indicators(session, record) == [second.id]
    assert [action for action, _ in actions(session)] == [
        "evaluation.outcome_recorded",
        "evaluation.outcome_updated",
    ]
    with pytest.raises(Invalid):
        outcomes.update_outcome(
            session, mission.id, record.id, fields(happened_on=date(2099, 1, 1)), actor=evaluator
        )
    session.rollback()
    assert session.get_one(HarvestedOutcome, record.id).happened_on == date(2026, 5, 4)


def test_another_missions_record_is_not_found(
    session: Session, mission: Mission, evaluator: User
) -> None:
    other = make_mission(session)
    theirs = outcomes.record_outcome(session, other.id, fields(), actor=evaluator)
    with pytest.raises(NotFound):
        outcomes.get_outcome(session, mission.id, theirs.id)
    with pytest.raises(NotFound):
        outcomes.update_outcome(session, mission.id, theirs.id, fields(), actor=evaluator)
    with pytest.raises(NotFound):
        outcomes.delete_outcome(session, mission.id, theirs.id, actor=evaluator)
    with pytest.raises(NotFound):
        outcomes.link_evidence(session, mission.id, theirs.id, "1", actor=evaluator)
    with pytest.raises(NotFound):
        outcomes.get_outcome(session, mission.id, 2**31 - 1)


def test_deleting_removes_the_record_and_its_links_only(
    session: Session, mission: Mission, evaluator: User, indicator: Indicator
) -> None:
    item = make_evidence(session, mission)
    record = outcomes.record_outcome(
        session, mission.id, fields(indicator_ids=(indicator.id,)), actor=evaluator
    )
    outcomes.link_evidence(session, mission.id, record.id, str(item.id), actor=evaluator)
    outcomes.delete_outcome(session, mission.id, record.id, actor=evaluator)
    session.expire_all()
    assert session.get(HarvestedOutcome, record.id) is None
    assert session.execute(sa.select(outcome_indicators)).all() == []
    assert session.execute(sa.select(outcome_evidence)).all() == []
    assert session.get(EvidenceRecord, item.id) is not None
    assert session.get(Indicator, indicator.id) is not None
    entry = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None and entry.action == "evaluation.outcome_deleted"
    assert entry.details["evidence"] == [item.id]


# --- Reading -------------------------------------------------------------------------------------


def test_the_list_is_most_recent_first_and_filters(
    session: Session, mission: Mission, evaluator: User, indicator: Indicator
) -> None:
    def record(**changes: object) -> HarvestedOutcome:
        return outcomes.record_outcome(session, mission.id, fields(**changes), actor=evaluator)

    old = record(happened_on=date(2025, 1, 1), mission_outcome_id=indicator.outcome_id)
    undated = record(happened_on=None, substantiated_by="The transport officer")
    recent = record(happened_on=date(2026, 3, 1))
    other = make_mission(session)
    outcomes.record_outcome(session, other.id, fields(), actor=evaluator)

    def ids(**filters: object) -> list[int]:
        return [r.id for r in outcomes.list_outcomes(session, mission.id, **filters)]  # type: ignore[arg-type]

    assert ids() == [recent.id, old.id, undated.id]
    assert ids(mission_outcome_id=indicator.outcome_id) == [old.id]
    assert ids(unlinked=True) == [recent.id, undated.id]
    assert ids(substantiated=True) == [undated.id]
    assert ids(substantiated=False) == [recent.id, old.id]
    assert ids(unlinked=True, substantiated=False) == [recent.id]
    assert outcomes.count_outcomes(session, mission.id) == 3


def test_indicators_by_outcome_reads_every_record_at_once(
    session: Session, mission: Mission, evaluator: User, indicator: Indicator
) -> None:
    first = outcomes.record_outcome(
        session, mission.id, fields(indicator_ids=(indicator.id,)), actor=evaluator
    )
    second = outcomes.record_outcome(session, mission.id, fields(), actor=evaluator)
    found = outcomes.indicators_by_outcome(session, [first.id, second.id])
    assert [i.id for i in found[first.id]] == [indicator.id]
    assert found[second.id] == []
    assert outcomes.indicators_by_outcome(session, []) == {}


# --- Evidence ------------------------------------------------------------------------------------


def test_parse_numbers_reads_commas_spaces_and_hashes() -> None:
    assert outcomes.parse_numbers("12, 15 #18;12\n7") == ([12, 15, 18, 7], [])
    assert outcomes.parse_numbers("3, abc, 99999999999, ², -4") == (
        [3],
        ["abc", "99999999999", "²", "-4"],
    )
    assert outcomes.parse_numbers("  ,, ") == ([], [])


def test_evidence_items_are_linked_by_number(
    session: Session, mission: Mission, evaluator: User
) -> None:
    first = make_evidence(session, mission, title="Walk to school")
    second = make_evidence(session, mission, title="Crossing")
    record = outcomes.record_outcome(session, mission.id, fields(), actor=evaluator)
    result = outcomes.link_evidence(
        session, mission.id, record.id, f"{second.id}, #{first.id}", actor=evaluator
    )
    assert (result.linked, result.already) == ([second.id, first.id], [])
    again = outcomes.link_evidence(
        session, mission.id, record.id, f"{first.id} {first.id}", actor=evaluator
    )
    assert (again.linked, again.already) == ([], [first.id])
    session.expire_all()
    stored = session.get_one(HarvestedOutcome, record.id)
    assert {item.id for item in stored.evidence} == {first.id, second.id}
    linking = [a for a, _ in actions(session) if a == "evaluation.outcome_updated"]
    assert linking == ["evaluation.outcome_updated"]  # linking nothing new writes nothing


def test_every_unknown_number_is_reported_and_nothing_is_linked(
    session: Session, mission: Mission, evaluator: User
) -> None:
    mine = make_evidence(session, mission)
    theirs = make_evidence(session, make_mission(session))
    record = outcomes.record_outcome(session, mission.id, fields(), actor=evaluator)
    with pytest.raises(Invalid) as refused:
        outcomes.link_evidence(
            session,
            mission.id,
            record.id,
            f"{mine.id}, {theirs.id}, 999999, banana",
            actor=evaluator,
        )
    assert refused.value.field == "numbers"
    reported = str(refused.value).split(": ", 1)[1].removesuffix(".").split(", ")
    assert reported == [str(theirs.id), "999999", "banana"]  # each, in the order typed
    session.rollback()
    assert session.execute(sa.select(outcome_evidence)).all() == []
    with pytest.raises(Invalid, match="Give the numbers"):
        outcomes.link_evidence(session, mission.id, record.id, " , ", actor=evaluator)
    many = " ".join(str(n) for n in range(1, 102))
    with pytest.raises(Invalid, match="at most 100"):
        outcomes.link_evidence(session, mission.id, record.id, many, actor=evaluator)


def test_unlinking_takes_the_item_off_the_record(
    session: Session, mission: Mission, evaluator: User
) -> None:
    item = make_evidence(session, mission)
    unlinked = make_evidence(session, mission)
    theirs = make_evidence(session, make_mission(session))
    record = outcomes.record_outcome(session, mission.id, fields(), actor=evaluator)
    outcomes.link_evidence(session, mission.id, record.id, str(item.id), actor=evaluator)
    with pytest.raises(Invalid, match="not linked"):
        outcomes.unlink_evidence(session, mission.id, record.id, unlinked.id, actor=evaluator)
    with pytest.raises(NotFound):
        outcomes.unlink_evidence(session, mission.id, record.id, theirs.id, actor=evaluator)
    outcomes.unlink_evidence(session, mission.id, record.id, item.id, actor=evaluator)
    session.expire_all()
    assert session.get_one(HarvestedOutcome, record.id).evidence == []
    assert session.get(EvidenceRecord, item.id) is not None
    entry = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None and entry.details == {
        "outcome": record.id,
        "evidence_unlinked": [item.id],
    }
