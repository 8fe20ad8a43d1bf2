"""Juries: selection runs, the committed and revealed draw, and the panel with its reserves."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("jury_draws", __name__, url_prefix="/juries")
