"""Harvested outcomes and the learning log."""

from __future__ import annotations

from flask import Blueprint

from engage.security import Role, roles_required

bp = Blueprint("evaluation_outcomes", __name__, url_prefix="/evaluation")


@bp.route("/<slug>/outcomes")
@roles_required(Role.EVALUATOR)
def outcomes(slug: str) -> str:
    return "placeholder"  # replaced by the part's own view


@bp.route("/<slug>/learning")
@roles_required(Role.EVALUATOR)
def learning(slug: str) -> str:
    return "placeholder"  # replaced by the part's own view
