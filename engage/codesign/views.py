"""Co-design pages for everyone: processes, rounds, contributions and taking part."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from engage.codesign import services
from engage.extensions import db
from engage.security import Role, current_user_holds, public

bp = Blueprint("codesign", __name__, url_prefix="/codesign")


@bp.route("/", methods=["GET"])
@public
def index() -> str:
    processes = services.list_processes(
        db.session,
        mission_slug=request.args.get("mission") or None,
        include_drafts=current_user_holds(Role.OFFICER),
    )
    return render_template("codesign/index.html", processes=processes)
