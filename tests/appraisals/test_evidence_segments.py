"""Appraisals evidence: a located submission carries the public point (never the exact one), and
submissions and a person's own appraisals carry the author's demographic segment only where they
consented; a workshop group's appraisal carries none."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.accounts.models import AgeBand, User
from engage.accounts.services import set_demographics
from engage.appraisals.evidence import APPRAISAL_SOURCE, SUBMISSION_SOURCE, evidence_items
from engage.appraisals.models import SubmissionState
from engage.evaluation.index import refresh_index
from engage.evaluation.models import EvidenceRecord
from tests.conftest import counting_queries
from tests.factories import (
    make_appraisal,
    make_area,
    make_instrument,
    make_mission,
    make_science_project,
    make_submission,
    make_user,
)

APPROVED = SubmissionState.APPROVED
EXACT = (51.551234, -0.142345)


def consenting(session: Session, band: AgeBand) -> User:
    person = make_user(session)
    set_demographics(session, person, band, consent=True)
    return person


def test_a_located_submission_carries_its_public_point_never_the_exact_one(
    session: Session,
) -> None:
    mission = make_mission(session)
    project = make_science_project(session, mission)
    generalised = make_submission(session, project, point=EXACT, state=APPROVED)
    shared = make_submission(session, project, point=EXACT, share_exact=True, state=APPROVED)
    shared.public_latitude, shared.public_longitude = EXACT  # as the submit service stores it
    unlocated = make_submission(session, project, point=None, state=APPROVED)
    session.commit()

    found = {item.source_id: item for item in evidence_items(session, mission.id)}

    public = (generalised.public_latitude, generalised.public_longitude)
    assert found[generalised.id].location == public
    assert public != EXACT
    assert pytest.approx(public) == (51.55, -0.14)
    assert found[shared.id].location == EXACT
    assert found[unlocated.id].location is None
    assert found[generalised.id].attributes["location_generalised"] == "yes"
    assert found[shared.id].attributes["location_generalised"] == "no"
    assert "51.5512" not in repr(found[generalised.id])


def test_the_evaluation_index_keeps_the_public_point_and_the_segment(session: Session) -> None:
    mission = make_mission(session)
    project = make_science_project(session, mission)
    author = consenting(session, AgeBand.AGE_25_34)
    submission = make_submission(session, project, author, point=EXACT, state=APPROVED)

    refresh_index(session, mission.id)

    record = session.scalars(
        sa.select(EvidenceRecord).where(EvidenceRecord.source_kind == SUBMISSION_SOURCE)
    ).one()
    assert (record.latitude, record.longitude) == (
        submission.public_latitude,
        submission.public_longitude,
    )
    assert record.segment == "age 25-34"


def test_segments_only_for_consenting_authors_and_never_for_a_group(session: Session) -> None:
    mission = make_mission(session)
    project = make_science_project(session, mission)
    instrument = make_instrument(session, mission)
    area = make_area(session, mission)
    older = consenting(session, AgeBand.AGE_75_PLUS)
    declined = make_user(session)
    set_demographics(session, declined, AgeBand.AGE_16_24, consent=False)
    facilitator = consenting(session, AgeBand.AGE_45_54)

    theirs = make_submission(session, project, older, state=APPROVED)
    unconsented = make_submission(session, project, declined, state=APPROVED)
    alone = make_appraisal(session, instrument, area, [1, 2, 3], older)
    declined_alone = make_appraisal(session, instrument, area, [4, 5, 6], declined)
    workshop = make_appraisal(session, instrument, area, [3, 3, 3], facilitator, participants=9)

    segments = {
        (item.source_kind, item.source_id): item.segment
        for item in evidence_items(session, mission.id)
    }
    assert segments == {
        (SUBMISSION_SOURCE, theirs.id): "age 75+",
        (SUBMISSION_SOURCE, unconsented.id): None,
        (APPRAISAL_SOURCE, alone.id): "age 75+",
        (APPRAISAL_SOURCE, declined_alone.id): None,
        (APPRAISAL_SOURCE, workshop.id): None,
    }


def test_segments_are_read_in_one_query_however_many_authors(session: Session) -> None:
    mission = make_mission(session)
    project = make_science_project(session, mission)
    instrument = make_instrument(session, mission)
    area = make_area(session, mission)

    def queries() -> int:
        session.expire_all()
        with counting_queries(session) as statements:
            found = list(evidence_items(session, mission.id))
        assert found
        return len(statements)

    make_submission(session, project, consenting(session, AgeBand.AGE_16_24), state=APPROVED)
    make_appraisal(session, instrument, area, [1, 2, 3])
    few = queries()
    for band in list(AgeBand) * 2:
        author = consenting(session, band)
        make_submission(session, project, author, state=APPROVED)
        make_appraisal(session, instrument, area, [4, 5, 6], author)
    assert queries() == few
    assert sum(1 for i in evidence_items(session, mission.id) if i.segment) == 1 + 2 * 14
