"""A transparent, verifiable draw from a selection distribution (pure: no Flask, no database).

Two parts:

1. **Rounding** (:func:`round_to_uniform`). LEXIMIN gives a distribution over panels with
   arbitrary real probabilities, which nobody can draw from by hand. Following Flanigan, Kehne and
   Procaccia, "Fair Sortition Made Transparent" (NeurIPS 2021), it is rounded to a *uniform*
   lottery over ``m`` panels (repeats allowed): each panel P of the support gets an integer number
   of copies close to ``m * p(P)``. The rounding is Beck-Fiala iterative rounding (each round
   moves to a vertex of a linear program, found by simplex-style crossover), so every person's
   selection probability moves by less than ``k / m`` (k: the panel size); a bounded local
   improvement then raises the smallest probability where it can.

2. **Commit and reveal** (:func:`make_bundle`, :func:`commitment`, :func:`panel_index`,
   :func:`verify`). The ``m`` panels go into a canonical JSON bundle together with the
   pseudonymised pool and the quotas; its SHA-256 is published before a public random value
   exists. Once the value is public, the chosen panel follows from it by a hash-to-index rule
   anyone can recompute from the bundle alone. The rule is written out in plain English inside
   every bundle (``PROCEDURE``).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import linalg, sparse
from scipy.linalg import lapack

from engage.juries.selection import Quota

BUNDLE_FORMAT = "engage-draw-bundle/1"
DEFAULT_PANELS = 1000

# Values within this distance of an integer count as that integer (floating-point noise).
_INTEGRAL_TOLERANCE = 1e-6
# Column replacements kept as rank-one terms before they are folded into the basis inverse.
_FOLD = 64
# The local improvement looks for a move at most this many times (each move shifts one copy).
_IMPROVEMENT_SEARCHES = 500

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


# --- Rounding to a uniform lottery --------------------------------------------------------------


def round_to_uniform(
    panels: Sequence[tuple[int, ...]],
    probabilities: Sequence[float],
    n_people: int,
    m: int = DEFAULT_PANELS,
) -> list[tuple[int, ...]]:
    """Round a distribution over panels to a uniform lottery over exactly ``m`` panels.

    Returns ``m`` panels (sorted tuples of person indices, sorted lexicographically, repeats
    adjacent), each one a panel of the given support. The result depends only on the input:
    the same distribution always gives the same list.

    Guarantee (Beck-Fiala): with k the largest panel size, every person's share of the ``m``
    panels differs from their probability under the given distribution by less than ``k / m``.
    In practice the difference is far smaller, and a local improvement then raises the smallest
    share where it can without breaking that guarantee.

    Raises ValueError when the input is not a distribution over panels of people
    ``0 .. n_people - 1``.
    """
    if m < 1:
        raise ValueError("m, the number of panels in the lottery, must be at least 1.")
    support, probs = _normalise_distribution(panels, probabilities, n_people)
    k = max(len(panel) for panel in support)
    incidence = _incidence(support, n_people)  # people x panels, CSC
    targets = m * probs
    copies = _beck_fiala(incidence, targets, m, k)
    wanted = incidence @ targets  # m x each person's probability
    band = float(np.max(np.abs(incidence @ copies - wanted)))
    copies = _improve_minimum(incidence, copies, wanted, min(band, k - 1e-6))
    result: list[tuple[int, ...]] = []
    for panel, count in zip(support, copies.tolist(), strict=True):
        result.extend([panel] * count)
    assert len(result) == m
    return result


def lottery_marginals(panels: Sequence[tuple[int, ...]], n_people: int) -> list[float]:
    """The share of ``panels`` containing each person 0 .. n_people - 1."""
    if not panels:
        raise ValueError("A lottery needs at least one panel.")
    counts = np.zeros(n_people, dtype=np.int64)
    for panel in panels:
        for person in panel:
            if not 0 <= person < n_people:
                raise ValueError(f"Panel member {person} is not a person 0 .. {n_people - 1}.")
        counts[list(panel)] += 1
    return [float(count) / len(panels) for count in counts.tolist()]


def rounding_loss(
    original_marginals: Sequence[float], lottery_panels: Sequence[tuple[int, ...]], n_people: int
) -> float:
    """How much the smallest selection probability drops by rounding to the lottery.

    ``min(original_marginals) - min(lottery_marginals(lottery_panels))``; negative if it rose."""
    if len(original_marginals) != n_people:
        raise ValueError("There must be one original marginal per person.")
    return float(min(original_marginals)) - min(lottery_marginals(lottery_panels, n_people))


def _normalise_distribution(
    panels: Sequence[tuple[int, ...]], probabilities: Sequence[float], n_people: int
) -> tuple[list[tuple[int, ...]], FloatArray]:
    """The support as sorted, distinct, sorted panels with positive probabilities summing to 1."""
    if n_people < 1:
        raise ValueError("There must be at least one person.")
    if len(panels) != len(probabilities):
        raise ValueError("There must be one probability per panel.")
    merged: dict[tuple[int, ...], float] = {}
    for panel, probability in zip(panels, probabilities, strict=True):
        p = float(probability)
        if not math.isfinite(p) or p < -1e-9:
            raise ValueError(f"Probability {probability!r} is not a number between 0 and 1.")
        members = tuple(sorted(int(person) for person in panel))
        if not members:
            raise ValueError("A panel must have at least one member.")
        if len(set(members)) != len(members):
            raise ValueError(f"Panel {members} names someone twice.")
        if members[0] < 0 or members[-1] >= n_people:
            raise ValueError(f"Panel {members} names someone outside 0 .. {n_people - 1}.")
        merged[members] = merged.get(members, 0.0) + max(p, 0.0)
    total = sum(merged.values())
    if not abs(total - 1.0) <= 1e-6:
        raise ValueError(f"The probabilities sum to {total:.9g}, not 1.")
    support = sorted(panel for panel, p in merged.items() if p > 0.0)
    probs = np.array([merged[panel] for panel in support], dtype=np.float64)
    return support, probs / probs.sum()


def _incidence(support: Sequence[tuple[int, ...]], n_people: int) -> sparse.csc_array:
    """The 0/1 matrix with a row per person and a column per panel (1: the person is in it)."""
    indptr = np.zeros(len(support) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(panel) for panel in support])
    indices = np.fromiter(
        (person for panel in support for person in panel), dtype=np.int64, count=int(indptr[-1])
    )
    data = np.ones(len(indices), dtype=np.float64)
    return sparse.csc_array((data, indices, indptr), shape=(n_people, len(support)))


def _beck_fiala(incidence: sparse.csc_array, targets: FloatArray, m: int, k: int) -> IntArray:
    """Integer copies per panel, summing to exactly ``m``, by Beck-Fiala iterative rounding.

    x starts at ``targets`` (m x the probabilities). Each round takes the fractional x and holds
    fixed a set of rows: the sum of all x, every person who is in more than ``k`` fractional
    panels, and (to keep more people exact for longer) further people, lowest target first, up
    to half the number of fractional x; people in the same fractional panels share a row. It
    then moves x, within floors and ceilings, to a vertex of that polytope
    (:func:`_crossover`), where at most as many x are fractional as there are independent
    rows. There are always fewer rows than fractional x (a column has at most k
    person entries, and two distinct panels share at most k - 1 people), so every round makes
    some x integral. A person's row is dropped only once they are in at most k fractional
    panels, each of which then moves by less than 1: their count drifts by less than k in
    total, their share by less than k / m.
    """
    x = targets.copy()
    _snap(x)
    wanted = incidence @ targets
    by_want = np.argsort(wanted, kind="stable")
    while True:
        fractional = np.flatnonzero(x != np.round(x))
        if len(fractional) < 2:
            break
        sub = incidence[:, fractional].tocsr()
        per_person = np.diff(sub.indptr)
        # People in the same fractional panels share one row: hold it once, for all of them.
        group = _same_rows(sub)
        tight = per_person > k
        held_tight = np.flatnonzero(tight & (group == np.arange(len(group))))
        budget = max(len(held_tight), len(fractional) // 2 - 1)
        candidates = group[by_want[(per_person[by_want] >= 2) & ~tight[by_want]]]
        _, first = np.unique(candidates, return_index=True)
        extra = candidates[np.sort(first)][: budget - len(held_tight)]
        kept = np.sort(np.concatenate([held_tight, extra]))
        rows = np.vstack([np.ones((1, len(fractional))), sub[kept].toarray()])
        floors = np.floor(x[fractional])
        y = x[fractional] - floors
        free = ~np.isin(group, kept) & (per_person > 0)
        drift = incidence @ x - wanted
        x[fractional] = floors + _crossover(rows, y, sub[free], drift[free])
        _snap(x)
        if np.count_nonzero(x != np.round(x)) >= len(fractional):
            break  # no progress: only floating-point trouble can cause this; round below
    copies = np.floor(x + 0.5).astype(np.int64)
    _fix_total(copies, targets, m)
    return copies


def _same_rows(matrix: sparse.csr_array) -> IntArray:
    """For each row of a 0/1 matrix, the first row equal to it."""
    first: dict[bytes, int] = {}
    group = np.empty(matrix.shape[0], dtype=np.int64)
    for row in range(matrix.shape[0]):
        key = matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]].tobytes()
        group[row] = first.setdefault(key, row)
    return group


def _fractional_mask(values: FloatArray) -> npt.NDArray[np.bool_]:
    return np.abs(values - np.round(values)) > _INTEGRAL_TOLERANCE


def _snap(x: FloatArray) -> None:
    """Make values within the tolerance of an integer exactly that integer (in place)."""
    near = ~_fractional_mask(x)
    x[near] = np.round(x[near])


def _independent(matrix: FloatArray) -> tuple[IntArray, IntArray]:
    """Indices of a largest set of independent rows and of as many columns that, together,
    form an invertible square block of ``matrix`` (rows x columns, fewer rows than columns)."""
    # Usually the rows are independent, and LU with partial pivoting finds the columns.
    rows = np.arange(matrix.shape[0])
    columns = _pivot_columns(matrix)
    if columns is not None:
        return rows, columns
    # Some rows depend on others (a quota that fixes how many of a group sit on every panel
    # can do that). Cholesky with pivoting of the Gram matrix finds a largest independent set.
    gram = matrix @ matrix.T
    tolerance = 1e-10 * float(np.max(np.diag(gram)))
    _, order, rank, _ = lapack.dpstrf(gram, tol=tolerance)
    rows = np.sort(np.asarray(order[:rank], dtype=np.int64) - 1)
    columns = _pivot_columns(matrix[rows])
    if columns is not None:
        return rows, columns
    # Last resort, slow but sure: QR with column pivoting.
    upper, order = linalg.qr(matrix, mode="r", pivoting=True)
    diagonal = np.abs(np.diag(upper))
    rank = int(np.count_nonzero(diagonal > 1e-9 * max(float(diagonal[0]), 1.0)))
    columns = np.asarray(order[:rank], dtype=np.int64)
    # Partial pivoting on that full-column-rank block picks as many independent rows.
    permutation, _, _ = linalg.lu(matrix[:, columns], p_indices=True)
    return np.flatnonzero(permutation < rank), columns


def _pivot_columns(matrix: FloatArray) -> IntArray | None:
    """Columns that make an invertible block with all rows of ``matrix``, or None if its rows
    are not (numerically) independent: LU with partial pivoting of its transpose."""
    # With p_indices, A = L[p] @ U: row i of A is a pivot row when p[i] < the rank.
    permutation, _, upper = linalg.lu(matrix.T, p_indices=True)
    pivots = np.abs(np.diag(upper))
    if pivots.min() <= 1e-7 * max(float(pivots.max()), 1.0):
        return None
    return np.flatnonzero(permutation < matrix.shape[0])


def _crossover(
    rows: FloatArray, y: FloatArray, free: sparse.csr_array, drift: FloatArray
) -> FloatArray:
    """Move y in [0, 1]^F, keeping ``rows @ y`` fixed, to a point where at most rank(rows) values
    are fractional (a vertex), the way simplex crossover does.

    A basis B of independent columns is chosen; every other fractional value j in turn is
    pushed towards 0 or 1 while the basic values compensate (direction -B⁻¹a_j), until j or a
    basic value reaches a bound; a basic value that does leaves the basis and j takes its place.
    Of the two directions, each push takes the one that leaves the people whose rows are not
    held (``free``: their rows of the incidence matrix, people x F; ``drift``: their count
    minus their target) closest to their targets in the sum of squares."""
    y = y.copy()
    drift = drift.copy()
    independent_rows, basis = _independent(rows)
    a = sparse.csc_array(rows[independent_rows])
    inverse = _BasisInverse(rows[np.ix_(independent_rows, basis)])
    is_basic = np.zeros(len(y), dtype=bool)
    is_basic[basis] = True
    direction = np.zeros(len(y))
    for j in range(len(y)):
        if is_basic[j] or not 0.0 < y[j] < 1.0:
            continue
        w = inverse.solve(a.indices[a.indptr[j] : a.indptr[j + 1]])
        w[np.abs(w) < 1e-9] = 0.0  # too small to pivot on safely
        # Moving y_j up by t moves the basic values by -t w and the free people by t * effect.
        direction[basis] = -w
        direction[j] = 1.0
        effect = free @ direction
        direction[basis] = 0.0
        direction[j] = 0.0
        best: tuple[float, float, int] | None = None  # (score, signed step, leaving position)
        for sign in (1.0, -1.0):
            own = 1.0 - y[j] if sign > 0 else y[j]
            change = -sign * w
            with np.errstate(divide="ignore", invalid="ignore"):
                room = np.where(
                    change > 0,
                    (1.0 - y[basis]) / change,
                    np.where(change < 0, -y[basis] / change, np.inf),
                )
            leaving = int(np.argmin(room))
            step, leaves = (own, -1) if own <= room[leaving] else (float(room[leaving]), leaving)
            moved = sign * max(step, 0.0)
            score = 2.0 * moved * float(drift @ effect) + moved * moved * float(effect @ effect)
            if best is None or score < best[0]:
                best = (score, moved, leaves)
        assert best is not None
        _, moved, leaves = best
        y[j] += moved
        y[basis] -= moved * w
        np.clip(y, 0.0, 1.0, out=y)
        drift += moved * effect
        if leaves < 0:
            y[j] = round(y[j])
            continue
        # The basic value at position ``leaves`` reached a bound: it leaves, j enters.
        old = basis[leaves]
        y[old] = round(y[old])
        is_basic[old] = False
        is_basic[j] = True
        basis[leaves] = j
        inverse.replace(leaves, w)
    return y


class _BasisInverse:
    """The inverse of a basis matrix B (r x r) whose columns get replaced one at a time.

    Kept as B0⁻¹ - Σ u_s v_sᵀ, one rank-one term per replacement, folded into B0⁻¹ with one
    matrix product every ``_FOLD`` replacements. For the 0/1 columns of the rounding, a solve
    then costs O(r (k + t)) and a replacement O(r t) instead of the O(r²) of updating an
    explicit inverse (which at r ≈ 1000 dominated the run time). The per-step work avoids BLAS
    (sums and einsum): on a busy machine a multithreaded BLAS on such small products is many
    times slower than one core."""

    def __init__(self, matrix: FloatArray) -> None:
        # Row i of ``columns`` is column i of B0⁻¹, so a solve gathers contiguous rows.
        self.columns = np.ascontiguousarray(np.linalg.inv(matrix).T)
        size = len(matrix)
        self.u = np.zeros((_FOLD, size))
        self.v = np.zeros((_FOLD, size))
        self.terms = 0

    def solve(self, ones: npt.NDArray[np.integer[Any]]) -> FloatArray:
        """B⁻¹ a for the 0/1 column a with ones in the rows ``ones``."""
        w: FloatArray = self.columns[ones].sum(axis=0)
        if self.terms:
            weights = self.v[: self.terms, ones].sum(axis=1)
            w -= np.einsum("s,si->i", weights, self.u[: self.terms])
        return w

    def replace(self, position: int, w: FloatArray) -> None:
        """Column ``position`` of B becomes the column a, where w = B⁻¹ a (before the change).

        The new inverse is B⁻¹ - (w - e_p) ⊗ (row p of B⁻¹) / w_p."""
        row = self.columns[:, position].copy()
        if self.terms:
            row -= np.einsum("s,si->i", self.u[: self.terms, position], self.v[: self.terms])
        self.v[self.terms] = row / w[position]
        self.u[self.terms] = w
        self.u[self.terms, position] -= 1.0
        self.terms += 1
        if self.terms == _FOLD:
            self.columns -= self.v.T @ self.u
            self.terms = 0


def _fix_total(copies: IntArray, targets: FloatArray, m: int) -> None:
    """Bring the total to exactly m (only ever needed after floating-point noise), in place."""
    while copies.sum() > m:
        candidates = np.flatnonzero(copies > 0)
        worst = candidates[np.argmax(copies[candidates] - targets[candidates])]
        copies[worst] -= 1
    while copies.sum() < m:
        copies[np.argmin(copies - targets)] += 1


def _improve_minimum(
    incidence: sparse.csc_array, copies: IntArray, wanted: FloatArray, band: float
) -> IntArray:
    """Move single copies between panels while that raises the smallest count of any person,
    up to ``floor(min(wanted))``: what the rounding lost, and no more.

    A move takes one copy from a panel A and gives it to a panel B of the support. It is made
    only if it lifts more people off the current minimum count (people at the minimum in
    B \\ A) than it brings down to it (people one above the minimum in A \\ B), nobody falls
    below the minimum, and nobody ends further than ``band`` from what they want (the largest
    deviation the rounding left, below the Beck-Fiala bound k, so the guarantee still holds).
    Each move lowers the number of people at the minimum, or raises the minimum, so the process
    ends; it also stops after ``_IMPROVEMENT_SEARCHES`` searches for a move. People are helped
    in a fixed order and ties between moves go to the first pair, so the result is
    deterministic."""
    copies = copies.copy()
    panels = incidence.T.tocsr()  # panels x people
    people = incidence.tocsr()
    counts = np.asarray(incidence @ copies, dtype=np.int64)
    # A uniform lottery over m panels cannot do better than floor(m x the smallest probability)
    # for everyone without changing the distribution it represents: stop there.
    enough = math.floor(float(wanted.min()) + 1e-9)
    stuck = np.zeros(len(counts), dtype=bool)  # at the minimum, and no move lifts them
    level = int(counts.min())
    for _ in range(_IMPROVEMENT_SEARCHES):
        lowest = int(counts.min())
        if lowest >= enough:
            break
        if lowest != level:
            level = lowest
            stuck[:] = False
        waiting = np.flatnonzero((counts == lowest) & ~stuck)
        if len(waiting) == 0:
            break
        person = int(waiting[0])
        move = _best_move(people, copies, counts, wanted, band, person)
        if move is None:
            stuck[person] = True
            continue
        source, target = move
        copies[source] -= 1
        copies[target] += 1
        counts[panels[[source]].indices] -= 1
        counts[panels[[target]].indices] += 1
    return copies


def _best_move(
    people: sparse.csr_array,
    copies: IntArray,
    counts: IntArray,
    wanted: FloatArray,
    band: float,
    person: int,
) -> tuple[int, int] | None:
    """The (source, target) panel pair that gives ``person`` one more copy and lowers the number
    of people at the minimum the most, or None if no allowed move lowers it.

    Only the people at or next to the minimum, and those at the edges of the band, can rule a
    move out or count in its score; they are few, so the sums run over their rows only."""
    targets = people[[person]].indices  # panels containing the person
    present = np.flatnonzero(copies > 0)
    sources = present[~np.isin(present, targets)]
    if len(targets) == 0 or len(sources) == 0:
        return None
    lowest = int(counts.min())
    at_minimum = counts == lowest
    next_up = counts == lowest + 1
    no_loss = at_minimum | (counts - 1 < wanted - band - 1e-9)
    no_gain = counts + 1 > wanted + band + 1e-9
    watched = np.flatnonzero(at_minimum | next_up | no_loss | no_gain)
    block = people[watched]  # watched people x panels, sparse
    in_source = block[:, sources].T.tocsr()  # sources x watched
    in_target = block[:, targets].tocsc()  # watched x targets

    def weighted(mask: npt.NDArray[np.bool_]) -> sparse.dia_array:
        return sparse.diags_array(mask[watched].astype(np.float64))

    def per_source(mask: npt.NDArray[np.bool_]) -> FloatArray:
        return np.asarray((in_source @ weighted(mask)).sum(axis=1), dtype=np.float64)

    def per_target(mask: npt.NDArray[np.bool_]) -> FloatArray:
        return np.asarray((weighted(mask) @ in_target).sum(axis=0), dtype=np.float64)

    def shared(mask: npt.NDArray[np.bool_]) -> FloatArray:
        """For every (source, target) pair, how many people of ``mask`` are in both."""
        return np.asarray((in_source @ weighted(mask) @ in_target).toarray())

    # Everyone in A \ B may lose one and everyone in B \ A may gain one.
    ok = per_source(no_loss)[:, None] == shared(no_loss)
    ok &= per_target(no_gain)[None, :] == shared(no_gain)
    lifted = per_target(at_minimum)[None, :] - shared(at_minimum)
    lowered = per_source(next_up)[:, None] - shared(next_up)
    score = np.where(ok, lifted - lowered, 0.0)
    best = int(np.argmax(score))
    if not score.flat[best] > 0:
        return None
    source_at, target_at = divmod(best, len(targets))
    return int(sources[source_at]), int(targets[target_at])


# --- The bundle and the draw --------------------------------------------------------------------

PROCEDURE = (
    "How the panel is drawn from this file. "
    "(1) The commitment is the SHA-256 hash, written in lowercase hexadecimal, of this file's "
    "exact bytes: UTF-8 JSON with sorted keys and no spaces between items, without a final line "
    "break. It was published before the random value was known. "
    "(2) The random value from the announced source (randomness_source) is normalised: Unicode "
    "NFC, leading and trailing whitespace removed, every run of whitespace inside it replaced "
    "by a single space. "
    "(3) Compute the SHA-256 hash of the UTF-8 text made of the commitment, one line feed "
    "character (\\n), and the normalised random value. "
    "(4) Read the 32 bytes of that hash as one unsigned big-endian integer and take its "
    'remainder when divided by m, the number of panels listed under "panels". The panels are '
    "numbered from 0 in the order listed; the chosen panel is the one with that number. "
    "Because the integer has 256 bits and m is small, every remainder is equally likely to "
    "within m in 2^256, a bias far too small to matter. "
    "(5) Reserves are ranked by the SHA-256 hash, in lowercase hexadecimal, of the commitment, a "
    "line feed, the normalised random value, a line feed and the person's pseudonym, smallest "
    "first (ties, which never happen in practice, by pseudonym). "
    "The list holds each panel of the selection algorithm's lottery about m times its "
    "probability, in whole numbers, so every one of the m positions is equally likely and each "
    "person's chance of being drawn is the share of the listed panels that include them; "
    "min_probability is the smallest such chance in the pool."
)

_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class BundlePerson:
    """A pool member as published: a pseudonym, their feature values and a pseudonymised
    household (so the one-per-household rule can be checked without addresses)."""

    pseudonym: str
    features: dict[str, str]
    household: str


@dataclass(frozen=True)
class VerifiedDraw:
    """What a draw's bundle and random value give: the commitment of the bundle as given, the
    chosen panel's number and its members' pseudonyms, and the normalised random value."""

    commitment: str
    index: int
    panel: list[str]
    random_value: str


def make_bundle(
    *,
    jury_title: str,
    panel_size: int,
    people: Sequence[BundlePerson],
    quotas: Sequence[Quota],
    algorithm: str,
    engine_version: str,
    household_rule: bool,
    panels: Sequence[Sequence[str]],
    randomness_source: str,
    min_probability: float,
) -> str:
    """The canonical JSON text of a draw: the same inputs always give the same text.

    People are listed by pseudonym, quotas by feature and value, each panel's members by
    pseudonym; the panels keep the order given, since the draw picks one by its position.
    ``min_probability`` is the smallest selection probability under this lottery of panels
    (the smallest of :func:`lottery_marginals`). Raises ValueError when the parts do not fit
    together (an unknown or repeated pseudonym, a panel of the wrong size, no panels, no
    randomness source).

    The commitment (:func:`commitment`) is the SHA-256 of exactly this text; publish the text
    as it is, with no final line break."""
    pseudonyms = [person.pseudonym for person in people]
    if len(set(pseudonyms)) != len(pseudonyms):
        raise ValueError("Every person in the bundle needs a different pseudonym.")
    if not panels:
        raise ValueError("A draw needs at least one panel.")
    if not randomness_source.strip():
        raise ValueError("A draw needs an announced source of public randomness.")
    if not math.isfinite(min_probability):
        raise ValueError("The minimum probability must be a number.")
    known = set(pseudonyms)
    canonical_panels: list[list[str]] = []
    for number, panel in enumerate(panels):
        members = sorted(panel)
        if len(set(members)) != len(members) or len(members) != panel_size:
            raise ValueError(f"Panel {number} must name {panel_size} different people.")
        unknown = [member for member in members if member not in known]
        if unknown:
            raise ValueError(f"Panel {number} names {unknown[0]!r}, who is not in the pool.")
        canonical_panels.append(members)
    document: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "procedure": PROCEDURE,
        "jury_title": jury_title,
        "panel_size": panel_size,
        "algorithm": algorithm,
        "engine_version": engine_version,
        "household_rule": household_rule,
        "randomness_source": randomness_source,
        "min_probability": float(min_probability),
        "people": [
            {
                "pseudonym": person.pseudonym,
                "features": dict(person.features),
                "household": person.household,
            }
            for person in sorted(people, key=lambda person: person.pseudonym)
        ],
        "quotas": [
            {
                "feature": quota.feature,
                "value": quota.value,
                "min": quota.min,
                "max": quota.max,
                "min_flex": quota.min_flex,
                "max_flex": quota.max_flex,
            }
            for quota in sorted(quotas, key=lambda quota: (quota.feature, quota.value))
        ],
        "m": len(canonical_panels),
        "panels": canonical_panels,
    }
    text = _canonical_json(document)
    text.encode("utf-8")  # UnicodeEncodeError (a ValueError) for unpaired surrogates
    return text


def _canonical_json(document: Any) -> str:
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def commitment(bundle_text: str) -> str:
    """The lowercase hexadecimal SHA-256 of the bundle text's UTF-8 bytes."""
    return hashlib.sha256(bundle_text.encode("utf-8")).hexdigest()


def normalise_random_value(value: str) -> str:
    """The random value as the draw uses it: Unicode NFC, trimmed, inner whitespace runs made
    one space. So "12 34  56\\n" and " 12 34 56" give the same draw. ValueError if empty."""
    normalised = " ".join(unicodedata.normalize("NFC", value).split())
    if not normalised:
        raise ValueError("The random value is empty.")
    return normalised


def _check_commitment(commitment_hex: str) -> str:
    text = commitment_hex.strip().lower()
    if not _HEX64.fullmatch(text):
        raise ValueError("A commitment is 64 hexadecimal characters (a SHA-256 hash).")
    return text


def panel_index(commitment_hex: str, random_value: str, m: int) -> int:
    """The number (0 .. m - 1) of the chosen panel: SHA-256 of commitment, line feed and the
    normalised random value, read as a 256-bit big-endian integer, modulo m.

    Taking a 256-bit number modulo m (at most a few thousand) favours some remainders by less
    than m / 2**256, which is negligible."""
    if m < 1:
        raise ValueError("There must be at least one panel to choose from.")
    message = _check_commitment(commitment_hex) + "\n" + normalise_random_value(random_value)
    digest = hashlib.sha256(message.encode("utf-8")).digest()
    return int.from_bytes(digest, "big") % m


def reserve_order(commitment_hex: str, random_value: str, pseudonyms: Sequence[str]) -> list[str]:
    """``pseudonyms`` ranked for the reserve list, first reserve first: by the hexadecimal
    SHA-256 of commitment, line feed, normalised random value, line feed, pseudonym."""
    if len(set(pseudonyms)) != len(pseudonyms):
        raise ValueError("Each pseudonym may appear only once in the reserve list.")
    prefix = _check_commitment(commitment_hex) + "\n" + normalise_random_value(random_value) + "\n"

    def key(pseudonym: str) -> tuple[str, str]:
        return hashlib.sha256((prefix + pseudonym).encode("utf-8")).hexdigest(), pseudonym

    return sorted(pseudonyms, key=key)


def verify(bundle_text: str, random_value: str) -> VerifiedDraw:
    """Recompute a draw from its published bundle and the public random value.

    This cannot tell by itself whether the bundle was altered: it returns the commitment of the
    text it was given, which the user must compare with the commitment published before the
    draw. A single final line break (added by some editors and downloads) is ignored, and the
    commitment is that of the text without it; any other change of the layout makes this raise
    ValueError, as does anything that is not a bundle or contradicts itself (a panel of the
    wrong size or naming someone not in the pool, m not the number of panels)."""
    text = bundle_text[:-1] if bundle_text.endswith("\n") else bundle_text
    text = text[:-1] if text.endswith("\r") else text
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"This is not a draw bundle: it is not valid JSON ({error}).") from None
    except RecursionError:
        raise ValueError("This is not a draw bundle: it is nested too deeply.") from None
    if not isinstance(document, dict):
        raise ValueError("This is not a draw bundle: it is not a JSON object.")
    found = document.get("format")
    if found != BUNDLE_FORMAT:
        raise ValueError(
            f"This is not a draw bundle: its format is {found!r}, expected {BUNDLE_FORMAT!r}."
        )
    panels = _check_bundle(document)
    try:
        canonical = _canonical_json(document)
    except ValueError as error:
        raise ValueError(f"This draw bundle is damaged: {error}.") from None
    if canonical != text:
        raise ValueError(
            "This draw bundle is not in its canonical form: it was reformatted or edited after "
            "it was published (spaces, line breaks or the order of keys changed). Use the file "
            "exactly as published."
        )
    value = normalise_random_value(random_value)
    digest = commitment(text)
    index = panel_index(digest, value, len(panels))
    return VerifiedDraw(
        commitment=digest, index=index, panel=list(panels[index]), random_value=value
    )


def _check_bundle(document: dict[str, Any]) -> list[list[str]]:
    """The bundle's panels, after checking that they fit its pool and panel size."""

    def damaged(problem: str) -> ValueError:
        return ValueError(f"This draw bundle is damaged: {problem}.")

    people = document.get("people")
    if not isinstance(people, list) or not all(
        isinstance(person, dict) and isinstance(person.get("pseudonym"), str) for person in people
    ):
        raise damaged('"people" must be a list of people with pseudonyms')
    known = {person["pseudonym"] for person in people}
    size = document.get("panel_size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise damaged('"panel_size" must be a positive whole number')
    panels = document.get("panels")
    if (
        not isinstance(panels, list)
        or not panels
        or not all(
            isinstance(panel, list) and all(isinstance(member, str) for member in panel)
            for panel in panels
        )
    ):
        raise damaged('"panels" must be a non-empty list of lists of pseudonyms')
    if document.get("m") != len(panels):
        raise damaged(f"it says m = {document.get('m')!r} but lists {len(panels)} panels")
    for number, panel in enumerate(panels):
        if len(panel) != size or len(set(panel)) != size:
            raise damaged(f"panel {number} does not name {size} different people")
        unknown = [member for member in panel if member not in known]
        if unknown:
            raise damaged(f"panel {number} names {unknown[0]!r}, who is not in its pool")
    return panels
