"""Harvested outcomes (with their indicators and evidence) and the learning log of a mission."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from engage.errors import DomainError
from engage.evaluation import index, outcomes
from engage.evaluation.models import HarvestedOutcome, LearningLoop
from engage.evaluation.outcome_forms import (
    LOOP_HINTS,
    LOOP_LABELS,
    LOOP_QUESTIONS,
    LearningFilterForm,
    LearningForm,
    LinkEvidenceForm,
    OutcomeFilterForm,
    OutcomeForm,
)
from engage.extensions import db
from engage.forms import BaseForm, flash_refusal, show_refusal
from engage.missions.models import Mission
from engage.security import Role, roles_required

bp = Blueprint("evaluation_outcomes", __name__, url_prefix="/evaluation")
evaluator = roles_required(Role.EVALUATOR)


@bp.context_processor
def labels() -> dict[str, object]:
    return {
        "LOOP_LABELS": LOOP_LABELS,
        "LOOP_QUESTIONS": LOOP_QUESTIONS,
        "LOOP_HINTS": LOOP_HINTS,
        "DOMAIN_LABELS": index.DOMAIN_LABELS,
    }


def _mission(slug: str) -> Mission:
    return index.get_mission(db.session, slug)


def _outcome_choices(mission: Mission) -> list[tuple[int, str]]:
    return [(outcome.id, outcome.title) for outcome in mission.outcomes]


def _indicator_choices(mission: Mission) -> list[tuple[int, str]]:
    return [
        (indicator.id, f"{outcome.title}: {indicator.name} ({indicator.unit})")
        for outcome in mission.outcomes
        for indicator in outcome.indicators
    ]


def _outcome_form(mission: Mission, **kwargs: Any) -> OutcomeForm:
    return OutcomeForm(
        outcomes=_outcome_choices(mission), indicators=_indicator_choices(mission), **kwargs
    )


# --- Outcome records -----------------------------------------------------------------------------


@bp.route("/<slug>/outcomes", methods=["GET"], endpoint="outcomes")
@evaluator
def outcomes_list(slug: str) -> str:
    mission = _mission(slug)
    filter_form = OutcomeFilterForm(request.args, outcomes=_outcome_choices(mission))
    wanted = filter_form.wanted()
    records = outcomes.list_outcomes(db.session, mission.id, **wanted)
    filtering = wanted["unlinked"] or any(
        wanted[name] is not None for name in ("mission_outcome_id", "substantiated")
    )
    return render_template(
        "evaluation/outcomes/list.html",
        mission=mission,
        filter_form=filter_form,
        records=records,
        filtering=filtering,
        total=outcomes.count_outcomes(db.session, mission.id) if filtering else len(records),
        indicators=outcomes.indicators_by_outcome(db.session, [r.id for r in records]),
        mission_outcomes={outcome.id: outcome for outcome in mission.outcomes},
    )


@bp.route("/<slug>/outcomes/new", methods=["GET", "POST"])
@evaluator
def new_outcome(slug: str) -> str | Response | tuple[str, int]:
    mission = _mission(slug)
    form = _outcome_form(mission)
    if form.validate_on_submit():
        try:
            record = outcomes.record_outcome(
                db.session, mission.id, form.values(), actor=current_user
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("Outcome recorded."), "success")
            return redirect(
                url_for("evaluation_outcomes.outcome", slug=slug, harvested_id=record.id)
            )
    status = 400 if form.is_submitted() else 200
    return render_template(
        "evaluation/outcomes/form.html", mission=mission, form=form, record=None
    ), status


def _outcome_page(
    mission: Mission, record: HarvestedOutcome, link_form: LinkEvidenceForm, status: int = 200
) -> tuple[str, int]:
    indicators = outcomes.indicators_by_outcome(db.session, [record.id])[record.id]
    linked_outcome = next(
        (outcome for outcome in mission.outcomes if outcome.id == record.mission_outcome_id), None
    )
    return render_template(
        "evaluation/outcomes/detail.html",
        mission=mission,
        record=record,
        indicators=indicators,
        mission_outcome=linked_outcome,
        link_form=link_form,
    ), status


@bp.route("/<slug>/outcomes/<int:harvested_id>", methods=["GET"])
@evaluator
def outcome(slug: str, harvested_id: int) -> tuple[str, int]:
    mission = _mission(slug)
    record = outcomes.get_outcome(db.session, mission.id, harvested_id)
    return _outcome_page(mission, record, LinkEvidenceForm(formdata=None))


@bp.route("/<slug>/outcomes/<int:harvested_id>/edit", methods=["GET", "POST"])
@evaluator
def edit_outcome(slug: str, harvested_id: int) -> str | Response | tuple[str, int]:
    mission = _mission(slug)
    record = outcomes.get_outcome(db.session, mission.id, harvested_id)
    form = _outcome_form(mission)
    if not form.is_submitted():
        current = outcomes.indicator_ids_of(db.session, record.id)
        form.fill(outcomes.as_fields(record, current))
    elif form.validate_on_submit():
        try:
            outcomes.update_outcome(
                db.session, mission.id, harvested_id, form.values(), actor=current_user
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("Outcome record saved."), "success")
            return redirect(
                url_for("evaluation_outcomes.outcome", slug=slug, harvested_id=harvested_id)
            )
    status = 400 if form.is_submitted() else 200
    return render_template(
        "evaluation/outcomes/form.html", mission=mission, form=form, record=record
    ), status


@bp.route("/<slug>/outcomes/<int:harvested_id>/delete", methods=["POST"])
@evaluator
def delete_outcome(slug: str, harvested_id: int) -> Response:
    mission = _mission(slug)
    outcomes.get_outcome(db.session, mission.id, harvested_id)
    if not BaseForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(
            url_for("evaluation_outcomes.outcome", slug=slug, harvested_id=harvested_id)
        )
    outcomes.delete_outcome(db.session, mission.id, harvested_id, actor=current_user)
    flash(_("Outcome record deleted."), "success")
    return redirect(url_for("evaluation_outcomes.outcomes", slug=slug))


@bp.route("/<slug>/outcomes/<int:harvested_id>/evidence", methods=["POST"])
@evaluator
def link_evidence(slug: str, harvested_id: int) -> Response | tuple[str, int]:
    mission = _mission(slug)
    record = outcomes.get_outcome(db.session, mission.id, harvested_id)
    form = LinkEvidenceForm()
    if form.validate_on_submit():
        try:
            result = outcomes.link_evidence(
                db.session, mission.id, harvested_id, form.numbers.data or "", actor=current_user
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            if result.linked:
                flash(
                    ngettext(
                        "%(num)s evidence item linked.",
                        "%(num)s evidence items linked.",
                        len(result.linked),
                    ),
                    "success",
                )
            if result.already:
                flash(
                    ngettext(
                        "%(num)s item was already linked: %(numbers)s.",
                        "%(num)s items were already linked: %(numbers)s.",
                        len(result.already),
                        numbers=", ".join(str(number) for number in result.already),
                    ),
                    "success" if result.linked else "error",
                )
            return redirect(
                url_for("evaluation_outcomes.outcome", slug=slug, harvested_id=harvested_id)
                + "#evidence-heading"
            )
    return _outcome_page(mission, record, form, status=400)


@bp.route("/<slug>/outcomes/<int:harvested_id>/evidence/<int:evidence_id>/remove", methods=["POST"])
@evaluator
def unlink_evidence(slug: str, harvested_id: int, evidence_id: int) -> Response:
    mission = _mission(slug)
    outcomes.get_outcome(db.session, mission.id, harvested_id)
    back = url_for("evaluation_outcomes.outcome", slug=slug, harvested_id=harvested_id)
    if not BaseForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(back)
    try:
        outcomes.unlink_evidence(
            db.session, mission.id, harvested_id, evidence_id, actor=current_user
        )
    except DomainError as error:
        db.session.rollback()
        flash_refusal(error)
    else:
        flash(_("Item %(number)s is no longer linked.", number=evidence_id), "success")
    return redirect(back + "#evidence-heading")


# --- The learning log ------------------------------------------------------------------------------


def _learning_page(mission: Mission, form: LearningForm, status: int = 200) -> tuple[str, int]:
    filter_form = LearningFilterForm(request.args)
    loop = filter_form.wanted()
    counts = outcomes.loop_counts(db.session, mission.id)
    return render_template(
        "evaluation/learning/list.html",
        mission=mission,
        form=form,
        filter_form=filter_form,
        loop=loop,
        entries=outcomes.list_entries(db.session, mission.id, loop),
        counts=counts,
        total=sum(counts.values()),
        LearningLoop=LearningLoop,
    ), status


@bp.route("/<slug>/learning", methods=["GET"])
@evaluator
def learning(slug: str) -> tuple[str, int]:
    mission = _mission(slug)
    return _learning_page(mission, LearningForm(formdata=None))


@bp.route("/<slug>/learning", methods=["POST"])
@evaluator
def add_entry(slug: str) -> Response | tuple[str, int]:
    mission = _mission(slug)
    form = LearningForm()
    if form.validate_on_submit():
        try:
            outcomes.add_entry(db.session, mission.id, form.values(), actor=current_user)
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("Added to the learning log."), "success")
            return redirect(url_for("evaluation_outcomes.learning", slug=slug))
    return _learning_page(mission, form, status=400)


@bp.route("/<slug>/learning/<int:entry_id>/edit", methods=["GET", "POST"])
@evaluator
def edit_entry(slug: str, entry_id: int) -> str | Response | tuple[str, int]:
    mission = _mission(slug)
    entry = outcomes.get_entry(db.session, mission.id, entry_id)
    form = LearningForm(obj=entry)
    if form.validate_on_submit():
        try:
            outcomes.update_entry(
                db.session, mission.id, entry_id, form.values(), actor=current_user
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("Learning log entry saved."), "success")
            return redirect(url_for("evaluation_outcomes.learning", slug=slug))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "evaluation/learning/edit.html", mission=mission, form=form, entry=entry
    ), status


@bp.route("/<slug>/learning/<int:entry_id>/delete", methods=["POST"])
@evaluator
def delete_entry(slug: str, entry_id: int) -> Response:
    mission = _mission(slug)
    outcomes.get_entry(db.session, mission.id, entry_id)
    if not BaseForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(url_for("evaluation_outcomes.edit_entry", slug=slug, entry_id=entry_id))
    outcomes.delete_entry(db.session, mission.id, entry_id, actor=current_user)
    flash(_("Learning log entry deleted."), "success")
    return redirect(url_for("evaluation_outcomes.learning", slug=slug))
