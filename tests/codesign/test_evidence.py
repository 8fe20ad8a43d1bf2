"""A mission's co-design as evidence: what residents published and the counts behind the
summaries appear; what is unpublished, other missions' and anyone's account never does."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.codesign import moderation, services
from engage.codesign.evidence import contributor_keys, evidence_items
from engage.codesign.models import (
    Citation,
    Moderation,
    PriorityMethod,
    Round,
    RoundKind,
    RoundStatus,
    Synthesis,
    Visibility,
)
from engage.codesign.opinion import OpinionMap
from engage.evidence import EvidenceItem
from engage.missions.models import Mission
from engage.security import Role
from tests.conftest import counting_queries
from tests.factories import (
    make_comment,
    make_contribution,
    make_mission,
    make_process,
    make_round,
    make_user,
    make_votes,
)


def items_of(session: Session, mission: Mission, kind: str) -> list[EvidenceItem]:
    return [item for item in evidence_items(session, mission.id) if item.source_kind == kind]


def officer(session: Session) -> User:
    return make_user(session, role=Role.OFFICER)


def test_residents_ideas_and_comments_come_with_their_round_and_counts(session: Session) -> None:
    mission = make_mission(session)
    process = make_process(session, mission, title="Healthy streets")
    ideas = make_round(session, process, title="Your ideas")
    resident, neighbour = make_user(session), make_user(session)
    idea = make_contribution(session, ideas, resident, title="Trees", text="Plant trees.")
    idea.area = "North"
    session.commit()
    for supporter in (neighbour, make_user(session)):
        services.toggle_support(session, idea.id, actor=supporter)
    comment = make_comment(session, idea, neighbour, text="Fruit trees please.")
    reply = make_comment(session, idea, resident, text="Good idea.", parent=comment)

    contributions = items_of(session, mission, "codesign.contribution")
    comments = items_of(session, mission, "codesign.comment")

    assert [(i.source_id, i.title, i.text) for i in contributions] == [
        (idea.id, "Trees", "Plant trees.")
    ]
    assert contributions[0].attributes == {
        "process_id": str(process.id),
        "process_title": "Healthy streets",
        "round_id": str(ideas.id),
        "round_title": "Your ideas",
        "round_kind": "ideas",
        "round_status": "open",
        "contribution_kind": "idea",
        "comments": "2",
        "area": "North",
        "supports": "2",
    }
    assert [(i.source_id, i.text) for i in comments] == [
        (comment.id, "Fruit trees please."),
        (reply.id, "Good idea."),
    ]
    assert comments[0].attributes["contribution_id"] == str(idea.id)
    assert comments[0].attributes["parent_comment_id"] == ""
    assert comments[1].attributes["parent_comment_id"] == str(comment.id)
    assert comments[1].title == f"Comment on #{idea.id} Trees"
    # The same resident has the same key on their idea and their reply, the neighbour another.
    assert contributions[0].contributor_key == comments[1].contributor_key
    assert comments[0].contributor_key not in (None, contributions[0].contributor_key)


def test_paragraph_comments_are_evidence_but_the_officers_draft_is_not(session: Session) -> None:
    mission = make_mission(session)
    review = make_round(
        session,
        make_process(session, mission),
        kind=RoundKind.DRAFT_REVIEW,
        items=("First paragraph.", "Second paragraph."),
    )
    second = services.seeded_items(session, review.id)[1]
    comment = make_comment(session, second, text="Say when.")

    items = list(evidence_items(session, mission.id))

    assert [i.source_kind for i in items] == ["codesign.comment", "codesign.draft_ratings"]
    assert items[0].source_id == comment.id
    assert items[0].attributes["contribution_kind"] == "paragraph"
    assert items[0].attributes["paragraph"] == "2"


def test_unpublished_items_draft_rounds_and_other_missions_never_appear(session: Session) -> None:
    mission = make_mission(session)
    process = make_process(session, mission)
    staff = officer(session)
    moderated = make_round(session, process, moderation=Moderation.BEFORE)
    published = make_contribution(session, moderated, text="Shown.")
    for visibility in (Visibility.PENDING, Visibility.HIDDEN, Visibility.REPORTED):
        make_contribution(
            session, moderated, text=f"Not shown: {visibility}.", visibility=visibility
        )
    pending = services.add_comment(
        session, published.id, "Waiting for approval.", parent_id=None, actor=make_user(session)
    )
    hidden = make_comment(session, published, text="Hidden by an officer.")
    moderation.moderate_comment(
        session, hidden.id, moderation.ModerationAction.HIDE, "Off topic.", actor=staff
    )
    reported = make_comment(session, published, text="Hidden by reports.")
    for _ in range(moderation.REPORTS_TO_HIDE):
        moderation.report_comment(session, reported.id, "Rude.", actor=make_user(session))
    # Comments on a contribution hidden after they were written go with it.
    later_hidden = make_contribution(session, moderated, text="Hidden later.")
    make_comment(session, later_hidden, text="On something hidden.")
    moderation.moderate_contribution(
        session, later_hidden.id, moderation.ModerationAction.HIDE, "Duplicate.", actor=staff
    )
    draft = make_round(session, process, status=RoundStatus.DRAFT)
    make_comment(session, make_contribution(session, draft, text="In a draft round."))
    draft_statements = make_round(
        session, process, kind=RoundKind.STATEMENTS, status=RoundStatus.DRAFT, items=("Drafted.",)
    )
    make_votes(
        session,
        draft_statements,
        [(make_user(session), services.seeded_items(session, draft_statements.id)[0], 1)],
    )
    other_mission = make_mission(session)
    elsewhere = make_round(session, make_process(session, other_mission))
    make_comment(session, make_contribution(session, elsewhere, text="Another mission."))

    items = list(evidence_items(session, mission.id))

    assert pending.visibility is Visibility.PENDING
    assert [(i.source_kind, i.text) for i in items] == [("codesign.contribution", "Shown.")]
    assert [i.text for i in evidence_items(session, other_mission.id)] == [
        "Another mission.",
        "Yes, and fruit trees please.",
    ]


def test_a_mission_without_co_design_has_no_evidence_from_it(session: Session) -> None:
    mission = make_mission(session)
    make_round(session, make_process(session, mission), status=RoundStatus.DRAFT)

    assert list(evidence_items(session, mission.id)) == []


def test_statements_are_counted_per_statement_never_vote_by_vote(session: Session) -> None:
    mission = make_mission(session)
    round_ = make_round(
        session,
        make_process(session, mission),
        kind=RoundKind.STATEMENTS,
        items=("Fewer cars.", "More buses."),
    )
    cars, buses = services.seeded_items(session, round_.id)
    author = make_user(session)
    own = services.add_statement(session, round_.id, "Safer crossings.", actor=author)
    hidden = make_contribution(session, round_, text="Hidden.", visibility=Visibility.HIDDEN)
    voters = [make_user(session) for _ in range(4)]
    make_votes(
        session,
        round_,
        [(voter, cars, value) for voter, value in zip(voters, (1, 1, -1, 0), strict=True)]
        + [(voters[0], buses, -1), (voters[1], own, 0), (voters[2], hidden, 1)],
    )

    votes = items_of(session, mission, "codesign.statement_votes")
    contributions = items_of(session, mission, "codesign.contribution")

    counted = {
        i.source_id: (i.attributes["agree"], i.attributes["disagree"], i.attributes["pass"])
        for i in votes
    }
    # add_statement records its author's agreement, as the vote page does.
    assert counted == {cars.id: ("2", "1", "1"), buses.id: ("0", "1", "0"), own.id: ("1", "0", "1")}
    assert [i.source_id for i in votes] == [cars.id, buses.id, own.id]
    assert {i.attributes["seeded"] for i in votes if i.source_id != own.id} == {"yes"}
    assert votes[0].attributes["votes"] == "4"
    assert votes[0].attributes["final"] == "no"  # the round is still open
    assert all(i.contributor_key is None for i in votes)
    # The officer's statements are summarised, not residents' evidence.
    assert [i.source_id for i in contributions] == [own.id]
    assert contributions[0].title == "Safer crossings."


def test_a_closed_rounds_opinion_groups_are_summarised_without_who_is_in_them(
    session: Session,
) -> None:
    mission = make_mission(session)
    staff = officer(session)
    round_ = make_round(
        session,
        make_process(session, mission),
        kind=RoundKind.STATEMENTS,
        items=("Close the road.", "Add parking.", "Plant trees.", "Widen pavements."),
    )
    close_road, parking, trees, pavements = services.seeded_items(session, round_.id)
    drivers = [make_user(session) for _ in range(4)]
    walkers = [make_user(session) for _ in range(4)]
    votes = []
    for person in drivers:
        votes += [(person, close_road, -1), (person, parking, 1), (person, pavements, -1)]
    for person in walkers:
        votes += [(person, close_road, 1), (person, parking, -1), (person, pavements, 1)]
    votes += [(person, trees, 1) for person in drivers + walkers]
    make_votes(session, round_, votes)
    open_items = items_of(session, mission, "codesign.opinion_groups")

    services.close_round(session, round_.id, actor=staff)
    [item] = items_of(session, mission, "codesign.opinion_groups")

    assert open_items == []  # groups are evidence once the round has closed
    session.refresh(round_)
    assert round_.opinion_map is not None
    stored = OpinionMap.from_dict(round_.opinion_map)
    assert item.source_id == round_.id
    assert item.created_at == round_.closes_at
    assert item.attributes["groups"] == "2"
    assert item.attributes["group_sizes"] == "4,4"
    assert item.attributes["participants"] == item.attributes["placed"] == "8"
    assert str(trees.id) in item.attributes["consensus_statement_ids"].split(",")
    assert item.attributes["consensus_statement_ids"] == ",".join(
        str(s.statement_id) for s in stored.consensus
    )
    assert item.attributes["divisive_statement_ids"] == ",".join(
        str(s.statement_id) for s in stored.divisive
    )
    assert set(item.attributes) == {
        *("process_id", "process_title", "round_id", "round_title", "round_kind"),
        *("round_status", "final", "participants", "placed", "too_few_votes", "statements"),
        *("groups", "group_sizes", "consensus_statement_ids", "divisive_statement_ids"),
        *("method_note", "silhouette", "weakly_separated"),
    }
    assert item.attributes["final"] == "yes"


def test_a_closed_round_without_groups_says_why(session: Session) -> None:
    mission = make_mission(session)
    round_ = make_round(
        session, make_process(session, mission), kind=RoundKind.STATEMENTS, items=("One.", "Two.")
    )
    make_votes(
        session, round_, [(make_user(session), services.seeded_items(session, round_.id)[0], 1)]
    )
    services.close_round(session, round_.id, actor=officer(session))

    [item] = items_of(session, mission, "codesign.opinion_groups")

    assert item.attributes["groups"] == "0"
    assert item.attributes["too_few_votes"] == "1"
    assert item.attributes["problem"]
    assert item.text == f"No opinion groups: {item.attributes['problem']}"


@pytest.mark.parametrize("method", [PriorityMethod.RANKING, PriorityMethod.POINTS])
def test_priority_results_are_the_ones_residents_are_shown(
    session: Session, method: PriorityMethod
) -> None:
    mission = make_mission(session)
    round_ = make_round(
        session,
        make_process(session, mission),
        kind=RoundKind.PRIORITIES,
        items=("Buses", "Bikes", "Benches"),
        priority_method=method,
        points_budget=10 if method is PriorityMethod.POINTS else None,
    )
    buses, bikes, benches = (o.id for o in services.seeded_items(session, round_.id))
    answers = (
        [
            {buses: 1, bikes: 2, benches: 3},
            {buses: 2, bikes: 1, benches: 3},
            {bikes: 1, buses: 2, benches: 3},
        ]
        if method is PriorityMethod.RANKING
        else [{buses: 5, bikes: 5, benches: 0}, {buses: 0, bikes: 7, benches: 3}]
    )
    for answer in answers:
        services.submit_priorities(session, round_.id, answer, actor=make_user(session))

    [item] = items_of(session, mission, "codesign.priority_results")
    shown = services.priority_results(session, round_.id, viewer=None)

    assert item.source_id == round_.id
    assert item.attributes["method"] == method.value
    assert item.attributes["participants"] == str(shown.participants) == str(len(answers))
    assert item.attributes["option_ids"] == ",".join(str(r.option.id) for r in shown.options)
    for result in shown.options:
        assert item.attributes[f"option.{result.option.id}.score"] == f"{result.score:g}"
        assert float(item.attributes[f"option.{result.option.id}.share"]) == pytest.approx(
            result.share, abs=1e-4
        )
        if method is PriorityMethod.RANKING:
            assert item.attributes[f"option.{result.option.id}.first_places"] == str(
                result.first_places
            )
    assert item.text.splitlines()[0].startswith("1. Bikes")


def test_draft_ratings_are_counted_per_score_with_their_mean(session: Session) -> None:
    mission = make_mission(session)
    review = make_round(
        session, make_process(session, mission), kind=RoundKind.DRAFT_REVIEW, items=("Draft.",)
    )
    for score in (5, 4, 4, 1):
        services.rate_draft(session, review.id, score, actor=make_user(session))

    [item] = items_of(session, mission, "codesign.draft_ratings")

    assert item.source_id == review.id
    assert {f"score_{n}": item.attributes[f"score_{n}"] for n in range(1, 6)} == {
        "score_1": "1", "score_2": "0", "score_3": "0", "score_4": "2", "score_5": "1",
    }  # fmt: skip
    assert item.attributes["ratings"] == "4"
    assert item.attributes["mean"] == "3.50"
    assert item.text == "4 ratings, mean 3.50 out of 5."


def test_published_syntheses_cite_contributions_and_their_statement_version(
    session: Session,
) -> None:
    mission = make_mission(session, statements=("Healthy streets.", "Healthy, green streets."))
    process = make_process(session, mission)
    first = make_round(session, process, title="Ideas", status=RoundStatus.SYNTHESISED)
    trees = make_contribution(session, first, title="Trees")
    bikes = make_contribution(session, first, title="Bikes")
    second = make_round(session, process, title="More ideas", status=RoundStatus.CLOSED)
    published = Synthesis(
        round_id=first.id,
        text=f"People want #{bikes.id} and #{trees.id}.",
        published_at=datetime.now(UTC),
        statement_version_id=mission.versions[1].id,
        citations=[Citation(contribution_id=trees.id), Citation(contribution_id=bikes.id)],
    )
    draft = Synthesis(round_id=second.id, text=f"Still a draft citing #{trees.id}.")
    session.add_all([published, draft])
    session.commit()

    [item] = items_of(session, mission, "codesign.synthesis")

    assert item.source_id == published.id
    assert item.text == f"People want #{bikes.id} and #{trees.id}."
    assert item.title == "Synthesis of Ideas"
    assert item.attributes["cited_contribution_ids"] == f"{trees.id},{bikes.id}"
    assert item.attributes["statement_version"] == "2"
    assert item.contributor_key is None


def test_a_synthesis_without_a_statement_version_says_so(session: Session) -> None:
    mission = make_mission(session)
    round_ = make_round(session, make_process(session, mission), status=RoundStatus.SYNTHESISED)
    session.add(Synthesis(round_id=round_.id, text="Nothing new.", published_at=datetime.now(UTC)))
    session.commit()

    [item] = items_of(session, mission, "codesign.synthesis")

    assert item.attributes["statement_version"] == ""
    assert item.attributes["cited_contribution_ids"] == ""


def test_keys_are_pseudonyms_and_no_account_details_appear(session: Session) -> None:
    mission = make_mission(session)
    process = make_process(session, mission)
    ideas = make_round(session, process)
    statements = make_round(session, process, kind=RoundKind.STATEMENTS, items=("Seeded.",))
    first = make_user(session, email="ada@example.org", display_name="Ada Lovelace")
    second = make_user(session, email="grace@example.org", display_name="Grace Hopper")
    idea = make_contribution(session, ideas, second)
    make_comment(session, idea, first)
    make_contribution(session, ideas, first, title="Benches")
    statement = services.add_statement(session, statements.id, "Quieter streets.", actor=first)
    make_votes(session, statements, [(second, services.seeded_items(session, statements.id)[0], 1)])
    # Someone else's key in another mission says nothing about these.
    make_contribution(session, make_round(session, make_process(session)), first)

    items = list(evidence_items(session, mission.id))
    everything = " ".join(
        f"{i.title} {i.text} {i.contributor_key} {' '.join(i.attributes.values())}" for i in items
    )

    keys = {i.source_id: i.contributor_key for i in items if i.contributor_key}
    assert keys[idea.id] == f"codesign:m{mission.id}:p1"  # the first to write gets the first key
    assert keys[statement.id] == f"codesign:m{mission.id}:p2"
    assert contributor_keys(session, mission.id) == {
        second.id: f"codesign:m{mission.id}:p1",
        first.id: f"codesign:m{mission.id}:p2",
    }
    for detail in ("ada@example.org", "grace@example.org", "Ada Lovelace", "Grace Hopper"):
        assert detail not in everything
    assert not any(
        re.search(r"user|participant_ids|voter", key) for i in items for key in i.attributes
    )


def test_keys_stay_the_same_when_later_residents_arrive_or_items_are_hidden(
    session: Session,
) -> None:
    mission = make_mission(session)
    round_ = make_round(session, make_process(session, mission))
    early, late = make_user(session), make_user(session)
    first_idea = make_contribution(session, round_, early)
    make_contribution(session, round_, late)
    before = contributor_keys(session, mission.id)

    make_contribution(session, round_, make_user(session))
    moderation.moderate_contribution(
        session,
        first_idea.id,
        moderation.ModerationAction.HIDE,
        "Off topic.",
        actor=officer(session),
    )

    after = contributor_keys(session, mission.id)
    assert {k: after[k] for k in before} == before
    assert len(after) == 3


def test_items_come_kind_by_kind_in_time_then_number_order_every_time(session: Session) -> None:
    mission = make_mission(session)
    round_ = make_round(session, make_process(session, mission))
    ideas = [make_contribution(session, round_, title=f"Idea {n}") for n in range(3)]
    # The newest idea is back-dated, and two share a time: time first, then number.
    at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    ideas[2].created_at = at - timedelta(days=1)
    ideas[0].created_at = ideas[1].created_at = at
    session.commit()
    make_comment(session, ideas[1])

    runs = [list(evidence_items(session, mission.id)) for _ in range(2)]

    assert runs[0] == runs[1]
    assert [(i.source_kind, i.title) for i in runs[0]] == [
        ("codesign.contribution", "Idea 2"),
        ("codesign.contribution", "Idea 0"),
        ("codesign.contribution", "Idea 1"),
        ("codesign.comment", f"Comment on #{ideas[1].id} Idea 1"),
    ]


def add_activity(session: Session, rounds: dict[RoundKind, Round], people: int) -> None:
    """``people`` more residents, each writing, commenting, supporting, voting and rating."""
    statements = services.seeded_items(session, rounds[RoundKind.STATEMENTS].id)
    options = [o.id for o in services.seeded_items(session, rounds[RoundKind.PRIORITIES].id)]
    for _ in range(people):
        person = make_user(session)
        idea = make_contribution(session, rounds[RoundKind.IDEAS], person)
        make_comment(session, idea, person)
        services.toggle_support(session, idea.id, actor=person)
        make_votes(session, rounds[RoundKind.STATEMENTS], [(person, s, 1) for s in statements])
        services.submit_priorities(
            session,
            rounds[RoundKind.PRIORITIES].id,
            {option: rank for rank, option in enumerate(options, start=1)},
            actor=person,
        )
        services.rate_draft(session, rounds[RoundKind.DRAFT_REVIEW].id, 4, actor=person)


def test_the_number_of_queries_does_not_grow_with_the_contributions(session: Session) -> None:
    mission = make_mission(session)
    process = make_process(session, mission)
    rounds = {
        kind: make_round(session, process, kind=kind, items=("One.", "Two.")) for kind in RoundKind
    }
    add_activity(session, rounds, 2)
    with counting_queries(session) as few:
        small = list(evidence_items(session, mission.id))
    session.expire_all()

    add_activity(session, rounds, 20)
    session.expire_all()
    with counting_queries(session) as many:
        large = list(evidence_items(session, mission.id))

    assert len(large) > len(small)
    assert len(many) == len(few)
    ideas = [i for i in large if i.source_kind == "codesign.contribution"]
    assert len(ideas) == 22
    assert {i.attributes["supports"] for i in ideas} == {"1"}
