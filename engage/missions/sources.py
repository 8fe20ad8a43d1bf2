"""Which contributions a statement version can cite, gathered from every domain that offers some.

Missions sit under the participation domains, so they cannot import them. Instead each domain
registers a provider here (co-design its contributions, juries their recommendations, ...), and
the statement form offers whatever the registered providers list for the mission.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class SourceRef:
    kind: str  # "<domain>.<thing>", e.g. "missions.recommendation"
    id: int
    label: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


class SourceProvider(Protocol):
    kind: str

    def citable(self, session: Session, mission_id: int) -> list[SourceRef]: ...


_PROVIDERS: dict[str, SourceProvider] = {}


def register_source_provider(provider: SourceProvider) -> None:
    _PROVIDERS[provider.kind] = provider


def citable_sources(session: Session, mission_id: int) -> list[SourceRef]:
    refs: list[SourceRef] = []
    for kind in sorted(_PROVIDERS):
        refs.extend(_PROVIDERS[kind].citable(session, mission_id))
    return refs
