"""The evidence package download."""

from __future__ import annotations

from flask import Blueprint

from engage.security import Role, roles_required

bp = Blueprint("evaluation_package", __name__, url_prefix="/evaluation")


@bp.route("/<slug>/package")
@roles_required(Role.EVALUATOR)
def package(slug: str) -> str:
    return "placeholder"  # replaced by the part's own view
