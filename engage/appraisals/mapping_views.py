"""Multi-criteria mapping: exercises, participants' weights and scores, rank intervals."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("appraisal_mapping", __name__, url_prefix="/mapping")
