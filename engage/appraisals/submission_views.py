"""Residents' submissions to a citizen-science project: the form, photos and their own submissions."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from engage.appraisals import photos, submissions
from engage.appraisals.answers import FieldSpec
from engage.appraisals.models import FieldType, Photo, SubmissionState
from engage.appraisals.projects import get_project, may_review
from engage.appraisals.submission_forms import (
    FLAG,
    STATE,
    SubmissionForm,
    answer_attribute,
    condition_text,
    correction_form,
    submission_form,
)
from engage.errors import Conflict, DomainError
from engage.extensions import db
from engage.forms import requested_page
from engage.security import public, signed_in

bp = Blueprint("appraisal_submissions", __name__, url_prefix="/science")


@bp.context_processor
def labels() -> dict[str, object]:
    return {
        "STATE": STATE,
        "FLAG": FLAG,
        "FieldType": FieldType,
        "SubmissionState": SubmissionState,
        "answer_attribute": answer_attribute,
        "thumbnail_size": thumbnail_size,
    }


THUMBNAIL_SIDE = 480


def thumbnail_size(photo: Photo) -> tuple[int, int]:
    """The width and height attributes showing a photo at most THUMBNAIL_SIDE px on its long
    side (attributes, since the page's policy allows no inline style)."""
    longest = max(photo.width, photo.height, 1)
    scale = min(1.0, THUMBNAIL_SIDE / longest)
    width, height = max(1, round(photo.width * scale)), max(1, round(photo.height * scale))
    return width, height


def photo_dir() -> Path:
    return photos.folder(current_app.instance_path)


def _entry(form: SubmissionForm) -> submissions.Entry:
    return submissions.Entry(
        answers=form.raw_answers(),
        latitude=form.latitude.data or "",
        longitude=form.longitude.data or "",
        share_exact=bool(form.share_exact.data),
        photos={
            name: photos.read_upload(storage.stream) for name, storage in form.photo_files().items()
        },
    )


def _conditions(specs: list[FieldSpec]) -> dict[str, str]:
    return {spec.name: condition_text(spec, specs) for spec in specs}


def _map_areas(page: submissions.FormPage) -> list[dict[str, Any]]:
    return [
        {
            "name": area.name,
            "west": area.west,
            "south": area.south,
            "east": area.east,
            "north": area.north,
        }
        for area in page.areas
    ]


def _form_page(page: submissions.FormPage, form: SubmissionForm, *, submission: Any = None) -> str:
    return render_template(
        "appraisals/submissions/submit.html",
        page=page,
        project=page.project,
        specs=page.specs,
        location=page.location,
        form=form,
        submission=submission,
        map_areas=_map_areas(page),
        conditions=_conditions(page.specs),
    )


# --- Sending an observation -------------------------------------------------------------------


@bp.route("/<slug>/submit", methods=["GET", "POST"])
@signed_in
def submit(slug: str) -> str | Response:
    page = submissions.submission_form_page(db.session, slug, viewer=current_user)
    form = submission_form(page.specs, data={"client_id": str(uuid.uuid4())})
    if form.validate_on_submit():
        try:
            sent = submissions.submit(
                db.session,
                page.project,
                _entry(form),
                client_id=form.client_id.data or "",
                actor=current_user,
                photo_dir=photo_dir(),
            )
        except submissions.SubmissionInvalid as error:
            form.show_errors(error.errors)
        except DomainError as error:
            if error.status == 404:
                raise
            form.show_domain_error(error)
        else:
            if sent.repeated:
                flash(_("We had already received this observation: here it is."), "success")
            else:
                flash(
                    _("Thank you: your observation is stored. A reviewer will look at it."),
                    "success",
                )
            return redirect(url_for(".show", submission_id=sent.submission.id))
    if form.is_submitted():
        db.session.rollback()  # nothing was stored: show the project as it is
    return _form_page(page, form)


# --- One's own submissions --------------------------------------------------------------------


@bp.route("/submissions/<int:submission_id>", methods=["GET"])
@signed_in
def show(submission_id: int) -> str:
    submission = submissions.get_submission(db.session, submission_id, viewer=current_user)
    reviewer = may_review(current_user)
    return render_template(
        "appraisals/submissions/show.html",
        submission=submission,
        project=submission.project,
        rows=submissions.answer_rows(submission),
        is_author=submission.author_id == current_user.id,
        reviewer=reviewer,
        field_labels={f.name: f.label for f in submission.project.fields},
    )


@bp.route("/submissions/<int:submission_id>/correct", methods=["GET", "POST"])
@signed_in
def correct(submission_id: int) -> str | Response:
    try:
        submission, page = submissions.correction_page(
            db.session, submission_id, actor=current_user
        )
    except Conflict as error:
        flash(error.translated(), "error")
        return redirect(url_for(".show", submission_id=submission_id))
    typed, latitude, longitude, share_exact = submissions.stored_entry(submission)
    form = correction_form(
        page.specs,
        data={**typed, "latitude": latitude, "longitude": longitude, "share_exact": share_exact},
    )
    if form.validate_on_submit():
        try:
            submissions.correct_submission(
                db.session,
                submission_id,
                _entry(form),
                note=form.note.data or "",
                actor=current_user,
                photo_dir=photo_dir(),
            )
        except submissions.SubmissionInvalid as error:
            form.show_errors(error.errors)
        except Conflict as error:
            flash(error.translated(), "error")
            return redirect(url_for(".show", submission_id=submission_id))
        else:
            flash(_("Thank you: your corrected observation goes back to the reviewers."), "success")
            return redirect(url_for(".show", submission_id=submission_id))
    if form.is_submitted():
        db.session.rollback()  # nothing was stored: show the submission as it is
    return _form_page(page, form, submission=submission)


@bp.route("/<slug>/mine", methods=["GET"])
@signed_in
def mine(slug: str) -> str:
    project = get_project(db.session, slug, viewer=current_user)
    found = submissions.list_own_submissions(
        db.session, project, author=current_user, page=requested_page()
    )
    return render_template("appraisals/submissions/mine.html", project=project, page=found)


# --- Photos -----------------------------------------------------------------------------------


@bp.route("/photos/<int:photo_id>/<size>", methods=["GET"])
@public
def photo(photo_id: int, size: str) -> Response:
    found = submissions.photo_file(
        db.session, photo_id, size, viewer=current_user, photo_dir=photo_dir()
    )
    response = send_file(found.path, mimetype=found.content_type, conditional=True, etag=True)
    if found.public:
        response.cache_control.public = True
        response.cache_control.max_age = 300
    else:
        response.cache_control.private = True
        response.cache_control.no_cache = True
    response.headers["Content-Disposition"] = "inline"
    return response
