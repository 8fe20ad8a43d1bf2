"""Advisory group pages: the groups, their members, terms and interests."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("advisory", __name__, url_prefix="/advisory")
