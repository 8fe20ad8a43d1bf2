"""Review of submissions, the public map and list of approved ones, and the exports."""

from __future__ import annotations

import re
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask import Response as FlaskResponse
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from engage.appraisals import answers, exports, photos, review
from engage.appraisals.areas import list_areas
from engage.appraisals.models import FieldType, Project, SubmissionState
from engage.appraisals.projects import get_project
from engage.appraisals.review_forms import (
    ALL,
    DECISIONS,
    FLAG_LABELS,
    STATE_LABELS,
    BulkReviewForm,
    ExportForm,
    FilterFields,
    FilterForm,
    ReviewForm,
)
from engage.errors import DomainError
from engage.extensions import db
from engage.forms import requested_page, show_refusal
from engage.security import MAX_ID, Role, public, roles_required

bp = Blueprint("appraisal_review", __name__, url_prefix="/science")
reviewer = roles_required(Role.OFFICER, Role.EVALUATOR)


@bp.context_processor
def labels() -> dict[str, object]:
    return {
        "STATE_LABELS": STATE_LABELS,
        "FLAG_LABELS": FLAG_LABELS,
        "DECISIONS": DECISIONS,
        "SubmissionState": SubmissionState,
        "display_answer": review.display_answer,
        "format_number": answers.format_number,
        "short_label": review.short_label,
    }


def _project(slug: str) -> Project:
    return get_project(db.session, slug, viewer=current_user)


def _filters(form: FilterFields) -> review.SubmissionFilter:
    """The filter the form asks for; a part with an error is left out (and shown with it)."""
    form.validate()
    return review.SubmissionFilter(
        state=form.valid("state"),
        submitted_from=form.valid("submitted_from"),
        submitted_to=form.valid("submitted_to"),
        area_id=form.valid("area"),
        flagged_only=bool(form.valid("flagged")),
    )


def _query(filters: review.SubmissionFilter) -> dict[str, Any]:
    """The filter as query arguments, for links that keep it (pages, the export)."""
    query: dict[str, Any] = {"state": filters.state.value if filters.state else ALL}
    if filters.submitted_from:
        query["submitted_from"] = filters.submitted_from.isoformat()
    if filters.submitted_to:
        query["submitted_to"] = filters.submitted_to.isoformat()
    if filters.area_id is not None:
        query["area"] = str(filters.area_id)
    if filters.flagged_only:
        query["flagged"] = "y"
    return query


# --- The review queue and one submission ----------------------------------------------------


def _queue_page(
    project: Project,
    filter_form: FilterForm,
    filters: review.SubmissionFilter,
    bulk_form: BulkReviewForm,
    status: int = 200,
) -> tuple[str, int]:
    submissions = review.list_for_review(
        db.session, project, filters, requested_page(), viewer=current_user
    )
    return render_template(
        "appraisals/review/queue.html",
        project=project,
        filter_form=filter_form,
        filters=filters,
        query=_query(filters),
        submissions=submissions,
        bulk_form=bulk_form,
        checked=set(bulk_form.ids.data or []),
    ), status


@bp.route("/<slug>/review", methods=["GET"])
@reviewer
def queue(slug: str) -> tuple[str, int]:
    project = _project(slug)
    filter_form = FilterForm(request.args, areas=list_areas(db.session, project.mission_id))
    return _queue_page(project, filter_form, _filters(filter_form), BulkReviewForm(formdata=None))


@bp.route("/<slug>/review/bulk", methods=["POST"])
@reviewer
def bulk(slug: str) -> tuple[str, int] | Response:
    project = _project(slug)
    # The filter the reviewer was looking at comes back in hidden fields.
    filter_form = FilterForm(request.form, areas=list_areas(db.session, project.mission_id))
    filters = _filters(filter_form)
    form = BulkReviewForm()
    if form.validate_on_submit():
        everything = form.scope.data == "all"
        if everything and filter_form.errors:
            form.form_errors.append(_("The filter has a problem: correct it before applying."))
        else:
            try:
                result = review.bulk_review(
                    db.session,
                    project,
                    SubmissionState(form.to_state.data),
                    form.comment.data or "",
                    filters=filters if everything else None,
                    ids=None if everything else form.ids.data,
                    expected=form.matching.data if everything else None,
                    actor=current_user,
                )
            except DomainError as error:
                show_refusal(form, error)
            else:
                state = STATE_LABELS[SubmissionState(form.to_state.data)]
                message = ngettext(
                    "%(num)s submission is now “%(state)s”.",
                    "%(num)s submissions are now “%(state)s”.",
                    result.changed,
                    state=state,
                )
                if result.unchanged:
                    message += " " + ngettext(
                        "%(num)s already was.", "%(num)s already were.", result.unchanged
                    )
                flash(message, "success")
                return redirect(url_for("appraisal_review.queue", slug=slug, **_query(filters)))
    return _queue_page(project, filter_form, filters, form, status=400)


def _detail_page(project: Project, submission_id: int, form: ReviewForm, status: int) -> Any:
    submission = review.get_for_review(db.session, project, submission_id, viewer=current_user)
    return render_template(
        "appraisals/review/detail.html",
        project=project,
        submission=submission,
        history=review.history(submission),
        form=form,
        fields={field.name: field for field in project.fields},
    ), status


@bp.route("/<slug>/review/<int:submission_id>", methods=["GET", "POST"])
@reviewer
def detail(slug: str, submission_id: int) -> Any:
    project = _project(slug)
    form = ReviewForm()
    if not form.validate_on_submit():
        return _detail_page(project, submission_id, form, 400 if form.is_submitted() else 200)
    # Only a submission of this project may be changed from its page.
    review.get_for_review(db.session, project, submission_id, viewer=current_user)
    to_state = SubmissionState(form.to_state.data)
    try:
        review.review_submission(
            db.session, submission_id, to_state, form.comment.data or "", actor=current_user
        )
    except DomainError as error:
        show_refusal(form, error)
        return _detail_page(project, submission_id, form, 400)
    flash(_("Saved: the submission is now “%(state)s”.", state=STATE_LABELS[to_state]), "success")
    return redirect(url_for("appraisal_review.detail", slug=slug, submission_id=submission_id))


# --- The public map and list ------------------------------------------------------------------


@bp.route("/<slug>/map", methods=["GET"])
@public
def map(slug: str) -> str:
    project = _project(slug)
    return render_template(
        "appraisals/map.html",
        project=project,
        tile_url=current_app.config["MAP_TILE_URL"],
        attribution=current_app.config["MAP_ATTRIBUTION"],
        limit=review.MAP_LIMIT_MAX,
    )


def _whole_number(name: str, default: int) -> int | None:
    """A query argument as a whole number (None when it is something else)."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    raw = raw.strip()
    # ASCII digits only: int() would also take "²" (and then refuse it).
    if not re.fullmatch(r"-?[0-9]{1,12}", raw):
        return None
    return int(raw)


@bp.route("/<slug>/map.json", methods=["GET"])
@public
def map_data(slug: str) -> tuple[FlaskResponse, int]:
    try:
        project = _project(slug)
    except DomainError as error:
        return jsonify({"error": error.translated()}), error.status
    after = _whole_number("after", 0)
    limit = _whole_number("limit", review.MAP_LIMIT)
    if after is None or limit is None:
        message = _("“after” and “limit” must be whole numbers.")
        return jsonify({"error": message}), 400
    limit = min(max(limit, 1), review.MAP_LIMIT_MAX)
    points = review.map_points(db.session, project, min(max(after, 0), MAX_ID), limit)
    response = jsonify(
        {
            "points": [point.as_json() for point in points],
            "next_after": points[-1].id if len(points) == limit else None,
        }
    )
    return response, 200


@bp.route("/<slug>/observations", methods=["GET"])
@public
def observations(slug: str) -> str:
    project = _project(slug)
    areas = list_areas(db.session, project.mission_id)
    form = FilterForm(request.args, areas=areas)
    form.validate()
    area_id = form.valid("area")
    page = requested_page()
    wanted = _whole_number("observation", 0)
    if wanted and 0 < wanted <= MAX_ID:
        page = review.page_of_approved(db.session, project, wanted, area_id=area_id) or page
    return render_template(
        "appraisals/review/observations.html",
        project=project,
        form=form,
        area_id=area_id,
        observations=review.list_approved(db.session, project, page, area_id=area_id),
        fields=review.answer_fields(project),
        photo_fields=[field for field in project.fields if field.type is FieldType.PHOTO],
    )


# --- Exports ------------------------------------------------------------------------------------


@bp.route("/<slug>/export", methods=["GET", "POST"])
@reviewer
def export(slug: str) -> Any:
    project = _project(slug)
    areas = list_areas(db.session, project.mission_id)
    if request.method == "GET":
        # Arriving from the review queue, the form shows its filter.
        form = ExportForm(request.args, areas=areas)
        return render_template("appraisals/review/export.html", project=project, form=form)
    form = ExportForm(areas=areas)
    if not form.validate_on_submit():
        return render_template("appraisals/review/export.html", project=project, form=form), 400
    filters = _filters(form)
    chosen = exports.ExportFormat(form.format.data)
    if chosen is exports.ExportFormat.PHOTOS:
        archive = exports.export_photos(
            db.session,
            project,
            filters,
            photo_dir=photos.folder(current_app.instance_path),
            actor=current_user,
        )
        response = send_file(
            archive.file,
            mimetype="application/zip",
            as_attachment=True,
            download_name=archive.filename,
        )
        response.headers["Cache-Control"] = "no-store"
        return response
    write = exports.export_csv if chosen is exports.ExportFormat.CSV else exports.export_geojson
    streamed = write(
        db.session,
        project,
        filters,
        secret=str(current_app.config["SECRET_KEY"]),
        actor=current_user,
    )
    response = current_app.response_class(
        stream_with_context(streamed.chunks), content_type=streamed.content_type
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{streamed.filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
