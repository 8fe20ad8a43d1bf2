"""Residents' submissions to citizen-science projects: sending one, reading one's own, the photos,
and correcting a submission a reviewer sent back.

The server checks every answer against the project's form (answers.py), the point (geo.py) and
the photos (photos.py), and refuses with every problem at once. A submission is accepted once:
the form carries a ``client_id`` made when it was shown, and sending it again (a double click, a
retry after a lost connection, two requests at the same moment) returns the stored submission.

Not audit-logged: submissions are residents' data, like votes, and the log would become a
second copy of them with their authors in it. Reviews are the submission's own history.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from engage.accounts.models import User
from engage.appraisals import answers, geo, photos
from engage.appraisals.answers import FieldSpec
from engage.appraisals.areas import area_for_point, list_areas
from engage.appraisals.models import (
    Area,
    FieldType,
    FlagKind,
    Photo,
    Project,
    QualityFlag,
    Review,
    Status,
    Submission,
    SubmissionState,
)
from engage.appraisals.projects import field_specs, get_project, may_review
from engage.db import utcnow
from engage.errors import N_, Conflict, Invalid, NotFound
from engage.i18n import Message
from engage.missions.models import MissionStatus
from engage.pagination import Page, offset_of

PER_PAGE = 20
DUPLICATE_WINDOW = timedelta(minutes=10)
DUPLICATE_METRES = 50.0
NOTE_MAX_LENGTH = 2000
PHOTO_SIZES = ("display", "full")

NOT_FOUND = N_("There is no submission at this address.")
PHOTO_NOT_FOUND = N_("There is no photo at this address.")
NOT_OPEN = N_("This project is not taking observations at the moment.")
OTHERS_CLIENT_ID = N_(
    "This form was already used to send another observation. Reload the page to start a new one."
)
BAD_CLIENT_ID = N_("This form is incomplete. Reload the page and fill it in again.")
LOCATION_MISSING = N_("Give the location: click on the map, or type its latitude and longitude.")
PHOTO_MISSING = N_("Add a photo.")
NOT_SENT_BACK = N_("This observation is not waiting for a correction.")
ONLY_AUTHOR_CORRECTS = N_("Only the person who sent this observation can correct it.")


# --- Inputs and results -----------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """What a resident sent: the answers as typed (a list for a multiple choice), the two
    coordinate boxes, whether to show the exact point, and the chosen photo files by field name
    (their bytes as read, at most photos.MAX_BYTES + 1)."""

    answers: Mapping[str, str | list[str]]
    latitude: str = ""
    longitude: str = ""
    share_exact: bool = False
    photos: Mapping[str, bytes] = field(default_factory=dict)


class SubmissionInvalid(Invalid):
    """Every problem with a submission at once, by field name; the location's boxes are
    "latitude" and "longitude" (and the location field's own name when it is missing)."""

    def __init__(self, errors: Mapping[str, Message]) -> None:
        super().__init__(N_("Some answers need another look."))
        self.errors = dict(errors)


@dataclass(frozen=True)
class Sent:
    submission: Submission
    repeated: bool  # this form had been sent before: the stored submission, unchanged


@dataclass(frozen=True)
class FormPage:
    """What the form to send an observation is built from."""

    project: Project
    specs: list[FieldSpec]
    preview: bool  # a draft shown to staff: sending is refused until it opens
    areas: list[Area]  # the mission's areas with a box, drawn on the map

    @property
    def location(self) -> FieldSpec | None:
        return answers.location_spec(self.specs)


@dataclass(frozen=True)
class PhotoFile:
    path: Path
    content_type: str
    public: bool  # anyone may see it (and caches may keep it)


@dataclass(frozen=True)
class AnswerRow:
    """One question and its answer as the submission's page shows it."""

    name: str
    label: str
    type: FieldType
    text: str  # "" when unanswered
    photos: list[Photo]


@dataclass
class _Checked:
    values: dict[str, Any]
    point: geo.Point | None
    photos: dict[str, photos.ProcessedPhoto]
    shown: set[str]
    errors: dict[str, Message]


# --- The form's fields ------------------------------------------------------------------------


def _visible_to_public(project: Project) -> bool:
    return project.status is not Status.DRAFT and project.mission.status is not MissionStatus.DRAFT


def submission_form_page(session: Session, slug: str, *, viewer: Any) -> FormPage:
    """The project's form for ``viewer`` to fill in. Drafts are shown to staff as a preview;
    a closed project refuses."""
    project = get_project(session, slug, viewer=viewer)
    if project.status is Status.CLOSED:
        raise Conflict(NOT_OPEN)
    preview = not (project.status is Status.OPEN and _visible_to_public(project))
    return FormPage(project, field_specs(project), preview, _boxed_areas(session, project))


def _boxed_areas(session: Session, project: Project) -> list[Area]:
    return [area for area in list_areas(session, project.mission_id) if area.west is not None]


# --- Sending ----------------------------------------------------------------------------------


def submit(
    session: Session,
    project: Project,
    entry: Entry,
    *,
    client_id: str,
    actor: User,
    photo_dir: str | Path,
) -> Sent:
    """Store ``actor``'s answers to ``project``'s form, once per ``client_id``: sending the same
    form again returns the submission stored the first time."""
    client_id = _canonical_client_id(client_id)
    existing = _sent_before(session, project.id, client_id, actor)
    if existing is not None:
        return Sent(existing, repeated=True)
    if project.status is not Status.OPEN or not _visible_to_public(project):
        raise Conflict(NOT_OPEN)
    specs = field_specs(project)
    project_id, mission_id, author_id = project.id, project.mission_id, actor.id
    if entry.photos:
        _let_go_of_write_lock(session)
    checked = _check_entry(specs, entry, existing_photos=set())
    if checked.errors:
        raise SubmissionInvalid(checked.errors)
    _store_files(checked.photos, photo_dir)

    submission = Submission(
        project_id=project_id,
        client_id=client_id,
        author_id=author_id,
        submitted_at=utcnow(),
        answers=checked.values,
    )
    _place(session, submission, mission_id, checked.point, entry.share_exact)
    for name in answers.out_of_expected_range(specs, checked.values):
        submission.flags.append(QualityFlag(kind=FlagKind.OUT_OF_RANGE, field_name=name))
    duplicate = _likely_duplicate_of(session, submission)
    if duplicate is not None:
        submission.flags.append(
            QualityFlag(kind=FlagKind.LIKELY_DUPLICATE, other_submission_id=duplicate.id)
        )
    for name, processed in checked.photos.items():
        submission.photos.append(_photo_row(name, processed))
    session.add(submission)
    try:
        session.flush()
    except IntegrityError:  # the same form, sent a moment ago by a request still in flight
        session.rollback()
        stored = _sent_before(session, project_id, client_id, session.get(User, author_id))
        if stored is None:
            raise
        return Sent(stored, repeated=True)
    session.commit()
    return Sent(submission, repeated=False)


def _canonical_client_id(client_id: str) -> str:
    try:
        return str(uuid.UUID((client_id or "").strip()))
    except (ValueError, AttributeError):
        raise Invalid(BAD_CLIENT_ID) from None


def _sent_before(
    session: Session, project_id: int, client_id: str, actor: User | None
) -> Submission | None:
    """The submission this form already made, or None; a form someone else (or another
    project) used is refused."""
    author_id = actor.id if actor is not None else None
    found = session.scalars(
        sa.select(Submission)
        .where(
            Submission.client_id == client_id,
            sa.or_(Submission.project_id == project_id, Submission.author_id == author_id),
        )
        .order_by(Submission.id)
    ).all()
    for submission in found:
        if submission.project_id != project_id or submission.author_id != author_id:
            raise Conflict(OTHERS_CLIENT_ID)
    return found[0] if found else None


def _let_go_of_write_lock(session: Session) -> None:
    """End the transaction before the slow work on photos. On SQLite the request's first query
    took the write lock; holding it while photos are decoded would make every other writer
    wait. Nothing is pending here, so this commits nothing (see accounts.authenticate)."""
    session.commit()


def _check_entry(
    specs: Sequence[FieldSpec], entry: Entry, *, existing_photos: set[str]
) -> _Checked:
    """Answers, point and photos checked together, every problem by field. Pure but for the
    photos' decoding: no query, so no lock is held on SQLite while it runs."""
    values, errors = answers.validate_answers(specs, entry.answers)
    shown = answers.shown_fields(specs, values)
    point: geo.Point | None = None
    location = answers.location_spec(specs)
    if location is not None and location.name in shown:
        point, point_errors = geo.parse_point(entry.latitude, entry.longitude)
        errors.update(point_errors)
        if point is None and not point_errors and location.required:
            errors[location.name] = Message(LOCATION_MISSING)
    processed: dict[str, photos.ProcessedPhoto] = {}
    for spec in specs:
        if spec.type != answers.PHOTO or spec.name not in shown:
            continue
        data = entry.photos.get(spec.name)
        if data is None:
            if spec.required and spec.name not in existing_photos:
                errors[spec.name] = Message(PHOTO_MISSING)
            continue
        try:
            processed[spec.name] = photos.process_photo(data)
        except photos.PhotoError as error:
            errors[spec.name] = error.message
    return _Checked(values, point, processed, shown, errors)


def _store_files(processed: Mapping[str, photos.ProcessedPhoto], photo_dir: str | Path) -> None:
    for photo in processed.values():
        photos.store_photo(photo, photo_dir)


def _photo_row(field_name: str, processed: photos.ProcessedPhoto) -> Photo:
    return Photo(
        field_name=field_name,
        content_type=processed.content_type,
        stored_name=processed.stored_name,
        display_name=processed.display_name,
        width=processed.width,
        height=processed.height,
        byte_size=len(processed.full),
        sha256=processed.sha256,
    )


def _place(
    session: Session,
    submission: Submission,
    mission_id: int,
    point: geo.Point | None,
    share_exact: bool,
) -> None:
    """The exact point, the point the public sees and the area that one falls in."""
    if point is None:
        submission.latitude = submission.longitude = None
        submission.public_latitude = submission.public_longitude = None
        submission.share_exact = False
        submission.area_id = None
        return
    public = point if share_exact else geo.generalise(point.latitude, point.longitude)
    submission.latitude, submission.longitude = point.latitude, point.longitude
    submission.public_latitude, submission.public_longitude = public.latitude, public.longitude
    submission.share_exact = share_exact
    # The area is public too: placed by the public point, it never tells more than that point
    # does (near a boundary, the exact point's area would).
    area = area_for_point(session, mission_id, public.latitude, public.longitude)
    submission.area_id = area.id if area is not None else None


def _likely_duplicate_of(session: Session, submission: Submission) -> Submission | None:
    """The latest earlier submission by the same person to the same project within ten
    minutes and 50 metres (or, without a point, with the same answers)."""
    earlier = session.scalars(
        sa.select(Submission)
        .where(
            Submission.author_id == submission.author_id,
            Submission.project_id == submission.project_id,
            Submission.submitted_at >= submission.submitted_at - DUPLICATE_WINDOW,
            Submission.submitted_at <= submission.submitted_at,
            Submission.id != (submission.id or 0),
        )
        .order_by(Submission.submitted_at.desc(), Submission.id.desc())
    ).all()
    here = _exact_point(submission)
    for other in earlier:
        there = _exact_point(other)
        if here is not None and there is not None:
            if geo.distance_metres(here, there) <= DUPLICATE_METRES:
                return other
        elif other.answers == submission.answers:
            return other
    return None


def _exact_point(submission: Submission) -> geo.Point | None:
    if submission.latitude is None or submission.longitude is None:
        return None
    return geo.Point(submission.latitude, submission.longitude)


# --- Reading ----------------------------------------------------------------------------------


def _may_see(submission: Submission, viewer: Any) -> bool:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    return submission.author_id == viewer.id or may_review(viewer)


def get_submission(session: Session, submission_id: int, *, viewer: Any) -> Submission:
    """A submission for its author or a reviewer; for anyone else it does not exist."""
    submission = session.scalars(
        sa.select(Submission)
        .where(Submission.id == submission_id)
        .options(
            selectinload(Submission.project).selectinload(Project.fields),
            selectinload(Submission.photos),
            selectinload(Submission.reviews).selectinload(Review.reviewer),
            selectinload(Submission.flags),
            selectinload(Submission.area),
        )
    ).one_or_none()
    if submission is None or not _may_see(submission, viewer):
        raise NotFound(NOT_FOUND)
    return submission


def list_own_submissions(
    session: Session,
    project: Project | None,
    *,
    author: User,
    page: int,
    per_page: int = PER_PAGE,
) -> Page[Submission]:
    """``author``'s submissions, newest first, to one project or to all."""
    where = [Submission.author_id == author.id]
    if project is not None:
        where.append(Submission.project_id == project.id)
    total = session.scalar(sa.select(sa.func.count(Submission.id)).where(*where)) or 0
    items = session.scalars(
        sa.select(Submission)
        .where(*where)
        .options(selectinload(Submission.project), selectinload(Submission.area))
        .order_by(Submission.submitted_at.desc(), Submission.id.desc())
        .offset(offset_of(page, per_page))
        .limit(per_page)
    ).all()
    return Page(list(items), max(page, 1), per_page, total)


def answer_rows(submission: Submission) -> list[AnswerRow]:
    """The answers in the form's order, with labels, units and choice labels; questions not
    asked (their condition unmet) are left out."""
    specs = field_specs(submission.project)
    asked = answers.shown_fields(specs, submission.answers)
    rows = []
    for form_field, spec in zip(submission.project.fields, specs, strict=True):
        if spec.name not in asked:
            continue
        shown_photos = [p for p in submission.photos if p.field_name == form_field.name]
        if form_field.type is FieldType.LOCATION:
            point = _exact_point(submission)
            text = "" if point is None else f"{point.latitude:.6f}, {point.longitude:.6f}"
        else:
            text = answers.answer_display(spec, submission.answers.get(form_field.name))
        rows.append(
            AnswerRow(form_field.name, form_field.label, form_field.type, text, shown_photos)
        )
    return rows


def photo_file(
    session: Session, photo_id: int, size: str, *, viewer: Any, photo_dir: str | Path
) -> PhotoFile:
    """A stored photo's file. The display copy of an approved submission to a public project is
    anyone's; the full image, and every photo of a submission not (or no longer) approved, only
    its author's and reviewers'."""
    if size not in PHOTO_SIZES:
        raise NotFound(PHOTO_NOT_FOUND)
    photo = session.scalars(
        sa.select(Photo)
        .where(Photo.id == photo_id)
        .options(
            selectinload(Photo.submission)
            .selectinload(Submission.project)
            .selectinload(Project.mission)
        )
    ).one_or_none()
    if photo is None:
        raise NotFound(PHOTO_NOT_FOUND)
    submission = photo.submission
    public = (
        size == "display"
        and submission.state is SubmissionState.APPROVED
        and _visible_to_public(submission.project)
    )
    if not public and not _may_see(submission, viewer):
        raise NotFound(PHOTO_NOT_FOUND)
    name = photo.display_name if size == "display" else photo.stored_name
    path = photos.stored_path(photo_dir, name)
    if path is None:
        raise NotFound(PHOTO_NOT_FOUND)
    return PhotoFile(path, photo.content_type, public)


# --- Corrections ------------------------------------------------------------------------------


def get_for_correction(session: Session, submission_id: int, *, actor: User) -> Submission:
    """The author's submission a reviewer sent back (state "has issues")."""
    submission = get_submission(session, submission_id, viewer=actor)
    if submission.author_id != actor.id:
        raise NotFound(NOT_FOUND)
    if submission.state is not SubmissionState.HAS_ISSUES:
        raise Conflict(NOT_SENT_BACK)
    return submission


def correction_page(
    session: Session, submission_id: int, *, actor: User
) -> tuple[Submission, FormPage]:
    """The submission to correct and the form it is corrected with."""
    submission = get_for_correction(session, submission_id, actor=actor)
    project = submission.project
    return submission, FormPage(
        project, field_specs(project), False, _boxed_areas(session, project)
    )


def correct_submission(
    session: Session,
    submission_id: int,
    entry: Entry,
    *,
    note: str,
    actor: User,
    photo_dir: str | Path,
) -> Submission:
    """Replace the answers of a submission sent back to its author (checked as when it was
    sent) and return it to "received", with a review row saying so. A photo is kept unless a
    new one is chosen for its question, or the question is no longer asked."""
    submission = get_for_correction(session, submission_id, actor=actor)
    note = (note or "").strip()
    errors: dict[str, Message] = {}
    if "\x00" in note:
        errors["note"] = Message(N_("Remove the invisible control character (NUL)."))
    elif len(note) > NOTE_MAX_LENGTH:
        errors["note"] = Message(
            N_("Keep it to %(max)s characters or fewer (this has %(length)s)."),
            {"max": NOTE_MAX_LENGTH, "length": len(note)},
        )
    specs = field_specs(submission.project)
    mission_id = submission.project.mission_id
    had_photos = {photo.field_name for photo in submission.photos}
    if entry.photos:
        _let_go_of_write_lock(session)
    checked = _check_entry(specs, entry, existing_photos=had_photos)
    # Locked from here to the commit (PostgreSQL), so a reviewer's decision made meanwhile is
    # seen, and not overwritten.
    session.refresh(submission, with_for_update=True)
    if submission.state is not SubmissionState.HAS_ISSUES:  # reviewed again meanwhile
        raise Conflict(NOT_SENT_BACK)
    errors.update(checked.errors)
    if errors:
        raise SubmissionInvalid(errors)
    _store_files(checked.photos, photo_dir)

    submission.answers = checked.values
    _place(session, submission, mission_id, checked.point, entry.share_exact)
    replaced = [
        photo
        for photo in submission.photos
        if photo.field_name not in checked.shown or photo.field_name in checked.photos
    ]
    files_replaced = [(photo.stored_name, photo.display_name) for photo in replaced]
    for photo in replaced:
        submission.photos.remove(photo)
    for name, processed in checked.photos.items():
        submission.photos.append(_photo_row(name, processed))
    for flag in list(submission.flags):
        if flag.kind is FlagKind.OUT_OF_RANGE:
            submission.flags.remove(flag)
    for name in answers.out_of_expected_range(specs, checked.values):
        submission.flags.append(QualityFlag(kind=FlagKind.OUT_OF_RANGE, field_name=name))
    submission.reviews.append(
        Review(
            reviewer_id=actor.id,
            from_state=SubmissionState.HAS_ISSUES,
            to_state=SubmissionState.RECEIVED,
            comment=note,  # pages say "corrected by the submitter" in the reader's language
            created_at=utcnow(),
        )
    )
    submission.state = SubmissionState.RECEIVED
    session.commit()
    _remove_unused_files(session, files_replaced, photo_dir)
    return submission


def _remove_unused_files(
    session: Session, names: Sequence[tuple[str, str]], photo_dir: str | Path
) -> None:
    """Delete the files of replaced photos (a photo a resident took back may show what they
    did not mean to send), unless another photo has the same bytes and so the same files."""
    for stored_name, display_name in names:
        in_use = session.scalar(
            sa.select(sa.func.count(Photo.id)).where(Photo.stored_name == stored_name)
        )
        if not in_use:
            photos.remove_files(photo_dir, stored_name, display_name)


def stored_entry(submission: Submission) -> tuple[dict[str, Any], str, str, bool]:
    """A submission's answers as its correction form starts: each answer as typed, the two
    coordinate boxes and the privacy choice."""
    specs = {spec.name: spec for spec in field_specs(submission.project)}
    typed: dict[str, Any] = {}
    for name, value in submission.answers.items():
        spec = specs.get(name)
        if spec is None:
            continue
        typed[name] = value if isinstance(value, list) else answers.answer_text(spec, value)
    point = _exact_point(submission)
    latitude = "" if point is None else f"{point.latitude:.6f}"
    longitude = "" if point is None else f"{point.longitude:.6f}"
    return typed, latitude, longitude, submission.share_exact
