"""Juries: setting a jury up, the public volunteer page, the pool, quotas and feasibility."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import Response as FlaskResponse
from flask import session as browser_session
from flask_babel import format_date, gettext
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from flask_login import current_user
from werkzeug.wrappers import Response

from engage.errors import N_, DomainError, NotFound
from engage.extensions import db, limiter
from engage.forms import BaseForm, local_from_utc, requested_mission, requested_page, utc_from_local
from engage.juries import services, uploads
from engage.juries.forms import (
    JURY_STATUS,
    MEMBER_SOURCE,
    FeatureForm,
    ImportConfirmForm,
    JuryForm,
    NewJuryForm,
    OfficerForm,
    PoolUploadForm,
    QuotasUploadForm,
    RelaxForm,
    VolunteerForm,
    quota_form,
    shares_form,
    volunteer_form,
)
from engage.juries.models import Jury, JuryStatus
from engage.juries.pooldata import PoolFileError, RowError
from engage.security import Role, current_user_holds, public, roles_required

bp = Blueprint("juries", __name__, url_prefix="/juries")
officer = roles_required(Role.OFFICER)

VOLUNTEER_LIMIT = "10 per hour"
# Where the volunteer's own pseudonym waits in their (signed) session cookie for the thank-you page.
PSEUDONYM_KEY = "jury_pseudonym"


@bp.context_processor
def labels() -> dict[str, object]:
    return {"JURY_STATUS": JURY_STATUS, "MEMBER_SOURCE": MEMBER_SOURCE}


# --- Helpers --------------------------------------------------------------------------------------


def _user() -> Any:
    return current_user if current_user.is_authenticated else None


def _jury_page(jury_id: int) -> Response:
    return redirect(url_for("juries.show", jury_id=jury_id))


def _jury_fields(form: JuryForm) -> services.JuryFields:
    return services.JuryFields(
        title=form.title.data or "",
        question=form.question.data or "",
        panel_size=form.panel_size.data or 0,
        purpose=form.purpose.data or "",
        registration_opens=utc_from_local(form.registration_opens.data),
        registration_closes=utc_from_local(form.registration_closes.data),
        retention_until=form.retention_until.data,  # type: ignore[arg-type]  # InputRequired
        household_rule=bool(form.household_rule.data),
        status=form.status.data,
    )


def _row_errors(errors: list[RowError]) -> list[dict[str, Any]]:
    """Each problem of an uploaded file, translated for the reader."""
    files = {"people": _("People file"), "quotas": _("Quotas file")}
    return [
        {
            "file": files.get(error.file, error.file),
            "line": error.line or None,
            "column": error.column,
            "message": gettext(error.message, **error.params),
        }
        for error in errors
    ]


def _upload_base() -> Path:
    return uploads.base_folder(current_app.instance_path)


def _manager_context(jury: Jury) -> dict[str, Any]:
    return {"jury": jury, "frozen": services.is_frozen(jury)}


# --- Juries ---------------------------------------------------------------------------------------


@bp.route("/", methods=["GET"])
@public
def index() -> str:
    staff = current_user_holds(Role.OFFICER)
    # A mission's slug: no NUL (PostgreSQL cannot compare it), no longer than a slug can be.
    mission = requested_mission()
    listings = services.list_juries(db.session, include_drafts=staff, mission_slug=mission)
    return render_template("juries/index.html", listings=listings, staff=staff)


@bp.route("/new", methods=["GET", "POST"])
@officer
def create() -> str | Response:
    missions = services.list_missions_for_juries(db.session)
    form = NewJuryForm(missions=missions)
    if request.method == "GET":
        wanted = request.args.get("mission", type=int)
        if wanted is not None:
            form.mission_id.data = wanted
    if form.validate_on_submit():
        try:
            jury = services.create_jury(
                db.session, form.mission_id.data, _jury_fields(form), actor=current_user
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Jury created. Now add its features and quotas."), "success")
            return _jury_page(jury.id)
    return render_template("juries/edit.html", form=form, jury=None)


@bp.route("/<int:jury_id>", methods=["GET"])
@public
def show(jury_id: int) -> str:
    jury = services.get_jury(db.session, jury_id)
    manager = services.can_manage(db.session, jury.id, _user())
    if jury.status is JuryStatus.DRAFT and not current_user_holds(Role.OFFICER):
        raise NotFound(N_("No such jury."))
    return render_template(
        "juries/show.html",
        jury=jury,
        mission=services.get_mission_of(db.session, jury),
        features=services.list_features(db.session, jury.id),
        members=services.count_members(db.session, jury.id),
        officers=services.list_officers(db.session, jury.id) if manager else [],
        manager=manager,
        frozen=services.is_frozen(jury),
        registration_open=services.registration_is_open(jury),
    )


@bp.route("/<int:jury_id>/edit", methods=["GET", "POST"])
@officer
def edit(jury_id: int) -> str | Response:
    jury = services.require_manager(db.session, jury_id, current_user)
    form = JuryForm(obj=jury)
    if request.method == "GET":  # stored in UTC, typed in the deployment's time zone
        form.registration_opens.data = local_from_utc(jury.registration_opens)
        form.registration_closes.data = local_from_utc(jury.registration_closes)
    if form.validate_on_submit():
        try:
            services.update_jury(db.session, jury_id, _jury_fields(form), actor=current_user)
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Jury saved."), "success")
            return _jury_page(jury_id)
    return render_template("juries/edit.html", form=form, **_manager_context(jury))


# --- Officers -------------------------------------------------------------------------------------


@bp.route("/<int:jury_id>/officers", methods=["GET", "POST"])
@officer
def officers(jury_id: int) -> str | Response:
    jury = services.require_manager(db.session, jury_id, current_user)
    form = OfficerForm()
    if form.validate_on_submit():
        try:
            added = services.add_officer(
                db.session, jury_id, form.email.data or "", actor=current_user
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("%(name)s is now an officer of this jury.", name=added.display_name), "success")
            return redirect(url_for("juries.officers", jury_id=jury_id))
    return render_template(
        "juries/officers.html",
        form=form,
        officers=services.list_officers(db.session, jury_id),
        **_manager_context(jury),
    )


@bp.route("/<int:jury_id>/officers/<int:user_id>/remove", methods=["POST"])
@officer
def remove_officer(jury_id: int, user_id: int) -> Response:
    form = BaseForm()
    if form.validate_on_submit():
        try:
            services.remove_officer(db.session, jury_id, user_id, actor=current_user)
        except DomainError as error:
            if error.status == 403:
                raise
            flash(error.translated(), "error")
        else:
            flash(_("Officer removed from this jury."), "success")
    return redirect(url_for("juries.officers", jury_id=jury_id))


# --- Features -------------------------------------------------------------------------------------


def _feature_fields(form: FeatureForm) -> services.FeatureFields:
    return services.FeatureFields(
        label=form.label.data or "",
        key=form.key.data or "",
        values=form.value_lines(),
        allow_prefer_not_to_say=bool(form.allow_prefer_not_to_say.data),
    )


@bp.route("/<int:jury_id>/features", methods=["GET", "POST"])
@officer
def features(jury_id: int) -> str | Response:
    jury = services.require_manager(db.session, jury_id, current_user)
    form = FeatureForm()
    if form.validate_on_submit():
        try:
            services.add_feature(db.session, jury_id, _feature_fields(form), actor=current_user)
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Feature added."), "success")
            return redirect(url_for("juries.features", jury_id=jury_id))
    return render_template(
        "juries/features.html",
        form=form,
        features=services.list_features(db.session, jury_id),
        members=services.count_members(db.session, jury_id),
        **_manager_context(jury),
    )


@bp.route("/<int:jury_id>/features/<int:feature_id>", methods=["GET", "POST"])
@officer
def edit_feature(jury_id: int, feature_id: int) -> str | Response:
    jury = services.require_manager(db.session, jury_id, current_user)
    feature = services.get_feature(db.session, jury_id, feature_id)
    form = FeatureForm(
        data={
            "label": feature.label,
            "key": feature.key,
            "values": "\n".join(v.key for v in feature.values if not v.is_prefer_not_to_say),
            "allow_prefer_not_to_say": feature.allow_prefer_not_to_say,
        }
    )
    if form.validate_on_submit():
        try:
            services.update_feature(
                db.session, jury_id, feature_id, _feature_fields(form), actor=current_user
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Feature saved."), "success")
            return redirect(url_for("juries.features", jury_id=jury_id))
    return render_template(
        "juries/feature_form.html", form=form, feature=feature, **_manager_context(jury)
    )


@bp.route("/<int:jury_id>/features/<int:feature_id>/remove", methods=["POST"])
@officer
def remove_feature(jury_id: int, feature_id: int) -> Response:
    form = BaseForm()
    if form.validate_on_submit():
        try:
            services.remove_feature(db.session, jury_id, feature_id, actor=current_user)
        except DomainError as error:
            if error.status in (403, 404):
                raise
            flash(error.translated(), "error")
        else:
            flash(_("Feature removed, with its quotas and everyone's answer to it."), "success")
    return redirect(url_for("juries.features", jury_id=jury_id))


# --- The public volunteer page --------------------------------------------------------------------


def _purpose_and_date(jury: Jury) -> dict[str, str]:
    """The purpose (as a sentence) and the deletion date that every consent statement names."""
    purpose = jury.purpose.rstrip()
    return {
        "purpose": purpose if purpose.endswith(".") else purpose + ".",
        "date": format_date(jury.retention_until, "long"),
    }


def _consent_text(jury: Jury) -> str:
    """What the volunteer agrees to, shown beside the box and stored word for word."""
    return str(
        _(
            "I agree that my contact details and my answers to the questions above, which may "
            "include special categories of personal data (such as ethnicity or health), are used "
            "for this purpose: %(purpose)s My personal data will be deleted by %(date)s at the "
            "latest.",
            **_purpose_and_date(jury),
        )
    )


def _volunteer_form(jury: Jury) -> VolunteerForm:
    return volunteer_form(services.list_features(db.session, jury.id), _("Prefer not to say"))


def _volunteer_page(jury: Jury, form: VolunteerForm | None) -> str:
    consent_text = _consent_text(jury)
    if form is not None:  # the consent text sits beside the box, tied to it for screen readers
        form.consent.description = consent_text
    return render_template(
        "juries/volunteer.html",
        jury=jury,
        form=form,
        consent_text=consent_text,
        registration_open=services.registration_is_open(jury),
        now=datetime.now(UTC),
    )


def _volunteer_jury(jury_slug: str) -> Jury:
    jury = services.get_jury_by_slug(db.session, jury_slug)
    if jury.status is JuryStatus.DRAFT and not services.can_manage(db.session, jury.id, _user()):
        raise NotFound(N_("No such jury."))
    return jury


def _volunteer_throttled(limit: RequestLimit) -> FlaskResponse:
    """The form again, with what the person typed, and a message to wait."""
    jury = _volunteer_jury((request.view_args or {}).get("jury_slug", ""))
    form = _volunteer_form(jury)
    form.form_errors.append(
        _("Too many registrations from this connection. Wait an hour, then try again.")
    )
    return current_app.make_response((_volunteer_page(jury, form), 429))


@bp.route("/<jury_slug>/volunteer", methods=["GET", "POST"])
@public
@limiter.limit(
    VOLUNTEER_LIMIT, methods=["POST"], on_breach=_volunteer_throttled, scope="jury-volunteer"
)
def volunteer(jury_slug: str) -> str | Response:
    jury = _volunteer_jury(jury_slug)
    if not services.registration_is_open(jury):
        return _volunteer_page(jury, None)
    form = _volunteer_form(jury)
    thanks = redirect(url_for("juries.volunteer_thanks", jury_slug=jury.slug))
    if request.method == "POST" and form.website.data:
        # A bot filled the hidden field: the same answer (a session cookie set, as for a person),
        # but nothing stored and no pseudonym.
        browser_session.modified = True
        return thanks
    if form.validate_on_submit():
        try:
            member, _created = services.register_volunteer(
                db.session,
                jury.id,
                services.VolunteerFields(
                    name=form.name.data or "",
                    email=form.email.data or "",
                    phone=form.phone.data or "",
                    address_line1=form.address_line1.data or "",
                    address_line2=form.address_line2.data or "",
                    city=form.city.data or "",
                    postcode=form.postcode.data or "",
                    answers=form.answers(),
                    consent=bool(form.consent.data),
                ),
                consent_text=_consent_text(jury),
                user=_user(),
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            # Only a stored registration has a pseudonym: the bot above gets the page without.
            browser_session[PSEUDONYM_KEY] = {"jury": jury.id, "pseudonym": member.pseudonym}
            return thanks
    return _volunteer_page(jury, form)


@bp.route("/<jury_slug>/volunteer/thanks", methods=["GET"])
@public
def volunteer_thanks(jury_slug: str) -> FlaskResponse:
    """Thanks, and the volunteer's pseudonym (shown once, to them alone: the public draw page
    lists the panel by pseudonym, so they can see for themselves whether they were drawn)."""
    jury = _volunteer_jury(jury_slug)
    waiting = browser_session.pop(PSEUDONYM_KEY, None)
    pseudonym = (
        waiting.get("pseudonym")
        if isinstance(waiting, dict) and waiting.get("jury") == jury.id
        else None
    )
    response = current_app.make_response(
        render_template("juries/volunteer_thanks.html", jury=jury, pseudonym=pseudonym)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# --- The pool -------------------------------------------------------------------------------------


@bp.route("/<int:jury_id>/pool", methods=["GET"])
@officer
def pool(jury_id: int) -> str:
    jury = services.get_jury(db.session, jury_id)
    manager = services.can_manage(db.session, jury_id, current_user)
    page = requested_page()
    summary = services.pool_summary(db.session, jury_id)
    labels = {v.value_id: v.label for f in summary.features for v in f.values}
    return render_template(
        "juries/pool.html",
        summary=summary,
        members=services.list_members(db.session, jury_id, page=page),
        per_page=services.MEMBERS_PER_PAGE,
        page=page,
        manager=manager,
        value_labels=labels,
        export_form=BaseForm(),
        **_manager_context(jury),
    )


@bp.route("/<int:jury_id>/pool/import", methods=["GET", "POST"])
@officer
def import_pool(jury_id: int) -> str | Response:
    jury = services.require_manager(db.session, jury_id, current_user)
    form = PoolUploadForm()
    errors: list[dict[str, Any]] = []
    if form.validate_on_submit():
        people = form.people.data.read()
        quotas = form.quotas.data.read() if form.quotas.data else None
        replace = bool(form.replace.data)
        try:
            services.preview_import(
                db.session, jury_id, people, quotas, replace=replace, user=current_user
            )
        except PoolFileError as error:
            errors = _row_errors(error.errors)
        except DomainError as error:
            if error.status in (403, 404):
                raise
            form.show_domain_error(error)
        else:
            token = uploads.stage(_upload_base(), jury_id, people, quotas, replace=replace)
            return redirect(url_for("juries.confirm_import", jury_id=jury_id, upload=token))
    return render_template("juries/import.html", form=form, errors=errors, **_manager_context(jury))


def _attestation(jury: Jury) -> str:
    """What the officer confirms for an imported file, stored as each person's consent."""
    return str(
        _(
            "Imported by an officer who confirmed that every person in the file agreed that their "
            "contact details and answers, which may include special categories of personal data, "
            "are used for this purpose: %(purpose)s Their personal data will be deleted by %(date)s "
            "at the latest.",
            **_purpose_and_date(jury),
        )
    )


@bp.route("/<int:jury_id>/pool/import/<upload>", methods=["GET", "POST"])
@officer
def confirm_import(jury_id: int, upload: str) -> str | Response:
    jury = services.require_manager(db.session, jury_id, current_user)
    staged = uploads.load(_upload_base(), jury_id, upload)
    if staged is None:
        flash(
            _("This upload has expired or was already imported. Upload the files again."), "error"
        )
        return redirect(url_for("juries.import_pool", jury_id=jury_id))
    form = ImportConfirmForm()
    try:
        preview = services.preview_import(
            db.session,
            jury_id,
            staged.people,
            staged.quotas,
            replace=staged.replace,
            user=current_user,
        )
    except PoolFileError as error:  # the jury changed since the upload
        uploads.discard(_upload_base(), jury_id, upload)
        return render_template(
            "juries/import.html",
            form=PoolUploadForm(formdata=None),
            errors=_row_errors(error.errors),
            **_manager_context(jury),
        )
    except DomainError as error:
        if error.status in (403, 404):
            raise
        flash(error.translated(), "error")
        return redirect(url_for("juries.import_pool", jury_id=jury_id))
    if form.validate_on_submit():
        try:
            summary = services.import_pool(
                db.session,
                jury_id,
                staged.people,
                staged.quotas,
                replace=staged.replace,
                consent_text=_attestation(jury),
                actor=current_user,
            )
        except PoolFileError:
            flash(_("The files no longer fit this jury. Upload them again."), "error")
            return redirect(url_for("juries.import_pool", jury_id=jury_id))
        except DomainError as error:
            form.show_domain_error(error)
        else:
            uploads.discard(_upload_base(), jury_id, upload)
            flash(
                _(
                    "Pool imported: %(created)s added, %(updated)s updated, %(removed)s removed.",
                    created=summary.created,
                    updated=summary.updated,
                    removed=summary.removed,
                ),
                "success",
            )
            return redirect(url_for("juries.pool", jury_id=jury_id))
    form.attest.description = _attestation(jury)
    return render_template(
        "juries/import_preview.html",
        form=form,
        preview=preview,
        replace=staged.replace,
        **_manager_context(jury),
    )


def _csv_download(text: str, filename: str) -> FlaskResponse:
    response = current_app.response_class(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:jury_id>/pool/export", methods=["POST"])
@officer
def export_pool(jury_id: int) -> FlaskResponse | Response:
    form = BaseForm()
    if not form.validate_on_submit():
        return redirect(url_for("juries.pool", jury_id=jury_id))
    try:
        text = services.export_pool_csv(db.session, jury_id, actor=current_user)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        flash(error.translated(), "error")
        return redirect(url_for("juries.pool", jury_id=jury_id))
    jury = services.get_jury(db.session, jury_id)
    return _csv_download(text, f"{jury.slug}-people.csv")


# --- Quotas ---------------------------------------------------------------------------------------


@bp.route("/<int:jury_id>/quotas", methods=["GET", "POST"])
@officer
def quotas(jury_id: int) -> str | Response:
    jury = services.require_manager(db.session, jury_id, current_user)
    features = services.list_features(db.session, jury_id)
    form = quota_form(features, jury.panel_size)
    if form.validate_on_submit():
        try:
            services.set_quotas(db.session, jury_id, form.bounds(), actor=current_user)
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Quotas saved."), "success")
            return redirect(url_for("juries.quotas", jury_id=jury_id))
    return render_template(
        "juries/quotas.html", form=form, features=features, **_manager_context(jury)
    )


@bp.route("/<int:jury_id>/quotas/import", methods=["GET", "POST"])
@officer
def import_quotas(jury_id: int) -> str | Response:
    jury = services.require_manager(db.session, jury_id, current_user)
    form = QuotasUploadForm()
    errors: list[dict[str, Any]] = []
    if form.validate_on_submit():
        try:
            imported = services.import_quotas(
                db.session, jury_id, form.quotas.data.read(), actor=current_user
            )
        except PoolFileError as error:
            errors = _row_errors(error.errors)
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("%(count)s quotas imported.", count=len(imported)), "success")
            return redirect(url_for("juries.quotas", jury_id=jury_id))
    return render_template(
        "juries/quotas_import.html", form=form, errors=errors, **_manager_context(jury)
    )


@bp.route("/<int:jury_id>/quotas/propose", methods=["GET", "POST"])
@officer
def propose_quotas(jury_id: int) -> str | Response:
    jury = services.require_manager(db.session, jury_id, current_user)
    features = services.list_features(db.session, jury_id)
    form = shares_form(features)
    if form.validate_on_submit():
        try:
            proposed = services.propose_from_shares(
                db.session, jury_id, form.shares(), actor=current_user
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            if proposed:
                flash(
                    _("Quotas set from the population shares. Adjust them here if needed."),
                    "success",
                )
            else:
                flash(_("Shares saved; no quotas changed."), "success")
            return redirect(url_for("juries.quotas", jury_id=jury_id))
    return render_template(
        "juries/propose.html", form=form, features=features, **_manager_context(jury)
    )


@bp.route("/<int:jury_id>/quotas.csv", methods=["GET"])
@officer
def export_quotas(jury_id: int) -> FlaskResponse:
    jury = services.get_jury(db.session, jury_id)
    return _csv_download(
        services.export_quotas_csv(db.session, jury_id), f"{jury.slug}-features.csv"
    )


# --- Feasibility ----------------------------------------------------------------------------------


@bp.route("/<int:jury_id>/feasibility", methods=["GET"])
@officer
def feasibility(jury_id: int) -> str:
    jury = services.get_jury(db.session, jury_id)
    manager = services.can_manage(db.session, jury_id, current_user)
    problem: str | None = None
    result = None
    try:
        result = services.check_feasibility(db.session, jury_id)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        problem = error.translated()
    labels: dict[tuple[str, str], tuple[str, str]] = {
        (feature.key, value.key): (feature.label, value.label)
        for feature in services.list_features(db.session, jury_id)
        for value in feature.values
    }
    form = RelaxForm(
        formdata=None,
        data={
            "digest": services.relaxation_digest(result.relaxation)
            if result is not None and result.relaxation
            else ""
        },
    )
    reasons = [
        str(gettext(reason.template, **reason.params))
        for reason in (result.reasons if result else [])
    ]
    return render_template(
        "juries/feasibility.html",
        result=result,
        reasons=reasons,
        problem=problem,
        labels=labels,
        manager=manager,
        form=form,
        **_manager_context(jury),
    )


@bp.route("/<int:jury_id>/feasibility/relax", methods=["POST"])
@officer
def relax_quotas(jury_id: int) -> Response:
    form = RelaxForm()
    if form.validate_on_submit():
        try:
            changes = services.apply_relaxation(
                db.session, jury_id, digest=form.digest.data or "", actor=current_user
            )
        except DomainError as error:
            if error.status in (403, 404):
                raise
            flash(error.translated(), "error")
        else:
            flash(_("%(count)s quotas relaxed.", count=len(changes)), "success")
    else:
        services.require_manager(db.session, jury_id, current_user)
        flash(_("Nothing was changed. Check the proposal and try again."), "error")
    return redirect(url_for("juries.feasibility", jury_id=jury_id))
