from __future__ import annotations

from datetime import date
from itertools import pairwise
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from engage.errors import DomainError
from engage.extensions import db
from engage.forms import form_values
from engage.missions import diff, services, sources
from engage.missions.forms import (
    DECISION,
    DIRECTION,
    IMPLEMENTATION_STATUS,
    MISSION_STATUS,
    PROJECT_STATUS,
    REGISTER_STATUS,
    SOURCE_KIND,
    ImplementationUpdateForm,
    IndicatorForm,
    MissionForm,
    NewMissionForm,
    OutcomeForm,
    ProjectForm,
    RecommendationForm,
    ResponseForm,
    StatementForm,
)
from engage.missions.models import StatementSource, StatementVersion
from engage.security import Role, current_user_holds, public, roles_required

bp = Blueprint("missions", __name__, url_prefix="/missions")
officer = roles_required(Role.OFFICER)


@bp.context_processor
def labels() -> dict[str, object]:
    return {
        "MISSION_STATUS": MISSION_STATUS,
        "DIRECTION": DIRECTION,
        "PROJECT_STATUS": PROJECT_STATUS,
        "DECISION": DECISION,
        "IMPLEMENTATION_STATUS": IMPLEMENTATION_STATUS,
        "SOURCE_KIND": SOURCE_KIND,
        "REGISTER_STATUS": REGISTER_STATUS,
    }


def _staff() -> bool:
    return current_user_holds(Role.OFFICER)


def _mission_page(slug: str) -> Response:
    return redirect(url_for("missions.show", slug=slug))


@bp.route("/", methods=["GET"])
@public
def index() -> str:
    missions = services.list_missions(db.session, include_drafts=_staff())
    return render_template("missions/index.html", missions=missions)


@bp.route("/new", methods=["GET", "POST"])
@officer
def create() -> str | Response:
    form = NewMissionForm()
    if form.validate_on_submit():
        try:
            mission = services.create_mission(
                db.session,
                form_values(form, services.MissionFields),
                form.statement.data or "",
                actor=current_user,
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Mission created."), "success")
            return _mission_page(mission.slug)
    return render_template("missions/edit.html", form=form, mission=None)


def source_url(source: StatementSource) -> str | None:
    """The page showing a cited source, when its domain registered one."""
    if source.source_kind == "missions.recommendation":
        return url_for("missions.register", slug=source.version.mission.slug) + (
            f"#recommendation-{source.source_id}"
        )
    link = sources.source_link(source.source_kind)
    if link is None:
        return None
    arguments: dict[str, Any] = {link.argument: source.source_id}
    return url_for(link.endpoint, **arguments)


def statement_diffs(versions: list[StatementVersion]) -> dict[int, list[diff.Segment]]:
    """Each version's word diff from the one before it, by version id (newest first given)."""
    return {newer.id: diff.word_diff(older.text, newer.text) for newer, older in pairwise(versions)}


@bp.route("/<slug>", methods=["GET"])
@public
def show(slug: str) -> str:
    mission = services.get_mission(db.session, slug, include_drafts=_staff())
    register = services.get_register(db.session, mission.id, date.today())
    latest = list(reversed(mission.versions[-2:]))
    return render_template(
        "missions/show.html",
        mission=mission,
        register=register,
        can_edit=_staff(),
        latest_diffs=statement_diffs(latest),
        source_url=source_url,
        summary=diff.summary,
        register_status=services.register_status,
    )


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@officer
def edit(slug: str) -> str | Response:
    mission = services.get_mission(db.session, slug, include_drafts=True)
    form = MissionForm(obj=mission)
    if form.validate_on_submit():
        try:
            mission = services.update_mission(
                db.session, slug, form_values(form, services.MissionFields), actor=current_user
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Mission saved."), "success")
            return _mission_page(mission.slug)
    return render_template("missions/edit.html", form=form, mission=mission)


# --- Statement versions -----------------------------------------------------------------------


@bp.route("/<slug>/statement", methods=["GET"])
@public
def history(slug: str) -> str:
    mission = services.get_mission(db.session, slug, include_drafts=_staff())
    versions = list(reversed(mission.versions))
    return render_template(
        "missions/history.html",
        mission=mission,
        versions=versions,
        diffs=statement_diffs(versions),
        summary=diff.summary,
        source_url=source_url,
    )


@bp.route("/<slug>/statement/new", methods=["GET", "POST"])
@officer
def new_version(slug: str) -> str | Response:
    mission = services.get_mission(db.session, slug, include_drafts=True)
    sources = services.list_citable_sources(db.session, slug)
    current = mission.current_version
    form = StatementForm(
        source_choices=[(ref.key, ref.label) for ref in sources],
        data={"text": current.text if current else ""},
    )
    if form.validate_on_submit():
        try:
            services.publish_statement_version(
                db.session,
                slug,
                text=form.text.data or "",
                rationale=form.rationale.data or "",
                source_keys=list(form.sources.data or []),
                actor=current_user,
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("New statement version published."), "success")
            return redirect(url_for("missions.history", slug=slug))
    return render_template("missions/new_version.html", form=form, mission=mission)


# --- Outcomes, indicators, projects -----------------------------------------------------------


@bp.route("/<slug>/outcomes/new", methods=["GET", "POST"])
@officer
def new_outcome(slug: str) -> str | Response:
    mission = services.get_mission(db.session, slug, include_drafts=True)
    form = OutcomeForm()
    if form.validate_on_submit():
        services.add_outcome(
            db.session, slug, form_values(form, services.OutcomeFields), actor=current_user
        )
        flash(_("Outcome added."), "success")
        return _mission_page(slug)
    return render_template(
        "missions/item_form.html", form=form, mission=mission, heading=_("Add an outcome")
    )


@bp.route("/outcomes/<int:outcome_id>/edit", methods=["GET", "POST"])
@officer
def edit_outcome(outcome_id: int) -> str | Response:
    outcome = services.get_outcome(db.session, outcome_id)
    form = OutcomeForm(obj=outcome)
    if form.validate_on_submit():
        services.update_outcome(
            db.session, outcome_id, form_values(form, services.OutcomeFields), actor=current_user
        )
        flash(_("Outcome saved."), "success")
        return _mission_page(outcome.mission.slug)
    return render_template(
        "missions/item_form.html", form=form, mission=outcome.mission, heading=_("Edit outcome")
    )


@bp.route("/outcomes/<int:outcome_id>/indicators/new", methods=["GET", "POST"])
@officer
def new_indicator(outcome_id: int) -> str | Response:
    outcome = services.get_outcome(db.session, outcome_id)
    form = IndicatorForm()
    if form.validate_on_submit():
        try:
            services.add_indicator(
                db.session,
                outcome_id,
                form_values(form, services.IndicatorFields),
                actor=current_user,
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Indicator added."), "success")
            return _mission_page(outcome.mission.slug)
    heading = _("Add an indicator to “%(outcome)s”", outcome=outcome.title)
    return render_template(
        "missions/item_form.html", form=form, mission=outcome.mission, heading=heading
    )


@bp.route("/indicators/<int:indicator_id>/edit", methods=["GET", "POST"])
@officer
def edit_indicator(indicator_id: int) -> str | Response:
    indicator = services.get_indicator(db.session, indicator_id)
    form = IndicatorForm(obj=indicator)
    if form.validate_on_submit():
        try:
            services.update_indicator(
                db.session,
                indicator_id,
                form_values(form, services.IndicatorFields),
                actor=current_user,
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Indicator saved."), "success")
            return _mission_page(indicator.outcome.mission.slug)
    mission = indicator.outcome.mission
    return render_template(
        "missions/item_form.html", form=form, mission=mission, heading=_("Edit indicator")
    )


@bp.route("/<slug>/projects/new", methods=["GET", "POST"])
@officer
def new_project(slug: str) -> str | Response:
    mission = services.get_mission(db.session, slug, include_drafts=True)
    form = ProjectForm()
    if form.validate_on_submit():
        services.add_project(
            db.session, slug, form_values(form, services.ProjectFields), actor=current_user
        )
        flash(_("Project added to the portfolio."), "success")
        return _mission_page(slug)
    return render_template(
        "missions/item_form.html", form=form, mission=mission, heading=_("Add a project")
    )


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
@officer
def edit_project(project_id: int) -> str | Response:
    project = services.get_project(db.session, project_id)
    form = ProjectForm(obj=project)
    if form.validate_on_submit():
        services.update_project(
            db.session, project_id, form_values(form, services.ProjectFields), actor=current_user
        )
        flash(_("Project saved."), "success")
        return _mission_page(project.mission.slug)
    return render_template(
        "missions/item_form.html", form=form, mission=project.mission, heading=_("Edit project")
    )


# --- The register: you said, we did -----------------------------------------------------------


@bp.route("/<slug>/you-said-we-did", methods=["GET"])
@public
def register(slug: str) -> str:
    mission = services.get_mission(db.session, slug, include_drafts=_staff())
    register = services.get_register(db.session, mission.id, date.today())
    return render_template(
        "missions/register.html", mission=mission, register=register, can_edit=_staff()
    )


@bp.route("/<slug>/recommendations/new", methods=["GET", "POST"])
@officer
def new_recommendation(slug: str) -> str | Response:
    mission = services.get_mission(db.session, slug, include_drafts=True)
    form = RecommendationForm()
    if form.validate_on_submit():
        try:
            recommendation = services.add_recommendation(
                db.session,
                slug,
                form_values(form, services.RecommendationFields),
                actor=current_user,
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Recommendation added to the register."), "success")
            return redirect(url_for("missions.recommendation", recommendation_id=recommendation.id))
    return render_template(
        "missions/item_form.html", form=form, mission=mission, heading=_("Add a recommendation")
    )


@bp.route("/recommendations/<int:recommendation_id>", methods=["GET"])
@officer
def recommendation(recommendation_id: int) -> str:
    item = services.get_recommendation(db.session, recommendation_id)
    response_form = ResponseForm(obj=item.response)
    update_form = ImplementationUpdateForm()
    return _recommendation_page(item, response_form, update_form)


def _recommendation_page(
    item: object, response_form: ResponseForm, update_form: ImplementationUpdateForm
) -> str:
    return render_template(
        "missions/recommendation.html",
        item=item,
        response_form=response_form,
        update_form=update_form,
        today=date.today(),
    )


@bp.route("/recommendations/<int:recommendation_id>/response", methods=["POST"])
@officer
def respond(recommendation_id: int) -> str | Response | tuple[str, int]:
    item = services.get_recommendation(db.session, recommendation_id)
    form = ResponseForm()
    if form.validate_on_submit():
        try:
            services.respond_to_recommendation(
                db.session,
                recommendation_id,
                form_values(form, services.ResponseFields),
                actor=current_user,
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Response recorded."), "success")
            return redirect(url_for("missions.recommendation", recommendation_id=recommendation_id))
    return _recommendation_page(item, form, ImplementationUpdateForm(formdata=None)), 400


@bp.route("/recommendations/<int:recommendation_id>/updates", methods=["POST"])
@officer
def add_update(recommendation_id: int) -> str | Response | tuple[str, int]:
    item = services.get_recommendation(db.session, recommendation_id)
    form = ImplementationUpdateForm()
    if form.validate_on_submit():
        try:
            services.add_implementation_update(
                db.session,
                recommendation_id,
                status=form.status.data,
                note=form.note.data or "",
                actor=current_user,
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Implementation update added."), "success")
            return redirect(url_for("missions.recommendation", recommendation_id=recommendation_id))
    return _recommendation_page(item, ResponseForm(formdata=None, obj=item.response), form), 400
