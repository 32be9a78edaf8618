"""One JSON error shape for /api/, a styled page everywhere else."""
from __future__ import annotations

import logging

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# spec 000's codes, plus the few statuses it does not name.
CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMIT_EXCEEDED",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
}


class ApiError(Exception):
    """Raised by API code to answer with the spec's error shape."""

    def __init__(self, status: int, message: str, code: str | None = None, details: list | None = None):
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "ERROR")
        self.message = message
        self.details = details


def api_error(status: int, message: str, code: str | None = None, details: list | None = None) -> Response:
    body: dict = {"code": code or CODES.get(status, "ERROR"), "message": message}
    if details is not None:
        body["details"] = details
    response = jsonify({"error": body})
    response.status_code = status
    return response


def _is_api() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _http_message(exc: HTTPException) -> str:
    if exc.code == 413:
        megabytes = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) / (1024 * 1024)
        return f"Request body too large: at most 10,000 records and {megabytes:g} MB per request."
    if exc.code == 429:
        return f"Too many requests: limit {exc.description}." if exc.description else "Too many requests."
    return exc.description or exc.name


def _page(status: int, title: str, message: str):
    try:
        return render_template("errors/error.html", status=status, title=title, message=message), status
    except Exception:  # the error page itself must never fail into Werkzeug's bare page
        log.exception("error page failed to render")
        return Response(f"{status} {title}", status=status, mimetype="text/plain")


def register(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def handle_api_error(exc: ApiError):
        return api_error(exc.status, exc.message, exc.code, exc.details)

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        if _is_api():
            response = api_error(exc.code or 500, _http_message(exc))
            for header in ("Retry-After", "Allow"):
                original = exc.get_response().headers.get(header)
                if original:
                    response.headers[header] = original
            return response
        return _page(exc.code or 500, exc.name, exc.description or "")

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _is_api():
            return api_error(500, "Internal server error.")
        return _page(500, "Something broke", "An unexpected error happened. It has been logged.")
