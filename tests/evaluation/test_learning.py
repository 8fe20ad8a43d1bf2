"""The learning log: adding, changing and deleting entries, reading them newest first by loop
with their counts, and the refusals."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.audit import AuditEntry
from engage.errors import Forbidden, Invalid, NotFound
from engage.evaluation import outcomes
from engage.evaluation.models import LearningEntry, LearningLoop
from engage.evaluation.outcomes import LearningFields
from engage.missions.models import Mission
from tests.factories import make_mission

TODAY = date(2026, 6, 15)
SINGLE, DOUBLE, TRIPLE = LearningLoop.SINGLE, LearningLoop.DOUBLE, LearningLoop.TRIPLE


def entry_fields(
    loop: LearningLoop | None = SINGLE, noted_on: date | None = date(2026, 6, 1), **changes: str
) -> LearningFields:
    texts = {
        "what_happened": "Few people came to the evening workshop.",
        "learned": "Evenings clash with childcare.",
        "next_step": "Hold the next one on a Saturday morning.",
    }
    texts.update(changes)
    return LearningFields(loop=loop, noted_on=noted_on, **texts)


def audit_actions(session: Session) -> list[str]:
    session.rollback()
    return list(session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def test_an_evaluator_adds_an_entry(session: Session, mission: Mission, evaluator: User) -> None:
    entry = outcomes.add_entry(
        session, mission.id, entry_fields(DOUBLE, learned="  Evenings clash.  "), actor=evaluator
    )
    session.expire_all()
    stored = session.get_one(LearningEntry, entry.id)
    assert (stored.loop, stored.noted_on, stored.learned) == (
        DOUBLE,
        date(2026, 6, 1),
        "Evenings clash.",
    )
    assert stored.author_id == evaluator.id and stored.mission_id == mission.id
    audit = session.scalars(sa.select(AuditEntry)).one()
    assert (audit.action, audit.subject) == ("evaluation.learning_added", f"mission:{mission.id}")
    assert audit.details == {"entry": entry.id, "loop": "double", "noted_on": "2026-06-01"}


def test_what_will_change_may_wait(session: Session, mission: Mission, evaluator: User) -> None:
    entry = outcomes.add_entry(session, mission.id, entry_fields(next_step=""), actor=evaluator)
    assert entry.next_step == ""


@pytest.mark.parametrize(
    ("values", "field"),
    [
        (entry_fields(loop=None), "loop"),
        (entry_fields(noted_on=None), "noted_on"),
        (entry_fields(noted_on=date(2026, 6, 16)), "noted_on"),
        (entry_fields(what_happened=" "), "what_happened"),
        (entry_fields(learned=""), "learned"),
        (entry_fields(next_step="x" * 10_001), "next_step"),
        (entry_fields(learned="a\x00b"), "learned"),
    ],
)
def test_bad_entries_are_refused_beside_their_field(
    session: Session, mission: Mission, evaluator: User, values: LearningFields, field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        outcomes.add_entry(session, mission.id, values, actor=evaluator, today=TODAY)
    assert refused.value.field == field
    session.rollback()
    assert session.scalar(sa.select(sa.func.count(LearningEntry.id))) == 0
    assert audit_actions(session) == []


def test_today_is_allowed(session: Session, mission: Mission, evaluator: User) -> None:
    entry = outcomes.add_entry(
        session, mission.id, entry_fields(noted_on=TODAY), actor=evaluator, today=TODAY
    )
    assert entry.noted_on == TODAY


def test_the_log_is_newest_first_filters_by_loop_and_counts(
    session: Session, mission: Mission, evaluator: User
) -> None:
    def add(loop: LearningLoop, day: int) -> LearningEntry:
        return outcomes.add_entry(
            session, mission.id, entry_fields(loop, date(2026, 5, day)), actor=evaluator
        )

    first = add(SINGLE, 1)
    later = add(DOUBLE, 20)
    same_day = add(SINGLE, 20)
    outcomes.add_entry(session, make_mission(session).id, entry_fields(TRIPLE), actor=evaluator)

    assert [e.id for e in outcomes.list_entries(session, mission.id)] == [
        same_day.id,
        later.id,
        first.id,
    ]
    assert [e.id for e in outcomes.list_entries(session, mission.id, SINGLE)] == [
        same_day.id,
        first.id,
    ]
    assert outcomes.list_entries(session, mission.id, TRIPLE) == []
    assert outcomes.loop_counts(session, mission.id) == {SINGLE: 2, DOUBLE: 1, TRIPLE: 0}
    assert outcomes.loop_counts(session, make_mission(session).id) == {
        SINGLE: 0,
        DOUBLE: 0,
        TRIPLE: 0,
    }


def test_an_entry_is_changed_and_deleted(
    session: Session, mission: Mission, evaluator: User
) -> None:
    entry = outcomes.add_entry(session, mission.id, entry_fields(SINGLE), actor=evaluator)
    outcomes.update_entry(
        session,
        mission.id,
        entry.id,
        entry_fields(TRIPLE, learned="Residents want a say in who sets the agenda."),
        actor=evaluator,
    )
    session.expire_all()
    stored = session.get_one(LearningEntry, entry.id)
    assert stored.loop is TRIPLE and stored.learned.startswith("Residents want a say")
    changed = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "evaluation.learning_updated")
    ).one()
    assert changed.details["loop"] == "triple" and changed.details["loop_was"] == "single"
    outcomes.delete_entry(session, mission.id, entry.id, actor=evaluator)
    session.expire_all()
    assert session.get(LearningEntry, entry.id) is None
    assert audit_actions(session) == [
        "evaluation.learning_added",
        "evaluation.learning_updated",
        "evaluation.learning_deleted",
    ]


def test_a_bad_change_changes_nothing(session: Session, mission: Mission, evaluator: User) -> None:
    entry = outcomes.add_entry(session, mission.id, entry_fields(SINGLE), actor=evaluator)
    with pytest.raises(Invalid):
        outcomes.update_entry(
            session, mission.id, entry.id, entry_fields(DOUBLE, learned=""), actor=evaluator
        )
    session.rollback()
    assert session.get_one(LearningEntry, entry.id).loop is SINGLE


def test_another_missions_entry_is_not_found(
    session: Session, mission: Mission, evaluator: User
) -> None:
    theirs = outcomes.add_entry(session, make_mission(session).id, entry_fields(), actor=evaluator)
    with pytest.raises(NotFound):
        outcomes.get_entry(session, mission.id, theirs.id)
    with pytest.raises(NotFound):
        outcomes.update_entry(session, mission.id, theirs.id, entry_fields(), actor=evaluator)
    with pytest.raises(NotFound):
        outcomes.delete_entry(session, mission.id, theirs.id, actor=evaluator)


def test_only_evaluators_write_the_log(
    session: Session, mission: Mission, evaluator: User, officer: User, resident: User
) -> None:
    entry = outcomes.add_entry(session, mission.id, entry_fields(), actor=evaluator)
    for person in (officer, resident, None):
        with pytest.raises(Forbidden):
            outcomes.add_entry(session, mission.id, entry_fields(), actor=person)
        with pytest.raises(Forbidden):
            outcomes.update_entry(session, mission.id, entry.id, entry_fields(), actor=person)
        with pytest.raises(Forbidden):
            outcomes.delete_entry(session, mission.id, entry.id, actor=person)
    assert audit_actions(session) == ["evaluation.learning_added"]
