"""The coding frame: codes, their changes (rename, merge, split, retire), versions and memos."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from engage.accounts.services import display_names
from engage.errors import DomainError
from engage.evaluation import frame, index, memos
from engage.evaluation.frame_forms import (
    ORIGIN_LABELS,
    STATUS_LABELS,
    CodeForm,
    EditForm,
    MemoForm,
    MergeForm,
    RetireForm,
    SplitForm,
)
from engage.evaluation.models import Code, CodeStatus
from engage.extensions import db
from engage.forms import BaseForm, flash_refusal, requested_page, show_refusal
from engage.missions.models import Mission
from engage.security import Role, roles_required

bp = Blueprint("evaluation_frame", __name__, url_prefix="/evaluation")
evaluator = roles_required(Role.EVALUATOR)
EXCERPT_IN_LABEL = 80


@bp.context_processor
def labels() -> dict[str, object]:
    return {"STATUS_LABELS": STATUS_LABELS, "ORIGIN_LABELS": ORIGIN_LABELS}


# --- The frame ------------------------------------------------------------------------------------


def _codes_page(mission: Mission, form: CodeForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "evaluation/frame/codes.html",
        mission=mission,
        overview=frame.frame_overview(db.session, mission.id),
        form=form,
    ), status


@bp.route("/<slug>/frame", methods=["GET"])
@evaluator
def codes(slug: str) -> tuple[str, int]:
    mission = index.get_mission(db.session, slug)
    return _codes_page(mission, CodeForm(formdata=None))


@bp.route("/<slug>/frame", methods=["POST"])
@evaluator
def create(slug: str) -> tuple[str, int] | Response:
    mission = index.get_mission(db.session, slug)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            code = frame.create_code(
                db.session,
                mission.id,
                form.name.data or "",
                form.definition.data or "",
                actor=current_user,
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("Added the code “%(name)s” to the frame.", name=code.name), "success")
            return redirect(url_for("evaluation_frame.codes", slug=slug))
    return _codes_page(mission, form, 400)


# --- One code -------------------------------------------------------------------------------------


def _application_label(title: str, excerpt: str) -> str:
    if not excerpt:
        return str(_("%(title)s (the whole item)", title=title))
    short = excerpt if len(excerpt) <= EXCERPT_IN_LABEL else excerpt[:EXCERPT_IN_LABEL] + "…"
    return str(_("%(title)s: “%(excerpt)s”", title=title, excerpt=short))


def _code_page(
    mission: Mission,
    code: Code,
    *,
    status: int = 200,
    edit_form: EditForm | None = None,
    merge_form: MergeForm | None = None,
    split_form: SplitForm | None = None,
    retire_form: RetireForm | None = None,
    memo_form: MemoForm | None = None,
) -> tuple[str, int]:
    overview = frame.frame_overview(db.session, mission.id)
    applications = frame.list_applications(db.session, code, requested_page())
    notes = memos.list_memos(db.session, mission.id, code_id=code.id)
    people = {a.coder_id for a in applications.items if a.coder_id is not None}
    people |= {memo.author_id for memo in notes if memo.author_id is not None}
    targets = [(other.id, other.name) for other in overview.active if other.id != code.id]
    choices = [(a.id, _application_label(a.title, a.excerpt)) for a in applications.items]
    if edit_form is None:
        edit_form = EditForm(formdata=None, data={"name": code.name, "definition": code.definition})
    return render_template(
        "evaluation/frame/code.html",
        mission=mission,
        code=code,
        overview=overview,
        applications=applications,
        memos=notes,
        names=display_names(db.session, people),
        edit_form=edit_form,
        merge_form=merge_form or MergeForm(formdata=None, targets=targets),
        split_form=split_form or SplitForm(formdata=None, applications=choices),
        retire_form=retire_form or RetireForm(formdata=None),
        memo_form=memo_form or MemoForm(formdata=None),
        active=code.status is CodeStatus.ACTIVE,
        retired=code.status is CodeStatus.RETIRED,
        page=applications.number,
    ), status


def _mission_and_code(slug: str, code_id: int) -> tuple[Mission, Code]:
    mission = index.get_mission(db.session, slug)
    return mission, frame.get_code(db.session, mission.id, code_id)


def _to_code(slug: str, code_id: int, anchor: str | None = None) -> Response:
    return redirect(url_for("evaluation_frame.code", slug=slug, code_id=code_id, _anchor=anchor))


@bp.route("/<slug>/frame/<int:code_id>", methods=["GET"])
@evaluator
def code(slug: str, code_id: int) -> tuple[str, int]:
    mission, found = _mission_and_code(slug, code_id)
    return _code_page(mission, found)


@bp.route("/<slug>/frame/<int:code_id>/edit", methods=["POST"])
@evaluator
def edit(slug: str, code_id: int) -> tuple[str, int] | Response:
    mission, found = _mission_and_code(slug, code_id)
    form = EditForm()
    if form.validate_on_submit():
        try:
            changed = frame.edit_code(
                db.session,
                mission.id,
                found.id,
                form.name.data or "",
                form.definition.data or "",
                actor=current_user,
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("Saved the code “%(name)s”.", name=changed.name), "success")
            return _to_code(slug, code_id)
    return _code_page(mission, found, status=400, edit_form=form)


@bp.route("/<slug>/frame/<int:code_id>/merge", methods=["POST"])
@evaluator
def merge(slug: str, code_id: int) -> tuple[str, int] | Response:
    mission, found = _mission_and_code(slug, code_id)
    targets = [(other.id, other.name) for other in frame.list_codes(db.session, mission.id)]
    form = MergeForm(targets=[(i, name) for i, name in targets if i != found.id])
    if form.validate_on_submit():
        name = found.name
        try:
            result = frame.merge_code(
                db.session, mission.id, found.id, int(form.into.data or 0), actor=current_user
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            message = _("Merged “%(name)s” into “%(into)s”.", name=name, into=result.target.name)
            message += " " + ngettext(
                "%(num)s application moved.", "%(num)s applications moved.", result.moved
            )
            if result.dropped:
                message += " " + ngettext(
                    "%(num)s was already there and was dropped.",
                    "%(num)s were already there and were dropped.",
                    result.dropped,
                )
            flash(message, "success")
            return _to_code(slug, result.target.id)
    return _code_page(mission, found, status=400, merge_form=form)


@bp.route("/<slug>/frame/<int:code_id>/split", methods=["POST"])
@evaluator
def split(slug: str, code_id: int) -> tuple[str, int] | Response:
    mission, found = _mission_and_code(slug, code_id)
    shown = frame.list_applications(db.session, found, requested_page())
    form = SplitForm(
        applications=[(a.id, _application_label(a.title, a.excerpt)) for a in shown.items]
    )
    if form.validate_on_submit():
        try:
            new = frame.split_code(
                db.session,
                mission.id,
                found.id,
                form.split_name.data or "",
                form.split_definition.data or "",
                form.applications.data or [],
                actor=current_user,
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            moved = len(set(form.applications.data or []))
            flash(
                ngettext(
                    "Split “%(name)s” off from “%(source)s”, with %(num)s application.",
                    "Split “%(name)s” off from “%(source)s”, with %(num)s applications.",
                    moved,
                    name=new.name,
                    source=found.name,
                ),
                "success",
            )
            return _to_code(slug, new.id)
    return _code_page(mission, found, status=400, split_form=form)


@bp.route("/<slug>/frame/<int:code_id>/retire", methods=["POST"])
@evaluator
def retire(slug: str, code_id: int) -> tuple[str, int] | Response:
    mission, found = _mission_and_code(slug, code_id)
    form = RetireForm()
    if form.validate_on_submit():
        try:
            frame.retire_code(
                db.session, mission.id, found.id, form.reason.data or "", actor=current_user
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(
                _(
                    "Retired “%(name)s”: it keeps its applications, but is no longer offered for "
                    "coding or counted.",
                    name=found.name,
                ),
                "success",
            )
            return _to_code(slug, code_id)
    return _code_page(mission, found, status=400, retire_form=form)


@bp.route("/<slug>/frame/<int:code_id>/reinstate", methods=["POST"])
@evaluator
def reinstate(slug: str, code_id: int) -> tuple[str, int] | Response:
    mission, found = _mission_and_code(slug, code_id)
    form = BaseForm()
    if not form.validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return _to_code(slug, code_id)
    try:
        frame.reinstate_code(db.session, mission.id, found.id, actor=current_user)
    except DomainError as error:
        flash_refusal(error)
    else:
        flash(_("Reinstated “%(name)s”: it is active again.", name=found.name), "success")
    return _to_code(slug, code_id)


@bp.route("/<slug>/frame/<int:code_id>/memos", methods=["POST"])
@evaluator
def add_memo(slug: str, code_id: int) -> tuple[str, int] | Response:
    mission, found = _mission_and_code(slug, code_id)
    form = MemoForm()
    if form.validate_on_submit():
        try:
            memos.add_memo(
                db.session, mission.id, form.body.data or "", code_id=found.id, actor=current_user
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("Added your memo."), "success")
            return _to_code(slug, code_id, "memos")
    return _code_page(mission, found, status=400, memo_form=form)


# --- Versions -------------------------------------------------------------------------------------


@bp.route("/<slug>/frame/versions", methods=["GET"])
@evaluator
def versions(slug: str) -> str:
    mission = index.get_mission(db.session, slug)
    page = frame.page_of_versions(db.session, mission.id, requested_page())
    people = {v.created_by_id for v in page.items if v.created_by_id is not None}
    return render_template(
        "evaluation/frame/versions.html",
        mission=mission,
        versions=page,
        names=display_names(db.session, people),
    )


@bp.route("/<slug>/frame/versions/<int:number>", methods=["GET"])
@evaluator
def version(slug: str, number: int) -> str:
    mission = index.get_mission(db.session, slug)
    shown = frame.version_with_changes(db.session, mission.id, number)
    author = shown.version.created_by_id
    names: dict[int, Any] = display_names(db.session, {author} if author is not None else set())
    return render_template(
        "evaluation/frame/version.html",
        mission=mission,
        shown=shown,
        names=names,
        codes=sorted(shown.version.snapshot, key=lambda code: str(code["name"]).lower()),
        snapshot_names={code["id"]: code["name"] for code in shown.version.snapshot},
    )
