"""Citizen-science projects: the public project pages and the officers' form builder (with XLSForm import)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("appraisal_projects", __name__, url_prefix="/science")
