"""Co-design pages for everyone: processes and rounds, and taking part in them (ideas, comments,
supports, reports, statement votes, draft ratings, priorities), opinion groups, and what became of
one's own contributions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from engage.codesign import moderation, opinion, services, syntheses
from engage.codesign.forms import (
    CommentForm,
    IdeaForm,
    RatingForm,
    ReportForm,
    StatementForm,
    VoteForm,
    option_field_name,
    priorities_form,
    priority_answers,
)
from engage.codesign.manage_forms import (
    MODERATION,
    PHASE,
    PRIORITY_METHOD,
    ROUND_KIND,
    VISIBILITY,
)
from engage.codesign.models import ContributionKind, PriorityMethod, RoundKind, Visibility
from engage.db import utcnow
from engage.errors import DomainError
from engage.extensions import db
from engage.forms import BaseForm, requested_mission, requested_page
from engage.security import Role, current_user_holds, public, signed_in

bp = Blueprint("codesign", __name__, url_prefix="/codesign")


@bp.context_processor
def labels() -> dict[str, object]:
    return {
        "ROUND_KIND": ROUND_KIND,
        "PHASE": PHASE,
        "MODERATION": MODERATION,
        "PRIORITY_METHOD": PRIORITY_METHOD,
        "VISIBILITY": VISIBILITY,
        "ContributionKind": ContributionKind,
        "RoundKind": RoundKind,
        "Visibility": Visibility,
        "can_read": lambda item: services.can_read(item, current_user),
        "phase_of": lambda round_: services.phase(round_, utcnow()),
    }


def _viewer() -> Any:
    return current_user


def _staff() -> bool:
    return current_user_holds(Role.OFFICER)


def _round_page(round_id: int) -> Response:
    return redirect(url_for("codesign.round", round_id=round_id))


def _contribution_page(contribution_id: int) -> Response:
    return redirect(url_for("codesign.contribution", contribution_id=contribution_id))


# --- Processes and rounds ---------------------------------------------------------------------


@bp.route("/", methods=["GET"])
@public
def index() -> str:
    # A mission's slug: no NUL (PostgreSQL cannot compare it), no longer than a slug can be.
    mission = requested_mission()
    processes = services.list_processes(db.session, mission_slug=mission, include_drafts=_staff())
    return render_template(
        "codesign/index.html", processes=processes, mission_slug=mission, can_manage=_staff()
    )


@bp.route("/<int:process_id>", methods=["GET"])
@public
def process(process_id: int) -> str:
    found = services.get_process(db.session, process_id, include_drafts=_staff())
    rounds = [r for r in found.rounds if _staff() or r.status.value != "draft"]
    return render_template(
        "codesign/process.html", process=found, rounds=rounds, can_manage=_staff()
    )


@bp.route("/rounds/<int:round_id>", methods=["GET"])
@public
def round(round_id: int) -> str:
    found = services.get_round(db.session, round_id, viewer=_viewer())
    page = requested_page()
    order = "newest" if request.args.get("order") == "newest" else "supported"
    context: dict[str, Any] = {
        "round": found,
        "phase": services.phase(found, utcnow()),
        "can_manage": _staff(),
        "synthesis": syntheses.get_synthesis(db.session, round_id, viewer=_viewer()),
        "cited_parts": syntheses.cited_parts,
    }
    results_visible = services.results_visible(found, current_user)
    if found.kind is RoundKind.IDEAS:
        context["contributions"] = services.list_contributions(
            db.session, round_id, viewer=_viewer(), page=page, order=order
        )
        context["order"] = order
    elif found.kind is RoundKind.STATEMENTS:
        context["tallies"] = (
            services.statement_tallies(db.session, round_id) if results_visible else None
        )
    elif found.kind is RoundKind.DRAFT_REVIEW:
        context["paragraphs"] = services.seeded_items(db.session, round_id)
        context["comment_counts"] = services.paragraph_comment_counts(db.session, round_id)
        context["ratings"] = services.rating_summary(db.session, round_id, viewer=_viewer())
        context["rating_form"] = RatingForm(
            data={"score": context["ratings"].mine} if context["ratings"].mine else None
        )
        context["results_visible"] = results_visible
    elif found.kind is RoundKind.PRIORITIES:
        context["options"] = services.seeded_items(db.session, round_id)
        context["results"] = (
            services.priority_results(db.session, round_id, viewer=_viewer())
            if results_visible
            else None
        )
    return render_template("codesign/round.html", **context)


# --- Contributions ----------------------------------------------------------------------------


def _contribution_fields(form: IdeaForm | StatementForm) -> services.IdeaFields:
    if isinstance(form, IdeaForm):
        return services.IdeaFields(
            form.title.data or "", form.text.data or "", form.area.data or ""
        )
    return services.IdeaFields("", form.text.data or "", "")


def _contribution_page_context(
    contribution_id: int, form: CommentForm, page: int
) -> dict[str, Any]:
    found = services.get_contribution(db.session, contribution_id, viewer=_viewer())
    return {
        "contribution": found,
        "round": found.round,
        "phase": services.phase(found.round, utcnow()),
        "threads": services.list_comments(db.session, contribution_id, viewer=_viewer(), page=page),
        "supports": services.support_count(db.session, contribution_id),
        "supported": services.supports(db.session, contribution_id, current_user),
        "form": form,
        "reply_to": form.parent_id.data,
        "can_manage": _staff(),
    }


@bp.route("/rounds/<int:round_id>/contribute", methods=["GET", "POST"])
@signed_in
def contribute(round_id: int) -> str | Response:
    found = services.get_round(db.session, round_id, viewer=_viewer())
    form: IdeaForm | StatementForm = (
        StatementForm() if found.kind is RoundKind.STATEMENTS else IdeaForm()
    )
    if form.validate_on_submit():
        try:
            if isinstance(form, StatementForm):
                added = services.add_statement(
                    db.session, round_id, form.text.data or "", actor=current_user
                )
            else:
                added = services.submit_idea(
                    db.session, round_id, _contribution_fields(form), actor=current_user
                )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            if added.visibility is Visibility.PENDING:
                flash(_("Thank you. An officer will publish it once they have read it."), "success")
            else:
                flash(_("Thank you. Your contribution is published."), "success")
            if found.kind is RoundKind.STATEMENTS:
                return redirect(url_for("codesign.vote", round_id=round_id))
            return _contribution_page(added.id)
    return render_template("codesign/contribute.html", round=found, form=form, contribution=None)


@bp.route("/contributions/<int:contribution_id>", methods=["GET"])
@public
def contribution(contribution_id: int) -> str:
    form = CommentForm(data={"parent_id": request.args.get("reply_to", type=int)})
    return render_template(
        "codesign/contribution.html",
        **_contribution_page_context(contribution_id, form, requested_page()),
    )


@bp.route("/contributions/<int:contribution_id>/edit", methods=["GET", "POST"])
@signed_in
def edit_contribution(contribution_id: int) -> str | Response:
    found = services.get_own_contribution(db.session, contribution_id, actor=current_user)
    form: IdeaForm | StatementForm = (
        StatementForm(obj=found)
        if found.kind is ContributionKind.STATEMENT
        else IdeaForm(obj=found)
    )
    if form.validate_on_submit():
        try:
            services.edit_contribution(
                db.session, contribution_id, _contribution_fields(form), actor=current_user
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Your changes are saved."), "success")
            return _contribution_page(contribution_id)
    return render_template(
        "codesign/contribute.html", round=found.round, form=form, contribution=found
    )


@bp.route("/contributions/<int:contribution_id>/support", methods=["POST"])
@signed_in
def support(contribution_id: int) -> Response:
    if BaseForm().validate_on_submit():
        try:
            now_supports = services.toggle_support(db.session, contribution_id, actor=current_user)
        except DomainError as error:
            flash(error.translated(), "error")
        else:
            flash(
                _("You support this idea.") if now_supports else _("Your support is withdrawn."),
                "success",
            )
    return _contribution_page(contribution_id)


# --- Comments ---------------------------------------------------------------------------------


@bp.route("/contributions/<int:contribution_id>/comments", methods=["POST"])
@signed_in
def comment(contribution_id: int) -> tuple[str, int] | Response:
    form = CommentForm()
    if form.validate_on_submit():
        try:
            added = services.add_comment(
                db.session,
                contribution_id,
                form.text.data or "",
                parent_id=form.parent_id.data,
                actor=current_user,
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            if added.visibility is Visibility.PENDING:
                flash(_("Thank you. An officer will publish it once they have read it."), "success")
            else:
                flash(_("Your comment is added."), "success")
            return _contribution_page(contribution_id)
    # The discussion again, with the comment as typed and what was wrong with it beside it.
    page = render_template(
        "codesign/contribution.html", **_contribution_page_context(contribution_id, form, 1)
    )
    return page, 400


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@signed_in
def edit_comment(comment_id: int) -> str | Response:
    found = services.get_own_comment(db.session, comment_id, actor=current_user)
    form = CommentForm(obj=found)
    if form.validate_on_submit():
        try:
            services.edit_comment(db.session, comment_id, form.text.data or "", actor=current_user)
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Your comment is saved."), "success")
            return _contribution_page(found.contribution_id)
    return render_template("codesign/edit_comment.html", comment=found, form=form)


# --- Reports ----------------------------------------------------------------------------------


@bp.route("/contributions/<int:contribution_id>/report", methods=["GET", "POST"])
@signed_in
def report_contribution(contribution_id: int) -> str | Response:
    found = services.get_contribution(db.session, contribution_id, viewer=_viewer())
    form = ReportForm()
    if form.validate_on_submit():
        try:
            moderation.report_contribution(
                db.session, contribution_id, form.reason.data or "", actor=current_user
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Thank you. An officer will look at your report."), "success")
            return _contribution_page(contribution_id)
    return render_template("codesign/report.html", form=form, item=found, contribution=found)


@bp.route("/comments/<int:comment_id>/report", methods=["GET", "POST"])
@signed_in
def report_comment(comment_id: int) -> str | Response:
    found = services.get_comment(db.session, comment_id, viewer=_viewer())
    form = ReportForm()
    if form.validate_on_submit():
        try:
            moderation.report_comment(
                db.session, comment_id, form.reason.data or "", actor=current_user
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Thank you. An officer will look at your report."), "success")
            return _contribution_page(found.contribution_id)
    return render_template(
        "codesign/report.html", form=form, item=found, contribution=found.contribution
    )


# --- Statement votes --------------------------------------------------------------------------


@bp.route("/rounds/<int:round_id>/vote", methods=["GET", "POST"])
@signed_in
def vote(round_id: int) -> str | Response:
    """One statement at a time: vote, and the next unseen statement comes up."""
    form = VoteForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.cast_vote(
                    db.session,
                    form.statement_id.data or 0,
                    form.vote.data or "",
                    actor=current_user,
                )
            except DomainError as error:
                flash(error.translated(), "error")
            return redirect(url_for("codesign.vote", round_id=round_id))
        flash(_("Choose agree, disagree or pass."), "error")
    found = services.get_round(db.session, round_id, viewer=_viewer())
    statement, progress = services.next_statement(db.session, round_id, actor=current_user)
    return render_template(
        "codesign/vote.html",
        round=found,
        phase=services.phase(found, utcnow()),
        statement=statement,
        progress=progress,
        my_votes=services.my_votes(db.session, round_id, current_user),
        form=form,
    )


# --- Draft review and priorities --------------------------------------------------------------


@bp.route("/rounds/<int:round_id>/rate", methods=["POST"])
@signed_in
def rate(round_id: int) -> Response:
    form = RatingForm()
    if form.validate_on_submit():
        try:
            services.rate_draft(db.session, round_id, form.score.data, actor=current_user)
        except DomainError as error:
            flash(error.translated(), "error")
        else:
            flash(_("Your rating is saved. You can change it until the round closes."), "success")
    else:
        flash(_("Choose a rating from 1 to 5."), "error")
    return redirect(url_for("codesign.round", round_id=round_id) + "#rating")


@bp.route("/rounds/<int:round_id>/priorities", methods=["GET", "POST"])
@signed_in
def priorities(round_id: int) -> str | Response:
    found = services.get_round(db.session, round_id, viewer=_viewer())
    options = services.seeded_items(db.session, round_id)
    method = found.priority_method or PriorityMethod.RANKING
    mine = services.my_priorities(db.session, round_id, current_user)
    stored = {option_field_name(o): str(mine[o.id]) for o in options if o.id in mine}
    form = priorities_form(
        options, method, found.points_budget, data=None if request.method == "POST" else stored
    )
    if form.validate_on_submit():
        try:
            services.submit_priorities(
                db.session, round_id, priority_answers(form, options), actor=current_user
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(
                _("Your priorities are saved. You can change them until the round closes."),
                "success",
            )
            return _round_page(round_id)
    return render_template(
        "codesign/priorities.html",
        round=found,
        phase=services.phase(found, utcnow()),
        form=form,
        fields=[form[option_field_name(o)] for o in options],
        method=method,
        answered=bool(mine),
    )


# --- Opinion groups ---------------------------------------------------------------------------


@bp.route("/rounds/<int:round_id>/opinions", methods=["GET"])
@public
def opinions(round_id: int) -> str:
    found = services.get_round(db.session, round_id, viewer=_viewer())
    state = services.opinion_state(db.session, round_id, viewer=_viewer())
    statements = {s.id: s for s, _tally in services.statement_tallies(db.session, round_id)}
    return render_template(
        "codesign/opinions.html",
        round=found,
        state=state,
        statements=statements,
        points=_chart_points(state.map) if state.map else [],
        can_manage=_staff(),
        translate=lambda message: _(message.template, **message.params),
    )


CHART_POINTS = 2000  # more marks than this make the page heavy and tell the eye nothing more


def _chart_points(found: opinion.OpinionMap) -> list[tuple[float, float, int]]:
    """The participants' places scaled to the chart's square (0 to 1 on both axes); for a large
    round, every n-th participant (in id order, so the same sample each time)."""
    points = found.points[:: max(1, -(-len(found.points) // CHART_POINTS))]
    if not points:
        return []
    xs, ys = [p.x for p in points], [p.y for p in points]

    def scale(value: float, low: float, high: float) -> float:
        return 0.5 if high == low else (value - low) / (high - low)

    return [(scale(p.x, min(xs), max(xs)), scale(p.y, min(ys), max(ys)), p.group) for p in points]


# --- What became of my contributions ----------------------------------------------------------


@bp.route("/mine", methods=["GET"])
@signed_in
def mine() -> str:
    outcomes = syntheses.my_contributions(db.session, current_user, page=requested_page())
    return render_template("codesign/mine.html", outcomes=outcomes)
