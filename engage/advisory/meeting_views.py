"""Advisory group meetings: agenda, papers, attendance, minutes, decisions and the calendar."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from engage.advisory import meetings, services
from engage.advisory.meeting_forms import (
    ATTENDANCE,
    MINUTES_STATUS,
    MeetingForm,
    MinutesForm,
    PaperForm,
    attendance_form,
)
from engage.advisory.models import Attendance, Meeting, MinutesStatus
from engage.db import utcnow
from engage.errors import DomainError
from engage.extensions import db
from engage.forms import BaseForm, local_from_utc, utc_from_local
from engage.security import Role, holds, public, roles_required, signed_in

bp = Blueprint("advisory_meetings", __name__, url_prefix="/advisory")
officer = roles_required(Role.OFFICER)


@bp.context_processor
def labels() -> dict[str, object]:
    return {
        "ATTENDANCE": ATTENDANCE,
        "MINUTES_STATUS": MINUTES_STATUS,
        "Attendance": Attendance,
        "MinutesStatus": MinutesStatus,
    }


def _papers_folder() -> Path:
    return Path(current_app.instance_path) / meetings.PAPERS_FOLDER


def _meeting_page(meeting_id: int) -> Response:
    return redirect(url_for("advisory_meetings.show", meeting_id=meeting_id))


# --- Meetings -----------------------------------------------------------------------------------


@bp.route("/<group_slug>/meetings", methods=["GET"])
@public
def index(group_slug: str) -> str:
    group = services.get_group(db.session, group_slug, viewer=current_user)
    upcoming, past = meetings.split_meetings(group, utcnow())
    return render_template(
        "advisory/meetings/index.html",
        group=group,
        upcoming=upcoming,
        past=past,
        staff=holds(current_user, Role.OFFICER),
    )


def _show_page(meeting: Meeting, paper_form: PaperForm | None = None) -> str:
    today = date.today()
    writer = meetings.can_write_minutes(meeting, current_user, today)
    return render_template(
        "advisory/meetings/show.html",
        meeting=meeting,
        group=meeting.group,
        sheet=services.attendance_sheet(meeting),
        quorum=services.quorum(meeting),
        minutes_visible=meetings.minutes_visible(meeting, current_user, today),
        staff=holds(current_user, Role.OFFICER),
        writer=writer,
        recorder=meetings.can_record_attendance(meeting, current_user, today),
        paper_form=paper_form or (PaperForm(formdata=None) if writer else None),
    )


@bp.route("/meetings/<int:meeting_id>", methods=["GET"])
@public
def show(meeting_id: int) -> str:
    return _show_page(meetings.get_meeting(db.session, meeting_id, viewer=current_user))


def _meeting_fields(form: MeetingForm) -> meetings.MeetingFields:
    return meetings.MeetingFields(
        title=form.title.data or "",
        starts_at=utc_from_local(form.starts_at.data),  # type: ignore[arg-type]  # InputRequired
        ends_at=utc_from_local(form.ends_at.data),  # type: ignore[arg-type]  # InputRequired
        place=form.place.data or "",
        link=form.link.data or "",
        agenda=form.agenda_items(),
    )


@bp.route("/<group_slug>/meetings/new", methods=["GET", "POST"])
@officer
def new(group_slug: str) -> str | Response:
    group = services.get_group(db.session, group_slug, viewer=current_user)
    form = MeetingForm()
    if form.validate_on_submit():
        try:
            meeting = meetings.schedule_meeting(
                db.session, group_slug, _meeting_fields(form), actor=current_user
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Meeting scheduled. It is on the group's public calendar."), "success")
            return _meeting_page(meeting.id)
    return render_template("advisory/meetings/form.html", form=form, group=group, meeting=None)


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@officer
def edit(meeting_id: int) -> str | Response:
    meeting = meetings.get_meeting(db.session, meeting_id, viewer=current_user)
    form = MeetingForm(
        data={
            "title": meeting.title,
            # Stored in UTC, typed in the deployment's time zone.
            "starts_at": local_from_utc(meeting.starts_at),
            "ends_at": local_from_utc(meeting.ends_at),
            "place": meeting.place,
            "link": meeting.link,
            "agenda": "\n".join(meeting.agenda),
        }
    )
    if form.validate_on_submit():
        try:
            meetings.update_meeting(
                db.session, meeting_id, _meeting_fields(form), actor=current_user
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Meeting saved."), "success")
            return _meeting_page(meeting_id)
    return render_template(
        "advisory/meetings/form.html", form=form, group=meeting.group, meeting=meeting
    )


# --- Papers -------------------------------------------------------------------------------------


@bp.route("/meetings/<int:meeting_id>/papers", methods=["POST"])
@signed_in
def upload_paper(meeting_id: int) -> str | Response | tuple[str, int]:
    meeting = meetings.get_meeting(db.session, meeting_id, viewer=current_user)
    # Refused before the file is even read; the service checks again.
    meetings.require_minute_writer(meeting, current_user, date.today())
    form = PaperForm()
    if form.validate_on_submit():
        try:
            meetings.upload_paper(
                db.session,
                meeting_id,
                title=form.title.data or "",
                filename=form.file.data.filename or "",
                data=form.file.data.read(),
                folder=_papers_folder(),
                actor=current_user,
                today=date.today(),
            )
        except DomainError as error:
            if error.status in (403, 404):
                raise
            form.show_domain_error(error)
        else:
            flash(_("Paper added. Anyone can download it from the meeting's page."), "success")
            return _meeting_page(meeting_id)
    db.session.rollback()  # show the meeting as stored
    return _show_page(meeting, form), 400


@bp.route("/papers/<int:paper_id>", methods=["GET"])
@public
def paper(paper_id: int) -> Response:
    stored = meetings.get_paper(db.session, paper_id, viewer=current_user)
    response = send_file(
        meetings.paper_file(_papers_folder(), stored),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=stored.filename,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/papers/<int:paper_id>/delete", methods=["POST"])
@officer
def delete_paper(paper_id: int) -> Response:
    stored = meetings.get_paper(db.session, paper_id, viewer=current_user)
    meeting_id = stored.meeting_id
    if not BaseForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return _meeting_page(meeting_id)
    meetings.delete_paper(db.session, paper_id, folder=_papers_folder(), actor=current_user)
    flash(_("Paper deleted."), "success")
    return _meeting_page(meeting_id)


# --- Attendance ---------------------------------------------------------------------------------


@bp.route("/meetings/<int:meeting_id>/attendance", methods=["GET", "POST"])
@signed_in
def attendance(meeting_id: int) -> str | Response:
    meeting = meetings.get_meeting(db.session, meeting_id, viewer=current_user)
    meetings.require_attendance_recorder(meeting, current_user, date.today())
    form = attendance_form(services.attendance_sheet(meeting))
    if form.validate_on_submit():
        try:
            meetings.record_attendance(
                db.session, meeting_id, form.statuses(), actor=current_user, today=date.today()
            )
        except DomainError as error:
            form.show_domain_error(error)
        else:
            flash(_("Attendance saved."), "success")
            return _meeting_page(meeting_id)
    return render_template(
        "advisory/meetings/attendance.html",
        form=form,
        meeting=meeting,
        group=meeting.group,
        quorum=services.quorum(meeting),
    )


# --- Minutes and decisions ----------------------------------------------------------------------


@bp.route("/meetings/<int:meeting_id>/minutes", methods=["GET", "POST"])
@signed_in
def minutes(meeting_id: int) -> str | Response:
    meeting = meetings.get_meeting(db.session, meeting_id, viewer=current_user)
    meetings.require_minute_writer(meeting, current_user, date.today())
    form = MinutesForm(data={"minutes": meeting.minutes, "decisions": meeting.decisions})
    if form.validate_on_submit():
        text, decisions = form.minutes.data or "", form.decisions.data or ""
        try:
            if form.approving:
                meetings.approve_minutes(
                    db.session,
                    meeting_id,
                    minutes=text,
                    decisions=decisions,
                    actor=current_user,
                    today=date.today(),
                )
            else:
                meetings.save_minutes(
                    db.session,
                    meeting_id,
                    minutes=text,
                    decisions=decisions,
                    reason=form.reason.data or "",
                    actor=current_user,
                    today=date.today(),
                )
        except DomainError as error:
            if error.status in (403, 404):
                raise
            db.session.rollback()  # show the minutes' stored status, not the refused change
            form.show_domain_error(error)
        else:
            if form.approving:
                flash(_("Minutes approved. They are now public."), "success")
            else:
                flash(_("Minutes saved."), "success")
            return _meeting_page(meeting_id)
    return render_template(
        "advisory/meetings/minutes.html",
        form=form,
        meeting=meeting,
        group=meeting.group,
        staff=holds(current_user, Role.OFFICER),
    )


# --- The calendar -------------------------------------------------------------------------------


@bp.route("/<group_slug>/meetings.ics", methods=["GET"])
@public
def calendar(group_slug: str) -> Response:
    group = services.get_group(db.session, group_slug, viewer=current_user)
    # The public address, not the request's host: UIDs and links must not change with the
    # proxy a request came through.
    base_url = current_app.config["BASE_URL"].rstrip("/")
    feed = meetings.calendar_feed(
        group,
        host=urlsplit(base_url).hostname or "",
        page_url=lambda meeting: (
            base_url + url_for("advisory_meetings.show", meeting_id=meeting.id)
        ),
        now=utcnow(),
    )
    response = Response(feed, content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = f'inline; filename="{group.slug}.ics"'
    return response
