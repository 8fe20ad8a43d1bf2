from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask import Response as FlaskResponse
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from engage import mail
from engage.accounts import services
from engage.accounts.forms import (
    AGE_BAND_LABELS,
    PREFER_NOT_TO_SAY,
    AboutYouForm,
    ChangePasswordForm,
    NewPasswordForm,
    RegisterForm,
    ResetRequestForm,
    RolesForm,
    SignInForm,
    UserSearchForm,
)
from engage.errors import DomainError
from engage.extensions import db, limiter
from engage.forms import requested_page
from engage.security import STAFF_ROLES, Role, public, roles_required, safe_next_url, signed_in

bp = Blueprint("accounts", __name__)

SIGN_IN_LIMIT_PER_EMAIL = "5 per 15 minutes"
SIGN_IN_LIMIT_PER_ADDRESS = "20 per 15 minutes"


def _sign_in_email_key() -> str:
    return "sign-in:" + services.normalise_email(request.form.get("email", ""))[:254]


def _sign_in_throttled(limit: RequestLimit) -> FlaskResponse:
    """The sign-in form again, with one message whether or not the account exists."""
    form = SignInForm()
    form.email.errors = [_("Too many sign-in attempts. Wait 15 minutes, then try again.")]
    return current_app.make_response((render_template("accounts/sign_in.html", form=form), 429))


@bp.route("/register", methods=["GET", "POST"])
@public
def register() -> str | Response:
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register_resident(
                db.session,
                display_name=form.display_name.data or "",
                email=form.email.data or "",
                password=form.password.data or "",
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            login_user(user)
            flash(_("Welcome, %(name)s. Your account is ready.", name=user.display_name), "success")
            return redirect(url_for("pages.home"))
    return render_template("accounts/register.html", form=form)


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit(
    SIGN_IN_LIMIT_PER_ADDRESS,
    methods=["POST"],
    on_breach=_sign_in_throttled,
    scope="sign-in-address",
)
@limiter.limit(
    SIGN_IN_LIMIT_PER_EMAIL,
    methods=["POST"],
    key_func=_sign_in_email_key,
    on_breach=_sign_in_throttled,
    scope="sign-in-email",
)
def sign_in() -> str | Response:
    form = SignInForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                db.session, form.email.data or "", form.password.data or ""
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            login_user(user, remember=bool(form.remember.data))
            return redirect(safe_next_url(request.args.get("next"), url_for("pages.home")))
    return render_template("accounts/sign_in.html", form=form)


@bp.route("/sign-out", methods=["POST"])
@public
def sign_out() -> Response:
    logout_user()
    flash(_("You have signed out."), "success")
    return redirect(url_for("pages.home"))


@bp.route("/reset-password", methods=["GET", "POST"])
@public
def request_reset() -> str | Response:
    form = ResetRequestForm()
    if form.validate_on_submit():
        reset = services.request_password_reset(
            db.session, form.email.data or "", current_app.config["SECRET_KEY"]
        )
        if reset.user is not None and reset.token is not None:
            link = current_app.config["BASE_URL"].rstrip("/") + url_for(
                "accounts.reset_password", token=reset.token
            )
            mail.send(
                mail.Mail(
                    to=reset.user.email,
                    subject=_("Reset your engage password"),
                    body=render_template("accounts/reset_mail.txt", user=reset.user, link=link),
                )
            )
        # The same answer whether or not the address has an account.
        flash(
            _("If that address has an account, we have sent it a link to choose a new password."),
            "success",
        )
        return redirect(url_for("accounts.sign_in"))
    return render_template("accounts/request_reset.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str) -> str | Response:
    config = current_app.config
    form = NewPasswordForm()
    try:
        services.user_for_reset_token(
            db.session, token, config["SECRET_KEY"], config["PASSWORD_RESET_MAX_AGE"]
        )
    except DomainError as error:
        flash(error.translated(), "error")
        return redirect(url_for("accounts.request_reset"))
    if form.validate_on_submit():
        try:
            services.reset_password(
                db.session,
                token,
                form.password.data or "",
                secret_key=config["SECRET_KEY"],
                max_age=config["PASSWORD_RESET_MAX_AGE"],
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Your password has been changed. Sign in with the new one."), "success")
            return redirect(url_for("accounts.sign_in"))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/account", methods=["GET"])
@signed_in
def account() -> str:
    profile = services.get_demographics(db.session, current_user)
    return render_template(
        "accounts/account.html",
        user=current_user,
        profile=profile,
        age_band_label=AGE_BAND_LABELS[profile.age_band] if profile else None,
    )


@bp.route("/account/about-you", methods=["GET", "POST"])
@signed_in
def about_you() -> tuple[str, int] | Response:
    profile = services.get_demographics(db.session, current_user)
    form = AboutYouForm(
        data={
            "age_band": profile.age_band.value if profile else PREFER_NOT_TO_SAY,
            "consent": profile is not None,
        }
    )
    if form.validate_on_submit():
        band = form.chosen_band()
        try:
            change = services.set_demographics(
                db.session, current_user, band, consent=bool(form.consent.data)
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_about_you_message(change, band_given=band is not None), "success")
            return redirect(url_for("accounts.account"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/about_you.html", form=form, profile=profile), status


def _about_you_message(change: services.DemographicsChange, *, band_given: bool) -> str:
    if change is services.DemographicsChange.SAVED:
        message = _("Thank you. Your age band is saved for use in anonymised evaluations.")
    elif change is services.DemographicsChange.DELETED:
        message = _("Your age band has been deleted. It will not be used in any new evaluation.")
    elif band_given:
        message = _(
            "Your age band has not been stored: tick the box if you agree to its use in "
            "evaluations."
        )
    else:
        message = _("Nothing is stored about your age.")
    return str(message)


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password() -> str | Response:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                db.session,
                current_user,
                current=form.current_password.data or "",
                new=form.password.data or "",
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/change_password.html", form=form)


def _role_choices() -> list[tuple[str, str]]:
    labels = {
        Role.OFFICER: _("Engagement officer"),
        Role.EVALUATOR: _("Evaluator"),
        Role.ADMIN: _("Administrator"),
    }
    return [(role.value, labels[role]) for role in STAFF_ROLES]


@bp.route("/admin/users", methods=["GET"])
@roles_required(Role.ADMIN)
def users() -> str:
    form = UserSearchForm(request.args)
    search = form.q.data if form.validate() else ""
    page = requested_page()
    people = services.list_users(db.session, search=search or "", page=page)
    return render_template("accounts/users.html", form=form, users=people, page=page)


@bp.route("/admin/users/<int:user_id>/roles", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_roles(user_id: int) -> str | Response:
    person = services.require_user(db.session, user_id)
    form = RolesForm(role_choices=_role_choices(), data={"roles": sorted(person.roles)})
    if form.validate_on_submit():
        try:
            services.set_roles(
                db.session,
                user_id,
                {Role(value) for value in form.roles.data or []},
                actor=current_user,
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Roles saved for %(name)s.", name=person.display_name), "success")
            return redirect(url_for("accounts.users"))
    return render_template("accounts/roles.html", form=form, person=person)
