"""The members' workspace and the group's recommendations with the city's responses."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("advisory_workspace", __name__, url_prefix="/advisory")
