"""Sending, reading and correcting submissions: the services, with a session.

The factories' typical project asks for a PM2.5 reading in µg/m³ (allowed 0-1000, expected
0-150, required), a site (school, road or park), a note, a required point and a photo."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin
from PIL import Image
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.appraisals import geo, submissions
from engage.appraisals.models import (
    FieldType,
    FlagKind,
    Photo,
    Project,
    Review,
    Status,
    Submission,
    SubmissionState,
)
from engage.appraisals.submissions import Entry, SubmissionInvalid
from engage.audit import AuditEntry
from engage.db import utcnow
from engage.errors import Conflict, Invalid, NotFound
from engage.missions.models import MissionStatus
from tests.appraisals.test_photos import jpeg_with_gps
from tests.factories import (
    make_area,
    make_field,
    make_mission,
    make_science_project,
    make_submission,
    make_user,
)

SCHOOL = ("51.555012", "-0.142034")  # Kentish Town, inside make_area's default box


@pytest.fixture
def project(session: Session) -> Project:
    return make_science_project(session)


@pytest.fixture
def photo_dir(tmp_path: Path) -> Path:
    return tmp_path / "appraisal-photos"


def entry(
    point: tuple[str, str] = SCHOOL,
    *,
    share_exact: bool = False,
    photos: dict[str, bytes] | None = None,
    **answers: Any,
) -> Entry:
    typed: dict[str, Any] = {"pm25": "12.5", "site": "school", "note": ""}
    typed.update(answers)
    return Entry(typed, point[0], point[1], share_exact, photos or {})


def send(
    session: Session,
    project: Project,
    actor: User,
    photo_dir: Path,
    sent: Entry | None = None,
    client_id: str | None = None,
) -> submissions.Sent:
    return submissions.submit(
        session,
        project,
        sent or entry(),
        client_id=client_id or str(uuid.uuid4()),
        actor=actor,
        photo_dir=photo_dir,
    )


def stored(session: Session) -> list[Submission]:
    session.expire_all()
    return list(session.scalars(sa.select(Submission).order_by(Submission.id)))


def refused_fields(error: pytest.ExceptionInfo[SubmissionInvalid]) -> dict[str, str]:
    return {name: str(message) for name, message in error.value.errors.items()}


# --- Sending ----------------------------------------------------------------------------------


def test_a_submission_stores_the_answers_the_exact_point_and_a_generalised_public_one(
    session: Session, project: Project, resident: User, photo_dir: Path
) -> None:
    area = make_area(session, project.mission)

    sent = send(session, project, resident, photo_dir, entry(pm25="12,5", note=" Busy "))

    assert not sent.repeated
    [submission] = stored(session)
    assert submission.answers == {"pm25": 12.5, "site": "school", "note": "Busy"}
    assert (submission.latitude, submission.longitude) == (51.555012, -0.142034)
    centre = geo.generalise(51.555012, -0.142034)
    assert (submission.public_latitude, submission.public_longitude) == (
        centre.latitude,
        centre.longitude,
    )
    assert (submission.public_latitude, submission.public_longitude) != (51.555012, -0.142034)
    assert submission.share_exact is False
    assert submission.area_id == area.id
    assert submission.state is SubmissionState.RECEIVED
    assert submission.author_id == resident.id
    assert submission.flags == []
    # Residents' data, like votes: not copied into the audit log.
    assert session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0


def test_a_submitter_may_show_the_exact_point(
    session: Session, project: Project, resident: User, photo_dir: Path
) -> None:
    send(session, project, resident, photo_dir, entry(share_exact=True))

    [submission] = stored(session)
    assert submission.share_exact is True
    assert (submission.public_latitude, submission.public_longitude) == (51.555012, -0.142034)


def test_a_point_outside_every_area_has_no_area(
    session: Session, project: Project, resident: User, photo_dir: Path
) -> None:
    make_area(session, project.mission)

    send(session, project, resident, photo_dir, entry(("48.8566", "2.3522")))

    assert stored(session)[0].area_id is None


def test_every_problem_is_reported_at_once_and_nothing_is_stored(
    session: Session, project: Project, resident: User, photo_dir: Path
) -> None:
    bad = entry(("95", ""), pm25="1001", site="moon", photos={"photo": b"not an image"})

    with pytest.raises(SubmissionInvalid) as refused:
        send(session, project, resident, photo_dir, bad)

    assert refused_fields(refused) == {
        "pm25": "Enter a value from 0 µg/m³ to 1000 µg/m³.",
        "site": "Choose one of the answers given.",
        "latitude": "A latitude lies between -90 and 90 degrees.",
        "longitude": "Give the longitude too, or leave both boxes empty.",
        "photo": "This file is not a photo. Choose a JPEG or PNG image.",
    }
    session.rollback()
    assert stored(session) == []
    assert not photo_dir.exists() or list(photo_dir.iterdir()) == []


def test_a_required_point_must_be_given(
    session: Session, project: Project, resident: User, photo_dir: Path
) -> None:
    with pytest.raises(SubmissionInvalid) as refused:
        send(session, project, resident, photo_dir, entry(("", "")))

    assert refused_fields(refused) == {
        "location": "Give the location: click on the map, or type its latitude and longitude."
    }


def test_an_optional_point_and_photo_may_be_left_out(
    session: Session, resident: User, photo_dir: Path
) -> None:
    project = make_science_project(session, with_fields=False)
    make_field(project, "count", FieldType.INTEGER, required=True)
    make_field(project, "where", FieldType.LOCATION)
    make_field(project, "photo", FieldType.PHOTO)
    session.commit()

    send(session, project, resident, photo_dir, Entry({"count": "3"}))

    [submission] = stored(session)
    assert submission.answers == {"count": 3}
    assert submission.latitude is None and submission.public_latitude is None
    assert submission.photos == []


def test_a_question_whose_condition_is_unmet_is_dropped_by_the_server(
    session: Session, resident: User, photo_dir: Path
) -> None:
    project = make_science_project(session, with_fields=False)
    make_field(
        project,
        "site",
        FieldType.SINGLE_CHOICE,
        required=True,
        choices=[{"value": "road", "label": "Road"}, {"value": "park", "label": "Park"}],
    )
    make_field(
        project,
        "lorries",
        FieldType.INTEGER,
        required=True,
        condition_field="site",
        condition_value="road",
    )
    make_field(project, "where", FieldType.LOCATION, condition_field="site", condition_value="road")
    make_field(
        project,
        "photo",
        FieldType.PHOTO,
        required=True,
        condition_field="site",
        condition_value="road",
    )
    session.commit()

    # In a park nothing about lorries is asked: whatever the browser sent is not kept.
    send(
        session,
        project,
        resident,
        photo_dir,
        Entry({"site": "park", "lorries": "lots"}, "51.5", "-0.1", photos={}),
    )
    [submission] = stored(session)
    assert submission.answers == {"site": "park"}
    assert submission.latitude is None

    # By a road they are asked, and required.
    with pytest.raises(SubmissionInvalid) as refused:
        send(session, project, resident, photo_dir, Entry({"site": "road"}))
    assert set(refused_fields(refused)) == {"lorries", "photo"}


def test_photos_are_stored_without_metadata_and_recorded(
    session: Session, project: Project, resident: User, photo_dir: Path
) -> None:
    original = jpeg_with_gps((800, 600), orientation=6)

    send(session, project, resident, photo_dir, entry(photos={"photo": original}))

    [submission] = stored(session)
    [photo] = submission.photos
    assert photo.field_name == "photo"
    assert photo.content_type == "image/jpeg"
    assert (photo.width, photo.height) == (600, 800)
    full = (photo_dir / photo.stored_name).read_bytes()
    assert photo.byte_size == len(full)
    assert photo.stored_name.startswith(photo.sha256)
    for data in (full, (photo_dir / photo.display_name).read_bytes()):
        assert b"Exif" not in data and b"GPS" not in data
        with Image.open(io.BytesIO(data)) as image:
            assert dict(image.getexif()) == {}
    assert "photo" not in submission.answers


def test_a_closed_or_draft_project_refuses(
    session: Session, resident: User, photo_dir: Path
) -> None:
    closed = make_science_project(session, status=Status.CLOSED)
    draft = make_science_project(session, status=Status.DRAFT)
    hidden_mission = make_science_project(
        session, make_mission(session, status=MissionStatus.DRAFT)
    )

    for project in (closed, draft, hidden_mission):
        with pytest.raises(Conflict):
            send(session, project, resident, photo_dir)
    session.rollback()
    assert stored(session) == []


# --- Sent once --------------------------------------------------------------------------------


def test_sending_the_same_form_again_returns_the_stored_submission(
    session: Session, project: Project, resident: User, photo_dir: Path
) -> None:
    client_id = str(uuid.uuid4())
    first = send(session, project, resident, photo_dir, client_id=client_id)

    again = send(session, project, resident, photo_dir, entry(pm25="99"), client_id=client_id)
    # The same id written in capitals is the same id.
    shouted = send(session, project, resident, photo_dir, client_id=client_id.upper())

    assert again.repeated and shouted.repeated
    assert again.submission.id == shouted.submission.id == first.submission.id
    [submission] = stored(session)
    assert submission.answers["pm25"] == 12.5  # the first sending, unchanged


def test_a_sending_that_lost_a_race_returns_the_one_that_won(
    session: Session,
    project: Project,
    resident: User,
    photo_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two requests with one form at the same moment both find nothing stored yet; the
    database's unique constraint stops the second, which then returns the first's."""
    client_id = str(uuid.uuid4())
    winner = send(session, project, resident, photo_dir, client_id=client_id).submission.id
    looked = submissions._sent_before
    lookups: list[str] = []

    def too_early(*args: Any) -> Submission | None:
        lookups.append(args[2])
        return None if len(lookups) == 1 else looked(*args)

    monkeypatch.setattr(submissions, "_sent_before", too_early)

    loser = send(session, project, resident, photo_dir, entry(pm25="80"), client_id=client_id)

    assert loser.repeated
    assert loser.submission.id == winner
    assert len(lookups) == 2
    assert [s.answers["pm25"] for s in stored(session)] == [12.5]


def test_a_form_used_by_someone_else_or_for_another_project_is_refused(
    session: Session, project: Project, resident: User, photo_dir: Path
) -> None:
    client_id = str(uuid.uuid4())
    send(session, project, resident, photo_dir, client_id=client_id)
    other_person = make_user(session)
    other_project = make_science_project(session)

    with pytest.raises(Conflict):
        send(session, project, other_person, photo_dir, client_id=client_id)
    with pytest.raises(Conflict):
        send(session, other_project, resident, photo_dir, client_id=client_id)
    assert len(stored(session)) == 1


@pytest.mark.parametrize("client_id", ["", "not-a-uuid", "1" * 36, "x" * 5000])
def test_a_missing_or_made_up_client_id_is_refused(
    session: Session, project: Project, resident: User, photo_dir: Path, client_id: str
) -> None:
    with pytest.raises(Invalid):
        submissions.submit(
            session,
            project,
            entry(),
            client_id=client_id,
            actor=resident,
            photo_dir=photo_dir,
        )
    assert stored(session) == []


# --- Quality flags ----------------------------------------------------------------------------


def test_a_value_outside_the_expected_range_is_stored_and_flagged(
    session: Session, project: Project, resident: User, photo_dir: Path
) -> None:
    send(session, project, resident, photo_dir, entry(pm25="420"))

    [submission] = stored(session)
    assert submission.answers["pm25"] == 420.0
    assert [(f.kind, f.field_name) for f in submission.flags] == [(FlagKind.OUT_OF_RANGE, "pm25")]


def test_the_same_person_close_in_time_and_space_is_a_likely_duplicate(
    session: Session, project: Project, resident: User, photo_dir: Path
) -> None:
    first = send(session, project, resident, photo_dir).submission
    # About 30 m away, a moment later.
    second = send(session, project, resident, photo_dir, entry(("51.555280", "-0.142034")))
    # About 110 m away: another place.
    third = send(session, project, resident, photo_dir, entry(("51.556012", "-0.142034")))
    # Someone else at the same spot: not a duplicate.
    fourth = send(session, project, make_user(session), photo_dir)

    session.expire_all()
    assert [(f.kind, f.other_submission_id) for f in second.submission.flags] == [
        (FlagKind.LIKELY_DUPLICATE, first.id)
    ]
    assert third.submission.flags == []
    assert fourth.submission.flags == []
    assert first.flags == []


def test_ten_minutes_later_it_is_a_new_observation(
    session: Session, project: Project, resident: User, photo_dir: Path
) -> None:
    earlier = make_submission(
        session,
        project,
        resident,
        point=(51.555012, -0.142034),
        submitted_at=utcnow() - timedelta(minutes=11),
    )
    recent = make_submission(
        session,
        project,
        resident,
        point=(51.555012, -0.142034),
        submitted_at=utcnow() - timedelta(minutes=9),
    )

    sent = send(session, project, resident, photo_dir).submission

    session.expire_all()
    assert [f.other_submission_id for f in sent.flags] == [recent.id]
    assert earlier.id != recent.id


def test_without_a_point_the_same_answers_make_a_likely_duplicate(
    session: Session, resident: User, photo_dir: Path
) -> None:
    project = make_science_project(session, with_fields=False)
    make_field(project, "count", FieldType.INTEGER, required=True)
    session.commit()

    first = send(session, project, resident, photo_dir, Entry({"count": "3"})).submission
    same = send(session, project, resident, photo_dir, Entry({"count": "3"})).submission
    other = send(session, project, resident, photo_dir, Entry({"count": "4"})).submission

    session.expire_all()
    assert [(f.kind, f.other_submission_id) for f in same.flags] == [
        (FlagKind.LIKELY_DUPLICATE, first.id)
    ]
    assert other.flags == []


# --- Reading ----------------------------------------------------------------------------------


def test_a_submission_is_seen_by_its_author_and_reviewers_only(
    session: Session,
    project: Project,
    resident: User,
    officer: User,
    evaluator: User,
) -> None:
    submission = make_submission(session, project, resident)

    for viewer in (resident, officer, evaluator):
        assert submissions.get_submission(session, submission.id, viewer=viewer).id == submission.id
    for stranger in (make_user(session), None, AnonymousUserMixin()):
        with pytest.raises(NotFound):
            submissions.get_submission(session, submission.id, viewer=stranger)
    with pytest.raises(NotFound):
        submissions.get_submission(session, 999_999, viewer=officer)


def test_ones_own_submissions_newest_first_a_page_at_a_time(
    session: Session, project: Project, resident: User
) -> None:
    now = utcnow()
    mine = [
        make_submission(session, project, resident, submitted_at=now - timedelta(hours=hours))
        for hours in range(5)
    ]
    make_submission(session, project, make_user(session))  # someone else's
    elsewhere = make_submission(session, make_science_project(session), resident)

    first = submissions.list_own_submissions(session, project, author=resident, page=1, per_page=2)
    last = submissions.list_own_submissions(session, project, author=resident, page=3, per_page=2)
    everywhere = submissions.list_own_submissions(session, None, author=resident, page=1)

    assert [s.id for s in first.items] == [mine[0].id, mine[1].id]
    assert (first.total, first.pages) == (5, 3)
    assert [s.id for s in last.items] == [mine[4].id]
    assert everywhere.total == 6
    assert elsewhere.id in [s.id for s in everywhere.items]


def test_answers_are_shown_in_form_order_with_units_and_choice_labels(
    session: Session, project: Project, resident: User
) -> None:
    submission = make_submission(
        session, project, resident, answers={"pm25": 12.0, "site": "road", "note": "Smelly"}
    )

    rows = submissions.answer_rows(submission)

    assert [(r.name, r.label, r.text) for r in rows] == [
        ("pm25", "PM2.5 reading", "12 µg/m³"),
        ("site", "Where were you?", "By a main road"),
        ("note", "Anything else we should know?", "Smelly"),
        ("location", "Where", "51.550000, -0.140000"),
        ("photo", "A photo of the site", ""),
    ]


def test_questions_not_asked_are_not_shown(
    session: Session, project: Project, resident: User
) -> None:
    make_field(
        project, "lorries", FieldType.INTEGER, condition_field="site", condition_value="road"
    )
    session.commit()
    in_park = make_submission(session, project, resident, answers={"pm25": 3.0, "site": "park"})
    by_road = make_submission(session, project, resident, answers={"pm25": 3.0, "site": "road"})

    assert "lorries" not in [r.name for r in submissions.answer_rows(in_park)]
    assert "lorries" in [r.name for r in submissions.answer_rows(by_road)]


# --- Photos' access ---------------------------------------------------------------------------


def photo_of(
    session: Session, project: Project, author: User, photo_dir: Path, state: SubmissionState
) -> Photo:
    sent = send(session, project, author, photo_dir, entry(photos={"photo": jpeg_with_gps()}))
    submission = sent.submission
    submission.state = state
    session.commit()
    [photo] = submission.photos
    return photo


def test_the_display_copy_of_an_approved_photo_is_public(
    session: Session, project: Project, resident: User, photo_dir: Path
) -> None:
    photo = photo_of(session, project, resident, photo_dir, SubmissionState.APPROVED)

    found = submissions.photo_file(session, photo.id, "display", viewer=None, photo_dir=photo_dir)

    assert found.public
    assert found.path == photo_dir / photo.display_name
    assert found.content_type == "image/jpeg"
    # The full image stays with the author and the reviewers.
    with pytest.raises(NotFound):
        submissions.photo_file(session, photo.id, "full", viewer=None, photo_dir=photo_dir)
    with pytest.raises(NotFound):
        submissions.photo_file(
            session, photo.id, "full", viewer=make_user(session), photo_dir=photo_dir
        )


@pytest.mark.parametrize(
    "state", [SubmissionState.RECEIVED, SubmissionState.HAS_ISSUES, SubmissionState.REJECTED]
)
def test_photos_of_an_unapproved_submission_are_for_its_author_and_reviewers(
    session: Session,
    project: Project,
    resident: User,
    officer: User,
    evaluator: User,
    photo_dir: Path,
    state: SubmissionState,
) -> None:
    photo = photo_of(session, project, resident, photo_dir, state)

    for viewer in (resident, officer, evaluator):
        for size in ("display", "full"):
            found = submissions.photo_file(
                session, photo.id, size, viewer=viewer, photo_dir=photo_dir
            )
            assert not found.public
    for stranger in (None, make_user(session)):
        with pytest.raises(NotFound):
            submissions.photo_file(
                session, photo.id, "display", viewer=stranger, photo_dir=photo_dir
            )


def test_an_approved_photo_of_a_project_back_in_draft_is_not_public(
    session: Session, project: Project, resident: User, photo_dir: Path
) -> None:
    photo = photo_of(session, project, resident, photo_dir, SubmissionState.APPROVED)
    project.status = Status.DRAFT
    session.commit()

    with pytest.raises(NotFound):
        submissions.photo_file(session, photo.id, "display", viewer=None, photo_dir=photo_dir)
    assert submissions.photo_file(
        session, photo.id, "display", viewer=resident, photo_dir=photo_dir
    ).path.is_file()


def test_odd_photo_addresses_are_not_found(
    session: Session, project: Project, resident: User, officer: User, photo_dir: Path
) -> None:
    photo = photo_of(session, project, resident, photo_dir, SubmissionState.APPROVED)

    for photo_id, size in [(photo.id, "huge"), (photo.id, "../etc"), (999_999, "display")]:
        with pytest.raises(NotFound):
            submissions.photo_file(session, photo_id, size, viewer=officer, photo_dir=photo_dir)
    (photo_dir / photo.display_name).unlink()  # the file went missing
    with pytest.raises(NotFound):
        submissions.photo_file(session, photo.id, "display", viewer=officer, photo_dir=photo_dir)


# --- Corrections ------------------------------------------------------------------------------


def sent_back(session: Session, submission: Submission, officer: User) -> None:
    submission.reviews.append(
        Review(
            reviewer_id=officer.id,
            from_state=submission.state,
            to_state=SubmissionState.HAS_ISSUES,
            comment="The reading looks ten times too high.",
        )
    )
    submission.state = SubmissionState.HAS_ISSUES
    session.commit()


def test_a_resident_corrects_a_submission_sent_back_to_them(
    session: Session, project: Project, resident: User, officer: User, photo_dir: Path
) -> None:
    submission = send(
        session, project, resident, photo_dir, entry(pm25="420", photos={"photo": jpeg_with_gps()})
    ).submission
    photo_name = submission.photos[0].stored_name
    sent_back(session, submission, officer)

    submissions.correct_submission(
        session,
        submission.id,
        entry(pm25="42", site="road", share_exact=True),
        note="",
        actor=resident,
        photo_dir=photo_dir,
    )

    session.expire_all()
    assert submission.state is SubmissionState.RECEIVED
    assert submission.answers == {"pm25": 42.0, "site": "road"}
    assert submission.share_exact is True
    assert submission.flags == []  # 42 is within the expected range
    assert [p.stored_name for p in submission.photos] == [photo_name]  # the photo is kept
    last = submission.reviews[-1]
    assert (last.reviewer_id, last.from_state, last.to_state, last.comment) == (
        resident.id,
        SubmissionState.HAS_ISSUES,
        SubmissionState.RECEIVED,
        "",  # no note: the pages say it was corrected, in the reader's language
    )


def test_a_correction_is_checked_like_a_submission_and_may_carry_a_note(
    session: Session, project: Project, resident: User, officer: User, photo_dir: Path
) -> None:
    submission = make_submission(session, project, resident)
    sent_back(session, submission, officer)

    with pytest.raises(SubmissionInvalid) as refused:
        submissions.correct_submission(
            session,
            submission.id,
            entry(pm25="-3"),
            note="x" * 2001,
            actor=resident,
            photo_dir=photo_dir,
        )
    assert set(refused_fields(refused)) == {"pm25", "note"}
    session.rollback()

    submissions.correct_submission(
        session,
        submission.id,
        entry(pm25="30"),
        note="I had typed an extra zero.",
        actor=resident,
        photo_dir=photo_dir,
    )
    session.expire_all()
    assert submission.reviews[-1].comment == "I had typed an extra zero."


def test_only_the_author_corrects_and_only_when_sent_back(
    session: Session, project: Project, resident: User, officer: User, photo_dir: Path
) -> None:
    submission = make_submission(session, project, resident)

    with pytest.raises(Conflict):  # not sent back
        submissions.correct_submission(
            session, submission.id, entry(), note="", actor=resident, photo_dir=photo_dir
        )
    sent_back(session, submission, officer)
    for someone in (officer, make_user(session)):
        with pytest.raises(NotFound):
            submissions.correct_submission(
                session, submission.id, entry(), note="", actor=someone, photo_dir=photo_dir
            )
    session.expire_all()
    assert submission.state is SubmissionState.HAS_ISSUES
    assert len(submission.reviews) == 1


def test_a_photo_replaced_in_a_correction_leaves_no_file_behind(
    session: Session, project: Project, resident: User, officer: User, photo_dir: Path
) -> None:
    submission = send(
        session, project, resident, photo_dir, entry(photos={"photo": jpeg_with_gps()})
    ).submission
    old = (submission.photos[0].stored_name, submission.photos[0].display_name)
    sent_back(session, submission, officer)
    other_picture = jpeg_with_gps((320, 200))

    submissions.correct_submission(
        session,
        submission.id,
        entry(photos={"photo": other_picture}),
        note="A better photo, without my neighbour's car.",
        actor=resident,
        photo_dir=photo_dir,
    )

    session.expire_all()
    [new] = submission.photos
    assert (new.stored_name, new.display_name) != old
    assert (photo_dir / new.stored_name).is_file()
    assert not (photo_dir / old[0]).exists() and not (photo_dir / old[1]).exists()
