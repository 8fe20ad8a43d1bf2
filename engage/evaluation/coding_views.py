"""Coding evidence items: the item page, codes and excerpts, item memos, double-coding samples and agreement."""

from __future__ import annotations

from flask import Blueprint

from engage.security import Role, roles_required

bp = Blueprint("evaluation_coding", __name__, url_prefix="/evaluation")


@bp.route("/<slug>/samples")
@roles_required(Role.EVALUATOR)
def samples(slug: str) -> str:
    return "placeholder"  # replaced by the part's own view


@bp.route("/<slug>/items/<int:evidence_id>")
@roles_required(Role.EVALUATOR)
def item(slug: str, evidence_id: int) -> str:
    return "placeholder"  # replaced by the part's own view
