"""Rendered badges answered before Flask: a WSGI layer that keeps, per process, the last full response
(status, headers, SVG, ETag) of each badge URL and replays it, or a 304 for a matching If-None-Match
(with only the headers RFC 9110 asks of a 304: ETag and Cache-Control here; the cached response keeps
its others), for BADGE_MEMO_SECONDS (default 1) after Flask made it. A README badge is fetched far more often than
its figures change, and a replay skips the request machinery, the user lookup and the figures cache.

Freshness: a user's entries are dropped at once in this process when their figures are forgotten
(burntop.stats.figures.figures_forgotten: a sync, an evaluation, a profile or privacy change, a
deletion); other processes notice at their next full request, at most BADGE_MEMO_SECONDS later, when
the figures cache (shared through Redis) answers with the new generation. 0 turns the replay off.
"""
from __future__ import annotations

import time
from http import HTTPStatus
from typing import Any

from flask import Flask, current_app, has_app_context

from burntop.stats.figures import figures_forgotten

PREFIX = "/api/badge/"
MAX_ENTRIES = 20_000
ENVIRON_KEY = "burntop.badge"  # the view leaves {"user_id", "etag", "body", "status", "content_type"} here
_IN_304 = {"etag", "cache-control", "vary", "expires", "date", "content-location"}  # RFC 9110 15.4.5


def etag_matches(header: str, etag: str) -> bool:
    """If-None-Match's weak comparison: any listed tag (W/ or not) equal to ours, or "*"."""
    if header.strip() == "*":
        return True
    plain = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == plain for tag in header.split(","))


class BadgeEdge:
    def __init__(self, wsgi_app, seconds: float):
        self.wsgi_app = wsgi_app
        self.seconds = seconds
        self.entries: dict[str, dict[str, Any]] = {}
        self.by_user: dict[int, set[str]] = {}

    def forget_user(self, user_id: int) -> None:
        for key in self.by_user.pop(user_id, ()):
            self.entries.pop(key, None)

    def _keep(self, key: str, kept: dict, headers: list[tuple[str, str]]) -> None:
        """Keep what Flask answered (a full response or its 304) as both the full response and the 304."""
        if len(self.entries) >= MAX_ENTRIES:
            self.entries.clear()
            self.by_user.clear()
        full = [(k, v) for k, v in headers if k.lower() not in ("content-type", "content-length")]
        full += [("Content-Type", kept["content_type"]), ("Content-Length", str(len(kept["body"])))]
        status = f"{kept['status']} {HTTPStatus(kept['status']).phrase}"
        self.entries[key] = {"until": time.monotonic() + self.seconds, "etag": kept["etag"], "status": status,
                             "headers": full, "headers_304": [(k, v) for k, v in full if k.lower() in _IN_304],
                             "body": kept["body"]}
        if kept["user_id"] is not None:
            self.by_user.setdefault(kept["user_id"], set()).add(key)

    def __call__(self, environ: dict, start_response):
        method = environ.get("REQUEST_METHOD")
        path = environ.get("PATH_INFO", "")
        if self.seconds <= 0 or method not in ("GET", "HEAD") or not path.startswith(PREFIX):
            return self.wsgi_app(environ, start_response)
        key = path + "?" + environ.get("QUERY_STRING", "")
        entry = self.entries.get(key)
        if entry is not None and time.monotonic() < entry["until"]:
            asked = environ.get("HTTP_IF_NONE_MATCH")
            if asked and etag_matches(asked, entry["etag"]):
                start_response("304 Not Modified", entry["headers_304"])
                return []
            start_response(entry["status"], entry["headers"])
            return [] if method == "HEAD" else [entry["body"]]
        seen: dict[str, Any] = {}

        def capture(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, list(headers)
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, capture)
        kept = environ.get(ENVIRON_KEY)
        if kept is not None and seen.get("status", "")[:3] in ("200", "304", "404") and method == "GET":
            self._keep(key, kept, seen["headers"])
        return result


def init_app(app: Flask) -> None:
    edge = BadgeEdge(app.wsgi_app, float(app.config["BADGE_MEMO_SECONDS"]))
    app.wsgi_app = edge
    app.extensions["burntop_badge_edge"] = edge


@figures_forgotten.connect
def _forget(sender, user_id: int, **_details) -> None:
    if has_app_context():
        edge = current_app.extensions.get("burntop_badge_edge")
        if edge is not None:
            edge.forget_user(user_id)
