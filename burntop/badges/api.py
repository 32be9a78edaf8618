"""GET /api/badge/<username> and /api/badge/demo (spec 000, "Badges"): embeddable SVG badges.

- ?variant=compact|standard|detailed|streak|level|heatmap (standard), ?style=flat|flat-square|plastic|
  for-the-badge (flat), ?theme=dark|light (dark), ?color=3 or 6 hex digits without "#" (burntop's
  flame orange); anything else is a 400 JSON error naming the allowed values.
- Public profiles only: an unknown or private user (private even to its owner: a badge is a public,
  shared-cache surface) gets a small "user not found" / "private profile" SVG with 404.
- `Cache-Control: public, max-age=900` (demo 3600, 404 300); a strong ETag hashed from the figures
  shown, every parameter and the drawing's TEMPLATE_VERSION; a matching If-None-Match is a 304. The
  figures come from the per-user figures cache (burntop.stats.figures), so a sync, which forgets them,
  changes the ETag at once; burntop.badges.edge replays recent responses before Flask.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from datetime import datetime, timezone

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import NotFound

from burntop.accounts.access import user_or_404
from burntop.badges import data, edge
from burntop.badges.render import DEFAULT_COLOR, STYLES, TEMPLATE_VERSION, THEMES, VARIANTS, not_found, render
from burntop.errors import ApiError

api_bp = Blueprint("badges_api", __name__, url_prefix="/api")
api_bp.record_once(lambda state: edge.init_app(state.app))

CACHE = {"user": "public, max-age=900", "demo": "public, max-age=3600", "missing": "public, max-age=300"}
CSP = "default-src 'none'; sandbox"  # an image: no scripts, styles, fetches or frames of its own
COLOR_RE = re.compile(r"^(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
RENDERED_MAX = 4096


def _choice(name: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.args.get(name, default)
    if value not in allowed:
        raise ApiError(400, f"{name} must be one of: {', '.join(allowed)}.",
                       details=[{"field": name, "reason": "unknown value", "allowed": list(allowed)}])
    return value


def params() -> tuple[str, str, str, str]:
    """(variant, style, theme, color as #rrggbb or #rgb, lower case) from the query string, or 400."""
    color = request.args.get("color")
    if color is not None and not COLOR_RE.fullmatch(color):
        raise ApiError(400, "color must be 3 or 6 hexadecimal digits without '#', e.g. FF6B00.",
                       details=[{"field": "color", "reason": "not a hex colour"}])
    return (_choice("variant", VARIANTS, "standard"), _choice("style", STYLES, "flat"),
            _choice("theme", THEMES, "dark"), "#" + color.lower() if color else DEFAULT_COLOR)


def etag_for(*parts) -> str:
    """A strong ETag of everything a badge's bytes depend on."""
    raw = json.dumps([TEMPLATE_VERSION, *parts], sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def _rendered(etag: str, draw) -> bytes:
    """The SVG for this ETag, drawn once per process (bounded, oldest dropped first)."""
    store = current_app.extensions.setdefault("burntop_badges_rendered", OrderedDict())
    body = store.get(etag)
    if body is None:
        body = draw().encode()
        store[etag] = body
        if len(store) > RENDERED_MAX:
            store.popitem(last=False)
    return body


def _respond(status: int, cache: str, etag: str, draw, user_id: int | None) -> Response:
    body = _rendered(etag, draw)
    response = Response(body, status=status, mimetype="image/svg+xml")
    request.environ[edge.ENVIRON_KEY] = {"user_id": user_id, "etag": etag, "body": body, "status": status,
                                         "content_type": response.headers["Content-Type"]}
    if request.if_none_match.contains_weak(etag.strip('"')):
        response = Response(status=304)
    response.headers["Cache-Control"] = cache
    response.headers["ETag"] = etag
    response.headers["Content-Security-Policy"] = CSP
    return response


def _missing(message: str, style: str, theme: str, user_id: int | None) -> Response:
    etag = etag_for("missing", message, style, theme)
    return _respond(404, CACHE["missing"], etag, lambda: not_found(message, style, theme), user_id)


@api_bp.get("/badge/demo")
def demo():
    variant, style, theme, color = params()
    figures = data.demo_figures(datetime.now(timezone.utc).date(), variant == "heatmap")
    etag = etag_for(variant, style, theme, color, figures)
    return _respond(200, CACHE["demo"], etag, lambda: render(variant, style, theme, color, figures), None)


@api_bp.get("/badge/<username>")
def badge(username: str):
    variant, style, theme, color = params()
    try:
        user = user_or_404(username)
    except NotFound:
        return _missing("user not found", style, theme, None)
    if not user.is_public:
        return _missing("private profile", style, theme, user.id)
    figures = data.user_figures(user, variant == "heatmap")
    etag = etag_for(variant, style, theme, color, figures)
    return _respond(200, CACHE["user"], etag, lambda: render(variant, style, theme, color, figures), user.id)
