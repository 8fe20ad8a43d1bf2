"""Fair stratified selection of a panel from a volunteer pool (pure: arrays in, results out).

LEXIMIN (Flanigan, Gölz, Gupta, Hennig, Procaccia, "Fair algorithms for selecting citizens'
assemblies", Nature 596, 2021) finds the lottery over quota-satisfying panels that maximises the
smallest selection probability, then the second smallest, and so on. We compute it by column
generation with SciPy's HiGHS: a linear program over the panels found so far, and an integer
program that finds the panel the linear program's duals value most. Both run over *classes* of
interchangeable volunteers (see ``_structure``), which is what makes it fast.
"""

from __future__ import annotations

import enum
import hashlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import pairwise

import highspy
import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from engage.i18n import N_, Message


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


# Panels LEGACY samples to estimate its selection probabilities.
LEGACY_RUNS = 1000

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
    """Why no panel satisfies the quotas, in plain words, and the smallest relaxation that
    would make them feasible (None when even relaxing every quota within its flex bounds
    cannot help)."""

    reasons: list[Message]
    relaxation: list[QuotaChange] | None = field(default=None)


class InfeasibleQuotas(Exception):
    def __init__(self, infeasibility: Infeasibility) -> None:
        super().__init__("; ".join(str(reason) for reason in infeasibility.reasons))
        self.infeasibility = infeasibility


# --- Structure: interchangeable people grouped into classes ---------------------------------------
#
# The leximin-optimal vector of selection probabilities is unique, so it is invariant under every
# permutation of people that maps quota-satisfying panels to quota-satisfying panels. Two people
# with the same value of every feature are such a pair, unless the household rule ties one of them
# to somebody else. So we solve over classes of interchangeable people (with integer counts per
# class) instead of over individuals, which shrinks the integer programs by an order of magnitude,
# and only at the end turn class compositions into panels of named people.


@dataclass
class _Structure:
    n_people: int
    panel_size: int
    members: list[list[int]]  # person indices of each class
    sizes: np.ndarray  # people per class
    lower: np.ndarray  # bounds on how many of a class a panel holds
    upper: np.ndarray
    quota_matrix: sparse.csr_matrix  # quotas x classes: 1 where the class has the quota's value
    quota_min: np.ndarray
    quota_max: np.ndarray
    household_groups: list[list[int]]  # classes of one household: at most one of them selected
    objective: np.ndarray  # bool per class: its probability counts towards the leximin objective

    @property
    def n_classes(self) -> int:
        return len(self.members)

    def constraint_rows(self) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
        """Every panel's constraints on class counts as (matrix, lower, upper): the panel size,
        then each quota, then each household (at most one of its classes)."""
        rows = [sparse.csr_matrix(np.ones((1, self.n_classes)))]
        lows = [np.array([float(self.panel_size)])]
        highs = [np.array([float(self.panel_size)])]
        if self.quota_matrix.shape[0]:
            rows.append(self.quota_matrix)
            lows.append(self.quota_min)
            highs.append(self.quota_max)
        if self.household_groups:
            rows.append(self.household_matrix())
            lows.append(np.zeros(len(self.household_groups)))
            highs.append(np.ones(len(self.household_groups)))
        return sparse.vstack(rows, format="csr"), np.concatenate(lows), np.concatenate(highs)

    def household_matrix(self) -> sparse.csr_matrix:
        data: list[float] = []
        cols: list[int] = []
        ptr = [0]
        for group in self.household_groups:
            cols.extend(group)
            data.extend([1.0] * len(group))
            ptr.append(len(cols))
        return sparse.csr_matrix(
            (data, cols, ptr), shape=(len(self.household_groups), self.n_classes)
        )


def _quota_rows(instance: Instance) -> list[tuple[int, str, Quota]]:
    index = {name: f for f, name in enumerate(instance.features)}
    rows = []
    for quota in instance.quotas:
        if quota.feature not in index:
            raise ValueError(f"quota for unknown feature {quota.feature!r}")
        rows.append((index[quota.feature], quota.value, quota))
    return rows


def _structure(
    instance: Instance,
    *,
    households: bool,
    fixed: Sequence[int] = (),
    excluded: Sequence[int] = (),
) -> _Structure:
    n = len(instance.ids)
    if len(set(instance.ids)) != n:
        raise ValueError("person ids must be unique")
    fixed_set, excluded_set = set(fixed), set(excluded)
    household_of: dict[str, list[int]] = {}
    if households:
        if instance.households is None:
            raise ValueError("the household rule needs a household for every person")
        for person, home in enumerate(instance.households):
            if person not in excluded_set:
                household_of.setdefault(home, []).append(person)

    # People stand alone (a class of their own) when they are fixed, or share a household.
    class_of_key: dict[tuple[str, ...], int] = {}
    members: list[list[int]] = []
    for person in range(n):
        if person in excluded_set:
            continue
        alone = person in fixed_set or (
            households and len(household_of[instance.households[person]]) > 1  # type: ignore[index]
        )
        key = ("#", str(person)) if alone else tuple(instance.values[person])
        if key not in class_of_key:
            class_of_key[key] = len(members)
            members.append([])
        members[class_of_key[key]].append(person)

    sizes = np.array([len(m) for m in members], dtype=float)
    lower = np.array([1.0 if m[0] in fixed_set else 0.0 for m in members])
    upper = sizes.copy()
    rows = _quota_rows(instance)
    data, cols, ptr = [], [], [0]
    for feature, value, _quota in rows:
        for c, group in enumerate(members):
            if instance.values[group[0]][feature] == value:
                cols.append(c)
                data.append(1.0)
        ptr.append(len(cols))
    quota_matrix = sparse.csr_matrix((data, cols, ptr), shape=(len(rows), len(members)))
    person_class = {p: c for c, group in enumerate(members) for p in group}
    groups = [
        sorted({person_class[p] for p in people})
        for people in household_of.values()
        if len(people) > 1
    ]
    return _Structure(
        n_people=n,
        panel_size=instance.panel_size,
        members=members,
        sizes=sizes,
        lower=lower,
        upper=upper,
        quota_matrix=quota_matrix,
        quota_min=np.array([float(q.min) for _, _, q in rows]),
        quota_max=np.array([float(q.max) for _, _, q in rows]),
        household_groups=groups,
        objective=lower == 0,
    )


# --- Integer programs over class counts --------------------------------------------------------


def _quiet_highs() -> highspy.Highs:
    highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("random_seed", 0)
    highs.setOptionValue("threads", 1)  # the same answers on every machine and every run
    return highs


class _Pricer:
    """Finds the quota-satisfying panel composition with the largest total weight.

    One HiGHS model is built once; each call only changes its objective."""

    def __init__(self, structure: _Structure) -> None:
        self.structure = structure
        highs = _quiet_highs()
        highs.setOptionValue("mip_rel_gap", 1e-9)
        highs.setOptionValue("mip_abs_gap", 1e-12)
        # Every incumbent the branch and bound meets is a feasible panel composition; the
        # column generation adds the improving ones too, for the price of one solve.
        highs.setOptionValue("mip_improving_solution_save", True)
        n = structure.n_classes
        highs.addVars(n, structure.lower, structure.upper)
        highs.changeColsIntegrality(
            n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger)
        )
        matrix, lower, upper = structure.constraint_rows()
        highs.addRows(
            matrix.shape[0],
            lower,
            upper,
            matrix.nnz,
            matrix.indptr.astype(np.int32),
            matrix.indices.astype(np.int32),
            matrix.data.astype(float),
        )
        highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.highs = highs
        self.all_columns = np.arange(n, dtype=np.int32)
        # For the local search: which quotas each class counts towards, and its household.
        has = structure.quota_matrix.T.toarray() > 0
        self._has_f = has.astype(float)  # float, so the products below use BLAS
        self._lacks_t = (~has).T.astype(float)
        self._household_of: np.ndarray | None = None
        if structure.household_groups:
            household_of = np.full(n, -1)
            for g, group in enumerate(structure.household_groups):
                household_of[group] = g
            self._household_of = household_of

    def improve(self, counts: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """A quick local search from a feasible composition: repeatedly make the best swap of
        one person of one class for one of another class that keeps every quota and household
        satisfied, while that raises the weight. It saves an integer program whenever it finds
        an improving panel."""
        structure = self.structure
        has_f, lacks_t = self._has_f, self._lacks_t
        counts = counts.copy()
        totals = structure.quota_matrix @ counts
        household_of = self._household_of
        for _ in range(structure.panel_size):
            # Only classes in the panel can give a seat up: rows are those, columns every class.
            leaving = np.flatnonzero(counts > structure.lower)
            at_min = has_f[leaving] * (totals <= structure.quota_min)  # would break a minimum
            at_max = has_f * (totals >= structure.quota_max)  # would break a maximum
            # blocked[i, b]: one of class leaving[i] out and one of class b in breaks a quota.
            blocked = (at_min @ lacks_t) > 0
            blocked |= (lacks_t[:, leaving].T @ at_max.T) > 0
            gain = weights[None, :] - weights[leaving, None]
            gain[blocked] = -np.inf
            gain[:, counts >= structure.upper] = -np.inf
            if household_of is not None:
                load = np.bincount(
                    household_of[household_of >= 0],
                    weights=counts[household_of >= 0],
                    minlength=len(structure.household_groups),
                )
                full = np.flatnonzero(
                    (household_of >= 0) & (load[np.maximum(household_of, 0)] >= 1)
                )
                # A full household takes someone in only in exchange for its own member.
                same_home = household_of[leaving, None] == household_of[None, full]
                gain[:, full] = np.where(same_home, gain[:, full], -np.inf)
            row, into = np.unravel_index(int(np.argmax(gain)), gain.shape)
            if gain[row, into] <= 1e-12:
                break
            out = leaving[row]
            counts[out] -= 1
            counts[into] += 1
            totals += has_f[into] - has_f[out]
        return counts

    def best(self, weights: np.ndarray) -> np.ndarray | None:
        """Class counts maximising weights @ counts, or None if no panel is feasible."""
        highs = self.highs
        highs.clearSolver()
        highs.changeColsCost(len(weights), self.all_columns, np.asarray(weights, dtype=float))
        highs.run()
        status = highs.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return None
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"the solver failed: {highs.modelStatusToString(status)}")
        return np.round(np.array(highs.getSolution().col_value))

    def runners_up(self) -> list[np.ndarray]:
        """The other compositions the last solve of ``best`` found on its way."""
        return [np.round(np.array(saved.col_value)) for saved in self.highs.getSavedMipSolutions()]


# --- LEXIMIN and MAXIMIN by column generation ---------------------------------------------------

# A fixed class keeps at least its fixed probability, less this slack, so rounding in the LP
# solver never makes a later level infeasible.
_FIX_SLACK = 1e-9
# A column improves the restricted LP when its weight beats the dual bound by more than this.
_PRICING_TOLERANCE = 1e-9
# Local searches per round, from the best compositions known so far: each improving one found
# is a column the LP gets without an integer program.
_LOCAL_SEARCH_STARTS = 12
# The restricted LP keeps at most this many columns per row before it forgets unused ones.
_COLUMNS_PER_ROW = 3
# Fixed levels in the relaxation's LPs keep this much room for the solver's rounding.
_RELAXED_SLACK = 1e-8
# The relaxation's LEXIMIN counts as realised when every class reaches this share of it.
_REALISED_TOLERANCE = 1e-6
# How far pricing duals lean towards the best duals seen so far in a level.
_SMOOTHING = 0.7
# Duals above this mark classes whose probability cannot rise above the current level.
_DUAL_TOLERANCE = 1e-7


@dataclass
class _ClassLottery:
    compositions: list[np.ndarray]  # class counts of each panel composition
    probabilities: np.ndarray
    class_probability: np.ndarray  # per person of each class


def _initial_columns(pricer: _Pricer, structure: _Structure) -> list[np.ndarray]:
    """Panels that together include every class that can be selected at all. Without them the
    linear program sits at a minimum of zero for as many rounds as there are uncovered classes;
    with them, column generation starts from a lottery that already gives everyone a chance."""
    first = pricer.best(np.where(structure.objective, 1.0 / structure.sizes, 0.0))
    if first is None:
        raise _NoPanel
    columns = [first]
    covered = first > 0
    while True:
        wanted = structure.objective & ~covered
        if not wanted.any():
            return columns
        column = pricer.best(wanted / structure.sizes)
        if column is None or not (column > 0)[wanted].any():
            return columns  # the rest cannot be selected at all: their level is zero
        columns.append(column)
        covered |= column > 0


class _NoPanel(Exception):
    pass


class _Master:
    """The restricted linear program over the compositions found so far: maximise z, the
    smallest probability among classes not yet fixed, keeping fixed classes at their level.

    Rows: one per class in the objective, then the row making probabilities sum to one.
    Columns: z, then one per composition. New columns and re-solves reuse the last basis."""

    def __init__(self, structure: _Structure, targets: np.ndarray | None = None) -> None:
        """With ``targets`` (a probability per class), z is instead the share of its target
        that every class reaches: z = 1 means the targets themselves are achievable."""
        self.structure = structure
        self.rows = np.flatnonzero(structure.objective)
        self.row_of = {int(c): r for r, c in enumerate(self.rows)}
        highs = _quiet_highs()
        highs.setOptionValue("presolve", "off")  # presolve would throw the warm basis away
        # A new column leaves the basis primal feasible: primal simplex continues from it,
        # with about a quarter of the pivots dual simplex takes on these degenerate LPs.
        highs.setOptionValue("simplex_strategy", 4)
        n_rows = len(self.rows)
        highs.addRows(
            n_rows + 1,
            np.append(np.zeros(n_rows), 1.0),
            np.append(np.full(n_rows, highspy.kHighsInf), 1.0),
            0,
            np.zeros(n_rows + 2, dtype=np.int32),
            np.array([], dtype=np.int32),
            np.array([], dtype=float),
        )
        # z: coefficient -1 (or minus the target) in every free class row, maximised.
        highs.addCol(
            1.0,
            -highspy.kHighsInf,
            highspy.kHighsInf,
            n_rows,
            np.arange(n_rows, dtype=np.int32),
            -np.ones(n_rows) if targets is None else -targets[self.rows],
        )
        highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.highs = highs
        self.columns: list[np.ndarray] = []
        self._stacked = np.zeros((0, structure.n_classes))  # the columns as one array, cached
        self.seen: set[bytes] = set()

    def add(self, counts: np.ndarray) -> None:
        share = counts[self.rows] / self.structure.sizes[self.rows]
        nonzero = np.flatnonzero(share)
        indices = np.append(nonzero, len(self.rows)).astype(np.int32)
        values = np.append(share[nonzero], 1.0)
        self.highs.addCol(0.0, 0.0, highspy.kHighsInf, len(indices), indices, values)
        self.columns.append(counts)
        self.seen.add(counts.tobytes())

    def has(self, counts: np.ndarray) -> bool:
        return counts.tobytes() in self.seen

    def best_known(self, shares: np.ndarray, count: int) -> list[np.ndarray]:
        """The compositions found so far with the largest weights, best first."""
        if len(self._stacked) != len(self.columns):
            self._stacked = np.array(self.columns)
        order = np.argsort(-(self._stacked @ shares), kind="stable")
        return [self.columns[i] for i in order[:count]]

    def fix(self, classes: np.ndarray, value: float) -> None:
        for c in classes:
            row = self.row_of[int(c)]
            self.highs.changeCoeff(row, 0, 0.0)
            self.highs.changeRowBounds(row, value - _FIX_SLACK, highspy.kHighsInf)

    def solve(self) -> tuple[float, np.ndarray, float, np.ndarray]:
        """The level z, the duals of the class rows (per class), the dual bound a new column
        must beat, and the composition probabilities."""
        highs = self.highs
        highs.run()
        status = highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"the LP solver failed: {highs.modelStatusToString(status)}")
        solution = highs.getSolution()
        row_dual = np.array(solution.row_dual)
        duals = np.zeros(self.structure.n_classes)
        # HiGHS reports duals of a maximisation as non-positive for binding >= rows.
        duals[self.rows] = np.abs(row_dual[:-1])
        bound = -row_dual[-1]
        values = np.array(solution.col_value)
        if len(self.columns) > _COLUMNS_PER_ROW * (len(self.rows) + 1):
            forgotten = self._forget_unpromising(values[1:], np.array(solution.col_dual)[1:])
            values = np.delete(values, forgotten + 1)  # they were all zero
        return float(values[0]), duals, float(bound), values[1:]

    def _forget_unpromising(self, weights: np.ndarray, reduced: np.ndarray) -> np.ndarray:
        """Drop the half of the unused columns that the duals value least. A long-lived master
        with thousands of columns spends most of its time in pivots over columns that will
        never return; one that is needed again is simply generated again."""
        unused = np.flatnonzero((weights <= 1e-12) & (np.abs(reduced) > 1e-9))
        worst = unused[np.argsort(-np.abs(reduced[unused]), kind="stable")][: len(unused) // 2]
        worst = np.sort(worst)
        if len(worst) == 0:
            return worst
        self.highs.deleteCols(len(worst), (worst + 1).astype(np.int32))  # column 0 is z
        gone = set(worst.tolist())
        for index in worst:
            self.seen.discard(self.columns[index].tobytes())
        self.columns = [c for i, c in enumerate(self.columns) if i not in gone]
        return worst


def _solve_level(
    structure: _Structure,
    master: _Master,
    pricer: _Pricer,
    fixed_value: np.ndarray,
    progress: Callable[[float], None],
) -> tuple[float, np.ndarray, np.ndarray]:
    """Column generation until no composition can raise the current level.

    Pricing with the raw duals of each restricted LP zig-zags; pricing with duals smoothed
    towards the best ones seen so far (Wentges' stabilisation) finds useful compositions in far
    fewer rounds. Convergence is always confirmed with the raw duals, which are then optimal
    for the full problem, so fixing classes by them stays exact."""
    fixed = ~np.isnan(fixed_value)
    fixed_levels = np.nan_to_num(fixed_value)
    center: np.ndarray | None = None
    best_bound = np.inf
    while True:
        value, duals, bound, weights = master.solve()
        progress(value)
        # Cheap first: improve the best composition we already have.
        shares = duals / structure.sizes
        found_cheaply = False
        for start in master.best_known(shares, _LOCAL_SEARCH_STARTS):
            column = pricer.improve(start, shares)
            if _improves(column, duals, bound, structure, master):
                master.add(column)
                found_cheaply = True
        if found_cheaply:
            continue
        smoothed = duals if center is None else _SMOOTHING * center + (1 - _SMOOTHING) * duals
        found = pricer.best(smoothed / structure.sizes)
        if found is None:
            raise _NoPanel
        column = found
        # Any duals summing to one over the free classes bound the level from above.
        upper = float(smoothed @ (column / structure.sizes) - smoothed[fixed] @ fixed_levels[fixed])
        if upper < best_bound:
            best_bound, center = upper, smoothed
        if not _improves(column, duals, bound, structure, master) and center is not duals:
            found = pricer.best(duals / structure.sizes)  # the smoothed duals mispriced
            if found is None:
                raise _NoPanel
            column = found
        if not _improves(column, duals, bound, structure, master):
            return value, duals, weights
        master.add(column)
        for other in pricer.runners_up():
            if _improves(other, duals, bound, structure, master):
                master.add(other)


def _improves(
    column: np.ndarray, duals: np.ndarray, bound: float, structure: _Structure, master: _Master
) -> bool:
    gain = float(duals @ (column / structure.sizes)) - bound
    return gain > _PRICING_TOLERANCE * max(1.0, abs(bound)) and not master.has(column)


def _relaxed_leximin(structure: _Structure) -> np.ndarray | None:
    """LEXIMIN over the linear relaxation: class counts may be fractional, so the achievable
    probabilities are a polytope given by the quota rows themselves and each level is one
    small linear program. It is an upper bound on the true LEXIMIN, and equals it whenever its
    probabilities can be realised by a lottery over whole panels. None if a solve fails."""
    matrix, lower, upper = structure.constraint_rows()
    n = structure.n_classes
    per_person = sparse.diags(1.0 / structure.sizes)
    fixed = np.full(n, np.nan)
    fixed[~structure.objective] = 0.0  # classes forced in or out take no part
    bounds = [*zip(structure.lower, structure.upper, strict=True), (None, None)]
    no_z = sparse.csr_matrix((matrix.shape[0], 1))
    while np.isnan(fixed).any():
        free = np.isnan(fixed)
        # Variables: counts, then z. Maximise z: count/size >= z (free), >= level (fixed).
        a_ub = sparse.vstack(
            [
                sparse.hstack([-per_person, sparse.csr_matrix(free.astype(float)[:, None])]),
                sparse.hstack([matrix, no_z]),
                sparse.hstack([-matrix, no_z]),
            ],
            format="csr",
        )
        b_ub = np.concatenate(
            [np.where(free, 0.0, -(np.nan_to_num(fixed) - _RELAXED_SLACK)), upper, -lower]
        )
        cost = np.zeros(n + 1)
        cost[-1] = -1.0
        result = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs-ds")
        if result.x is None:
            return None
        level = float(result.x[-1])
        tight = free & (-result.ineqlin.marginals[:n] > _DUAL_TOLERANCE)
        if not tight.any():
            tight = free & (result.x[:n] / structure.sizes <= level + 1e-9)
        fixed[tight] = level
    fixed[~structure.objective] = np.nan
    return fixed


def _class_lottery(
    structure: _Structure,
    *,
    leximin: bool,
    progress: ProgressCallback | None,
) -> _ClassLottery:
    pricer = _Pricer(structure)
    initial = _initial_columns(pricer, structure)
    if leximin:
        realised = _realise_relaxed_leximin(structure, pricer, initial, progress)
        if realised is not None:
            return realised
    master = _Master(structure)
    for column in initial:
        master.add(column)
    fixed_value = np.full(structure.n_classes, np.nan)
    iteration = 0

    def report(value: float) -> None:
        nonlocal iteration
        iteration += 1
        if progress is not None:  # after the first level the minimum is known and stays put
            fixed = fixed_value[~np.isnan(fixed_value)]
            progress(iteration, float(fixed.min()) if len(fixed) else value)

    while True:
        value, duals, weights = _solve_level(structure, master, pricer, fixed_value, report)
        free = structure.objective & np.isnan(fixed_value)
        tight = free & (duals > _DUAL_TOLERANCE)
        if not tight.any():  # numerical corner: the level binds the weakest free classes
            probability = (np.array(master.columns).T / structure.sizes[:, None]) @ weights
            tight = free & (probability <= value + 1e-9)
        fixed_value[tight] = value
        master.fix(np.flatnonzero(tight), value)
        if not leximin or not (structure.objective & np.isnan(fixed_value)).any():
            break
    return _lottery_of(structure, master, weights)


def _lottery_of(structure: _Structure, master: _Master, weights: np.ndarray) -> _ClassLottery:
    probabilities = np.clip(weights, 0.0, None)
    probabilities /= probabilities.sum()
    keep = probabilities > 1e-12
    kept = [c for c, k in zip(master.columns, keep, strict=True) if k]
    probabilities = probabilities[keep] / probabilities[keep].sum()
    class_probability = (np.array(kept).T / structure.sizes[:, None]) @ probabilities
    return _ClassLottery(kept, probabilities, class_probability)


def _realise_relaxed_leximin(
    structure: _Structure,
    pricer: _Pricer,
    initial: list[np.ndarray],
    progress: ProgressCallback | None,
) -> _ClassLottery | None:
    """The fast path: if the relaxation's LEXIMIN probabilities can be realised by a lottery
    over whole panels, they are the true LEXIMIN (the relaxation can only do better, and the
    LEXIMIN point is unique). One column generation, like MAXIMIN's, decides it; on the
    instances we know it succeeds, turning dozens of levels into one. None: use the levels."""
    targets = _relaxed_leximin(structure)
    if targets is None:
        return None
    master = _Master(structure, targets)
    for column in initial:
        master.add(column)
    smallest = float(np.nanmin(targets)) if structure.objective.any() else 0.0
    iteration = 0

    def report(share: float) -> None:
        nonlocal iteration
        iteration += 1
        if progress is not None:
            progress(iteration, max(0.0, share) * smallest)

    unfixed = np.full(structure.n_classes, np.nan)
    share, _, weights = _solve_level(structure, master, pricer, unfixed, report)
    if share < 1 - _REALISED_TOLERANCE:
        return None
    return _lottery_of(structure, master, weights)


# --- From class compositions to panels of people -----------------------------------------------


def _steps(structure: _Structure, counts: np.ndarray) -> dict[int, int]:
    """Rotating classes of a composition and how many windows each steps through."""
    return {
        int(c): int(structure.sizes[c]) // math.gcd(int(counts[c]), int(structure.sizes[c]))
        for c in np.flatnonzero(counts)
        if counts[c] < structure.sizes[c]  # whole classes need no rotation
    }


def _window(structure: _Structure, c: int, count: int, step: int) -> list[int]:
    group = structure.members[c]
    first = step * count
    return [group[(first + r) % len(group)] for r in range(count)]


def _panels_of_composition(
    structure: _Structure, counts: np.ndarray
) -> list[tuple[tuple[int, ...], float]]:
    """Panels (with their share of the composition's probability) that give every member of a
    class the same chance. A class of n members sending c of them takes the window of c
    members starting at position j * c (mod n), for j = 0 .. n/g - 1 with g = gcd(c, n): those
    windows cover every member exactly c/g times. All classes are driven by one uniform number
    u in [0, 1) (j = floor(u * n/g)), so the composition splits into few panels."""
    steps = _steps(structure, counts)
    cuts = {Fraction(0), Fraction(1)}
    for step_count in set(steps.values()):
        cuts.update(Fraction(a, step_count) for a in range(1, step_count))
    points = sorted(cuts)
    always = [
        person
        for c in np.flatnonzero(counts)
        if int(c) not in steps
        for person in structure.members[c]
    ]
    pieces = []
    for start, end in pairwise(points):
        middle = (start + end) / 2
        panel = list(always)
        for c, step_count in steps.items():
            panel.extend(_window(structure, c, int(counts[c]), int(middle * step_count)))
        pieces.append((tuple(sorted(panel)), float(end - start)))
    return pieces


def _people_lottery(
    structure: _Structure, lottery: _ClassLottery
) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """Panels of people whose lottery gives everyone exactly their class's probability, by
    rotating every class over its members within each composition. On large pools this makes
    tens of thousands of panels (41,510 on s1700); reducing them to at most n + 1 with the
    simplex method took longer than the whole LEXIMIN, and nothing downstream needs it: the
    draw uses the lottery rounded to m panels."""
    weights: dict[tuple[int, ...], float] = {}
    for counts, probability in zip(lottery.compositions, lottery.probabilities, strict=True):
        for panel, share in _panels_of_composition(structure, counts):
            weights[panel] = weights.get(panel, 0.0) + probability * share
    panels = sorted(weights)
    return panels, np.array([weights[p] for p in panels])


def _incidence(panels: Sequence[tuple[int, ...]], n_people: int) -> sparse.csc_matrix:
    indices = np.fromiter((p for panel in panels for p in panel), dtype=np.int64)
    indptr = np.zeros(len(panels) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(panel) for panel in panels])
    return sparse.csc_matrix(
        (np.ones(len(indices)), indices, indptr), shape=(n_people, len(panels))
    )


def _distribution(
    algorithm: Algorithm,
    panels: list[tuple[int, ...]],
    probabilities: np.ndarray,
    n_people: int,
    started: float,
) -> Distribution:
    marginals = _incidence(panels, n_people) @ probabilities
    return Distribution(
        algorithm=algorithm,
        panels=panels,
        probabilities=[float(p) for p in probabilities],
        marginals=[float(m) for m in marginals],
        seconds=time.perf_counter() - started,
    )


# --- The public entry points -------------------------------------------------------------------


def select(
    instance: Instance,
    algorithm: Algorithm,
    *,
    households: bool,
    seed: str = "",
    progress: ProgressCallback | None = None,
    legacy_runs: int = LEGACY_RUNS,
) -> Distribution:
    """A lottery over quota-satisfying panels by the chosen algorithm.

    LEXIMIN maximises the smallest selection probability, then the next smallest, and so on
    (Flanigan et al., Nature 2021); MAXIMIN stops after the first level; LEGACY estimates the
    greedy method's lottery from ``legacy_runs`` samples. Raises InfeasibleQuotas."""
    started = time.perf_counter()
    structure = _structure(instance, households=households)
    problem = _infeasibility(instance, structure, households=households)
    if problem is not None:
        raise InfeasibleQuotas(problem)
    if algorithm is Algorithm.LEGACY:
        samples = _legacy_samples(instance, households=households, runs=legacy_runs, seed=seed)
        counts: dict[tuple[int, ...], int] = {}
        for panel in samples:
            counts[panel] = counts.get(panel, 0) + 1
        panels = sorted(counts)
        weights = np.array([counts[p] for p in panels], dtype=float) / len(samples)
        return _distribution(algorithm, panels, weights, len(instance.ids), started)
    lottery = _class_lottery(structure, leximin=algorithm is Algorithm.LEXIMIN, progress=progress)
    panels, probabilities = _people_lottery(structure, lottery)
    return _distribution(algorithm, panels, probabilities, len(instance.ids), started)


def complete_panel(
    instance: Instance,
    *,
    households: bool,
    fixed: Sequence[int],
    excluded: Sequence[int],
    seed: str,
) -> tuple[int, ...]:
    """A fair replacement for people who dropped out: LEXIMIN over the quota-satisfying panels
    that keep everyone in ``fixed`` and nobody in ``excluded``, then one panel drawn from it by
    a number derived from ``seed`` (SHA-256), so the choice can be re-derived later."""
    structure = _structure(instance, households=households, fixed=fixed, excluded=excluded)
    try:
        lottery = _class_lottery(structure, leximin=True, progress=None)
    except _NoPanel:
        raise InfeasibleQuotas(
            Infeasibility(
                [Message(N_("No panel keeps the remaining members and satisfies every quota."))]
            )
        ) from None
    panels, probabilities = _people_lottery(structure, lottery)
    return sample_panel(panels, probabilities, seed)


def sample_panel(
    panels: Sequence[tuple[int, ...]], probabilities: Sequence[float] | np.ndarray, seed: str
) -> tuple[int, ...]:
    """One panel drawn from a lottery by a number in [0, 1) taken from SHA-256 of the seed:
    the same seed always gives the same panel, and anyone can re-derive it."""
    u = int.from_bytes(hashlib.sha256(seed.encode()).digest()) / 2**256
    cumulative = np.cumsum(probabilities)
    return panels[min(int(np.searchsorted(cumulative, u, side="right")), len(panels) - 1)]


# --- Feasibility and the smallest relaxation ---------------------------------------------------


def check_feasibility(instance: Instance, *, households: bool) -> Infeasibility | None:
    """None when some panel satisfies every quota (and the household rule when on); otherwise
    the reasons in plain words and the smallest relaxation of the quotas that would help."""
    return _infeasibility(
        instance, _structure(instance, households=households), households=households
    )


def _infeasibility(
    instance: Instance, structure: _Structure, *, households: bool
) -> Infeasibility | None:
    if _Pricer(structure).best(np.zeros(structure.n_classes)) is not None:
        return None
    reasons = _simple_reasons(instance, households=households)
    relaxation = _smallest_relaxation(instance, structure)
    if relaxation is None:
        reasons.append(
            Message(
                N_("Even relaxing every quota as far as its flexible bounds allow gives no panel.")
            )
        )
    elif not reasons:
        reasons.append(
            Message(
                N_("These quotas cannot all be met together: %(quotas)s."),
                {"quotas": ", ".join(f"{c.feature} = {c.value}" for c in relaxation)},
            )
        )
    return Infeasibility(reasons, relaxation)


def _simple_reasons(instance: Instance, *, households: bool) -> list[Message]:
    k = instance.panel_size
    reasons = []
    if len(instance.ids) < k:
        reasons.append(
            Message(
                N_("The pool has %(n)d volunteers, fewer than the panel size of %(k)d."),
                {"n": len(instance.ids), "k": k},
            )
        )
    by_feature: dict[str, list[Quota]] = {}
    for feature, value, quota in _quota_rows(instance):
        by_feature.setdefault(quota.feature, []).append(quota)
        people = [p for p, values in enumerate(instance.values) if values[feature] == value]
        if households and instance.households is not None:
            available = len({instance.households[p] for p in people})
        else:
            available = len(people)
        if quota.min > available:
            reasons.append(
                Message(
                    N_(
                        "The quota for %(feature)s = %(value)s asks for at least %(min)d "
                        "people, but only %(available)d volunteers with that value can be "
                        "chosen together."
                    ),
                    {
                        "feature": quota.feature,
                        "value": quota.value,
                        "min": quota.min,
                        "available": available,
                    },
                )
            )
    for name, quotas in by_feature.items():
        low = sum(q.min for q in quotas)
        high = sum(q.max for q in quotas)
        if low > k:
            reasons.append(
                Message(
                    N_(
                        "The minimums for %(feature)s add up to %(total)d, more than the "
                        "panel size of %(k)d."
                    ),
                    {"feature": name, "total": low, "k": k},
                )
            )
        if high < k:
            reasons.append(
                Message(
                    N_(
                        "The maximums for %(feature)s add up to %(total)d, fewer than the "
                        "panel size of %(k)d."
                    ),
                    {"feature": name, "total": high, "k": k},
                )
            )
    return reasons


def _smallest_relaxation(instance: Instance, structure: _Structure) -> list[QuotaChange] | None:
    """The integer program: choose a panel and move quota bounds (within their flex limits) so
    the panel satisfies them, minimising the total change."""
    rows = _quota_rows(instance)
    q = len(rows)
    t = structure.n_classes
    k = instance.panel_size
    m = structure.quota_matrix
    eye = sparse.identity(q, format="csr")
    zeros = sparse.csr_matrix((q, q))
    constraints = [
        LinearConstraint(
            sparse.hstack([sparse.csr_matrix(np.ones((1, t))), sparse.csr_matrix((1, 2 * q))]), k, k
        ),
        LinearConstraint(sparse.hstack([m, eye, zeros]), structure.quota_min, np.inf),
        LinearConstraint(sparse.hstack([m, zeros, -eye]), -np.inf, structure.quota_max),
    ]
    if structure.household_groups:
        household = structure.household_matrix()
        constraints.append(
            LinearConstraint(
                sparse.hstack([household, sparse.csr_matrix((household.shape[0], 2 * q))]), 0, 1
            )
        )
    lower_room = np.array(
        [max(0, quota.min - (quota.min_flex or 0)) for _, _, quota in rows], dtype=float
    )
    upper_room = np.array(
        [
            max(0, (k if quota.max_flex is None else max(quota.max_flex, quota.max)) - quota.max)
            for _, _, quota in rows
        ],
        dtype=float,
    )
    result = milp(
        np.concatenate([np.zeros(t), np.ones(2 * q)]),
        integrality=np.ones(t + 2 * q, dtype=int),
        bounds=Bounds(
            np.concatenate([structure.lower, np.zeros(2 * q)]),
            np.concatenate([structure.upper, lower_room, upper_room]),
        ),
        constraints=constraints,
    )
    if result.x is None:
        return None
    lowered = np.round(result.x[t : t + q]).astype(int)
    raised = np.round(result.x[t + q :]).astype(int)
    return [
        QuotaChange(
            quota.feature,
            quota.value,
            quota.min,
            quota.max,
            quota.min - int(lowered[i]),
            quota.max + int(raised[i]),
        )
        for i, (_, _, quota) in enumerate(rows)
        if lowered[i] or raised[i]
    ]


def describe_change(change: QuotaChange) -> str:
    """The change in plain English, for the command line (pages translate their own)."""
    parts = []
    if change.new_min != change.old_min:
        parts.append(f"lower the minimum from {change.old_min} to {change.new_min}")
    if change.new_max != change.old_max:
        parts.append(f"raise the maximum from {change.old_max} to {change.new_max}")
    return f"{change.feature} = {change.value}: " + " and ".join(parts)


# --- LEGACY: the greedy method, for comparison -------------------------------------------------

_LEGACY_ATTEMPTS = 100


def _rng(seed: str) -> np.random.Generator:
    return np.random.default_rng(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8]))


def _legacy_samples(
    instance: Instance, *, households: bool, runs: int, seed: str
) -> list[tuple[int, ...]]:
    """Panels drawn by the greedy method used before LEXIMIN: pick the quota whose unmet
    minimum is largest relative to the volunteers still available for it, pick one of them
    uniformly, remove everyone a full quota (or the household rule) now excludes; once every
    minimum is met, pick uniformly among those still available. Start again when stuck."""
    rows = _quota_rows(instance)
    n, k = len(instance.ids), instance.panel_size
    has = np.zeros((n, len(rows)), dtype=bool)
    for r, (feature, value, _) in enumerate(rows):
        has[:, r] = [values[feature] == value for values in instance.values]
    low = np.array([q.min for _, _, q in rows])
    high = np.array([q.max for _, _, q in rows])
    mates: list[np.ndarray] = [np.array([p]) for p in range(n)]
    if households and instance.households is not None:
        by_key: dict[str, list[int]] = {}
        for p, key in enumerate(instance.households):
            by_key.setdefault(key, []).append(p)
        mates = [np.array(by_key[key]) for key in instance.households]
    has_int = has.astype(np.int64)
    rng = _rng(seed)
    samples: list[tuple[int, ...]] = []
    for _ in range(runs):
        for _attempt in range(_LEGACY_ATTEMPTS):
            panel = _legacy_attempt(has, has_int, low, high, mates, k, rng)
            if panel is not None:
                samples.append(panel)
                break
        else:
            raise InfeasibleQuotas(
                Infeasibility([Message(N_("The greedy method found no panel in 100 attempts."))])
            )
    return samples


def _legacy_attempt(
    has: np.ndarray,
    has_int: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    mates: list[np.ndarray],
    k: int,
    rng: np.random.Generator,
) -> tuple[int, ...] | None:
    available = np.ones(has.shape[0], dtype=bool)
    remaining = has_int.sum(axis=0)
    chosen = np.zeros(has.shape[1], dtype=np.int64)
    panel = []

    def remove(people: np.ndarray) -> None:
        nonlocal remaining
        people = people[available[people]]
        available[people] = False
        remaining = remaining - has_int[people].sum(axis=0)

    for _ in range(k):
        need = low - chosen
        open_quotas = (need > 0) & (remaining > 0)
        if open_quotas.any():
            ratio = np.where(open_quotas, need / np.maximum(remaining, 1), -1.0)
            best = np.flatnonzero(ratio == ratio.max())
            quota = best[rng.integers(len(best))]
            candidates = np.flatnonzero(available & has[:, quota])
        else:
            candidates = np.flatnonzero(available)
        if len(candidates) == 0:
            return None
        person = int(candidates[rng.integers(len(candidates))])
        panel.append(person)
        chosen += has_int[person]
        remove(mates[person])
        full = np.flatnonzero(chosen >= high)
        if len(full):
            remove(np.flatnonzero(available & has[:, full].any(axis=1)))
    if (chosen < low).any() or (chosen > high).any():
        return None
    return tuple(sorted(panel))


def legacy_marginals(
    instance: Instance, *, households: bool, runs: int = LEGACY_RUNS, seed: str = ""
) -> list[float]:
    """Each person's selection probability under LEGACY, estimated from ``runs`` panels."""
    counts = np.zeros(len(instance.ids))
    for panel in _legacy_samples(instance, households=households, runs=runs, seed=seed):
        counts[list(panel)] += 1
    return [float(c) for c in counts / runs]


# --- The fairness report -----------------------------------------------------------------------


@dataclass(frozen=True)
class Fairness:
    minimum: float
    median: float
    gini: float
    at_minimum: int  # people within 1e-6 of the minimum
    uniform: float  # k/n: everyone's chance without quotas
    legacy_minimum: float | None
    deciles: list[float]  # probability at the 0th, 10th, ..., 100th percentile


def gini(values: Sequence[float] | np.ndarray) -> float:
    """The Gini coefficient: 0 when everyone has the same chance, towards 1 when few have all."""
    x = np.sort(np.asarray(values, dtype=float))
    if x.sum() == 0:
        return 0.0
    n = len(x)
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


def fairness(
    distribution: Distribution, instance: Instance, *, legacy: Sequence[float] | None = None
) -> Fairness:
    marginals = np.array(distribution.marginals)
    minimum = float(marginals.min())
    return Fairness(
        minimum=minimum,
        median=float(np.median(marginals)),
        gini=gini(marginals),
        at_minimum=int((marginals <= minimum + 1e-6).sum()),
        uniform=instance.panel_size / len(instance.ids),
        legacy_minimum=None if legacy is None else float(min(legacy)),
        deciles=[float(v) for v in np.percentile(marginals, np.arange(0, 101, 10))],
    )
