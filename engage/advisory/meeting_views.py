"""Advisory group meetings: agenda, papers, attendance, minutes, decisions and the calendar."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("advisory_meetings", __name__, url_prefix="/advisory")
