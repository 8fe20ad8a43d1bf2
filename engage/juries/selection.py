"""Fair stratified selection of a panel from a volunteer pool (pure: arrays in, results out).

Skeleton: the types are final, the algorithms are being written.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


class Algorithm(enum.StrEnum):
    LEXIMIN = "leximin"
    MAXIMIN = "maximin"
    LEGACY = "legacy"


@dataclass(frozen=True)
class Quota:
    """The panel holds between ``min`` and ``max`` people whose ``feature`` is ``value``.

    ``min_flex``/``max_flex`` (Sortition Foundation format) bound how far a proposed
    relaxation may move the quota: min never below min_flex, max never above max_flex."""

    feature: str
    value: str
    min: int
    max: int
    min_flex: int | None = None
    max_flex: int | None = None


@dataclass(frozen=True)
class Instance:
    """A selection problem. Person i has id ``ids[i]``, the value ``values[i][f]`` for feature
    ``features[f]`` and lives in household ``households[i]`` (None: no household information)."""

    ids: Sequence[str]
    features: Sequence[str]
    values: Sequence[Sequence[str]]
    quotas: Sequence[Quota]
    panel_size: int
    households: Sequence[str] | None = None


# Called with (iteration, current minimum probability) while an algorithm runs.
ProgressCallback = Callable[[int, float], None]


@dataclass(frozen=True)
class Distribution:
    """A lottery over panels. Panels are sorted tuples of person indices (into Instance.ids)."""

    algorithm: Algorithm
    panels: list[tuple[int, ...]]
    probabilities: list[float]
    marginals: list[float]  # marginals[i] = probability that person i is selected
    seconds: float

    @property
    def min_probability(self) -> float:
        return min(self.marginals)


@dataclass(frozen=True)
class QuotaChange:
    feature: str
    value: str
    old_min: int
    old_max: int
    new_min: int
    new_max: int


@dataclass(frozen=True)
class Infeasibility:
    """Why no panel satisfies the quotas, in plain English sentences (translated at the edge by
    the caller when shown on a page), and the smallest relaxation that would make them
    feasible (None when even relaxing every quota within its flex bounds cannot help)."""

    reasons: list[str]
    relaxation: list[QuotaChange] | None = field(default=None)


class InfeasibleQuotas(Exception):
    def __init__(self, infeasibility: Infeasibility) -> None:
        super().__init__("; ".join(infeasibility.reasons))
        self.infeasibility = infeasibility
