"""A mission's co-design as evidence items. Evaluation reads co-design only through here.

What becomes evidence is what the public pages of a round show, taken from published rounds
(every status but draft) of the mission's processes:

- ``codesign.contribution``: residents' own contributions (ideas, statements added by
  participants) that are visible. What officers prepared (seed statements, priority options, a
  draft's paragraphs) is not residents' evidence; it appears only through the summaries below.
- ``codesign.comment``: visible comments and replies on visible contributions, paragraphs of a
  draft under review included.
- ``codesign.statement_votes``: one per visible statement, seeded or not, with its agree,
  disagree and pass counts. Never an individual vote.
- ``codesign.opinion_groups``: one per closed (or synthesised) statements round whose opinion
  groups were stored when it closed: how many groups, their sizes, the consensus and divisive
  statements. Never who is in which group.
- ``codesign.priority_results``: one per priorities round: each option's score and share, and
  how many took part.
- ``codesign.draft_ratings``: one per draft-review round: how many gave each rating, and the mean.
- ``codesign.synthesis``: published syntheses, with the contributions they cite and the
  statement version they published, if any.

Items come kind by kind in that order, each kind by ``created_at`` then id. Summaries of a round
are dated by its closing date (the scheduled one while it is still open, with
``final`` = ``no``). Everything is read with a fixed number of queries, whatever the number of
rounds, contributions or votes.

Contributor keys. engage has no shared helper for contributor keys, and services hold no secret
with which to key a hash (an unkeyed hash of an account number is undone by hashing every
number). So the key is an ordinal within the mission: ``codesign:m<mission>:p<n>`` for the n-th
person to write a contribution or a comment in any of the mission's co-design rounds, in the
order of their first one (whatever its visibility: hiding or approving something renumbers no
one). It names no account and cannot be matched across missions; it stays the same as
contributions are added, because later arrivals only take later numbers. Items whose author's
account is gone have no key. Seeded items and summaries have no key either: they are the city's
or everyone's.

Segments. A contribution or comment carries its author's demographic segment
(``engage.accounts.services.consented_segments``) only where the author consented to its use in
evaluation; summaries and syntheses, having no one author, carry none.
"""

from __future__ import annotations

import textwrap
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session, contains_eager, selectinload

from engage.accounts.services import consented_segments
from engage.codesign.models import (
    CodesignProcess,
    Comment,
    Contribution,
    ContributionKind,
    DraftRating,
    PriorityAnswer,
    PriorityMethod,
    Round,
    RoundKind,
    RoundStatus,
    Support,
    Synthesis,
    Visibility,
    Vote,
)
from engage.codesign.opinion import OpinionMap, Tally
from engage.codesign.services import RatingSummary, score_priorities
from engage.codesign.syntheses import CONTRIBUTION_SOURCE
from engage.evidence import EvidenceItem, numbered_contributors
from engage.missions.models import StatementVersion

COMMENT_SOURCE = "codesign.comment"
STATEMENT_VOTES_SOURCE = "codesign.statement_votes"
OPINION_GROUPS_SOURCE = "codesign.opinion_groups"
PRIORITY_RESULTS_SOURCE = "codesign.priority_results"
DRAFT_RATINGS_SOURCE = "codesign.draft_ratings"
SYNTHESIS_SOURCE = "codesign.synthesis"

TITLE_LENGTH = 120
RATING_SCORES = range(1, 6)
FINISHED = (RoundStatus.CLOSED, RoundStatus.SYNTHESISED)


def evidence_items(session: Session, mission_id: int) -> Iterator[EvidenceItem]:
    rounds = _published_rounds(session, mission_id)
    if not rounds:
        return
    round_ids = list(rounds)
    keys = contributor_keys(session, mission_id)
    # Everyone with a key: one query for the segments of all who wrote, whatever they wrote.
    segments = consented_segments(session, keys.keys())
    contributions = list(
        session.scalars(
            sa.select(Contribution)
            .where(
                Contribution.round_id.in_(round_ids),
                Contribution.visibility == Visibility.VISIBLE,
            )
            .order_by(Contribution.created_at, Contribution.id)
        )
    )
    by_id = {contribution.id: contribution for contribution in contributions}
    comments = list(
        session.scalars(
            sa.select(Comment)
            .where(
                Comment.contribution_id.in_(
                    sa.select(Contribution.id).where(
                        Contribution.round_id.in_(round_ids),
                        Contribution.visibility == Visibility.VISIBLE,
                    )
                ),
                Comment.visibility == Visibility.VISIBLE,
            )
            .order_by(Comment.created_at, Comment.id)
        )
    )
    yield from _contribution_items(
        session, mission_id, rounds, contributions, comments, keys, segments, round_ids
    )
    yield from _comment_items(mission_id, rounds, by_id, comments, keys, segments)
    yield from _statement_vote_items(session, mission_id, rounds, contributions, round_ids)
    yield from _opinion_items(mission_id, rounds)
    yield from _priority_items(session, mission_id, rounds, contributions, round_ids)
    yield from _rating_items(session, mission_id, rounds, round_ids)
    yield from _synthesis_items(session, mission_id, rounds, round_ids)


def contributor_keys(session: Session, mission_id: int) -> dict[int, str]:
    """Account id -> the pseudonymous key of everyone who wrote in the mission's co-design."""
    mission_rounds = (
        sa.select(Round.id)
        .join(CodesignProcess, CodesignProcess.id == Round.process_id)
        .where(CodesignProcess.mission_id == mission_id)
    )
    # Seeded items are left out: an officer re-preparing a draft round re-creates them, which
    # would move the officer's first appearance and renumber everyone after.
    written = sa.union_all(
        sa.select(
            Contribution.author_id.label("author_id"), Contribution.created_at.label("at")
        ).where(Contribution.round_id.in_(mission_rounds), Contribution.seeded.is_(False)),
        sa.select(Comment.author_id.label("author_id"), Comment.created_at.label("at"))
        .join(Contribution, Contribution.id == Comment.contribution_id)
        .where(Contribution.round_id.in_(mission_rounds)),
    ).subquery()
    return numbered_contributors(session, written, f"codesign:m{mission_id}")


def _published_rounds(session: Session, mission_id: int) -> dict[int, Round]:
    rounds = session.scalars(
        sa.select(Round)
        .join(CodesignProcess, CodesignProcess.id == Round.process_id)
        .where(CodesignProcess.mission_id == mission_id, Round.status != RoundStatus.DRAFT)
        .options(contains_eager(Round.process))
        .order_by(CodesignProcess.id, Round.position, Round.id)
    )
    return {round_.id: round_ for round_ in rounds}


def _round_attributes(round_: Round) -> dict[str, str]:
    return {
        "process_id": str(round_.process_id),
        "process_title": round_.process.title,
        "round_id": str(round_.id),
        "round_title": round_.title,
        "round_kind": round_.kind.value,
        "round_status": round_.status.value,
    }


def _summary_attributes(round_: Round) -> dict[str, str]:
    return _round_attributes(round_) | {"final": "yes" if round_.status in FINISHED else "no"}


def _title(text: str) -> str:
    return textwrap.shorten(text, TITLE_LENGTH, placeholder="…")


def _ids(ids: Sequence[int]) -> str:
    return ",".join(str(i) for i in ids)


def _contribution_items(
    session: Session,
    mission_id: int,
    rounds: dict[int, Round],
    contributions: list[Contribution],
    comments: list[Comment],
    keys: dict[int, str],
    segments: dict[int, str],
    round_ids: list[int],
) -> Iterator[EvidenceItem]:
    supports = dict(
        session.execute(
            sa.select(Support.contribution_id, sa.func.count())
            .join(Contribution, Contribution.id == Support.contribution_id)
            .where(Contribution.round_id.in_(round_ids))
            .group_by(Support.contribution_id)
        ).all()
    )
    comment_counts = Counter(comment.contribution_id for comment in comments)
    for contribution in contributions:
        if contribution.seeded:
            continue
        attributes = _round_attributes(rounds[contribution.round_id]) | {
            "contribution_kind": contribution.kind.value,
            "comments": str(comment_counts[contribution.id]),
        }
        if contribution.kind is ContributionKind.IDEA:
            attributes |= {
                "area": contribution.area,
                "supports": str(supports.get(contribution.id, 0)),
            }
        yield EvidenceItem(
            source_kind=CONTRIBUTION_SOURCE,
            source_id=contribution.id,
            mission_id=mission_id,
            created_at=contribution.created_at,
            title=contribution.title or _title(contribution.text),
            text=contribution.text,
            contributor_key=_key(keys, contribution.author_id),
            attributes=attributes,
            segment=_key(segments, contribution.author_id),
        )


def _key(keys: dict[int, str], author_id: int | None) -> str | None:
    return keys.get(author_id) if author_id is not None else None


def _comment_items(
    mission_id: int,
    rounds: dict[int, Round],
    contributions: dict[int, Contribution],
    comments: list[Comment],
    keys: dict[int, str],
    segments: dict[int, str],
) -> Iterator[EvidenceItem]:
    for comment in comments:
        on = contributions[comment.contribution_id]
        attributes = _round_attributes(rounds[on.round_id]) | {
            "contribution_id": str(on.id),
            "contribution_kind": on.kind.value,
            "parent_comment_id": str(comment.parent_id) if comment.parent_id else "",
        }
        if on.kind is ContributionKind.PARAGRAPH:
            attributes["paragraph"] = str(on.position)
        yield EvidenceItem(
            source_kind=COMMENT_SOURCE,
            source_id=comment.id,
            mission_id=mission_id,
            created_at=comment.created_at,
            title=_title(f"Comment on {on.label}"),
            text=comment.text,
            contributor_key=_key(keys, comment.author_id),
            attributes=attributes,
            segment=_key(segments, comment.author_id),
        )


def _statement_vote_items(
    session: Session,
    mission_id: int,
    rounds: dict[int, Round],
    contributions: list[Contribution],
    round_ids: list[int],
) -> Iterator[EvidenceItem]:
    # Counted by the database: individual votes never leave it.
    counts = {
        (statement_id, value): count
        for statement_id, value, count in session.execute(
            sa.select(Vote.statement_id, Vote.value, sa.func.count())
            .where(Vote.round_id.in_(round_ids))
            .group_by(Vote.statement_id, Vote.value)
        )
    }
    for statement in contributions:
        if statement.kind is not ContributionKind.STATEMENT:
            continue
        tally = Tally(
            agree=counts.get((statement.id, 1), 0),
            disagree=counts.get((statement.id, -1), 0),
            passed=counts.get((statement.id, 0), 0),
        )
        yield EvidenceItem(
            source_kind=STATEMENT_VOTES_SOURCE,
            source_id=statement.id,
            mission_id=mission_id,
            created_at=statement.created_at,
            title=_title(f"Votes on {statement.label}"),
            text=statement.text,
            attributes=_summary_attributes(rounds[statement.round_id])
            | {
                "statement_id": str(statement.id),
                "seeded": "yes" if statement.seeded else "no",
                "agree": str(tally.agree),
                "disagree": str(tally.disagree),
                "pass": str(tally.passed),
                "votes": str(tally.votes),
            },
        )


def _rounds_by_closing(rounds: dict[int, Round], kind: RoundKind) -> list[Round]:
    return sorted(
        (round_ for round_ in rounds.values() if round_.kind is kind),
        key=lambda round_: (round_.closes_at, round_.id),
    )


def _opinion_items(mission_id: int, rounds: dict[int, Round]) -> Iterator[EvidenceItem]:
    for round_ in _rounds_by_closing(rounds, RoundKind.STATEMENTS):
        if round_.status not in FINISHED or not round_.opinion_map:
            continue
        found = OpinionMap.from_dict(round_.opinion_map)
        # Counts and statement numbers only: the map's participant ids and points stay behind.
        placed = sum(group.size for group in found.groups)
        consensus = [statement.statement_id for statement in found.consensus]
        divisive = [statement.statement_id for statement in found.divisive]
        attributes = _summary_attributes(round_) | {
            "participants": str(len(found.participant_ids)),
            "placed": str(placed),
            "too_few_votes": str(len(found.too_few_votes)),
            "statements": str(len(found.statement_ids)),
            "groups": str(len(found.groups)),
            "group_sizes": _ids([group.size for group in found.groups]),
            "consensus_statement_ids": _ids(consensus),
            "divisive_statement_ids": _ids(divisive),
            "method_note": str(found.method_note()),
        }
        if found.has_groups:
            silhouette = found.silhouette
            attributes["silhouette"] = "" if silhouette is None else f"{silhouette:.3f}"
            attributes["weakly_separated"] = "yes" if found.weakly_separated else "no"
            text = (
                f"{len(found.groups)} opinion groups among {placed} participants placed; "
                f"{len(consensus)} consensus and {len(divisive)} divisive statements."
            )
        else:
            attributes["problem"] = str(found.problem)
            text = f"No opinion groups: {found.problem}"
        yield EvidenceItem(
            source_kind=OPINION_GROUPS_SOURCE,
            source_id=round_.id,
            mission_id=mission_id,
            created_at=round_.closes_at,
            title=_title(f"Opinion groups of {round_.title}"),
            text=text,
            attributes=attributes,
        )


def _priority_items(
    session: Session,
    mission_id: int,
    rounds: dict[int, Round],
    contributions: list[Contribution],
    round_ids: list[int],
) -> Iterator[EvidenceItem]:
    options: dict[int, list[Contribution]] = defaultdict(list)
    for contribution in sorted(contributions, key=lambda c: (c.position, c.id)):
        if contribution.kind is ContributionKind.OPTION:
            options[contribution.round_id].append(contribution)
    answers = session.execute(
        sa.select(PriorityAnswer.option_id, PriorityAnswer.value, sa.func.count())
        .where(PriorityAnswer.round_id.in_(round_ids))
        .group_by(PriorityAnswer.option_id, PriorityAnswer.value)
    ).all()
    participants = dict(
        session.execute(
            sa.select(PriorityAnswer.round_id, sa.func.count(sa.distinct(PriorityAnswer.user_id)))
            .where(PriorityAnswer.round_id.in_(round_ids))
            .group_by(PriorityAnswer.round_id)
        ).all()
    )
    answers_by_option: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for option_id, value, count in answers:
        answers_by_option[option_id].append((value, count))
    for round_ in _rounds_by_closing(rounds, RoundKind.PRIORITIES):
        method = round_.priority_method or PriorityMethod.RANKING
        ranked = score_priorities(method, options[round_.id], answers_by_option)
        attributes = _summary_attributes(round_) | {
            "method": method.value,
            "participants": str(participants.get(round_.id, 0)),
            "option_ids": _ids([result.option.id for result in ranked]),
        }
        if round_.points_budget is not None:
            attributes["points_budget"] = str(round_.points_budget)
        lines = []
        for place, result in enumerate(ranked, start=1):
            option_id = result.option.id
            attributes[f"option.{option_id}.score"] = str(result.score)
            attributes[f"option.{option_id}.share"] = f"{result.share:.4f}"
            if method is PriorityMethod.RANKING:
                attributes[f"option.{option_id}.first_places"] = str(result.first_places)
            lines.append(f"{place}. {result.option.text} ({result.score}, {result.share:.0%})")
        yield EvidenceItem(
            source_kind=PRIORITY_RESULTS_SOURCE,
            source_id=round_.id,
            mission_id=mission_id,
            created_at=round_.closes_at,
            title=_title(f"Priorities: {round_.title}"),
            text="\n".join(lines),
            attributes=attributes,
        )


def _rating_items(
    session: Session, mission_id: int, rounds: dict[int, Round], round_ids: list[int]
) -> Iterator[EvidenceItem]:
    counts: dict[int, dict[int, int]] = defaultdict(lambda: dict.fromkeys(RATING_SCORES, 0))
    for round_id, score, count in session.execute(
        sa.select(DraftRating.round_id, DraftRating.score, sa.func.count())
        .where(DraftRating.round_id.in_(round_ids))
        .group_by(DraftRating.round_id, DraftRating.score)
    ):
        counts[round_id][score] = count
    for round_ in _rounds_by_closing(rounds, RoundKind.DRAFT_REVIEW):
        summary = RatingSummary(counts[round_.id], mine=None)
        mean = summary.mean
        attributes = _summary_attributes(round_) | {
            "ratings": str(summary.total),
            "mean": "" if mean is None else f"{mean:.2f}",
        }
        attributes |= {f"score_{score}": str(n) for score, n in summary.counts.items()}
        yield EvidenceItem(
            source_kind=DRAFT_RATINGS_SOURCE,
            source_id=round_.id,
            mission_id=mission_id,
            created_at=round_.closes_at,
            title=_title(f"Ratings of the draft: {round_.title}"),
            text=(
                f"{summary.total} ratings, mean {mean:.2f} out of 5."
                if mean is not None
                else "No ratings."
            ),
            attributes=attributes,
        )


def _synthesis_items(
    session: Session, mission_id: int, rounds: dict[int, Round], round_ids: list[int]
) -> Iterator[EvidenceItem]:
    rows = session.execute(
        sa.select(Synthesis, StatementVersion.number)
        .outerjoin(StatementVersion, StatementVersion.id == Synthesis.statement_version_id)
        .where(Synthesis.round_id.in_(round_ids), Synthesis.published_at.is_not(None))
        .options(selectinload(Synthesis.citations))
        .order_by(Synthesis.published_at, Synthesis.id)
    )
    for synthesis, version_number in rows:
        round_ = rounds[synthesis.round_id]
        assert synthesis.published_at is not None  # the query keeps published ones only
        # Written by officers for the city, like a recommendation from a body: no contributor key.
        yield EvidenceItem(
            source_kind=SYNTHESIS_SOURCE,
            source_id=synthesis.id,
            mission_id=mission_id,
            created_at=synthesis.published_at,
            title=_title(f"Synthesis of {round_.title}"),
            text=synthesis.text,
            attributes=_round_attributes(round_)
            | {
                "cited_contribution_ids": _ids([c.contribution_id for c in synthesis.citations]),
                "statement_version": "" if version_number is None else str(version_number),
            },
        )
