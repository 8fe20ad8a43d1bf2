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


@dataclass(frozen=True)
class SourceLink:
    """The page that shows a source: a Flask endpoint and the name of its id argument."""

    endpoint: str
    argument: str


_PROVIDERS: dict[str, SourceProvider] = {}
_LINKS: dict[str, SourceLink] = {}


def register_source_provider(provider: SourceProvider, link: SourceLink | None = None) -> None:
    _PROVIDERS[provider.kind] = provider
    if link is not None:
        _LINKS[provider.kind] = link


def source_link(kind: str) -> SourceLink | None:
    """Where a cited source of this kind can be read, if its domain has a page for it."""
    return _LINKS.get(kind)


def citable_sources(session: Session, mission_id: int) -> list[SourceRef]:
    refs: list[SourceRef] = []
    for kind in sorted(_PROVIDERS):
        refs.extend(_PROVIDERS[kind].citable(session, mission_id))
    return refs
