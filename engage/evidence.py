"""The evidence item every participation domain turns its contributions into.

Evaluation reads each domain only through that domain's ``evidence.py``, which yields these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


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
