"""The evaluation workbench's start: the missions to evaluate, and each mission's evidence index
with its filter, search and refresh."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from engage import jobs
from engage.errors import DomainError
from engage.evaluation import frame, index
from engage.evaluation.forms import FilterForm, filter_args
from engage.extensions import db
from engage.forms import BaseForm, flash_refusal, requested_page
from engage.missions import services as missions
from engage.security import Role, current_user_holds, roles_required

bp = Blueprint("evaluation", __name__, url_prefix="/evaluation")
evaluator = roles_required(Role.EVALUATOR)


@bp.route("/", methods=["GET"])
@roles_required(Role.OFFICER, Role.EVALUATOR)
def missions_list() -> str:
    """Every mission: evaluators open its workbench; officers, who may read the report, too."""
    every = missions.list_missions(db.session, include_drafts=True)
    summaries = {mission.id: index.index_summary(db.session, mission.id) for mission in every}
    return render_template(
        "evaluation/missions.html",
        missions=every,
        summaries=summaries,
        can_evaluate=current_user_holds(Role.EVALUATOR),
    )


@bp.route("/<slug>/", methods=["GET"])
@evaluator
def index_page(slug: str) -> str:
    mission = index.get_mission(db.session, slug)
    summary = index.index_summary(db.session, mission.id)
    codes = [(code.id, code.name) for code in frame.list_codes(db.session, mission.id)]
    filter_form = FilterForm(
        request.args, areas=summary.areas, segments=summary.segments, codes=codes
    )
    filters = filter_form.evidence_filter()
    return render_template(
        "evaluation/index.html",
        mission=mission,
        summary=summary,
        filter_form=filter_form,
        items=index.list_evidence(db.session, mission.id, filters, requested_page()),
        query=filter_args(filters),
        refresh_form=BaseForm(),
        DOMAIN_LABELS=index.DOMAIN_LABELS,
    )


@bp.route("/<slug>/refresh", methods=["POST"])
@evaluator
def refresh(slug: str) -> Response:
    mission = index.get_mission(db.session, slug)
    if not BaseForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(url_for("evaluation.index_page", slug=slug))
    try:
        job = index.start_refresh(db.session, jobs.current_runner(), mission, actor=current_user)
    except DomainError as refusal:
        flash_refusal(refusal)
        return redirect(url_for("evaluation.index_page", slug=slug))
    return redirect(url_for("pages.job", job_id=job.id))
