"""Jury use cases from selection to the end: selection runs (computed as jobs), the committed and
revealed draw, the panel with its reserves and replacements, the panel export and the purge.

A selection run's ``result`` names people by **pool member id** (JSON object keys are the ids as
text): ``member_ids`` (the pool in the order the algorithm saw it), ``panels`` (lists of member
ids) with ``probabilities``, ``marginals`` / ``legacy_marginals`` / ``lottery_marginals``
({id: probability}), the ``fairness`` report, and the ``lottery``: the distribution rounded to a
uniform lottery over ``m`` panels (lists of member ids), its smallest probability and the loss
from rounding. ``fingerprint`` is the SHA-256 of the pool and quotas the run saw, so a draw is
never committed for a pool that changed since. Everything published (the bundle, the public
page, the audit log) names people by pseudonym only.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from importlib import metadata
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engage import audit
from engage.accounts.models import User
from engage.db import utcnow
from engage.errors import N_, Conflict, Invalid, NotFound
from engage.jobs import Job, JobRunner, ProgressReporter, job_handler, start_job
from engage.juries import lottery, selection
from engage.juries.models import (
    Draw,
    FeatureValue,
    Jury,
    JuryFeature,
    JuryStatus,
    MemberAnswer,
    PanelSeat,
    PoolMember,
    RunStatus,
    SeatStatus,
    SelectionRun,
)
from engage.juries.pooldata import spreadsheet_cell
from engage.juries.selection import Algorithm, Distribution, InfeasibleQuotas, Instance
from engage.juries.services import (
    CONTACT_COLUMNS,
    build_instance,
    contact_details,
    get_jury,
    lock_jury,
    require_manager,
)

RUN_JOB = "juries.select"
LOTTERY_PANELS = lottery.DEFAULT_PANELS  # m: panels in the published lottery
LEGACY_RUNS = 1000  # greedy runs that estimate LEGACY's probabilities for the comparison
RESERVES_PER_SEAT = 2  # ranked reserves: twice the panel size (or the whole rest of the pool)
SMALL_COUNT = 10  # aggregate counts below this are suppressed after a purge
PROGRESS_EVERY = 0.5  # seconds between progress writes while a run computes

# Statuses of a drawn panel seat, and of a reserve (who joins the panel only by replacement).
PANEL_STATUSES = (
    SeatStatus.INVITED,
    SeatStatus.CONFIRMED,
    SeatStatus.DECLINED,
    SeatStatus.WITHDRAWN,
)
RESERVE_STATUSES = (SeatStatus.RESERVE, SeatStatus.DECLINED, SeatStatus.WITHDRAWN)
STILL_IN = (SeatStatus.INVITED, SeatStatus.CONFIRMED)
DROPPED_OUT = (SeatStatus.DECLINED, SeatStatus.WITHDRAWN)


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


@dataclass(frozen=True)
class _ById:
    """The person a job acts for, by id (the audit log only needs the id)."""

    id: int


def engine_version() -> str:
    try:
        return f"engage {metadata.version('engage')}"
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return "engage (development)"


# --- Selection runs -----------------------------------------------------------------------------


def _jury_for_update(session: Session, jury_id: int, actor: User | None) -> Jury:
    """The jury, its row locked until the commit (see services.lock_jury), if ``actor`` manages
    it and its personal data is still there."""
    lock_jury(session, jury_id)
    jury = require_manager(session, jury_id, actor)
    if jury.status is JuryStatus.PURGED:
        raise Conflict(N_("This jury's personal data has been purged."))
    return jury


def start_run(
    session: Session,
    runner: JobRunner,
    jury_id: int,
    *,
    algorithm: Algorithm,
    actor: User,
    m: int = LOTTERY_PANELS,
    legacy_runs: int = LEGACY_RUNS,
) -> SelectionRun:
    """Start computing a selection on the jury's current pool and quotas, as a job.

    The household rule is the jury's. Returns at once; the job fills in the run."""
    jury = _jury_for_update(session, jury_id, actor)
    if jury.status in (JuryStatus.FROZEN, JuryStatus.DRAWN):
        raise Conflict(
            N_("A draw is already committed for this jury: the selection can no longer change.")
        )
    pool = session.scalar(
        sa.select(sa.func.count()).select_from(PoolMember).where(PoolMember.jury_id == jury_id)
    )
    if not pool:
        raise Invalid(N_("The pool is empty: there is nobody to select from yet."))
    if pool < jury.panel_size:
        raise Invalid(
            N_("The pool has %(pool)s people, fewer than the panel size of %(size)s."),
            pool=pool,
            size=jury.panel_size,
        )
    run = SelectionRun(
        jury_id=jury.id,
        algorithm=algorithm.value,
        household_rule=jury.household_rule,
        status=RunStatus.RUNNING,
        created_by_id=actor.id,
    )
    session.add(run)
    session.flush()
    run_id = run.id
    audit.record(
        session,
        actor,
        "jury.selection_started",
        f"jury:{jury.id}",
        {"run_id": run_id, "algorithm": algorithm.value, "household_rule": jury.household_rule},
    )
    # start_job commits the run, its audit entry and the job together, then hands the job over.
    job = start_job(
        session,
        runner,
        RUN_JOB,
        {"run_id": run_id, "m": m, "legacy_runs": legacy_runs},
        actor=actor,
    )
    run = session.get_one(SelectionRun, run_id)
    run.job_id = job.id
    session.commit()
    return run


def instance_fingerprint(instance: Instance, *, households: bool) -> str:
    """SHA-256 of everything a selection depends on: people, answers, quotas, panel size."""
    document = {
        "ids": list(instance.ids),
        "features": list(instance.features),
        "values": [list(row) for row in instance.values],
        "quotas": [asdict(quota) for quota in instance.quotas],
        "panel_size": instance.panel_size,
        "households": list(instance.households) if instance.households is not None else None,
        "household_rule": households,
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def summarise_run(
    instance: Instance,
    member_ids: Sequence[int],
    distribution: Distribution,
    *,
    households: bool,
    legacy: Sequence[float] | None,
    m: int = LOTTERY_PANELS,
) -> dict[str, Any]:
    """The stored result of a finished run (pure: no database), see the module's docstring."""
    n = len(instance.ids)
    report = selection.fairness(distribution, instance, legacy=legacy)
    lottery_panels = lottery.round_to_uniform(
        distribution.panels, distribution.probabilities, n, m=m
    )
    lottery_marginals = lottery.lottery_marginals(lottery_panels, n)

    def by_id(values: Sequence[float]) -> dict[str, float]:
        return {str(member_ids[i]): float(p) for i, p in enumerate(values)}

    def as_ids(panel: Sequence[int]) -> list[int]:
        return [member_ids[i] for i in panel]

    return {
        "algorithm": distribution.algorithm.value,
        "household_rule": households,
        "fingerprint": instance_fingerprint(instance, households=households),
        "pool_size": n,
        "panel_size": instance.panel_size,
        "seconds": distribution.seconds,
        "member_ids": list(member_ids),
        # The full distribution can hold tens of thousands of panels on a large pool; the draw
        # needs only the rounded lottery below, so only its size is kept.
        "panel_count": len(distribution.panels),
        "marginals": by_id(distribution.marginals),
        "legacy_marginals": by_id(legacy) if legacy is not None else None,
        "min_probability": distribution.min_probability,
        "fairness": asdict(report),
        "lottery": {
            "m": m,
            "panels": [as_ids(panel) for panel in lottery_panels],
            "min_probability": min(lottery_marginals),
            "loss": lottery.rounding_loss(distribution.marginals, lottery_panels, n),
        },
        "lottery_marginals": by_id(lottery_marginals),
    }


def _infeasibility_result(problem: selection.Infeasibility) -> dict[str, Any]:
    return {
        "infeasibility": {
            "reasons": [
                {"template": reason.template, "params": dict(reason.params)}
                for reason in problem.reasons
            ],
            "relaxation": (
                [asdict(change) for change in problem.relaxation]
                if problem.relaxation is not None
                else None
            ),
        }
    }


def _progress_reporter(report: ProgressReporter) -> Callable[[int, float], None]:
    """Turns the algorithm's (iteration, current minimum) into job progress, at most every
    PROGRESS_EVERY seconds. The bar creeps towards 90%: nobody knows the number of iterations."""
    last = [0.0]

    def progress(iteration: int, minimum: float) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY:
            return
        last[0] = now
        percent = 5 + int(85 * (1 - 1 / (1 + iteration / 20)))
        report(
            percent,
            N_("Iteration %(iteration)s: smallest selection probability %(minimum)s"),
            iteration=iteration,
            minimum=f"{minimum:.4%}",
        )

    return progress


@job_handler(RUN_JOB)
def _run_selection(
    session: Session, report: ProgressReporter, params: dict[str, Any]
) -> dict[str, Any]:
    run_id = int(params["run_id"])
    m = int(params.get("m", LOTTERY_PANELS))
    legacy_runs = int(params.get("legacy_runs", LEGACY_RUNS))
    run = session.get(SelectionRun, run_id)
    if run is None:
        raise LookupError(f"selection run {run_id} no longer exists")
    jury_id, algorithm, households = run.jury_id, Algorithm(run.algorithm), run.household_rule
    actor = _ById(run.created_by_id) if run.created_by_id is not None else None
    instance, members = build_instance(session, jury_id)
    member_ids = [member.id for member in members]
    session.commit()  # end the read: nothing is locked while the solver works

    try:
        report(2, N_("Checking the quotas"))
        distribution = selection.select(
            instance,
            algorithm,
            households=households,
            seed=f"run-{run_id}",
            progress=_progress_reporter(report),
        )
        if algorithm is Algorithm.LEGACY:
            legacy: list[float] = list(distribution.marginals)
        else:
            report(90, N_("Estimating the greedy method's probabilities for comparison"))
            legacy = selection.legacy_marginals(
                instance, households=households, runs=legacy_runs, seed=f"run-{run_id}-legacy"
            )
        report(95, N_("Rounding to a lottery over %(m)s panels"), m=m)
        result = summarise_run(
            instance, member_ids, distribution, households=households, legacy=legacy, m=m
        )
        status = RunStatus.DONE
    except InfeasibleQuotas as infeasible:
        result = _infeasibility_result(infeasible.infeasibility)
        status = RunStatus.INFEASIBLE
    except Exception as error:
        session.rollback()
        _finish(session, run_id, RunStatus.FAILED, {"error": str(error)[:500]}, actor)
        raise
    _finish(session, run_id, status, result, actor)
    return {"run_id": run_id, "status": status.value}


def _finish(
    session: Session,
    run_id: int,
    status: RunStatus,
    result: dict[str, Any],
    actor: _HasId | None,
) -> None:
    run = session.get_one(SelectionRun, run_id)
    run.status, run.result, run.finished_at = status, result, utcnow()
    details: dict[str, Any] = {"run_id": run_id, "status": status.value}
    if status is RunStatus.DONE:
        details["min_probability"] = result["min_probability"]
        details["lottery_min_probability"] = result["lottery"]["min_probability"]
    audit.record(session, actor, "jury.selection_finished", f"jury:{run.jury_id}", details)
    session.commit()


def list_runs(session: Session, jury_id: int, viewer: User) -> list[SelectionRun]:
    require_manager(session, jury_id, viewer)
    return list(
        session.scalars(
            sa.select(SelectionRun)
            .where(SelectionRun.jury_id == jury_id)
            .order_by(SelectionRun.id.desc())
        )
    )


def get_run(session: Session, run_id: int, viewer: User) -> SelectionRun:
    run = session.get(SelectionRun, run_id)
    if run is None:
        raise NotFound(N_("There is no such selection run."))
    require_manager(session, run.jury_id, viewer)
    return run


def get_run_job(session: Session, run: SelectionRun) -> Job | None:
    return session.get(Job, run.job_id) if run.job_id is not None else None


def run_state(run: SelectionRun, job: Job | None) -> RunStatus:
    """The run's status, FAILED too when its job died without saying so on the run."""
    if run.status is RunStatus.RUNNING and job is not None and job.error is not None:
        return RunStatus.FAILED
    return run.status


@dataclass(frozen=True)
class RunReport:
    """A finished run's fairness report, as the page shows it."""

    algorithm: str
    pool_size: int
    panel_size: int
    seconds: float
    minimum: float
    median: float
    gini: float
    at_minimum: int
    uniform: float
    legacy_minimum: float | None
    deciles: list[float]
    m: int
    lottery_minimum: float
    rounding_loss: float


def run_report(run: SelectionRun) -> RunReport | None:
    result = run.result or {}
    if run.status is not RunStatus.DONE or "fairness" not in result:
        return None
    fair, drawn = result["fairness"], result["lottery"]
    return RunReport(
        algorithm=result["algorithm"],
        pool_size=result["pool_size"],
        panel_size=result["panel_size"],
        seconds=result["seconds"],
        minimum=fair["minimum"],
        median=fair["median"],
        gini=fair["gini"],
        at_minimum=fair["at_minimum"],
        uniform=fair["uniform"],
        legacy_minimum=fair["legacy_minimum"],
        deciles=list(fair["deciles"]),
        m=drawn["m"],
        lottery_minimum=drawn["min_probability"],
        rounding_loss=drawn["loss"],
    )


@dataclass(frozen=True)
class PersonChance:
    pseudonym: str
    probability: float
    lottery_probability: float | None
    legacy_probability: float | None


def run_probabilities(
    session: Session, run: SelectionRun, *, page: int, per_page: int = 50
) -> tuple[list[PersonChance], int]:
    """One page of each volunteer's selection probability, smallest first, and the total."""
    result = run.result or {}
    marginals: dict[str, float] = result.get("marginals") or {}
    if not marginals:
        return [], 0
    lottery_marginals: dict[str, float] = result.get("lottery_marginals") or {}
    legacy: dict[str, float] = result.get("legacy_marginals") or {}
    pseudonyms = {
        member_id: pseudonym
        for member_id, pseudonym in session.execute(
            sa.select(PoolMember.id, PoolMember.pseudonym).where(PoolMember.jury_id == run.jury_id)
        )
    }
    rows = sorted(
        (
            PersonChance(
                pseudonym=pseudonyms.get(int(member_id), "?"),
                probability=probability,
                lottery_probability=lottery_marginals.get(member_id),
                legacy_probability=legacy.get(member_id),
            )
            for member_id, probability in marginals.items()
        ),
        key=lambda row: (row.probability, row.pseudonym),
    )
    start = (page - 1) * per_page
    return rows[start : start + per_page], len(rows)


def infeasibility(run: SelectionRun) -> dict[str, Any] | None:
    """{"reasons": [{"template", "params"}], "relaxation": [{feature, value, old_min, ...}]}"""
    result = run.result or {}
    found: dict[str, Any] | None = result.get("infeasibility")
    return found


# --- Commit and reveal --------------------------------------------------------------------------


def _bundle_people(instance: Instance, *, households: bool) -> list[lottery.BundlePerson]:
    """The pool as published: pseudonyms, answers, and households renamed h1, h2, ... in the
    order of the pseudonyms, so nobody's address can be guessed from them. Without the
    household rule the selection ignored households, so none are published: everyone is a
    household of their own (who lives with whom is nobody's business then)."""
    order = sorted(range(len(instance.ids)), key=lambda i: instance.ids[i])
    homes = instance.households if households else None
    names: dict[str, str] = {}
    people = []
    for i in order:
        key = homes[i] if homes is not None else instance.ids[i]
        household = names.setdefault(key, f"h{len(names) + 1}")
        features = {feature: instance.values[i][f] for f, feature in enumerate(instance.features)}
        people.append(lottery.BundlePerson(instance.ids[i], features, household))
    return people


def commit_draw(session: Session, run_id: int, *, randomness_source: str, actor: User) -> Draw:
    """Freeze the jury and publish the commitment to a lottery over the run's panels."""
    run = get_run(session, run_id, actor)
    jury = _jury_for_update(session, run.jury_id, actor)
    source = randomness_source.strip()
    if not source:
        raise Invalid(
            N_("Say where the public random value will come from."), field="randomness_source"
        )
    if run.status is not RunStatus.DONE or not run.result or "lottery" not in run.result:
        raise Conflict(N_("Only a finished selection run can be committed."))
    existing = session.scalar(sa.select(Draw.id).where(Draw.jury_id == jury.id))
    if existing is not None or jury.status in (JuryStatus.FROZEN, JuryStatus.DRAWN):
        raise Conflict(N_("A draw is already committed for this jury."))
    instance, members = build_instance(session, jury.id)
    result = run.result
    if instance_fingerprint(instance, households=run.household_rule) != result["fingerprint"]:
        raise Conflict(
            N_(
                "The pool or the quotas changed after this selection was run. "
                "Run the selection again and commit the new run."
            )
        )
    pseudonym = {member.id: member.pseudonym for member in members}
    drawn = result["lottery"]
    try:
        bundle = lottery.make_bundle(
            jury_title=jury.title,
            panel_size=jury.panel_size,
            people=_bundle_people(instance, households=run.household_rule),
            quotas=instance.quotas,
            algorithm=run.algorithm,
            engine_version=engine_version(),
            household_rule=run.household_rule,
            panels=[[pseudonym[member_id] for member_id in panel] for panel in drawn["panels"]],
            randomness_source=source,
            min_probability=drawn["min_probability"],
        )
    except (ValueError, KeyError) as error:  # a run that does not fit its pool: never publish it
        raise Conflict(
            N_("This run's lottery cannot be published: %(reason)s"), reason=str(error)
        ) from None
    digest = lottery.commitment(bundle)
    draw = Draw(
        jury_id=jury.id,
        run_id=run.id,
        bundle=bundle,
        commitment=digest,
        randomness_source=source,
        committed_by_id=actor.id,
    )
    session.add(draw)
    jury.status = JuryStatus.FROZEN
    try:
        session.flush()
    except IntegrityError:  # another officer committed at the same moment
        session.rollback()
        raise Conflict(N_("A draw is already committed for this jury.")) from None
    audit.record(
        session,
        actor,
        "jury.draw_committed",
        f"jury:{jury.id}",
        {
            "draw_id": draw.id,
            "run_id": run.id,
            "commitment": digest,
            "randomness_source": source,
            "m": drawn["m"],
            "algorithm": run.algorithm,
        },
    )
    session.commit()
    return draw


def get_draw(session: Session, draw_id: int) -> Draw:
    draw = session.get(Draw, draw_id)
    if draw is None:
        raise NotFound(N_("There is no such draw."))
    return draw


def get_draw_for_jury(session: Session, jury_id: int) -> Draw | None:
    return session.scalar(sa.select(Draw).where(Draw.jury_id == jury_id))


def get_managed_draw(session: Session, draw_id: int, viewer: User) -> Draw:
    draw = get_draw(session, draw_id)
    require_manager(session, draw.jury_id, viewer)
    return draw


def reveal_draw(session: Session, draw_id: int, *, random_value: str, actor: User) -> Draw:
    """Enter the public random value (once): derive the panel and the ranked reserves."""
    draw = get_managed_draw(session, draw_id, actor)
    jury = _jury_for_update(session, draw.jury_id, actor)
    if draw.random_value is not None:
        raise Conflict(N_("The random value of this draw was already entered."))
    try:
        value = lottery.normalise_random_value(random_value)
    except ValueError:
        raise Invalid(N_("Enter the random value as announced."), field="random_value") from None
    try:
        verified = lottery.verify(draw.bundle, value)
    except ValueError:
        verified = None
    if verified is None or verified.commitment != draw.commitment:  # never draw from it
        raise Conflict(N_("The stored bundle no longer matches its commitment."))
    members = {
        member.pseudonym: member
        for member in session.scalars(sa.select(PoolMember).where(PoolMember.jury_id == jury.id))
    }
    missing = [p for p in verified.panel if p not in members]
    if missing:
        raise Conflict(N_("Someone on the drawn panel is no longer in the pool."))
    # Claim the draw first: of two officers revealing at once, exactly one gets here.
    claimed = session.execute(
        sa.update(Draw)
        .where(Draw.id == draw.id, Draw.random_value.is_(None))
        .values(
            random_value=verified.random_value,
            chosen_index=verified.index,
            revealed_at=utcnow(),
            revealed_by_id=actor.id,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        session.rollback()
        raise Conflict(N_("The random value of this draw was already entered."))
    chosen = set(verified.panel)
    for pseudonym in sorted(chosen):
        session.add(
            PanelSeat(draw_id=draw.id, member_id=members[pseudonym].id, status=SeatStatus.INVITED)
        )
    rest = sorted(p for p in members if p not in chosen)
    ranked = lottery.reserve_order(draw.commitment, verified.random_value, rest)
    reserves = ranked[: RESERVES_PER_SEAT * jury.panel_size]
    for rank, pseudonym in enumerate(reserves, start=1):
        session.add(
            PanelSeat(
                draw_id=draw.id,
                member_id=members[pseudonym].id,
                status=SeatStatus.RESERVE,
                reserve_rank=rank,
            )
        )
    jury.status = JuryStatus.DRAWN
    audit.record(
        session,
        actor,
        "jury.draw_revealed",
        f"jury:{jury.id}",
        {
            "draw_id": draw.id,
            "commitment": draw.commitment,
            "random_value": verified.random_value,
            "index": verified.index,
            "panel": sorted(chosen),
            "reserves": reserves,
        },
    )
    session.commit()
    session.refresh(draw)
    return draw


@dataclass(frozen=True)
class PublicDraw:
    """What anyone may see of a draw."""

    id: int
    jury_id: int
    jury_title: str
    commitment: str
    randomness_source: str
    committed_at: datetime
    algorithm: str
    m: int
    pool_size: int
    panel_size: int
    min_probability: float
    random_value: str | None
    chosen_index: int | None
    revealed_at: datetime | None
    panel: list[str]  # pseudonyms, once revealed
    procedure: str  # how to verify, in the bundle's own words (English): the authoritative rule


def public_draw(session: Session, draw_id: int) -> PublicDraw:
    draw = get_draw(session, draw_id)
    jury = get_jury(session, draw.jury_id)
    document = json.loads(draw.bundle)
    panel: list[str] = []
    if draw.random_value is not None and draw.chosen_index is not None:
        panel = list(document["panels"][draw.chosen_index])
    return PublicDraw(
        id=draw.id,
        jury_id=jury.id,
        jury_title=jury.title,
        commitment=draw.commitment,
        randomness_source=draw.randomness_source,
        committed_at=draw.committed_at,
        algorithm=document.get("algorithm", ""),
        m=len(document["panels"]),
        pool_size=len(document.get("people", [])),
        panel_size=int(document.get("panel_size", len(panel))),
        min_probability=float(document.get("min_probability", 0.0)),
        random_value=draw.random_value,
        chosen_index=draw.chosen_index,
        revealed_at=draw.revealed_at,
        panel=panel,
        procedure=str(document.get("procedure") or lottery.PROCEDURE),
    )


# --- The panel after the draw -------------------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    """A seat with the person in it, as jury officers see it (contact details included)."""

    id: int
    status: SeatStatus
    reserve_rank: int | None
    member: PoolMember
    replaces: str | None  # pseudonym of the person this seat replaced
    replaced: bool  # someone has taken this seat over


@dataclass(frozen=True)
class Panel:
    jury: Jury
    draw: Draw
    seats: list[Seat]  # the drawn panel and replacements, in order of seat
    reserves: list[Seat]  # by rank
    vacancies: int  # seats to fill: panel size minus the people still in

    @property
    def purged(self) -> bool:
        return self.jury.status is JuryStatus.PURGED


def _seats(session: Session, draw_id: int) -> list[PanelSeat]:
    return list(
        session.scalars(
            sa.select(PanelSeat).where(PanelSeat.draw_id == draw_id).order_by(PanelSeat.id)
        )
    )


def get_panel(session: Session, draw_id: int, viewer: User) -> Panel:
    draw = get_managed_draw(session, draw_id, viewer)
    jury = get_jury(session, draw.jury_id)
    rows = _seats(session, draw.id)
    members = {
        member.id: member
        for member in session.scalars(
            sa.select(PoolMember).where(PoolMember.id.in_([row.member_id for row in rows]))
        )
    }
    by_id = {row.id: row for row in rows}
    replaced = {row.replaces_id for row in rows if row.replaces_id is not None}

    def seat(row: PanelSeat) -> Seat:
        before = by_id.get(row.replaces_id) if row.replaces_id is not None else None
        return Seat(
            id=row.id,
            status=row.status,
            reserve_rank=row.reserve_rank,
            member=members[row.member_id],
            replaces=members[before.member_id].pseudonym if before is not None else None,
            replaced=row.id in replaced,
        )

    seats = [seat(row) for row in rows if row.reserve_rank is None]
    reserves = sorted(
        (seat(row) for row in rows if row.reserve_rank is not None),
        key=lambda s: s.reserve_rank or 0,
    )
    still_in = sum(1 for s in seats if s.status in STILL_IN)
    vacancies = max(jury.panel_size - still_in, 0) if draw.random_value is not None else 0
    return Panel(jury=jury, draw=draw, seats=seats, reserves=reserves, vacancies=vacancies)


def _drawn_jury(session: Session, draw: Draw, actor: User) -> Jury:
    jury = _jury_for_update(session, draw.jury_id, actor)
    if jury.status is not JuryStatus.DRAWN or draw.random_value is None:
        raise Conflict(N_("The panel is not drawn yet."))
    return jury


def set_seat_status(
    session: Session, draw_id: int, seat_id: int, status: SeatStatus, *, actor: User
) -> PanelSeat:
    """Record an answer to the invitation (or a reserve who is no longer available)."""
    draw = get_managed_draw(session, draw_id, actor)
    _drawn_jury(session, draw, actor)
    seat = session.get(PanelSeat, seat_id)
    if seat is None or seat.draw_id != draw.id:
        raise NotFound(N_("There is no such seat on this panel."))
    allowed = PANEL_STATUSES if seat.reserve_rank is None else RESERVE_STATUSES
    if status not in allowed:
        raise Invalid(
            N_("Reserves join the panel only through a proposed replacement."), field="status"
        )
    if status in STILL_IN:
        taken_over = session.scalar(sa.select(PanelSeat.id).where(PanelSeat.replaces_id == seat.id))
        if taken_over is not None:
            raise Conflict(N_("Someone else has already taken this seat over."))
    before = seat.status
    if before is status:
        return seat
    seat.status = status
    pseudonym = session.get_one(PoolMember, seat.member_id).pseudonym
    audit.record(
        session,
        actor,
        "jury.seat_status_changed",
        f"jury:{draw.jury_id}",
        {
            "draw_id": draw.id,
            "seat_id": seat.id,
            "pseudonym": pseudonym,
            "from": before.value,
            "to": status.value,
        },
    )
    session.commit()
    return seat


@dataclass(frozen=True)
class Replacement:
    """A proposed way to fill the vacant seats: who joins, for whom, from which seed."""

    vacated: list[Seat]  # seats of people who dropped out and were not yet replaced
    newcomers: list[PoolMember]  # in the order they take the vacated seats
    seed: str
    problem: list[dict[str, Any]] | None = None  # reasons when no panel keeps every quota

    @property
    def member_ids(self) -> list[int]:
        return [member.id for member in self.newcomers]


def _replacement_round(session: Session, draw_id: int) -> int:
    replacements = session.scalar(
        sa.select(sa.func.count())
        .select_from(PanelSeat)
        .where(PanelSeat.draw_id == draw_id, PanelSeat.replaces_id.is_not(None))
    )
    return (replacements or 0) + 1


def propose_replacement(session: Session, draw_id: int, viewer: User) -> Replacement:
    """The fair completion of the panel: LEXIMIN over the quota-satisfying panels that keep
    everyone still in and nobody who dropped out, one of them drawn from a seed derived from the
    draw's commitment and random value (so anyone with the bundle can re-derive it)."""
    panel = get_panel(session, draw_id, viewer)
    draw, jury = panel.draw, panel.jury
    if jury.status is not JuryStatus.DRAWN or draw.random_value is None:
        raise Conflict(N_("The panel is not drawn yet."))
    vacated = [s for s in panel.seats if s.status in DROPPED_OUT and not s.replaced]
    seed = (
        f"{draw.commitment}:{draw.random_value}:replacement-{_replacement_round(session, draw.id)}"
    )
    if panel.vacancies == 0:
        return Replacement(vacated=vacated, newcomers=[], seed=seed)
    instance, members = build_instance(session, jury.id)
    index = {member.id: i for i, member in enumerate(members)}
    rows = _seats(session, draw.id)
    fixed = [index[r.member_id] for r in rows if r.reserve_rank is None and r.status in STILL_IN]
    excluded = [index[r.member_id] for r in rows if r.status in DROPPED_OUT]
    try:
        chosen = selection.complete_panel(
            instance,
            households=jury.household_rule,
            fixed=fixed,
            excluded=excluded,
            seed=seed,
        )
    except InfeasibleQuotas as infeasible:
        reasons = _infeasibility_result(infeasible.infeasibility)["infeasibility"]["reasons"]
        return Replacement(vacated=vacated, newcomers=[], seed=seed, problem=reasons)
    kept = set(fixed)
    newcomers = sorted((members[i] for i in chosen if i not in kept), key=lambda m: m.pseudonym)
    return Replacement(vacated=vacated, newcomers=newcomers, seed=seed)


def accept_replacement(
    session: Session, draw_id: int, *, expected: Sequence[int], actor: User
) -> list[PanelSeat]:
    """Invite the proposed replacement(s), as long as the proposal is still the one the officer
    saw (``expected``: the newcomers' member ids)."""
    draw = get_managed_draw(session, draw_id, actor)
    _drawn_jury(session, draw, actor)
    proposal = propose_replacement(session, draw_id, actor)
    if proposal.problem is not None:
        raise Conflict(N_("No replacement keeps every quota satisfied."))
    if not proposal.newcomers:
        raise Conflict(N_("Nobody needs replacing: every seat is taken."))
    if sorted(expected) != sorted(proposal.member_ids):
        raise Conflict(N_("The panel changed since the proposal was shown. Look at it again."))
    existing = {row.member_id: row for row in _seats(session, draw.id)}
    created: list[PanelSeat] = []
    for position, member in enumerate(proposal.newcomers):
        replaced = proposal.vacated[position] if position < len(proposal.vacated) else None
        seat = existing.get(member.id)
        if seat is None:
            seat = PanelSeat(draw_id=draw.id, member_id=member.id, status=SeatStatus.INVITED)
            session.add(seat)
        else:  # a reserve moves onto the panel
            seat.status, seat.reserve_rank = SeatStatus.INVITED, None
        seat.replaces_id = replaced.id if replaced is not None else None
        created.append(seat)
    session.flush()
    audit.record(
        session,
        actor,
        "jury.replacement_accepted",
        f"jury:{draw.jury_id}",
        {
            "draw_id": draw.id,
            "seed": proposal.seed,
            "joined": [member.pseudonym for member in proposal.newcomers],
            "replacing": [seat.member.pseudonym for seat in proposal.vacated],
        },
    )
    session.commit()
    return created


# --- Export and purge ---------------------------------------------------------------------------


def export_panel(session: Session, draw_id: int, *, actor: User) -> tuple[str, str]:
    """The panel and reserves with contact details as CSV text, and a file name. Audit-logged."""
    panel = get_panel(session, draw_id, actor)
    if panel.purged:
        raise Conflict(N_("This jury's personal data has been purged."))
    if panel.draw.random_value is None:
        raise Conflict(N_("The panel is not drawn yet."))
    features = list(
        session.scalars(
            sa.select(JuryFeature)
            .where(JuryFeature.jury_id == panel.jury.id)
            .order_by(JuryFeature.position, JuryFeature.id)
        )
    )
    value_keys = {
        value_id: key
        for value_id, key in session.execute(
            sa.select(FeatureValue.id, FeatureValue.key)
            .join(JuryFeature)
            .where(JuryFeature.jury_id == panel.jury.id)
        )
    }
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "seat",
            "reserve_rank",
            "status",
            *CONTACT_COLUMNS,
            "replaces",
            *[feature.key for feature in features],
        ]
    )
    for seat in [*panel.seats, *panel.reserves]:
        member = seat.member
        answers = {
            answer.feature_id: value_keys.get(answer.value_id, "") for answer in member.answers
        }
        writer.writerow(
            [
                spreadsheet_cell(x)
                for x in [
                    "panel" if seat.reserve_rank is None else "reserve",
                    seat.reserve_rank or "",
                    seat.status.value,
                    *contact_details(member).values(),
                    seat.replaces or "",
                    *[answers.get(feature.id, "") for feature in features],
                ]
            ]
        )
    audit.record(
        session,
        actor,
        "jury.panel_exported",
        f"jury:{panel.jury.id}",
        {"draw_id": panel.draw.id, "seats": len(panel.seats), "reserves": len(panel.reserves)},
    )
    session.commit()
    return out.getvalue(), f"{panel.jury.slug}-panel.csv"


def _suppress(count: int) -> int | None:
    return count if count >= SMALL_COUNT else None


def aggregate_counts(session: Session, jury_id: int) -> dict[str, Any]:
    """Pool and current panel counts per feature value, counts under SMALL_COUNT as None."""
    features = list(
        session.scalars(
            sa.select(JuryFeature)
            .where(JuryFeature.jury_id == jury_id)
            .order_by(JuryFeature.position, JuryFeature.id)
        )
    )
    panel_members = set(
        session.scalars(
            sa.select(PanelSeat.member_id)
            .join(Draw, Draw.id == PanelSeat.draw_id)
            .where(
                Draw.jury_id == jury_id,
                PanelSeat.reserve_rank.is_(None),
                PanelSeat.status.in_(STILL_IN),
            )
        )
    )
    answers = session.execute(
        sa.select(MemberAnswer.member_id, MemberAnswer.value_id)
        .join(PoolMember, PoolMember.id == MemberAnswer.member_id)
        .where(PoolMember.jury_id == jury_id)
    )
    pool_counts: Counter[int] = Counter()
    panel_counts: Counter[int] = Counter()
    for member_id, value_id in answers:
        pool_counts[value_id] += 1
        if member_id in panel_members:
            panel_counts[value_id] += 1
    pool_total = session.scalar(
        sa.select(sa.func.count()).select_from(PoolMember).where(PoolMember.jury_id == jury_id)
    )
    return {
        "suppressed_below": SMALL_COUNT,
        "pool_total": pool_total or 0,
        "panel_total": len(panel_members),
        "pool": {f.key: {v.key: _suppress(pool_counts[v.id]) for v in f.values} for f in features},
        "panel": {
            f.key: {v.key: _suppress(panel_counts[v.id]) for v in f.values} for f in features
        },
    }


def can_purge(jury: Jury, today: date) -> bool:
    return jury.status is not JuryStatus.PURGED and (
        jury.status is JuryStatus.DRAWN or today > jury.retention_until
    )


def _purge(session: Session, jury: Jury, *, actor: User | None, reason: str) -> None:
    counts = aggregate_counts(session, jury.id)
    session.execute(
        sa.delete(PoolMember)
        .where(PoolMember.jury_id == jury.id)
        .execution_options(synchronize_session=False)
    )
    # Runs keep their fairness summary; per-person probabilities and panels go with the pool.
    for run in session.scalars(sa.select(SelectionRun).where(SelectionRun.jury_id == jury.id)):
        result = run.result or {}
        kept: dict[str, Any] = {
            key: result[key]
            for key in ("algorithm", "fairness", "pool_size", "panel_size", "seconds")
            if key in result
        }
        if "lottery" in result:
            kept["lottery"] = {
                key: result["lottery"][key] for key in ("m", "min_probability", "loss")
            }
        run.result = {**kept, "purged": True}
    jury.status, jury.purged_at, jury.aggregate_counts = JuryStatus.PURGED, utcnow(), counts
    audit.record(
        session,
        actor,
        "jury.purged",
        f"jury:{jury.id}",
        {
            "reason": reason,
            "pool_total": counts["pool_total"],
            "panel_total": counts["panel_total"],
        },
    )


def purge_jury(session: Session, jury_id: int, *, actor: User, today: date) -> Jury:
    """Erase the jury's personal data (pool members with their answers and seats), keeping the
    aggregate counts, the draw's public bundle and the audit trail. The caller removes the
    jury's staged uploads (uploads.discard_jury) once this returns."""
    lock_jury(session, jury_id)
    jury = require_manager(session, jury_id, actor)
    if jury.status is JuryStatus.PURGED:
        raise Conflict(N_("This jury's personal data has already been purged."))
    if not can_purge(jury, today):
        raise Conflict(
            N_(
                "Personal data can be purged once the panel is drawn, or after the retention "
                "date (%(date)s)."
            ),
            date=jury.retention_until.isoformat(),
        )
    reason = "explicit" if jury.status is JuryStatus.DRAWN else "retention"
    _purge(session, jury, actor=actor, reason=reason)
    session.commit()
    return jury


def purge_expired(session: Session, *, today: date) -> list[int]:
    """Purge every jury whose retention date has passed (``engage juries purge-expired``, run
    daily). Returns their ids; the caller removes their staged uploads."""
    due = list(
        session.scalars(
            sa.select(Jury)
            .where(Jury.status != JuryStatus.PURGED, Jury.retention_until < today)
            .order_by(Jury.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    for jury in due:
        _purge(session, jury, actor=None, reason="retention")
    session.commit()
    return [jury.id for jury in due]


def parse_member_ids(text: str) -> list[int]:
    """The hidden list of proposed member ids ("12,15"), refusing anything else."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not all(part.isdigit() and len(part) < 10 for part in parts):
        raise Invalid(N_("The proposal was damaged. Look at it again."))
    return [int(part) for part in parts]
