"""Co-design use cases with a real session: preparing and running rounds, ideas, comments,
moderation, statement votes and opinion groups, priorities, draft ratings, syntheses, and what
became of a resident's contributions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from engage import jobs
from engage.accounts.models import User
from engage.audit import AuditEntry
from engage.codesign import moderation, services, syntheses
from engage.codesign.models import (
    Contribution,
    ContributionKind,
    DraftRating,
    Moderation,
    PriorityMethod,
    Report,
    Round,
    RoundKind,
    RoundStatus,
    Synthesis,
    Visibility,
    Vote,
)
from engage.codesign.moderation import ModerationAction
from engage.codesign.opinion import OpinionMap
from engage.codesign.services import Phase
from engage.errors import Conflict, Forbidden, Invalid, NotFound
from engage.missions.models import MissionStatus, StatementVersion
from tests.codesign.conftest import audit_entries, plant_two_camps
from tests.factories import (
    make_comment,
    make_contribution,
    make_mission,
    make_process,
    make_round,
    make_user,
    make_votes,
)


def round_fields(
    kind: RoundKind = RoundKind.IDEAS, items: tuple[str, ...] = (), **changes: Any
) -> services.RoundFields:
    """What the round form hands over: a round opening tomorrow for two weeks."""
    opens = datetime.now(UTC) + timedelta(days=1)
    fields = services.RoundFields(
        kind=kind,
        title="Which streets first?",
        prompt="Tell us where to start.",
        opens_at=opens,
        closes_at=opens + timedelta(weeks=2),
        moderation=Moderation.AFTER,
        priority_method=PriorityMethod.RANKING if kind is RoundKind.PRIORITIES else None,
        points_budget=None,
        items=list(items),
    )
    return replace(fields, **changes)


def idea(
    title: str = "Benches on the high street", text: str = "Somewhere to rest."
) -> services.IdeaFields:
    return services.IdeaFields(title=title, text=text, area="Centre")


def count(session: Session, model: type[Any]) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def listed_ids(session: Session, round_: Round, viewer: User | None) -> list[int]:
    page = services.list_contributions(session, round_.id, viewer=viewer, page=1)
    return [row.contribution.id for row in page.items]


def report_by_people(session: Session, contribution: Contribution, people: int) -> list[User]:
    reporters = [make_user(session) for _ in range(people)]
    for reporter in reporters:
        moderation.report_contribution(session, contribution.id, "Off topic.", actor=reporter)
    return reporters


def visibility_of(session: Session, contribution: Contribution) -> Visibility:
    """The contribution's visibility as stored now."""
    session.refresh(contribution)
    return contribution.visibility


def statements_round(session: Session, statements: int = 3) -> tuple[Round, list[Contribution]]:
    round_ = make_round(
        session,
        kind=RoundKind.STATEMENTS,
        items=tuple(f"Statement {number}" for number in range(1, statements + 1)),
    )
    return round_, services.seeded_items(session, round_.id)


def two_camp_round(session: Session) -> tuple[Round, list[Contribution], list[User], list[User]]:
    """12 participants and 6 statements in two camps (see ``plant_two_camps``)."""
    round_, statements = statements_round(session, statements=6)
    camp_a, camp_b = plant_two_camps(session, round_, statements)
    return round_, statements, camp_a, camp_b


def group_members(found: OpinionMap) -> set[frozenset[int]]:
    return {frozenset(group.participant_ids) for group in found.groups}


def camps(*people: list[User]) -> set[frozenset[int]]:
    return {frozenset(person.id for person in camp) for camp in people}


# --- Rounds -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "item_kind"),
    [
        (RoundKind.STATEMENTS, ContributionKind.STATEMENT),
        (RoundKind.PRIORITIES, ContributionKind.OPTION),
        (RoundKind.DRAFT_REVIEW, ContributionKind.PARAGRAPH),
        (RoundKind.IDEAS, None),
    ],
)
def test_create_round_seeds_the_officers_items_by_kind(
    session: Session, officer: User, kind: RoundKind, item_kind: ContributionKind | None
) -> None:
    process = make_process(session)
    make_round(session, process)

    round_ = services.create_round(
        session, process.id, round_fields(kind, items=("First", "Second")), actor=officer
    )

    assert (round_.status, round_.position) == (RoundStatus.DRAFT, 2)
    items = services.seeded_items(session, round_.id)
    [entry] = audit_entries(session, "codesign.round_created")
    assert (entry.subject, entry.actor_id) == (f"codesign_round:{round_.id}", officer.id)
    assert (entry.details["process"], entry.details["kind"]) == (process.id, kind.value)
    if item_kind is None:  # an ideas round takes residents' ideas only
        assert items == []
    else:
        assert [(i.text, i.kind, i.position, i.author_id) for i in items] == [
            ("First", item_kind, 1, officer.id),
            ("Second", item_kind, 2, officer.id),
        ]
        assert entry.details["items"] == 2


@pytest.mark.parametrize(
    ("kind", "changes", "field"),
    [
        (RoundKind.PRIORITIES, {"priority_method": None}, "priority_method"),
        (RoundKind.PRIORITIES, {"priority_method": PriorityMethod.POINTS}, "points_budget"),
        (
            RoundKind.PRIORITIES,
            {"priority_method": PriorityMethod.POINTS, "points_budget": 0},
            "points_budget",
        ),
        (RoundKind.STATEMENTS, {"items": ["x" * (services.STATEMENT_MAX_LENGTH + 1)]}, "items"),
    ],
)
def test_round_fields_are_checked_before_anything_is_stored(
    session: Session, officer: User, kind: RoundKind, changes: dict[str, Any], field: str
) -> None:
    process = make_process(session)
    with pytest.raises(Invalid) as error:
        services.create_round(session, process.id, round_fields(kind, **changes), actor=officer)
    assert error.value.field == field
    session.rollback()
    assert count(session, Round) == 0


def test_a_round_must_close_after_it_opens(session: Session, officer: User) -> None:
    fields = round_fields()
    with pytest.raises(Invalid) as error:
        services.create_round(
            session,
            make_process(session).id,
            replace(fields, closes_at=fields.opens_at),
            actor=officer,
        )
    assert error.value.field == "closes_at"


def test_a_negative_points_budget_is_invalid(session: Session, officer: User) -> None:
    fields = round_fields(
        RoundKind.PRIORITIES, priority_method=PriorityMethod.POINTS, points_budget=-10
    )
    with pytest.raises(Invalid) as error:
        services.create_round(session, make_process(session).id, fields, actor=officer)
    assert error.value.field == "points_budget"


def test_update_round_replaces_the_items_of_a_draft(session: Session, officer: User) -> None:
    round_ = make_round(
        session, kind=RoundKind.PRIORITIES, status=RoundStatus.DRAFT, items=("Trees", "Benches")
    )

    services.update_round(
        session,
        round_.id,
        round_fields(RoundKind.PRIORITIES, items=("Trees", "Crossings", "Bins")),
        actor=officer,
    )

    assert [i.text for i in services.seeded_items(session, round_.id)] == [
        "Trees",
        "Crossings",
        "Bins",
    ]
    [entry] = audit_entries(session, "codesign.round_updated")
    assert entry.details["items"] == ["2", "3"]
    assert entry.details["title"] == [
        "What would make your street healthier?",
        "Which streets first?",
    ]


def test_an_open_round_keeps_its_kind_and_items(session: Session, officer: User) -> None:
    round_ = make_round(session, kind=RoundKind.PRIORITIES, items=("Trees", "Benches"))
    options = [i.id for i in services.seeded_items(session, round_.id)]

    services.update_round(
        session,
        round_.id,
        round_fields(RoundKind.PRIORITIES, items=("Something else", "Entirely")),
        actor=officer,
    )
    # The wording changes, but not what residents already answer on.
    assert round_.title == "Which streets first?"
    assert [i.id for i in services.seeded_items(session, round_.id)] == options

    with pytest.raises(Conflict) as error:
        services.update_round(session, round_.id, round_fields(RoundKind.IDEAS), actor=officer)
    assert error.value.field == "kind"


def test_changing_a_drafts_kind_changes_its_items_kind(session: Session, officer: User) -> None:
    round_ = make_round(
        session, kind=RoundKind.STATEMENTS, status=RoundStatus.DRAFT, items=("Trees", "Benches")
    )

    services.update_round(
        session,
        round_.id,
        round_fields(RoundKind.PRIORITIES, items=("Trees", "Benches")),
        actor=officer,
    )

    assert [i.kind for i in services.seeded_items(session, round_.id)] == [
        ContributionKind.OPTION,
        ContributionKind.OPTION,
    ]


@pytest.mark.parametrize(
    ("kind", "items", "opens"),
    [
        (RoundKind.PRIORITIES, ("Only option",), False),
        (RoundKind.PRIORITIES, ("Trees", "Benches"), True),
        (RoundKind.DRAFT_REVIEW, (), False),
        (RoundKind.DRAFT_REVIEW, ("The only paragraph.",), True),
        (RoundKind.IDEAS, (), True),
    ],
)
def test_open_round_needs_the_items_its_kind_takes(
    session: Session, officer: User, kind: RoundKind, items: tuple[str, ...], opens: bool
) -> None:
    round_ = make_round(session, kind=kind, status=RoundStatus.DRAFT, items=items)

    if opens:
        services.open_round(session, round_.id, actor=officer)
        assert round_.status is RoundStatus.OPEN
        assert len(audit_entries(session, "codesign.round_opened")) == 1
    else:
        with pytest.raises(Invalid):
            services.open_round(session, round_.id, actor=officer)
        assert round_.status is RoundStatus.DRAFT
        assert audit_entries(session, "codesign.round_opened") == []


def test_only_a_draft_round_can_be_opened(session: Session, officer: User) -> None:
    with pytest.raises(Conflict):
        services.open_round(session, make_round(session).id, actor=officer)


def test_phase_follows_the_status_and_the_dates(session: Session) -> None:
    round_ = make_round(session)
    assert services.phase(round_, round_.opens_at - timedelta(seconds=1)) is Phase.UPCOMING
    assert services.phase(round_, round_.opens_at) is Phase.OPEN
    assert services.phase(round_, round_.closes_at) is Phase.ENDED
    for status, expected in [
        (RoundStatus.DRAFT, Phase.DRAFT),
        (RoundStatus.CLOSED, Phase.CLOSED),
        (RoundStatus.SYNTHESISED, Phase.SYNTHESISED),
    ]:
        # Dates do not matter once an officer has moved the round on.
        assert services.phase(make_round(session, status=status), datetime.now(UTC)) is expected


def test_draft_rounds_and_draft_missions_are_shown_to_officers_only(
    session: Session, officer: User, resident: User
) -> None:
    draft = make_round(session, status=RoundStatus.DRAFT)
    in_draft_mission = make_round(
        session, make_process(session, make_mission(session, status=MissionStatus.DRAFT))
    )
    for round_ in (draft, in_draft_mission):
        for viewer in (resident, None):
            with pytest.raises(NotFound):
                services.get_round(session, round_.id, viewer=viewer)
        assert services.get_round(session, round_.id, viewer=officer) is round_


def test_close_round_ends_it_now(session: Session, officer: User) -> None:
    round_ = make_round(session)

    services.close_round(session, round_.id, actor=officer)

    assert round_.status is RoundStatus.CLOSED
    assert round_.closes_at <= datetime.now(UTC)
    assert round_.opinion_map is None  # only statements rounds have opinion groups
    assert [e.subject for e in audit_entries(session, "codesign.round_closed")] == [
        f"codesign_round:{round_.id}"
    ]
    with pytest.raises(Conflict):
        services.close_round(session, round_.id, actor=officer)


def test_closing_a_statements_round_stores_its_opinion_groups(
    session: Session, officer: User
) -> None:
    round_, _, camp_a, camp_b = two_camp_round(session)

    services.close_round(session, round_.id, actor=officer)

    session.expire_all()
    assert round_.opinion_map is not None and round_.opinion_signature
    stored = OpinionMap.from_dict(round_.opinion_map)
    assert group_members(stored) == camps(camp_a, camp_b)


def test_move_round_reorders_the_process(session: Session, officer: User) -> None:
    process = make_process(session)
    first, _, third = (make_round(session, process, title=t) for t in ("A", "B", "C"))

    services.move_round(session, third.id, -1, actor=officer)
    session.expire_all()
    assert [r.title for r in process.rounds] == ["A", "C", "B"]
    assert [r.position for r in process.rounds] == [1, 2, 3]
    [entry] = audit_entries(session, "codesign.round_moved")
    assert (entry.subject, entry.details) == (f"codesign_round:{third.id}", {"position": 2})

    # The first round cannot go earlier: nothing changes and nothing is logged.
    services.move_round(session, first.id, -1, actor=officer)
    session.expire_all()
    assert [r.title for r in process.rounds] == ["A", "C", "B"]
    assert len(audit_entries(session, "codesign.round_moved")) == 1


# --- Ideas --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "opens_in", "closes_in"),
    [
        (RoundStatus.OPEN, timedelta(days=1), timedelta(days=8)),  # upcoming
        (RoundStatus.OPEN, timedelta(days=-8), timedelta(seconds=-1)),  # ended
        (RoundStatus.CLOSED, timedelta(days=-1), timedelta(days=8)),
        (RoundStatus.SYNTHESISED, timedelta(days=-8), timedelta(days=-1)),
    ],
)
def test_ideas_are_taken_only_while_the_round_is_open(
    session: Session, resident: User, status: RoundStatus, opens_in: timedelta, closes_in: timedelta
) -> None:
    now = datetime.now(UTC)
    round_ = make_round(session, status=status, opens_at=now + opens_in, closes_at=now + closes_in)
    with pytest.raises(Conflict):
        services.submit_idea(session, round_.id, idea(), actor=resident)
    session.rollback()
    assert count(session, Contribution) == 0


def test_ideas_go_to_ideas_rounds_only(session: Session, resident: User) -> None:
    round_, _ = statements_round(session)
    with pytest.raises(Invalid):
        services.submit_idea(session, round_.id, idea(), actor=resident)


def test_residents_own_actions_are_not_audit_logged(session: Session, resident: User) -> None:
    ideas = make_round(session)
    submitted = services.submit_idea(session, ideas.id, idea(), actor=resident)
    services.toggle_support(session, submitted.id, actor=make_user(session))
    _, [statement, *_] = statements_round(session)
    services.cast_vote(session, statement.id, "agree", actor=resident)

    assert count(session, AuditEntry) == 0


def test_a_pre_moderated_idea_waits_unseen_by_others(
    session: Session, officer: User, resident: User
) -> None:
    round_ = make_round(session, moderation=Moderation.BEFORE)
    published = make_contribution(session, round_)

    waiting = services.submit_idea(session, round_.id, idea(), actor=resident)

    assert waiting.visibility is Visibility.PENDING
    assert listed_ids(session, round_, make_user(session)) == [published.id]
    assert listed_ids(session, round_, None) == [published.id]
    assert listed_ids(session, round_, resident) == [published.id, waiting.id]
    assert listed_ids(session, round_, officer) == [published.id, waiting.id]

    moderation.moderate_contribution(
        session, waiting.id, ModerationAction.APPROVE, "", actor=officer
    )
    assert listed_ids(session, round_, None) == [published.id, waiting.id]


def test_authors_edit_their_ideas_until_the_round_closes(
    session: Session, officer: User, resident: User
) -> None:
    round_ = make_round(session)
    mine = services.submit_idea(session, round_.id, idea(), actor=resident)

    services.edit_contribution(
        session, mine.id, idea("Benches and shade", "Trees too."), actor=resident
    )
    assert (mine.title, mine.text) == ("Benches and shade", "Trees too.")

    with pytest.raises(Forbidden):
        services.edit_contribution(session, mine.id, idea("Mine now"), actor=make_user(session))
    session.rollback()

    services.close_round(session, round_.id, actor=officer)
    with pytest.raises(Conflict):
        services.edit_contribution(session, mine.id, idea("Too late"), actor=resident)
    session.rollback()
    assert mine.title == "Benches and shade"


def test_support_toggles_on_and_off(session: Session, resident: User) -> None:
    round_ = make_round(session)
    supported = make_contribution(session, round_)

    assert services.toggle_support(session, supported.id, actor=resident) is True
    [row] = services.list_contributions(session, round_.id, viewer=resident, page=1).items
    assert (row.supports, row.supported_by_viewer) == (1, True)

    assert services.toggle_support(session, supported.id, actor=resident) is False
    [row] = services.list_contributions(session, round_.id, viewer=resident, page=1).items
    assert (row.supports, row.supported_by_viewer) == (0, False)


def test_only_published_ideas_can_be_supported(session: Session, resident: User) -> None:
    waiting = make_contribution(session, make_round(session), visibility=Visibility.PENDING)
    with pytest.raises(Conflict):
        services.toggle_support(session, waiting.id, actor=resident)
    _, [statement, *_] = statements_round(session)
    with pytest.raises(Invalid):
        services.toggle_support(session, statement.id, actor=resident)


def test_list_contributions_pages_most_supported_first(session: Session, resident: User) -> None:
    round_ = make_round(session)
    ideas = [make_contribution(session, round_, title=f"Idea {n}") for n in range(5)]
    supporters = [make_user(session) for _ in range(3)]
    # Idea 3 has three supports, idea 1 two, idea 4 one; ideas 0 and 2 none.
    for chosen, people in ((ideas[3], 3), (ideas[1], 2), (ideas[4], 1)):
        for person in supporters[:people]:
            services.toggle_support(session, chosen.id, actor=person)

    pages = [
        services.list_contributions(session, round_.id, viewer=resident, page=n, per_page=2)
        for n in (1, 2, 3)
    ]

    assert [(p.total, p.pages) for p in pages] == [(5, 3)] * 3
    assert [[row.contribution.id for row in p.items] for p in pages] == [
        [ideas[3].id, ideas[1].id],
        [ideas[4].id, ideas[0].id],
        [ideas[2].id],
    ]
    assert [row.supports for p in pages for row in p.items] == [3, 2, 1, 0, 0]
    newest = services.list_contributions(
        session, round_.id, viewer=resident, page=1, order="newest", per_page=2
    )
    assert [row.contribution.id for row in newest.items] == [ideas[4].id, ideas[3].id]


# --- Comments -----------------------------------------------------------------------------------


def test_a_reply_to_a_reply_joins_the_top_level_thread(session: Session, resident: User) -> None:
    contribution = make_contribution(session, make_round(session))
    top = services.add_comment(session, contribution.id, "Yes!", parent_id=None, actor=resident)
    reply = services.add_comment(session, contribution.id, "Why?", parent_id=top.id, actor=resident)
    deeper = services.add_comment(
        session, contribution.id, "Because.", parent_id=reply.id, actor=make_user(session)
    )

    assert (reply.parent_id, deeper.parent_id) == (top.id, top.id)

    elsewhere = make_contribution(session, contribution.round)
    with pytest.raises(Invalid):
        services.add_comment(session, elsewhere.id, "Lost", parent_id=top.id, actor=resident)


def test_list_comments_pages_threads_with_all_their_replies(
    session: Session, resident: User
) -> None:
    contribution = make_contribution(session, make_round(session))
    threads = [make_comment(session, contribution, text=f"Thread {n}") for n in range(3)]
    replies = [make_comment(session, contribution, parent=threads[0]) for _ in range(3)]
    later_reply = make_comment(session, contribution, parent=threads[2])

    first = services.list_comments(session, contribution.id, viewer=resident, page=1, per_page=2)
    second = services.list_comments(session, contribution.id, viewer=resident, page=2, per_page=2)

    assert (first.total, first.pages) == (3, 2)  # replies do not count as threads
    assert [(t.comment.id, [r.id for r in t.replies]) for t in first.items + second.items] == [
        (threads[0].id, [r.id for r in replies]),
        (threads[1].id, []),
        (threads[2].id, [later_reply.id]),
    ]


def test_only_the_author_edits_a_comment_while_the_round_is_open(
    session: Session, officer: User, resident: User
) -> None:
    round_ = make_round(session)
    comment = make_comment(session, make_contribution(session, round_), resident)

    services.edit_comment(session, comment.id, "Fruit trees, please.", actor=resident)
    assert comment.text == "Fruit trees, please."

    with pytest.raises(Forbidden):
        services.edit_comment(session, comment.id, "Changed", actor=make_user(session))
    session.rollback()
    services.close_round(session, round_.id, actor=officer)
    with pytest.raises(Conflict):
        services.edit_comment(session, comment.id, "Changed", actor=resident)
    session.rollback()
    assert comment.text == "Fruit trees, please."


def test_pre_moderated_comments_wait_unseen_by_others(
    session: Session, officer: User, resident: User
) -> None:
    contribution = make_contribution(session, make_round(session, moderation=Moderation.BEFORE))
    waiting = services.add_comment(session, contribution.id, "Hm.", parent_id=None, actor=resident)

    def threads(viewer: User | None) -> list[int]:
        page = services.list_comments(session, contribution.id, viewer=viewer, page=1)
        return [thread.comment.id for thread in page.items]

    assert waiting.visibility is Visibility.PENDING
    assert threads(make_user(session)) == threads(None) == []
    assert threads(officer) == [waiting.id]
    moderation.moderate_comment(session, waiting.id, ModerationAction.APPROVE, "", actor=officer)
    assert threads(None) == [waiting.id]


def test_a_pre_moderated_comment_is_shown_to_its_author(session: Session, resident: User) -> None:
    contribution = make_contribution(session, make_round(session, moderation=Moderation.BEFORE))
    waiting = services.add_comment(session, contribution.id, "Hm.", parent_id=None, actor=resident)

    page = services.list_comments(session, contribution.id, viewer=resident, page=1)

    assert [thread.comment.id for thread in page.items] == [waiting.id]


# --- Moderation ---------------------------------------------------------------------------------


def test_three_reports_from_different_people_hide_an_item(session: Session, resident: User) -> None:
    round_ = make_round(session)
    reported = make_contribution(session, round_)

    report_by_people(session, reported, moderation.REPORTS_TO_HIDE - 1)
    assert visibility_of(session, reported) is Visibility.VISIBLE
    report_by_people(session, reported, 1)

    assert visibility_of(session, reported) is Visibility.REPORTED
    assert listed_ids(session, round_, resident) == []
    details = [e.details for e in audit_entries(session, "codesign.reported")]
    assert details == [
        {"open_reports": 1, "hidden": False},
        {"open_reports": 2, "hidden": False},
        {"open_reports": 3, "hidden": True},
    ]


def test_reporting_the_same_item_twice_is_a_conflict(session: Session, resident: User) -> None:
    contribution = make_contribution(session, make_round(session))
    comment = make_comment(session, contribution)
    moderation.report_contribution(session, contribution.id, "Rude.", actor=resident)
    moderation.report_comment(session, comment.id, "Rude.", actor=resident)

    with pytest.raises(Conflict):
        moderation.report_contribution(session, contribution.id, "Very rude.", actor=resident)
    session.rollback()
    with pytest.raises(Conflict):
        moderation.report_comment(session, comment.id, "Very rude.", actor=resident)
    session.rollback()
    assert count(session, Report) == 2


def test_what_officers_prepared_cannot_be_reported(session: Session, resident: User) -> None:
    _, [statement, *_] = statements_round(session)
    with pytest.raises(Invalid):
        moderation.report_contribution(session, statement.id, "Biased.", actor=resident)


def test_hiding_needs_the_reason_people_will_see(session: Session, officer: User) -> None:
    comment = make_comment(session, make_contribution(session, make_round(session)))

    with pytest.raises(Invalid) as error:
        moderation.moderate_comment(session, comment.id, ModerationAction.HIDE, "", actor=officer)
    assert error.value.field == "reason"
    session.rollback()

    moderation.moderate_comment(
        session, comment.id, ModerationAction.HIDE, "Personal attack.", actor=officer
    )
    assert (comment.visibility, comment.moderation_reason) == (
        Visibility.HIDDEN,
        "Personal attack.",
    )
    [entry] = audit_entries(session, "codesign.hide")
    assert (entry.subject, entry.details) == (
        f"codesign_comment:{comment.id}",
        {"from": "visible", "to": "hidden", "reason": "Personal attack."},
    )


def test_restoring_resolves_the_reports_so_later_ones_count_afresh(
    session: Session, officer: User
) -> None:
    contribution = make_contribution(session, make_round(session))
    report_by_people(session, contribution, 3)
    assert visibility_of(session, contribution) is Visibility.REPORTED

    moderation.moderate_contribution(
        session, contribution.id, ModerationAction.RESTORE, "Within the rules.", actor=officer
    )
    assert visibility_of(session, contribution) is Visibility.VISIBLE
    assert session.scalar(sa.select(sa.func.count()).where(Report.resolved_at.is_(None))) == 0

    report_by_people(session, contribution, 2)
    assert visibility_of(session, contribution) is Visibility.VISIBLE  # two open reports, not five
    report_by_people(session, contribution, 1)
    assert visibility_of(session, contribution) is Visibility.REPORTED


def test_only_a_waiting_contribution_can_be_approved(session: Session, officer: User) -> None:
    contribution = make_contribution(session, make_round(session))
    with pytest.raises(Conflict):
        moderation.moderate_contribution(
            session, contribution.id, ModerationAction.APPROVE, "", actor=officer
        )
    with pytest.raises(Conflict):
        moderation.moderate_contribution(
            session, contribution.id, ModerationAction.RESTORE, "Fine.", actor=officer
        )


def test_moderation_queue_lists_waiting_and_reported_items_with_their_reports(
    session: Session,
) -> None:
    round_ = make_round(session)
    waiting = make_contribution(session, round_, visibility=Visibility.PENDING)
    once_reported = make_contribution(session, round_)
    discussed = make_contribution(session, round_)
    comment = make_comment(session, discussed)
    make_comment(session, discussed)  # never reported
    make_contribution(session, make_round(session), visibility=Visibility.PENDING)  # elsewhere

    [first_reporter] = report_by_people(session, once_reported, 1)
    comment_reporters = [make_user(session) for _ in range(3)]
    for reporter in comment_reporters:
        moderation.report_comment(session, comment.id, "Rude.", actor=reporter)

    queue = moderation.moderation_queue(session, round_.id)

    assert [c.id for c in queue.contributions] == [waiting.id, once_reported.id]
    assert [c.id for c in queue.comments] == [comment.id]
    assert comment.visibility is Visibility.REPORTED
    assert {key: [r.reporter_id for r in reports] for key, reports in queue.reports.items()} == {
        f"contribution:{once_reported.id}": [first_reporter.id],
        f"comment:{comment.id}": [r.id for r in comment_reporters],
    }


# --- Statement votes ----------------------------------------------------------------------------


def test_next_statement_offers_each_unseen_statement_once(session: Session, resident: User) -> None:
    round_, statements = statements_round(session)
    offered = []
    for voted in range(len(statements)):
        statement, progress = services.next_statement(session, round_.id, actor=resident)
        assert statement is not None
        assert (progress.voted, progress.total) == (voted, len(statements))
        offered.append(statement.id)
        services.cast_vote(session, statement.id, "pass", actor=resident)

    assert sorted(offered) == [s.id for s in statements]
    statement, progress = services.next_statement(session, round_.id, actor=resident)
    assert statement is None
    assert (progress.voted, progress.remaining) == (3, 0)


def test_a_participants_own_statement_counts_as_agreed(session: Session, resident: User) -> None:
    round_, statements = statements_round(session, statements=1)

    added = services.add_statement(session, round_.id, "Fewer cars near schools", actor=resident)

    assert services.my_votes(session, round_.id, resident) == [(added, 1)]
    statement, progress = services.next_statement(session, round_.id, actor=resident)
    assert statement is not None and statement.id == statements[0].id
    assert (progress.voted, progress.total) == (1, 2)
    other, _ = services.next_statement(session, round_.id, actor=make_user(session))
    assert other is not None  # others are offered it too
    with pytest.raises(Conflict):  # the same statement, whatever the case
        services.add_statement(
            session, round_.id, "FEWER CARS NEAR SCHOOLS", actor=make_user(session)
        )


def test_changing_a_vote_keeps_one_row(session: Session, resident: User) -> None:
    _, [statement, *_] = statements_round(session)

    services.cast_vote(session, statement.id, "agree", actor=resident)
    services.cast_vote(session, statement.id, "disagree", actor=resident)

    assert session.execute(sa.select(Vote.statement_id, Vote.user_id, Vote.value)).all() == [
        (statement.id, resident.id, -1)
    ]
    with pytest.raises(Invalid):
        services.cast_vote(session, statement.id, "maybe", actor=resident)


def test_votes_are_refused_on_hidden_statements_and_in_closed_rounds(
    session: Session, officer: User, resident: User
) -> None:
    round_, [shown, hidden, *_] = statements_round(session)
    moderation.moderate_contribution(
        session, hidden.id, ModerationAction.HIDE, "Duplicate.", actor=officer
    )
    with pytest.raises(NotFound):
        services.cast_vote(session, hidden.id, "agree", actor=resident)

    services.close_round(session, round_.id, actor=officer)
    with pytest.raises(Conflict):
        services.cast_vote(session, shown.id, "agree", actor=resident)
    session.rollback()
    assert count(session, Vote) == 0


def test_statement_tallies_count_each_choice_most_votes_first(
    session: Session, officer: User
) -> None:
    round_, [quiet, busy, hidden] = statements_round(session)
    people = [make_user(session) for _ in range(4)]
    make_votes(
        session,
        round_,
        [(people[0], quiet, 1)]
        + [(person, busy, value) for person, value in zip(people, (1, 1, -1, 0), strict=True)]
        + [(people[0], hidden, 1)],
    )
    moderation.moderate_contribution(
        session, hidden.id, ModerationAction.HIDE, "Duplicate.", actor=officer
    )

    tallies = services.statement_tallies(session, round_.id)

    assert [(s.id, t.agree, t.disagree, t.passed) for s, t in tallies] == [
        (busy.id, 2, 1, 1),
        (quiet.id, 1, 0, 0),
    ]


# --- Opinion groups -----------------------------------------------------------------------------


def test_officers_follow_the_opinion_groups_while_the_round_runs(
    session: Session, officer: User
) -> None:
    round_, statements, camp_a, camp_b = two_camp_round(session)

    state = services.opinion_state(session, round_.id, viewer=officer)

    assert state.map is not None and state.current
    assert state.votes == len(camp_a + camp_b) * len(statements)
    assert group_members(state.map) == camps(camp_a, camp_b)


def test_residents_see_the_opinion_groups_once_the_round_closes(
    session: Session, officer: User, resident: User
) -> None:
    round_, _, camp_a, camp_b = two_camp_round(session)
    for viewer in (resident, None):
        with pytest.raises(Forbidden):
            services.opinion_state(session, round_.id, viewer=viewer)

    services.close_round(session, round_.id, actor=officer)

    for viewer in (resident, None):
        state = services.opinion_state(session, round_.id, viewer=viewer)
        assert state.map is not None
        assert group_members(state.map) == camps(camp_a, camp_b)


def test_opinion_groups_belong_to_statements_rounds(
    session: Session, app: Flask, officer: User
) -> None:
    ideas = make_round(session)
    with pytest.raises(NotFound):
        services.opinion_state(session, ideas.id, viewer=officer)
    with pytest.raises(Invalid):
        services.start_opinion_job(
            session, ideas.id, runner=app.extensions["engage.jobs"], actor=officer
        )
    assert count(session, jobs.Job) == 0


def test_the_stored_map_is_shown_while_the_votes_are_unchanged(
    session: Session, officer: User, resident: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    round_, _, camp_a, camp_b = two_camp_round(session)
    services.close_round(session, round_.id, actor=officer)

    def recompute(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the stored opinion map should have been used")

    monkeypatch.setattr(services, "_compute_opinion_map", recompute)
    state = services.opinion_state(session, round_.id, viewer=resident)

    assert state.map is not None and state.current
    assert group_members(state.map) == camps(camp_a, camp_b)


def test_a_stale_map_is_recomputed_for_a_small_round(session: Session, officer: User) -> None:
    round_, statements, _, _ = two_camp_round(session)
    services.close_round(session, round_.id, actor=officer)
    stored = dict(round_.opinion_map or {})
    # Hiding a statement after the close changes what the groups are found from.
    moderation.moderate_contribution(
        session, statements[0].id, ModerationAction.HIDE, "Misleading.", actor=officer
    )

    state = services.opinion_state(session, round_.id, viewer=officer)

    assert state.map is not None and state.current
    assert statements[0].id not in state.map.statement_ids
    assert round_.opinion_map == stored  # reading never writes


def test_a_stale_map_of_a_large_round_is_shown_as_not_current(
    session: Session, app: Flask, officer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "OPINION_INLINE_VOTES", 50)
    round_, statements, camp_a, _ = two_camp_round(session)
    runner = app.extensions["engage.jobs"]
    services.start_opinion_job(session, round_.id, runner=runner, actor=officer)
    runner.drain()
    assert services.opinion_state(session, round_.id, viewer=officer).current

    services.cast_vote(session, statements[0].id, "disagree", actor=camp_a[0])
    state = services.opinion_state(session, round_.id, viewer=officer)

    # Too many votes to recompute while the page loads: the old map, marked as out of date.
    assert state.map is not None and not state.current
    assert state.map.statements[0].tally.agree == len(camp_a)


def test_closing_a_large_round_finds_the_groups_in_a_job(
    session: Session, app: Flask, officer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "OPINION_INLINE_VOTES", 50)
    round_, _, camp_a, camp_b = two_camp_round(session)
    runner = app.extensions["engage.jobs"]

    services.close_round(session, round_.id, actor=officer, runner=runner)
    runner.drain()

    session.expire_all()
    assert round_.opinion_job_id is not None
    job = session.get(jobs.Job, round_.opinion_job_id)
    assert job is not None
    assert (job.kind, job.status, job.result) == (
        services.OPINION_JOB,
        jobs.JobStatus.SUCCEEDED,
        {"round_id": round_.id, "groups": 2},
    )
    state = services.opinion_state(session, round_.id, viewer=officer)
    assert state.map is not None and state.current and state.job is None
    assert group_members(state.map) == camps(camp_a, camp_b)
    [entry] = audit_entries(session, "codesign.opinions_started")
    assert entry.details == {"job": job.id}


def test_swapping_which_statements_are_shown_refreshes_the_groups(
    session: Session, officer: User
) -> None:
    round_, statements, _, _ = two_camp_round(session)
    moderation.moderate_contribution(
        session, statements[5].id, ModerationAction.HIDE, "Duplicate.", actor=officer
    )
    services.close_round(session, round_.id, actor=officer)

    moderation.moderate_contribution(
        session, statements[0].id, ModerationAction.HIDE, "Misleading.", actor=officer
    )
    moderation.moderate_contribution(
        session, statements[5].id, ModerationAction.RESTORE, "Not a duplicate.", actor=officer
    )
    state = services.opinion_state(session, round_.id, viewer=None)

    assert state.map is not None
    assert state.map.statement_ids == tuple(s.id for s in statements[1:])


# --- Priorities ---------------------------------------------------------------------------------


@pytest.fixture
def ranking_round(session: Session) -> tuple[Round, list[Contribution]]:
    round_ = make_round(session, kind=RoundKind.PRIORITIES, items=("Trees", "Benches", "Bins"))
    return round_, services.seeded_items(session, round_.id)


@pytest.mark.parametrize(
    "ranks",
    [
        (1, 2),  # an option left out
        (1, 1, 2),  # two options in one place
        (1, 2, 4),  # a place that does not exist
        (0, 1, 2),
    ],
)
def test_a_ranking_gives_every_option_a_different_place(
    session: Session,
    resident: User,
    ranking_round: tuple[Round, list[Contribution]],
    ranks: tuple[int, ...],
) -> None:
    round_, options = ranking_round
    answers = {option.id: rank for option, rank in zip(options, ranks, strict=False)}
    with pytest.raises(Invalid):
        services.submit_priorities(session, round_.id, answers, actor=resident)
    assert services.my_priorities(session, round_.id, resident) == {}


def test_resubmitting_priorities_replaces_them(
    session: Session, resident: User, ranking_round: tuple[Round, list[Contribution]]
) -> None:
    round_, [trees, benches, bins] = ranking_round
    services.submit_priorities(
        session, round_.id, {trees.id: 1, benches.id: 2, bins.id: 3}, actor=resident
    )
    services.submit_priorities(
        session, round_.id, {trees.id: 3, benches.id: 1, bins.id: 2}, actor=resident
    )
    assert services.my_priorities(session, round_.id, resident) == {
        trees.id: 3,
        benches.id: 1,
        bins.id: 2,
    }


def test_ranking_results_are_borda_scores(
    session: Session, ranking_round: tuple[Round, list[Contribution]]
) -> None:
    round_, [trees, benches, bins] = ranking_round
    for ranks in (
        {trees.id: 1, benches.id: 2, bins.id: 3},
        {trees.id: 2, benches.id: 1, bins.id: 3},
    ):
        services.submit_priorities(session, round_.id, ranks, actor=make_user(session))

    results = services.priority_results(session, round_.id, viewer=None)

    # With three options a first place scores 3, a second 2 and a third 1: trees and benches
    # score 3 + 2 each, bins 1 + 1; the tie keeps the officer's order.
    assert results.participants == 2
    assert [(r.option.id, r.score, r.share, r.first_places) for r in results.options] == [
        (trees.id, 5.0, 5 / 12, 1),
        (benches.id, 5.0, 5 / 12, 1),
        (bins.id, 2.0, 2 / 12, 0),
    ]


def test_points_add_up_to_the_budget_and_give_shares(session: Session, resident: User) -> None:
    round_ = make_round(
        session,
        kind=RoundKind.PRIORITIES,
        items=("Trees", "Benches"),
        priority_method=PriorityMethod.POINTS,
        points_budget=10,
    )
    trees, benches = services.seeded_items(session, round_.id)
    for wrong in ({trees.id: 6, benches.id: 6}, {trees.id: 12, benches.id: -2}):
        with pytest.raises(Invalid):
            services.submit_priorities(session, round_.id, wrong, actor=resident)

    services.submit_priorities(session, round_.id, {trees.id: 7, benches.id: 3}, actor=resident)
    services.submit_priorities(
        session, round_.id, {trees.id: 5, benches.id: 5}, actor=make_user(session)
    )

    results = services.priority_results(session, round_.id, viewer=resident)
    assert results.method is PriorityMethod.POINTS
    assert [(r.option.id, r.score, r.share) for r in results.options] == [
        (trees.id, 12.0, 0.6),
        (benches.id, 8.0, 0.4),
    ]


# --- Draft review -------------------------------------------------------------------------------


def test_draft_ratings_are_one_per_person_and_summarised(session: Session, resident: User) -> None:
    round_ = make_round(session, kind=RoundKind.DRAFT_REVIEW, items=("Our streets will...",))
    for score in (0, 6):
        with pytest.raises(Invalid):
            services.rate_draft(session, round_.id, score, actor=resident)

    services.rate_draft(session, round_.id, 4, actor=resident)
    services.rate_draft(session, round_.id, 2, actor=resident)
    services.rate_draft(session, round_.id, 5, actor=make_user(session))

    assert count(session, DraftRating) == 2
    summary = services.rating_summary(session, round_.id, viewer=resident)
    assert summary.counts == {1: 0, 2: 1, 3: 0, 4: 0, 5: 1}
    assert (summary.total, summary.mean, summary.mine) == (2, 3.5, 2)
    assert services.rating_summary(session, round_.id, viewer=None).mine is None


# --- Syntheses ----------------------------------------------------------------------------------


def test_citations_are_read_from_hash_numbers() -> None:
    text = "Most want #12 and #7 (see #12 again); not &#38; nor a#5 nor ##3 nor #4b."

    assert syntheses.cited_ids(text) == [12, 7]
    parts = syntheses.cited_parts("Trees (#12) and #7.")
    assert [(p.text, p.contribution_id) for p in parts] == [
        ("Trees (", None),
        ("#12", 12),
        (") and ", None),
        ("#7", 7),
        (".", None),
    ]


def test_a_synthesis_cites_only_published_contributions_of_its_process_so_far(
    session: Session, officer: User
) -> None:
    process = make_process(session)
    earlier = make_round(session, process, status=RoundStatus.SYNTHESISED)
    round_ = make_round(session, process, status=RoundStatus.CLOSED)
    later = make_round(session, process)
    from_earlier = make_contribution(session, earlier)
    own = make_contribution(session, round_)
    hidden = make_contribution(session, round_, visibility=Visibility.HIDDEN)
    from_later = make_contribution(session, later)
    elsewhere = make_contribution(session, make_round(session, status=RoundStatus.CLOSED))

    with pytest.raises(Invalid) as error:
        syntheses.save_synthesis(
            session,
            round_.id,
            f"#{own.id} #{hidden.id} #{from_earlier.id} #{elsewhere.id} #{from_later.id}",
            actor=officer,
        )
    assert error.value.field == "text"
    assert error.value.params["numbers"] == f"#{hidden.id}, #{elsewhere.id}, #{from_later.id}"
    session.rollback()

    synthesis = syntheses.save_synthesis(
        session,
        round_.id,
        f"Building on #{from_earlier.id}, people asked for #{own.id}.",
        actor=officer,
    )
    assert [c.contribution_id for c in synthesis.citations] == sorted([from_earlier.id, own.id])


def test_a_draft_synthesis_is_revised_and_shown_to_officers_only(
    session: Session, officer: User, resident: User
) -> None:
    round_ = make_round(session)
    first, second = make_contribution(session, round_), make_contribution(session, round_)
    with pytest.raises(Conflict):  # residents are still taking part
        syntheses.save_synthesis(session, round_.id, f"#{first.id}", actor=officer)

    services.close_round(session, round_.id, actor=officer)
    syntheses.save_synthesis(session, round_.id, f"People liked #{first.id}.", actor=officer)
    synthesis = syntheses.save_synthesis(
        session, round_.id, f"People liked #{second.id}.", actor=officer
    )

    assert [c.contribution_id for c in synthesis.citations] == [second.id]
    assert count(session, Synthesis) == 1
    assert syntheses.get_synthesis(session, round_.id, viewer=resident) is None
    shown = syntheses.get_synthesis(session, round_.id, viewer=officer)
    assert shown is not None and shown.published_at is None
    assert [e.details for e in audit_entries(session, "codesign.synthesis_saved")] == [
        {"cites": [first.id]},
        {"cites": [second.id]},
    ]


def test_publishing_a_synthesis_with_a_statement_makes_a_new_statement_version(
    session: Session, officer: User, resident: User
) -> None:
    mission = make_mission(session)
    round_ = make_round(session, make_process(session, mission), status=RoundStatus.CLOSED)
    trees = make_contribution(session, round_, title="Trees")
    calm = make_contribution(session, round_, title="Calm streets")
    text = f"Most asked for trees (#{trees.id}) and calmer traffic (#{calm.id})."

    synthesis = syntheses.publish_synthesis(
        session, round_.id, text, statement="Every street green and calm by 2030.", actor=officer
    )

    assert round_.status is RoundStatus.SYNTHESISED
    assert synthesis.published_at is not None
    shown = syntheses.get_synthesis(session, round_.id, viewer=resident)
    assert shown is not None and shown.id == synthesis.id
    version = session.get(StatementVersion, synthesis.statement_version_id)
    assert version is not None and mission.current_version is version
    assert (version.number, version.text, version.rationale, version.author_id) == (
        2,
        "Every street green and calm by 2030.",
        text,
        officer.id,
    )
    assert sorted((s.source_kind, s.source_id) for s in version.sources) == [
        (syntheses.CONTRIBUTION_SOURCE, trees.id),
        (syntheses.CONTRIBUTION_SOURCE, calm.id),
    ]
    [entry] = audit_entries(session, "codesign.synthesis_published")
    assert entry.details == {"cites": [trees.id, calm.id], "statement_version": version.id}

    with pytest.raises(Conflict):
        syntheses.publish_synthesis(session, round_.id, text, statement=None, actor=officer)


def test_publishing_without_a_statement_leaves_the_mission_statement(
    session: Session, officer: User
) -> None:
    mission = make_mission(session)
    round_ = make_round(session, make_process(session, mission), status=RoundStatus.CLOSED)

    synthesis = syntheses.publish_synthesis(
        session, round_.id, "Few took part.", statement=None, actor=officer
    )

    assert synthesis.statement_version_id is None
    assert [v.number for v in mission.versions] == [1]


# --- What became of my contributions ------------------------------------------------------------


def test_my_contributions_show_the_syntheses_and_statement_versions_they_informed(
    session: Session, officer: User, resident: User
) -> None:
    process = make_process(session)
    first_round = make_round(session, process, status=RoundStatus.CLOSED)
    second_round = make_round(session, process, status=RoundStatus.CLOSED)
    cited = make_contribution(session, first_round, resident, title="Cited")
    only_in_a_draft = make_contribution(session, second_round, resident, title="Draft only")
    make_contribution(session, first_round, title="Someone else's")
    published = syntheses.publish_synthesis(
        session, first_round.id, f"We heard #{cited.id}.", statement="New wording.", actor=officer
    )
    syntheses.save_synthesis(
        session, second_round.id, f"Maybe #{only_in_a_draft.id}.", actor=officer
    )
    # A later round's synthesis can cite it again, without a new statement.
    later = make_round(session, process, status=RoundStatus.CLOSED)
    again = syntheses.publish_synthesis(
        session, later.id, f"Still #{cited.id}.", statement=None, actor=officer
    )

    page = syntheses.my_contributions(session, resident, page=1)

    assert page.total == 2
    outcomes = {o.contribution.id: o for o in page.items}
    assert sorted(s.id for s in outcomes[cited.id].syntheses) == [published.id, again.id]
    assert [v.id for v in outcomes[cited.id].versions] == [published.statement_version_id]
    assert outcomes[cited.id].round.id == first_round.id
    assert (outcomes[only_in_a_draft.id].syntheses, outcomes[only_in_a_draft.id].versions) == (
        [],
        [],
    )


def test_my_contributions_count_supports_and_shown_comments(
    session: Session, officer: User, resident: User
) -> None:
    mine = make_contribution(session, make_round(session), resident)
    make_comment(session, mine)
    hidden = make_comment(session, mine)
    moderation.moderate_comment(session, hidden.id, ModerationAction.HIDE, "Spam.", actor=officer)
    services.toggle_support(session, mine.id, actor=make_user(session))
    make_contribution(session, mine.round)  # someone else's

    [outcome] = syntheses.my_contributions(session, resident, page=1).items

    assert (outcome.contribution.id, outcome.supports, outcome.comments) == (mine.id, 1, 1)
