"""Community appraisals: areas, instruments (the Place Standard and officers' own), appraising an
area and the results."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from engage.appraisals import areas as area_services
from engage.appraisals import instruments, place_standard
from engage.appraisals.instrument_forms import (
    KIND,
    START,
    STATUS,
    AreaForm,
    CriterionForm,
    InstrumentForm,
    MoveForm,
    NewInstrumentForm,
    StatusForm,
    appraisal_form,
    appraisal_scores,
    chosen_area,
)
from engage.appraisals.models import AppraisalKind, Status
from engage.appraisals.scores import compass_point, scale_fraction
from engage.errors import DomainError
from engage.extensions import db
from engage.forms import BaseForm, flash_refusal, form_values, requested_mission
from engage.i18n import Message
from engage.missions import services as missions
from engage.security import Role, current_user_holds, public, roles_required, signed_in

bp = Blueprint("appraisal_instruments", __name__, url_prefix="/appraisals")
officer = roles_required(Role.OFFICER)


def _number(value: float | None) -> str:
    """A score or statistic as people read it: at most one decimal; a dash when there is none."""
    return "\N{EN DASH}" if value is None else str(format_decimal(value, format="0.#"))


def _message(message: Message) -> str:
    return str(_(message.template, **message.params))


def _compass_xy(axis: int, axes: int, fraction: float, radius: float) -> tuple[float, float]:
    x, y = compass_point(axis, axes, fraction)
    return round(x * radius, 1), round(y * radius, 1)


@bp.context_processor
def labels() -> dict[str, object]:
    return {
        "STATUS": STATUS,
        "KIND": KIND,
        "number": _number,
        "message": _message,
        "compass_xy": _compass_xy,
        "scale_fraction": scale_fraction,
        "score_field": instruments.score_field,
        "justification_field": instruments.justification_field,
        "PLACE_STANDARD_SOURCE": place_standard.SOURCE,
    }


def _instrument_page(slug: str) -> Response:
    return redirect(url_for("appraisal_instruments.show", slug=slug))


# --- Areas ------------------------------------------------------------------------------------


def _area_fields(form: AreaForm) -> area_services.AreaFields:
    return form_values(form, area_services.AreaFields)


@bp.route("/areas", methods=["GET"])
@officer
def areas() -> str:
    slug = requested_mission() or ""
    if not slug:
        return render_template(
            "appraisals/areas/choose_mission.html",
            missions=missions.list_missions(db.session, include_drafts=True),
        )
    mission, found = area_services.get_mission_areas(db.session, slug)
    return render_template(
        "appraisals/areas/index.html",
        mission=mission,
        areas=found,
        use=area_services.area_use(db.session, mission.id),
    )


@bp.route("/areas/new", methods=["GET", "POST"])
@officer
def new_area() -> str | Response:
    slug = requested_mission() or ""
    mission, _found = area_services.get_mission_areas(db.session, slug)
    form = AreaForm()
    if form.validate_on_submit():
        try:
            area_services.create_area(db.session, slug, _area_fields(form), actor=current_user)
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Area added."), "success")
            return redirect(url_for("appraisal_instruments.areas", mission=slug))
    return render_template("appraisals/areas/form.html", form=form, mission=mission, area=None)


@bp.route("/areas/<int:area_id>/edit", methods=["GET", "POST"])
@officer
def edit_area(area_id: int) -> str | Response:
    area = area_services.get_area(db.session, area_id)
    form = AreaForm(obj=area)
    if form.validate_on_submit():
        try:
            area_services.update_area(db.session, area_id, _area_fields(form), actor=current_user)
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Area saved."), "success")
            return redirect(url_for("appraisal_instruments.areas", mission=area.mission.slug))
    return render_template("appraisals/areas/form.html", form=form, mission=area.mission, area=area)


@bp.route("/areas/<int:area_id>/delete", methods=["POST"])
@officer
def delete_area(area_id: int) -> Response:
    area = area_services.get_area(db.session, area_id)
    mission_slug = area.mission.slug
    if not BaseForm().validate_on_submit():
        flash(_("Nothing was changed. Use the Delete button on this page."), "error")
        return redirect(url_for("appraisal_instruments.edit_area", area_id=area_id))
    try:
        area_services.delete_area(db.session, area_id, actor=current_user)
    except DomainError as error:
        flash_refusal(error)
        return redirect(url_for("appraisal_instruments.edit_area", area_id=area_id))
    flash(_("Area deleted."), "success")
    return redirect(url_for("appraisal_instruments.areas", mission=mission_slug))


# --- Instruments ------------------------------------------------------------------------------


def _instrument_fields(form: InstrumentForm) -> instruments.InstrumentFields:
    return form_values(form, instruments.InstrumentFields)


@bp.route("/", methods=["GET"])
@public
def index() -> str:
    mission = requested_mission()
    found = instruments.list_instruments(db.session, viewer=current_user, mission_slug=mission)
    return render_template(
        "appraisals/instruments/index.html",
        instruments=found,
        mission_slug=mission,
        can_manage=current_user_holds(Role.OFFICER),
    )


@bp.route("/new", methods=["GET", "POST"])
@officer
def new() -> str | Response:
    choices = missions.list_missions(db.session, include_drafts=True)
    form = NewInstrumentForm(missions=[(m.id, m.title) for m in choices])
    if request.method == "GET":
        wanted = requested_mission() or ""
        form.mission_id.data = next((m.id for m in choices if m.slug == wanted), None)
        form.title.data = _(place_standard.TITLE)  # the form starts from the Place Standard
    if form.validate_on_submit():
        slug = next(m.slug for m in choices if m.id == form.mission_id.data)  # a valid choice
        try:
            instrument = instruments.create_instrument(
                db.session,
                slug,
                _instrument_fields(form),
                actor=current_user,
                from_template=form.start.data == "place_standard",
                translate=_,
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Instrument created as a draft. Check its criteria, then open it."), "success")
            return _instrument_page(instrument.slug)
    return render_template(
        "appraisals/instruments/form.html", form=form, instrument=None, START=START
    )


@bp.route("/<slug>", methods=["GET"])
@public
def show(slug: str) -> str:
    instrument = instruments.get_instrument(db.session, slug, viewer=current_user)
    can_manage = instruments.may_manage(current_user)
    return render_template(
        "appraisals/instruments/show.html",
        instrument=instrument,
        can_manage=can_manage,
        areas=instruments.mission_areas(db.session, instrument),
        appraisals=instruments.count_appraisals(db.session, instrument.id) if can_manage else 0,
        results_visible=instruments.results_visible(instrument, current_user),
    )


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@officer
def edit(slug: str) -> str | Response:
    instrument = instruments.get_instrument(db.session, slug, viewer=current_user)
    form = InstrumentForm(obj=instrument)
    if form.validate_on_submit():
        try:
            instruments.update_instrument(
                db.session, slug, _instrument_fields(form), actor=current_user
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Instrument saved."), "success")
            return _instrument_page(slug)
    return render_template(
        "appraisals/instruments/form.html", form=form, instrument=instrument, START=START
    )


@bp.route("/<slug>/status", methods=["POST"])
@officer
def status(slug: str) -> Response:
    form = StatusForm()
    if not form.validate_on_submit():
        flash(_("Nothing was changed. Use the Open or Close button on this page."), "error")
        return _instrument_page(slug)
    opening = form.action.data == "open"
    try:
        if opening:
            instruments.open_instrument(db.session, slug, actor=current_user)
        else:
            instruments.close_instrument(db.session, slug, actor=current_user)
    except DomainError as error:
        flash_refusal(error)
    else:
        if opening:
            flash(_("Instrument opened. Residents can appraise their areas now."), "success")
        else:
            flash(_("Instrument closed. Its results are now public."), "success")
    return _instrument_page(slug)


# --- Criteria ---------------------------------------------------------------------------------


def _criterion_fields(form: CriterionForm) -> instruments.CriterionFields:
    return form_values(form, instruments.CriterionFields)


@bp.route("/<slug>/criteria/new", methods=["GET", "POST"])
@officer
def new_criterion(slug: str) -> str | Response:
    instrument = instruments.get_instrument(db.session, slug, viewer=current_user)
    form = CriterionForm()
    if form.validate_on_submit():
        try:
            instruments.add_criterion(db.session, slug, _criterion_fields(form), actor=current_user)
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Criterion added."), "success")
            return _instrument_page(slug)
    return render_template(
        "appraisals/instruments/criterion_form.html",
        form=form,
        instrument=instrument,
        criterion=None,
    )


@bp.route("/<slug>/criteria/<int:criterion_id>/edit", methods=["GET", "POST"])
@officer
def edit_criterion(slug: str, criterion_id: int) -> str | Response:
    criterion = instruments.get_criterion(db.session, slug, criterion_id)
    form = CriterionForm(obj=criterion)
    if form.validate_on_submit():
        try:
            instruments.update_criterion(
                db.session, slug, criterion_id, _criterion_fields(form), actor=current_user
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Criterion saved."), "success")
            return _instrument_page(slug)
    return render_template(
        "appraisals/instruments/criterion_form.html",
        form=form,
        instrument=criterion.instrument,
        criterion=criterion,
    )


@bp.route("/<slug>/criteria/<int:criterion_id>/move", methods=["POST"])
@officer
def move_criterion(slug: str, criterion_id: int) -> Response:
    form = MoveForm()
    if form.validate_on_submit():
        offset = -1 if form.direction.data == "up" else 1
        try:
            instruments.move_criterion(db.session, slug, criterion_id, offset, actor=current_user)
        except DomainError as error:
            flash_refusal(error)
    else:
        flash(_("Nothing was changed. Use the Move up or Move down button."), "error")
    return _instrument_page(slug)


@bp.route("/<slug>/criteria/<int:criterion_id>/delete", methods=["POST"])
@officer
def delete_criterion(slug: str, criterion_id: int) -> Response:
    if not BaseForm().validate_on_submit():
        flash(_("Nothing was changed. Use the Delete button on this page."), "error")
        return _instrument_page(slug)
    try:
        instruments.delete_criterion(db.session, slug, criterion_id, actor=current_user)
    except DomainError as error:
        flash_refusal(error)
    else:
        flash(_("Criterion deleted."), "success")
    return _instrument_page(slug)


# --- Appraising -------------------------------------------------------------------------------


def _appraisal_page(slug: str, *, group: bool) -> str | Response:
    """A resident's own appraisal (``group`` False), or a facilitator's entry of a workshop
    group's agreed scores: the same form, with the group's name and size."""
    instrument = instruments.get_instrument(db.session, slug, viewer=current_user)
    areas = instruments.mission_areas(db.session, instrument)
    form = appraisal_form(
        instrument.criteria,
        areas,
        scale=(instrument.scale_min, instrument.scale_max),
        labels=(instrument.low_label, instrument.high_label),
        group=group,
        area_id=request.args.get("area", type=int),
    )
    if instrument.status is Status.OPEN and form.validate_on_submit():
        try:
            appraisal = instruments.submit_appraisal(
                db.session,
                instrument,
                chosen_area(form),
                appraisal_scores(form, instrument.criteria),
                form["client_id"].data or "",
                actor=current_user,
                kind=AppraisalKind.GROUP if group else AppraisalKind.INDIVIDUAL,
                group_name=(form["group_name"].data or "") if group else "",
                participants=form["participants"].data if group else 1,
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            if group:
                flash(
                    _(
                        "Saved the appraisal of %(area)s by %(group)s. Enter the next group's "
                        "below.",
                        area=appraisal.area.name,
                        group=appraisal.group_name,
                    ),
                    "success",
                )
                return redirect(url_for("appraisal_instruments.group", slug=slug))
            flash(
                _("Thank you. Your appraisal of %(area)s is saved.", area=appraisal.area.name),
                "success",
            )
            return _instrument_page(slug)
    return render_template(
        "appraisals/instruments/appraise.html",
        instrument=instrument,
        form=form,
        group=group,
        areas=areas,
    )


@bp.route("/<slug>/appraise", methods=["GET", "POST"])
@signed_in
def appraise(slug: str) -> str | Response:
    return _appraisal_page(slug, group=False)


@bp.route("/<slug>/group", methods=["GET", "POST"])
@officer
def group(slug: str) -> str | Response:
    return _appraisal_page(slug, group=True)


@bp.route("/<slug>/results", methods=["GET"])
@public
def results(slug: str) -> str:
    instrument = instruments.get_instrument(db.session, slug, viewer=current_user)
    found = instruments.results(
        db.session,
        instrument,
        request.args.get("area", type=int),
        viewer=current_user,
        all_justifications=request.args.get("all") == "1",
    )
    return render_template(
        "appraisals/instruments/results.html", instrument=instrument, results=found
    )
