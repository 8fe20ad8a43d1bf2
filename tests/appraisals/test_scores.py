"""The statistics of appraisal scores and the compass chart's geometry: pure, no app."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engage.appraisals.scores import compass_point, quantile, scale_fraction, summarise


def test_summary_of_scores_on_a_one_to_seven_scale() -> None:
    summary = summarise([2, 7, 4, 4, 5, 1], 1, 7)

    assert summary.n == 6
    assert summary.median == 4.0
    assert summary.mean == pytest.approx(23 / 6)
    assert (summary.minimum, summary.maximum) == (1, 7)
    assert summary.lower_quartile == 2.5
    assert summary.upper_quartile == 4.75
    assert summary.distribution == ((1, 1), (2, 1), (3, 0), (4, 2), (5, 1), (6, 0), (7, 1))


def test_quartiles_match_numpys_default_linear_interpolation() -> None:
    for scores in ([3], [3, 6], [1, 2, 3, 4], [7, 1, 1, 5, 6, 2, 2, 4, 3], list(range(1, 8)) * 3):
        summary = summarise(scores, 1, 7)
        assert summary.lower_quartile == pytest.approx(np.percentile(scores, 25))
        assert summary.median == pytest.approx(np.median(scores))
        assert summary.upper_quartile == pytest.approx(np.percentile(scores, 75))


def test_an_even_number_of_scores_has_its_median_halfway_between_the_middle_two() -> None:
    assert summarise([3, 6], 1, 7).median == 4.5


def test_one_score_is_its_own_median_quartiles_minimum_and_maximum() -> None:
    summary = summarise([5], 1, 7)

    assert (summary.minimum, summary.lower_quartile, summary.median) == (5, 5, 5)
    assert (summary.upper_quartile, summary.maximum, summary.mean) == (5, 5, 5)


def test_no_scores_give_no_statistics_but_a_distribution_of_zeros() -> None:
    summary = summarise([], 0, 4)

    assert summary.n == 0
    assert summary.median is summary.mean is summary.minimum is summary.lower_quartile is None
    assert summary.distribution == ((0, 0), (1, 0), (2, 0), (3, 0), (4, 0))


def test_scores_outside_the_scale_and_backwards_scales_are_refused() -> None:
    with pytest.raises(ValueError, match="outside the scale"):
        summarise([1, 8], 1, 7)
    with pytest.raises(ValueError, match="outside the scale"):
        summarise([0], 1, 7)
    with pytest.raises(ValueError, match="scale"):
        summarise([1], 5, 5)


def test_quantile_needs_scores_and_a_fraction_between_zero_and_one() -> None:
    with pytest.raises(ValueError):
        quantile([], 0.5)
    with pytest.raises(ValueError):
        quantile([1, 2], 1.5)
    assert quantile([1, 2, 3, 10], 0) == 1
    assert quantile([1, 2, 3, 10], 1) == 10


def test_the_compass_starts_straight_up_and_goes_clockwise() -> None:
    assert compass_point(0, 4, 1) == pytest.approx((0, -1))  # up (SVG's y grows downwards)
    assert compass_point(1, 4, 1) == pytest.approx((1, 0))  # right
    assert compass_point(2, 4, 1) == pytest.approx((0, 1))  # down
    assert compass_point(3, 4, 0.5) == pytest.approx((-0.5, 0))  # half-way left
    assert compass_point(5, 14, 0) == pytest.approx((0, 0))  # the centre


def test_every_axis_of_the_place_standard_compass_sits_on_the_rim() -> None:
    for axis in range(14):
        x, y = compass_point(axis, 14, 1)
        assert math.hypot(x, y) == pytest.approx(1)
    with pytest.raises(ValueError):
        compass_point(14, 14, 1)


def test_a_scale_point_is_a_fraction_of_the_way_from_centre_to_rim() -> None:
    assert scale_fraction(1, 1, 7) == 0
    assert scale_fraction(7, 1, 7) == 1
    assert scale_fraction(4, 1, 7) == 0.5
    assert scale_fraction(4.5, 0, 10) == 0.45
