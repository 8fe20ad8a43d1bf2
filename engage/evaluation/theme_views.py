"""Theme runs: start one on a filtered set, follow it, read it, adopt its themes."""

from __future__ import annotations

from flask import Blueprint

from engage.security import Role, roles_required

bp = Blueprint("evaluation_themes", __name__, url_prefix="/evaluation")


@bp.route("/<slug>/themes")
@roles_required(Role.EVALUATOR)
def runs(slug: str) -> str:
    return "placeholder"  # replaced by the part's own view
