"""engage: participatory engagement for mission-oriented cities."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, request
from flask_babel import get_locale, gettext
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    from engage import config as settings
    from engage import errors, jobs, mail, security
    from engage.accounts import services as accounts
    from engage.accounts.views import bp as accounts_bp
    from engage.advisory.meeting_views import bp as advisory_meetings_bp
    from engage.advisory.views import bp as advisory_bp
    from engage.advisory.workspace_views import bp as advisory_workspace_bp
    from engage.appraisals.instrument_views import bp as appraisal_instruments_bp
    from engage.appraisals.mapping_views import bp as appraisal_mapping_bp
    from engage.appraisals.project_views import bp as appraisal_projects_bp
    from engage.appraisals.review_views import bp as appraisal_review_bp
    from engage.appraisals.submission_views import bp as appraisal_submissions_bp
    from engage.codesign.manage_views import bp as codesign_manage_bp
    from engage.codesign.views import bp as codesign_bp
    from engage.db import begin_without_write_lock
    from engage.evaluation.coding_views import bp as evaluation_coding_bp
    from engage.evaluation.frame_views import bp as evaluation_frame_bp
    from engage.evaluation.outcome_views import bp as evaluation_outcomes_bp
    from engage.evaluation.package_views import bp as evaluation_package_bp
    from engage.evaluation.report_views import bp as evaluation_report_bp
    from engage.evaluation.theme_views import bp as evaluation_themes_bp
    from engage.evaluation.views import bp as evaluation_bp
    from engage.extensions import babel, csrf, db, limiter, login_manager
    from engage.juries.draw_views import bp as jury_draws_bp
    from engage.juries.views import bp as juries_bp
    from engage.missions.views import bp as missions_bp
    from engage.pages import bp as pages_bp

    instance_path = os.environ.get("ENGAGE_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=instance_path,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(settings.load(app.instance_path, config))
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals["get_locale"] = get_locale

    if app.config["PROXY_COUNT"]:
        # Behind a proxy, the client's address (which sign-in limits count) is in X-Forwarded-For.
        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_choose_locale)
    login_manager.init_app(app)

    @login_manager.user_loader
    def load_user(user_id: str) -> Any:
        user = accounts.get_user(db.session, int(user_id)) if user_id.isdigit() else None
        # Flask-Login checks is_active only when signing in; a deactivated account's session ends.
        return user if user is not None and user.is_active else None

    app.extensions["engage.jobs"] = jobs.make_runner(app)
    app.extensions["engage.mail"] = mail.make_backend(app)

    security.install_url_converters(app)
    for blueprint in (
        pages_bp,
        accounts_bp,
        missions_bp,
        codesign_bp,
        codesign_manage_bp,
        juries_bp,
        jury_draws_bp,
        advisory_bp,
        advisory_meetings_bp,
        advisory_workspace_bp,
        appraisal_projects_bp,
        appraisal_submissions_bp,
        appraisal_review_bp,
        appraisal_instruments_bp,
        appraisal_mapping_bp,
        evaluation_bp,
        evaluation_themes_bp,
        evaluation_frame_bp,
        evaluation_coding_bp,
        evaluation_outcomes_bp,
        evaluation_report_bp,
        evaluation_package_bp,
    ):
        app.register_blueprint(blueprint)
    undeclared = security.undeclared_endpoints(app)
    if undeclared:
        raise RuntimeError(f"routes without an access rule: {', '.join(undeclared)}")

    @app.before_request
    def reads_take_no_write_lock() -> None:
        if request.method in ("GET", "HEAD", "OPTIONS"):  # state changes only by POST
            begin_without_write_lock(db.session)

    app.before_request(security.enforce_access)
    app.after_request(security.add_security_headers)
    errors.register_error_pages(app)

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> tuple[str, int]:
        detail = gettext(
            "This form had expired or did not come from this site. Go back, reload the page and send it again."
        )
        return errors.render_error(400, detail), 400

    from engage.cli import register_commands

    register_commands(app)
    return app


def _choose_locale() -> str | None:
    from flask import current_app

    available = [current_app.config["BABEL_DEFAULT_LOCALE"]]
    translations = Path(current_app.config["BABEL_TRANSLATION_DIRECTORIES"])
    if translations.is_dir():
        available += [p.name for p in translations.iterdir() if (p / "LC_MESSAGES").is_dir()]
    return request.accept_languages.best_match(available)
