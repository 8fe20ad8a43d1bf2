"""The members' workspace and the group's recommendations with the city's responses."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from engage.advisory import workspace
from engage.advisory.models import Meeting
from engage.advisory.workspace_forms import (
    DRAFT_STATUS,
    AdoptionForm,
    CommentForm,
    DraftForm,
    RevisionForm,
)
from engage.db import utcnow
from engage.errors import DomainError
from engage.extensions import db
from engage.forms import BaseForm, form_values
from engage.missions import diff
from engage.missions.forms import DECISION, IMPLEMENTATION_STATUS, REGISTER_STATUS
from engage.security import public, signed_in

bp = Blueprint("advisory_workspace", __name__, url_prefix="/advisory")


@bp.context_processor
def labels() -> dict[str, object]:
    return {
        "DRAFT_STATUS": DRAFT_STATUS,
        "REGISTER_STATUS": REGISTER_STATUS,
        "DECISION": DECISION,
        "IMPLEMENTATION_STATUS": IMPLEMENTATION_STATUS,
    }


def _draft_address(draft_id: int, anchor: str = "") -> Response:
    return redirect(url_for("advisory_workspace.draft", draft_id=draft_id) + anchor)


def _refused(error: DomainError, draft_id: int) -> Response:
    """A refusal with no field to show it beside (the draft is closed, say): above the page.
    Not-found and forbidden still answer with their own page and status."""
    if error.status in (403, 404):
        raise error
    flash(error.translated(), "error")
    return _draft_address(draft_id)


def _show(form: BaseForm, error: DomainError) -> None:
    """A service's refusal beside its field; not-found and forbidden keep their own page."""
    if error.status in (403, 404):
        raise error
    form.show_domain_error(error)


# --- The workspace: drafts ----------------------------------------------------------------------


def _workspace_page(page: workspace.Workspace, form: DraftForm) -> str:
    return render_template("advisory/workspace/workspace.html", page=page, form=form)


@bp.route("/<group_slug>/workspace", methods=["GET"], endpoint="workspace")
@signed_in
def workspace_home(group_slug: str) -> str:
    page = workspace.get_workspace(db.session, group_slug, viewer=current_user, today=date.today())
    return _workspace_page(page, DraftForm())


@bp.route("/<group_slug>/workspace/drafts", methods=["POST"])
@signed_in
def new_draft(group_slug: str) -> Response | tuple[str, int]:
    today = date.today()
    page = workspace.get_workspace(db.session, group_slug, viewer=current_user, today=today)
    form = DraftForm()
    if form.validate_on_submit():
        try:
            draft = workspace.start_draft(
                db.session,
                group_slug,
                form_values(form, workspace.DraftFields),
                actor=current_user,
                today=today,
            )
        except DomainError as error:
            _show(form, error)
        else:
            flash(_("Draft started. Members can now comment and propose new wordings."), "success")
            return _draft_address(draft.id)
    return _workspace_page(page, form), 400


# --- One draft: versions, comments, adoption ----------------------------------------------------


def _draft_page_data(draft_id: int) -> workspace.DraftPage:
    return workspace.get_draft_page(
        db.session, draft_id, viewer=current_user, today=date.today(), now=utcnow()
    )


def _meeting_label(meeting: Meeting) -> str:
    when = format_date(meeting.starts_at, "long")
    return str(_("%(title)s, %(date)s", title=meeting.title, date=when))


def _adoption_form(page: workspace.DraftPage, **kwargs: Any) -> AdoptionForm:
    return AdoptionForm(
        **kwargs,
        meetings=[(m.id, _meeting_label(m)) for m in page.meetings],
        missions=None if page.missions is None else [(m.id, m.title) for m in page.missions],
    )


def _draft_page(
    page: workspace.DraftPage,
    *,
    revision: RevisionForm | None = None,
    comment: CommentForm | None = None,
    adoption: AdoptionForm | None = None,
) -> str:
    """The draft with its forms; the one that was sent comes back with its errors and values,
    the others empty (the revision starts from the current wording)."""
    if revision is None:
        current = page.draft.current
        revision = RevisionForm(formdata=None, data={"text": current.text if current else ""})
    return render_template(
        "advisory/workspace/draft.html",
        page=page,
        revision=revision,
        comment=CommentForm(formdata=None) if comment is None else comment,
        adoption=_adoption_form(page, formdata=None) if adoption is None else adoption,
        summary=diff.summary,
    )


@bp.route("/drafts/<int:draft_id>", methods=["GET"])
@signed_in
def draft(draft_id: int) -> str:
    return _draft_page(_draft_page_data(draft_id))


@bp.route("/drafts/<int:draft_id>/versions", methods=["POST"])
@signed_in
def revise(draft_id: int) -> Response | tuple[str, int]:
    page = _draft_page_data(draft_id)
    try:
        workspace.check_open(page.draft)
    except DomainError as error:
        return _refused(error, draft_id)
    form = RevisionForm()
    if form.validate_on_submit():
        try:
            version = workspace.revise_draft(
                db.session,
                draft_id,
                text=form.text.data or "",
                note=form.note.data or "",
                actor=current_user,
                today=date.today(),
            )
        except DomainError as error:
            _show(form, error)
        else:
            flash(_("Version %(number)s saved.", number=version.number), "success")
            return _draft_address(draft_id, "#versions")
    return _draft_page(page, revision=form), 400


@bp.route("/drafts/<int:draft_id>/comments", methods=["POST"])
@signed_in
def comment(draft_id: int) -> Response | tuple[str, int]:
    page = _draft_page_data(draft_id)
    try:
        workspace.check_open(page.draft)
    except DomainError as error:
        return _refused(error, draft_id)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            workspace.comment_on_draft(
                db.session,
                draft_id,
                text=form.comment.data or "",
                actor=current_user,
                today=date.today(),
            )
        except DomainError as error:
            _show(form, error)
        else:
            flash(_("Comment added."), "success")
            return _draft_address(draft_id, "#comments")
    return _draft_page(page, comment=form), 400


@bp.route("/drafts/<int:draft_id>/adopt", methods=["POST"])
@signed_in
def adopt(draft_id: int) -> Response | tuple[str, int]:
    today = date.today()
    page = _draft_page_data(draft_id)
    try:
        workspace.check_may_adopt(page.draft, current_user, today)
    except DomainError as error:
        return _refused(error, draft_id)
    form = _adoption_form(page)
    if form.validate_on_submit():
        try:
            workspace.adopt_draft(
                db.session,
                draft_id,
                meeting_id=form.meeting_id.data,
                response_due=form.response_due.data,
                mission_id=form.mission_id.data if "mission_id" in form else None,
                actor=current_user,
                today=today,
                now=utcnow(),
            )
        except DomainError as error:
            _show(form, error)
        else:
            flash(
                _(
                    "Recommendation adopted. It is now in the register, awaiting the city's response."
                ),
                "success",
            )
            return _draft_address(draft_id)
    return _draft_page(page, adoption=form), 400


@bp.route("/drafts/<int:draft_id>/withdraw", methods=["POST"])
@signed_in
def withdraw(draft_id: int) -> Response:
    try:
        workspace.withdraw_draft(db.session, draft_id, actor=current_user, today=date.today())
    except DomainError as error:
        return _refused(error, draft_id)
    flash(_("Draft withdrawn."), "success")
    return _draft_address(draft_id)


# --- The group's recommendations: public --------------------------------------------------------


@bp.route("/<group_slug>/recommendations", methods=["GET"])
@public
def recommendations(group_slug: str) -> str:
    page = workspace.get_recommendations(
        db.session, group_slug, viewer=current_user, today=date.today()
    )
    return render_template("advisory/workspace/recommendations.html", page=page)
