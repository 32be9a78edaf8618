"""One JSON error shape for /api/, a styled page everywhere else."""
from __future__ import annotations

import logging

from flask import Flask, Response, current_app, has_request_context, jsonify, render_template, request
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

# spec 002's public usage API (burntop.stats.public_api) answers its own lowercase codes, routing errors
# and rate limits included; a status it does not name gets the code above in lowercase.
PUBLIC_API_PREFIX = "/api/v1/public/"
PUBLIC_API_CODES = {404: "not_found", 429: "rate_limited", 500: "server_error"}


def default_code(status: int) -> str:
    """The error code of a status for the API this request is on."""
    if has_request_context() and (request.path + "/").startswith(PUBLIC_API_PREFIX):
        return PUBLIC_API_CODES.get(status) or CODES.get(status, "ERROR").lower()
    return CODES.get(status, "ERROR")


# What a page says for a status, in burntop's words (Werkzeug's stock text reads like a server log).
PAGES = {
    400: ("That request did not make sense",
          "Something in the address or the form was not what burntop expected. Go back and try again."),
    401: ("Sign in first", "This page belongs to an account. Sign in and you are brought back here."),
    403: ("Not yours to see", "You do not have access to this page. If it belongs to another of your accounts, "
                              "sign in with that one."),
    404: ("Nothing here", "There is no page at this address. It may be mistyped, or the page has moved."),
    405: ("Not like that", "This address exists, but not for that kind of request: a form may have been sent to "
                           "a page that only shows. Open it from a link instead."),
    413: ("That was too much at once", "The request was larger than burntop accepts."),
    429: ("Slow down a little", "Too many requests in a short time. Wait a minute, then try again."),
    500: ("Something broke on our side", "An unexpected error happened and it has been logged. Try again in a "
                                         "moment; if it keeps happening, the problem is ours, not yours."),
    503: ("burntop is catching its breath", "A service burntop needs is not answering right now. Try again in a "
                                            "moment."),
}


class ApiError(Exception):
    """Raised by API code to answer with the spec's error shape."""

    def __init__(self, status: int, message: str, code: str | None = None, details: list | None = None):
        super().__init__(message)
        self.status = status
        self.code = code or default_code(status)
        self.message = message
        self.details = details


def api_error(status: int, message: str, code: str | None = None, details: list | None = None) -> Response:
    body: dict = {"code": code or default_code(status), "message": message}
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


def _page(status: int, name: str, custom: str = ""):
    """burntop's page for an error status; a view's own message replaces the standard one."""
    title, message = PAGES.get(status, (name, "That did not work. Try again, or start again from a page below."))
    message = custom or message
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
        # A view's own description (abort(404, "No such key")) is kept; Werkzeug's stock one is not, nor
        # a rate limit's ("10 per 1 minute").
        custom = exc.description if exc.description != type(exc).description and exc.code != 429 else ""
        return _page(exc.code or 500, exc.name, custom or "")

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _is_api():
            return api_error(500, "Internal server error.")
        return _page(500, "Internal Server Error")
