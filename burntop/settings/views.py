"""Settings pages: profile, privacy, time zone, sessions, keys and devices, computers, public API, export,
deletion."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session,
                   stream_with_context, url_for)
from flask_login import current_user, login_required

from burntop.accounts import profile as account
from burntop.accounts import sessions as browsers
from burntop.accounts.sessions import end_session
from burntop.accounts.views import see_other
from burntop.format import plural
from burntop.links import base_url
from burntop.accounts.keys_api import KeyRefused, new_api_key, revoke, user_tokens
from burntop.database import INT64_MAX
from burntop.settings import machines as computers_rule
from burntop.stats.machines import machine_breakdown
from burntop.stats.periods import resolve

bp = Blueprint("settings", __name__, url_prefix="/settings")

PAGES = (  # endpoint, navigation label, icon
    ("settings.profile", "Profile", "badge"),
    ("settings.privacy", "Privacy", "eye-off"),
    ("settings.time_zone", "Time zone and region", "sun"),
    ("settings.sessions", "Sessions", "lock"),
    ("settings.keys", "API keys and devices", "terminal"),
    ("settings.computers", "Computers", "monitor"),
    ("settings.public_api", "Public API", "layers"),
    ("settings.export", "Export my data", "database"),
    ("settings.delete", "Delete my account", "x"),
)
PROFILE_FIELDS = ("name", "username", "bio", "location", "website", "image")
ZONE_AREAS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")


@bp.before_request
@login_required
def _signed_in():
    """Every settings page needs a signed-in user."""


@bp.context_processor
def _helpers():
    return {"settings_pages": PAGES, "local_time": _local_time}


def _local_time(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(current_user.timezone))
    return f"{local.day} {local:%b %Y, %H:%M}"


def time_zone_choices(current: str) -> dict[str, list[str]]:
    """Canonical IANA zones grouped by area for a select; the current zone is always offered."""
    groups: dict[str, list[str]] = {"": ["UTC"]}
    for name in sorted(account.time_zones()):
        area = name.split("/", 1)[0]
        if area in ZONE_AREAS and "/" in name:
            groups.setdefault(area, []).append(name)
    if not any(current in zones for zones in groups.values()):
        groups[""].append(current)
    return groups


def _htmx() -> bool:
    """A form posted by htmx, which swaps in the partial (a boosted navigation wants the whole page)."""
    return (request.method == "POST" and request.headers.get("HX-Request") == "true"
            and not request.headers.get("HX-Boosted"))


def _show(page: str, status: int = 200, **context):
    """Render the page, or only its partial `_<page>.html` for htmx (which swaps 2xx answers only)."""
    context.setdefault("user", current_user)
    context.setdefault("errors", {})
    if _htmx():
        return render_template(f"settings/_{page}.html", **context)
    return render_template(f"settings/{page}.html", **context), status


def _saved(endpoint: str, page: str, message: str, **context):
    """After a change: the refreshed partial with its message for htmx, else a 303 to the page."""
    if _htmx():
        return _show(page, saved=message, **context)
    flash(message, "success")
    return redirect(url_for(endpoint), 303)


def _update(endpoint: str, page: str, data: dict, message: str):
    try:
        account.update_profile(current_user, data)
    except account.ProfileError as exc:
        return _show(page, exc.status, errors=exc.errors, form=request.form)
    return _saved(endpoint, page, message)


@bp.get("/")
def index():
    return redirect(url_for("settings.profile"))


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    if request.method == "GET":
        return _show("profile")
    data = {field: request.form.get(field, "").strip() or None for field in PROFILE_FIELDS}
    data["username"] = request.form.get("username", "").strip()
    return _update("settings.profile", "profile", data, "Profile saved.")


@bp.route("/privacy", methods=["GET", "POST"])
def privacy():
    if request.method == "GET":
        return _show("privacy")
    choice = request.form.get("visibility")
    data = {"is_public": {"public": True, "private": False}.get(choice)}
    message = "Your profile is now public." if choice == "public" else "Your profile is now private."
    return _update("settings.privacy", "privacy", data, message)


@bp.route("/time-zone", methods=["GET", "POST"])
def time_zone():
    choices = {"zones": time_zone_choices(current_user.timezone), "regions": account.REGIONS}
    if request.method == "GET":
        return _show("time_zone", **choices)
    data = {"timezone": request.form.get("timezone", "").strip(), "region": request.form.get("region", "").strip()}
    try:
        account.update_profile(current_user, data)
    except account.ProfileError as exc:
        return _show("time_zone", exc.status, errors=exc.errors, form=request.form, **choices)
    choices["zones"] = time_zone_choices(current_user.timezone)
    # Saving confirms a zone taken from the browser at sign-up: its notice goes (htmx removes it too).
    choices["confirmed"] = session.pop("timezone_notice", None)
    return _saved("settings.time_zone", "time_zone", "Time zone and region saved.", **choices)


def _sessions_context() -> dict:
    current = browsers.current_session()
    return {"sessions": browsers.user_sessions(current_user.id), "current_id": current.id if current else None,
            "seen_resolution": browsers.SEEN_RESOLUTION}


def _signed_out(message: str):
    """After this browser's own session ended: to the sign-in page (htmx follows HX-Redirect)."""
    flash(message, "info")
    return see_other(url_for("accounts.login"), _htmx())


@bp.route("/sessions", methods=["GET", "POST"])
def sessions():
    if request.method == "GET":
        return _show("sessions", **_sessions_context())
    action = request.form.get("action")
    if action == "all":
        browsers.revoke(current_user.id)
        end_session()
        return _signed_out("You are signed out everywhere, in this browser too.")
    if action != "others":
        return _show("sessions", 400, errors={"action": "Choose which sessions to sign out."}, **_sessions_context())
    count = browsers.revoke(current_user.id, keep=browsers.current_session().id)
    message = f"Signed out {plural(count, 'other session')}." if count else "No other session was signed in."
    return _saved("settings.sessions", "sessions", message, **_sessions_context())


@bp.post("/sessions/<int:session_id>/revoke")
def revoke_session(session_id: int):
    if session_id == browsers.current_session().id:
        end_session()
        return _signed_out("You are signed out in this browser.")
    count = browsers.revoke(current_user.id, session_id=session_id)
    message = "Signed out that session." if count else "That session was already signed out."
    return _saved("settings.sessions", "sessions", message, **_sessions_context())


@bp.route("/keys", methods=["GET", "POST"])
def keys():
    if request.method == "GET":
        return _show("keys", tokens=user_tokens(current_user))
    try:
        token, plaintext = new_api_key(current_user, request.form.get("name"))
    except KeyRefused as exc:
        return _show("keys", 400, tokens=user_tokens(current_user), errors={"name": str(exc)}, form=request.form)
    # The plaintext is shown in this answer only: never in a redirect, a flash cookie or a log.
    page = _show("keys", 201 if not _htmx() else 200, tokens=user_tokens(current_user), new_key=plaintext,
                 new_token=token, login_command=f"burntop login --token {plaintext} --api-url {base_url()}")
    response = current_app.make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/keys/<int:token_id>/revoke")
def revoke_key(token_id: int):
    token = revoke(current_user, token_id)
    message = f"Revoked “{token.name}”. It no longer works." if token else "That key was already revoked."
    return _saved("settings.keys", "keys", message, tokens=user_tokens(current_user))


def _computers_context() -> dict:
    """Each computer with its all-time totals (the same figures as the dashboard's Machines tab)."""
    breakdown = machine_breakdown(current_user, resolve("all", current_user.timezone))
    for machine in breakdown["machines"]:
        machine["last_seen_at"] = datetime.fromisoformat(machine["lastSeen"])
    return {"breakdown": breakdown, "max_name": computers_rule.MAX_NAME}


@bp.get("/computers")
def computers():
    return _show("computers", **_computers_context())


def _name_computer(machine_id: int, raw: str | None):
    try:
        name = computers_rule.clean_name(raw)
    except computers_rule.NameRefused as exc:
        return _show("computers", 400, errors={machine_id: str(exc)}, form={machine_id: raw},
                     **_computers_context())
    if not computers_rule.rename(current_user.id, machine_id, name):
        abort(404)
    message = f"Named it “{name}”." if name else "Name forgotten: it shows its default label again."
    return _saved("settings.computers", "computers", message, **_computers_context())


@bp.post(f"/computers/<int(max={INT64_MAX}):machine_id>/name")  # beyond any id: 404, never a database error
def name_computer(machine_id: int):
    return _name_computer(machine_id, request.form.get("name", ""))


@bp.post(f"/computers/<int(max={INT64_MAX}):machine_id>/forget-name")
def forget_computer_name(machine_id: int):
    return _name_computer(machine_id, None)


@bp.route("/public-api", methods=["GET", "POST"])
def public_api():
    if request.method == "POST":
        action = request.form.get("action")
        if action == "rotate":
            account.rotate_public_api_id(current_user)
            message = "New address created. The old one stopped working."
        elif action in ("enable", "disable"):
            account.set_public_api(current_user, action == "enable")
            message = "Public API turned on." if action == "enable" else "Public API turned off."
        else:
            return _show("public_api", 400, api_url=_public_url(), errors={"action": "Choose an action."})
        return _saved("settings.public_api", "public_api", message, api_url=_public_url())
    return _show("public_api", api_url=_public_url())


def _public_url() -> str | None:
    return account.public_api_url(base_url(), current_user)


@bp.get("/export")
def export():
    return _show("export")


@bp.get("/export/download")
def export_download():
    today = datetime.now(ZoneInfo(current_user.timezone)).date()
    name = f"burntop-{current_user.username}-{today.isoformat()}.json"
    response = Response(stream_with_context(account.export_chunks(current_user)), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/delete", methods=["GET", "POST"])
def delete():
    if request.method == "GET":
        return _show("delete")
    typed = request.form.get("confirm", "").strip()
    if typed != current_user.username:
        error = "Type your username exactly as shown to confirm." if typed else "Type your username to confirm."
        return _show("delete", 400, errors={"confirm": error}, form=request.form)
    user_id = current_user.id
    end_session()  # the account's other sessions go with it (foreign keys cascade)
    account.delete_account(user_id)
    return redirect(url_for("home.index"), 303)
