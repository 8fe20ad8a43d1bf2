"""Memos: an evaluator's notes on a code of the frame or on an evidence item.

A memo belongs to exactly one subject (a code or an item) of one mission. Memos are notes about
the frame, not part of it: adding one writes an audit entry but no frame version.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage import audit
from engage.errors import N_, Invalid, NotFound, checked_text
from engage.evaluation.models import Code, EvidenceRecord, Memo
from engage.security import evaluators_only

MEMO_MAX_LENGTH = 5000


def _check_subject(
    session: Session, mission_id: int, code_id: int | None, evidence_id: int | None
) -> None:
    """Exactly one subject, and it belongs to the mission (NotFound otherwise, as for any
    address naming another mission's row)."""
    if (code_id is None) == (evidence_id is None):
        raise Invalid(N_("A memo is about one code or one evidence item."))
    if code_id is not None:
        code = session.get(Code, code_id)
        if code is None or code.mission_id != mission_id:
            raise NotFound(N_("There is no such code in this mission's frame."))
    if evidence_id is not None:
        item = session.get(EvidenceRecord, evidence_id)
        if item is None or item.mission_id != mission_id:
            raise NotFound(N_("There is no such evidence item in this mission's index."))


def clean_body(body: str) -> str:
    """The memo's text, stripped; refused when empty, too long or holding a NUL character."""
    return checked_text(
        body,
        "body",
        MEMO_MAX_LENGTH,
        required=N_("Write the memo."),
        too_long=N_("Keep the memo to %(max)s characters."),
    )


def new_memo(
    session: Session,
    mission_id: int,
    body: str,
    *,
    code_id: int | None = None,
    evidence_id: int | None = None,
    actor: Any,
) -> Memo:
    """A memo added in the caller's transaction (flushed, audited, not committed): for services
    that write one as part of a larger change, such as retiring a code with a reason."""
    _check_subject(session, mission_id, code_id, evidence_id)
    body = clean_body(body)
    memo = Memo(
        mission_id=mission_id,
        code_id=code_id,
        evidence_id=evidence_id,
        body=body,
        author_id=actor.id if actor is not None else None,
    )
    session.add(memo)
    session.flush()
    audit.record(
        session,
        actor,
        "evaluation.memo_added",
        f"mission:{mission_id}",
        {"memo_id": memo.id, "code_id": code_id, "evidence_id": evidence_id},
    )
    return memo


@evaluators_only
def add_memo(
    session: Session,
    mission_id: int,
    body: str,
    *,
    code_id: int | None = None,
    evidence_id: int | None = None,
    actor: Any,
) -> Memo:
    """A memo on a code or on an evidence item of the mission (give exactly one of the two)."""
    memo = new_memo(
        session, mission_id, body, code_id=code_id, evidence_id=evidence_id, actor=actor
    )
    session.commit()
    return memo


def list_memos(
    session: Session,
    mission_id: int,
    *,
    code_id: int | None = None,
    evidence_id: int | None = None,
) -> list[Memo]:
    """The mission's memos on this code or this item, oldest first (every memo of the mission
    when neither is given)."""
    query = sa.select(Memo).where(Memo.mission_id == mission_id)
    if code_id is not None:
        query = query.where(Memo.code_id == code_id)
    if evidence_id is not None:
        query = query.where(Memo.evidence_id == evidence_id)
    return list(session.scalars(query.order_by(Memo.created_at, Memo.id)))
