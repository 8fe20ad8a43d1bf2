"""The evidence item every participation domain turns its contributions into.

Evaluation reads each domain only through that domain's ``evidence.py``, which yields these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class EvidenceItem:
    source_kind: str  # e.g. "missions.recommendation", "codesign.contribution"
    source_id: int
    mission_id: int | None
    created_at: datetime
    title: str
    text: str
    # Pseudonymous: a stable key per contributor, never a name or e-mail.
    contributor_key: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    # The contributor's demographic segment, only where they consented to its use in evaluation.
    segment: str | None = None
    # (latitude, longitude) in WGS 84: the point the public may see, never a more exact one.
    location: tuple[float, float] | None = None


def numbered_contributors(session: Session, written: sa.Subquery, prefix: str) -> dict[int, str]:
    """Pseudonymous contributor keys: ``<prefix>:p1``, ``p2``... in the order of each person's
    first writing. ``written`` has an ``author_id`` and an ``at`` column, one row per thing
    written. Numbers never reveal an account id and stay put as new people arrive."""
    authors = session.scalars(
        sa.select(written.c.author_id)
        .where(written.c.author_id.is_not(None))
        .group_by(written.c.author_id)
        .order_by(sa.func.min(written.c.at), written.c.author_id)
    )
    return {author_id: f"{prefix}:p{number}" for number, author_id in enumerate(authors, start=1)}
