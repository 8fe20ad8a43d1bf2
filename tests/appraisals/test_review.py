"""Reviewing submissions (one at a time and in bulk, with their history) and what the public map
and list of approved submissions are given: the services, with a session."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.appraisals import review
from engage.appraisals.models import (
    Area,
    FieldType,
    FlagKind,
    Project,
    QualityFlag,
    Review,
    Submission,
    SubmissionState,
)
from engage.audit import AuditEntry
from engage.errors import Forbidden, Invalid, NotFound
from tests.conftest import counting_queries
from tests.factories import make_area, make_field, make_science_project, make_submission, make_user

RECEIVED = SubmissionState.RECEIVED
HAS_ISSUES = SubmissionState.HAS_ISSUES
APPROVED = SubmissionState.APPROVED
REJECTED = SubmissionState.REJECTED
EVERYTHING = review.SubmissionFilter()


@pytest.fixture
def project(session: Session) -> Project:
    return make_science_project(session)


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 5, day, hour, tzinfo=UTC)


def flag(session: Session, submission: Submission, kind: FlagKind = FlagKind.OUT_OF_RANGE) -> None:
    session.add(QualityFlag(submission_id=submission.id, kind=kind, field_name="pm25"))
    session.commit()


def audit_entries(session: Session, action: str) -> list[AuditEntry]:
    return list(
        session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def states(session: Session, *submissions: Submission) -> list[SubmissionState]:
    session.expire_all()
    return [session.get_one(Submission, s.id).state for s in submissions]


# --- The queue ----------------------------------------------------------------------------------


def test_the_queue_lists_newest_first_and_pages(
    session: Session, project: Project, officer: User
) -> None:
    sent = [make_submission(session, project, submitted_at=at(day)) for day in (1, 2, 3)]
    page = review.list_for_review(session, project, EVERYTHING, 1, viewer=officer, per_page=2)
    assert [s.id for s in page.items] == [sent[2].id, sent[1].id]
    assert (page.total, page.pages, page.has_next) == (3, 2, True)
    second = review.list_for_review(session, project, EVERYTHING, 2, viewer=officer, per_page=2)
    assert [s.id for s in second.items] == [sent[0].id]
    beyond = review.list_for_review(session, project, EVERYTHING, 99, viewer=officer, per_page=2)
    assert beyond.items == [] and beyond.total == 3


def test_the_queue_filters_by_state_dates_area_and_flags(
    session: Session, project: Project, officer: User
) -> None:
    area = make_area(session, project.mission, name="Kentish Town")
    other_project = make_science_project(session, project.mission)
    first = make_submission(session, project, submitted_at=at(1, 0))
    second = make_submission(session, project, submitted_at=at(2, 23), state=APPROVED)
    third = make_submission(session, project, submitted_at=at(3))
    make_submission(session, other_project, submitted_at=at(2))
    second.area_id = area.id
    session.commit()
    flag(session, third)

    def ids(**given: object) -> set[int]:
        filters = review.SubmissionFilter(**given)  # type: ignore[arg-type]
        page = review.list_for_review(session, project, filters, 1, viewer=officer)
        return {s.id for s in page.items}

    assert ids() == {first.id, second.id, third.id}
    assert ids(state=RECEIVED) == {first.id, third.id}
    assert ids(state=APPROVED) == {second.id}
    # Dates are inclusive, whole UTC days.
    assert ids(submitted_from=date(2026, 5, 2)) == {second.id, third.id}
    assert ids(submitted_to=date(2026, 5, 2)) == {first.id, second.id}
    assert ids(submitted_from=date(2026, 5, 1), submitted_to=date(2026, 5, 1)) == {first.id}
    assert ids(submitted_to=date.max) == {first.id, second.id, third.id}
    assert ids(area_id=area.id) == {second.id}
    assert ids(flagged_only=True) == {third.id}
    assert ids(state=RECEIVED, flagged_only=True, submitted_to=date(2026, 5, 2)) == set()


def test_the_queue_reads_a_fixed_number_of_queries(
    session: Session, project: Project, officer: User
) -> None:
    area = make_area(session, project.mission)

    def queries() -> int:
        session.expire_all()
        with counting_queries(session) as statements:
            page = review.list_for_review(session, project, EVERYTHING, 1, viewer=officer)
            for submission in page.items:
                _ = (submission.area.name if submission.area else "", list(submission.flags))
        return len(statements)

    for _ in range(2):
        submission = make_submission(session, project)
        submission.area_id = area.id
        flag(session, submission)
    few = queries()
    for _ in range(12):
        submission = make_submission(session, project)
        submission.area_id = area.id
        flag(session, submission, FlagKind.LIKELY_DUPLICATE)
    assert queries() == few


def test_only_reviewers_see_the_queue(
    session: Session, project: Project, resident: User, evaluator: User
) -> None:
    make_submission(session, project)
    with pytest.raises(Forbidden):
        review.list_for_review(session, project, EVERYTHING, 1, viewer=resident)
    with pytest.raises(Forbidden):
        review.list_for_review(session, project, EVERYTHING, 1, viewer=None)
    assert review.list_for_review(session, project, EVERYTHING, 1, viewer=evaluator).total == 1


def test_a_submission_of_another_project_is_not_found(
    session: Session, project: Project, officer: User
) -> None:
    elsewhere = make_submission(session, make_science_project(session))
    with pytest.raises(NotFound):
        review.get_for_review(session, project, elsewhere.id, viewer=officer)
    with pytest.raises(NotFound):
        review.get_for_review(session, project, 999_999, viewer=officer)


# --- Reviewing one ------------------------------------------------------------------------------


def test_approving_keeps_the_change_in_the_history_and_the_audit_log(
    session: Session, project: Project, officer: User
) -> None:
    submission = make_submission(session, project)
    review.review_submission(session, submission.id, APPROVED, "  Looks right.  ", actor=officer)
    session.expire_all()
    stored = session.get_one(Submission, submission.id)
    assert stored.state is APPROVED
    [change] = review.history(stored)
    assert (change.from_state, change.to_state) == (RECEIVED, APPROVED)
    assert (change.reviewer_id, change.comment) == (officer.id, "Looks right.")
    [entry] = audit_entries(session, "appraisals.submission_reviewed")
    assert entry.actor_id == officer.id
    assert entry.subject == f"appraisal_submission:{submission.id}"
    assert entry.details == {
        "project": project.id,
        "from": "received",
        "to": "approved",
        "comment": True,
    }


@pytest.mark.parametrize("to_state", [HAS_ISSUES, REJECTED])
def test_has_issues_and_rejected_need_a_comment(
    session: Session, project: Project, officer: User, to_state: SubmissionState
) -> None:
    submission = make_submission(session, project)
    with pytest.raises(Invalid) as refused:
        review.review_submission(session, submission.id, to_state, "   ", actor=officer)
    assert refused.value.field == "comment"
    session.rollback()
    assert states(session, submission) == [RECEIVED]
    review.review_submission(
        session, submission.id, to_state, "The reading is blank.", actor=officer
    )
    assert states(session, submission) == [to_state]


def test_a_change_to_the_same_state_or_back_to_received_is_refused(
    session: Session, project: Project, officer: User
) -> None:
    submission = make_submission(session, project, state=APPROVED)
    with pytest.raises(Invalid) as same:
        review.review_submission(session, submission.id, APPROVED, "", actor=officer)
    assert same.value.field == "to_state"
    with pytest.raises(Invalid) as received:
        review.review_submission(session, submission.id, RECEIVED, "", actor=officer)
    assert received.value.field == "to_state"
    with pytest.raises(Invalid) as long_comment:
        review.review_submission(session, submission.id, REJECTED, "x" * 5001, actor=officer)
    assert long_comment.value.field == "comment"
    session.rollback()
    assert session.scalar(sa.select(sa.func.count(Review.id))) == 0


def test_only_reviewers_review(
    session: Session, project: Project, resident: User, evaluator: User
) -> None:
    submission = make_submission(session, project, author=resident)
    with pytest.raises(Forbidden):
        review.review_submission(session, submission.id, APPROVED, "", actor=resident)
    with pytest.raises(Forbidden):
        review.review_submission(session, submission.id, APPROVED, "", actor=None)
    with pytest.raises(NotFound):
        review.review_submission(session, 999_999, APPROVED, "", actor=evaluator)
    review.review_submission(session, submission.id, APPROVED, "", actor=evaluator)
    assert states(session, submission) == [APPROVED]


def test_the_history_is_every_change_oldest_first(
    session: Session, project: Project, officer: User, evaluator: User
) -> None:
    submission = make_submission(session, project)
    review.review_submission(session, submission.id, HAS_ISSUES, "Which school?", actor=officer)
    review.review_submission(session, submission.id, REJECTED, "No answer.", actor=evaluator)
    review.review_submission(session, submission.id, APPROVED, "Found it.", actor=officer)
    session.expire_all()
    found = review.get_for_review(session, project, submission.id, viewer=officer)
    assert [
        (r.from_state, r.to_state, r.comment, r.reviewer_id) for r in review.history(found)
    ] == [
        (RECEIVED, HAS_ISSUES, "Which school?", officer.id),
        (HAS_ISSUES, REJECTED, "No answer.", evaluator.id),
        (REJECTED, APPROVED, "Found it.", officer.id),
    ]


# --- Bulk review --------------------------------------------------------------------------------


def test_bulk_review_by_filter_changes_only_what_matches(
    session: Session, project: Project, officer: User
) -> None:
    area = make_area(session, project.mission)
    inside = [make_submission(session, project) for _ in range(3)]
    already = make_submission(session, project, state=APPROVED)
    outside = make_submission(session, project)
    rejected = make_submission(session, project, state=REJECTED)
    other_project = make_submission(session, make_science_project(session, project.mission))
    for submission in [*inside, already, rejected, other_project]:
        submission.area_id = area.id
    session.commit()

    filters = review.SubmissionFilter(area_id=area.id, state=None)
    result = review.bulk_review(
        session, project, APPROVED, "", filters=filters, expected=5, actor=officer
    )
    assert result == review.BulkResult(changed=4, unchanged=1)
    assert states(session, *inside, already, rejected, outside, other_project) == [
        APPROVED,
        APPROVED,
        APPROVED,
        APPROVED,
        APPROVED,
        RECEIVED,
        RECEIVED,
    ]
    reviews = session.scalars(sa.select(Review).order_by(Review.submission_id)).all()
    assert [(r.submission_id, r.from_state) for r in reviews] == [
        *[(s.id, RECEIVED) for s in inside],
        (rejected.id, REJECTED),
    ]
    assert {(r.to_state, r.reviewer_id, r.comment) for r in reviews} == {(APPROVED, officer.id, "")}
    [entry] = audit_entries(session, "appraisals.submissions_bulk_reviewed")
    assert entry.subject == f"appraisal_project:{project.id}"
    assert entry.details["changed"] == 4
    assert entry.details["unchanged"] == 1
    assert entry.details["filter"] == {
        "state": "all",
        "submitted_from": None,
        "submitted_to": None,
        "area_id": area.id,
        "flagged_only": False,
    }


def test_bulk_review_of_checked_ones_ignores_other_projects(
    session: Session, project: Project, officer: User
) -> None:
    mine = [make_submission(session, project) for _ in range(2)]
    theirs = make_submission(session, make_science_project(session))
    result = review.bulk_review(
        session,
        project,
        HAS_ISSUES,
        "Please add a photo.",
        ids=[mine[0].id, theirs.id],
        actor=officer,
    )
    assert result.changed == 1
    assert states(session, *mine, theirs) == [HAS_ISSUES, RECEIVED, RECEIVED]
    [entry] = audit_entries(session, "appraisals.submissions_bulk_reviewed")
    assert entry.details["ids"] == [mine[0].id]
    assert entry.details["filter"] is None


def test_bulk_review_refuses_what_would_surprise(
    session: Session, project: Project, officer: User, resident: User
) -> None:
    submission = make_submission(session, project)
    with pytest.raises(Invalid) as no_comment:
        review.bulk_review(session, project, REJECTED, "", filters=EVERYTHING, actor=officer)
    assert no_comment.value.field == "comment"
    with pytest.raises(Invalid):  # nothing checked
        review.bulk_review(session, project, APPROVED, "", ids=[], actor=officer)
    with pytest.raises(Invalid):  # the list grew since the reviewer looked
        review.bulk_review(
            session, project, APPROVED, "", filters=EVERYTHING, expected=7, actor=officer
        )
    with pytest.raises(Invalid):  # nothing matches
        review.bulk_review(
            session,
            project,
            APPROVED,
            "",
            filters=review.SubmissionFilter(state=REJECTED),
            actor=officer,
        )
    with pytest.raises(Forbidden):
        review.bulk_review(session, project, APPROVED, "", filters=EVERYTHING, actor=resident)
    session.rollback()
    assert states(session, submission) == [RECEIVED]
    assert audit_entries(session, "appraisals.submissions_bulk_reviewed") == []


def test_bulk_review_when_all_already_have_the_state_writes_nothing(
    session: Session, project: Project, officer: User
) -> None:
    make_submission(session, project, state=APPROVED)
    result = review.bulk_review(session, project, APPROVED, "", filters=EVERYTHING, actor=officer)
    assert result == review.BulkResult(changed=0, unchanged=1)
    assert session.scalar(sa.select(sa.func.count(Review.id))) == 0
    assert audit_entries(session, "appraisals.submissions_bulk_reviewed") == []


# --- What the public sees -----------------------------------------------------------------------


EXACT = (51.551234, -0.142345)


def test_map_points_are_approved_public_points_only(session: Session, project: Project) -> None:
    area = make_area(session, project.mission, name="Gospel Oak")
    author = make_user(session, display_name="Secret Name")
    shown = make_submission(
        session, project, author, point=EXACT, state=APPROVED, submitted_at=at(4)
    )
    shown.area_id = area.id
    shared = make_submission(session, project, point=EXACT, state=APPROVED, share_exact=True)
    shared.public_latitude, shared.public_longitude = EXACT
    session.commit()
    make_submission(session, project, point=EXACT, state=RECEIVED)
    make_submission(session, project, point=EXACT, state=REJECTED)
    make_submission(session, project, point=EXACT, state=HAS_ISSUES)
    make_submission(session, project, point=None, state=APPROVED)  # nothing to put on a map
    make_submission(session, make_science_project(session), point=EXACT, state=APPROVED)

    points = review.map_points(session, project)
    assert [p.id for p in points] == [shown.id, shared.id]
    first = points[0].as_json()
    assert first == {
        "id": shown.id,
        "lat": pytest.approx(51.55),
        "lon": pytest.approx(-0.14),
        "date": "2026-05-04",
        "area": "Gospel Oak",
        "generalised": True,
        "label": "PM2.5 reading: 12.5 µg/m³",
    }
    assert (first["lat"], first["lon"]) != EXACT
    assert "Secret" not in repr(first)
    assert points[1].generalised is False
    assert (points[1].latitude, points[1].longitude) == EXACT


def test_map_points_page_by_id(session: Session, project: Project) -> None:
    approved = [make_submission(session, project, state=APPROVED) for _ in range(5)]
    ids = [s.id for s in approved]
    first = review.map_points(session, project, 0, 2)
    assert [p.id for p in first] == ids[:2]
    second = review.map_points(session, project, first[-1].id, 2)
    assert [p.id for p in second] == ids[2:4]
    assert [p.id for p in review.map_points(session, project, ids[3], 2)] == ids[4:]
    assert review.map_points(session, project, ids[4], 2) == []
    assert len(review.map_points(session, project, 0, 0)) == 1  # at least one
    assert len(review.map_points(session, project, -5, 10**9)) == 5  # at most MAP_LIMIT_MAX


def test_the_public_list_shows_approved_ones_newest_first_by_area(
    session: Session, project: Project
) -> None:
    area = make_area(session, project.mission)
    older = make_submission(session, project, state=APPROVED, submitted_at=at(1))
    newer = make_submission(session, project, state=APPROVED, submitted_at=at(2))
    make_submission(session, project, state=RECEIVED, submitted_at=at(3))
    newer.area_id = area.id
    session.commit()
    page = review.list_approved(session, project, 1)
    assert [s.id for s in page.items] == [newer.id, older.id]
    assert [s.id for s in review.list_approved(session, project, 1, area_id=area.id).items] == [
        newer.id
    ]


def test_the_page_of_an_observation(session: Session, project: Project) -> None:
    sent = [
        make_submission(session, project, state=APPROVED, submitted_at=at(1) + timedelta(hours=n))
        for n in range(5)
    ]
    hidden = make_submission(session, project, state=RECEIVED)
    # Newest first, two a page: [4, 3], [2, 1], [0].
    pages = [review.page_of_approved(session, project, s.id, per_page=2) for s in sent]
    assert pages == [3, 2, 2, 1, 1]
    assert review.page_of_approved(session, project, hidden.id) is None
    assert review.page_of_approved(session, project, 999_999) is None


def test_answers_are_shown_with_units_and_choice_labels(session: Session) -> None:
    project = make_science_project(session)
    make_field(
        project,
        "trees",
        FieldType.MULTIPLE_CHOICE,
        choices=[{"value": "oak", "label": "Oak"}, {"value": "ash", "label": "Ash"}],
    )
    make_field(project, "count", FieldType.INTEGER)
    session.commit()
    fields = {field.name: field for field in project.fields}
    assert review.display_answer(fields["pm25"], 12.5) == "12.5 µg/m³"
    assert review.display_answer(fields["count"], 3) == "3"
    assert review.display_answer(fields["site"], "road") == "By a main road"
    assert review.display_answer(fields["site"], "gone") == "gone"
    assert review.display_answer(fields["trees"], ["oak", "ash"]) == "Oak, Ash"
    assert review.display_answer(fields["note"], None) == ""
    assert review.short_label(project.fields, {"site": "park"}) == "Where were you?: In a park"
    assert review.short_label(project.fields, {"note": "Only a note"}) == ""
    assert [f.name for f in review.answer_fields(project)] == [
        "pm25",
        "site",
        "note",
        "trees",
        "count",
    ]


def test_an_area_filter_for_an_unboxed_area(session: Session, project: Project) -> None:
    unboxed: Area = make_area(session, project.mission, box=None)
    make_submission(session, project, state=APPROVED)
    assert review.list_approved(session, project, 1, area_id=unboxed.id).total == 0
