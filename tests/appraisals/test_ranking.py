"""Rank intervals of multi-criteria mapping, checked against intervals worked out by hand: ties,
overlaps, normalised weights, and what participants share. Pure: no app, no database."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from engage.appraisals.ranking import (
    CriterionWeights,
    RankInterval,
    compare,
    normalise_weights,
    rank_intervals,
    summarise_weights,
)

# Three options (A, B, C) on two equally weighted criteria; totals worked out by hand:
#   A: low 60, 80 -> L = 70; high 80, 100 -> H = 90
#   B: low 40, 50 -> L = 45; high 60, 80  -> H = 70
#   C: low 0, 10  -> L = 5;  high 20, 30  -> H = 25
LOW = [[60, 80], [40, 50], [0, 10]]
HIGH = [[80, 100], [60, 80], [20, 30]]


def spans(intervals: list[RankInterval]) -> list[tuple[int, int]]:
    return [(interval.best, interval.worst) for interval in intervals]


def test_intervals_follow_the_definition_with_a_tie_that_pushes_nothing() -> None:
    intervals = rank_intervals([1, 1], LOW, HIGH)

    # A: nothing's L is above 90 -> best 1; B's H (70) equals A's L (70): a tie, not above,
    #    and C's H is 25 -> worst 1.
    # B: A's L (70) equals B's H (70): a tie -> best 1; A's H (90) is above B's L (45) -> worst 2.
    # C: A's L and B's L are above 25 -> best 3; both H above 5 -> worst 3.
    assert spans(intervals) == [(1, 1), (1, 2), (3, 3)]
    assert [(i.low_total, i.high_total) for i in intervals] == [(70, 90), (45, 70), (5, 25)]


def test_only_the_proportions_of_the_weights_count() -> None:
    assert rank_intervals([1, 1], LOW, HIGH) == rank_intervals([50, 50], LOW, HIGH)
    assert rank_intervals([0.2, 0.2], LOW, HIGH) == rank_intervals([7, 7], LOW, HIGH)
    assert normalise_weights([2, 1, 1]).tolist() == [0.5, 0.25, 0.25]
    assert normalise_weights([0, 30]).tolist() == [0, 1]


def test_unequal_weights_move_the_totals() -> None:
    # Weights 3:1 -> 0.75, 0.25.
    #   A: L = 45 + 20 = 65, H = 60 + 25 = 85;  B: L = 30 + 12.5 = 42.5, H = 45 + 20 = 65
    #   C: L = 0 + 2.5 = 2.5, H = 15 + 7.5 = 22.5
    intervals = rank_intervals([3, 1], LOW, HIGH)

    assert [(i.low_total, i.high_total) for i in intervals] == [
        (65, 85),
        (42.5, 65),
        (2.5, 22.5),
    ]
    # A's L equals B's H again: the tie leaves A first for sure and B possibly first.
    assert spans(intervals) == [(1, 1), (1, 2), (3, 3)]


def test_a_zero_weight_ignores_its_criterion() -> None:
    # Only the second criterion counts: A 80..100, B 50..80, C 10..30.
    intervals = rank_intervals([0, 5], LOW, HIGH)

    # B's H (80) equals A's L (80): a tie -> A worst 1, B best 1.
    assert spans(intervals) == [(1, 1), (1, 2), (3, 3)]
    assert intervals[2].high_total == 30


def test_overlapping_totals_give_overlapping_intervals() -> None:
    # X: 40..60, Y: 50..70 — each could beat the other.
    intervals = rank_intervals([1], [[40], [50]], [[60], [70]])

    assert spans(intervals) == [(1, 2), (1, 2)]


def test_identical_options_share_first_place() -> None:
    intervals = rank_intervals([1, 2], [[30, 30], [30, 30]], [[30, 30], [30, 30]])

    assert spans(intervals) == [(1, 1), (1, 1)]


def test_certain_scores_give_single_ranks_in_order() -> None:
    intervals = rank_intervals([1], [[10], [30], [20]], [[10], [30], [20]])

    assert spans(intervals) == [(3, 3), (1, 1), (2, 2)]


def test_arithmetic_noise_never_breaks_a_tie() -> None:
    # 0.5 * 0.3 + 0.5 * 1.1 and 0.5 * 0.7 + 0.5 * 0.7 differ in the last bit of a float.
    raw = (np.array([[0.3, 1.1], [0.7, 0.7]]) * 0.5).sum(axis=1)
    assert raw[0] != raw[1]

    intervals = rank_intervals([1, 1], [[0.3, 1.1], [0.7, 0.7]], [[0.3, 1.1], [0.7, 0.7]])

    assert spans(intervals) == [(1, 1), (1, 1)]


def test_a_single_option_is_first() -> None:
    assert spans(rank_intervals([1], [[0]], [[100]])) == [(1, 1)]


@pytest.mark.parametrize(
    ("weights", "low", "high"),
    [
        ([0, 0], LOW, HIGH),  # all zero
        ([], [[1]], [[1]]),  # no criteria
        ([-1, 2], LOW, HIGH),  # negative
        ([float("nan"), 1], LOW, HIGH),
        ([float("inf"), 1], LOW, HIGH),
        ([1, 1], [[60, 80]], [[50, 80]]),  # a low score above its high score
        ([1, 1], [[60, 80, 1]], [[60, 80, 1]]),  # a score for a criterion not weighted
        ([1, 1], [[60, 80], [1, 1]], [[60, 80]]),  # low and high for different options
        ([1, 1], [[float("nan"), 1]], [[1, 1]]),
        ([1, 1], [], []),  # no options
    ],
)
def test_bad_input_is_refused(
    weights: list[float], low: list[list[float]], high: list[list[float]]
) -> None:
    with pytest.raises(ValueError):
        rank_intervals(weights, low, high)


def test_best_is_never_below_worst_whatever_the_scores() -> None:
    rng = np.random.default_rng(7)
    for _ in range(200):
        options, criteria = rng.integers(1, 6), rng.integers(1, 4)
        a = rng.integers(0, 5, size=(options, criteria)).astype(float)
        b = rng.integers(0, 5, size=(options, criteria)).astype(float)
        low, high = np.minimum(a, b), np.maximum(a, b)
        weights = rng.integers(0, 4, size=criteria).astype(float)
        weights[0] += 1
        for interval in rank_intervals(weights, low, high):
            assert 1 <= interval.best <= interval.worst <= options


# --- Across participants ---------------------------------------------------------------------

# Participant 2, equal weights, worked out by hand:
#   A: 10..30, B: 90..100, C: 20..40
#   A: best 1 + 1 (B's L 90 > 30) = 2, worst 1 + 2 (B's and C's H above 10) = 3
#   B: best 1, worst 1 (no H above 90);  C: best 2 (B's L above 40), worst 3 (30 and 100 > 20)
LOW_2 = [[10, 10], [90, 90], [20, 20]]
HIGH_2 = [[30, 30], [100, 100], [40, 40]]


def two_participants() -> list[list[RankInterval]]:
    return [rank_intervals([1, 1], LOW, HIGH), rank_intervals([1, 1], LOW_2, HIGH_2)]


def test_second_participants_intervals() -> None:
    assert spans(two_participants()[1]) == [(2, 3), (1, 1), (2, 3)]


def test_agreement_and_difference_per_option() -> None:
    result = compare(two_participants(), 3)
    a, b, c = result.agreement

    # A: participant 1 has it at 1-1, participant 2 at 2-3: no shared rank, they differ.
    assert a.common is None and not a.agreed
    assert a.disjoint_pairs == ((0, 1),)
    assert a.span == (1, 3)
    assert (a.best_counts, a.worst_counts) == ((1, 1, 0), (1, 0, 1))
    assert a.median_midpoint == pytest.approx((1 + 2.5) / 2)
    assert (a.first_at_best, a.last_at_worst) == (1, 1)
    # B: 1-2 and 1-1 share rank 1.
    assert b.common == (1, 1) and b.disjoint_pairs == ()
    assert (b.first_at_best, b.last_at_worst) == (2, 0)
    assert b.median_midpoint == pytest.approx(1.25)
    # C: 3-3 and 2-3 share rank 3.
    assert c.common == (3, 3) and c.span == (2, 3)
    assert (c.first_at_best, c.last_at_worst) == (0, 2)
    assert result.participants == 2


def test_robust_preferences_count_participants_per_ordered_pair() -> None:
    # Participant 1: L = 70, 45, 5; H = 90, 70, 25 -> A over C (70 > 25), B over C (45 > 25);
    #   A over B is a tie (70 = 70), not a preference.
    # Participant 2: L = 10, 90, 20; H = 30, 100, 40 -> B over A (90 > 30), B over C (90 > 40).
    result = compare(two_participants(), 3)

    assert result.robust_preference == ((0, 0, 1), (1, 0, 2), (0, 0, 0))


def test_three_participants_sharing_a_middle_rank() -> None:
    def interval(best: int, worst: int) -> RankInterval:
        return RankInterval(best, worst, 0, 0)

    rows = [[interval(1, 2)], [interval(2, 3)], [interval(2, 2)]]
    result = compare([[row[0], interval(1, 3), interval(1, 3)] for row in rows], 3)

    assert result.agreement[0].common == (2, 2)
    assert result.agreement[0].span == (1, 3)
    assert result.agreement[1].common == (1, 3)


def test_disjoint_pairs_name_every_pair_that_shares_no_rank() -> None:
    def interval(best: int, worst: int) -> RankInterval:
        return RankInterval(best, worst, 0, 0)

    others = [interval(1, 3), interval(1, 3)]
    column = [interval(1, 1), interval(3, 3), interval(1, 2), interval(2, 3)]
    result = compare([[i, *others] for i in column], 3)

    assert result.agreement[0].disjoint_pairs == ((0, 1), (0, 3), (1, 2))


def test_no_participants_gives_empty_summaries() -> None:
    result = compare([], 2)

    assert result.participants == 0
    assert result.agreement[0].median_midpoint is None
    assert result.agreement[0].common is None
    assert result.robust_preference == ((0, 0), (0, 0))


def test_compare_refuses_intervals_that_do_not_fit() -> None:
    with pytest.raises(ValueError):
        compare([[RankInterval(1, 1, 0, 0)]], 2)  # one interval for two options
    with pytest.raises(ValueError):
        compare([[RankInterval(2, 1, 0, 0), RankInterval(1, 1, 0, 0)]], 2)  # best below worst
    with pytest.raises(ValueError):
        compare([], 0)


def test_compare_is_deterministic_and_keeps_the_order_given() -> None:
    first = compare(two_participants(), 3)
    again = compare(two_participants(), 3)
    swapped = compare(list(reversed(two_participants())), 3)

    assert first == again
    assert swapped.agreement[0].disjoint_pairs == ((0, 1),)
    assert swapped.intervals[0] == first.intervals[1]


def test_weight_spread_per_criterion() -> None:
    normalised = [normalise_weights(w) for w in ([1, 1], [3, 1], [1, 0])]

    summary = summarise_weights(np.array(normalised), 2)

    assert summary == [CriterionWeights(0.5, 0.75, 1.0), CriterionWeights(0.0, 0.25, 0.5)]
    assert summarise_weights([], 3) == [None, None, None]


def test_every_ordering_of_equal_options_gives_the_same_intervals() -> None:
    rows = [[10, 20], [10, 20], [30, 40]]
    for order in itertools.permutations(range(3)):
        low = [rows[i] for i in order]
        intervals = rank_intervals([1, 1], low, low)
        by_row = dict(zip(order, spans(intervals), strict=True))
        assert by_row == {0: (2, 2), 1: (2, 2), 2: (1, 1)}


def test_pairs_that_differ_are_counted_for_thousands_and_named_only_when_few() -> None:
    rng = np.random.default_rng(7)
    options = 6
    column = []
    for _ in range(3000):
        best = int(rng.integers(1, options + 1))
        column.append(RankInterval(best, int(rng.integers(best, options + 1)), 0, 0))
    rows = [[interval] + [RankInterval(1, options, 0, 0)] * (options - 1) for interval in column]

    agreement = compare(rows, options).agreement[0]

    disjoint = sum(
        1 for a, b in itertools.combinations(column, 2) if a.worst < b.best or b.worst < a.best
    )
    assert agreement.disjoint_count == disjoint > 10
    assert agreement.disjoint_pairs == ()  # too many to name on the page
