"""The mission's coding frame: its codes, and a numbered version written by every change.

Every public service here checks that the actor is an evaluator, changes the frame, writes a
new ``FrameVersion`` holding the whole frame as it then stands, and commits once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.db import utcnow
from engage.errors import N_, Invalid, NotFound
from engage.evaluation.models import Code, CodeOrigin, CodeStatus, FrameVersion
from engage.security import evaluators_only

NAME_MAX_LENGTH = 120


def list_codes(
    session: Session, mission_id: int, *, statuses: Sequence[CodeStatus] = (CodeStatus.ACTIVE,)
) -> list[Code]:
    """The mission's codes in these statuses (active ones by default), by name."""
    return list(
        session.scalars(
            sa.select(Code)
            .where(Code.mission_id == mission_id, Code.status.in_(list(statuses)))
            .order_by(sa.func.lower(Code.name), Code.id)
        )
    )


def get_code(session: Session, mission_id: int, code_id: int) -> Code:
    code = session.get(Code, code_id)
    if code is None or code.mission_id != mission_id:
        raise NotFound(N_("There is no such code in this mission's frame."))
    return code


def check_name_free(
    session: Session, mission_id: int, name: str, *, except_id: int | None = None
) -> None:
    """Refuse a name another code of the mission has (retired and merged ones too: names are
    how coded quotes are read later, so one name means one code)."""
    taken = session.scalar(
        sa.select(Code.id).where(
            Code.mission_id == mission_id,
            sa.func.lower(Code.name) == name.lower(),
            Code.id != (except_id or 0),
        )
    )
    if taken is not None:
        raise Invalid(
            N_("Another code of this frame is already called “%(name)s”."), field="name", name=name
        )


def _snapshot(session: Session, mission_id: int) -> list[dict[str, Any]]:
    codes = session.scalars(
        sa.select(Code).where(Code.mission_id == mission_id).order_by(Code.id)
    ).all()
    return [
        {
            "id": code.id,
            "name": code.name,
            "definition": code.definition,
            "status": code.status.value,
            "origin": code.origin.value,
            "keywords": list(code.keywords),
            "merged_into_id": code.merged_into_id,
            "split_from_id": code.split_from_id,
        }
        for code in codes
    ]


def record_version(
    session: Session, mission_id: int, change: str, *, actor: Any, **params: str | int
) -> FrameVersion:
    """Write the frame's next version after a change (``change`` is an N_ template with
    ``params``). Flushes; the calling service commits."""
    session.flush()
    latest = session.scalar(
        sa.select(sa.func.max(FrameVersion.number)).where(FrameVersion.mission_id == mission_id)
    )
    version = FrameVersion(
        mission_id=mission_id,
        number=(latest or 0) + 1,
        change=change,
        change_params=dict(params),
        snapshot=_snapshot(session, mission_id),
        created_by_id=actor.id if actor is not None else None,
    )
    session.add(version)
    session.flush()
    return version


def new_code(
    session: Session,
    mission_id: int,
    name: str,
    *,
    definition: str = "",
    origin: CodeOrigin = CodeOrigin.EVALUATOR,
    keywords: Sequence[str] = (),
    actor: Any,
    **links: int | None,
) -> Code:
    """A new active code (flushed, no version written: the calling service does that)."""
    name = name.strip()
    if not name:
        raise Invalid(N_("Give the code a name."), field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise Invalid(N_("Keep the name to %(max)s characters."), field="name", max=NAME_MAX_LENGTH)
    check_name_free(session, mission_id, name)
    now = utcnow()
    code = Code(
        mission_id=mission_id,
        name=name,
        definition=definition.strip(),
        origin=origin,
        status=CodeStatus.ACTIVE,
        keywords=list(keywords),
        created_by_id=actor.id if actor is not None else None,
        created_at=now,
        updated_at=now,
        **links,
    )
    session.add(code)
    session.flush()
    return code


@evaluators_only
def create_code(
    session: Session, mission_id: int, name: str, definition: str, *, actor: Any
) -> Code:
    """An evaluator's own code, with its definition."""
    code = new_code(session, mission_id, name, definition=definition, actor=actor)
    record_version(session, mission_id, N_("Added the code “%(name)s”"), actor=actor, name=name)
    session.commit()
    return code


def list_versions(session: Session, mission_id: int) -> list[FrameVersion]:
    return list(
        session.scalars(
            sa.select(FrameVersion)
            .where(FrameVersion.mission_id == mission_id)
            .order_by(FrameVersion.number.desc())
        )
    )
