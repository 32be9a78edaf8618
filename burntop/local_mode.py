"""Local mode (BURNTOP_LOCAL_MODE=1, what `make run` uses): a private burntop on one machine.

- **The owner** is the first account in the database that is not a demo user (lowest id). When there is
  none, the first start (`flask --app app serve`) or the first request creates one, named after the login
  name of the person running the server (`$USER`, lowercased, other characters than letters, digits, `-`
  and `_` turned into `-`; `owner` when that is no allowed username, with `-2`, `-3`, ... when taken),
  in this computer's time zone. It is an ordinary account: it can rename itself, sign in elsewhere, be
  deleted (then the next request makes a new one). Demo users stay what they are, marked as demo.
- **Signed in from loopback.** A GET or HEAD request for a page (not `/api/`, not `/static/`) from a
  browser that is not signed in gets a real session for the owner (burntop.accounts.sessions: a
  revocable row and the usual cookie), so the session list, revoking and CSRF tokens work as everywhere
  else. Forms keep their CSRF check: the check runs before the sign-in, so a POST never signs anybody in.
  The JSON API answers a token or that browser session, as always (`POST /api/local/token` gives the
  CLI a token).
- **Signing out** ends the session and marks this browser signed out (in its cookie): it then sees the
  site as a visitor does, which previews what others see of the owner's profile, until "Continue as
  @owner" on /login (a CSRF-protected POST) or any other sign-in.
- **Guards.** Local mode refuses to start with BURNTOP_ENV=production, behind trusted proxies
  (BURNTOP_PROXY_FIX, which would let a header pose as loopback), under gunicorn (wsgi.py), and on a
  non-loopback address (`flask --app app serve --host`, and `flask run --host`). Every request must come
  from a loopback address (403) and name `127.0.0.1`, `localhost` or `[::1]` in its Host header, with
  any port (400 otherwise): a web page that rebinds its own DNS name to 127.0.0.1 gets nothing.
"""
from __future__ import annotations

import getpass
import ipaddress
import os
import re

import click
from flask import Blueprint, Flask, abort, current_app, g, jsonify, request, session, url_for
from flask_login import current_user, user_logged_out
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from burntop.errors import ApiError
from burntop.extensions import db
from burntop.models import User

bp = Blueprint("local_mode", __name__)
api_bp = Blueprint("local_mode_api", __name__, url_prefix="/api/local")

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
SIGNED_OUT_KEY = "local_signed_out"
FALLBACK_USERNAME = "owner"
DEFAULT_CLIENT_NAME = "burntop CLI (local mode)"
NO_STORE = {"Cache-Control": "no-store"}
_HOST_RE = re.compile(r"^(?:\[(?P<v6>[^\]]+)\]|(?P<name>[^:\[\]]+))(?::(?P<port>\d{1,5}))?$")


class LocalModeRefused(RuntimeError):
    """Local mode cannot run like this; the message says why and what to do."""


def enabled(app: Flask | None = None) -> bool:
    return bool((app or current_app).config.get("BURNTOP_LOCAL_MODE"))


# --- Pure rules -------------------------------------------------------------------------------------

def is_loopback_address(address: str | None) -> bool:
    """Whether a peer address (REMOTE_ADDR) is this machine: 127.0.0.0/8, ::1, or ::ffff:127.x.y.z."""
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def is_loopback_host(host: str | None) -> bool:
    """Whether a Host header names this machine: exactly 127.0.0.1, localhost or [::1], any port."""
    match = _HOST_RE.match((host or "").strip().lower())
    if match is None:
        return False
    name = match.group("v6") or match.group("name")
    if match.group("v6") and name != "::1":
        return False
    port = match.group("port")
    return name in LOOPBACK_NAMES and (port is None or 0 < int(port) < 65536)


def is_loopback_bind(host: str | None) -> bool:
    """Whether a server bound to `host` is reachable only from this machine."""
    host = (host or "").strip().strip("[]").lower()
    return host == "localhost" or is_loopback_address(host)


def owner_username(login_name: str | None) -> str:
    """The owner's username made from the server's login name, or "owner" when that cannot be one."""
    from burntop.accounts.users import UsernameError, check_username

    candidate = re.sub(r"[^a-z0-9_-]+", "-", (login_name or "").strip().lower()).strip("-")[:39]
    try:
        return check_username(candidate)
    except UsernameError:
        return FALLBACK_USERNAME


def check_config(config: dict) -> None:
    """Refuse settings local mode must not run with (called by create_app)."""
    if not config.get("BURNTOP_LOCAL_MODE"):
        return
    if config.get("BURNTOP_ENV") == "production":
        raise LocalModeRefused("BURNTOP_LOCAL_MODE signs every visitor in as the owner: it never runs with "
                               "BURNTOP_ENV=production. Unset one of them.")
    if config.get("PROXY_FIX"):
        raise LocalModeRefused("BURNTOP_LOCAL_MODE trusts loopback peers, which BURNTOP_PROXY_FIX would let a "
                               "forwarded header fake: unset BURNTOP_PROXY_FIX, or BURNTOP_LOCAL_MODE.")


def check_bind(host: str | None) -> None:
    if not is_loopback_bind(host):
        raise LocalModeRefused(f"local mode serves only this computer: bind to 127.0.0.1, localhost or ::1, "
                               f"not {host!r} (or set BURNTOP_LOCAL_MODE=0 to serve other machines)")


def check_flask_run() -> None:
    """`flask run --host 0.0.0.0` loads the app inside its command: refuse there, before anything listens."""
    context = click.get_current_context(silent=True)
    if context is not None and context.info_name == "run" and "host" in context.params:
        try:
            check_bind(context.params["host"])
        except LocalModeRefused as exc:
            raise click.UsageError(str(exc), ctx=context) from None


# --- The owner --------------------------------------------------------------------------------------

def machine_time_zone() -> str:
    """This computer's IANA zone ($TZ, else /etc/localtime), or UTC."""
    from burntop.accounts.profile import time_zones

    zone = os.environ.get("TZ", "").lstrip(":")
    if not zone:
        link = os.path.realpath("/etc/localtime")
        zone = link.split("zoneinfo/", 1)[1] if "zoneinfo/" in link else ""
    return zone if zone in time_zones() else "UTC"


def owner() -> User | None:
    """The owner: the first account that is not a demo user."""
    return db.session.scalar(select(User).where(User.is_demo.is_(False)).order_by(User.id).limit(1))


def _login_name() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no such user in the password database (containers)
        return None


def ensure_owner() -> User:
    """The owner, created (and committed) when the database has none."""
    from burntop.accounts.users import create_user, username_taken

    found = owner()
    if found is not None:
        return found
    base = owner_username(_login_name())
    username, n = base, 1
    while username_taken(username):
        n += 1
        username = f"{base[:39 - len(str(n)) - 1]}-{n}"
    try:
        user = create_user(username, timezone=machine_time_zone())
        db.session.commit()
    except IntegrityError:  # another process (the reloader's twin, a second request) made it first
        db.session.rollback()
        user = owner()
        if user is None:
            raise
    return user


# --- Requests ---------------------------------------------------------------------------------------

def guard() -> None:
    """Answer only this machine, addressed by a loopback name (DNS rebinding)."""
    if not enabled():
        return
    if not is_loopback_address(request.remote_addr):
        abort(403, "This burntop runs in local mode and answers only this computer.")
    if not is_loopback_host(request.host):
        abort(400, "This burntop runs in local mode: open it at http://127.0.0.1 or http://localhost.")


def sign_in_owner() -> None:
    """A page visit from a browser that is not signed in, and did not sign out, is the owner's."""
    if not enabled() or request.method not in ("GET", "HEAD"):
        return
    if request.path.startswith(("/api/", "/static/")) or request.path == "/api":
        return
    if session.get(SIGNED_OUT_KEY) or current_user.is_authenticated:
        return
    from burntop.accounts.sessions import start_session

    start_session(ensure_owner())


def _note_sign_out(sender, **extra) -> None:
    if enabled(sender):
        g.local_signed_out = True  # written after the view: end_session empties the cookie after logout


def _keep_signed_out(response):
    if g.pop("local_signed_out", False) and not current_user.is_authenticated:
        session[SIGNED_OUT_KEY] = True
    return response


@bp.post("/login/local")  # under /login: "login" is a reserved username, "local" is not
def sign_in():
    """Sign this browser in as the owner again after signing out (a form with a CSRF token)."""
    if not enabled():
        abort(404)
    from burntop.accounts.sessions import start_session
    from burntop.accounts.views import safe_next, see_other

    start_session(ensure_owner())
    return see_other(safe_next(request.values.get("next")) or url_for("home.index"),
                     bool(request.headers.get("HX-Request")))


@api_bp.post("/token")
def token():
    """An API token for the owner, for `burntop login --local` and the first `burntop sync`."""
    if not enabled():
        raise ApiError(404, "Not found: this burntop does not run in local mode.")
    guard()  # the app-wide guard has run; kept here so this endpoint never depends on its order
    origin = request.headers.get("Origin")
    if origin is not None and not is_loopback_host(origin.split("://", 1)[-1]):  # "null" too (sandboxed pages)
        raise ApiError(403, "Local tokens are for programs on this computer, not web pages.")
    if not request.is_json:  # a page elsewhere cannot send JSON here without a preflight, which fails
        raise ApiError(415, "Send a JSON body (Content-Type: application/json), such as {}.")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object, such as {}.")
    from burntop.accounts.tokens import create_token

    name = " ".join(str(body.get("client_name") or "").split())[:100] or DEFAULT_CLIENT_NAME
    user = ensure_owner()
    _, plaintext = create_token(user, name=name, kind="cli")
    db.session.commit()
    return jsonify({"access_token": plaintext, "token_type": "Bearer", "user": {"username": user.username}}), \
        200, NO_STORE


# --- Wiring -----------------------------------------------------------------------------------------

def init_app(app: Flask) -> None:
    """Call after the extensions (the guard goes first, the sign-in after the CSRF check)."""
    if not enabled(app):
        return
    app.before_request_funcs.setdefault(None, []).insert(0, guard)
    app.before_request(sign_in_owner)
    app.after_request(_keep_signed_out)
    app.jinja_env.globals["local_owner"] = owner
    user_logged_out.connect(_note_sign_out)


def newcomer_lines(url: str, burntop_command: str, local: bool) -> list[str]:
    """What `flask --app app serve` prints first: where to look, and how to send this machine's usage."""
    if local:
        return [f"burntop (local mode) at {url}",
                f"sync this computer's usage: {burntop_command} sync --api-url {url}"]
    return [f"burntop at {url}",
            f"sync this computer's usage: {burntop_command} login --api-url {url}, then {burntop_command} sync"]
