"""Opinion groups for a statements round (pure: a vote matrix in, groups and statements out).

The idea is Polis's: place every participant on a map by how they voted, find the groups on
that map, then say which statements each group stands for, which ones every group shares and
which ones split them. What we add is that the method is written down (:data:`METHOD_NOTE`,
filled by :func:`method_note`, is the paragraph an evaluation report can quote) and that it is
deterministic: the same votes always give the same groups with the same labels, whatever order
the votes arrive in.

The steps, in :func:`map_opinions`:

1. Participants and statements are sorted by id, so row and column order change nothing.
2. A participant who voted (agree, disagree or pass) on fewer than ``min_votes`` statements is
   listed in ``too_few_votes`` and placed nowhere. Statements on which none of the placed
   participants voted are left out of the map.
3. A vote a placed participant did not cast (they never saw the statement) is replaced by the
   statement's mean cast vote among placed participants (passes count as 0). Nothing is
   scaled or weighted.
4. PCA (full SVD) to ``COMPONENTS`` components; each component's sign is fixed so that its
   largest absolute loading is positive (the first such loading in statement-id order), so the
   map never flips. The chart shows the first two components.
5. k-means (``N_INIT`` starts, ``RANDOM_STATE``) on all kept components, for every k in
   ``K_RANGE`` below the number of placed participants (and at most the number of distinct
   vote patterns); the k with the highest silhouette wins, a tie going to the smaller k.
   We cluster on up to four components rather than the two shown because k groups need k - 1
   dimensions to stay apart: four groups in general position overlap on any plane. Steps 4
   and 5 run on one thread (BLAS and OpenMP), because sklearn's k-means sums its threads'
   partial results in the order they finish, which is not reproducible.
6. Groups are numbered 0, 1, ... by size, largest first; equal sizes by their smallest
   participant id.
7. Per group and statement, agreement is smoothed as (agrees + 1) / (votes + 2), votes
   including passes, and representative, consensus and divisive statements are chosen with the
   thresholds below.

Results are frozen dataclasses; :meth:`OpinionMap.as_dict` and :meth:`OpinionMap.from_dict`
turn them into JSON-ready data and back (for a job that stores its result).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import sklearn  # type: ignore[import-untyped]
from sklearn.cluster import KMeans  # type: ignore[import-untyped]
from sklearn.decomposition import PCA  # type: ignore[import-untyped]
from sklearn.metrics import silhouette_score  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from engage.i18n import N_, Message

__all__ = [
    "METHOD_NOTE",
    "ConsensusStatement",
    "Direction",
    "DivisiveStatement",
    "KScore",
    "Message",
    "OpinionGroup",
    "OpinionMap",
    "Point",
    "RepresentativeStatement",
    "StatementSummary",
    "Tally",
    "map_opinions",
    "method_note",
    "vote_matrix",
]

# Vote values in the matrix; a vote not cast (statement not seen) is NaN.
AGREE = 1
DISAGREE = -1
PASS = 0

# Who and what can be mapped.
MIN_VOTES = 3  # default: votes (agree, disagree or pass) a participant needs to be placed
MIN_PARTICIPANTS = 4  # placed participants needed to form groups
MIN_STATEMENTS = 2  # statements with at least one vote from a placed participant

# The map and the clustering.
COMPONENTS = 4  # principal components kept for clustering (k groups need k - 1 dimensions)
K_RANGE = range(2, 6)  # numbers of groups tried: 2, 3, 4, 5
N_INIT = 10  # k-means starts per k
RANDOM_STATE = 0  # k-means seed
WEAK_SILHOUETTE = 0.25  # below this the groups are weakly separated (Kaufman & Rousseeuw)
# Silhouette needs every pairwise distance; sklearn computes them in chunks of this many MB,
# which keeps 10,000 participants well under a gigabyte.
SILHOUETTE_WORKING_MEMORY_MB = 64

# Statements.
MIN_GROUP_VOTES = 3  # votes in a group (and among the others) for a statement to count for it
MIN_DIFFERENCE = 0.1  # representative: group rate at least this far above the others' rate
REPRESENTATIVE_LIMIT = 5  # representative statements kept per group
CONSENSUS_RATE = 0.6  # consensus: smoothed agree (or disagree) rate in every group at least this
DIVISIVE_SPREAD = 0.4  # divisive: smoothed agree rates of groups at least this far apart


class Direction(enum.StrEnum):
    AGREE = "agree"
    DISAGREE = "disagree"


@dataclass(frozen=True)
class Tally:
    """Votes cast on one statement by some participants."""

    agree: int = 0
    disagree: int = 0
    passed: int = 0

    @property
    def votes(self) -> int:
        return self.agree + self.disagree + self.passed

    def rate(self, direction: Direction) -> float:
        """The smoothed share who voted this way: (count + 1) / (votes + 2) (0.5 with no votes)."""
        count = self.agree if direction is Direction.AGREE else self.disagree
        return (count + 1) / (self.votes + 2)

    @property
    def agree_rate(self) -> float:
        return self.rate(Direction.AGREE)

    @property
    def disagree_rate(self) -> float:
        return self.rate(Direction.DISAGREE)


@dataclass(frozen=True)
class Point:
    """A placed participant on the chart (the first two principal components)."""

    participant_id: int
    x: float
    y: float
    group: int


@dataclass(frozen=True)
class RepresentativeStatement:
    """A statement on which a group votes ``direction`` clearly more than everyone else placed.
    Rates are smoothed (see :class:`Tally`); ``difference = group_rate - others_rate``."""

    statement_id: int
    direction: Direction
    group_rate: float
    others_rate: float
    difference: float
    group_tally: Tally
    others_tally: Tally


@dataclass(frozen=True)
class OpinionGroup:
    label: int
    participant_ids: tuple[int, ...]  # sorted
    representative: tuple[RepresentativeStatement, ...]  # largest difference first

    @property
    def size(self) -> int:
        return len(self.participant_ids)


@dataclass(frozen=True)
class StatementSummary:
    """One statement's votes: ``tally`` from everyone (placed or not), ``group_tallies[label]``
    from each group (empty when no groups could be formed)."""

    statement_id: int
    tally: Tally
    group_tallies: tuple[Tally, ...]


@dataclass(frozen=True)
class ConsensusStatement:
    """Every group votes ``direction`` by a clear majority; ``group_rates[label]`` are the
    smoothed rates in that direction and ``lowest_rate`` the smallest of them."""

    statement_id: int
    direction: Direction
    group_rates: tuple[float, ...]
    lowest_rate: float


@dataclass(frozen=True)
class DivisiveStatement:
    """Groups' smoothed agree rates lie ``spread`` apart; ``agree_rates[label]`` is None for a
    group with fewer than ``MIN_GROUP_VOTES`` votes on the statement."""

    statement_id: int
    spread: float
    agree_rates: tuple[float | None, ...]


@dataclass(frozen=True)
class KScore:
    k: int
    silhouette: float


@dataclass(frozen=True)
class OpinionMap:
    """The opinion groups of a round, or (``problem`` set) why there are none.

    ``participant_ids`` and ``statement_ids`` are everyone and everything in the input, sorted.
    ``explained_variance`` is the share of variance of each kept component (the chart's axes
    are the first two); ``scores`` the silhouette of every k tried, ``k`` the one chosen.
    ``statements`` follows ``statement_ids``; ``consensus`` is strongest first and
    ``divisive`` widest spread first."""

    participant_ids: tuple[int, ...]
    statement_ids: tuple[int, ...]
    min_votes: int
    too_few_votes: tuple[int, ...]
    problem: Message | None
    groups: tuple[OpinionGroup, ...] = ()
    points: tuple[Point, ...] = ()
    explained_variance: tuple[float, ...] = ()
    scores: tuple[KScore, ...] = ()
    k: int | None = None
    statements: tuple[StatementSummary, ...] = ()
    consensus: tuple[ConsensusStatement, ...] = ()
    divisive: tuple[DivisiveStatement, ...] = ()

    @property
    def has_groups(self) -> bool:
        return self.problem is None

    @property
    def silhouette(self) -> float | None:
        """The chosen k's silhouette score."""
        return next((score.silhouette for score in self.scores if score.k == self.k), None)

    @property
    def weakly_separated(self) -> bool:
        """True when the groups exist but their silhouette is below ``WEAK_SILHOUETTE``."""
        silhouette = self.silhouette
        return silhouette is not None and silhouette < WEAK_SILHOUETTE

    def group_of(self, participant_id: int) -> int | None:
        """The label of the participant's group, or None when they were not placed."""
        for group in self.groups:
            if participant_id in group.participant_ids:
                return group.label
        return None

    def method_note(self) -> Message:
        return method_note(self.min_votes)

    def as_dict(self) -> dict[str, Any]:
        """Plain lists, dicts, strings and numbers (``json.dumps`` takes it as it is)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OpinionMap:
        """The map :meth:`as_dict` gave (after a JSON round trip too)."""

        def tally(item: Mapping[str, Any]) -> Tally:
            return Tally(**item)

        def representative(item: Mapping[str, Any]) -> RepresentativeStatement:
            return RepresentativeStatement(
                statement_id=item["statement_id"],
                direction=Direction(item["direction"]),
                group_rate=item["group_rate"],
                others_rate=item["others_rate"],
                difference=item["difference"],
                group_tally=tally(item["group_tally"]),
                others_tally=tally(item["others_tally"]),
            )

        problem = data["problem"]
        return cls(
            participant_ids=tuple(data["participant_ids"]),
            statement_ids=tuple(data["statement_ids"]),
            min_votes=data["min_votes"],
            too_few_votes=tuple(data["too_few_votes"]),
            problem=None if problem is None else Message(problem["template"], problem["params"]),
            groups=tuple(
                OpinionGroup(
                    label=group["label"],
                    participant_ids=tuple(group["participant_ids"]),
                    representative=tuple(representative(r) for r in group["representative"]),
                )
                for group in data["groups"]
            ),
            points=tuple(Point(**point) for point in data["points"]),
            explained_variance=tuple(data["explained_variance"]),
            scores=tuple(KScore(**score) for score in data["scores"]),
            k=data["k"],
            statements=tuple(
                StatementSummary(
                    statement_id=item["statement_id"],
                    tally=tally(item["tally"]),
                    group_tallies=tuple(tally(t) for t in item["group_tallies"]),
                )
                for item in data["statements"]
            ),
            consensus=tuple(
                ConsensusStatement(
                    statement_id=item["statement_id"],
                    direction=Direction(item["direction"]),
                    group_rates=tuple(item["group_rates"]),
                    lowest_rate=item["lowest_rate"],
                )
                for item in data["consensus"]
            ),
            divisive=tuple(
                DivisiveStatement(
                    statement_id=item["statement_id"],
                    spread=item["spread"],
                    agree_rates=tuple(item["agree_rates"]),
                )
                for item in data["divisive"]
            ),
        )


METHOD_NOTE = N_(
    "How the opinion groups were found. Each participant voted agree (+1), disagree (-1) or "
    "pass (0) on the statements they were shown. Participants who voted on fewer than "
    "%(min_votes)d statements are counted in the vote totals but not placed in a group, and "
    "statements that none of the placed participants voted on are left out. A statement a "
    "placed participant did not see counts as the average vote it received from the placed "
    "participants who did vote on it (a pass counts as 0); no other scaling or weighting is "
    "applied. Principal component analysis (scikit-learn PCA with a full singular value "
    "decomposition) reduces the votes to at most %(components)d components, and each "
    "component's direction is fixed so that its largest weight is positive, so the same votes "
    "always give the same map. The chart shows the first two components; the groups are found "
    "on all of them, because k groups need k - 1 dimensions to stay apart. k-means clustering "
    "(scikit-learn KMeans, %(n_init)d starts, fixed random seed %(seed)d) is run for every "
    "number of groups from %(k_min)d to %(k_max)d that is smaller than the number of placed "
    "participants, and the number with the highest silhouette score is kept (on a tie, the "
    "smaller number). The calculation runs on a single processor thread, so its result does "
    "not depend on timing. A silhouette score below %(weak)s means the groups are only weakly "
    "separated and should be read with care. Groups need at least %(min_participants)d placed "
    "participants and votes on at least %(min_statements)d statements. Groups are numbered by "
    "size, largest first (equal sizes: the group holding the smallest participant number "
    "first). Participants and statements are sorted by their numbers before anything is "
    "computed, so the order in which votes arrive changes nothing. Rates are smoothed as "
    "(agrees + 1) / (votes + 2), passes counting as votes, so that a few votes never give 0 or "
    "1. A statement represents a group when at least %(group_votes)d people in the group and "
    "%(group_votes)d among the other placed participants voted on it, the group's rate of "
    "agreeing (or of disagreeing) is above one half and at least %(difference)s above the "
    "others' rate; each group shows up to %(representative)d such statements, the largest "
    "difference first. A statement is a consensus statement when, in every group, at least "
    "%(group_votes)d people voted on it and the rate of agreeing (or of disagreeing) is at "
    "least %(consensus)s. A statement is divisive when the agreement rates of the groups with "
    "at least %(group_votes)d votes on it lie at least %(spread)s apart."
)


def method_note(min_votes: int = MIN_VOTES) -> Message:
    """:data:`METHOD_NOTE` with this module's parameters filled in."""
    return Message(
        METHOD_NOTE,
        {
            "min_votes": min_votes,
            "components": COMPONENTS,
            "n_init": N_INIT,
            "seed": RANDOM_STATE,
            "k_min": K_RANGE[0],
            "k_max": K_RANGE[-1],
            "weak": f"{WEAK_SILHOUETTE:g}",
            "min_participants": MIN_PARTICIPANTS,
            "min_statements": MIN_STATEMENTS,
            "group_votes": MIN_GROUP_VOTES,
            "difference": f"{MIN_DIFFERENCE:g}",
            "representative": REPRESENTATIVE_LIMIT,
            "consensus": f"{CONSENSUS_RATE:g}",
            "spread": f"{DIVISIVE_SPREAD:g}",
        },
    )


def vote_matrix(
    votes: Iterable[tuple[int, int, int]],
    participant_ids: Iterable[int] = (),
    statement_ids: Iterable[int] = (),
) -> tuple[npt.NDArray[np.float64], tuple[int, ...], tuple[int, ...]]:
    """The participant-by-statement matrix of ``(participant_id, statement_id, vote)`` triples,
    with NaN where no vote was cast, and its sorted participant and statement ids.
    ``participant_ids``/``statement_ids`` add rows/columns that have no votes (yet)."""
    triples = list(votes)
    participants = sorted({int(p) for p in participant_ids} | {int(t[0]) for t in triples})
    statements = sorted({int(s) for s in statement_ids} | {int(t[1]) for t in triples})
    matrix = np.full((len(participants), len(statements)), np.nan)
    if triples:
        row = {pid: i for i, pid in enumerate(participants)}
        column = {sid: j for j, sid in enumerate(statements)}
        rows = np.fromiter((row[int(t[0])] for t in triples), dtype=np.intp, count=len(triples))
        columns = np.fromiter(
            (column[int(t[1])] for t in triples), dtype=np.intp, count=len(triples)
        )
        if len(np.unique(rows * len(statements) + columns)) != len(triples):
            raise ValueError("a participant voted twice on one statement")
        matrix[rows, columns] = np.fromiter((t[2] for t in triples), dtype=float)
        _check_values(matrix)
    return matrix, tuple(participants), tuple(statements)


def map_opinions(
    votes: npt.ArrayLike,
    participant_ids: Sequence[int],
    statement_ids: Sequence[int],
    *,
    min_votes: int = MIN_VOTES,
) -> OpinionMap:
    """The opinion groups of a vote matrix: ``votes[i][j]`` is participant ``participant_ids[i]``'s
    vote on statement ``statement_ids[j]``: 1 agree, -1 disagree, 0 pass, NaN not cast.

    Raises ValueError for a malformed matrix (wrong shape, other values, repeated ids)."""
    matrix = np.array(votes, dtype=float)  # a copy: the caller's array is never changed
    pids = np.array([int(p) for p in participant_ids], dtype=np.int64)
    sids = np.array([int(s) for s in statement_ids], dtype=np.int64)
    if matrix.size == 0 and matrix.ndim < 2:
        matrix = matrix.reshape(len(pids), len(sids))
    if matrix.ndim != 2 or matrix.shape != (len(pids), len(sids)):
        raise ValueError(
            f"the vote matrix is {matrix.shape}; expected {len(pids)} participants by "
            f"{len(sids)} statements"
        )
    if len(np.unique(pids)) != len(pids) or len(np.unique(sids)) != len(sids):
        raise ValueError("participant and statement ids must each be unique")
    if min_votes < 1:
        raise ValueError("min_votes must be at least 1")
    _check_values(matrix)

    # 1. Canonical order: nothing below depends on the order rows and columns came in.
    row_order = np.argsort(pids, kind="stable")
    column_order = np.argsort(sids, kind="stable")
    matrix = matrix[np.ix_(row_order, column_order)]
    pids = pids[row_order]
    sids = sids[column_order]
    participants = tuple(int(p) for p in pids)
    statements = tuple(int(s) for s in sids)

    # 2. Who is placed.
    cast = ~np.isnan(matrix)
    placed = cast.sum(axis=1) >= min_votes
    too_few = tuple(int(p) for p in pids[~placed])
    overall = _tallies(matrix)

    def no_groups(problem: Message) -> OpinionMap:
        return OpinionMap(
            participant_ids=participants,
            statement_ids=statements,
            min_votes=min_votes,
            too_few_votes=too_few,
            problem=problem,
            statements=tuple(
                StatementSummary(sid, tally, ())
                for sid, tally in zip(statements, overall, strict=True)
            ),
        )

    n_placed = int(placed.sum())
    if n_placed < MIN_PARTICIPANTS:
        return no_groups(
            Message(
                N_(
                    "Opinion groups need at least %(minimum)d participants who each voted on "
                    "at least %(votes)d statements; this round has %(count)d."
                ),
                {"minimum": MIN_PARTICIPANTS, "votes": min_votes, "count": n_placed},
            )
        )
    placed_votes = matrix[placed]
    voted = cast[placed].any(axis=0)
    n_voted = int(voted.sum())
    if n_voted < MIN_STATEMENTS:
        return no_groups(
            Message(
                N_(
                    "Opinion groups need votes on at least %(minimum)d statements; this round "
                    "has votes on %(count)d."
                ),
                {"minimum": MIN_STATEMENTS, "count": n_voted},
            )
        )

    # 3. Missing votes: the statement's mean cast vote among placed participants.
    data = placed_votes[:, voted]
    means = np.nanmean(data, axis=0)
    data = np.where(np.isnan(data), means, data)
    distinct = len(np.unique(data, axis=0))
    if distinct < 2:
        return no_groups(
            Message(
                N_(
                    "Everyone who voted on enough statements voted the same way on every "
                    "statement they saw, so there are no differing opinion groups to find."
                )
            )
        )

    # One thread for BLAS and OpenMP: sklearn's k-means adds up its threads' partial sums in
    # whatever order the threads finish, so with several threads the last digits of the
    # centres (and, rarely, a label) could change between runs of the very same votes.
    with threadpool_limits(limits=1):
        coordinates, explained, scores, raw_labels = _cluster(data, n_placed, distinct)

    # 6. Labels: size descending, then the smallest participant id (rows are sorted by id,
    # so a group's first row holds its smallest id).
    placed_ids = pids[placed]
    clusters = sorted(
        (np.flatnonzero(raw_labels == raw) for raw in np.unique(raw_labels)),
        key=lambda rows: (-len(rows), int(rows[0])),
    )
    labels = np.empty(n_placed, dtype=np.intp)
    for label, rows in enumerate(clusters):
        labels[rows] = label

    # 7. Statements.
    group_tallies = [_tallies(placed_votes[rows]) for rows in clusters]
    placed_tally = _tallies(placed_votes)
    summaries = tuple(
        StatementSummary(sid, overall[j], tuple(tallies[j] for tallies in group_tallies))
        for j, sid in enumerate(statements)
    )
    groups = tuple(
        OpinionGroup(
            label=label,
            participant_ids=tuple(int(p) for p in placed_ids[rows]),
            representative=_representative(statements, group_tallies[label], placed_tally),
        )
        for label, rows in enumerate(clusters)
    )
    points = tuple(
        Point(int(pid), float(coordinates[i, 0]), float(coordinates[i, 1]), int(labels[i]))
        for i, pid in enumerate(placed_ids)
    )
    return OpinionMap(
        participant_ids=participants,
        statement_ids=statements,
        min_votes=min_votes,
        too_few_votes=too_few,
        problem=None,
        groups=groups,
        points=points,
        explained_variance=explained,
        scores=tuple(scores),
        k=len(clusters),
        statements=summaries,
        consensus=_consensus(summaries),
        divisive=_divisive(summaries),
    )


def _cluster(
    data: npt.NDArray[np.float64], n_placed: int, distinct: int
) -> tuple[npt.NDArray[np.float64], tuple[float, ...], list[KScore], npt.NDArray[np.intp]]:
    """Steps 4 and 5: the map's coordinates, each component's share of variance, the
    silhouette of every k tried and the chosen clustering's labels (in k-means' numbering)."""
    # 4. The map: PCA, each component's largest absolute loading made positive.
    components = min(COMPONENTS, data.shape[0], data.shape[1])
    pca = PCA(n_components=components, svd_solver="full")
    coordinates = np.asarray(pca.fit_transform(data), dtype=float)
    loadings = np.asarray(pca.components_, dtype=float)
    for c in range(components):
        largest = int(np.argmax(np.abs(loadings[c])))
        if loadings[c, largest] < 0:
            coordinates[:, c] = -coordinates[:, c]
    explained = tuple(float(v) for v in pca.explained_variance_ratio_)

    # 5. Groups: k-means for each k, the best silhouette wins (ties: the smaller k).
    scores: list[KScore] = []
    best: tuple[float, npt.NDArray[np.intp]] | None = None
    for k in K_RANGE:
        if k >= n_placed or k > distinct:
            continue
        kmeans = KMeans(n_clusters=k, n_init=N_INIT, random_state=RANDOM_STATE)
        labels = np.asarray(kmeans.fit_predict(coordinates), dtype=np.intp)
        if len(np.unique(labels)) < 2:
            continue
        with sklearn.config_context(working_memory=SILHOUETTE_WORKING_MEMORY_MB):
            score = float(silhouette_score(coordinates, labels))
        scores.append(KScore(k, score))
        if best is None or score > best[0]:
            best = (score, labels)
    assert best is not None  # k = 2 is always tried: n_placed >= 4 and distinct >= 2
    return coordinates, explained, scores, best[1]


def _check_values(matrix: npt.NDArray[np.float64]) -> None:
    values = matrix[~np.isnan(matrix)]
    if not np.isin(values, (AGREE, DISAGREE, PASS)).all():
        raise ValueError("votes must be 1 (agree), -1 (disagree), 0 (pass) or NaN (not cast)")


def _tallies(votes: npt.NDArray[np.float64]) -> list[Tally]:
    agree = (votes == AGREE).sum(axis=0)
    disagree = (votes == DISAGREE).sum(axis=0)
    passed = (votes == PASS).sum(axis=0)
    return [Tally(int(a), int(d), int(p)) for a, d, p in zip(agree, disagree, passed, strict=True)]


def _minus(total: Tally, part: Tally) -> Tally:
    return Tally(
        total.agree - part.agree, total.disagree - part.disagree, total.passed - part.passed
    )


def _representative(
    statements: Sequence[int], group: Sequence[Tally], placed: Sequence[Tally]
) -> tuple[RepresentativeStatement, ...]:
    found: list[RepresentativeStatement] = []
    for sid, mine, everyone in zip(statements, group, placed, strict=True):
        others = _minus(everyone, mine)
        if mine.votes < MIN_GROUP_VOTES or others.votes < MIN_GROUP_VOTES:
            continue
        for direction in Direction:
            group_rate, others_rate = mine.rate(direction), others.rate(direction)
            difference = group_rate - others_rate
            # At most one direction can pass: the two smoothed rates sum to at most 1.
            if group_rate > 0.5 and difference >= MIN_DIFFERENCE:
                found.append(
                    RepresentativeStatement(
                        sid, direction, group_rate, others_rate, difference, mine, others
                    )
                )
    found.sort(key=lambda r: (-r.difference, -r.group_rate, r.statement_id))
    return tuple(found[:REPRESENTATIVE_LIMIT])


def _consensus(summaries: Sequence[StatementSummary]) -> tuple[ConsensusStatement, ...]:
    found: list[ConsensusStatement] = []
    for summary in summaries:
        tallies = summary.group_tallies
        if any(tally.votes < MIN_GROUP_VOTES for tally in tallies):
            continue
        for direction in Direction:
            rates = tuple(tally.rate(direction) for tally in tallies)
            if min(rates) >= CONSENSUS_RATE:
                found.append(ConsensusStatement(summary.statement_id, direction, rates, min(rates)))
    found.sort(key=lambda c: (-c.lowest_rate, c.statement_id))
    return tuple(found)


def _divisive(summaries: Sequence[StatementSummary]) -> tuple[DivisiveStatement, ...]:
    found: list[DivisiveStatement] = []
    for summary in summaries:
        rates = tuple(
            tally.agree_rate if tally.votes >= MIN_GROUP_VOTES else None
            for tally in summary.group_tallies
        )
        known = [rate for rate in rates if rate is not None]
        if len(known) < 2:
            continue
        spread = max(known) - min(known)
        if spread >= DIVISIVE_SPREAD:
            found.append(DivisiveStatement(summary.statement_id, spread, rates))
    found.sort(key=lambda d: (-d.spread, d.statement_id))
    return tuple(found)
