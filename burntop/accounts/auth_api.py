"""Email one-time-code sign-in and the browser session as JSON (spec 003's /api/auth endpoints).

Every POST here must carry a JSON body: a cross-site page cannot send one without a CORS preflight,
so these cookie-setting calls need no CSRF token (the rule of burntop.accounts.auth).
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, jsonify, request
from flask_login import current_user

from burntop import mail
from burntop.accounts import email_codes, sessions
from burntop.errors import ApiError, api_error

api_bp = Blueprint("auth_api", __name__, url_prefix="/api/auth")
api_bp.record_once(lambda state: mail.init_app(state.app))


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def session_json() -> dict:
    """{"user": ..., "session": ...} for the signed-in browser, else both null."""
    row = sessions.current_session()
    if row is None:
        return {"user": None, "session": None}
    user = current_user
    return {
        "user": {"id": str(user.id), "username": user.username, "name": user.name, "email": user.email,
                 "emailVerified": bool(user.email and user.email_verified), "image": user.image,
                 "createdAt": _iso(user.created_at)},
        "session": {"id": str(row.id), "userId": str(user.id), "userAgent": row.user_agent,
                    "createdAt": _iso(row.created_at), "updatedAt": _iso(row.last_seen_at),
                    "expiresAt": _iso(sessions.expires_at(row))},
    }


@api_bp.before_request
def require_json_posts():
    if request.method == "POST" and not request.is_json:
        raise ApiError(415, "Send a JSON body (Content-Type: application/json).")


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object.")
    return body


def _email(body: dict) -> str:
    try:
        return email_codes.normalize_email(body.get("email"))
    except ValueError as exc:
        raise ApiError(400, str(exc), details=[{"field": "email", "reason": "invalid"}])


@api_bp.post("/email-otp/send-verification-otp")
def send_verification_otp():
    body = _body()
    email = _email(body)
    if body.get("type", "sign-in") not in ("sign-in", "email-verification"):
        raise ApiError(400, "type must be 'sign-in'.", details=[{"field": "type", "reason": "invalid"}])
    try:
        email_codes.request_code(email, request.remote_addr or "")
    except email_codes.Throttled as exc:
        response = api_error(429, str(exc))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except mail.MailUnavailable as exc:
        raise ApiError(503, f"Sign-in codes cannot be sent right now: {exc}.")
    return jsonify({"success": True})


@api_bp.post("/email-otp/verify-otp")
def verify_otp():
    body = _body()
    email = _email(body)
    otp = body.get("otp")
    if not isinstance(otp, str) or not otp.strip():
        raise ApiError(400, "otp is required.", details=[{"field": "otp", "reason": "missing"}])
    try:
        email_codes.check_code(email, otp)
    except email_codes.CodeRejected as exc:
        raise ApiError(400, str(exc), details=[{"field": "otp", "reason": exc.reason}])
    sessions.start_session(email_codes.user_for_email(email))
    return jsonify(session_json())


@api_bp.get("/session")
def get_session():
    return jsonify(session_json())


@api_bp.post("/sign-out")
def sign_out():
    sessions.end_session()
    return jsonify({"success": True})
