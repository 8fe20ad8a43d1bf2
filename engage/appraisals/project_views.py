"""Citizen-science projects: the public project pages and the officers' form builder (with XLSForm import)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from engage.appraisals import projects
from engage.appraisals.models import FormField, Project, Status
from engage.appraisals.project_forms import (
    FIELD_TYPE,
    PROJECT_STATUS,
    FieldForm,
    ImportForm,
    MoveForm,
    NewProjectForm,
    ProjectForm,
    StatusForm,
)
from engage.appraisals.xlsform import Problem, XLSFormError
from engage.errors import DomainError
from engage.extensions import db
from engage.forms import (
    BaseForm,
    flash_refusal,
    form_values,
    requested_mission,
    requested_page,
    show_refusal,
)
from engage.security import Role, public, roles_required

bp = Blueprint("appraisal_projects", __name__, url_prefix="/science")
officer = roles_required(Role.OFFICER)


@bp.context_processor
def labels() -> dict[str, object]:
    return {"FIELD_TYPE": FIELD_TYPE, "PROJECT_STATUS": PROJECT_STATUS}


# --- Helpers --------------------------------------------------------------------------------------


def _user() -> Any:
    return current_user if current_user.is_authenticated else None


def _builder_page(slug: str) -> Response:
    return redirect(url_for("appraisal_projects.form_builder", slug=slug))


def _problems(problems: list[Problem]) -> list[dict[str, Any]]:
    """Each problem of an uploaded workbook, translated for the reader."""
    sheets = {"survey": _("survey"), "choices": _("choices")}
    return [
        {
            "sheet": sheets.get(problem.sheet, problem.sheet),
            "row": problem.row or None,
            "message": _(problem.message, **problem.params),
        }
        for problem in problems
    ]


def _earlier(fields: list[FormField], before: FormField | None = None) -> list[tuple[str, str]]:
    """(name, label) of the questions before ``before`` (all of them for a new question)."""
    earlier: list[tuple[str, str]] = []
    for form_field in fields:
        if form_field is before:
            break
        earlier.append((form_field.name, form_field.label))
    return earlier


def _field_prefill(form_field: FormField) -> dict[str, Any]:
    names = ("type", "name", "label", "hint", "required", "unit", "min_value", "max_value",
             "expected_min", "expected_max", "choices", "condition_field", "condition_value")  # fmt: skip
    values = {name: getattr(form_field, name) for name in names}
    for name in ("min_value", "max_value", "expected_min", "expected_max"):
        number = values[name]
        if number is not None and float(number).is_integer():
            values[name] = int(number)  # 40.0 shows as 40 in the box
    return values


# --- Public pages ---------------------------------------------------------------------------------


@bp.route("/", methods=["GET"])
@public
def index() -> str:
    viewer = _user()
    # A mission's slug: no NUL (PostgreSQL cannot compare it), no longer than a slug can be.
    mission = requested_mission()
    page = projects.list_projects(
        db.session, viewer=viewer, mission_slug=mission, page=requested_page()
    )
    return render_template(
        "appraisals/projects/index.html",
        page=page,
        mission=mission,
        manager=projects.may_manage(viewer),
    )


@bp.route("/<slug>", methods=["GET"])
@public
def show(slug: str) -> str:
    viewer = _user()
    project = projects.get_project(db.session, slug, viewer=viewer)
    return render_template(
        "appraisals/projects/show.html",
        project=project,
        conditions=projects.condition_labels(project),
        reviewer=projects.may_review(viewer),
        manager=projects.may_manage(viewer),
    )


# --- Setting projects up --------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@officer
def new() -> str | Response:
    missions = projects.mission_choices(db.session)
    wanted = request.args.get("mission", "", type=str)
    given = next((mission for mission in missions if mission.slug == wanted), None)
    form = NewProjectForm(missions=[(mission.id, mission.title) for mission in missions])
    if request.method == "GET" and given is not None:
        form.mission_id.data = given.id
    if form.validate_on_submit():
        try:
            project = projects.create_project(
                db.session,
                form.mission_id.data,
                form_values(form, projects.ProjectFields),
                actor=current_user,
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("Project created. Now build its form."), "success")
            return _builder_page(project.slug)
    return render_template(
        "appraisals/projects/edit.html", form=form, project=None, given_mission=given
    )


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@officer
def edit(slug: str) -> str | Response:
    project = projects.get_project(db.session, slug, viewer=current_user)
    prefill = (
        {"title": project.title, "summary": project.summary, "protocol": project.protocol}
        if request.method == "GET"
        else None
    )
    form = ProjectForm(data=prefill)
    if form.validate_on_submit():
        try:
            projects.update_project(
                db.session, slug, form_values(form, projects.ProjectFields), actor=current_user
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("Project saved."), "success")
            return redirect(url_for("appraisal_projects.show", slug=slug))
    return render_template(
        "appraisals/projects/edit.html", form=form, project=project, given_mission=None
    )


# --- The form builder -----------------------------------------------------------------------------


def _render_builder(project: Project, form: FieldForm) -> str:
    return render_template(
        "appraisals/projects/builder.html",
        project=project,
        form=form,
        conditions=projects.condition_labels(project),
        submissions=projects.count_submissions(db.session, project.id),
    )


@bp.route("/<slug>/form", methods=["GET"])
@officer
def form_builder(slug: str) -> str:
    project = projects.get_project(db.session, slug, viewer=current_user)
    return _render_builder(project, FieldForm(formdata=None, earlier=_earlier(project.fields)))


@bp.route("/<slug>/fields", methods=["POST"])
@officer
def add_field(slug: str) -> str | Response:
    project = projects.get_project(db.session, slug, viewer=current_user)
    form = FieldForm(earlier=_earlier(project.fields))
    if form.validate_on_submit():
        try:
            added = projects.add_field(
                db.session, slug, form_values(form, projects.FieldValues), actor=current_user
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(
                _(
                    "Question “%(label)s” added, named %(name)s.",
                    label=added.label,
                    name=added.name,
                ),
                "success",
            )
            return _builder_page(slug)
    return _render_builder(project, form)


@bp.route("/<slug>/fields/<int:field_id>", methods=["GET", "POST"])
@officer
def edit_field(slug: str, field_id: int) -> str | Response:
    form_field = projects.get_field(db.session, slug, field_id, actor=current_user)
    project = form_field.project
    prefill = _field_prefill(form_field) if request.method == "GET" else None
    form = FieldForm(data=prefill, earlier=_earlier(project.fields, form_field))
    if form.validate_on_submit():
        try:
            projects.update_field(
                db.session,
                slug,
                field_id,
                form_values(form, projects.FieldValues),
                actor=current_user,
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("Question saved."), "success")
            return _builder_page(slug)
    return render_template(
        "appraisals/projects/field.html",
        project=project,
        field_row=form_field,
        form=form,
        submissions=projects.count_submissions(db.session, project.id),
    )


@bp.route("/<slug>/fields/<int:field_id>/delete", methods=["POST"])
@officer
def delete_field(slug: str, field_id: int) -> Response:
    form_field = projects.get_field(db.session, slug, field_id, actor=current_user)
    label = form_field.label
    if BaseForm().validate_on_submit():
        try:
            projects.delete_field(db.session, slug, field_id, actor=current_user)
        except DomainError as error:
            flash_refusal(error)
        else:
            flash(_("Question “%(label)s” deleted.", label=label), "success")
    else:
        flash(_("This form had expired. Send it again."), "error")
    return _builder_page(slug)


@bp.route("/<slug>/fields/<int:field_id>/move", methods=["POST"])
@officer
def move_field(slug: str, field_id: int) -> Response:
    form = MoveForm()
    if form.validate_on_submit():
        offset = -1 if form.direction.data == "up" else 1
        try:
            projects.move_field(db.session, slug, field_id, offset, actor=current_user)
        except DomainError as error:
            flash_refusal(error)
    else:
        projects.get_field(db.session, slug, field_id, actor=current_user)  # unknown: not found
        flash(_("Choose to move the question up or down."), "error")
    return _builder_page(slug)


@bp.route("/<slug>/import", methods=["GET", "POST"])
@officer
def import_form(slug: str) -> str | Response:
    project = projects.get_project(db.session, slug, viewer=current_user)
    form = ImportForm()
    errors: list[dict[str, Any]] = []
    result: projects.ImportResult | None = None
    if form.validate_on_submit():
        try:
            result = projects.import_xlsform(
                db.session, slug, form.file.data.read(), actor=current_user
            )
        except XLSFormError as error:
            errors = _problems(error.problems)
        except DomainError as error:
            show_refusal(form, error)
    return render_template(
        "appraisals/projects/import.html",
        project=project,
        form=form,
        errors=errors,
        result=result,
        warnings=_problems(result.warnings) if result else [],
        imported=(
            ngettext("%(num)s question imported.", "%(num)s questions imported.", result.fields)
            if result
            else ""
        ),
        submissions=projects.count_submissions(db.session, project.id),
    )


@bp.route("/<slug>/status", methods=["POST"])
@officer
def change_status(slug: str) -> Response:
    form = StatusForm()
    if form.validate_on_submit():
        status = Status(form.status.data or "")
        try:
            projects.change_status(db.session, slug, status, actor=current_user)
        except DomainError as error:
            flash_refusal(error)
        else:
            message = (
                _("The project is open: residents can send observations.")
                if status is Status.OPEN
                else _("The project is closed: its observations stay public.")
            )
            flash(message, "success")
    else:
        projects.get_project(db.session, slug, viewer=current_user)  # unknown: not found
        flash(_("Choose to open or to close the project."), "error")
    return _builder_page(slug)
