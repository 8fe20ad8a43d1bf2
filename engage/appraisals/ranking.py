"""Rank intervals for multi-criteria mapping (pure: weights and scores in, intervals out).

The method follows Andy Stirling's multi-criteria mapping (MCM): a participant does not give
one score per option and criterion but a pessimistic (low) and an optimistic (high) one, so the
result for each option is a range of ranks rather than a single place.

For one participant (:func:`rank_intervals`):

1. The weights ``w_c`` (any non-negative numbers, not all zero) are divided by their sum, so they
   add up to 1. Only their proportions matter: weights 2, 1, 1 give the same result as 50, 25, 25.
2. Each option ``o`` has a pessimistic total ``L_o = sum_c w_c low_oc`` and an optimistic total
   ``H_o = sum_c w_c high_oc``. Totals are rounded to :data:`TIE_DECIMALS` decimal places before
   they are compared, so that arithmetic noise (0.1 + 0.2) never separates equal totals.
3. Best rank of ``o`` = 1 + the number of other options whose ``L`` is above ``H_o``: those beat
   ``o`` even when ``o`` is at its best and they are at their worst.
   Worst rank of ``o`` = 1 + the number of other options whose ``H`` is above ``L_o``: those
   could beat ``o`` when ``o`` is at its worst and they are at their best.
   Comparisons are strict, so ties never push a rank down: two options with the same totals
   both get best rank 1 when nothing beats them. Since ``L_o <= H_o``, best <= worst always.

Across participants (:func:`compare`), for every option: how many participants have each best
and each worst rank; the median of the interval midpoints ``(best + worst) / 2``; the ranks
every participant's interval includes (the *common* ranks: from the highest best rank to the
lowest worst rank, when that is not empty), which is where they agree; the pairs of
participants whose intervals share no rank, which is where they differ; and how many have it
first at best and last at worst. For every ordered pair of options A, B: how many participants
*robustly prefer* A to B, i.e. ``L_A > H_B`` (A beats B whatever the uncertainty).

Everything is deterministic: participants and options keep the order they are given in, and no
step involves chance.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "TIE_DECIMALS",
    "Comparison",
    "CriterionWeights",
    "OptionAgreement",
    "RankInterval",
    "compare",
    "normalise_weights",
    "rank_intervals",
    "summarise_weights",
]

TIE_DECIMALS = 9  # totals are compared after rounding to this many decimal places

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RankInterval:
    """Where one option stands for one participant: ranks ``best`` to ``worst`` (1 is first),
    from its pessimistic and optimistic weighted totals."""

    best: int
    worst: int
    low_total: float
    high_total: float

    @property
    def midpoint(self) -> float:
        return (self.best + self.worst) / 2

    def overlaps(self, other: RankInterval) -> bool:
        """Whether the two intervals share at least one rank."""
        return self.best <= other.worst and other.best <= self.worst


NAMED_PAIRS = 10  # the results page names the pairs that differ when there are this few


@dataclass(frozen=True)
class OptionAgreement:
    """One option's intervals across all participants."""

    best_counts: tuple[int, ...]  # [r - 1]: participants whose best rank is r
    worst_counts: tuple[int, ...]  # [r - 1]: participants whose worst rank is r
    median_midpoint: float | None  # None without participants
    span: tuple[int, int] | None  # from the best best rank to the worst worst rank
    common: tuple[int, int] | None  # ranks inside every participant's interval, if any
    disjoint_count: int  # pairs of participants whose intervals share no rank
    # Those pairs (participant indices, i < j) when there are at most NAMED_PAIRS, else ().
    disjoint_pairs: tuple[tuple[int, int], ...]
    first_at_best: int  # participants whose best rank is 1
    last_at_worst: int  # participants whose worst rank is the last one

    @property
    def agreed(self) -> bool:
        return self.common is not None


@dataclass(frozen=True)
class Comparison:
    """All participants' intervals ([participant][option]) and what they share."""

    options: int
    intervals: tuple[tuple[RankInterval, ...], ...]
    agreement: tuple[OptionAgreement, ...]  # per option
    robust_preference: tuple[tuple[int, ...], ...]  # [a][b]: participants with L_a > H_b

    @property
    def participants(self) -> int:
        return len(self.intervals)


@dataclass(frozen=True)
class CriterionWeights:
    """The spread of one criterion's normalised weight (0 to 1) across participants."""

    minimum: float
    median: float
    maximum: float


def normalise_weights(weights: Sequence[float] | FloatArray) -> FloatArray:
    """Weights divided by their sum. Raises ValueError for no weights, a negative or
    non-finite weight, or weights that are all zero."""
    array = np.asarray(weights, dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise ValueError("weights must be a non-empty list of numbers")
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError("weights must be finite and not negative")
    total = float(array.sum())
    if total <= 0:
        raise ValueError("at least one weight must be above zero")
    normalised: FloatArray = array / total
    return normalised


def _scores(values: Sequence[Sequence[float]] | FloatArray, criteria: int) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != criteria or array.shape[0] == 0:
        raise ValueError("scores must be one row per option and one column per criterion")
    if not np.all(np.isfinite(array)):
        raise ValueError("scores must be finite")
    return array


def rank_intervals(
    weights: Sequence[float] | FloatArray,
    low: Sequence[Sequence[float]] | FloatArray,
    high: Sequence[Sequence[float]] | FloatArray,
) -> list[RankInterval]:
    """One participant's rank interval for every option (rows of ``low`` and ``high``, one
    column per criterion, in the order of ``weights``). Raises ValueError on bad input,
    including a low score above its high score."""
    w = normalise_weights(weights)
    lows, highs = _scores(low, w.size), _scores(high, w.size)
    if lows.shape != highs.shape:
        raise ValueError("low and high scores must have the same shape")
    if np.any(lows > highs):
        raise ValueError("a low score is above its high score")
    # Elementwise products summed the same way for both: rounding is monotone, so L <= H holds.
    low_totals = np.round((lows * w).sum(axis=1), TIE_DECIMALS)
    high_totals = np.round((highs * w).sum(axis=1), TIE_DECIMALS)
    others = ~np.eye(len(low_totals), dtype=bool)
    # beaten_at_best[o, p]: option p's pessimistic total is above o's optimistic total.
    beaten_at_best = (low_totals[np.newaxis, :] > high_totals[:, np.newaxis]) & others
    # may_be_beaten[o, p]: option p's optimistic total is above o's pessimistic total.
    may_be_beaten = (high_totals[np.newaxis, :] > low_totals[:, np.newaxis]) & others
    return [
        RankInterval(
            best=1 + int(beaten_at_best[o].sum()),
            worst=1 + int(may_be_beaten[o].sum()),
            low_total=float(low_totals[o]),
            high_total=float(high_totals[o]),
        )
        for o in range(len(low_totals))
    ]


def _agreement(column: Sequence[RankInterval], options: int) -> OptionAgreement:
    best_counts = [0] * options
    worst_counts = [0] * options
    for interval in column:
        best_counts[interval.best - 1] += 1
        worst_counts[interval.worst - 1] += 1
    if not column:
        return OptionAgreement(
            tuple(best_counts), tuple(worst_counts), None, None, None, 0, (), 0, 0
        )
    highest_best = max(interval.best for interval in column)
    lowest_worst = min(interval.worst for interval in column)
    # Two intervals share no rank when one's worst rank is above the other's best: count the
    # pairs from the rank counts (no pair by pair loop: thousands of participants are fine).
    worse_than = [sum(worst_counts[:rank]) for rank in range(options)]  # worst below rank + 1
    disjoint_count = sum(best_counts[rank] * worse_than[rank] for rank in range(options))
    return OptionAgreement(
        best_counts=tuple(best_counts),
        worst_counts=tuple(worst_counts),
        median_midpoint=float(np.median([interval.midpoint for interval in column])),
        span=(min(interval.best for interval in column), max(i.worst for i in column)),
        common=(highest_best, lowest_worst) if highest_best <= lowest_worst else None,
        disjoint_count=disjoint_count,
        disjoint_pairs=_disjoint_pairs(column) if disjoint_count <= NAMED_PAIRS else (),
        first_at_best=sum(1 for interval in column if interval.best == 1),
        last_at_worst=sum(1 for interval in column if interval.worst == options),
    )


def _disjoint_pairs(column: Sequence[RankInterval]) -> tuple[tuple[int, int], ...]:
    """The pairs (i < j) of participants whose intervals share no rank, found through the
    intervals sorted by worst rank: the work grows with the pairs found, not with their square."""
    by_worst = sorted(range(len(column)), key=lambda i: column[i].worst)
    worsts = [column[i].worst for i in by_worst]
    pairs = {
        (min(i, j), max(i, j))
        for j, interval in enumerate(column)
        for i in by_worst[: bisect_left(worsts, interval.best)]
    }
    return tuple(sorted(pairs))


def compare(intervals: Sequence[Sequence[RankInterval]], options: int) -> Comparison:
    """Agreement and difference across participants: ``intervals[p][o]`` is participant p's
    interval for option o (each participant's list as :func:`rank_intervals` gave it)."""
    if options < 1:
        raise ValueError("there must be at least one option")
    rows = tuple(tuple(row) for row in intervals)
    if any(len(row) != options for row in rows):
        raise ValueError("every participant needs an interval for every option")
    if any(not 1 <= i.best <= i.worst <= options for row in rows for i in row):
        raise ValueError("ranks must run from 1 to the number of options, best first")
    agreement = tuple(_agreement([row[o] for row in rows], options) for o in range(options))
    preference = tuple(
        tuple(
            0 if a == b else sum(1 for row in rows if row[a].low_total > row[b].high_total)
            for b in range(options)
        )
        for a in range(options)
    )
    return Comparison(
        options=options, intervals=rows, agreement=agreement, robust_preference=preference
    )


def summarise_weights(
    normalised: Sequence[Sequence[float]] | FloatArray, criteria: int
) -> list[CriterionWeights | None]:
    """Per criterion, the minimum, median and maximum of the participants' normalised weights
    (``normalised[p][c]``); None for every criterion when there are no participants."""
    array = np.asarray(normalised, dtype=np.float64).reshape(-1, criteria)
    if array.shape[0] == 0:
        return [None] * criteria
    return [
        CriterionWeights(
            minimum=float(array[:, c].min()),
            median=float(np.median(array[:, c])),
            maximum=float(array[:, c].max()),
        )
        for c in range(criteria)
    ]
