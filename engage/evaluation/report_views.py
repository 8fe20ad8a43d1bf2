"""The printable evaluation report of a mission, for officers and evaluators."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engage.evaluation.index import DOMAIN_LABELS
from engage.evaluation.models import LearningLoop
from engage.evaluation.report import build_report
from engage.extensions import db
from engage.missions.forms import DECISION, DIRECTION, REGISTER_STATUS, SOURCE_KIND
from engage.security import Role, current_user_holds, roles_required

bp = Blueprint("evaluation_report", __name__, url_prefix="/evaluation")

LOOP_LABELS = {
    LearningLoop.SINGLE: _l("Single loop"),
    LearningLoop.DOUBLE: _l("Double loop"),
    LearningLoop.TRIPLE: _l("Triple loop"),
}
LOOP_HINTS = {
    LearningLoop.SINGLE: _l("doing things right: a correction within the current approach"),
    LearningLoop.DOUBLE: _l("doing the right things: the approach or its assumptions changed"),
    LearningLoop.TRIPLE: _l("how we decide what is right: governance, values, who decides"),
}


def source_label(domain: str) -> str:
    """A source (an evidence domain) as people read it."""
    label = DOMAIN_LABELS.get(domain)
    return _(label) if label else domain


@bp.context_processor
def labels() -> dict[str, object]:
    return {
        "source_label": source_label,
        "LOOP_LABELS": LOOP_LABELS,
        "LOOP_HINTS": LOOP_HINTS,
        "REGISTER_STATUS": REGISTER_STATUS,
        "DECISION": DECISION,
        "DIRECTION": DIRECTION,
        "SOURCE_KIND": SOURCE_KIND,
    }


@bp.route("/<slug>/report", methods=["GET"])
@roles_required(Role.OFFICER, Role.EVALUATOR)
def report(slug: str) -> str:
    built = build_report(db.session, slug, actor=current_user)
    return render_template(
        "evaluation/report.html",
        report=built,
        mission=built.mission,
        can_evaluate=current_user_holds(Role.EVALUATOR),
    )
