"""The landing page and its live totals partial."""
from __future__ import annotations

from flask import Blueprint, render_template

from burntop.accounts.profile import account_deleted, profile_changed
from burntop.client.sources import all_sources
from burntop.links import base_url
from burntop.stats.totals import forget_landing_showcase, global_totals, landing_showcase

bp = Blueprint("home", __name__)


@profile_changed.connect
@account_deleted.connect
def _forget_landing_cache(sender, **_details) -> None:
    """A profile that went private (or away) must leave the landing showcase at once."""
    forget_landing_showcase()


@bp.get("/")
def index():
    tools = [(source.name, source.label) for source in all_sources()]
    return render_template("home/index.html", totals=global_totals(), showcase=landing_showcase(), tools=tools,
                           server=base_url())


@bp.get("/partials/global-totals")
def totals_partial():
    return render_template("home/_global_totals.html", totals=global_totals())
