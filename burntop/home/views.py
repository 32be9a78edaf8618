"""The landing page and its live totals partial."""
from __future__ import annotations

from flask import Blueprint, render_template

from burntop.stats.totals import global_totals, landing_showcase

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    return render_template("home/index.html", totals=global_totals(), showcase=landing_showcase())


@bp.get("/partials/global-totals")
def totals_partial():
    return render_template("home/_global_totals.html", totals=global_totals())
