"""Multi-criteria mapping: exercises, participants' weights and scores, rank intervals."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from engage.appraisals import mapping
from engage.appraisals.mapping_forms import (
    EXERCISE_STATUS,
    ExerciseForm,
    ItemForm,
    NewExerciseForm,
    StatusForm,
    response_form,
    saved_answers,
)
from engage.appraisals.models import MappingExercise, Status
from engage.errors import DomainError
from engage.extensions import db
from engage.forms import BaseForm, flash_refusal, requested_mission, requested_page
from engage.missions import services as missions
from engage.security import Role, current_user_holds, public, roles_required, signed_in

bp = Blueprint("appraisal_mapping", __name__, url_prefix="/mapping")
officer = roles_required(Role.OFFICER)


@bp.context_processor
def labels() -> dict[str, object]:
    return {"EXERCISE_STATUS": EXERCISE_STATUS, "Status": Status}


def _exercise_page(slug: str) -> Response:
    return redirect(url_for("appraisal_mapping.exercise", slug=slug))


def _edit_page_url(slug: str) -> Response:
    return redirect(url_for("appraisal_mapping.edit", slug=slug))


# --- Reading ----------------------------------------------------------------------------------


@bp.route("/", methods=["GET"])
@public
def index() -> str:
    mission = requested_mission()
    exercises = mapping.list_exercises(
        db.session, viewer=current_user, page=requested_page(), mission_slug=mission
    )
    return render_template(
        "appraisals/mapping/index.html",
        exercises=exercises,
        can_manage=current_user_holds(Role.OFFICER),
    )


@bp.route("/<slug>", methods=["GET"])
@public
def exercise(slug: str) -> str:
    found = mapping.get_exercise(db.session, slug, viewer=current_user)
    return render_template(
        "appraisals/mapping/exercise.html",
        exercise=found,
        responses=mapping.count_responses(db.session, found.id),
        mine=mapping.get_response(db.session, found.id, current_user),
        can_manage=mapping.may_manage(current_user),
        results_visible=mapping.results_visible(found, current_user),
    )


@bp.route("/<slug>/results", methods=["GET"])
@public
def results(slug: str) -> str:
    found = mapping.results(db.session, slug, viewer=current_user)
    return render_template("appraisals/mapping/results.html", results=found)


# --- Taking part ------------------------------------------------------------------------------


@bp.route("/<slug>/respond", methods=["GET", "POST"])
@signed_in
def respond(slug: str) -> str | Response | tuple[str, int]:
    found = mapping.get_exercise(db.session, slug, viewer=current_user)
    if found.status is not Status.OPEN:
        flash(_("This exercise is not open for answers."), "error")
        return _exercise_page(slug)
    mine = mapping.get_response(db.session, found.id, current_user)
    form = response_form(
        found.options,
        found.criteria,
        scale_min=found.scale_min,
        scale_max=found.scale_max,
        data=saved_answers(mine),
    )
    if form.validate_on_submit():
        try:
            mapping.save_response(
                db.session,
                slug,
                actor=current_user,
                weights=form.weights(),
                scores=form.scores(),
            )
        except DomainError as error:
            if error.status == 404:
                raise
            form.show_errors(error)
        else:
            flash(_("Your answers are saved. You can change them until the exercise closes."), "success")  # fmt: skip
            return _exercise_page(slug)
    page = render_template(
        "appraisals/mapping/respond.html", exercise=found, form=form, returning=mine is not None
    )
    return (page, 400) if form.has_errors else page


# --- Preparing an exercise (officers) ---------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@officer
def new() -> str | Response | tuple[str, int]:
    choices = missions.list_missions(db.session, include_drafts=True)
    form = NewExerciseForm(missions=[(m.id, m.title) for m in choices])
    if request.method == "GET":
        wanted = request.args.get("mission", "", type=str)
        form.mission_id.data = next((m.id for m in choices if m.slug == wanted), None)
    if form.validate_on_submit():
        mission_slug = next(m.slug for m in choices if m.id == form.mission_id.data)
        values = mapping.NewExerciseFields(
            title=form.title.data or "",
            question=form.question.data or "",
            scale_min=form.scale_min.data or 0,
            scale_max=form.scale_max.data or 0,
            options=form.option_lines(),
            criteria=form.criterion_lines(),
        )
        try:
            created = mapping.create_exercise(db.session, mission_slug, values, actor=current_user)
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Exercise created as a draft. Add descriptions, then open it."), "success")
            return _exercise_page(created.slug)
    page = render_template("appraisals/mapping/new.html", form=form)
    return (page, 400) if form.errors else page


def _edit_page(
    found: MappingExercise,
    form: ExerciseForm | None = None,
    option_form: ItemForm | None = None,
    criterion_form: ItemForm | None = None,
) -> str | tuple[str, int]:
    forms = {
        "form": form or ExerciseForm(obj=found, formdata=None),
        "option_form": option_form or ItemForm(prefix="option", formdata=None),
        "criterion_form": criterion_form or ItemForm(prefix="criterion", formdata=None),
    }
    page = render_template(
        "appraisals/mapping/edit.html",
        exercise=found,
        locked=mapping.count_responses(db.session, found.id) > 0,
        **forms,
    )
    return (page, 400) if any(f.errors for f in forms.values()) else page


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@officer
def edit(slug: str) -> str | Response | tuple[str, int]:
    found = mapping.get_exercise(db.session, slug, viewer=current_user)
    form = ExerciseForm(obj=found)
    if form.validate_on_submit():
        values = mapping.ExerciseFields(
            title=form.title.data or "",
            question=form.question.data or "",
            scale_min=form.scale_min.data or 0,
            scale_max=form.scale_max.data or 0,
        )
        try:
            mapping.update_exercise(db.session, slug, values, actor=current_user)
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Exercise saved."), "success")
            return _exercise_page(slug)
    return _edit_page(found, form=form)


def _item_fields(form: ItemForm) -> mapping.ItemFields:
    return mapping.ItemFields(label=form.label.data or "", description=form.description.data or "")


@bp.route("/<slug>/options", methods=["POST"])
@officer
def add_option(slug: str) -> str | Response | tuple[str, int]:
    found = mapping.get_exercise(db.session, slug, viewer=current_user)
    form = ItemForm(prefix="option")
    if form.validate_on_submit():
        try:
            mapping.add_option(db.session, slug, _item_fields(form), actor=current_user)
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Option added."), "success")
            return _edit_page_url(slug)
    return _edit_page(found, option_form=form)


@bp.route("/<slug>/criteria", methods=["POST"])
@officer
def add_criterion(slug: str) -> str | Response | tuple[str, int]:
    found = mapping.get_exercise(db.session, slug, viewer=current_user)
    form = ItemForm(prefix="criterion")
    if form.validate_on_submit():
        try:
            mapping.add_criterion(db.session, slug, _item_fields(form), actor=current_user)
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Criterion added."), "success")
            return _edit_page_url(slug)
    return _edit_page(found, criterion_form=form)


def _item_page(
    found: MappingExercise, kind: str, form: ItemForm, item_id: int
) -> str | tuple[str, int]:
    page = render_template(
        "appraisals/mapping/item.html", exercise=found, kind=kind, form=form, item_id=item_id
    )
    return (page, 400) if form.errors else page


@bp.route("/<slug>/options/<int:option_id>", methods=["GET", "POST"])
@officer
def edit_option(slug: str, option_id: int) -> str | Response | tuple[str, int]:
    found = mapping.get_exercise(db.session, slug, viewer=current_user)
    form = ItemForm(obj=mapping.get_option(db.session, slug, option_id))
    if form.validate_on_submit():
        try:
            mapping.update_option(
                db.session, slug, option_id, _item_fields(form), actor=current_user
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Option saved."), "success")
            return _edit_page_url(slug)
    return _item_page(found, "option", form, option_id)


@bp.route("/<slug>/criteria/<int:criterion_id>", methods=["GET", "POST"])
@officer
def edit_criterion(slug: str, criterion_id: int) -> str | Response | tuple[str, int]:
    found = mapping.get_exercise(db.session, slug, viewer=current_user)
    form = ItemForm(obj=mapping.get_criterion(db.session, slug, criterion_id))
    if form.validate_on_submit():
        try:
            mapping.update_criterion(
                db.session, slug, criterion_id, _item_fields(form), actor=current_user
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Criterion saved."), "success")
            return _edit_page_url(slug)
    return _item_page(found, "criterion", form, criterion_id)


@bp.route("/<slug>/options/<int:option_id>/delete", methods=["POST"])
@officer
def delete_option(slug: str, option_id: int) -> Response:
    if BaseForm().validate_on_submit():
        try:
            mapping.delete_option(db.session, slug, option_id, actor=current_user)
        except DomainError as error:
            flash_refusal(error)
        else:
            flash(_("Option deleted."), "success")
    else:
        flash(_("Nothing was deleted. Please try again."), "error")
    return _edit_page_url(slug)


@bp.route("/<slug>/criteria/<int:criterion_id>/delete", methods=["POST"])
@officer
def delete_criterion(slug: str, criterion_id: int) -> Response:
    if BaseForm().validate_on_submit():
        try:
            mapping.delete_criterion(db.session, slug, criterion_id, actor=current_user)
        except DomainError as error:
            flash_refusal(error)
        else:
            flash(_("Criterion deleted."), "success")
    else:
        flash(_("Nothing was deleted. Please try again."), "error")
    return _edit_page_url(slug)


@bp.route("/<slug>/status", methods=["POST"])
@officer
def status(slug: str) -> Response:
    form = StatusForm()
    if not form.validate_on_submit():
        flash(_("Nothing was changed. Use the Open or Close button on this page."), "error")
        return _exercise_page(slug)
    opening = form.action.data == "open"
    try:
        if opening:
            mapping.open_exercise(db.session, slug, actor=current_user)
        else:
            mapping.close_exercise(db.session, slug, actor=current_user)
    except DomainError as error:
        flash_refusal(error)
    else:
        if opening:
            flash(_("Exercise opened: signed-in residents can now take part."), "success")
        else:
            flash(_("Exercise closed: its results are now public."), "success")
    return _exercise_page(slug)
