"""The statistics of appraisal scores, and where a score sits on the compass (radar) chart.

Pure: lists of whole-number scores in, numbers out; no app, no database. Every score in the list
counts once, whether one resident gave it or a workshop group agreed it: a group's score is one
judgement, and the number of people behind the scores is reported beside them, not mixed in.

Quartiles use linear interpolation between the sorted scores (as numpy's default and
spreadsheets' QUARTILE.INC do), so the median is the middle score, or halfway between the two
middle scores.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    """The statistics of one criterion's scores. Without scores, only ``n`` (0) and the
    distribution (all zeros) are set."""

    n: int
    median: float | None
    mean: float | None
    minimum: int | None
    maximum: int | None
    lower_quartile: float | None
    upper_quartile: float | None
    # (scale point, how many scores) for every point of the scale, lowest first.
    distribution: tuple[tuple[int, int], ...]


def quantile(ordered: Sequence[int], fraction: float) -> float:
    """The value ``fraction`` of the way through the sorted, non-empty ``ordered``, interpolated
    linearly between neighbours (fraction 0 is the smallest, 1 the largest, 0.5 the median)."""
    if not ordered:
        raise ValueError("no scores")
    if not 0 <= fraction <= 1:
        raise ValueError("fraction must be between 0 and 1")
    position = fraction * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    weight = position - below
    return ordered[below] + (ordered[above] - ordered[below]) * weight


def summarise(scores: Sequence[int], scale_min: int, scale_max: int) -> Summary:
    """The statistics of ``scores`` on the scale ``scale_min``..``scale_max``. Scores outside
    the scale are refused (ValueError): the services never store one."""
    if scale_min >= scale_max:
        raise ValueError("the scale must run from a lower to a higher point")
    outside = [score for score in scores if not scale_min <= score <= scale_max]
    if outside:
        raise ValueError(f"scores outside the scale {scale_min}-{scale_max}: {outside}")
    counts = dict.fromkeys(range(scale_min, scale_max + 1), 0)
    for score in scores:
        counts[score] += 1
    distribution = tuple(counts.items())
    if not scores:
        return Summary(0, None, None, None, None, None, None, distribution)
    ordered = sorted(scores)
    return Summary(
        n=len(ordered),
        median=quantile(ordered, 0.5),
        mean=sum(ordered) / len(ordered),
        minimum=ordered[0],
        maximum=ordered[-1],
        lower_quartile=quantile(ordered, 0.25),
        upper_quartile=quantile(ordered, 0.75),
        distribution=distribution,
    )


# --- The compass chart --------------------------------------------------------------------------


def compass_point(axis: int, axes: int, fraction: float) -> tuple[float, float]:
    """Where a value sits on a compass chart of ``axes`` axes drawn on a unit circle: ``axis``
    0 points straight up and the others follow clockwise; ``fraction`` 0 is the centre and 1
    the rim. Returns (x, y) with y growing downwards, as in SVG."""
    if axes < 1 or not 0 <= axis < axes:
        raise ValueError("axis out of range")
    angle = 2 * math.pi * axis / axes
    return (fraction * math.sin(angle), -fraction * math.cos(angle))


def scale_fraction(value: float, scale_min: int, scale_max: int) -> float:
    """How far ``value`` is along the scale: 0 at its lowest point, 1 at its highest."""
    return (value - scale_min) / (scale_max - scale_min)
