"""Juries: selection runs, the committed and revealed draw, and the panel with its reserves."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from engage import jobs
from engage.errors import Conflict, DomainError, Invalid
from engage.extensions import db
from engage.forms import BaseForm, requested_page
from engage.juries import draws, services, uploads
from engage.juries.draw_forms import (
    ALGORITHM_NAME,
    RUN_STATUS,
    SEAT_STATUS,
    AcceptReplacementForm,
    CommitForm,
    PurgeForm,
    RevealForm,
    SeatStatusForm,
    StartRunForm,
)
from engage.juries.models import JuryStatus, RunStatus, SeatStatus
from engage.pages import progress_message
from engage.security import Role, public, roles_required

bp = Blueprint("jury_draws", __name__, url_prefix="/juries")
# Officers reach these pages; the services then let only this jury's officers (and admins) in.
officer = roles_required(Role.OFFICER)

PER_PAGE = 50


@bp.context_processor
def labels() -> dict[str, object]:
    return {
        "ALGORITHM_NAME": ALGORITHM_NAME,
        "RUN_STATUS": RUN_STATUS,
        "SEAT_STATUS": SEAT_STATUS,
        "SeatStatus": SeatStatus,
        "RunStatus": RunStatus,
        "JuryStatus": JuryStatus,
    }


# What a POST may be refused for and shown as a message on the page it came from; Forbidden and
# NotFound still answer 403 and 404.
REFUSALS = (Conflict, Invalid)


def _refused(error: DomainError, target: str) -> Response:
    flash(error.translated(), "error")
    return redirect(target)


def _expired(target: str) -> Response:
    flash(_("The form had expired or was incomplete. Please try again."), "error")
    return redirect(target)


# --- Selection runs -----------------------------------------------------------------------------


@bp.route("/<int:jury_id>/selection", methods=["GET", "POST"])
@officer
def selection(jury_id: int) -> str | Response:
    jury = services.require_manager(db.session, jury_id, current_user)
    form = StartRunForm()
    here = url_for("jury_draws.selection", jury_id=jury_id)
    if form.validate_on_submit():
        try:
            run = draws.start_run(
                db.session,
                jobs.current_runner(),
                jury_id,
                algorithm=form.algorithm.data,
                actor=current_user,
            )
        except REFUSALS as error:
            return _refused(error, here)
        flash(_("The selection is running. This page follows its progress."), "success")
        return redirect(url_for("jury_draws.run", run_id=run.id))
    return render_template(
        "juries/draws/selection.html",
        jury=jury,
        form=form,
        runs=draws.list_runs(db.session, jury_id, current_user),
        draw=draws.get_draw_for_jury(db.session, jury_id),
        frozen=services.is_frozen(jury),
    )


@bp.route("/runs/<int:run_id>", methods=["GET"])
@officer
def run(run_id: int) -> str:
    selection_run = draws.get_run(db.session, run_id, current_user)
    jury = services.get_jury(db.session, selection_run.jury_id)
    job = draws.get_run_job(db.session, selection_run)
    state = draws.run_state(selection_run, job)
    page = requested_page()
    chances, total = draws.run_probabilities(
        db.session, selection_run, page=page, per_page=PER_PAGE
    )
    problem = draws.infeasibility(selection_run)
    reasons = (
        [_(reason["template"], **reason["params"]) for reason in problem["reasons"]]
        if problem
        else []
    )
    return render_template(
        "juries/draws/run.html",
        jury=jury,
        run=selection_run,
        state=state,
        job=job,
        report=draws.run_report(selection_run),
        chances=chances,
        total=total,
        page=page,
        per_page=PER_PAGE,
        reasons=reasons,
        relaxation=problem["relaxation"] if problem else None,
        draw=draws.get_draw_for_jury(db.session, jury.id),
        frozen=services.is_frozen(jury),
    )


@bp.route("/runs/<int:run_id>/status", methods=["GET"])
@officer
def run_status(run_id: int) -> Response:
    """The run's job in the shape static/js/job.js polls for."""
    selection_run = draws.get_run(db.session, run_id, current_user)
    job = draws.get_run_job(db.session, selection_run)
    finished = selection_run.status is not RunStatus.RUNNING or (
        job is not None and job.status.finished
    )
    return jsonify(
        id=selection_run.id,
        status=job.status.value if job is not None else ("succeeded" if finished else "queued"),
        finished=finished,
        progress=job.progress if job is not None else 100,
        message=progress_message(job) if job is not None else "",
    )


@bp.route("/runs/<int:run_id>/commit", methods=["GET", "POST"])
@officer
def commit(run_id: int) -> str | Response:
    selection_run = draws.get_run(db.session, run_id, current_user)
    jury = services.get_jury(db.session, selection_run.jury_id)
    form = CommitForm()
    if form.validate_on_submit():
        try:
            draw = draws.commit_draw(
                db.session,
                run_id,
                randomness_source=form.randomness_source.data or "",
                actor=current_user,
            )
        except REFUSALS as error:
            if error.field:
                form.show_domain_error(error)
            else:
                return _refused(error, url_for("jury_draws.run", run_id=run_id))
        else:
            flash(
                _("The draw is committed and published. The pool and quotas are now frozen."),
                "success",
            )
            return redirect(url_for("jury_draws.draw", draw_id=draw.id))
    return render_template(
        "juries/draws/commit.html",
        jury=jury,
        run=selection_run,
        report=draws.run_report(selection_run),
        form=form,
        draw=draws.get_draw_for_jury(db.session, jury.id),
    )


# --- The public draw ----------------------------------------------------------------------------


@bp.route("/draws/<int:draw_id>", methods=["GET"])
@public
def draw(draw_id: int) -> str:
    shown = draws.public_draw(db.session, draw_id)
    stored = draws.get_draw(db.session, draw_id)
    return render_template(
        "juries/draws/draw.html",
        draw=shown,
        manager=services.can_manage(db.session, stored.jury_id, current_user),
    )


@bp.route("/draws/<int:draw_id>/bundle.json", methods=["GET"])
@public
def bundle(draw_id: int) -> Response:
    """The bundle byte for byte as committed: its SHA-256 is the published commitment."""
    stored = draws.get_draw(db.session, draw_id)
    return Response(
        stored.bundle.encode("utf-8"),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="draw-{stored.id}-bundle.json"'},
    )


@bp.route("/draws/<int:draw_id>/reveal", methods=["GET", "POST"])
@officer
def reveal(draw_id: int) -> str | Response:
    stored = draws.get_managed_draw(db.session, draw_id, current_user)
    form = RevealForm()
    if form.validate_on_submit():
        try:
            draws.reveal_draw(
                db.session, draw_id, random_value=form.random_value.data or "", actor=current_user
            )
        except REFUSALS as error:
            if error.field:
                form.show_domain_error(error)
            else:
                return _refused(error, url_for("jury_draws.draw", draw_id=draw_id))
        else:
            flash(_("The panel is drawn. Invite its members."), "success")
            return redirect(url_for("jury_draws.panel", draw_id=draw_id))
    return render_template(
        "juries/draws/reveal.html", draw=draws.public_draw(db.session, stored.id), form=form
    )


# --- The panel ----------------------------------------------------------------------------------


@bp.route("/draws/<int:draw_id>/panel", methods=["GET"])
@officer
def panel(draw_id: int) -> str:
    return render_template(
        "juries/draws/panel.html",
        panel=draws.get_panel(db.session, draw_id, current_user),
        today=date.today(),
    )


@bp.route("/draws/<int:draw_id>/seats/<int:seat_id>/status", methods=["POST"])
@officer
def set_seat_status(draw_id: int, seat_id: int) -> Response:
    back = url_for("jury_draws.panel", draw_id=draw_id)
    form = SeatStatusForm()
    if not form.validate_on_submit():
        return _expired(back)
    try:
        draws.set_seat_status(db.session, draw_id, seat_id, form.status.data, actor=current_user)
    except REFUSALS as error:
        return _refused(error, back)
    flash(_("Invitation status saved."), "success")
    return redirect(back)


@bp.route("/draws/<int:draw_id>/replacement", methods=["GET", "POST"])
@officer
def replacement(draw_id: int) -> str | Response:
    back = url_for("jury_draws.panel", draw_id=draw_id)
    form = AcceptReplacementForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _expired(back)
        try:
            expected = draws.parse_member_ids(form.proposal.data or "")
            draws.accept_replacement(db.session, draw_id, expected=expected, actor=current_user)
        except REFUSALS as error:
            return _refused(error, back)
        flash(_("Replacement invited. The panel keeps every quota."), "success")
        return redirect(back)
    try:
        proposal = draws.propose_replacement(db.session, draw_id, current_user)
    except Conflict as error:
        return _refused(error, back)
    problem = [_(reason["template"], **reason["params"]) for reason in proposal.problem or []]
    form.proposal.data = ",".join(str(member_id) for member_id in proposal.member_ids)
    return render_template(
        "juries/draws/replacement.html",
        panel=draws.get_panel(db.session, draw_id, current_user),
        proposal=proposal,
        problem=problem,
        form=form,
    )


@bp.route("/draws/<int:draw_id>/export", methods=["POST"])
@officer
def export_panel(draw_id: int) -> Response:
    back = url_for("jury_draws.panel", draw_id=draw_id)
    if not BaseForm().validate_on_submit():
        return _expired(back)
    try:
        text, filename = draws.export_panel(db.session, draw_id, actor=current_user)
    except REFUSALS as error:
        return _refused(error, back)
    return Response(
        text.encode("utf-8-sig"),  # the BOM makes spreadsheets read UTF-8
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/<int:jury_id>/purge", methods=["GET", "POST"])
@officer
def purge(jury_id: int) -> str | Response:
    jury = services.require_manager(db.session, jury_id, current_user)
    form = PurgeForm()
    today = date.today()
    if form.validate_on_submit():
        try:
            draws.purge_jury(db.session, jury_id, actor=current_user, today=today)
        except REFUSALS as error:
            return _refused(error, url_for("jury_draws.purge", jury_id=jury_id))
        uploads.discard_jury(uploads.base_folder(current_app.instance_path), jury_id)
        flash(_("The volunteers' personal data is erased. Aggregate counts remain."), "success")
        return redirect(url_for("jury_draws.purge", jury_id=jury_id))
    return render_template(
        "juries/draws/purge.html",
        jury=jury,
        form=form,
        can_purge=draws.can_purge(jury, today),
        draw=draws.get_draw_for_jury(db.session, jury_id),
    )
