"""Residents' submissions to a citizen-science project: the form, photos and their own submissions."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("appraisal_submissions", __name__, url_prefix="/science")
