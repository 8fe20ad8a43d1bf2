"""The mission's coding frame: its codes, and a numbered version written by every change.

Every public service here checks that the actor is an evaluator, changes the frame, writes a
new ``FrameVersion`` holding the whole frame as it then stands and an audit entry
(``evaluation.code_<verb>``), and commits once.

A code is *active* (offered for coding, counted), *retired* (keeps its applications, but is left
out of coding choices, agreement, the report and counts; it can be reinstated) or *merged* (its
applications moved to another code, ``merged_into``; final). Names are unique in a mission
whatever the status, ignoring case.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from engage import audit
from engage.db import utcnow
from engage.errors import N_, Invalid, NotFound, checked_text
from engage.evaluation.memos import new_memo
from engage.evaluation.models import (
    Code,
    CodeApplication,
    CodeOrigin,
    CodeStatus,
    EvidenceRecord,
    FrameVersion,
)
from engage.missions.models import Mission
from engage.pagination import Page, offset_of
from engage.security import evaluators_only

NAME_MAX_LENGTH = 120
DEFINITION_MAX_LENGTH = 5000
APPLICATIONS_PER_PAGE = 100
VERSIONS_PER_PAGE = 50
MAX_SPLIT_IDS = 1000  # applications moved by one split


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


def _lock_frame(session: Session, mission_id: int) -> None:
    """Serialise changes to one mission's frame (PostgreSQL row lock on the mission; SQLite
    writes one at a time anyway), so version numbers and merges never race."""
    session.execute(sa.select(Mission.id).where(Mission.id == mission_id).with_for_update())


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
    _lock_frame(session, mission_id)
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


def _clean_name(name: str) -> str:
    return checked_text(
        name,
        "name",
        NAME_MAX_LENGTH,
        required=N_("Give the code a name."),
        too_long=N_("Keep the name to %(max)s characters."),
    )


def _clean_definition(definition: str, *, required: bool) -> str:
    return checked_text(
        definition,
        "definition",
        DEFINITION_MAX_LENGTH,
        required=(
            N_("Write a definition: what the code covers, so every coder applies it alike.")
            if required
            else None
        ),
        too_long=N_("Keep the definition to %(max)s characters."),
    )


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
    name = _clean_name(name)
    definition = _clean_definition(definition, required=False)
    check_name_free(session, mission_id, name)
    now = utcnow()
    code = Code(
        mission_id=mission_id,
        name=name,
        definition=definition,
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


def _audit(
    session: Session, actor: Any, verb: str, mission_id: int, version: FrameVersion, **details: Any
) -> None:
    audit.record(
        session,
        actor,
        f"evaluation.code_{verb}",
        f"mission:{mission_id}",
        {**details, "frame_version": version.number},
    )


def _changeable(session: Session, mission_id: int, code_id: int) -> Code:
    """The code, read after taking the frame's lock, so it is as the last change left it."""
    _lock_frame(session, mission_id)
    code = get_code(session, mission_id, code_id)
    session.refresh(code)
    return code


@evaluators_only
def create_code(
    session: Session, mission_id: int, name: str, definition: str, *, actor: Any
) -> Code:
    """An evaluator's own code, with its definition."""
    _lock_frame(session, mission_id)
    definition = _clean_definition(definition, required=True)
    code = new_code(session, mission_id, name, definition=definition, actor=actor)
    version = record_version(
        session, mission_id, N_("Added the code “%(name)s”"), actor=actor, name=code.name
    )
    _audit(session, actor, "created", mission_id, version, code_id=code.id, name=code.name)
    session.commit()
    return code


@evaluators_only
def edit_code(
    session: Session, mission_id: int, code_id: int, name: str, definition: str, *, actor: Any
) -> Code:
    """Rename a code and/or change its definition (any status: renaming a retired or merged
    code is how its name is freed for another)."""
    code = _changeable(session, mission_id, code_id)
    name = _clean_name(name)
    definition = _clean_definition(definition, required=False)
    renamed = name != code.name
    redefined = definition != code.definition
    if not renamed and not redefined:
        raise Invalid(N_("The name and the definition are as they were: nothing to save."))
    if renamed:
        check_name_free(session, mission_id, name, except_id=code.id)
    old_name = code.name
    code.name = name
    code.definition = definition
    code.updated_at = utcnow()
    if renamed and redefined:
        change = N_("Renamed “%(old)s” to “%(name)s” and changed its definition")
    elif renamed:
        change = N_("Renamed “%(old)s” to “%(name)s”")
    else:
        change = N_("Changed the definition of “%(name)s”")
    version = record_version(session, mission_id, change, actor=actor, old=old_name, name=name)
    _audit(
        session,
        actor,
        "edited",
        mission_id,
        version,
        code_id=code.id,
        old_name=old_name,
        name=name,
        definition_changed=redefined,
    )
    session.commit()
    return code


def _require_active(code: Code, *, field: str | None = None) -> None:
    if code.status is not CodeStatus.ACTIVE:
        raise Invalid(
            N_("“%(name)s” is no longer an active code of the frame."), field=field, name=code.name
        )


def _changed(session: Session, statement: sa.Executable) -> int:
    """Run an UPDATE or DELETE (the session's copies are left as they are) and say how many
    rows it changed."""
    result = session.execute(statement, execution_options={"synchronize_session": False})
    return cast("sa.CursorResult[Any]", result).rowcount


def _move_applications(session: Session, from_id: int, to_id: int) -> tuple[int, int]:
    """Move every application of one code to another, dropping those the other already has
    (same item, coder and excerpt). Returns (moved, dropped). Two statements, whatever the
    number of applications; the session's copies are expired."""
    mine, theirs = aliased(CodeApplication), aliased(CodeApplication)
    held = (
        sa.select(theirs.id)
        .where(
            theirs.code_id == to_id,
            theirs.evidence_id == mine.evidence_id,
            theirs.coder_id.is_not_distinct_from(mine.coder_id),
            theirs.excerpt == mine.excerpt,
        )
        .exists()
    )
    duplicates = sa.select(mine.id).where(mine.code_id == from_id, held)
    dropped = _changed(
        session, sa.delete(CodeApplication).where(CodeApplication.id.in_(duplicates))
    )
    moved = _changed(
        session,
        sa.update(CodeApplication).where(CodeApplication.code_id == from_id).values(code_id=to_id),
    )
    session.expire_all()
    return moved, dropped


@dataclass(frozen=True)
class MergeResult:
    target: Code
    moved: int  # applications now on the target
    dropped: int  # duplicates of applications the target already had


@evaluators_only
def merge_code(
    session: Session, mission_id: int, code_id: int, into_id: int, *, actor: Any
) -> MergeResult:
    """Merge a code into another active code: its applications move to the target (dropping
    those the target already has: same item, coder and excerpt), its keywords join the
    target's, and it becomes *merged into* the target, which keeps its name. Codes merged into
    it earlier now point to the target too, where their applications are."""
    code = _changeable(session, mission_id, code_id)
    if into_id == code.id:
        raise Invalid(N_("Choose another code to merge this one into."), field="into")
    _require_active(code)
    target = get_code(session, mission_id, into_id)
    session.refresh(target)
    _require_active(target, field="into")
    session.flush()
    moved, dropped = _move_applications(session, code.id, target.id)
    target.keywords = [
        *target.keywords,
        *(word for word in code.keywords if word not in target.keywords),
    ]
    now = utcnow()
    target.updated_at = now
    code.status = CodeStatus.MERGED
    code.merged_into_id = target.id
    code.updated_at = now
    session.execute(
        sa.update(Code)
        .where(Code.mission_id == mission_id, Code.merged_into_id == code.id)
        .values(merged_into_id=target.id, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    version = record_version(
        session,
        mission_id,
        N_("Merged “%(name)s” into “%(into)s”"),
        actor=actor,
        name=code.name,
        into=target.name,
    )
    _audit(
        session,
        actor,
        "merged",
        mission_id,
        version,
        code_id=code.id,
        into_id=target.id,
        moved=moved,
        dropped=dropped,
    )
    session.commit()
    return MergeResult(target=target, moved=moved, dropped=dropped)


@evaluators_only
def split_code(
    session: Session,
    mission_id: int,
    code_id: int,
    name: str,
    definition: str,
    application_ids: Iterable[int],
    *,
    actor: Any,
) -> Code:
    """Split a new code off an active one: the new code (with its name and definition) takes
    the chosen applications, at least one; taking all of them is allowed (the old code stays
    active, for what is coded from now on)."""
    code = _changeable(session, mission_id, code_id)
    _require_active(code)
    wanted = set(application_ids)
    if not wanted:
        raise Invalid(
            N_("Tick the applications that move to the new code (at least one)."),
            field="applications",
        )
    if len(wanted) > MAX_SPLIT_IDS:
        raise Invalid(
            N_("Move at most %(max)s applications at once."),
            field="applications",
            max=MAX_SPLIT_IDS,
        )
    session.flush()
    chosen = CodeApplication.id.in_(wanted)
    found = session.scalar(
        sa.select(sa.func.count()).where(chosen, CodeApplication.code_id == code.id)
    )
    if found != len(wanted):
        raise Invalid(
            N_("Tick only applications of this code: some of those chosen are not (any more)."),
            field="applications",
        )
    definition = _clean_definition(definition, required=True)
    new = new_code(
        session, mission_id, name, definition=definition, actor=actor, split_from_id=code.id
    )
    _changed(session, sa.update(CodeApplication).where(chosen).values(code_id=new.id))
    session.expire_all()
    code.updated_at = new.updated_at
    version = record_version(
        session,
        mission_id,
        N_("Split “%(name)s” off from “%(source)s”"),
        actor=actor,
        name=new.name,
        source=code.name,
        moved=len(wanted),
    )
    _audit(
        session,
        actor,
        "split",
        mission_id,
        version,
        code_id=code.id,
        new_code_id=new.id,
        name=new.name,
        moved=len(wanted),
    )
    session.commit()
    return new


@evaluators_only
def retire_code(
    session: Session, mission_id: int, code_id: int, reason: str = "", *, actor: Any
) -> Code:
    """Retire an active code: it keeps its applications but leaves coding choices, agreement,
    the report and counts. A reason, if given, is kept as a memo on the code."""
    code = _changeable(session, mission_id, code_id)
    _require_active(code)
    reason = (reason or "").strip()
    memo = None
    if reason:
        try:
            memo = new_memo(session, mission_id, reason, code_id=code.id, actor=actor)
        except Invalid as error:
            raise Invalid(error.message, field="reason", **error.params) from error
    code.status = CodeStatus.RETIRED
    code.updated_at = utcnow()
    version = record_version(
        session, mission_id, N_("Retired “%(name)s”"), actor=actor, name=code.name
    )
    _audit(
        session,
        actor,
        "retired",
        mission_id,
        version,
        code_id=code.id,
        memo_id=memo.id if memo else None,
    )
    session.commit()
    return code


@evaluators_only
def reinstate_code(session: Session, mission_id: int, code_id: int, *, actor: Any) -> Code:
    """Make a retired code active again (a merged one cannot be: its applications moved)."""
    code = _changeable(session, mission_id, code_id)
    if code.status is not CodeStatus.RETIRED:
        raise Invalid(N_("Only a retired code can be reinstated."))
    code.status = CodeStatus.ACTIVE
    code.updated_at = utcnow()
    version = record_version(
        session, mission_id, N_("Reinstated “%(name)s”"), actor=actor, name=code.name
    )
    _audit(session, actor, "reinstated", mission_id, version, code_id=code.id)
    session.commit()
    return code


# --- Reading the frame ----------------------------------------------------------------------------


def item_counts(session: Session, mission_id: int) -> dict[int, int]:
    """How many evidence items each of the mission's codes is applied to (by anyone)."""
    rows = session.execute(
        sa.select(CodeApplication.code_id, sa.func.count(sa.distinct(CodeApplication.evidence_id)))
        .join(Code, Code.id == CodeApplication.code_id)
        .where(Code.mission_id == mission_id)
        .group_by(CodeApplication.code_id)
    )
    return {code_id: count for code_id, count in rows}


@dataclass(frozen=True)
class FrameOverview:
    active: list[Code]
    retired: list[Code]
    merged: list[Code]
    counts: dict[int, int]  # code id → items coded
    names: dict[int, str]  # code id → name, for "merged into" and "split from"


def frame_overview(session: Session, mission_id: int) -> FrameOverview:
    codes = list_codes(session, mission_id, statuses=tuple(CodeStatus))
    return FrameOverview(
        active=[code for code in codes if code.status is CodeStatus.ACTIVE],
        retired=[code for code in codes if code.status is CodeStatus.RETIRED],
        merged=[code for code in codes if code.status is CodeStatus.MERGED],
        counts=item_counts(session, mission_id),
        names={code.id: code.name for code in codes},
    )


@dataclass(frozen=True)
class AppliedItem:
    """One application of a code, with the item it was applied to."""

    id: int
    evidence_id: int
    title: str
    excerpt: str
    coder_id: int | None  # None: proposed by a theme run
    created_at: datetime


def list_applications(session: Session, code: Code, page: int = 1) -> Page[AppliedItem]:
    """A page of the code's applications, oldest item first."""
    where = CodeApplication.code_id == code.id
    total = session.scalar(sa.select(sa.func.count()).where(where)) or 0
    rows = session.execute(
        sa.select(
            CodeApplication.id,
            CodeApplication.evidence_id,
            EvidenceRecord.title,
            CodeApplication.excerpt,
            CodeApplication.coder_id,
            CodeApplication.created_at,
        )
        .join(EvidenceRecord, EvidenceRecord.id == CodeApplication.evidence_id)
        .where(where)
        .order_by(EvidenceRecord.created_at, EvidenceRecord.id, CodeApplication.id)
        .offset(offset_of(page, APPLICATIONS_PER_PAGE))
        .limit(APPLICATIONS_PER_PAGE)
    )
    items = [AppliedItem(*row) for row in rows]
    return Page(items, max(page, 1), APPLICATIONS_PER_PAGE, total)


def list_versions(session: Session, mission_id: int) -> list[FrameVersion]:
    return list(
        session.scalars(
            sa.select(FrameVersion)
            .where(FrameVersion.mission_id == mission_id)
            .order_by(FrameVersion.number.desc())
        )
    )


def page_of_versions(session: Session, mission_id: int, page: int = 1) -> Page[FrameVersion]:
    """A page of the frame's versions, newest first."""
    where = FrameVersion.mission_id == mission_id
    total = session.scalar(sa.select(sa.func.count()).select_from(FrameVersion).where(where)) or 0
    versions = session.scalars(
        sa.select(FrameVersion)
        .where(where)
        .order_by(FrameVersion.number.desc())
        .offset(offset_of(page, VERSIONS_PER_PAGE))
        .limit(VERSIONS_PER_PAGE)
    )
    return Page(list(versions), max(page, 1), VERSIONS_PER_PAGE, total)


def get_version(session: Session, mission_id: int, number: int) -> FrameVersion:
    version = session.scalar(
        sa.select(FrameVersion).where(
            FrameVersion.mission_id == mission_id, FrameVersion.number == number
        )
    )
    if version is None:
        raise NotFound(N_("The coding frame has no version %(number)s."), number=number)
    return version


@dataclass(frozen=True)
class Renamed:
    id: int
    old: str
    new: str


@dataclass(frozen=True)
class StatusChanged:
    id: int
    name: str
    old: str  # CodeStatus values
    new: str


@dataclass(frozen=True)
class FrameChanges:
    """What changed in the frame between two snapshots."""

    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    renamed: list[Renamed] = field(default_factory=list)
    status_changed: list[StatusChanged] = field(default_factory=list)
    redefined: list[dict[str, Any]] = field(default_factory=list)  # as they are after

    @property
    def empty(self) -> bool:
        return not (
            self.added or self.removed or self.renamed or self.status_changed or self.redefined
        )


def compare_snapshots(
    before: Sequence[dict[str, Any]], after: Sequence[dict[str, Any]]
) -> FrameChanges:
    """Codes added, removed, renamed, redefined and changed in status from ``before`` to
    ``after`` (two versions' snapshots; codes matched by id)."""
    old = {code["id"]: code for code in before}
    new = {code["id"]: code for code in after}
    changes = FrameChanges(
        added=[code for code_id, code in new.items() if code_id not in old],
        removed=[code for code_id, code in old.items() if code_id not in new],
    )
    for code_id, code in new.items():
        was = old.get(code_id)
        if was is None:
            continue
        if was["name"] != code["name"]:
            changes.renamed.append(Renamed(code_id, was["name"], code["name"]))
        if was["status"] != code["status"]:
            changes.status_changed.append(
                StatusChanged(code_id, code["name"], was["status"], code["status"])
            )
        if was.get("definition", "") != code.get("definition", ""):
            changes.redefined.append(code)
    return changes


@dataclass(frozen=True)
class VersionView:
    version: FrameVersion
    changes: FrameChanges
    previous: int | None  # the previous version's number, if any
    latest: int  # the frame's newest version number


def version_with_changes(session: Session, mission_id: int, number: int) -> VersionView:
    """A version of the frame and what changed since the version before it."""
    version = get_version(session, mission_id, number)
    previous = session.scalar(
        sa.select(FrameVersion)
        .where(FrameVersion.mission_id == mission_id, FrameVersion.number < number)
        .order_by(FrameVersion.number.desc())
        .limit(1)
    )
    latest = session.scalar(
        sa.select(sa.func.max(FrameVersion.number)).where(FrameVersion.mission_id == mission_id)
    )
    return VersionView(
        version=version,
        changes=compare_snapshots(previous.snapshot if previous else [], version.snapshot),
        previous=previous.number if previous else None,
        latest=latest or number,
    )
