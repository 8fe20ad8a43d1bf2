"""A mission's advisory groups as evidence: approved minutes with attendance, adopted
recommendations linked to the register, and membership counts; never a draft in progress, a
city-wide group, another mission's group or anyone's name."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.advisory.evidence import contributor_keys, evidence_items
from engage.advisory.models import (
    AdvisoryGroup,
    Attendance,
    DraftComment,
    DraftRecommendation,
    DraftStatus,
    DraftVersion,
    Meeting,
    MeetingAttendance,
    MemberRole,
    Membership,
    MinutesStatus,
    SeatFilling,
)
from engage.evidence import EvidenceItem
from engage.missions import evidence as missions_evidence
from engage.missions.models import Mission, RecommendationSourceKind
from tests.conftest import counting_queries
from tests.factories import (
    make_group,
    make_meeting,
    make_membership,
    make_mission,
    make_recommendation,
    make_user,
)

TODAY = date(2026, 5, 1)


def items_of(session: Session, mission: Mission, kind: str) -> list[EvidenceItem]:
    return [
        item
        for item in evidence_items(session, mission.id, today=TODAY)
        if item.source_kind == kind
    ]


def held(
    session: Session,
    group: AdvisoryGroup,
    attendance: dict[Membership, Attendance],
    *,
    title: str = "Quarterly meeting",
    minutes: MinutesStatus = MinutesStatus.APPROVED,
    starts_at: datetime | None = None,
) -> Meeting:
    """A past meeting with its attendance recorded and its minutes at ``minutes``."""
    meeting = make_meeting(
        session, group, title=title, starts_at=starts_at or datetime(2026, 3, 2, 18, tzinfo=UTC)
    )
    meeting.minutes = f"Minutes of {title}."
    meeting.decisions = "Agreed to ask for more crossings."
    meeting.minutes_status = minutes
    if minutes is MinutesStatus.APPROVED:
        meeting.minutes_approved_at = meeting.starts_at + timedelta(days=28)
    for membership, status in attendance.items():
        session.add(MeetingAttendance(meeting=meeting, membership=membership, status=status))
    session.commit()
    return meeting


def drafted(
    session: Session,
    group: AdvisoryGroup,
    versions: list[tuple[User | None, str]],
    *,
    status: DraftStatus = DraftStatus.DRAFTING,
    comments: list[User] | None = None,
    meeting: Meeting | None = None,
    title: str = "Safer crossings",
) -> DraftRecommendation:
    """A draft proposed by the first version's author; adopted ones enter their mission's
    register (a city-wide group has none)."""
    draft = DraftRecommendation(
        group=group,
        title=title,
        status=status,
        adopted_at_meeting_id=meeting.id if meeting else None,
        created_by_id=versions[0][0].id if versions[0][0] else None,
    )
    for number, (author, text) in enumerate(versions, start=1):
        draft.versions.append(DraftVersion(number=number, text=text, author=author))
    for author in comments or []:
        draft.comments.append(DraftComment(author=author, text="Could we say where?"))
    if status is DraftStatus.ADOPTED and group.mission is not None:
        draft.register_entry_id = make_recommendation(
            session,
            group.mission,
            title=title,
            source_kind=RecommendationSourceKind.ADVISORY_GROUP,
        ).id
    session.add(draft)
    session.commit()
    return draft


def test_approved_minutes_come_with_attendance_and_whether_the_meeting_was_quorate(
    session: Session,
) -> None:
    mission = make_mission(session)
    group = make_group(session, mission, name="Streets group", quorum=2)
    members = [make_membership(session, group) for _ in range(3)]
    quorate = held(
        session,
        group,
        {members[0]: Attendance.PRESENT, members[1]: Attendance.PRESENT},
        title="March meeting",
    )
    inquorate = held(
        session,
        group,
        dict(zip(members, Attendance, strict=True)),
        title="April meeting",
        starts_at=datetime(2026, 4, 6, 18, tzinfo=UTC),
    )
    held(session, group, {}, title="Draft minutes", minutes=MinutesStatus.DRAFT)
    held(session, group, {}, title="No minutes yet", minutes=MinutesStatus.NONE)

    items = items_of(session, mission, "advisory.minutes")

    assert [(i.source_id, i.title, i.text) for i in items] == [
        (quorate.id, "Minutes: March meeting", "Minutes of March meeting."),
        (inquorate.id, "Minutes: April meeting", "Minutes of April meeting."),
    ]
    assert items[0].attributes == {
        "group_id": str(group.id),
        "group_name": "Streets group",
        "meeting_title": "March meeting",
        "meeting_date": "2026-03-02",
        "minutes_approved_on": "2026-03-30",
        "decisions": "Agreed to ask for more crossings.",
        "present": "2",
        "apologies": "0",
        "absent": "0",
        "quorum": "2",
        "quorate": "yes",
    }
    assert {k: items[1].attributes[k] for k in ("present", "apologies", "absent", "quorate")} == {
        "present": "1",
        "apologies": "1",
        "absent": "1",
        "quorate": "no",
    }
    assert items[0].created_at == quorate.starts_at
    assert all(i.contributor_key is None for i in items)


def test_adopted_recommendations_link_to_the_register_and_drafts_in_progress_stay_private(
    session: Session,
) -> None:
    mission = make_mission(session)
    group = make_group(session, mission)
    proposer, editor, commenter = make_user(session), make_user(session), make_user(session)
    meeting = held(session, group, {})
    adopted = drafted(
        session,
        group,
        [(proposer, "Crossings."), (editor, "Zebra crossings."), (proposer, "Zebra crossings!")],
        status=DraftStatus.ADOPTED,
        comments=[commenter, editor],
        meeting=meeting,
    )
    drafted(session, group, [(editor, "Still thinking.")], title="In progress")
    drafted(session, group, [(commenter, "Never mind.")], status=DraftStatus.WITHDRAWN)

    [item] = items_of(session, mission, "advisory.recommendation")

    assert (item.source_id, item.title, item.text) == (
        adopted.id,
        "Safer crossings",
        "Zebra crossings!",
    )
    keys = contributor_keys(session, mission.id)
    assert item.contributor_key == keys[proposer.id]
    assert item.created_at == meeting.starts_at
    assert item.attributes == {
        "group_id": str(group.id),
        "group_name": group.name,
        "meeting_id": str(meeting.id),
        "meeting_date": "2026-03-02",
        "register_entry_id": str(adopted.register_entry_id),
        "versions": "3",
        "comments": "2",
        "drafters": f"{keys[proposer.id]},{keys[editor.id]}",
    }
    # The register entry is the missions' evidence, found by the id; never repeated here.
    register = {
        str(i.source_id)
        for i in missions_evidence.evidence_items(session, mission.id)
        if i.source_kind == "missions.recommendation"
    }
    assert item.attributes["register_entry_id"] in register
    kinds = {i.source_kind for i in evidence_items(session, mission.id, today=TODAY)}
    assert kinds == {"advisory.minutes", "advisory.recommendation", "advisory.membership"}


def test_membership_is_summarised_by_role_and_seat_filling_counting_current_terms_only(
    session: Session,
) -> None:
    mission = make_mission(session)
    group = make_group(session, mission, name="Streets group", seats=6)
    started = TODAY - timedelta(days=300)
    make_membership(session, group, role=MemberRole.CHAIR, term_start=started)
    make_membership(session, group, role=MemberRole.VICE_CHAIR, term_start=started)
    appointed = make_membership(session, group, term_start=started)
    appointed.filled_by = SeatFilling.APPOINTMENT
    make_membership(session, group, term_start=started, term_end=TODAY + timedelta(days=60))
    make_membership(session, group, term_start=started, term_end=TODAY + timedelta(days=61))
    resigned = make_membership(session, group, term_start=started)
    resigned.ended_on = TODAY - timedelta(days=10)
    make_membership(session, group, term_start=started - timedelta(days=800), term_end=started)
    make_membership(session, group, term_start=TODAY + timedelta(days=1))
    session.commit()

    [item] = items_of(session, mission, "advisory.membership")

    assert item.source_id == group.id
    assert item.title == "Membership of Streets group"
    assert item.text == "5 of 6 seats filled on 2026-05-01; 1 terms end within 60 days."
    assert item.attributes == {
        "group_id": str(group.id),
        "group_name": "Streets group",
        "as_of": "2026-05-01",
        "filling": "application",
        "seats": "6",
        "members": "5",
        "vacant": "1",
        "terms_ending_soon": "1",
        "ending_soon_days": "60",
        "role.chair": "1",
        "role.vice_chair": "1",
        "role.member": "3",
        "filled_by.application": "4",
        "filled_by.appointment": "1",
        "filled_by.lot": "0",
    }


def test_city_wide_groups_and_other_missions_groups_never_appear(session: Session) -> None:
    mission = make_mission(session)
    for group in (make_group(session, city_wide=True), make_group(session, make_mission(session))):
        member = make_membership(session, group)
        held(session, group, {member: Attendance.PRESENT})
        drafted(session, group, [(member.user, "Elsewhere.")], status=DraftStatus.ADOPTED)

    assert list(evidence_items(session, mission.id, today=TODAY)) == []
    assert contributor_keys(session, mission.id) == {}
    assert session.scalar(sa.select(sa.func.count()).select_from(DraftRecommendation)) == 2


def test_keys_are_pseudonyms_numbered_by_first_writing_and_no_account_details_appear(
    session: Session,
) -> None:
    mission = make_mission(session)
    group = make_group(session, mission)
    ada = make_user(session, email="ada@example.org", display_name="Ada Lovelace")
    grace = make_user(session, email="grace@example.org", display_name="Grace Hopper")
    first = make_membership(session, group, ada)  # Ada joined first but wrote second
    make_membership(session, group, grace)
    withdrawn = drafted(session, group, [(grace, "Benches.")])
    meeting = held(session, group, {first: Attendance.PRESENT})
    drafted(session, group, [(ada, "Trees.")], status=DraftStatus.ADOPTED, meeting=meeting)
    before = contributor_keys(session, mission.id)

    withdrawn.status = DraftStatus.WITHDRAWN
    session.commit()
    drafted(session, group, [(make_user(session), "Later.")])

    assert before == {
        grace.id: f"advisory:m{mission.id}:p1",
        ada.id: f"advisory:m{mission.id}:p2",
    }
    after = contributor_keys(session, mission.id)
    assert {k: after[k] for k in before} == before
    assert len(after) == 3
    items = list(evidence_items(session, mission.id, today=TODAY))
    everything = " ".join(
        f"{i.title} {i.text} {i.contributor_key} {' '.join(i.attributes.values())}" for i in items
    )
    for detail in ("ada@example.org", "grace@example.org", "Ada Lovelace", "Grace Hopper"):
        assert detail not in everything
    assert not any("user" in key or "email" in key for i in items for key in i.attributes)


def test_items_come_kind_by_kind_in_date_order_every_time(session: Session) -> None:
    mission = make_mission(session)
    groups = [make_group(session, mission, name=f"Group {n}") for n in range(2)]
    author = make_user(session)
    later = held(session, groups[0], {}, title="Later", starts_at=datetime(2026, 4, 1, tzinfo=UTC))
    earlier = held(session, groups[1], {}, title="Earlier")
    drafted(
        session, groups[0], [(author, "B.")], status=DraftStatus.ADOPTED, meeting=later, title="B"
    )
    drafted(
        session, groups[1], [(author, "A.")], status=DraftStatus.ADOPTED, meeting=earlier, title="A"
    )

    runs = [list(evidence_items(session, mission.id, today=TODAY)) for _ in range(2)]

    assert runs[0] == runs[1]
    assert [(i.source_kind, i.title) for i in runs[0]] == [
        ("advisory.minutes", "Minutes: Earlier"),
        ("advisory.minutes", "Minutes: Later"),
        ("advisory.recommendation", "A"),
        ("advisory.recommendation", "B"),
        ("advisory.membership", "Membership of Group 0"),
        ("advisory.membership", "Membership of Group 1"),
    ]


def add_activity(session: Session, group: AdvisoryGroup, meetings: int) -> None:
    """``meetings`` more approved meetings, each with a new member and an adopted draft."""
    for n in range(meetings):
        member = make_membership(session, group)
        meeting = held(session, group, {member: Attendance.PRESENT}, title=f"Meeting {n}")
        drafted(
            session,
            group,
            [(member.user, "One."), (member.user, "Two.")],
            status=DraftStatus.ADOPTED,
            comments=[member.user],
            meeting=meeting,
        )


def test_the_number_of_queries_does_not_grow_with_meetings_drafts_or_members(
    session: Session,
) -> None:
    mission = make_mission(session)
    group = make_group(session, mission, seats=30, quorum=1)
    add_activity(session, group, 2)
    session.expire_all()
    with counting_queries(session) as few:
        small = list(evidence_items(session, mission.id, today=TODAY))
    session.expire_all()

    add_activity(session, group, 15)
    session.expire_all()
    with counting_queries(session) as many:
        large = list(evidence_items(session, mission.id, today=TODAY))

    assert len(large) > len(small)
    assert len(many) == len(few)
    recommendations = [i for i in large if i.source_kind == "advisory.recommendation"]
    assert len(recommendations) == 17
    assert {i.attributes["versions"] for i in recommendations} == {"2"}
