"""Theme runs: themes proposed for a filtered set of a mission's evidence, computed as a job, and
adopted into the coding frame as codes with proposed applications.

A run fixes its input when it starts: ``evidence_ids`` are the filtered items with free text, in
the index's order, and ``settings`` the :class:`ThemeSettings` used. The job reads the texts in
that order (an item that has left the index since reads as ""), calls
:func:`engage.evaluation.themes.propose_themes` and stores ``Themes.as_dict()`` in ``result``;
a theme's quotes and the assignments index into ``evidence_ids``. The same input and settings
give the same themes.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage import audit
from engage.accounts.services import display_names
from engage.db import utcnow
from engage.disclosure import suppress_and_round
from engage.errors import N_, Conflict, Invalid, NotFound
from engage.evaluation import frame, index
from engage.evaluation.models import Code, CodeApplication, CodeOrigin, EvidenceRecord, ThemeRun
from engage.evaluation.themes import (
    MIN_TEXTS,
    Prevalence,
    Progress,
    Theme,
    Themes,
    ThemeSettings,
    propose_themes,
)
from engage.jobs import Job, JobRunner, JobStatus, ProgressReporter, job_handler, start_job
from engage.missions.models import Mission
from engage.security import evaluators_only

THEME_JOB = "evaluation.themes"
BATCH = 1000  # ids per query when reading or writing many items
QUOTE_LENGTH = 300  # characters of a quote's text shown on the run page
NAME_KEYWORDS = 3  # keywords in the name of a code made from a theme


class RunState(enum.StrEnum):
    WAITING = "waiting"  # the job has not started
    RUNNING = "running"
    DONE = "done"  # themes proposed
    NO_THEMES = "no_themes"  # finished with a problem (too few texts ...)
    FAILED = "failed"  # the job failed, or was lost

    @property
    def finished(self) -> bool:
        return self not in (RunState.WAITING, RunState.RUNNING)


def settings_as_dict(settings: ThemeSettings) -> dict[str, Any]:
    return asdict(settings)


def settings_from_dict(data: dict[str, Any]) -> ThemeSettings:
    values = dict(data)
    values["languages"] = tuple(values.get("languages", ()))
    return ThemeSettings(**values)


def run_state(run: ThemeRun, job: Job | None) -> RunState:
    if run.result is not None:
        return RunState.NO_THEMES if run.result.get("problem") else RunState.DONE
    if job is None or job.status in (JobStatus.FAILED, JobStatus.SUCCEEDED):
        return RunState.FAILED  # no result: failed, or its job is gone
    return RunState.WAITING if job.status is JobStatus.QUEUED else RunState.RUNNING


# --- Starting a run and the job -----------------------------------------------------------------


def texts_matching(session: Session, mission_id: int, filters: index.EvidenceFilter) -> int:
    """How many of the mission's items with free text pass ``filters``."""
    query = index.filtered(session, mission_id, replace(filters, with_text=True))
    return session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


@evaluators_only
def start_theme_run(
    session: Session,
    runner: JobRunner,
    mission: Mission,
    filters: index.EvidenceFilter,
    settings: ThemeSettings,
    *,
    actor: Any,
) -> ThemeRun:
    """Start proposing themes for the mission's items with free text that pass ``filters``.

    Refused (Invalid) when fewer than ``MIN_TEXTS`` items qualify. Returns at once; the job
    fills in the run's result."""
    mission_id = mission.id
    filters = replace(filters, with_text=True)
    evidence_ids = index.filtered_ids(session, mission_id, filters)
    if len(evidence_ids) < MIN_TEXTS:
        raise Invalid(
            N_(
                "Themes need at least %(minimum)s items with free text; this filter matches "
                "%(count)s. Widen the filter, or update the index."
            ),
            minimum=MIN_TEXTS,
            count=len(evidence_ids),
        )
    run = ThemeRun(
        mission_id=mission_id,
        filters=filters.as_params(),
        settings=settings_as_dict(settings),
        evidence_ids=evidence_ids,
        result=None,
        created_by_id=actor.id,
    )
    session.add(run)
    session.flush()
    run_id = run.id
    audit.record(
        session,
        actor,
        "evaluation.themes_started",
        f"mission:{mission_id}",
        {
            "run_id": run_id,
            "texts": len(evidence_ids),
            "filters": filters.as_params(),
            "settings": settings_as_dict(settings),
        },
    )
    # start_job commits the run, its audit entry and the job together, then hands the job over.
    job = start_job(session, runner, THEME_JOB, {"run_id": run_id}, actor=actor)
    job_id = job.id
    run = session.get_one(ThemeRun, run_id)
    run.job_id = job_id
    session.commit()
    return run


def _progress_adapter(report: ProgressReporter) -> Progress:
    """propose_themes' progress as the job's: its 0-100 becomes 5-95 (reading before, storing
    after); its messages are already templates marked for translation."""

    def progress(percent: int, message: str = "", **params: str | int | float) -> None:
        report(5 + int(percent * 0.9), message, **params)

    return progress


def _read_texts(
    session: Session, mission_id: int, evidence_ids: Sequence[int]
) -> tuple[list[str], list[str | None], list[str | None]]:
    """Texts, sources (domains) and segments in ``evidence_ids`` order; an item that has left
    the index reads as "" with no source or segment."""
    found: dict[int, tuple[str, str | None, str | None]] = {}
    unique = sorted(set(evidence_ids))
    for start in range(0, len(unique), BATCH):
        rows = session.execute(
            sa.select(
                EvidenceRecord.id,
                EvidenceRecord.text,
                EvidenceRecord.domain,
                EvidenceRecord.segment,
            ).where(
                EvidenceRecord.mission_id == mission_id,
                EvidenceRecord.id.in_(unique[start : start + BATCH]),
            )
        )
        for record_id, text, domain, segment in rows:
            found[record_id] = (text, domain, segment)
    missing: tuple[str, str | None, str | None] = ("", None, None)
    rows_in_order = [found.get(record_id, missing) for record_id in evidence_ids]
    return (
        [text for text, _, _ in rows_in_order],
        [domain for _, domain, _ in rows_in_order],
        [segment for _, _, segment in rows_in_order],
    )


@job_handler(THEME_JOB)
def _run_themes(
    session: Session, report: ProgressReporter, params: dict[str, Any]
) -> dict[str, Any]:
    run_id = int(params["run_id"])
    run = session.get(ThemeRun, run_id)
    if run is None:
        raise LookupError(f"theme run {run_id} no longer exists")
    mission_id, evidence_ids = run.mission_id, list(run.evidence_ids)
    settings = settings_from_dict(run.settings)
    report(0, N_("Reading %(count)s texts"), count=len(evidence_ids))
    texts, sources, segments = _read_texts(session, mission_id, evidence_ids)
    slug = session.scalar(sa.select(Mission.slug).where(Mission.id == mission_id)) or ""
    session.commit()  # end the read: nothing is locked while the maths runs

    themes = propose_themes(
        texts,
        sources=sources,
        segments=segments,
        settings=settings,
        progress=_progress_adapter(report),
    )
    stored = themes.as_dict()
    report(96, N_("Storing the themes"))
    run = session.get(ThemeRun, run_id)
    if run is None:  # deleted with its mission while the maths ran
        raise LookupError(f"theme run {run_id} no longer exists")
    run.result = stored
    session.commit()
    return {"run_id": run_id, "slug": slug, "themes": len(themes.themes)}


# --- Reading runs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSummary:
    run: ThemeRun
    state: RunState
    created_by: str | None  # the display name, None once the account is gone
    texts: int
    themes: int | None  # number of themes, once done


def list_runs(session: Session, mission_id: int) -> list[RunSummary]:
    """The mission's theme runs, newest first."""
    rows = session.execute(
        sa.select(ThemeRun, Job)
        .outerjoin(Job, Job.id == ThemeRun.job_id)
        .where(ThemeRun.mission_id == mission_id)
        .order_by(ThemeRun.created_at.desc(), ThemeRun.id.desc())
    ).all()
    names = display_names(
        session, {run.created_by_id for run, _ in rows if run.created_by_id is not None}
    )
    summaries = []
    for run, job in rows:
        state = run_state(run, job)
        summaries.append(
            RunSummary(
                run=run,
                state=state,
                created_by=names.get(run.created_by_id) if run.created_by_id else None,
                texts=len(run.evidence_ids),
                themes=len(run.result.get("themes", ()))
                if state is RunState.DONE and run.result
                else None,
            )
        )
    return summaries


def get_run(session: Session, mission_id: int, run_id: int) -> ThemeRun:
    run = session.get(ThemeRun, run_id)
    if run is None or run.mission_id != mission_id:
        raise NotFound(N_("There is no such theme run in this mission."))
    return run


@dataclass(frozen=True)
class Quote:
    evidence_id: int
    title: str
    text: str  # truncated to QUOTE_LENGTH
    present: bool  # False: the item has left the index since the run


@dataclass(frozen=True)
class SegmentRow:
    """A theme's texts among the texts of one segment, fit to show: counts under the small
    count suppressed (None) and the rest rounded; the share is of the shown numbers."""

    label: str | None
    count: int | None
    total: int | None
    share: float | None


@dataclass(frozen=True)
class ThemeView:
    theme: Theme
    quotes: list[Quote]
    by_segment: list[SegmentRow]


@dataclass(frozen=True)
class RunPage:
    run: ThemeRun
    job: Job | None
    state: RunState
    created_by: str | None
    filters: index.EvidenceFilter
    code_name: str | None  # the name of the code in the filter, if it still exists
    settings: ThemeSettings
    result: Themes | None
    themes: list[ThemeView]
    codes: list[Code]  # the codes adopted from this run, if any


def segment_rows(prevalence: Sequence[Prevalence]) -> list[SegmentRow]:
    """Segment prevalence through the disclosure rule (segments are demographic)."""
    rows = []
    for row in prevalence:
        count, total = suppress_and_round(row.count), suppress_and_round(row.total)
        share = count / total if count is not None and total else None
        rows.append(SegmentRow(row.label, count, total, share))
    return rows


def theme_name(theme: Theme, limit: int = frame.NAME_MAX_LENGTH) -> str:
    """The name of the code a theme becomes, such as "Theme 3: pavements, crossings, speed":
    its first keywords, within ``limit`` characters. In English, as the frame stores names;
    themes count from 1 for people (``Theme.number`` counts from 0)."""
    head = f"Theme {theme.number + 1}"
    labels = [keyword.label for keyword in theme.keywords[:NAME_KEYWORDS]]
    name = f"{head}: {', '.join(labels)}" if labels else head
    if len(name) <= limit:
        return name
    cut = name[: limit - 1].rstrip(" ,:")
    return f"{cut}…"


def get_run_page(session: Session, mission_id: int, run_id: int) -> RunPage:
    """Everything the run's page shows."""
    run = get_run(session, mission_id, run_id)
    job = session.get(Job, run.job_id) if run.job_id is not None else None
    state = run_state(run, job)
    names = display_names(session, {run.created_by_id} if run.created_by_id else set())
    result = Themes.from_dict(run.result) if run.result is not None else None
    filters = index.EvidenceFilter.from_params(run.filters)
    code = session.get(Code, filters.code_id) if filters.code_id is not None else None
    themes: list[ThemeView] = []
    if result is not None and result.problem is None:
        quoted = {run.evidence_ids[i] for theme in result.themes for i in theme.quotes}
        records = {
            record.id: record
            for record in session.scalars(
                sa.select(EvidenceRecord).where(
                    EvidenceRecord.mission_id == mission_id, EvidenceRecord.id.in_(quoted)
                )
            )
        }
        for theme in result.themes:
            quotes = []
            for position in theme.quotes:
                evidence_id = run.evidence_ids[position]
                record = records.get(evidence_id)
                quotes.append(
                    Quote(
                        evidence_id,
                        record.title if record else "",
                        _truncate(record.text) if record else "",
                        record is not None,
                    )
                )
            themes.append(ThemeView(theme, quotes, segment_rows(theme.by_segment)))
    return RunPage(
        run=run,
        job=job,
        state=state,
        created_by=names.get(run.created_by_id) if run.created_by_id else None,
        filters=filters,
        code_name=code.name if code is not None and code.mission_id == mission_id else None,
        settings=settings_from_dict(run.settings),
        result=result,
        themes=themes,
        codes=adopted_codes(session, mission_id, run.id),
    )


def run_progress(session: Session, mission_id: int, run_id: int) -> tuple[RunState, Job | None]:
    """The run's state and its job, for following its progress."""
    run = get_run(session, mission_id, run_id)
    job = session.get(Job, run.job_id) if run.job_id is not None else None
    return run_state(run, job), job


def _truncate(text: str, length: int = QUOTE_LENGTH) -> str:
    text = " ".join(text.split())
    if len(text) <= length:
        return text
    return text[: length - 1].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"


# --- Adopting a run's themes --------------------------------------------------------------------


def _unique_name(wanted: str, taken: set[str], run_id: int) -> str:
    """``wanted``, or with " (run N)" (then " (run N, 2)" ...) added, so that no code of the
    frame has the name already (case ignored), within the name's length."""
    if wanted.lower() not in taken:
        return wanted
    limit = frame.NAME_MAX_LENGTH
    for n in range(1, 1000):
        suffix = f" (run {run_id})" if n == 1 else f" (run {run_id}, {n})"
        room = limit - len(suffix)
        base = wanted if len(wanted) <= room else wanted[: room - 1].rstrip(" ,:") + "…"
        if (base + suffix).lower() not in taken:
            return base + suffix
    raise Conflict(N_("Too many codes of this frame already have this theme's name."))


@evaluators_only
def adopt_themes(session: Session, mission_id: int, run_id: int, *, actor: Any) -> list[Code]:
    """Add the run's themes to the mission's coding frame: one code per theme, proposed (coder
    None) on every item the theme holds, and one new frame version. Refused (Conflict) for a run
    already adopted, still running, failed or without themes."""
    run = session.scalar(
        sa.select(ThemeRun)
        .where(ThemeRun.id == run_id, ThemeRun.mission_id == mission_id)
        .with_for_update()
    )
    if run is None:
        raise NotFound(N_("There is no such theme run in this mission."))
    if run.adopted_at is not None:
        raise Conflict(N_("The themes of this run are already in the coding frame."))
    if run.result is None:
        raise Conflict(N_("This run has no themes yet: wait until it has finished."))
    result = Themes.from_dict(run.result)
    if result.problem is not None or not result.themes:
        raise Conflict(N_("This run found no themes to add to the frame."))

    taken = {
        name.lower()
        for name in session.scalars(sa.select(Code.name).where(Code.mission_id == mission_id))
    }
    evidence_ids = list(run.evidence_ids)
    still_there: set[int] = set()
    unique = sorted(set(evidence_ids))
    for start in range(0, len(unique), BATCH):
        still_there.update(
            session.scalars(
                sa.select(EvidenceRecord.id).where(
                    EvidenceRecord.mission_id == mission_id,
                    EvidenceRecord.id.in_(unique[start : start + BATCH]),
                )
            )
        )
    members: dict[int, list[int]] = {}
    for position, number in enumerate(result.assignments):
        evidence_id = evidence_ids[position]
        if number is not None and evidence_id in still_there:
            members.setdefault(number, []).append(evidence_id)

    codes: list[Code] = []
    applications: list[dict[str, Any]] = []
    now = utcnow()
    for theme in result.themes:
        name = _unique_name(theme_name(theme), taken, run.id)
        taken.add(name.lower())
        code = frame.new_code(
            session,
            mission_id,
            name,
            origin=CodeOrigin.THEME,
            keywords=[keyword.label for keyword in theme.keywords],
            actor=actor,
            theme_run_id=run.id,
            theme_number=theme.number,
        )
        codes.append(code)
        applications.extend(
            {
                "code_id": code.id,
                "evidence_id": evidence_id,
                "coder_id": None,
                "excerpt": "",
                "created_at": now,
            }
            for evidence_id in members.get(theme.number, [])
        )
    for start in range(0, len(applications), BATCH):
        session.execute(sa.insert(CodeApplication), applications[start : start + BATCH])
    frame.record_version(
        session,
        mission_id,
        N_("Added %(count)s themes from theme run %(run)s"),
        actor=actor,
        count=len(codes),
        run=run.id,
    )
    run.adopted_at = now
    audit.record(
        session,
        actor,
        "evaluation.themes_adopted",
        f"mission:{mission_id}",
        {
            "run_id": run.id,
            "codes": [code.id for code in codes],
            "applications": len(applications),
        },
    )
    session.commit()
    return codes


def adopted_codes(session: Session, mission_id: int, run_id: int) -> list[Code]:
    return list(
        session.scalars(
            sa.select(Code)
            .where(Code.mission_id == mission_id, Code.theme_run_id == run_id)
            .order_by(Code.theme_number, Code.id)
        )
    )
