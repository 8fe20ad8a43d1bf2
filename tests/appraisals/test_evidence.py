"""A mission's citizen science and appraisals as evidence: approved submissions of published
projects and appraisals of published instruments, with pseudonymous keys numbered within the
mission; never a draft, an unapproved submission, another mission's, a point or a name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from engage.appraisals.evidence import (
    APPRAISAL_SOURCE,
    SUBMISSION_SOURCE,
    contributor_keys,
    evidence_items,
)
from engage.appraisals.models import FieldType, Status, SubmissionState
from engage.evidence import EvidenceItem
from engage.missions.models import Mission
from tests.conftest import counting_queries
from tests.factories import (
    make_appraisal,
    make_area,
    make_field,
    make_instrument,
    make_mission,
    make_science_project,
    make_submission,
    make_user,
)

APPROVED = SubmissionState.APPROVED
START = datetime(2026, 5, 1, 9, tzinfo=UTC)


def items(session: Session, mission: Mission, kind: str | None = None) -> list[EvidenceItem]:
    return [
        item
        for item in evidence_items(session, mission.id)
        if kind is None or item.source_kind == kind
    ]


def test_a_mission_without_projects_or_instruments_has_no_evidence(session: Session) -> None:
    assert items(session, make_mission(session)) == []


def test_approved_submissions_become_evidence(session: Session) -> None:
    mission = make_mission(session)
    project = make_science_project(session, mission)
    make_field(project, "street", FieldType.TEXT, label="Street")
    session.commit()
    area = make_area(session, mission, name="Kentish Town")
    author = make_user(session, display_name="Ada Lovelace", email="ada@example.org")
    approved = make_submission(
        session,
        project,
        author,
        answers={"pm25": 180.5, "site": "road", "note": "Buses idle here.", "street": "Leighton"},
        point=(51.551234, -0.142345),
        state=APPROVED,
        submitted_at=START,
    )
    approved.area_id = area.id
    session.commit()
    make_submission(session, project, state=SubmissionState.RECEIVED)
    make_submission(session, project, state=SubmissionState.REJECTED)
    make_submission(session, project, state=SubmissionState.HAS_ISSUES)

    [item] = items(session, mission)
    assert item.source_kind == SUBMISSION_SOURCE
    assert (item.source_id, item.mission_id, item.created_at) == (approved.id, mission.id, START)
    assert item.title == project.title
    assert item.text == "Buses idle here."
    assert item.contributor_key == f"appraisals:m{mission.id}:p1"
    assert item.attributes == {
        "project": project.slug,
        "project_id": str(project.id),
        "area": "Kentish Town",
        "area_id": str(area.id),
        "location_generalised": "yes",
        "photos": "0",
        "answer.pm25": "180.5 µg/m³",
        "answer.site": "By a main road",
        "answer.street": "Leighton",
    }
    everything = repr(item)
    for private in ("Ada", "ada@example.org", "51.5512", "-0.1423"):
        assert private not in everything


def test_drafts_and_other_missions_are_not_evidence(session: Session) -> None:
    mission = make_mission(session)
    draft = make_science_project(session, mission, status=Status.DRAFT)
    make_submission(session, draft, state=APPROVED)
    elsewhere = make_science_project(session)
    make_submission(session, elsewhere, state=APPROVED)
    closed = make_science_project(session, mission, status=Status.CLOSED)
    kept = make_submission(session, closed, state=APPROVED)
    area = make_area(session, mission)
    draft_instrument = make_instrument(session, mission, status=Status.DRAFT)
    make_appraisal(session, draft_instrument, area, [1, 2, 3])
    assert [(i.source_kind, i.source_id) for i in items(session, mission)] == [
        (SUBMISSION_SOURCE, kept.id)
    ]


def test_appraisals_become_evidence_with_their_justifications(session: Session) -> None:
    mission = make_mission(session)
    area = make_area(session, mission, name="Gospel Oak")
    instrument = make_instrument(session, mission)
    resident = make_user(session, display_name="Rosa Resident")
    facilitator = make_user(session, display_name="Fay Facilitator")
    alone = make_appraisal(session, instrument, area, [5, 2, 7], resident)
    group = make_appraisal(session, instrument, area, [3, 3, 4], facilitator, participants=8)
    found = items(session, mission, APPRAISAL_SOURCE)
    assert [item.source_id for item in found] == [alone.id, group.id]
    first, second = found
    assert first.title == f"{instrument.title}: Gospel Oak"
    assert first.text == (
        "Moving around (5): Because 5.\n"
        "Public transport (2): Because 2.\n"
        "Streets and spaces (7): Because 7."
    )
    criteria = instrument.criteria
    assert first.attributes["criterion_ids"] == ",".join(str(c.id) for c in criteria)
    assert first.attributes[f"criterion.{criteria[0].id}.label"] == "Moving around"
    assert first.attributes[f"criterion.{criteria[2].id}.score"] == "7"
    assert (first.attributes["kind"], first.attributes["participants"]) == ("individual", "1")
    assert (second.attributes["kind"], second.attributes["participants"]) == ("group", "8")
    assert second.attributes["group_name"] == "Community centre workshop"
    assert (first.attributes["scale_min"], first.attributes["scale_max"]) == ("1", "7")
    # A resident's own appraisal has their key; a workshop group's is the group's.
    assert first.contributor_key == f"appraisals:m{mission.id}:p1"
    assert second.contributor_key is None
    assert "Rosa" not in repr(found) and "Fay" not in repr(found)


def test_keys_number_people_by_their_first_contribution_across_the_mission(
    session: Session,
) -> None:
    mission = make_mission(session)
    project = make_science_project(session, mission)
    instrument = make_instrument(session, mission)
    area = make_area(session, mission)
    first, second, third = (make_user(session) for _ in range(3))
    # Second's first submission is rejected: it still counts for the order.
    make_submission(session, project, second, state=SubmissionState.REJECTED, submitted_at=START)
    make_submission(
        session, project, first, state=APPROVED, submitted_at=START + timedelta(hours=1)
    )
    make_submission(
        session, project, second, state=APPROVED, submitted_at=START + timedelta(hours=2)
    )
    make_appraisal(session, instrument, area, [1, 1, 1], third)  # created now: the latest
    keys = contributor_keys(session, mission.id)
    prefix = f"appraisals:m{mission.id}"
    assert keys == {second.id: f"{prefix}:p1", first.id: f"{prefix}:p2", third.id: f"{prefix}:p3"}
    found = items(session, mission)
    assert [item.contributor_key for item in found] == [
        f"{prefix}:p2",
        f"{prefix}:p1",
        f"{prefix}:p3",
    ]
    assert [item.source_kind for item in found] == [
        SUBMISSION_SOURCE,
        SUBMISSION_SOURCE,
        APPRAISAL_SOURCE,
    ]


def test_evidence_is_read_with_a_fixed_number_of_queries(session: Session) -> None:
    mission = make_mission(session)
    project = make_science_project(session, mission)
    instrument = make_instrument(session, mission)
    area = make_area(session, mission)

    def queries() -> int:
        session.expire_all()
        with counting_queries(session) as statements:
            found = items(session, mission)
        assert found
        return len(statements)

    make_submission(session, project, state=APPROVED)
    make_appraisal(session, instrument, area, [1, 2, 3])
    few = queries()
    for _ in range(8):
        make_submission(session, project, state=APPROVED)
        make_appraisal(session, instrument, area, [4, 5, 6])
    assert queries() == few


def test_long_texts_are_the_text_each_after_its_question(session: Session) -> None:
    mission = make_mission(session)
    project = make_science_project(session, mission)
    make_field(project, "smell", FieldType.LONG_TEXT, label="What did you smell?")
    session.commit()
    make_submission(
        session, project, answers={"note": "Noisy.", "smell": "Diesel."}, state=APPROVED
    )
    [item] = items(session, mission)
    assert item.text == "Anything else we should know?\nNoisy.\n\nWhat did you smell?\nDiesel."
    make_submission(session, project, point=None, state=APPROVED, answers={})
    second = items(session, mission)[1]
    assert second.text == ""
    assert second.attributes["location_generalised"] == ""
