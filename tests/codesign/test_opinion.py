"""Opinion groups: planted groups recovered exactly, the same votes always giving the same groups
and labels, consensus and divisive statements, and the cases where no groups can be formed.
Pure: no app, no database."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pytest

from engage.codesign import opinion
from engage.codesign.opinion import (
    Direction,
    OpinionMap,
    Tally,
    map_opinions,
    method_note,
    vote_matrix,
)

Matrix = npt.NDArray[np.float64]


@dataclass
class Planted:
    votes: Matrix
    participant_ids: list[int]
    statement_ids: list[int]
    groups: set[frozenset[int]]  # the planted partition, by participant id
    group_of: dict[int, int]  # participant id -> planted group
    owner: dict[int, int]  # statement id -> the planted group that agrees with it


def planted(
    sizes: tuple[int, ...],
    *,
    statements: int = 20,
    missing: float = 0.15,
    flips: float = 0.05,
    seed: int = 0,
) -> Planted:
    """Planted group g agrees with the statements it owns (statement j is owned by group
    j mod len(sizes)) and disagrees with the others'. Then a share ``flips`` of votes is
    replaced by a random agree/disagree/pass and a share ``missing`` is not cast. Participant
    and statement ids are scattered numbers in shuffled order, so nothing relies on rows being
    sorted or numbered from 0."""
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(len(sizes)), sizes)
    owners = np.arange(statements) % len(sizes)
    votes = np.where(truth[:, None] == owners[None, :], 1.0, -1.0)
    flipped = rng.random(votes.shape) < flips
    votes[flipped] = rng.choice([-1.0, 0.0, 1.0], size=int(flipped.sum()))
    votes[rng.random(votes.shape) < missing] = np.nan
    participant_ids = [int(p) for p in rng.permutation(len(truth)) * 7 + 100]
    statement_ids = [int(s) for s in rng.permutation(statements) * 3 + 5]
    return Planted(
        votes=votes,
        participant_ids=participant_ids,
        statement_ids=statement_ids,
        groups={
            frozenset(p for p, g in zip(participant_ids, truth, strict=True) if g == group)
            for group in range(len(sizes))
        },
        group_of={p: int(g) for p, g in zip(participant_ids, truth, strict=True)},
        owner={s: int(g) for s, g in zip(statement_ids, owners, strict=True)},
    )


def run(data: Planted, **kwargs: int) -> OpinionMap:
    return map_opinions(data.votes, data.participant_ids, data.statement_ids, **kwargs)


def partition(result: OpinionMap) -> set[frozenset[int]]:
    return {frozenset(group.participant_ids) for group in result.groups}


def with_statement(data: Planted, column: Matrix, statement_id: int) -> Planted:
    """The planted data with one more statement, voted as ``column``."""
    return Planted(
        votes=np.column_stack([data.votes, column]),
        participant_ids=data.participant_ids,
        statement_ids=[*data.statement_ids, statement_id],
        groups=data.groups,
        group_of=data.group_of,
        owner=data.owner,
    )


# --- Planted groups are found -----------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_two_planted_groups_are_recovered_exactly(seed: int) -> None:
    data = planted((30, 30), seed=seed, missing=0.2)
    result = run(data)
    assert result.has_groups and result.problem is None
    assert result.k == 2
    assert partition(result) == data.groups
    assert [score.k for score in result.scores] == [2, 3, 4, 5]
    assert result.silhouette == max(score.silhouette for score in result.scores)
    assert not result.weakly_separated


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_three_planted_groups_are_recovered_exactly(seed: int) -> None:
    data = planted((30, 30, 30), seed=seed, missing=0.15)
    result = run(data)
    assert result.k == 3
    assert partition(result) == data.groups
    assert len(result.points) == 90
    assert {point.participant_id for point in result.points} == set(data.participant_ids)
    assert len(result.explained_variance) == opinion.COMPONENTS
    # The chart's axes carry most of the variance: three groups span a plane.
    assert sum(result.explained_variance[:2]) > 0.5


def test_four_planted_groups_are_recovered_because_clustering_uses_four_components() -> None:
    # Four groups need three dimensions to stay apart; on the chart's plane two of them overlap.
    data = planted((30, 30, 30, 30), seed=0)
    result = run(data)
    assert result.k == 4
    assert partition(result) == data.groups


def test_groups_are_numbered_by_size_then_smallest_participant_id() -> None:
    data = planted((20, 40, 30), seed=5)
    result = run(data)
    assert [group.size for group in result.groups] == [40, 30, 20]
    assert [group.label for group in result.groups] == [0, 1, 2]
    for group in result.groups:
        assert list(group.participant_ids) == sorted(group.participant_ids)
        for pid in group.participant_ids:
            assert result.group_of(pid) == group.label
    for point in result.points:
        assert point.group == result.group_of(point.participant_id)

    equal = run(planted((30, 30), seed=6))
    assert [group.size for group in equal.groups] == [30, 30]
    assert equal.groups[0].participant_ids[0] == min(equal.participant_ids)


# --- The same votes always give the same answer ----------------------------------------------


def test_the_same_votes_give_the_same_result_every_time() -> None:
    data = planted((30, 30, 30), seed=7, missing=0.2, flips=0.1)
    first = run(data)
    second = run(data)
    assert first == second  # every group, label, coordinate, score and statement


def test_order_of_participants_and_statements_changes_nothing() -> None:
    data = planted((30, 30, 30), seed=8, missing=0.2, flips=0.1)
    rng = np.random.default_rng(99)
    rows = rng.permutation(len(data.participant_ids))
    columns = rng.permutation(len(data.statement_ids))
    shuffled = map_opinions(
        data.votes[np.ix_(rows, columns)],
        [data.participant_ids[i] for i in rows],
        [data.statement_ids[j] for j in columns],
    )
    original = run(data)
    assert [g.participant_ids for g in shuffled.groups] == [
        g.participant_ids for g in original.groups
    ]
    assert shuffled == original  # coordinates too: the map never flips or drifts


def test_the_callers_matrix_is_left_unchanged() -> None:
    data = planted((30, 30), seed=9)
    before = data.votes.copy()
    run(data)
    np.testing.assert_array_equal(data.votes, before)


# --- Statements -------------------------------------------------------------------------------


def test_statement_everyone_agrees_with_is_consensus_and_not_divisive() -> None:
    base = planted((30, 30, 30), seed=10)
    rng = np.random.default_rng(10)
    column = np.where(rng.random(90) < 0.1, np.nan, 1.0)  # everyone agrees, some did not see it
    column[rng.choice(90, size=4, replace=False)] = -1.0  # and a few dissent
    data = with_statement(base, column, statement_id=1)
    result = run(data)
    assert partition(result) == data.groups
    assert [(c.statement_id, c.direction) for c in result.consensus] == [(1, Direction.AGREE)]
    consensus = result.consensus[0]
    assert len(consensus.group_rates) == 3
    assert consensus.lowest_rate == min(consensus.group_rates) >= opinion.CONSENSUS_RATE
    assert 1 not in {d.statement_id for d in result.divisive}


def test_statement_everyone_rejects_is_consensus_in_disagreement() -> None:
    base = planted((30, 30), seed=11)
    data = with_statement(base, np.full(60, -1.0), statement_id=2)
    result = run(data)
    assert [(c.statement_id, c.direction) for c in result.consensus] == [(2, Direction.DISAGREE)]


def test_statements_that_split_the_groups_are_divisive() -> None:
    data = planted((30, 30, 30), seed=12)
    # One more statement: the first planted group agrees, the other two disagree.
    first = min(data.groups, key=min)
    column = np.array([1.0 if p in first else -1.0 for p in data.participant_ids])
    data = with_statement(data, column, statement_id=0)
    result = run(data)
    divisive = {d.statement_id: d for d in result.divisive}
    # Every planted statement is agreed by one group and rejected by the others.
    assert set(divisive) == {*data.statement_ids}
    assert result.divisive[0].spread == max(d.spread for d in result.divisive)
    assert [d.spread for d in result.divisive] == sorted(
        (d.spread for d in result.divisive), reverse=True
    )
    # The added statement splits them without any noise: the widest spread, first in the list.
    assert result.divisive[0].statement_id == 0
    assert result.divisive[0].spread == pytest.approx(31 / 32 - 1 / 32)
    assert all(rate is not None for rate in divisive[0].agree_rates)
    assert result.consensus == ()


def test_representative_statements_are_what_the_group_stands_for() -> None:
    data = planted((30, 30, 30), seed=13)
    result = run(data)
    for group in result.groups:
        planted_group = data.group_of[group.participant_ids[0]]
        assert 0 < len(group.representative) <= opinion.REPRESENTATIVE_LIMIT
        for statement in group.representative:
            # With three groups, a group's own statements set it apart most: it agrees with
            # them and both other groups reject them.
            assert statement.direction is Direction.AGREE
            assert data.owner[statement.statement_id] == planted_group
            assert statement.group_rate > 0.5
            assert statement.difference == pytest.approx(
                statement.group_rate - statement.others_rate
            )
            assert statement.difference >= opinion.MIN_DIFFERENCE
            assert statement.group_tally.votes >= opinion.MIN_GROUP_VOTES
            assert statement.group_tally.agree_rate == statement.group_rate
        differences = [s.difference for s in group.representative]
        assert differences == sorted(differences, reverse=True)


def test_representative_statements_can_be_disagreements() -> None:
    # With two groups, rejecting the other group's statements sets a group apart as much as
    # agreeing with its own; the disagreements found are the other group's statements.
    data = planted((30, 30), seed=14)
    result = run(data)
    disagreements = [
        (group, statement)
        for group in result.groups
        for statement in group.representative
        if statement.direction is Direction.DISAGREE
    ]
    assert disagreements
    for group, statement in disagreements:
        assert data.owner[statement.statement_id] != data.group_of[group.participant_ids[0]]
        assert statement.group_tally.disagree_rate == statement.group_rate


def test_a_minority_view_does_not_represent_a_group(monkeypatch: pytest.MonkeyPatch) -> None:
    # A statement four in ten of one group agree with (the rest of it pass) while the other
    # group rejects it: it sets the first group apart, but most of that group do not hold it.
    monkeypatch.setattr(opinion, "REPRESENTATIVE_LIMIT", 100)  # see every candidate
    base = planted((30, 30), seed=20)
    first = min(base.groups, key=min)
    rng = np.random.default_rng(20)
    agreeing = set(rng.choice(sorted(first), size=12, replace=False).tolist())
    column = np.array(
        [1.0 if p in agreeing else 0.0 if p in first else -1.0 for p in base.participant_ids]
    )
    data = with_statement(base, column, statement_id=1)
    result = run(data)
    assert partition(result) == data.groups
    holders = {group.participant_ids[0] in first: group for group in result.groups}
    # Every planted statement represents the group (it agrees with its own and rejects the
    # other group's), but not the minority view.
    assert {s.statement_id for s in holders[True].representative} == set(base.statement_ids)
    rejection = next(s for s in holders[False].representative if s.statement_id == 1)
    assert rejection.direction is Direction.DISAGREE


def test_statement_summaries_count_every_vote_and_each_groups_votes() -> None:
    data = planted((30, 30), seed=15)
    result = run(data)
    assert [s.statement_id for s in result.statements] == sorted(data.statement_ids)
    for summary in result.statements:
        column = data.votes[:, data.statement_ids.index(summary.statement_id)]
        assert summary.tally == Tally(
            agree=int((column == 1).sum()),
            disagree=int((column == -1).sum()),
            passed=int((column == 0).sum()),
        )
        assert len(summary.group_tallies) == 2
        assert sum(t.votes for t in summary.group_tallies) == summary.tally.votes


def test_rates_are_laplace_smoothed() -> None:
    tally = Tally(agree=3, disagree=1, passed=1)
    assert tally.votes == 5
    assert tally.agree_rate == 4 / 7
    assert tally.disagree_rate == 2 / 7
    assert Tally().agree_rate == 0.5


# --- Who is placed, and when there are no groups ---------------------------------------------


def test_participant_with_too_few_votes_is_listed_and_not_placed() -> None:
    data = planted((30, 30), seed=16)
    lurker = np.full(len(data.statement_ids), np.nan)
    lurker[[0, 1]] = 1.0  # two votes, one fewer than the minimum
    votes = np.vstack([data.votes, lurker])
    result = map_opinions(votes, [*data.participant_ids, 1], data.statement_ids)
    assert result.too_few_votes == (1,)
    assert result.group_of(1) is None
    assert 1 not in {point.participant_id for point in result.points}
    assert partition(result) == data.groups
    # Their votes still count in the statement totals, not in any group's.
    first = next(s for s in result.statements if s.statement_id == data.statement_ids[0])
    assert first.tally.votes == sum(t.votes for t in first.group_tallies) + 1

    placed_anyway = map_opinions(votes, [*data.participant_ids, 1], data.statement_ids, min_votes=2)
    assert placed_anyway.too_few_votes == ()
    assert placed_anyway.group_of(1) is not None


def test_too_few_participants_give_no_groups_and_say_why() -> None:
    votes = [[1, -1, 1], [1, 1, -1], [-1, -1, 1]]
    result = map_opinions(votes, [1, 2, 3], [10, 11, 12])
    assert not result.has_groups
    assert result.groups == () and result.points == () and result.k is None
    assert result.problem is not None
    assert result.problem.params == {"minimum": 4, "votes": 3, "count": 3}
    assert str(result.problem) == (
        "Opinion groups need at least 4 participants who each voted on at least 3 statements; "
        "this round has 3."
    )
    # The votes are still summed up for the page.
    assert [s.tally for s in result.statements] == [Tally(2, 1), Tally(1, 2), Tally(2, 1)]


def test_participants_with_too_few_votes_do_not_count_towards_the_minimum() -> None:
    nan = np.nan
    votes: list[list[float]] = [
        [1, -1, 1],
        [1, 1, -1],
        [-1, -1, 1],
        [1, nan, nan],
        [nan, -1, 0],
    ]
    result = map_opinions(votes, [1, 2, 3, 4, 5], [10, 11, 12])
    assert result.problem is not None and result.problem.params["count"] == 3
    assert result.too_few_votes == (4, 5)


def test_four_participants_are_enough_and_only_smaller_k_are_tried() -> None:
    votes = [[1, 1, -1, -1], [1, 1, -1, 0], [-1, -1, 1, 1], [-1, 0, 1, 1]]
    result = map_opinions(votes, [1, 2, 3, 4], [10, 11, 12, 13])
    assert result.k == 2
    assert [score.k for score in result.scores] == [2, 3]
    assert partition(result) == {frozenset({1, 2}), frozenset({3, 4})}


def test_votes_on_a_single_statement_give_no_groups() -> None:
    nan = np.nan
    votes = [[1, nan], [-1, nan], [1, nan], [0, nan]]
    result = map_opinions(votes, [1, 2, 3, 4], [10, 11], min_votes=1)
    assert result.problem is not None
    assert result.problem.params == {"minimum": 2, "count": 1}


def test_identical_votes_give_no_groups() -> None:
    votes = [[1, -1, 0]] * 6
    result = map_opinions(votes, range(6), [1, 2, 3])
    assert result.problem is not None
    assert "same way" in str(result.problem)


def test_an_empty_round_gives_no_groups() -> None:
    result = map_opinions(np.empty((0, 0)), [], [])
    assert result.problem is not None and result.statements == ()


def test_ties_in_silhouette_go_to_the_smaller_k(monkeypatch: pytest.MonkeyPatch) -> None:
    data = planted((30, 30, 30), seed=17)
    monkeypatch.setattr(opinion, "silhouette_score", lambda points, labels: 0.5)
    assert run(data).k == 2
    monkeypatch.setattr(
        opinion, "silhouette_score", lambda points, labels: float(len(np.unique(labels)))
    )
    assert run(data).k == 5


@pytest.mark.parametrize(
    ("votes", "participants", "statements"),
    [
        ([[1, 2], [0, 1]], [1, 2], [1, 2]),  # 2 is not a vote
        ([[1, np.inf], [0, 1]], [1, 2], [1, 2]),
        ([[1, 0], [0, 1]], [1, 2, 3], [1, 2]),  # shape does not match the ids
        ([[1, 0], [0, 1]], [1, 1], [1, 2]),  # repeated participant
        ([[1, 0], [0, 1]], [1, 2], [5, 5]),  # repeated statement
    ],
)
def test_malformed_input_is_refused(
    votes: list[list[float]], participants: list[int], statements: list[int]
) -> None:
    with pytest.raises(ValueError):
        map_opinions(votes, participants, statements)


# --- Helpers around the map -------------------------------------------------------------------


def test_vote_matrix_builds_the_matrix_from_votes() -> None:
    matrix, participants, statements = vote_matrix(
        [(7, 20, 1), (3, 20, -1), (7, 10, 0)], participant_ids=[5], statement_ids=[30]
    )
    assert participants == (3, 5, 7)
    assert statements == (10, 20, 30)
    expected = np.array(
        [[np.nan, -1, np.nan], [np.nan, np.nan, np.nan], [0, 1, np.nan]], dtype=float
    )
    np.testing.assert_array_equal(matrix, expected)
    with pytest.raises(ValueError, match="twice"):
        vote_matrix([(1, 1, 1), (1, 1, -1)])
    with pytest.raises(ValueError):
        vote_matrix([(1, 1, 3)])


def test_the_map_survives_a_json_round_trip() -> None:
    result = run(planted((30, 30, 30), seed=18))
    assert OpinionMap.from_dict(json.loads(json.dumps(result.as_dict()))) == result
    problem = map_opinions([[1, 1]], [1], [1, 2])
    assert OpinionMap.from_dict(json.loads(json.dumps(problem.as_dict()))) == problem


def test_method_note_states_the_parameters_used() -> None:
    note = str(method_note(min_votes=4))
    assert "%(" not in note
    assert "fewer than 4 statements" in note
    assert f"{opinion.N_INIT} starts, fixed random seed {opinion.RANDOM_STATE}" in note
    assert "from 2 to 5" in note
    assert "at least 0.6" in note
    assert run(planted((30, 30), seed=19)).method_note() == method_note(opinion.MIN_VOTES)
