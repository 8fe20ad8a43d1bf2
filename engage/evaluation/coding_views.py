"""Coding evidence items: the item page, codes and excerpts, item memos, double-coding samples and agreement."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from engage.accounts.services import list_role_holders
from engage.errors import DomainError
from engage.evaluation import agreement, coding, frame, index, memos
from engage.evaluation.coding_forms import (
    BAND_LABELS,
    REASON_LABELS,
    ApplyCodeForm,
    MemoForm,
    SampleForm,
)
from engage.evaluation.forms import filter_args
from engage.evaluation.index import DOMAIN_LABELS, EvidenceFilter
from engage.evaluation.models import CodeStatus
from engage.extensions import db
from engage.forms import BaseForm, flash_refusal, show_refusal
from engage.missions.models import Mission
from engage.security import Role, roles_required, row_id

bp = Blueprint("evaluation_coding", __name__, url_prefix="/evaluation")
evaluator = roles_required(Role.EVALUATOR)


@bp.context_processor
def labels() -> dict[str, object]:
    return {
        "DOMAIN_LABELS": DOMAIN_LABELS,
        "BAND_LABELS": BAND_LABELS,
        "REASON_LABELS": REASON_LABELS,
        "CodeStatus": CodeStatus,
        "may_remove": coding.may_remove,
        "band_of": agreement.band,
    }


def _sample_arg() -> dict[str, Any]:
    """The ``sample`` query argument (an item coded from a sample) as link arguments: empty
    unless it is a whole number an id can be."""
    sample_id = row_id(request.args.get("sample", ""))
    return {} if sample_id is None else {"sample": sample_id}


def _code_choices(mission: Mission) -> list[tuple[int, str]]:
    return [(code.id, code.name) for code in frame.list_codes(db.session, mission.id)]


# --- One evidence item --------------------------------------------------------------------------


def _item_page(
    mission: Mission,
    evidence_id: int,
    *,
    apply_form: ApplyCodeForm | None = None,
    memo_form: MemoForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    sample = _sample_arg()
    item = coding.item_coding(
        db.session,
        mission.id,
        evidence_id,
        viewer=current_user,
        sample_id=sample.get("sample"),
    )
    return render_template(
        "evaluation/coding/item.html",
        mission=mission,
        coding=item,
        item=item.item,
        sample_args=sample if item.independent else {},
        apply_form=apply_form or ApplyCodeForm(formdata=None, codes=_code_choices(mission)),
        memo_form=memo_form or MemoForm(formdata=None),
    ), status


def _back_to_item(slug: str, evidence_id: int) -> Response:
    return redirect(
        url_for("evaluation_coding.item", slug=slug, evidence_id=evidence_id, **_sample_arg())
    )


@bp.route("/<slug>/items/<int:evidence_id>", methods=["GET"])
@evaluator
def item(slug: str, evidence_id: int) -> tuple[str, int]:
    mission = index.get_mission(db.session, slug)
    return _item_page(mission, evidence_id)


@bp.route("/<slug>/items/<int:evidence_id>/codes", methods=["POST"])
@evaluator
def apply(slug: str, evidence_id: int) -> tuple[str, int] | Response:
    mission = index.get_mission(db.session, slug)
    form = ApplyCodeForm(codes=_code_choices(mission))
    if form.validate_on_submit():
        try:
            application = coding.apply_code(
                db.session,
                mission.id,
                evidence_id,
                form.code.data,
                form.excerpt.data or "",
                actor=current_user,
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            if application.excerpt:
                message = _("“%(code)s” is applied to the excerpt.", code=application.code.name)
            else:
                message = _("“%(code)s” is applied to the item.", code=application.code.name)
            flash(message, "success")
            return _back_to_item(slug, evidence_id)
    return _item_page(mission, evidence_id, apply_form=form, status=400)


@bp.route("/<slug>/items/<int:evidence_id>/codes/<int:application_id>/remove", methods=["POST"])
@evaluator
def remove(slug: str, evidence_id: int, application_id: int) -> Response:
    mission = index.get_mission(db.session, slug)
    if not BaseForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return _back_to_item(slug, evidence_id)
    try:
        coding.remove_application(
            db.session, mission.id, evidence_id, application_id, actor=current_user
        )
    except DomainError as error:
        db.session.rollback()
        flash_refusal(error)
    else:
        flash(_("The code is removed from the item."), "success")
    return _back_to_item(slug, evidence_id)


@bp.route("/<slug>/items/<int:evidence_id>/memos", methods=["POST"])
@evaluator
def add_memo(slug: str, evidence_id: int) -> tuple[str, int] | Response:
    mission = index.get_mission(db.session, slug)
    form = MemoForm()
    if form.validate_on_submit():
        try:
            memos.add_memo(
                db.session,
                mission.id,
                form.body.data or "",
                evidence_id=evidence_id,
                actor=current_user,
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("The memo is saved."), "success")
            return _back_to_item(slug, evidence_id)
    return _item_page(mission, evidence_id, memo_form=form, status=400)


# --- Samples and agreement ----------------------------------------------------------------------


def _sample_form(mission: Mission, *args: object, **kwargs: object) -> SampleForm:
    summary = index.index_summary(db.session, mission.id)
    coders = [
        (user.id, user.display_name) for user in list_role_holders(db.session, Role.EVALUATOR)
    ]
    return SampleForm(
        *args,
        areas=summary.areas,
        segments=summary.segments,
        codes=_code_choices(mission),
        coders=coders,
        **kwargs,
    )


def _samples_page(mission: Mission, form: SampleForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "evaluation/coding/samples.html",
        mission=mission,
        samples=coding.list_samples(db.session, mission.id),
        form=form,
    ), status


@bp.route("/<slug>/samples", methods=["GET"])
@evaluator
def samples(slug: str) -> tuple[str, int]:
    mission = index.get_mission(db.session, slug)
    # A filter in the address (from a link that keeps it) fills the filter's fields.
    form = _sample_form(mission, formdata=request.args or None)
    if not form.seed.data:
        form.seed.data = secrets.token_hex(8)
    if form.coder_a.data is None:
        form.coder_a.data = current_user.id
    return _samples_page(mission, form)


@bp.route("/<slug>/samples", methods=["POST"])
@evaluator
def create_sample(slug: str) -> tuple[str, int] | Response:
    mission = index.get_mission(db.session, slug)
    form = _sample_form(mission)
    if form.validate_on_submit():
        filters: EvidenceFilter = form.evidence_filter()
        size: int = form.size.data or 0
        try:
            sample = coding.draw_sample(
                db.session,
                mission.id,
                form.name.data or "",
                size,
                form.seed.data or "",
                filters,
                form.coder_a.data,
                form.coder_b.data,
                actor=current_user,
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            drawn = len(sample.items)
            if drawn < size:
                flash(
                    ngettext(
                        "Only %(num)s item matches the filter: the sample holds it.",
                        "Only %(num)s items match the filter: the sample holds all of them.",
                        drawn,
                    ),
                    "info",
                )
            flash(_("The sample “%(name)s” is drawn.", name=sample.name), "success")
            return redirect(url_for("evaluation_coding.sample", slug=slug, sample_id=sample.id))
    return _samples_page(mission, form, status=400)


@bp.route("/<slug>/samples/<int:sample_id>", methods=["GET"])
@evaluator
def sample(slug: str, sample_id: int) -> str:
    mission = index.get_mission(db.session, slug)
    report = coding.sample_report(db.session, mission.id, sample_id)
    filters = EvidenceFilter.from_params(report.progress.sample.filters)
    return render_template(
        "evaluation/coding/sample.html",
        mission=mission,
        report=report,
        progress=report.progress,
        sample=report.progress.sample,
        filter_query=filter_args(filters),
        viewer_codes=current_user.id
        in (report.progress.sample.coder_a_id, report.progress.sample.coder_b_id),
    )
