"""Memos on codes and on evidence items: the services, with a session."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.audit import AuditEntry
from engage.errors import Forbidden, Invalid, NotFound
from engage.evaluation import memos
from engage.evaluation.models import Memo
from engage.missions.models import Mission
from tests.factories import make_code, make_evidence, make_mission


def count_memos(session: Session) -> int:
    session.rollback()
    return session.scalar(sa.select(sa.func.count()).select_from(Memo)) or 0


def test_a_memo_on_a_code_and_one_on_an_item(
    session: Session, mission: Mission, evaluator: User, second_evaluator: User
) -> None:
    code = make_code(session, mission, "Safety")
    item = make_evidence(session, mission)
    first = memos.add_memo(
        session, mission.id, "  Overlaps with lighting?  ", code_id=code.id, actor=evaluator
    )
    second = memos.add_memo(
        session, mission.id, "Check with the ward.", code_id=code.id, actor=second_evaluator
    )
    on_item = memos.add_memo(
        session, mission.id, "Quote this.", evidence_id=item.id, actor=evaluator
    )

    assert first.body == "Overlaps with lighting?"  # stripped
    assert (first.author_id, first.code_id, first.evidence_id) == (evaluator.id, code.id, None)
    assert [m.id for m in memos.list_memos(session, mission.id, code_id=code.id)] == [
        first.id,
        second.id,
    ]
    assert [m.id for m in memos.list_memos(session, mission.id, evidence_id=item.id)] == [
        on_item.id
    ]
    assert len(memos.list_memos(session, mission.id)) == 3
    entries = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "evaluation.memo_added")
    ).all()
    assert [(e.subject, e.details["memo_id"]) for e in entries] == [
        (f"mission:{mission.id}", first.id),
        (f"mission:{mission.id}", second.id),
        (f"mission:{mission.id}", on_item.id),
    ]


def test_only_evaluators_write_memos(
    session: Session, mission: Mission, officer: User, resident: User
) -> None:
    code = make_code(session, mission)
    for person in (officer, resident, None):
        with pytest.raises(Forbidden):
            memos.add_memo(session, mission.id, "A note.", code_id=code.id, actor=person)
    assert count_memos(session) == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write the memo."),
        ("   ", "Write the memo."),
        ("x" * (memos.MEMO_MAX_LENGTH + 1), "Keep the memo to 5000 characters."),
        ("a\x00b", "Remove the invisible control character (NUL) from this text."),
    ],
)
def test_a_memo_needs_a_sensible_body(
    session: Session, mission: Mission, evaluator: User, body: str, message: str
) -> None:
    code = make_code(session, mission)
    with pytest.raises(Invalid) as refused:
        memos.add_memo(session, mission.id, body, code_id=code.id, actor=evaluator)
    assert str(refused.value) == message and refused.value.field == "body"
    assert count_memos(session) == 0


def test_a_memo_at_the_length_limit_is_kept(
    session: Session, mission: Mission, evaluator: User
) -> None:
    code = make_code(session, mission)
    memo = memos.add_memo(
        session, mission.id, "x" * memos.MEMO_MAX_LENGTH, code_id=code.id, actor=evaluator
    )
    assert len(memo.body) == memos.MEMO_MAX_LENGTH


def test_a_memo_is_about_exactly_one_thing_of_this_mission(
    session: Session, mission: Mission, evaluator: User
) -> None:
    code = make_code(session, mission)
    item = make_evidence(session, mission)
    other = make_mission(session)
    their_code = make_code(session, other)
    their_item = make_evidence(session, other)
    with pytest.raises(Invalid):
        memos.add_memo(
            session, mission.id, "Both.", code_id=code.id, evidence_id=item.id, actor=evaluator
        )
    with pytest.raises(Invalid):
        memos.add_memo(session, mission.id, "Neither.", actor=evaluator)
    with pytest.raises(NotFound):
        memos.add_memo(session, mission.id, "Theirs.", code_id=their_code.id, actor=evaluator)
    with pytest.raises(NotFound):
        memos.add_memo(session, mission.id, "Theirs.", evidence_id=their_item.id, actor=evaluator)
    with pytest.raises(NotFound):
        memos.add_memo(session, mission.id, "Gone.", code_id=2**31 - 1, actor=evaluator)
    assert count_memos(session) == 0
    assert memos.list_memos(session, other.id) == []
