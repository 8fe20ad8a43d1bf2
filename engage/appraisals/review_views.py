"""Review of submissions, the public map and list of approved ones, and the exports."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("appraisal_review", __name__, url_prefix="/science")
