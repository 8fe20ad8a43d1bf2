"""The evidence index of a mission: every domain's evidence items, copied into one table that
evaluators filter and search, and that themes, coding, the report and the package read.

The domains are read only through their ``evidence.py``. A refresh updates rows in place, so
codes, memos and samples stay attached to the items they were made on; an item its domain no
longer gives (a hidden contribution, a withdrawn submission) leaves the index with its codes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.advisory import evidence as advisory_evidence
from engage.appraisals import evidence as appraisal_evidence
from engage.codesign import evidence as codesign_evidence
from engage.db import utcnow
from engage.errors import N_, Conflict, NotFound
from engage.evaluation.models import FTS_TABLE, CodeApplication, EvidenceRecord
from engage.evaluation.themes import normalise
from engage.evidence import EvidenceItem
from engage.jobs import Job, JobRunner, JobStatus, ProgressReporter, job_handler, start_job
from engage.juries import evidence as jury_evidence
from engage.missions import evidence as mission_evidence
from engage.missions.models import Mission
from engage.missions.services import get_mission as get_any_mission
from engage.pagination import Page, offset_of
from engage.security import evaluators_only

# Every domain and the reader of its evidence, in the order the index is built.
DOMAINS: tuple[tuple[str, Callable[[Session, int], Iterable[EvidenceItem]]], ...] = (
    ("missions", mission_evidence.evidence_items),
    ("codesign", codesign_evidence.evidence_items),
    ("juries", jury_evidence.evidence_items),
    ("advisory", advisory_evidence.evidence_items),
    ("appraisals", appraisal_evidence.evidence_items),
)
DOMAIN_NAMES = tuple(name for name, _ in DOMAINS)
DOMAIN_LABELS = {
    "missions": N_("Mission record"),
    "codesign": N_("Co-design"),
    "juries": N_("Citizens' juries"),
    "advisory": N_("Advisory groups"),
    "appraisals": N_("Citizen science and appraisals"),
}
INDEX_JOB = "evaluation.index"
PER_PAGE = 25
BATCH = 500
_WORD = re.compile(r"\w+")


def get_mission(session: Session, slug: str) -> Mission:
    """The mission being evaluated (drafts too: evaluation starts before publication)."""
    return get_any_mission(session, slug, include_drafts=True)


@dataclass(frozen=True)
class EvidenceFilter:
    """Which of a mission's evidence items to show, theme, sample or export."""

    domain: str | None = None
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    area: str | None = None
    segment: str | None = None
    query: str = ""  # words that must all appear (accents and case ignored)
    code_id: int | None = None  # items with this code applied by anyone
    with_text: bool = False  # only items with free text (what themes read)

    def as_params(self) -> dict[str, Any]:
        """JSON-able, for a job's parameters, a theme run's record and provenance."""
        values = asdict(self)
        for name in ("date_from", "date_to"):
            values[name] = values[name].isoformat() if values[name] else None
        return {name: value for name, value in values.items() if value not in (None, "", False)}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> EvidenceFilter:
        values = dict(params)
        for name in ("date_from", "date_to"):
            if values.get(name):
                values[name] = date.fromisoformat(values[name])
        return cls(**{name: value for name, value in values.items() if name in _FIELDS})


_FIELDS = set(EvidenceFilter.__dataclass_fields__)


def search_words(query: str) -> list[str]:
    """The words of a search, as the index holds them (lower case, no accents)."""
    return _WORD.findall(normalise(query))


def _matching(session: Session, query: str) -> sa.ColumnElement[bool] | None:
    words = search_words(query)
    if not words:
        return None
    if session.get_bind().dialect.name == "sqlite":
        # Each word quoted, so nothing typed is read as FTS5 syntax; all must appear.
        phrase = " ".join(f'"{word}"' for word in words)
        fts = sa.table(FTS_TABLE, sa.column("rowid"))
        hits = sa.select(fts.c.rowid).where(sa.literal_column(FTS_TABLE).op("MATCH")(phrase))
        return EvidenceRecord.id.in_(hits)
    # The same expression as the GIN index, so PostgreSQL can use it.
    config: sa.ColumnElement[Any] = sa.literal_column("'simple'::regconfig")
    return sa.func.to_tsvector(config, EvidenceRecord.search_text).op("@@")(
        sa.func.plainto_tsquery(config, " ".join(words))
    )


def filtered(session: Session, mission_id: int, filters: EvidenceFilter) -> sa.Select[Any]:
    """The mission's evidence records that pass ``filters``, oldest first."""
    query = sa.select(EvidenceRecord).where(EvidenceRecord.mission_id == mission_id)
    if filters.domain:
        query = query.where(EvidenceRecord.domain == filters.domain)
    if filters.date_from:
        query = query.where(EvidenceRecord.created_at >= _start_of(filters.date_from))
    if filters.date_to and filters.date_to < date.max:  # the last day has no next day
        query = query.where(EvidenceRecord.created_at < _start_of(filters.date_to + timedelta(1)))
    if filters.area:
        query = query.where(EvidenceRecord.area == filters.area)
    if filters.segment:
        query = query.where(EvidenceRecord.segment == filters.segment)
    if filters.with_text:
        query = query.where(EvidenceRecord.text != "")
    if filters.code_id is not None:
        coded = sa.select(CodeApplication.evidence_id).where(
            CodeApplication.code_id == filters.code_id
        )
        query = query.where(EvidenceRecord.id.in_(coded))
    match = _matching(session, filters.query)
    if match is not None:
        query = query.where(match)
    return query.order_by(EvidenceRecord.created_at, EvidenceRecord.id)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def list_evidence(
    session: Session, mission_id: int, filters: EvidenceFilter, page: int = 1
) -> Page[EvidenceRecord]:
    query = filtered(session, mission_id, filters)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.offset(offset_of(page, PER_PAGE)).limit(PER_PAGE)).all()
    return Page(list(items), max(page, 1), PER_PAGE, total)


def filtered_ids(session: Session, mission_id: int, filters: EvidenceFilter) -> list[int]:
    query = filtered(session, mission_id, filters).with_only_columns(EvidenceRecord.id)
    return list(session.scalars(query))


def get_evidence(session: Session, mission_id: int, evidence_id: int) -> EvidenceRecord:
    record = session.get(EvidenceRecord, evidence_id)
    if record is None or record.mission_id != mission_id:
        raise NotFound(N_("There is no such evidence item in this mission."))
    return record


def people_by_segment(
    session: Session, mission_id: int, filters: EvidenceFilter | None = None
) -> dict[str, int]:
    """People of each consented segment among the filtered items, never overcounted.

    Contributor keys are numbered per source, and evaluation cannot tell that two keys of two
    sources are one person; so a segment counts as many people as it has in the one source
    where it has most. That is a lower bound, so a published group said to hold 10 or more
    people surely does."""
    chosen = filtered(session, mission_id, filters or EvidenceFilter()).subquery()
    rows = session.execute(
        sa.select(
            chosen.c.segment, chosen.c.domain, sa.func.count(sa.distinct(chosen.c.contributor_key))
        )
        .where(
            chosen.c.segment.is_not(None),
            chosen.c.segment != "",
            chosen.c.contributor_key.is_not(None),
        )
        .group_by(chosen.c.segment, chosen.c.domain)
    )
    counts: dict[str, int] = {}
    for segment, _, count in rows:
        counts[segment] = max(counts.get(segment, 0), count)
    return counts


@dataclass(frozen=True)
class IndexSummary:
    total: int
    by_domain: dict[str, int]
    refreshed_at: datetime | None
    areas: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)


def index_summary(session: Session, mission_id: int) -> IndexSummary:
    mine = EvidenceRecord.mission_id == mission_id
    by_domain = dict(
        session.execute(
            sa.select(EvidenceRecord.domain, sa.func.count()).where(mine).group_by("domain")
        ).all()
    )
    refreshed_at = session.scalar(sa.select(sa.func.max(EvidenceRecord.indexed_at)).where(mine))
    areas = session.scalars(
        sa.select(EvidenceRecord.area).where(mine, EvidenceRecord.area != "").distinct()
    )
    segments = session.scalars(
        sa.select(EvidenceRecord.segment)
        .where(mine, EvidenceRecord.segment.is_not(None))
        .distinct()
    )
    return IndexSummary(
        total=sum(by_domain.values()),
        by_domain={name: by_domain.get(name, 0) for name in DOMAIN_NAMES},
        refreshed_at=refreshed_at,
        areas=sorted(areas),
        segments=sorted(s for s in segments if s),
    )


@dataclass(frozen=True)
class RefreshCounts:
    added: int
    updated: int
    removed: int
    total: int


def _record_values(domain: str, item: EvidenceItem, now: datetime) -> dict[str, Any]:
    latitude, longitude = item.location if item.location else (None, None)
    return {
        "domain": domain,
        "created_at": item.created_at,
        "title": item.title[:300],
        "text": item.text,
        "search_text": normalise(f"{item.title}\n{item.text}"),
        "contributor_key": item.contributor_key,
        "segment": item.segment,
        "area": item.attributes.get("area", "")[:200],
        "latitude": latitude,
        "longitude": longitude,
        "attributes": dict(item.attributes),
        "indexed_at": now,
    }


def refresh_index(
    session: Session, mission_id: int, report: ProgressReporter | None = None
) -> RefreshCounts:
    """Bring the mission's index up to date with what every domain gives now. Commits.

    Everything is read first and written after, so a background refresh holds SQLite's write
    lock only for the writing."""
    now = utcnow()
    existing = {
        (kind, source_id): record_id
        for kind, source_id, record_id in session.execute(
            sa.select(
                EvidenceRecord.source_kind, EvidenceRecord.source_id, EvidenceRecord.id
            ).where(EvidenceRecord.mission_id == mission_id)
        )
    }
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for number, (domain, items) in enumerate(DOMAINS):
        if report:
            report(int(80 * number / len(DOMAINS)), N_("Reading %(domain)s"), domain=domain)
        for item in items(session, mission_id):
            values = _record_values(domain, item, now)
            record_id = existing.pop((item.source_kind, item.source_id), None)
            if record_id is None:
                new.append(
                    {
                        "mission_id": mission_id,
                        "source_kind": item.source_kind,
                        "source_id": item.source_id,
                        **values,
                    }
                )
            else:
                changed.append({"id": record_id, **values})
    session.commit()  # end the read, then write
    if report:
        report(85, N_("Writing the index"))
    gone = list(existing.values())  # what no domain gives any more
    for start in range(0, len(gone), BATCH):
        batch = gone[start : start + BATCH]
        session.execute(sa.delete(EvidenceRecord).where(EvidenceRecord.id.in_(batch)))
    for start in range(0, len(changed), BATCH):
        session.execute(sa.update(EvidenceRecord), changed[start : start + BATCH])
    for start in range(0, len(new), BATCH):
        session.execute(sa.insert(EvidenceRecord), new[start : start + BATCH])
    session.commit()
    if report:
        report(100, N_("The index is up to date"))
    return RefreshCounts(len(new), len(changed), len(gone), len(new) + len(changed))


@evaluators_only
def start_refresh(session: Session, runner: JobRunner, mission: Mission, *, actor: Any) -> Job:
    """Refresh the index in the background (a large mission takes a while). One at a time per
    mission: two refreshes reading the same state would both insert its new items."""
    unfinished = session.scalars(
        sa.select(Job).where(
            Job.kind == INDEX_JOB, Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING])
        )
    )
    if any(job.params.get("mission_id") == mission.id for job in unfinished):
        raise Conflict(N_("The index of this mission is being updated already: wait for it."))
    params = {"mission_id": mission.id, "slug": mission.slug}
    return start_job(session, runner, INDEX_JOB, params, actor=actor)


@job_handler(INDEX_JOB)
def _run_refresh(
    session: Session, report: ProgressReporter, params: dict[str, Any]
) -> dict[str, Any]:
    counts = refresh_index(session, int(params["mission_id"]), report)
    return {"slug": params["slug"], **asdict(counts)}
