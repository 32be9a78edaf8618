"""Who is asking: API token or browser session, and the access decorators built on that."""
from __future__ import annotations

from functools import wraps

from flask import g, request
from flask_login import current_user

from burntop.accounts.tokens import authenticate_request
from burntop.errors import ApiError

# Methods a browser only sends cross-site after a CORS preflight (which only trusted origins pass).
PREFLIGHTED_METHODS = {"PUT", "PATCH", "DELETE"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _session_request_is_same_site() -> bool:
    """CSRF rule for cookie-authenticated JSON calls: only requests a cross-site page cannot send
    without a preflight (JSON bodies, PUT/PATCH/DELETE) may change anything."""
    return request.method in SAFE_METHODS or request.method in PREFLIGHTED_METHODS or request.is_json


def api_user():
    """The user a JSON API request acts for: its API token first, else the signed-in session."""
    user = authenticate_request()
    if user is not None:
        return user
    if current_user.is_authenticated:
        if not _session_request_is_same_site():
            raise ApiError(403, "Send JSON (Content-Type: application/json) when using a browser session.")
        return current_user._get_current_object()
    return None


def api_auth_required(view):
    """JSON API access for a token (Bearer or X-API-Key) or a browser session; the user is g.api_user."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        user = api_user()
        if user is None:
            raise ApiError(401, "Sign in, or send an API key (Authorization: Bearer <key> or X-API-Key).")
        g.api_user = user
        return view(*args, **kwargs)

    return wrapped


def session_required(view):
    """JSON API access for a signed-in browser session only (e.g. managing API keys, per spec 003)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            raise ApiError(401, "Sign in first.")
        if not _session_request_is_same_site():
            raise ApiError(403, "Send JSON (Content-Type: application/json) when using a browser session.")
        g.api_user = current_user._get_current_object()
        return view(*args, **kwargs)

    return wrapped
