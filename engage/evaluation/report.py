"""The printable evaluation report of a mission: everything evaluation knows about it, in one
read-only :class:`Report` that the report page formats.

Six sections, each a small dataclass of plain values:

1. **Participation**: evidence items per month (UTC) and source, and participants (distinct
   contributor keys) per source. Keys are pseudonymous and per domain, so a person who took part
   in two sources counts once in each.
2. **Segments**: participants per demographic segment. Items carry a segment only where the
   person consented to its use in evaluation, so only those people are counted.
3. **Themes**: the frame's active codes with their definitions, how many items each was applied
   to, and up to :data:`QUOTES_PER_CODE` quotes (an application's excerpt first, else the item's
   text, shortened), and the latest theme run whose themes were adopted into the frame.
4. **Register**: the recommendation register's response record (counts by status, the list).
5. **Outcomes**: each mission outcome with its indicators and the harvested outcomes linked to
   it; harvested outcomes linked to none come after.
6. **Learning**: the learning log, counted by loop.

Disclosure: every count of *people* goes through :func:`engage.disclosure.suppress_and_round`
(1 to 9 hidden, the rest rounded to 5; totals from the raw counts), and every free text from
people passes :func:`engage.evaluation.disclosure.scrub`, so no e-mail address, phone number or
postcode reaches the printed page. Counts of evidence items are not counts of people and are
shown as they are.
"""

from __future__ import annotations

import textwrap
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from engage.db import utcnow
from engage.disclosure import suppress_and_round
from engage.errors import N_, Forbidden
from engage.evaluation.disclosure import scrub
from engage.evaluation.index import DOMAIN_NAMES, get_mission, people_by_segment
from engage.evaluation.models import (
    Code,
    CodeApplication,
    CodeStatus,
    EvidenceRecord,
    HarvestedOutcome,
    LearningEntry,
    LearningLoop,
    ThemeRun,
)
from engage.missions.models import Decision, Direction, Mission, Outcome
from engage.missions.services import get_register
from engage.security import Role, holds

QUOTES_PER_CODE = 3
QUOTE_CANDIDATES = 12  # applications read per code to find that many distinct items
QUOTE_LENGTH = 300  # characters of an item's text (or an excerpt) quoted at most
KEYWORDS_SHOWN = 8
TEXT_LENGTH = 2000  # characters of any other free text shown at most


def clean(text: str, width: int = TEXT_LENGTH) -> str:
    """Free text fit to print: contact details scrubbed first (so shortening can never leave
    half an address behind), then shortened at a word to ``width`` characters."""
    scrubbed, _ = scrub(text.replace("\x00", ""))
    scrubbed = scrubbed.strip()
    if len(scrubbed) <= width:
        return scrubbed
    return textwrap.shorten(scrubbed, width=width, placeholder=" …")


def people(count: int) -> int | None:
    """A count of people fit to publish (None: fewer than 10)."""
    return suppress_and_round(count)


# --- 1. Participation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthRow:
    month: date  # the first day of the month (UTC)
    by_source: dict[str, int]  # evidence items, every source of the report a key
    total: int


@dataclass(frozen=True)
class Participation:
    sources: tuple[str, ...]  # domains with evidence, in the index's order
    months: tuple[MonthRow, ...]  # from the first month with evidence to the last, gaps as 0
    items_by_source: dict[str, int]
    items_total: int
    people_by_source: dict[str, int | None]  # sources with individual contributors only
    people_total: int | None  # at least this many people (the largest source's count)
    people_hidden: int  # how many source cells were suppressed


def _month_of(session: Session) -> sa.ColumnElement[str]:
    """'YYYY-MM' of an item's (UTC) date, on either database."""
    if session.get_bind().dialect.name == "postgresql":
        utc = sa.func.timezone("UTC", EvidenceRecord.created_at)
        return sa.func.to_char(utc, "YYYY-MM")
    return sa.func.strftime("%Y-%m", EvidenceRecord.created_at)


def _ordered_sources(found: Iterable[str]) -> tuple[str, ...]:
    found = set(found)
    known = [name for name in DOMAIN_NAMES if name in found]
    return (*known, *sorted(found - set(DOMAIN_NAMES)))


def _month_range(first: date, last: date) -> list[date]:
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def participation(session: Session, mission_id: int) -> Participation:
    mine = EvidenceRecord.mission_id == mission_id
    month = _month_of(session).label("month")
    per_month: dict[date, dict[str, int]] = defaultdict(dict)
    items_by_source: dict[str, int] = defaultdict(int)
    for domain, key, count in session.execute(
        sa.select(EvidenceRecord.domain, month, sa.func.count())
        .where(mine)
        .group_by(EvidenceRecord.domain, month)
    ):
        first_day = date(int(key[:4]), int(key[5:7]), 1)
        per_month[first_day][domain] = count
        items_by_source[domain] += count
    sources = _ordered_sources(items_by_source)
    months = _month_range(min(per_month), max(per_month)) if per_month else []
    rows = tuple(
        MonthRow(
            month=first_day,
            by_source={source: per_month[first_day].get(source, 0) for source in sources},
            total=sum(per_month[first_day].values()) if first_day in per_month else 0,
        )
        for first_day in months
    )
    has_key = EvidenceRecord.contributor_key.is_not(None)
    raw_people = dict(
        session.execute(
            sa.select(
                EvidenceRecord.domain, sa.func.count(sa.distinct(EvidenceRecord.contributor_key))
            )
            .where(mine, has_key)
            .group_by(EvidenceRecord.domain)
        ).all()
    )
    # Only sources with individual contributors: the others hold aggregates, not nobody.
    people_by_source = {
        source: people(raw_people[source]) for source in sources if source in raw_people
    }
    return Participation(
        sources=sources,
        months=rows,
        items_by_source={source: items_by_source[source] for source in sources},
        items_total=sum(items_by_source.values()),
        people_by_source=people_by_source,
        # A person has one key per source, so the total is at least the largest source's.
        people_total=people(max(raw_people.values(), default=0)),
        people_hidden=sum(1 for value in people_by_source.values() if value is None),
    )


# --- 2. Segments --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segments:
    people: dict[str, int | None]  # by segment (sorted), suppressed and rounded
    total: int | None  # distinct consenting contributors, suppressed and rounded
    hidden: int  # how many segment cells were suppressed


def segments(session: Session, mission_id: int) -> Segments:
    raw = people_by_segment(session, mission_id)
    cells = {segment: people(count) for segment, count in sorted(raw.items())}
    return Segments(
        people=cells,
        # At least the largest segment's people: segments and sources cannot be added up.
        total=people(max(raw.values(), default=0)),
        hidden=sum(1 for value in cells.values() if value is None),
    )


# --- 3. Themes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    text: str  # scrubbed and shortened
    domain: str
    created_at: datetime
    excerpt: bool  # a coder's excerpt (else the item's text)


@dataclass(frozen=True)
class CodeSummary:
    code_id: int
    name: str
    definition: str
    keywords: tuple[str, ...]
    items: int  # evidence items it was applied to, by anyone
    quotes: tuple[Quote, ...]


@dataclass(frozen=True)
class AdoptedRun:
    run_id: int
    created_at: datetime
    adopted_at: datetime
    items: int  # evidence items themed
    themes: int  # themes proposed


def _items_per_code(session: Session, mission_id: int, code_ids: list[int]) -> dict[int, int]:
    if not code_ids:
        return {}
    return dict(
        session.execute(
            sa.select(
                CodeApplication.code_id, sa.func.count(sa.distinct(CodeApplication.evidence_id))
            )
            .join(EvidenceRecord, EvidenceRecord.id == CodeApplication.evidence_id)
            .where(CodeApplication.code_id.in_(code_ids), EvidenceRecord.mission_id == mission_id)
            .group_by(CodeApplication.code_id)
        ).all()
    )


def _quotes(session: Session, mission_id: int, code_ids: list[int]) -> dict[int, list[Quote]]:
    """Up to QUOTES_PER_CODE quotes per code, from distinct items: excerpts first, then what
    coders applied, then what a theme run proposed, oldest application first."""
    if not code_ids:
        return {}
    rank = (
        sa.func.row_number()
        .over(
            partition_by=CodeApplication.code_id,
            order_by=(
                sa.case((CodeApplication.excerpt == "", 1), else_=0),
                sa.case((CodeApplication.coder_id.is_(None), 1), else_=0),
                CodeApplication.id,
            ),
        )
        .label("rank")
    )
    candidates = (
        sa.select(
            CodeApplication.code_id,
            CodeApplication.evidence_id,
            CodeApplication.excerpt,
            rank,
        )
        .join(EvidenceRecord, EvidenceRecord.id == CodeApplication.evidence_id)
        .where(CodeApplication.code_id.in_(code_ids), EvidenceRecord.mission_id == mission_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(
            candidates.c.code_id,
            candidates.c.evidence_id,
            candidates.c.excerpt,
            EvidenceRecord.text,
            EvidenceRecord.domain,
            EvidenceRecord.created_at,
        )
        .join(EvidenceRecord, EvidenceRecord.id == candidates.c.evidence_id)
        .where(candidates.c.rank <= QUOTE_CANDIDATES)
        .order_by(candidates.c.code_id, candidates.c.rank)
    )
    quotes: dict[int, list[Quote]] = defaultdict(list)
    seen: dict[int, set[int]] = defaultdict(set)
    for code_id, evidence_id, excerpt, text, domain, created_at in rows:
        if len(quotes[code_id]) >= QUOTES_PER_CODE or evidence_id in seen[code_id]:
            continue
        quoted = clean(excerpt.strip() or text, QUOTE_LENGTH)
        if not quoted:
            continue
        seen[code_id].add(evidence_id)
        quotes[code_id].append(Quote(quoted, domain, created_at, bool(excerpt.strip())))
    return quotes


def themes(session: Session, mission_id: int) -> list[CodeSummary]:
    codes = list(
        session.scalars(
            sa.select(Code)
            .where(Code.mission_id == mission_id, Code.status == CodeStatus.ACTIVE)
            .order_by(sa.func.lower(Code.name), Code.id)
        )
    )
    ids = [code.id for code in codes]
    counts = _items_per_code(session, mission_id, ids)
    quotes = _quotes(session, mission_id, ids)
    return [
        CodeSummary(
            code_id=code.id,
            name=code.name,
            definition=clean(code.definition),
            keywords=tuple(str(word) for word in (code.keywords or [])[:KEYWORDS_SHOWN]),
            items=counts.get(code.id, 0),
            quotes=tuple(quotes.get(code.id, ())),
        )
        for code in codes
    ]


def adopted_run(session: Session, mission_id: int) -> AdoptedRun | None:
    """The latest theme run whose themes became codes of the frame, if any."""
    run = session.scalars(
        sa.select(ThemeRun)
        .where(ThemeRun.mission_id == mission_id, ThemeRun.adopted_at.is_not(None))
        .order_by(ThemeRun.adopted_at.desc(), ThemeRun.id.desc())
        .limit(1)
    ).first()
    if run is None or run.adopted_at is None:
        return None
    result: Mapping[str, Any] = run.result or {}
    found = result.get("themes")
    return AdoptedRun(
        run_id=run.id,
        created_at=run.created_at,
        adopted_at=run.adopted_at,
        items=len(run.evidence_ids or []),
        themes=len(found) if isinstance(found, list) else 0,
    )


# --- 4. The recommendation register -------------------------------------------------------------


@dataclass(frozen=True)
class RecommendationRow:
    title: str
    source_kind: str  # a RecommendationSourceKind value
    source_label: str
    received_on: date
    response_due: date
    status: str  # a key of the register's counts: a decision, "awaiting" or "overdue"
    decision: Decision | None
    responded_on: date | None
    overdue: bool  # no response and the due date has passed
    answered_late: bool


@dataclass(frozen=True)
class RegisterRecord:
    counts: dict[str, int]  # accepted, partly_accepted, not_accepted, awaiting, overdue
    rows: tuple[RecommendationRow, ...]  # newest first

    @property
    def total(self) -> int:
        return len(self.rows)


def register(session: Session, mission_id: int, today: date) -> RegisterRecord:
    found = get_register(session, mission_id, today)
    rows = []
    for item in found.recommendations:
        response = item.response
        overdue = item.is_overdue(today)
        status = response.decision.value if response else ("overdue" if overdue else "awaiting")
        rows.append(
            RecommendationRow(
                title=clean(item.title, 300),
                source_kind=item.source_kind.value,
                source_label=clean(item.source_label, 200),
                received_on=item.received_on,
                response_due=item.response_due,
                status=status,
                decision=response.decision if response else None,
                responded_on=response.responded_on if response else None,
                overdue=overdue,
                answered_late=item.answered_late,
            )
        )
    return RegisterRecord(counts=dict(found.counts), rows=tuple(rows))


# --- 5. Outcomes and indicators -----------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorRow:
    indicator_id: int
    name: str
    unit: str
    direction: Direction
    baseline: float
    target: float
    latest_value: float | None
    latest_value_on: date | None
    progress: float | None  # share of the way from baseline to target (1 = reached)

    @property
    def percent(self) -> int | None:
        return None if self.progress is None else round(self.progress * 100)

    @property
    def bar(self) -> float:
        """The progress drawn as a bar: 0 to 100 (behind the baseline is 0, beyond target 100)."""
        return 0.0 if self.progress is None else min(max(self.progress * 100, 0.0), 100.0)


@dataclass(frozen=True)
class HarvestRow:
    harvested_id: int
    what_changed: str
    for_whom: str
    happened_on: date | None
    place: str
    substantiated: bool


@dataclass(frozen=True)
class OutcomeSection:
    outcome_id: int
    title: str
    description: str
    indicators: tuple[IndicatorRow, ...]
    harvested: tuple[HarvestRow, ...]


def _indicators(outcome: Outcome) -> tuple[IndicatorRow, ...]:
    return tuple(
        IndicatorRow(
            indicator_id=indicator.id,
            name=indicator.name,
            unit=indicator.unit,
            direction=indicator.direction,
            baseline=indicator.baseline,
            target=indicator.target,
            latest_value=indicator.latest_value,
            latest_value_on=indicator.latest_value_on,
            progress=indicator.progress,
        )
        for indicator in outcome.indicators
    )


def _harvest_row(harvested: HarvestedOutcome) -> HarvestRow:
    return HarvestRow(
        harvested_id=harvested.id,
        what_changed=clean(harvested.what_changed),
        for_whom=clean(harvested.for_whom, 300),
        happened_on=harvested.happened_on,
        place=clean(harvested.place, 200),
        substantiated=bool(harvested.substantiated_by.strip()),
    )


def outcomes(session: Session, mission: Mission) -> tuple[list[OutcomeSection], list[HarvestRow]]:
    """Each mission outcome with its indicators and linked harvested outcomes; then the
    harvested outcomes linked to no outcome of this mission."""
    mission_outcomes = list(
        session.scalars(
            sa.select(Outcome)
            .where(Outcome.mission_id == mission.id)
            .options(selectinload(Outcome.indicators))
            .order_by(Outcome.id)
        )
    )
    harvested = session.scalars(
        sa.select(HarvestedOutcome)
        .where(HarvestedOutcome.mission_id == mission.id)
        .order_by(
            HarvestedOutcome.happened_on.is_(None),
            HarvestedOutcome.happened_on,
            HarvestedOutcome.id,
        )
    )
    ours = {outcome.id for outcome in mission_outcomes}
    linked: dict[int, list[HarvestRow]] = defaultdict(list)
    unlinked: list[HarvestRow] = []
    for record in harvested:
        if record.mission_outcome_id in ours:
            linked[record.mission_outcome_id].append(_harvest_row(record))
        else:
            unlinked.append(_harvest_row(record))
    sections = [
        OutcomeSection(
            outcome_id=outcome.id,
            title=outcome.title,
            description=clean(outcome.description),
            indicators=_indicators(outcome),
            harvested=tuple(linked.get(outcome.id, ())),
        )
        for outcome in mission_outcomes
    ]
    return sections, unlinked


# --- 6. The learning log ------------------------------------------------------------------------


@dataclass(frozen=True)
class LearningRow:
    entry_id: int
    loop: LearningLoop
    noted_on: date
    what_happened: str
    learned: str
    next_step: str


@dataclass(frozen=True)
class LearningLog:
    counts: dict[LearningLoop, int]  # every loop a key, single to triple
    entries: tuple[LearningRow, ...]  # newest first

    @property
    def total(self) -> int:
        return len(self.entries)


def learning(session: Session, mission_id: int) -> LearningLog:
    entries = session.scalars(
        sa.select(LearningEntry)
        .where(LearningEntry.mission_id == mission_id)
        .order_by(LearningEntry.noted_on.desc(), LearningEntry.id.desc())
    )
    rows = tuple(
        LearningRow(
            entry_id=entry.id,
            loop=entry.loop,
            noted_on=entry.noted_on,
            what_happened=clean(entry.what_happened),
            learned=clean(entry.learned),
            next_step=clean(entry.next_step),
        )
        for entry in entries
    )
    counts = {loop: sum(1 for row in rows if row.loop is loop) for loop in LearningLoop}
    return LearningLog(counts=counts, entries=rows)


# --- The report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    mission: Mission
    made_at: datetime
    index_updated_at: datetime | None  # when the evidence index was last updated (None: never)
    participation: Participation
    segments: Segments
    themes: list[CodeSummary]
    adopted_run: AdoptedRun | None
    register: RegisterRecord
    outcomes: list[OutcomeSection]
    unlinked_outcomes: list[HarvestRow]
    learning: LearningLog


def may_read_report(user: Any) -> bool:
    """Officers and evaluators (admins hold both)."""
    return holds(user, Role.OFFICER) or holds(user, Role.EVALUATOR)


def build_report(session: Session, slug: str, *, actor: Any, now: datetime | None = None) -> Report:
    """The mission's evaluation report as it stands ``now`` (default: this moment). Reads only.

    Raises NotFound for an unknown mission and Forbidden unless ``actor`` is an officer or an
    evaluator."""
    if not may_read_report(actor):
        raise Forbidden(N_("Only officers and evaluators can read the evaluation report."))
    mission = get_mission(session, slug)
    made_at = now or utcnow()
    index_updated_at = session.scalar(
        sa.select(sa.func.max(EvidenceRecord.indexed_at)).where(
            EvidenceRecord.mission_id == mission.id
        )
    )
    sections, unlinked = outcomes(session, mission)
    return Report(
        mission=mission,
        made_at=made_at,
        index_updated_at=index_updated_at,
        participation=participation(session, mission.id),
        segments=segments(session, mission.id),
        themes=themes(session, mission.id),
        adopted_run=adopted_run(session, mission.id),
        register=register(session, mission.id, made_at.date()),
        outcomes=sections,
        unlinked_outcomes=unlinked,
        learning=learning(session, mission.id),
    )
