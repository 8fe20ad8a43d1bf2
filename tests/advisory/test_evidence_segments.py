"""Advisory evidence carries a demographic segment only on an adopted recommendation, that of the
member who proposed it (whose key it carries), and only where that member consented."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engage.accounts.models import AgeBand, User
from engage.accounts.services import set_demographics
from engage.advisory.evidence import evidence_items
from engage.advisory.models import Attendance, DraftStatus
from tests.advisory.test_evidence import TODAY, add_activity, drafted, held
from tests.conftest import counting_queries
from tests.factories import make_group, make_membership, make_mission, make_user


def consenting(session: Session, band: AgeBand) -> User:
    person = make_user(session)
    set_demographics(session, person, band, consent=True)
    return person


def test_an_adopted_recommendation_carries_its_consenting_proposers_segment(
    session: Session,
) -> None:
    mission = make_mission(session)
    group = make_group(session, mission)
    proposer = consenting(session, AgeBand.AGE_55_64)
    declined = make_user(session)
    editor = consenting(session, AgeBand.AGE_16_24)
    members = [make_membership(session, group, person) for person in (proposer, declined, editor)]
    meeting = held(session, group, dict.fromkeys(members, Attendance.PRESENT))
    theirs = drafted(
        session,
        group,
        [(proposer, "Crossings."), (editor, "Zebra crossings.")],
        status=DraftStatus.ADOPTED,
        comments=[editor],
        meeting=meeting,
        title="Crossings",
    )
    unconsented = drafted(
        session,
        group,
        [(declined, "Benches."), (editor, "More benches.")],
        status=DraftStatus.ADOPTED,
        meeting=meeting,
        title="Benches",
    )

    segments = {
        (item.source_kind, item.source_id): item.segment
        for item in evidence_items(session, mission.id, today=TODAY)
    }
    assert segments == {
        ("advisory.minutes", meeting.id): None,
        ("advisory.recommendation", theirs.id): "age 55-64",
        ("advisory.recommendation", unconsented.id): None,
        ("advisory.membership", group.id): None,
    }


def test_segments_are_read_in_one_query_however_many_recommendations(session: Session) -> None:
    mission = make_mission(session)
    group = make_group(session, mission, seats=30, quorum=1)

    def queries() -> int:
        session.expire_all()
        with counting_queries(session) as statements:
            found = list(evidence_items(session, mission.id, today=TODAY))
        assert found
        return len(statements)

    add_activity(session, group, 2)
    few = queries()
    add_activity(session, group, 10)
    for membership in group.memberships:
        set_demographics(session, membership.user, AgeBand.AGE_35_44, consent=True)
    assert queries() == few
    items = list(evidence_items(session, mission.id, today=TODAY))
    assert [i.segment for i in items if i.source_kind == "advisory.recommendation"] == [
        "age 35-44"
    ] * 12
