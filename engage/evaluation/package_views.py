"""The evidence package: what it holds, its filter, and the download (built in the request)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, send_file
from flask_login import current_user

from engage.disclosure import ROUND_TO, SMALL_COUNT
from engage.errors import DomainError
from engage.evaluation import frame, index
from engage.evaluation import package as evidence_package
from engage.evaluation.forms import FilterFields
from engage.extensions import db
from engage.forms import show_refusal
from engage.missions.models import Mission
from engage.security import Role, roles_required

bp = Blueprint("evaluation_package", __name__, url_prefix="/evaluation")
evaluator = roles_required(Role.EVALUATOR)


def _form(mission: Mission, formdata: Any = None) -> FilterFields:
    summary = index.index_summary(db.session, mission.id)
    codes = [(code.id, code.name) for code in frame.list_codes(db.session, mission.id)]
    if formdata is None:
        return FilterFields(areas=summary.areas, segments=summary.segments, codes=codes)
    return FilterFields(
        formdata=formdata, areas=summary.areas, segments=summary.segments, codes=codes
    )


def _page(mission: Mission, form: FilterFields, status: int = 200) -> tuple[str, int]:
    return render_template(
        "evaluation/package.html",
        mission=mission,
        form=form,
        summary=index.index_summary(db.session, mission.id),
        small_count=SMALL_COUNT,
        round_to=ROUND_TO,
        segment_minimum=evidence_package.SEGMENT_MINIMUM,
    ), status


@bp.route("/<slug>/package", methods=["GET"])
@evaluator
def package(slug: str) -> tuple[str, int]:
    mission = index.get_mission(db.session, slug)
    # Arriving from the evidence page, the form shows its filter.
    return _page(mission, _form(mission, request.args))


@bp.route("/<slug>/package", methods=["POST"])
@evaluator
def download(slug: str) -> Any:
    mission = index.get_mission(db.session, slug)
    form = _form(mission)
    if not form.validate_on_submit():
        return _page(mission, form, 400)
    try:
        archive = evidence_package.build_archive(
            db.session, mission, filters=form.evidence_filter(), actor=current_user
        )
    except DomainError as error:
        show_refusal(form, error)
        return _page(mission, form, 400)
    response = send_file(
        archive.file,
        mimetype="application/zip",
        as_attachment=True,
        download_name=archive.filename,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
