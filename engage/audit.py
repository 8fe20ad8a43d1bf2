"""The append-only, hash-chained audit log.

Each entry stores the SHA-256 of the entry before it and its own hash over its content and that
link. Changing, inserting or deleting any entry breaks the chain from there on, and
``verify_chain`` names the first entry that no longer fits. Entries name their actor by user id
only, so the log holds no personal data of its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from engage.db import Base, utcnow
from engage.i18n import N_
from engage.jobs import ProgressReporter, job_handler

GENESIS_HASH = "0" * 64
# Any fixed number: the PostgreSQL advisory lock that serialises appends to the chain.
_CHAIN_LOCK_KEY = 0x656E_6761_6765


class HasId(Protocol):
    @property
    def id(self) -> int: ...


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    subject: Mapped[str] = mapped_column(sa.String(120), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Unique: two entries can never claim the same predecessor, so the chain cannot fork.
    prev_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    entry_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    def content_hash(self, prev_hash: str) -> str:
        return entry_hash(
            prev_hash, self.created_at, self.actor_id, self.action, self.subject, self.details
        )


def entry_hash(
    prev_hash: str,
    created_at: datetime,
    actor_id: int | None,
    action: str,
    subject: str,
    details: dict[str, Any],
) -> str:
    canonical = json.dumps(
        {
            "prev": prev_hash,
            "at": created_at.isoformat(timespec="microseconds"),
            "actor": actor_id,
            "action": action,
            "subject": subject,
            "details": details,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(
    session: Session,
    actor: HasId | None,
    action: str,
    subject: str,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry in the caller's transaction; the caller commits it with its change."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(_CHAIN_LOCK_KEY)))
    session.flush()
    last = session.scalar(sa.select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1))
    prev_hash = last or GENESIS_HASH
    # Round-trip through JSON so the hash covers exactly what the database will give back.
    plain_details = json.loads(json.dumps(details or {}, default=str))
    entry = AuditEntry(
        created_at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        action=action,
        subject=subject,
        details=plain_details,
        prev_hash=prev_hash,
    )
    entry.entry_hash = entry.content_hash(prev_hash)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_id: int | None
    reason: str | None
    head_hash: str | None = None
    # None when no anchor was asked about.
    anchor_found: bool | None = None

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None and self.anchor_found is not False


def verify_chain(
    session: Session,
    progress: Callable[[int, int], None] | None = None,
    *,
    anchor: str | None = None,
) -> ChainReport:
    """Recompute every link in order; report the first entry whose link or content is wrong.

    A chain can only vouch for itself: whoever controls the database could rewrite its newest
    entries, or cut them off, and rehash. ``anchor`` is a head hash recorded earlier outside the
    database (printed by ``engage audit verify``); the chain must still contain it.
    """
    total = session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) or 0
    expected_prev = GENESIS_HASH
    checked = 0
    anchor_found = False
    rows = session.scalars(
        sa.select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=500)
    )
    for entry in rows:
        if entry.prev_hash != expected_prev:
            return ChainReport(checked, entry.id, "its link to the previous entry does not match")
        recomputed = entry.content_hash(entry.prev_hash)
        if recomputed != entry.entry_hash:
            return ChainReport(checked, entry.id, "its content was changed after it was written")
        expected_prev = entry.entry_hash
        anchor_found = anchor_found or entry.entry_hash == anchor
        checked += 1
        if progress is not None and checked % 500 == 0:
            progress(checked, total)
    head = expected_prev if checked else None
    return ChainReport(checked, None, None, head, anchor_found if anchor is not None else None)


def list_entries(session: Session, *, page: int, per_page: int = 50) -> list[AuditEntry]:
    return list(
        session.scalars(
            sa.select(AuditEntry)
            .order_by(AuditEntry.id.desc())
            .offset(max(page - 1, 0) * per_page)
            .limit(per_page)
        )
    )


def count_entries(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) or 0


@job_handler("audit.verify")
def _verify_as_job(
    session: Session, progress: ProgressReporter, params: dict[str, Any]
) -> dict[str, Any]:
    def report(done: int, total: int) -> None:
        progress(
            done * 100 // max(total, 1),
            N_("%(done)s of %(total)s entries checked"),
            done=done,
            total=total,
        )

    result = verify_chain(session, report)
    return {
        "checked": result.checked,
        "first_broken_id": result.first_broken_id,
        "reason": result.reason,
    }
