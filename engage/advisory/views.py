"""Advisory group pages: the groups, their members, terms and interests. Anyone may read a group's
page; only officers set groups up and manage membership; a member keeps their own declared
interests up to date."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from engage.advisory import services, workspace
from engage.advisory.forms import (
    MEMBER_ROLE,
    SEAT_FILLING,
    SEAT_FILLING_HINT,
    EndMembershipForm,
    GroupForm,
    InterestsForm,
    MemberForm,
    RoleForm,
)
from engage.advisory.models import AdvisoryGroup, Membership
from engage.errors import DomainError
from engage.extensions import db
from engage.forms import BaseForm, form_values, requested_mission, show_refusal
from engage.security import Role, current_user_holds, holds, public, roles_required, signed_in

bp = Blueprint("advisory", __name__, url_prefix="/advisory")
officer = roles_required(Role.OFFICER)


@bp.context_processor
def labels() -> dict[str, object]:
    return {
        "SEAT_FILLING": SEAT_FILLING,
        "SEAT_FILLING_HINT": SEAT_FILLING_HINT,
        "MEMBER_ROLE": MEMBER_ROLE,
    }


# --- Helpers --------------------------------------------------------------------------------------


def _user() -> Any:
    return current_user if current_user.is_authenticated else None


def _group_page(slug: str) -> Response:
    return redirect(url_for("advisory.show", group_slug=slug))


def _members_page(slug: str) -> Response:
    return redirect(url_for("advisory.members", group_slug=slug))


# --- Groups ---------------------------------------------------------------------------------------


@bp.route("/", methods=["GET"])
@public
def index() -> str:
    staff = current_user_holds(Role.OFFICER)
    # A mission's slug: no NUL (PostgreSQL cannot compare it), no longer than a slug can be.
    mission = requested_mission()
    groups = services.list_groups(db.session, mission_slug=mission, include_drafts=staff)
    return render_template("advisory/index.html", groups=groups, staff=staff, mission=mission)


@bp.route("/<group_slug>", methods=["GET"])
@public
def show(group_slug: str) -> str:
    viewer = _user()
    group = services.get_group(db.session, group_slug, viewer=viewer)
    today = date.today()
    staff = holds(viewer, Role.OFFICER)
    members = services.current_members(group, today)
    return render_template(
        "advisory/show.html",
        group=group,
        members=members,
        register=services.register_of_interests(members, viewer),
        viewer_id=viewer.id if viewer is not None else None,
        overdue=workspace.overdue_responses(db.session, group, today),
        is_member=services.is_member(group, viewer, today),
        rotation=services.rotation(group, today) if staff else None,
        staff=staff,
    )


def _jury_choices() -> list[tuple[int, str]]:
    return [
        (jury_id, _("%(jury)s (%(mission)s)", jury=title, mission=mission))
        for jury_id, title, mission in services.jury_choices(db.session)
    ]


def _group_form(**kwargs: Any) -> GroupForm:
    missions = [(mission.id, mission.title) for mission in services.mission_choices(db.session)]
    return GroupForm(missions=missions, juries=_jury_choices(), **kwargs)


@bp.route("/new", methods=["GET", "POST"])
@officer
def new() -> str | Response:
    form = _group_form()
    if request.method == "GET":
        form.responsible_officer_email.data = current_user.email
    if form.validate_on_submit():
        try:
            group = services.create_group(
                db.session, form_values(form, services.GroupFields), actor=current_user
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("Advisory group created. Now add its members."), "success")
            return _group_page(group.slug)
    return render_template("advisory/edit.html", form=form, group=None)


@bp.route("/<group_slug>/edit", methods=["GET", "POST"])
@officer
def edit(group_slug: str) -> str | Response:
    group = services.get_group(db.session, group_slug, viewer=current_user)
    prefill = services.as_fields(group) if request.method == "GET" else None
    form = _group_form(data=prefill)
    if form.validate_on_submit():
        try:
            group = services.update_group(
                db.session, group_slug, form_values(form, services.GroupFields), actor=current_user
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("Advisory group saved."), "success")
            return _group_page(group.slug)
    return render_template("advisory/edit.html", form=form, group=group)


# --- Members --------------------------------------------------------------------------------------


def _for_row(form: BaseForm, membership_id: int) -> BaseForm:
    """Give the fields of a form repeated on every row ids of their own, so each label, hint and
    error is tied to its own input."""
    for row_field in form:
        row_field.id = f"{row_field.name}-{membership_id}"
        row_field.label.field_id = row_field.id
    return form


@dataclass
class RowForms:
    role: BaseForm
    end: BaseForm


@dataclass(frozen=True)
class Refused:
    """A row's form the service or the form refused: which membership, which form, as sent."""

    membership_id: int
    which: str  # "role" or "end", as in RowForms
    form: BaseForm


@dataclass
class MembersPage:
    current: list[tuple[Membership, RowForms]] = field(default_factory=list)
    upcoming: list[tuple[Membership, RowForms]] = field(default_factory=list)
    past: list[Membership] = field(default_factory=list)


def _members_by_state(group: AdvisoryGroup, today: date, refused: Refused | None) -> MembersPage:
    """Current, future and past memberships; current and future ones with their role and end
    forms (the refused one, if any, as it was sent, with its errors)."""
    page = MembersPage()
    for membership in group.memberships:
        if membership.ended_on is not None or membership.term_end <= today:
            page.past.append(membership)
            continue
        forms = RowForms(
            role=RoleForm(formdata=None, data={"role": membership.role}),
            end=EndMembershipForm(formdata=None, data={"ended_on": today}),
        )
        if refused is not None and refused.membership_id == membership.id:
            setattr(forms, refused.which, refused.form)
        _for_row(forms.role, membership.id)
        _for_row(forms.end, membership.id)
        rows = page.current if membership.is_current(today) else page.upcoming
        rows.append((membership, forms))
    return page


def _render_members(
    group: AdvisoryGroup,
    add_form: MemberForm,
    *,
    refused: Refused | None = None,
) -> str:
    today = date.today()
    return render_template(
        "advisory/members.html",
        group=group,
        form=add_form,
        page=_members_by_state(group, today, refused),
        refused=refused.form if refused else None,
        rotation=services.rotation(group, today),
    )


def _new_member_form(group: AdvisoryGroup, *, sent: bool) -> MemberForm:
    """The add-member form as sent, or blank with the group's usual way of filling seats and
    today's date."""
    if sent:
        return MemberForm()
    return MemberForm(formdata=None, data={"filled_by": group.filling, "term_start": date.today()})


@bp.route("/<group_slug>/members", methods=["GET", "POST"])
@officer
def members(group_slug: str) -> str | Response:
    group = services.get_group(db.session, group_slug, viewer=current_user)
    form = _new_member_form(group, sent=request.method == "POST")
    if form.validate_on_submit():
        try:
            membership = services.add_member(
                db.session,
                group.slug,
                form_values(form, services.MemberFields),
                actor=current_user,
                today=date.today(),
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("%(name)s joined the group.", name=membership.user.display_name), "success")
            return _members_page(group.slug)
    return _render_members(group, form)


def _refused_row(membership: Membership, which: str, form: BaseForm) -> tuple[str, int]:
    """The members page again, the refused row's form showing what was sent and why not."""
    blank = _new_member_form(membership.group, sent=False)
    return _render_members(
        membership.group, blank, refused=Refused(membership.id, which, form)
    ), 400


@bp.route("/memberships/<int:membership_id>/role", methods=["POST"])
@officer
def change_role(membership_id: int) -> Response | tuple[str, int]:
    membership = services.get_membership(db.session, membership_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            services.change_role(
                db.session, membership_id, form.role.data, actor=current_user, today=date.today()
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(
                _(
                    "%(name)s is now %(role)s.",
                    name=membership.user.display_name,
                    role=MEMBER_ROLE[membership.role],
                ),
                "success",
            )
            return _members_page(membership.group.slug)
    return _refused_row(membership, "role", form)


@bp.route("/memberships/<int:membership_id>/end", methods=["POST"])
@officer
def end_membership(membership_id: int) -> Response | tuple[str, int]:
    membership = services.get_membership(db.session, membership_id)
    form = EndMembershipForm()
    if form.validate_on_submit():
        try:
            services.end_membership(
                db.session,
                membership_id,
                ended_on=form.ended_on.data,  # type: ignore[arg-type]  # InputRequired
                reason=form.reason.data or "",
                actor=current_user,
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(
                _("The membership of %(name)s has ended.", name=membership.user.display_name),
                "success",
            )
            return _members_page(membership.group.slug)
    return _refused_row(membership, "end", form)


@bp.route("/memberships/<int:membership_id>/interests", methods=["GET", "POST"])
@signed_in
def interests(membership_id: int) -> str | Response:
    membership = services.get_declaration(db.session, membership_id, actor=current_user)
    prefill = (
        {"interests": membership.interests, "interests_public": membership.interests_public}
        if request.method == "GET"
        else None
    )
    form = InterestsForm(data=prefill)
    if form.validate_on_submit():
        try:
            services.declare_interests(
                db.session,
                membership_id,
                interests=form.interests.data or "",
                public=bool(form.interests_public.data),
                actor=current_user,
            )
        except DomainError as error:
            show_refusal(form, error)
        else:
            flash(_("Declared interests saved."), "success")
            return _group_page(membership.group.slug)
    return render_template("advisory/interests.html", form=form, membership=membership)


@bp.route("/<group_slug>/fill-by-lot", methods=["POST"])
@officer
def fill_by_lot(group_slug: str) -> Response:
    form = BaseForm()
    if not form.validate_on_submit():
        flash(_("This form had expired. Send it again."), "error")
        return _members_page(group_slug)
    try:
        result = services.fill_by_lot(
            db.session, group_slug, actor=current_user, today=date.today()
        )
    except DomainError as error:
        if error.status in (403, 404):
            raise
        flash(error.translated(), "error")
        return _members_page(group_slug)
    seated = len(result.seated)
    flash(
        ngettext("%(num)s seat filled by lot.", "%(num)s seats filled by lot.", seated), "success"
    )
    if result.without_account:
        flash(
            _(
                "Drawn, but volunteered without an account, so not seated: %(names)s. Ask them "
                "to register, then add them here.",
                names=", ".join(result.without_account),
            ),
            "error",
        )
    if result.no_seat_left:
        flash(
            _("Drawn, but no seat was left for: %(names)s.", names=", ".join(result.no_seat_left)),
            "error",
        )
    return _members_page(group_slug)
