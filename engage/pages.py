"""Pages that belong to no single domain: the home page, job progress and the audit log."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from engage import audit, jobs
from engage.accounts import services as accounts
from engage.extensions import db
from engage.forms import BaseForm, requested_page
from engage.missions import services as missions
from engage.security import Role, current_user_holds, public, roles_required, signed_in


def progress_message(job: jobs.Job) -> str:
    """A job's latest progress message in the reader's language."""
    return _(job.message, **job.message_params) if job.message else ""


bp = Blueprint("pages", __name__)
bp.add_app_template_global(progress_message)


@bp.route("/", methods=["GET"])
@public
def home() -> str:
    drafts = current_user_holds(Role.OFFICER)
    return render_template(
        "home.html", missions=missions.list_missions(db.session, include_drafts=drafts)
    )


@bp.route("/jobs/<int:job_id>", methods=["GET"])
@signed_in
def job(job_id: int) -> str:
    return render_template("jobs/job.html", job=jobs.get_job_for(db.session, job_id, current_user))


@bp.route("/jobs/<int:job_id>/status", methods=["GET"])
@signed_in
def job_status(job_id: int) -> Response:
    job = jobs.get_job_for(db.session, job_id, current_user)
    return jsonify(
        id=job.id,
        status=job.status.value,
        finished=job.status.finished,
        progress=job.progress,
        message=progress_message(job),
    )


@bp.route("/admin/audit", methods=["GET"])
@roles_required(Role.ADMIN)
def audit_log() -> str:
    page = requested_page()
    entries = audit.list_entries(db.session, page=page)
    total = audit.count_entries(db.session)
    actors = accounts.display_names(
        db.session, {e.actor_id for e in entries if e.actor_id is not None}
    )
    return render_template(
        "admin/audit.html", entries=entries, page=page, total=total, actors=actors, form=BaseForm()
    )


@bp.route("/admin/audit/verify", methods=["POST"])
@roles_required(Role.ADMIN)
def verify_audit_log() -> Response:
    form = BaseForm()
    if not form.validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(url_for("pages.audit_log"))
    job = jobs.start_job(db.session, jobs.current_runner(), "audit.verify", {}, actor=current_user)
    return redirect(url_for("pages.job", job_id=job.id))
