"""Input no endpoint can use is refused once, before any view runs: NUL characters, absurdly deep JSON,
and bodies past the size limit that arrive without a Content-Length (chunked).

PostgreSQL refuses NUL in text, so one in a path, query, form or JSON string would fail deep in some
query; JSON nested 2,000 levels deep exhausts Python's recursion. Both are 400 here (the spec-000 error
shape under /api), for every endpoint at once. `POST /api/sync` parses its own body with pydantic
(burntop.sync.schema), whose JSON parser caps nesting and whose string fields refuse control characters,
so its large bodies are not read twice.
"""
from __future__ import annotations

from typing import Any

import orjson
from flask import Flask, abort, current_app, request
from flask.json.provider import DefaultJSONProvider
from flask.wrappers import Request as FlaskRequest
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
NUL_MESSAGE = "The request contains a NUL character (\\u0000), which no field accepts."


def _holds_nul(value: Any) -> bool:
    """Whether a decoded JSON value has a NUL in any string or key (orjson caps its depth at 1,024)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, parsed by orjson: nesting beyond 1,024 levels, lone surrogates and NUL are ValueErrors,
    which Flask turns into 400 Bad Request."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = orjson.loads(s)
        except orjson.JSONDecodeError as exc:
            raise ValueError(str(exc)) from None
        # A NUL can only arrive escaped, so bodies without the escape skip the walk.
        escaped = b"\\u0000" in s if isinstance(s, bytes) else "\\u0000" in s
        if escaped and _holds_nul(value):
            raise ValueError(NUL_MESSAGE)
        return value


class _BodyLimit(LimitedStream):
    """MAX_CONTENT_LENGTH for a body of unknown length: reading one byte past it is 413.

    Werkzeug stops reading such a body at the limit and hands over what it has, so a chunked upload
    past the limit arrived truncated (and, if the cut still parsed, accepted)."""

    def __init__(self, stream, limit: int):
        super().__init__(stream, limit + 1, is_max=True)

    def readinto(self, buffer) -> int | None:
        count = super().readinto(buffer)
        if self._pos >= self.limit:
            raise RequestEntityTooLarge()
        return count


class EdgeRequest(FlaskRequest):
    """Mixed into the app's request class (extensions such as htmx-flask bring their own)."""

    def on_json_loading_failed(self, e: ValueError | None):
        raise BadRequest(str(e) if e and str(e) == NUL_MESSAGE else f"The body is not valid JSON ({e}).")

    @cached_property
    def stream(self):
        limit = self.max_content_length
        if limit is None or self.content_length is not None or "wsgi.input_terminated" not in self.environ:
            return get_input_stream(self.environ, max_content_length=limit)
        return _BodyLimit(self.environ["wsgi.input"], limit)


def raw_body(view):
    """Mark a view that parses its own JSON body, so the edge does not parse it first."""
    view.raw_json_body = True
    return view


def _has_nul(pairs) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in pairs)


def refuse_bad_input() -> None:
    if "\x00" in request.path or _has_nul(request.args.items(multi=True)):
        abort(400, NUL_MESSAGE)
    if request.mimetype in FORM_TYPES and _has_nul(request.form.items(multi=True)):
        abort(400, NUL_MESSAGE)
    view = current_app.view_functions.get(request.endpoint)
    if request.is_json and not getattr(view, "raw_json_body", False) and request.get_data(cache=True):
        request.get_json()  # cached for the view; raises 400 on what JSONProvider.loads refuses


def init_app(app: Flask) -> None:
    """Call after the extensions: it builds on the request class they installed."""
    if not issubclass(app.request_class, EdgeRequest):
        app.request_class = type("Request", (EdgeRequest, app.request_class), {})
    app.json = JSONProvider(app)
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_bad_input)
