"""Community appraisals: areas, instruments (the Place Standard and officers' own), appraising an area and the results."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("appraisal_instruments", __name__, url_prefix="/appraisals")
