"""Juries: setting a jury up, the public volunteer page, the pool, quotas and feasibility."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("juries", __name__, url_prefix="/juries")
