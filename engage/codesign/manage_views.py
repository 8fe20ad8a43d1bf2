"""Co-design pages for officers: processes, rounds, moderation, opinion groups and syntheses."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from engage import jobs
from engage.codesign import moderation as moderation_services
from engage.codesign import services, syntheses
from engage.codesign.manage_forms import (
    CONTRIBUTION_KIND,
    MODERATION,
    MODERATION_ACTION,
    PHASE,
    PRIORITY_METHOD,
    ROUND_KIND,
    ROUND_KIND_HINT,
    ROUND_STATUS,
    VISIBILITY,
    ModerationForm,
    MoveRoundForm,
    NewProcessForm,
    ProcessForm,
    RoundForm,
    RoundStatusForm,
    SynthesisForm,
    join_items,
)
from engage.codesign.models import (
    CodesignProcess,
    Comment,
    Contribution,
    ContributionKind,
    Round,
    RoundKind,
    RoundStatus,
)
from engage.codesign.opinion import Tally
from engage.errors import DomainError
from engage.extensions import db
from engage.forms import BaseForm, flash_refusal, local_from_utc, utc_from_local
from engage.missions import services as missions
from engage.security import Role, roles_required, safe_next_url

bp = Blueprint("codesign_manage", __name__, url_prefix="/codesign/manage")
officer = roles_required(Role.OFFICER)


@bp.context_processor
def labels() -> dict[str, object]:
    return {
        "ROUND_KIND": ROUND_KIND,
        "ROUND_KIND_HINT": ROUND_KIND_HINT,
        "ROUND_STATUS": ROUND_STATUS,
        "PHASE": PHASE,
        "MODERATION": MODERATION,
        "MODERATION_ACTION": MODERATION_ACTION,
        "PRIORITY_METHOD": PRIORITY_METHOD,
        "VISIBILITY": VISIBILITY,
        "CONTRIBUTION_KIND": CONTRIBUTION_KIND,
    }


# --- Helpers --------------------------------------------------------------------------------------


def _process_page(process_id: int) -> Response:
    return redirect(url_for("codesign.process", process_id=process_id))


def _round_page(round_id: int) -> Response:
    return redirect(url_for("codesign.round", round_id=round_id))


# --- Processes ------------------------------------------------------------------------------------


def _process_fields(form: ProcessForm) -> services.ProcessFields:
    return services.ProcessFields(
        title=form.title.data or "", description=form.description.data or ""
    )


@bp.route("/new", methods=["GET", "POST"])
@officer
def new_process() -> str | Response:
    choices = missions.list_missions(db.session, include_drafts=True)
    form = NewProcessForm(missions=[(m.id, m.title) for m in choices])
    if request.method == "GET":
        wanted = request.args.get("mission", "", type=str)
        form.mission_id.data = next((m.id for m in choices if m.slug == wanted), None)
    if form.validate_on_submit():
        slug = next(m.slug for m in choices if m.id == form.mission_id.data)  # a valid choice
        try:
            process = services.create_process(
                db.session, slug, _process_fields(form), actor=current_user
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Co-design process created. Now add its first round."), "success")
            return _process_page(process.id)
    return render_template("codesign/manage/process_form.html", form=form, process=None)


@bp.route("/<int:process_id>/edit", methods=["GET", "POST"])
@officer
def edit_process(process_id: int) -> str | Response:
    process = services.get_process(db.session, process_id, include_drafts=True)
    form = ProcessForm(obj=process)
    if form.validate_on_submit():
        try:
            services.update_process(
                db.session, process_id, _process_fields(form), actor=current_user
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Co-design process saved."), "success")
            return _process_page(process_id)
    return render_template("codesign/manage/process_form.html", form=form, process=process)


# --- Rounds ---------------------------------------------------------------------------------------


def _round_fields(form: RoundForm, stored: Round | None) -> services.RoundFields:
    """The form's values for the service; what the form no longer offers (the type and prepared
    items of a published round) is passed on unchanged from ``stored``."""
    prepared = "kind" in form
    if prepared:
        kind = form.kind.data
        method = form.priority_method.data if kind is RoundKind.PRIORITIES else None
        budget = form.points_budget.data if method is not None else None
        items = form.item_list()
    else:
        assert stored is not None  # only a stored round's form leaves these out
        kind, method, budget, items = stored.kind, stored.priority_method, stored.points_budget, []
    return services.RoundFields(
        kind=kind,
        title=form.title.data or "",
        prompt=form.prompt.data or "",
        opens_at=utc_from_local(form.opens_at.data),  # type: ignore[arg-type]  # InputRequired
        closes_at=utc_from_local(form.closes_at.data),  # type: ignore[arg-type]  # InputRequired
        moderation=form.moderation.data,
        priority_method=method,
        points_budget=budget,
        items=items,
    )


def _round_form_page(
    form: RoundForm, process: CodesignProcess, round_: Round | None, items: list[str]
) -> str:
    return render_template(
        "codesign/manage/round_form.html", form=form, process=process, round=round_, items=items
    )


@bp.route("/<int:process_id>/rounds/new", methods=["GET", "POST"])
@officer
def new_round(process_id: int) -> str | Response:
    process = services.get_process(db.session, process_id, include_drafts=True)
    form = RoundForm()
    if form.validate_on_submit():
        try:
            round_ = services.create_round(
                db.session, process_id, _round_fields(form, None), actor=current_user
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Round created as a draft. Open it when it is ready."), "success")
            return _round_page(round_.id)
    return _round_form_page(form, process, None, [])


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@officer
def edit_round(round_id: int) -> str | Response:
    round_ = services.get_round(db.session, round_id, viewer=current_user)
    items = [item.text for item in services.seeded_items(db.session, round_id)]
    form = RoundForm(
        prepared_editable=round_.status is RoundStatus.DRAFT,
        data={
            "kind": round_.kind,
            "title": round_.title,
            "prompt": round_.prompt,
            # Stored in UTC, typed in the deployment's time zone.
            "opens_at": local_from_utc(round_.opens_at),
            "closes_at": local_from_utc(round_.closes_at),
            "moderation": round_.moderation,
            "priority_method": round_.priority_method,
            "points_budget": round_.points_budget,
            "items": join_items(items, round_.kind),
        },
    )
    if form.validate_on_submit():
        try:
            services.update_round(
                db.session, round_id, _round_fields(form, round_), actor=current_user
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Round saved."), "success")
            return _round_page(round_id)
    return _round_form_page(form, round_.process, round_, items)


@bp.route("/rounds/<int:round_id>/status", methods=["POST"])
@officer
def round_status(round_id: int) -> Response:
    form = RoundStatusForm()
    if not form.validate_on_submit():
        flash(_("Nothing was changed. Use the Open or Close button on this page."), "error")
        return _round_page(round_id)
    opening = form.action.data == "open"
    try:
        if opening:
            services.open_round(db.session, round_id, actor=current_user)
        else:
            services.close_round(
                db.session, round_id, actor=current_user, runner=jobs.current_runner()
            )
    except DomainError as error:
        flash_refusal(error)
    else:
        if opening:
            flash(_("Round published. Residents take part between its dates."), "success")
        else:
            flash(_("Round closed. Write its synthesis when you are ready."), "success")
    return _round_page(round_id)


@bp.route("/rounds/<int:round_id>/move", methods=["POST"])
@officer
def move_round(round_id: int) -> Response:
    form = MoveRoundForm()
    if not form.validate_on_submit():
        round_ = services.get_round(db.session, round_id, viewer=current_user)
        flash(_("Nothing was changed. Use the Move buttons on this page."), "error")
        return _process_page(round_.process_id)
    round_ = services.move_round(db.session, round_id, form.offset, actor=current_user)
    flash(_("Round moved."), "success")
    return _process_page(round_.process_id)


# --- Moderation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Refusal:
    """A moderation decision the form or the service refused, to show beside its item."""

    form: ModerationForm
    item: Contribution | Comment | None  # shown on its own when it is not in the queue
    is_comment: bool


def _moderation_page(
    round_id: int, refused: tuple[Contribution | Comment, ModerationForm] | None = None
) -> str | tuple[str, int]:
    """The queue, one form per item; a refused decision comes back beside its item."""
    round_ = services.get_round(db.session, round_id, viewer=current_user)
    queue = moderation_services.moderation_queue(db.session, round_id)
    items: list[Contribution | Comment] = [*queue.contributions, *queue.comments]
    forms = {
        _item_key(item): ModerationForm(formdata=None).identify(_item_key(item)) for item in items
    }
    failed = None
    if refused is not None:
        item, form = refused
        key = _item_key(item)
        failed = _Refusal(form, None if key in forms else item, isinstance(item, Comment))
        forms[key] = form.identify(key)
    page = render_template(
        "codesign/manage/moderation.html",
        round=round_,
        queue=queue,
        forms=forms,
        failed=failed,
    )
    return (page, 400) if failed else page


def _item_key(item: Contribution | Comment) -> str:
    return f"comment-{item.id}" if isinstance(item, Comment) else f"contribution-{item.id}"


@bp.route("/rounds/<int:round_id>/moderation", methods=["GET"])
@officer
def moderation(round_id: int) -> str | tuple[str, int]:
    return _moderation_page(round_id)


def _after_moderation(round_id: int) -> Response:
    fallback = url_for("codesign_manage.moderation", round_id=round_id)
    return redirect(safe_next_url(request.values.get("next"), fallback))


def _moderated_message(form: ModerationForm) -> str:
    messages = {
        moderation_services.ModerationAction.APPROVE: _("Approved: it is published."),
        moderation_services.ModerationAction.HIDE: _("Hidden. People see the reason you gave."),
        moderation_services.ModerationAction.RESTORE: _("Restored: it is shown again."),
    }
    return str(messages[form.action.data])


@bp.route("/contributions/<int:contribution_id>/moderate", methods=["POST"])
@officer
def moderate_contribution(contribution_id: int) -> str | Response | tuple[str, int]:
    contribution = services.get_contribution(db.session, contribution_id, viewer=current_user)
    round_id = contribution.round_id
    form = ModerationForm()
    if form.validate_on_submit():
        try:
            moderation_services.moderate_contribution(
                db.session,
                contribution_id,
                form.action.data,
                form.reason.data or "",
                actor=current_user,
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_moderated_message(form), "success")
            return _after_moderation(round_id)
    return _moderation_page(round_id, (contribution, form))


@bp.route("/comments/<int:comment_id>/moderate", methods=["POST"])
@officer
def moderate_comment(comment_id: int) -> str | Response | tuple[str, int]:
    comment = services.get_comment(db.session, comment_id, viewer=current_user)
    round_id = comment.contribution.round_id
    form = ModerationForm()
    if form.validate_on_submit():
        try:
            moderation_services.moderate_comment(
                db.session, comment_id, form.action.data, form.reason.data or "", actor=current_user
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_moderated_message(form), "success")
            return _after_moderation(round_id)
    return _moderation_page(round_id, (comment, form))


# --- Opinion groups -------------------------------------------------------------------------------


@bp.route("/rounds/<int:round_id>/opinions", methods=["POST"])
@officer
def compute_opinions(round_id: int) -> Response:
    form = BaseForm()
    if not form.validate_on_submit():
        flash(_("Nothing was started. Please try again."), "error")
        return _round_page(round_id)
    try:
        job = services.start_opinion_job(
            db.session, round_id, runner=jobs.current_runner(), actor=current_user
        )
    except DomainError as error:
        flash_refusal(error)
        return _round_page(round_id)
    return redirect(url_for("pages.job", job_id=job.id))


# --- Syntheses ------------------------------------------------------------------------------------


def _statement_draft(round_: Round) -> str:
    """What the new statement box starts with: a draft review round's draft, else the mission's
    current statement."""
    if round_.kind is RoundKind.DRAFT_REVIEW:
        paragraphs = [item.text for item in services.seeded_items(db.session, round_.id)]
        return join_items(paragraphs, round_.kind)
    current = round_.process.mission.current_version
    return current.text if current else ""


def _vote_tallies(citable: list[Contribution]) -> dict[int, Tally]:
    """Agree, disagree and pass counts of the citable statements, by contribution number."""
    rounds = {c.round_id for c in citable if c.kind is ContributionKind.STATEMENT}
    return {
        statement.id: tally
        for round_id in sorted(rounds)
        for statement, tally in services.statement_tallies(db.session, round_id)
    }


@bp.route("/rounds/<int:round_id>/synthesis", methods=["GET", "POST"])
@officer
def synthesis(round_id: int) -> str | Response | tuple[str, int]:
    round_ = services.get_round(db.session, round_id, viewer=current_user)
    draft = syntheses.get_synthesis(db.session, round_id, viewer=current_user)
    form = SynthesisForm(data={"text": draft.text if draft else "", "action": "save"})
    if request.method == "GET":
        form.statement.data = _statement_draft(round_)
    if round_.status is RoundStatus.CLOSED and form.validate_on_submit():
        try:
            if form.publishing:
                syntheses.publish_synthesis(
                    db.session,
                    round_id,
                    form.text.data or "",
                    statement=form.new_statement(),
                    actor=current_user,
                )
            else:
                syntheses.save_synthesis(
                    db.session, round_id, form.text.data or "", actor=current_user
                )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            if form.publishing:
                flash(_("Synthesis published."), "success")
                return _round_page(round_id)
            flash(_("Draft synthesis saved. Only officers can see it."), "success")
            return redirect(url_for("codesign_manage.synthesis", round_id=round_id))
    citable = syntheses.citable_in_round(db.session, round_id)
    page = render_template(
        "codesign/manage/synthesis.html",
        round=round_,
        form=form,
        draft=draft,
        citable=citable,
        tallies=_vote_tallies(citable),
        writable=round_.status is RoundStatus.CLOSED,
    )
    return (page, 400) if form.errors else page
