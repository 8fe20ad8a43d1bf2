"""The printable evaluation report of a mission."""

from __future__ import annotations

from flask import Blueprint

from engage.security import Role, roles_required

bp = Blueprint("evaluation_report", __name__, url_prefix="/evaluation")


@bp.route("/<slug>/report")
@roles_required(Role.EVALUATOR)
def report(slug: str) -> str:
    return "placeholder"  # replaced by the part's own view
