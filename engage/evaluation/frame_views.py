"""The coding frame: codes, their changes (rename, merge, split, retire), versions and memos."""

from __future__ import annotations

from flask import Blueprint

from engage.security import Role, roles_required

bp = Blueprint("evaluation_frame", __name__, url_prefix="/evaluation")


@bp.route("/<slug>/frame")
@roles_required(Role.EVALUATOR)
def codes(slug: str) -> str:
    return "placeholder"  # replaced by the part's own view
