"""The members' workspace as use cases: drafting a recommendation together, adopting it at a
meeting into the mission's register, the group's record of the city's answers, and reminders of
overdue responses to the responsible officers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.advisory import workspace
from engage.advisory.models import (
    AdvisoryGroup,
    DraftComment,
    DraftRecommendation,
    DraftStatus,
    DraftVersion,
    Meeting,
    MemberRole,
)
from engage.audit import AuditEntry
from engage.errors import Conflict, Forbidden, Invalid
from engage.missions import services as missions
from engage.missions.models import (
    Decision,
    Mission,
    MissionStatus,
    Recommendation,
    RecommendationSourceKind,
)
from engage.security import Role
from tests.factories import (
    make_group,
    make_meeting,
    make_membership,
    make_mission,
    make_user,
    record_presence,
)

TODAY = date.today()
NOW = datetime.now(UTC)
TEXT = "Close the streets outside every primary school at drop-off and pick-up times."
REVISED = "Close the streets outside every primary and secondary school at drop-off and pick-up."


@dataclass(frozen=True)
class Circle:
    """A mission's advisory group with its chair, a member, the responsible officer and a
    meeting held three days ago."""

    mission: Mission
    group: AdvisoryGroup
    officer: User
    chair: User
    member: User
    meeting: Meeting


def make_circle(
    session: Session, *, city_wide: bool = False, meeting_days_ago: int = 3, name: str = ""
) -> Circle:
    officer = make_user(session, role=Role.OFFICER, display_name="Olu Officer")
    mission = make_mission(session, title="Healthy Streets")
    group = make_group(
        session,
        mission,
        city_wide=city_wide,
        responsible_officer=officer,
        name=name or "Healthy Streets Advisory Group",
        quorum=2,
    )
    # Seated for the past year, so that meetings of the last months are theirs.
    seats = [
        make_membership(
            session, group, make_user(session, display_name=name), role=role,
            term_start=TODAY - timedelta(days=365),
        )
        for name, role in (("Chidi Chair", MemberRole.CHAIR), ("Mo Member", MemberRole.MEMBER))
    ]  # fmt: skip
    meeting = make_meeting(
        session,
        group,
        title="Spring meeting",
        starts_at=NOW.replace(microsecond=0) - timedelta(days=meeting_days_ago),
    )
    record_presence(session, meeting, *seats)  # both present: quorate (the quorum is 2)
    return Circle(mission, group, officer, seats[0].user, seats[1].user, meeting)


def start(session: Session, circle: Circle, title: str = "School streets") -> DraftRecommendation:
    return workspace.start_draft(
        session,
        circle.group.slug,
        workspace.DraftFields(title=title, text=TEXT),
        actor=circle.member,
        today=TODAY,
    )


def adopt(session: Session, circle: Circle, draft: DraftRecommendation, **kwargs: Any) -> Any:
    arguments: dict[str, Any] = {
        "meeting_id": circle.meeting.id,
        "actor": circle.chair,
        "today": TODAY,
        "now": NOW,
    }
    arguments.update(kwargs)
    return workspace.adopt_draft(session, draft.id, **arguments)


def actions(session: Session, action: str) -> list[AuditEntry]:
    return list(
        session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def register(session: Session) -> list[Recommendation]:
    return list(session.scalars(sa.select(Recommendation).order_by(Recommendation.id)))


@pytest.fixture
def circle(session: Session) -> Circle:
    return make_circle(session)


# --- Drafting together --------------------------------------------------------------------------


def test_members_draft_together_and_each_revision_is_a_new_version(
    session: Session, circle: Circle
) -> None:
    draft = start(session, circle)
    workspace.revise_draft(
        session,
        draft.id,
        text=REVISED,
        note="Secondary schools too.",
        actor=circle.chair,
        today=TODAY,
    )
    workspace.comment_on_draft(
        session, draft.id, text="Should we name a date?", actor=circle.member, today=TODAY
    )

    page = workspace.get_draft_page(session, draft.id, viewer=circle.member, today=TODAY, now=NOW)
    versions = [(v.number, v.text, v.note, v.author_id) for v in page.draft.versions]
    assert versions == [
        (1, TEXT, "", circle.member.id),
        (2, REVISED, "Secondary schools too.", circle.chair.id),
    ]
    assert page.draft.current is not None and page.draft.current.number == 2
    [first, second] = page.draft.versions
    assert first.id not in page.diffs, "the first version has nothing to differ from"
    changes = {(s.op, s.text.strip()) for s in page.diffs[second.id] if s.op != "same"}
    assert ("added", "and secondary") in changes
    assert ("removed", "times") in changes
    assert [(c.text, c.author_id) for c in page.draft.comments] == [
        ("Should we name a date?", circle.member.id)
    ]
    assert page.can_change


def test_a_revision_must_change_the_wording_and_say_what_changed(
    session: Session, circle: Circle
) -> None:
    draft = start(session, circle)

    with pytest.raises(Invalid) as same:
        workspace.revise_draft(
            session,
            draft.id,
            text="  " + TEXT.replace(" ", "\n", 1),  # spacing alone changes no word
            note="Reflowed.",
            actor=circle.member,
            today=TODAY,
        )
    with pytest.raises(Invalid) as no_note:
        workspace.revise_draft(
            session, draft.id, text=REVISED, note="  ", actor=circle.member, today=TODAY
        )

    assert (same.value.field, no_note.value.field) == ("text", "note")
    session.rollback()
    assert session.scalars(sa.select(DraftVersion.number)).all() == [1]


def former_member(session: Session, group: AdvisoryGroup) -> User:
    ended = make_membership(
        session, group, term_start=TODAY - timedelta(days=800), term_end=TODAY - timedelta(days=70)
    )
    return ended.user


def future_member(session: Session, group: AdvisoryGroup) -> User:
    return make_membership(session, group, term_start=TODAY + timedelta(days=10)).user


OUTSIDERS: dict[str, Callable[[Session, Circle], User]] = {
    "a resident": lambda session, circle: make_user(session),
    "the responsible officer": lambda session, circle: circle.officer,
    "an admin": lambda session, circle: make_user(session, role=Role.ADMIN),
    "a former member": lambda session, circle: former_member(session, circle.group),
    "a member whose term has not begun": lambda session, circle: future_member(
        session, circle.group
    ),
}


@pytest.mark.parametrize("who", OUTSIDERS)
def test_only_current_members_use_the_workspace(session: Session, circle: Circle, who: str) -> None:
    outsider = OUTSIDERS[who](session, circle)
    draft = start(session, circle)
    slug = circle.group.slug

    attempts: dict[str, Callable[[], object]] = {
        "workspace": lambda: workspace.get_workspace(session, slug, viewer=outsider, today=TODAY),
        "draft": lambda: workspace.get_draft_page(
            session, draft.id, viewer=outsider, today=TODAY, now=NOW
        ),
        "start": lambda: workspace.start_draft(
            session, slug, workspace.DraftFields("Mine", TEXT), actor=outsider, today=TODAY
        ),
        "revise": lambda: workspace.revise_draft(
            session, draft.id, text=REVISED, note="Mine.", actor=outsider, today=TODAY
        ),
        "comment": lambda: workspace.comment_on_draft(
            session, draft.id, text="Hello", actor=outsider, today=TODAY
        ),
        "adopt": lambda: adopt(session, circle, draft, actor=outsider),
        "withdraw": lambda: workspace.withdraw_draft(
            session, draft.id, actor=outsider, today=TODAY
        ),
    }
    for attempt in attempts.values():
        with pytest.raises(Forbidden):
            attempt()
        session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(DraftRecommendation)) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(DraftVersion)) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(DraftComment)) == 0
    assert register(session) == []


def test_the_workspace_lists_drafts_being_written_first(session: Session, circle: Circle) -> None:
    first = start(session, circle, "First")
    adopt(session, circle, first)
    second = start(session, circle, "Second")
    start(session, circle, "Third")
    workspace.withdraw_draft(session, second.id, actor=circle.member, today=TODAY)

    page = workspace.get_workspace(session, circle.group.slug, viewer=circle.member, today=TODAY)

    assert [(d.title, d.status) for d in page.drafts] == [
        ("Third", DraftStatus.DRAFTING),
        ("First", DraftStatus.ADOPTED),
        ("Second", DraftStatus.WITHDRAWN),
    ]


# --- Adoption at a meeting ----------------------------------------------------------------------


def test_adoption_enters_the_register_received_on_the_meeting_date(
    session: Session, circle: Circle
) -> None:
    draft = start(session, circle)
    workspace.revise_draft(
        session, draft.id, text=REVISED, note="Secondary too.", actor=circle.member, today=TODAY
    )

    adopt(session, circle, draft)

    session.rollback()
    [entry] = register(session)
    meeting_date = circle.meeting.starts_at.date()
    assert (entry.mission_id, entry.source_kind, entry.source_id, entry.source_label) == (
        circle.mission.id,
        RecommendationSourceKind.ADVISORY_GROUP,
        circle.group.id,
        "Healthy Streets Advisory Group",
    )
    assert (entry.title, entry.text) == ("School streets", REVISED)
    assert entry.received_on == meeting_date
    assert entry.response_due == missions.default_response_due(meeting_date)
    assert entry.created_by_id == circle.chair.id
    draft = session.get_one(DraftRecommendation, draft.id)
    assert (draft.status, draft.adopted_at_meeting_id, draft.register_entry_id) == (
        DraftStatus.ADOPTED,
        circle.meeting.id,
        entry.id,
    )
    [logged] = actions(session, "advisory.draft_adopted")
    assert logged.actor_id == circle.chair.id
    assert logged.details["recommendation"] == entry.id
    assert logged.details["meeting"] == circle.meeting.id
    assert logged.details["version"] == 2
    assert len(actions(session, "recommendation.added")) == 1


def test_the_adopter_may_set_the_response_due_date(session: Session, circle: Circle) -> None:
    due = TODAY + timedelta(days=20)
    adopt(session, circle, start(session, circle), response_due=due)
    [entry] = register(session)
    assert entry.response_due == due


@pytest.mark.parametrize("role", [MemberRole.CHAIR, MemberRole.VICE_CHAIR])
def test_the_chair_or_vice_chair_records_the_adoption(
    session: Session, circle: Circle, role: MemberRole
) -> None:
    adopter = (
        circle.chair
        if role is MemberRole.CHAIR
        else make_membership(session, circle.group, role=MemberRole.VICE_CHAIR).user
    )
    draft = start(session, circle)

    adopt(session, circle, draft, actor=adopter)

    assert session.get_one(DraftRecommendation, draft.id).status is DraftStatus.ADOPTED


def test_an_ordinary_member_cannot_record_an_adoption(session: Session, circle: Circle) -> None:
    draft = start(session, circle)
    page = workspace.get_draft_page(session, draft.id, viewer=circle.member, today=TODAY, now=NOW)
    assert not page.can_adopt

    with pytest.raises(Forbidden):
        adopt(session, circle, draft, actor=circle.member)

    session.rollback()
    assert register(session) == []


def test_a_recommendation_is_adopted_only_at_a_meeting_of_the_group_that_has_started(
    session: Session, circle: Circle
) -> None:
    draft = start(session, circle)
    upcoming = make_meeting(session, circle.group, title="Summer meeting")
    elsewhere = make_meeting(
        session, make_group(session), starts_at=NOW.replace(microsecond=0) - timedelta(days=1)
    )
    page = workspace.get_draft_page(session, draft.id, viewer=circle.chair, today=TODAY, now=NOW)
    assert page.meetings == [circle.meeting]

    cases: dict[str, dict[str, Any]] = {
        "upcoming": {"meeting_id": upcoming.id},
        "another group's": {"meeting_id": elsewhere.id},
        "due before the meeting": {"response_due": circle.meeting.starts_at.date() - timedelta(1)},
    }
    refused = {}
    for name, kwargs in cases.items():
        with pytest.raises(Invalid) as error:
            adopt(session, circle, draft, **kwargs)
        refused[name] = error.value.field
        session.rollback()

    assert refused == {
        "upcoming": "meeting_id",
        "another group's": "meeting_id",
        "due before the meeting": "response_due",
    }
    assert register(session) == []
    assert session.get_one(DraftRecommendation, draft.id).status is DraftStatus.DRAFTING


def test_a_meeting_under_way_can_adopt(session: Session) -> None:
    circle = make_circle(session, meeting_days_ago=0)
    adopt(
        session, circle, start(session, circle), now=circle.meeting.starts_at + timedelta(hours=1)
    )
    assert len(register(session)) == 1


def test_adopting_twice_is_refused(session: Session, circle: Circle) -> None:
    draft = start(session, circle)
    adopt(session, circle, draft)

    with pytest.raises(Conflict):
        adopt(session, circle, draft)

    session.rollback()
    assert len(register(session)) == 1
    assert len(actions(session, "advisory.draft_adopted")) == 1


def test_a_city_wide_group_chooses_the_mission_whose_register_receives_it(
    session: Session,
) -> None:
    circle = make_circle(session, city_wide=True)
    draft = start(session, circle)
    hidden = make_mission(session, title="Not yet public", status=MissionStatus.DRAFT)
    page = workspace.get_draft_page(session, draft.id, viewer=circle.chair, today=TODAY, now=NOW)
    assert page.missions is not None and circle.mission in page.missions
    assert hidden not in page.missions

    for mission_id in (None, hidden.id, 10**6):
        with pytest.raises(Invalid) as error:
            adopt(session, circle, draft, mission_id=mission_id)
        assert error.value.field == "mission_id"
        session.rollback()
    assert register(session) == []

    adopt(session, circle, draft, mission_id=circle.mission.id)
    [entry] = register(session)
    assert entry.mission_id == circle.mission.id


def test_a_missions_group_sends_its_recommendations_to_its_own_mission(
    session: Session, circle: Circle
) -> None:
    page_missions = workspace.get_draft_page(
        session, start(session, circle).id, viewer=circle.chair, today=TODAY, now=NOW
    ).missions
    assert page_missions is None, "nothing to choose"
    other = make_mission(session, title="Zero waste")

    with pytest.raises(Invalid) as error:
        adopt(session, circle, start(session, circle, "Bins"), mission_id=other.id)

    assert error.value.field == "mission_id"


# --- Withdrawal ---------------------------------------------------------------------------------


def test_a_withdrawn_draft_is_closed(session: Session, circle: Circle) -> None:
    draft = start(session, circle)
    other = make_membership(session, circle.group).user
    with pytest.raises(Forbidden):
        workspace.withdraw_draft(session, draft.id, actor=other, today=TODAY)
    session.rollback()

    workspace.withdraw_draft(session, draft.id, actor=circle.member, today=TODAY)

    [logged] = actions(session, "advisory.draft_withdrawn")
    assert (logged.actor_id, logged.subject) == (circle.member.id, f"advisory_draft:{draft.id}")
    for attempt in (
        lambda: workspace.revise_draft(
            session, draft.id, text=REVISED, note="Late.", actor=circle.member, today=TODAY
        ),
        lambda: workspace.comment_on_draft(
            session, draft.id, text="Late.", actor=circle.member, today=TODAY
        ),
        lambda: adopt(session, circle, draft),
        lambda: workspace.withdraw_draft(session, draft.id, actor=circle.chair, today=TODAY),
    ):
        with pytest.raises(Conflict):
            attempt()
        session.rollback()
    assert register(session) == []


def test_the_chair_may_withdraw_a_draft_someone_else_started(
    session: Session, circle: Circle
) -> None:
    draft = start(session, circle)
    workspace.withdraw_draft(session, draft.id, actor=circle.chair, today=TODAY)
    assert session.get_one(DraftRecommendation, draft.id).status is DraftStatus.WITHDRAWN


# --- The group's recommendations and the city's answers -----------------------------------------


def adopt_overdue(session: Session, circle: Circle, title: str) -> Recommendation:
    """A recommendation adopted ten weeks ago whose eight weeks to answer have passed."""
    long_ago = make_meeting(
        session,
        circle.group,
        title="Winter meeting",
        starts_at=NOW.replace(microsecond=0) - timedelta(weeks=10),
    )
    record_presence(session, long_ago, *circle.group.memberships)
    draft = adopt(session, circle, start(session, circle, title), meeting_id=long_ago.id)
    return session.get_one(Recommendation, draft.register_entry_id)


def respond(session: Session, entry: Recommendation, officer: User) -> None:
    missions.respond_to_recommendation(
        session,
        entry.id,
        missions.ResponseFields(
            decision=Decision.ACCEPTED,
            rationale="We will pilot it at five schools.",
            responder_name="Cabinet Member for Transport",
            responded_on=TODAY,
        ),
        actor=officer,
    )


def test_the_groups_recommendations_show_status_response_and_overdue(
    session: Session, circle: Circle
) -> None:
    late = adopt_overdue(session, circle, "Trees on every street")
    answered_draft = adopt(session, circle, start(session, circle, "School streets"))
    awaiting_draft = adopt(session, circle, start(session, circle, "Benches"))
    answered = session.get_one(Recommendation, answered_draft.register_entry_id)
    respond(session, answered, circle.officer)
    elsewhere = make_circle(session, name="Another group")
    adopt(session, elsewhere, start(session, elsewhere, "Not ours"))

    page = workspace.get_recommendations(session, circle.group.slug, viewer=None, today=TODAY)

    assert {e.title: page.status(e) for e in page.entries} == {
        "Trees on every street": "overdue",
        "School streets": "accepted",
        "Benches": "awaiting",
    }
    assert page.counts == {"overdue": 1, "accepted": 1, "awaiting": 1}
    assert page.overdue() == [late]
    assert workspace.overdue_responses(session, circle.group, TODAY) == [late]
    assert page.meetings[answered.id] == circle.meeting
    assert page.meetings[late.id].title == "Winter meeting"
    assert awaiting_draft.register_entry_id in page.meetings


# --- Reminders ----------------------------------------------------------------------------------


def test_each_responsible_officer_gets_one_reminder_listing_every_overdue_response(
    session: Session,
) -> None:
    streets = make_circle(session, name="Streets group")
    parks = make_circle(session, name="Parks group")
    parks.group.responsible_officer = streets.officer  # one officer answers for both
    session.commit()
    other = make_circle(session, name="Water group")
    orphan = make_circle(session, name="Orphan group")
    orphan.group.responsible_officer = None
    session.commit()
    trees = adopt_overdue(session, streets, "Trees")
    benches = adopt_overdue(session, parks, "Benches")
    taps = adopt_overdue(session, other, "Water taps")
    adopt_overdue(session, orphan, "Nobody answers")
    adopt(session, streets, start(session, streets, "Not yet due"))
    answered = adopt_overdue(session, other, "Answered late")
    respond(session, answered, other.officer)
    sent: list[workspace.Reminder] = []

    reminders = workspace.remind_overdue(session, TODAY, sent.append)

    outcome = {
        (r.officer.email if r.officer else None): ([e.title for e in r.entries], r.sent)
        for r in reminders
    }
    assert outcome == {
        streets.officer.email: (["Benches", "Trees"], True),  # by group name
        other.officer.email: (["Water taps"], True),
        None: (["Nobody answers"], False),
    }
    assert [r.officer for r in sent] == [streets.officer, other.officer]
    [batch] = actions(session, "advisory.reminders_sent")
    assert batch.actor_id is None
    assert batch.details["today"] == TODAY.isoformat()
    by_officer = {r["officer"]: r for r in batch.details["reminders"]}
    assert by_officer[streets.officer.id]["recommendations"] == [benches.id, trees.id]
    assert by_officer[other.officer.id]["recommendations"] == [taps.id]
    assert by_officer[None]["sent"] is False


def test_a_reminder_that_cannot_be_sent_does_not_stop_the_others(session: Session) -> None:
    first = make_circle(session, name="A group")
    second = make_circle(session, name="B group")
    adopt_overdue(session, first, "Trees")
    adopt_overdue(session, second, "Benches")

    def send(reminder: workspace.Reminder) -> None:
        if reminder.officer == first.officer:
            raise ConnectionRefusedError("mail server down")

    reminders = workspace.remind_overdue(session, TODAY, send)

    assert [(r.sent, r.failure) for r in reminders] == [
        (False, "sending failed: mail server down"),
        (True, ""),
    ]
    [batch] = actions(session, "advisory.reminders_sent")
    assert [r["sent"] for r in batch.details["reminders"]] == [False, True]


def test_no_reminder_and_no_log_entry_when_nothing_is_overdue(
    session: Session, circle: Circle
) -> None:
    adopt(session, circle, start(session, circle))

    assert workspace.remind_overdue(session, TODAY, lambda reminder: None) == []
    assert actions(session, "advisory.reminders_sent") == []


def test_a_meeting_that_was_not_quorate_cannot_adopt(session: Session, circle: Circle) -> None:
    thin = make_meeting(
        session, circle.group, title="Thin meeting", starts_at=NOW.replace(microsecond=0)
    )
    record_presence(session, thin, circle.group.memberships[0])  # one present; the quorum is 2
    draft = start(session, circle)

    with pytest.raises(Invalid) as refused:
        adopt(session, circle, draft, meeting_id=thin.id)

    assert refused.value.field == "meeting_id"
    assert "not quorate" in str(refused.value)
    assert register(session) == []
