"""The pages people open every day: the profile (/<username>), the dashboard and compare.

The dashboard's tabs are htmx partials: a swap (an htmx request that is not a boosted navigation or a
history restore) gets the block below the heading; anything else gets the full page of the same tab, so
every address works without JavaScript, after a reload and from the history. The profile's catch-all
route is registered last (burntop.BLUEPRINT_MODULES), and every first path segment the app routes is a
reserved username (burntop.accounts.users.RESERVED_USERNAMES; tests/stats/test_pages.py checks it).
"""
from __future__ import annotations

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from burntop.accounts.access import can_see_private, user_or_404, viewer
from burntop.accounts.users import USERNAME_RE
from burntop.stats import page_data
from burntop.stats.api import cache_headers
from burntop.stats.periods import resolve

bp = Blueprint("stats", __name__)

TABS = (("overview", "Overview"), ("trends", "Trends"), ("models", "Models"), ("tools", "Tools"),
        ("machines", "Machines"), ("insights", "Insights"))
PERIODS = (("all", "All time"), ("month", "This month"), ("week", "This week"))


def _htmx_swap() -> bool:
    headers = request.headers
    return (headers.get("HX-Request") == "true" and not headers.get("HX-Boosted")
            and not headers.get("HX-History-Restore-Request"))


def _no_store(response):
    cache_headers(response, public=False)
    response.vary.add("HX-Request")
    return response


@bp.get("/dashboard", defaults={"tab": "overview"})
@bp.get("/dashboard/<tab>")
@login_required
def dashboard(tab: str):
    labels = dict(TABS)
    if tab not in labels:
        abort(404, f"The dashboard has no '{tab}' section.")
    name = request.args.get("period", "all")
    if name not in dict(PERIODS):
        abort(400, "The period must be all, month or week.")
    user = current_user._get_current_object()
    period = resolve(name, user.timezone)
    partial = _htmx_swap()
    context = {"tabs": TABS, "periods": PERIODS, "tab": tab, "tab_label": labels[tab], "period": period,
               "partial": partial, **page_data.dashboard_context(user, tab, period)}
    template = "stats/_dashboard.html" if partial else "stats/dashboard.html"
    return _no_store(make_response(render_template(template, **context)))


@bp.get("/compare/<a>/<b>")
def compare(a: str, b: str):
    people = [user_or_404(name) for name in (a, b)]
    seen = viewer()
    for person in people:
        if not person.is_public and not can_see_private(seen, person):
            abort(403, f"@{person.username}'s profile is private.")
    response = make_response(render_template("stats/compare.html", **page_data.compare_context(*people)))
    return _cache(response, all(p.is_public for p in people))


@bp.get("/<username>")
def profile(username: str):
    if not USERNAME_RE.match(username):
        if USERNAME_RE.match(username.lower()):
            return redirect(url_for("stats.profile", username=username.lower()), 301)
        abort(404)
    person = user_or_404(username)
    seen = viewer()
    full = person.is_public or can_see_private(seen, person)
    owner = seen is not None and seen.id == person.id
    response = make_response(render_template("stats/profile.html", **page_data.profile_context(person, full, owner)))
    return _cache(response, person.is_public)


def _cache(response, public: bool):
    """A public page seen by someone signed out: the API's short shared caching (burntop.stats.api);
    anything else (a private profile, a page that carries the signed-in viewer's header) is never stored."""
    return cache_headers(response, public=public and not current_user.is_authenticated)
