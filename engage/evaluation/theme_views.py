"""Theme runs: start one on a filtered set, follow it, read it, adopt its themes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from engage import jobs
from engage.errors import DomainError
from engage.evaluation import frame, index, theme_runs
from engage.evaluation.forms import FilterForm, filter_args
from engage.evaluation.theme_forms import LANGUAGE_LABELS, ThemeRunForm
from engage.evaluation.theme_runs import RunState
from engage.evaluation.themes import Theme
from engage.extensions import db
from engage.forms import BaseForm, flash_refusal, show_refusal
from engage.missions.models import Mission
from engage.pages import progress_message
from engage.security import Role, roles_required

bp = Blueprint("evaluation_themes", __name__, url_prefix="/evaluation")
evaluator = roles_required(Role.EVALUATOR)


@bp.context_processor
def labels() -> dict[str, object]:
    return {
        "DOMAIN_LABELS": index.DOMAIN_LABELS,
        "LANGUAGE_LABELS": LANGUAGE_LABELS,
        "RunState": RunState,
        "theme_label": theme_label,
        "RUN_STATES": {
            RunState.WAITING: _("Waiting to start"),
            RunState.RUNNING: _("Running"),
            RunState.DONE: _("Themes found"),
            RunState.NO_THEMES: _("No themes"),
            RunState.FAILED: _("Failed"),
        },
    }


def theme_label(theme: Theme) -> str:
    """A theme's title in the reader's language, such as "Theme 3: pavements, crossings, speed"
    (themes count from 1 for people)."""
    keywords = ", ".join(keyword.label for keyword in theme.keywords[: theme_runs.NAME_KEYWORDS])
    if not keywords:
        return str(_("Theme %(number)s", number=theme.number + 1))
    return str(_("Theme %(number)s: %(keywords)s", number=theme.number + 1, keywords=keywords))


def _choices(mission: Mission) -> dict[str, Any]:
    """What the filter's lists offer: the index's areas and segments, the frame's codes."""
    summary = index.index_summary(db.session, mission.id)
    codes = [(code.id, code.name) for code in frame.list_codes(db.session, mission.id)]
    return {"areas": summary.areas, "segments": summary.segments, "codes": codes}


def _runs_page(
    mission: Mission, form: ThemeRunForm, filters: index.EvidenceFilter, status: int = 200
) -> tuple[str, int]:
    return render_template(
        "evaluation/themes/runs.html",
        mission=mission,
        form=form,
        matching=theme_runs.texts_matching(db.session, mission.id, filters),
        runs=theme_runs.list_runs(db.session, mission.id),
    ), status


@bp.route("/<slug>/themes", methods=["GET"])
@evaluator
def runs(slug: str) -> tuple[str, int]:
    mission = index.get_mission(db.session, slug)
    choices = _choices(mission)
    # The evidence page links here with its filter: the parts that make sense fill the form.
    filters = FilterForm(request.args, **choices).evidence_filter()
    prefill = {
        "query": filters.query,
        "domain": filters.domain or "",
        "date_from": filters.date_from,
        "date_to": filters.date_to,
        "area": filters.area or "",
        "segment": filters.segment or "",
        "code": str(filters.code_id) if filters.code_id else "",
    }
    form = ThemeRunForm(formdata=None, data=prefill, **choices)
    return _runs_page(mission, form, filters)


@bp.route("/<slug>/themes", methods=["POST"])
@evaluator
def start(slug: str) -> tuple[str, int] | Response:
    mission = index.get_mission(db.session, slug)
    form = ThemeRunForm(**_choices(mission))
    valid = form.validate_on_submit()
    filters = form.evidence_filter()  # validates again: read it before adding a service's error
    if not valid:
        return _runs_page(mission, form, filters, 400)
    try:
        run = theme_runs.start_theme_run(
            db.session,
            jobs.current_runner(),
            mission,
            filters,
            form.settings(),
            actor=current_user,
        )
    except DomainError as error:
        show_refusal(form, error)
        return _runs_page(mission, form, filters, 400)
    flash(
        ngettext(
            "Finding themes in %(num)s item.",
            "Finding themes in %(num)s items.",
            len(run.evidence_ids),
        ),
        "success",
    )
    return redirect(url_for("evaluation_themes.run", slug=slug, run_id=run.id))


@bp.route("/<slug>/themes/<int:run_id>", methods=["GET"])
@evaluator
def run(slug: str, run_id: int) -> str:
    mission = index.get_mission(db.session, slug)
    page = theme_runs.get_run_page(db.session, mission.id, run_id)
    return render_template(
        "evaluation/themes/run.html",
        mission=mission,
        page=page,
        query=filter_args(page.filters),
        adopt_form=BaseForm(),
    )


@bp.route("/<slug>/themes/<int:run_id>/status", methods=["GET"])
@evaluator
def run_status(slug: str, run_id: int) -> Response:
    """The run's progress in the shape static/js/job.js polls for (every evaluator of the
    mission may follow a run, not only the person who started it)."""
    mission = index.get_mission(db.session, slug)
    state, job = theme_runs.run_progress(db.session, mission.id, run_id)
    return jsonify(
        id=run_id,
        status=job.status.value if job is not None else "failed",
        finished=state.finished,
        progress=job.progress if job is not None else 100,
        message=progress_message(job) if job is not None else "",
    )


@bp.route("/<slug>/themes/<int:run_id>/adopt", methods=["POST"])
@evaluator
def adopt(slug: str, run_id: int) -> Response:
    mission = index.get_mission(db.session, slug)
    back = url_for("evaluation_themes.run", slug=slug, run_id=run_id)
    if not BaseForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(back)
    try:
        codes = theme_runs.adopt_themes(db.session, mission.id, run_id, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash_refusal(error)
        return redirect(back)
    flash(
        ngettext(
            "%(num)s theme added to the coding frame as a code, proposed for its items.",
            "%(num)s themes added to the coding frame as codes, each proposed for its items.",
            len(codes),
        ),
        "success",
    )
    return redirect(url_for("evaluation_frame.codes", slug=slug))
