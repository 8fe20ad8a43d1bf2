"""The selection algorithms: LEXIMIN against brute force and against the published optima, the
guarantees every lottery must keep, infeasibility with its smallest relaxation, LEGACY, and the
fair replacement of people who drop out. Pure: no app, no database."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linprog

from engage.juries import pooldata, selection
from engage.juries.selection import (
    Algorithm,
    Distribution,
    InfeasibleQuotas,
    Instance,
    Quota,
    check_feasibility,
    complete_panel,
    fairness,
    gini,
    legacy_marginals,
    sample_panel,
    select,
)

DATA = Path(__file__).parent / "data"


def load(folder: str, people: str, quotas: str, panel_size: int) -> Instance:
    return pooldata.read_pool(
        (DATA / folder / people).read_bytes(), (DATA / folder / quotas).read_bytes()
    ).instance(panel_size)


def satisfies_quotas(instance: Instance, panel: Sequence[int], *, households: bool) -> bool:
    if len(set(panel)) != instance.panel_size or len(panel) != instance.panel_size:
        return False
    column = {name: f for f, name in enumerate(instance.features)}
    for quota in instance.quotas:
        count = sum(instance.values[p][column[quota.feature]] == quota.value for p in panel)
        if not quota.min <= count <= quota.max:
            return False
    if households:
        assert instance.households is not None
        homes = [instance.households[p] for p in panel]
        if len(set(homes)) != len(homes):
            return False
    return True


def assert_valid_lottery(
    instance: Instance, distribution: Distribution, *, households: bool
) -> None:
    """What every lottery must keep: quota-satisfying panels, probabilities summing to one,
    marginals that are exactly what the panels give."""
    assert len(distribution.panels) == len(distribution.probabilities)
    assert all(p >= 0 for p in distribution.probabilities)
    assert sum(distribution.probabilities) == pytest.approx(1.0, abs=1e-9)
    for panel in distribution.panels:
        assert list(panel) == sorted(panel)
        assert satisfies_quotas(instance, panel, households=households)
    expected = np.zeros(len(instance.ids))
    for panel, probability in zip(distribution.panels, distribution.probabilities, strict=True):
        expected[list(panel)] += probability
    assert np.allclose(distribution.marginals, expected, atol=1e-9)
    assert sum(distribution.marginals) == pytest.approx(instance.panel_size, abs=1e-6)


# --- Brute force: every panel, LEXIMIN level by level ------------------------------------------


def all_panels(instance: Instance, *, households: bool) -> list[tuple[int, ...]]:
    return [
        panel
        for panel in itertools.combinations(range(len(instance.ids)), instance.panel_size)
        if satisfies_quotas(instance, panel, households=households)
    ]


def brute_force_leximin(instance: Instance, *, households: bool) -> list[float]:
    """Sorted LEXIMIN probabilities by the textbook method over the full list of panels: fix
    the people whose probability cannot rise above each level, one linear program at a time."""
    panels = all_panels(instance, households=households)
    n = len(instance.ids)
    incidence = np.zeros((n, len(panels)))
    for j, panel in enumerate(panels):
        incidence[list(panel), j] = 1
    fixed: dict[int, float] = {}
    while len(fixed) < n:
        free = [i for i in range(n) if i not in fixed]
        # max z: incidence @ x >= z (free), >= fixed value (fixed), sum x = 1.
        cost = np.append(np.zeros(len(panels)), -1.0)
        a_ub = np.hstack([-incidence, np.array([[1.0] if i in free else [0.0] for i in range(n)])])
        b_ub = np.array([-fixed[i] + 1e-10 if i in fixed else 0.0 for i in range(n)])
        a_eq = np.append(np.ones(len(panels)), 0.0)[None, :]
        bounds = [(0, None)] * len(panels) + [(None, None)]
        level = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[1], bounds=bounds)
        assert level.x is not None
        z = level.x[-1]
        # A free person sits at this level if their probability cannot exceed it.
        for i in free:
            raise_i = np.zeros(len(panels) + 1)
            raise_i[:-1] = -incidence[i]
            rows = a_ub.copy()
            rows[:, -1] = 0
            bound = b_ub.copy()
            for other in free:
                bound[other] = -(z - 1e-9)
            best = linprog(raise_i, A_ub=rows, b_ub=bound, A_eq=a_eq, b_eq=[1], bounds=bounds)
            assert best.fun is not None
            if -best.fun <= z + 1e-7:
                fixed[i] = z
    return sorted(fixed.values())


def tiny_instance(seed: int, *, n: int = 9, k: int = 4) -> Instance:
    rng = np.random.default_rng(seed)
    genders = ["f", "m"]
    ages = ["young", "middle", "old"]
    values = [
        [str(rng.choice(genders)), str(rng.choice(ages, p=[0.2, 0.3, 0.5]))] for _ in range(n)
    ]
    quotas = [
        Quota("gender", "f", 1, 3),
        Quota("gender", "m", 1, 3),
        Quota("age", "young", 1, 2),
        Quota("age", "middle", 1, 2),
        Quota("age", "old", 1, 2),
    ]
    households = [f"h{rng.integers(0, n - 2)}" for _ in range(n)]
    return Instance([f"p{i}" for i in range(n)], ["gender", "age"], values, quotas, k, households)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("households", [False, True])
def test_leximin_matches_brute_force_at_every_level(seed: int, households: bool) -> None:
    instance = tiny_instance(seed)
    if not all_panels(instance, households=households):
        pytest.skip("this random pool has no feasible panel")  # the seeds below all have one
    distribution = select(instance, Algorithm.LEXIMIN, households=households)
    assert_valid_lottery(instance, distribution, households=households)
    expected = brute_force_leximin(instance, households=households)
    assert sorted(distribution.marginals) == pytest.approx(expected, abs=1e-6)


def odd_quota_instance(seed: int) -> Instance:
    """Three features and uneven quotas: pools where fractional panels can do better than
    whole ones, so the linear relaxation's LEXIMIN is not achievable."""
    rng = np.random.default_rng(seed)
    values = [[str(rng.integers(3)), str(rng.integers(2)), str(rng.integers(3))] for _ in range(9)]
    quotas = []
    for feature, count in zip("abc", (3, 2, 3), strict=True):
        for value in range(count):
            low = int(rng.integers(0, 2))
            quotas.append(Quota(feature, str(value), low, low + int(rng.integers(0, 3))))
    return Instance([f"p{i}" for i in range(9)], ["a", "b", "c"], values, quotas, 4)


@pytest.mark.parametrize("seed", [1151, 1250])
def test_leximin_is_exact_where_the_relaxation_overpromises(seed: int) -> None:
    """The fast path (realising the relaxation's LEXIMIN) must give way to the level-by-level
    method here, and the answer must still be the exact LEXIMIN."""
    instance = odd_quota_instance(seed)
    expected = brute_force_leximin(instance, households=False)
    structure = selection._structure(instance, households=False)
    relaxed = selection._relaxed_leximin(structure)
    assert relaxed is not None
    per_person = sorted(np.repeat(relaxed, structure.sizes.astype(int)))
    assert not np.allclose(per_person, expected, atol=1e-6)  # the relaxation overpromises
    distribution = select(instance, Algorithm.LEXIMIN, households=False)
    assert_valid_lottery(instance, distribution, households=False)
    assert sorted(distribution.marginals) == pytest.approx(expected, abs=1e-6)


def test_tiny_instances_used_above_are_feasible() -> None:
    """Guards the skip above: the parametrised seeds must exercise the algorithm."""
    for seed in range(6):
        for households in (False, True):
            assert all_panels(tiny_instance(seed), households=households)


def test_maximin_reaches_the_first_leximin_level_only() -> None:
    instance = tiny_instance(3)
    maximin = select(instance, Algorithm.MAXIMIN, households=False)
    assert_valid_lottery(instance, maximin, households=False)
    expected = brute_force_leximin(instance, households=False)
    assert maximin.min_probability == pytest.approx(expected[0], abs=1e-6)


# --- The published optima ----------------------------------------------------------------------

REFERENCE = [
    ("example_small_20", "respondents.csv", "categories.csv", 20, 0.100000),
    ("example_large_200", "respondents.csv", "categories.csv", 200, 0.100000),
    ("scotland_150", "candidates.csv", "features.csv", 22, 0.090909),
    ("s300", "people.csv", "quotas.csv", 30, 0.069930),
]


@pytest.mark.parametrize(("folder", "people", "quotas", "k", "optimum"), REFERENCE)
@pytest.mark.parametrize("algorithm", [Algorithm.LEXIMIN, Algorithm.MAXIMIN])
def test_minimum_probability_equals_the_published_optimum(
    folder: str, people: str, quotas: str, k: int, optimum: float, algorithm: Algorithm
) -> None:
    instance = load(folder, people, quotas, k)
    distribution = select(instance, algorithm, households=False)
    assert_valid_lottery(instance, distribution, households=False)
    assert distribution.min_probability == pytest.approx(optimum, abs=1e-5)


def test_household_rule_is_kept_in_every_panel() -> None:
    instance = load("s300", "people.csv", "quotas.csv", 30)
    distribution = select(instance, Algorithm.MAXIMIN, households=True)
    assert_valid_lottery(instance, distribution, households=True)
    assert distribution.min_probability == pytest.approx(0.069930, abs=1e-5)


def test_leximin_is_deterministic() -> None:
    instance = load("scotland_150", "candidates.csv", "features.csv", 22)
    first = select(instance, Algorithm.LEXIMIN, households=True)
    second = select(instance, Algorithm.LEXIMIN, households=True)
    assert first.panels == second.panels
    assert first.probabilities == second.probabilities


def test_progress_reports_iterations_and_the_current_minimum() -> None:
    instance = load("scotland_150", "candidates.csv", "features.csv", 22)
    seen: list[tuple[int, float]] = []
    select(instance, Algorithm.LEXIMIN, households=False, progress=lambda i, m: seen.append((i, m)))
    assert [i for i, _ in seen] == list(range(1, len(seen) + 1))
    assert seen[-1][1] == pytest.approx(0.090909, abs=1e-5)


# --- LEGACY and the fairness report ------------------------------------------------------------


def test_legacy_gives_some_volunteers_far_less_than_leximin() -> None:
    instance = load("example_small_20", "respondents.csv", "categories.csv", 20)
    legacy = legacy_marginals(instance, households=False, runs=2000, seed="test")
    assert sum(legacy) == pytest.approx(20)
    assert min(legacy) < 0.05  # the paper's estimate is 1.1%; LEXIMIN gives everyone 10%
    leximin = select(instance, Algorithm.LEXIMIN, households=False)
    report = fairness(leximin, instance, legacy=legacy)
    assert report.minimum == pytest.approx(0.1, abs=1e-6)
    assert report.uniform == pytest.approx(0.1)
    assert report.legacy_minimum == min(legacy)
    assert report.at_minimum == 200
    assert report.gini == pytest.approx(0.0, abs=1e-6)
    assert report.deciles[0] == pytest.approx(report.minimum)


def test_legacy_panels_satisfy_the_quotas_and_repeat_with_the_seed() -> None:
    instance = load("scotland_150", "candidates.csv", "features.csv", 22)
    first = select(instance, Algorithm.LEGACY, households=True, seed="s", legacy_runs=100)
    assert_valid_lottery(instance, first, households=True)
    again = select(instance, Algorithm.LEGACY, households=True, seed="s", legacy_runs=100)
    assert first.marginals == again.marginals


def test_gini() -> None:
    assert gini([0.5, 0.5, 0.5]) == 0.0
    assert gini([0.0, 0.0, 0.0, 1.0]) == pytest.approx(0.75)


# --- Infeasible quotas -------------------------------------------------------------------------


def test_feasible_quotas_have_no_complaint() -> None:
    assert check_feasibility(tiny_instance(0), households=False) is None


def test_conflicting_quotas_are_explained_and_the_smallest_relaxation_proposed() -> None:
    instance = load("scotland_150", "candidates.csv", "features.csv", 22)
    quotas = [
        Quota(q.feature, q.value, 9, 12) if q.value == "16-29" else q for q in instance.quotas
    ]  # 9 young + at least 5 in each of the three other age bands = 24 > 22
    tight = Instance(instance.ids, instance.features, instance.values, quotas, 22)
    problem = check_feasibility(tight, households=False)
    assert problem is not None
    assert any("age_bracket" in str(reason) for reason in problem.reasons)
    assert problem.relaxation is not None
    assert (
        sum(abs(c.new_min - c.old_min) + abs(c.new_max - c.old_max) for c in problem.relaxation)
        == 2
    )
    relaxed = {(c.feature, c.value): c for c in problem.relaxation}
    applied = [
        Quota(
            q.feature,
            q.value,
            relaxed[q.feature, q.value].new_min,
            relaxed[q.feature, q.value].new_max,
        )
        if (q.feature, q.value) in relaxed
        else q
        for q in quotas
    ]
    fixed = Instance(instance.ids, instance.features, instance.values, applied, 22)
    assert check_feasibility(fixed, households=False) is None
    with pytest.raises(InfeasibleQuotas):
        select(tight, Algorithm.LEXIMIN, households=False)


def test_relaxation_respects_flex_bounds() -> None:
    instance = tiny_instance(1)
    quotas = [Quota("gender", "f", 4, 4, min_flex=4, max_flex=4)] + [
        Quota(q.feature, q.value, q.min, q.max) for q in instance.quotas[1:]
    ]
    impossible = Instance(
        instance.ids, instance.features, instance.values, quotas, 4, instance.households
    )
    problem = check_feasibility(impossible, households=False)
    assert problem is not None
    assert all(c.value != "f" for c in problem.relaxation or [])


def test_a_pool_smaller_than_the_panel_is_explained() -> None:
    instance = tiny_instance(0, n=3, k=4)
    problem = check_feasibility(instance, households=False)
    assert problem is not None
    assert "fewer than the panel size" in str(problem.reasons[0])


# --- Replacements ------------------------------------------------------------------------------


def test_replacement_keeps_the_confirmed_and_every_quota() -> None:
    instance = load("scotland_150", "candidates.csv", "features.csv", 22)
    distribution = select(instance, Algorithm.LEXIMIN, households=False)
    panel = sample_panel(distribution.panels, distribution.probabilities, "draw")
    dropped = panel[:2]
    staying = panel[2:]
    replacement = complete_panel(
        instance, households=False, fixed=staying, excluded=dropped, seed="replacement-1"
    )
    assert set(staying) <= set(replacement)
    assert not set(dropped) & set(replacement)
    assert satisfies_quotas(instance, replacement, households=False)
    again = complete_panel(
        instance, households=False, fixed=staying, excluded=dropped, seed="replacement-1"
    )
    assert again == replacement


def test_impossible_replacement_raises() -> None:
    instance = tiny_instance(2)
    panel = all_panels(instance, households=False)[0]
    everyone_else = [p for p in range(len(instance.ids)) if p not in panel]
    with pytest.raises(InfeasibleQuotas):
        complete_panel(
            instance,
            households=False,
            fixed=panel[1:],
            excluded=[panel[0], *everyone_else],
            seed="x",
        )
