"""Co-design evidence carries a contributor's demographic segment only where they consented to
its use in evaluation, and only on what one person wrote (never on counts or syntheses)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engage.accounts.models import AgeBand, User
from engage.accounts.services import set_demographics
from engage.codesign import services
from engage.codesign.evidence import evidence_items
from engage.codesign.models import RoundKind, RoundStatus, Visibility
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


def consenting(session: Session, band: AgeBand) -> User:
    person = make_user(session)
    set_demographics(session, person, band, consent=True)
    return person


def test_contributions_and_comments_carry_the_segment_of_consenting_authors_only(
    session: Session,
) -> None:
    mission = make_mission(session)
    process = make_process(session, mission)
    ideas = make_round(session, process)
    young = consenting(session, AgeBand.AGE_16_24)
    declined = make_user(session)
    set_demographics(session, declined, AgeBand.AGE_45_54, consent=False)
    withdrawn = consenting(session, AgeBand.AGE_65_74)
    set_demographics(session, withdrawn, AgeBand.AGE_65_74, consent=False)

    by_young = make_contribution(session, ideas, young)
    by_declined = make_contribution(session, ideas, declined)
    by_withdrawn = make_contribution(session, ideas, withdrawn)
    make_contribution(
        session, ideas, consenting(session, AgeBand.AGE_35_44)
    ).visibility = Visibility.HIDDEN
    session.commit()
    reply = make_comment(session, by_declined, young)
    other = make_comment(session, by_young, declined)

    segments = {
        (item.source_kind, item.source_id): item.segment
        for item in evidence_items(session, mission.id)
    }
    assert segments == {
        ("codesign.contribution", by_young.id): "age 16-24",
        ("codesign.contribution", by_declined.id): None,
        ("codesign.contribution", by_withdrawn.id): None,
        ("codesign.comment", reply.id): "age 16-24",
        ("codesign.comment", other.id): None,
    }


def test_summaries_have_no_segment_even_when_every_voter_consented(session: Session) -> None:
    mission = make_mission(session)
    process = make_process(session, mission)
    statements = make_round(
        session,
        process,
        kind=RoundKind.STATEMENTS,
        status=RoundStatus.CLOSED,
        items=("More trees.", "Fewer cars."),
    )
    voters = [consenting(session, AgeBand.AGE_25_34) for _ in range(3)]
    written = make_contribution(session, statements, voters[0], text="Wider pavements.")
    make_votes(
        session,
        statements,
        [
            (voter, statement, 1)
            for voter in voters
            for statement in [*services.seeded_items(session, statements.id), written]
        ],
    )

    items = list(evidence_items(session, mission.id))
    with_segment = {(i.source_kind, i.source_id) for i in items if i.segment is not None}
    assert with_segment == {("codesign.contribution", written.id)}
    assert {i.source_kind for i in items if i.segment is None} >= {"codesign.statement_votes"}


def test_segments_are_read_in_one_query_however_many_authors(session: Session) -> None:
    mission = make_mission(session)
    ideas = make_round(session, make_process(session, mission))

    def queries() -> int:
        session.expire_all()
        with counting_queries(session) as statements:
            found = list(evidence_items(session, mission.id))
        assert found
        return len(statements)

    make_contribution(session, ideas, consenting(session, AgeBand.AGE_16_24))
    few = queries()
    for band in list(AgeBand) * 3:
        author = consenting(session, band)
        make_comment(session, make_contribution(session, ideas, author), author)
    assert queries() == few
    assert sum(1 for i in evidence_items(session, mission.id) if i.segment) == 1 + 2 * 21
