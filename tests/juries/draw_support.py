"""Rows for the selection, draw and panel tests: a small jury with a pool, a selection run
finished by hand (no solver needed), and a committed and revealed draw.

The pool: 8 volunteers with a gender and an age band, panel size 4, quotas of exactly 2 women
and 2 men and 1 to 3 of each age band. Volunteers 0 and 1 share a household.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.db import utcnow
from engage.juries import draws
from engage.juries.models import (
    Draw,
    Jury,
    JuryStatus,
    MemberSource,
    PoolMember,
    RunStatus,
    SelectionRun,
)
from engage.juries.selection import Algorithm, Distribution, Instance
from engage.juries.services import build_instance
from tests import factories

RANDOM_VALUE = "7 12 23 34 45"
SOURCE = "EuroMillions draw of 2026-12-04, main numbers in drawn order"

# (gender, age band) of each volunteer, in pool order.
PEOPLE: list[tuple[str, str]] = [
    ("female", "young"),
    ("male", "old"),
    ("female", "old"),
    ("female", "young"),
    ("female", "old"),
    ("male", "young"),
    ("male", "old"),
    ("male", "young"),
]
QUOTAS = {
    "gender": {"female": (2, 2), "male": (2, 2)},
    "age": {"young": (1, 3), "old": (1, 3)},
}


def make_jury(
    session: Session,
    *,
    officers: Sequence[User] = (),
    people: Sequence[tuple[str, str]] = PEOPLE,
    quotas: dict[str, dict[str, tuple[int, int]]] = QUOTAS,
    panel_size: int = 4,
    household_rule: bool = True,
    status: JuryStatus = JuryStatus.OPEN,
    retention_until: date | None = None,
) -> Jury:
    """A jury with the gender and age features, their quotas, and a pool of ``people``
    (volunteers 0 and 1 share a household)."""
    jury = factories.make_jury(
        session,
        features={feature: list(values) for feature, values in quotas.items()},
        quotas={
            (feature, value): bounds
            for feature, values in quotas.items()
            for value, bounds in values.items()
        },
        officers=tuple(officers),
        panel_size=panel_size,
        household_rule=household_rule,
        status=status,
    )
    if retention_until is not None:
        jury.retention_until = retention_until
        session.commit()
    for index, (gender, age) in enumerate(people):
        add_member(session, jury, index, {"gender": gender, "age": age})
    return jury


def add_member(session: Session, jury: Jury, index: int, answers: dict[str, str]) -> PoolMember:
    return factories.make_member(
        session,
        jury,
        answers,
        household="shared-home" if index in (0, 1) else None,
        source=MemberSource.IMPORT,
        external_id=str(index),
    )


def satisfies_quotas(instance: Instance, panel: Sequence[int], *, households: bool = True) -> bool:
    """Whether the people at these indices form a panel within every quota (and one person per
    household when asked)."""
    if len(panel) != instance.panel_size or len(set(panel)) != len(panel):
        return False
    for quota in instance.quotas:
        column = list(instance.features).index(quota.feature)
        count = sum(1 for i in panel if instance.values[i][column] == quota.value)
        if not quota.min <= count <= quota.max:
            return False
    if households and instance.households is not None:
        homes = [instance.households[i] for i in panel]
        if len(set(homes)) != len(homes):
            return False
    return True


def uniform_distribution(instance: Instance, *, households: bool = True) -> Distribution:
    """A few quota-satisfying panels (found by brute force) that together include everyone who
    can be on a panel at all, each with the same probability."""
    n = len(instance.ids)
    panels: list[tuple[int, ...]] = []
    covered: set[int] = set()
    for panel in itertools.combinations(range(n), instance.panel_size):
        if not set(panel) <= covered and satisfies_quotas(instance, panel, households=households):
            panels.append(panel)
            covered |= set(panel)
    probabilities = [1 / len(panels)] * len(panels)
    marginals = [sum(1 for panel in panels if i in panel) / len(panels) for i in range(n)]
    return Distribution(Algorithm.LEXIMIN, panels, probabilities, marginals, seconds=0.01)


def finished_run(
    session: Session, jury: Jury, *, by: User | None = None, m: int = 100
) -> SelectionRun:
    """A DONE selection run on the jury's current pool, computed without the solver."""
    instance, members = build_instance(session, jury.id)
    distribution = uniform_distribution(instance, households=jury.household_rule)
    result = draws.summarise_run(
        instance,
        [member.id for member in members],
        distribution,
        households=jury.household_rule,
        legacy=distribution.marginals,
        m=m,
    )
    run = SelectionRun(
        jury_id=jury.id,
        algorithm="leximin",
        household_rule=jury.household_rule,
        status=RunStatus.DONE,
        result=result,
        created_by_id=by.id if by else None,
        finished_at=utcnow(),
    )
    session.add(run)
    session.commit()
    return run


@dataclass(frozen=True)
class DrawnJury:
    jury_id: int
    run_id: int
    draw_id: int
    seat_id: int  # a seat on the drawn panel


def make_drawn_jury(session: Session, officer: User, **jury_options: object) -> DrawnJury:
    """A jury whose draw is committed and revealed by ``officer`` (one of its officers)."""
    jury = make_jury(session, officers=[officer], **jury_options)  # type: ignore[arg-type]
    run = finished_run(session, jury, by=officer)
    draw = draws.commit_draw(session, run.id, randomness_source=SOURCE, actor=officer)
    draw = draws.reveal_draw(session, draw.id, random_value=RANDOM_VALUE, actor=officer)
    panel = draws.get_panel(session, draw.id, officer)
    return DrawnJury(jury_id=jury.id, run_id=run.id, draw_id=draw.id, seat_id=panel.seats[0].id)


def committed_draw(session: Session, officer: User) -> Draw:
    jury = make_jury(session, officers=[officer])
    run = finished_run(session, jury, by=officer)
    return draws.commit_draw(session, run.id, randomness_source=SOURCE, actor=officer)


# --- Two transactions at once (PostgreSQL) --------------------------------------------------------

T = TypeVar("T")


@contextmanager
def jury_locked_elsewhere(session: Session, jury_id: int) -> Iterator[sa.Connection]:
    """Another transaction holding the jury's row lock, as a service in flight holds it (say the
    commit of a draw that is about to freeze the pool). Commit it to let go. PostgreSQL only:
    SQLite lets one writer in at a time, so there the question never arises."""
    engine = session.get_bind()
    assert isinstance(engine, sa.Engine)
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers by BEGIN IMMEDIATE")
    session.rollback()
    with engine.connect() as other:
        other.execute(sa.text("SET LOCAL lock_timeout = '60s'"))
        other.execute(sa.select(Jury.id).where(Jury.id == jury_id).with_for_update())
        yield other


@contextmanager
def in_another_session(session: Session, work: Callable[[Session], T]) -> Iterator[Future[T]]:
    """Run ``work`` in a thread with a session of its own (another request, in effect)."""
    engine = session.get_bind()

    def run() -> T:
        with Session(engine) as own:
            own.execute(sa.text("SET LOCAL lock_timeout = '60s'"))  # this transaction only
            return work(own)

    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool.submit(run)
