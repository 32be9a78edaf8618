"""The sign-in page (email code, GitHub) and sign-out."""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlsplit

from flask import Blueprint, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user

from burntop import mail
from burntop.accounts import email_codes
from burntop.accounts.profile import time_zones
from burntop.accounts.sessions import end_session, start_session
from burntop.models import User

bp = Blueprint("accounts", __name__)
bp.record_once(lambda state: mail.init_app(state.app))


def safe_next(target) -> str | None:
    """target if it is a path on this site, else None (never redirect off-site)."""
    if not isinstance(target, str) or not target.startswith("/") or len(target) > 2000:
        return None
    if target.startswith("//") or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def browser_time_zone(value) -> str | None:
    """The IANA zone a sign-in form carried from the browser (static/js/burntop.js), if burntop knows it."""
    zone = value.strip() if isinstance(value, str) else ""
    return zone if zone in time_zones() else None


def note_browser_zone(user: User, zone: str | None, started: datetime) -> None:
    """After an account was created by this sign-in in the browser's zone, ask its owner to confirm it."""
    if zone and zone != "UTC" and user.timezone == zone and user.created_at >= started:
        session["timezone_notice"] = zone


def _is_partial() -> bool:
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")


def _form(step: str, *, email: str = "", error: str | None = None, notice: str | None = None, status: int = 200):
    """The login form at `step` ("email" or "code"): alone for htmx, else inside the page."""
    context = {"step": step, "email": email, "error": error, "notice": notice,
               "next": safe_next(request.values.get("next")),
               "timezone": browser_time_zone(request.values.get("timezone"))}
    if _is_partial():
        # htmx swaps only 2xx answers by default; the error is in the markup either way.
        return render_template("accounts/_login_form.html", **context)
    return render_template("accounts/login.html", **context), status


def _send(email: str):
    try:
        email_codes.request_code(email, request.remote_addr or "")
    except email_codes.Throttled as exc:
        # After "one was just sent" the person has a code to type; otherwise stay where they were.
        step = "code" if exc.kind == "gap" or "code" in request.form else "email"
        return _form(step, email=email, error=str(exc), status=429)
    except mail.MailUnavailable:
        return _form("email", email=email, status=503,
                     error="Sign-in codes cannot be emailed right now. Try again later or sign in with GitHub.")
    return _form("code", email=email, notice=f"We sent a six-digit code to {email}. It expires in 10 minutes.")


def _verify(email: str, code: str):
    try:
        email_codes.check_code(email, code)
    except email_codes.CodeRejected as exc:
        return _form("code", email=email, error=str(exc), status=422)
    started, zone = datetime.now(timezone.utc), browser_time_zone(request.form.get("timezone"))
    user = email_codes.user_for_email(email, zone)
    start_session(user)
    note_browser_zone(user, zone, started)
    return see_other(safe_next(request.values.get("next")) or url_for("home.index"), _is_partial())


def see_other(target: str, partial: bool):
    """Go to target after a change: a 303, or for an htmx partial request an HX-Redirect htmx follows."""
    if partial:
        response = make_response("", 200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return render_template("accounts/signed_in.html", next=safe_next(request.args.get("next")))
        return _form("email")
    try:
        email = email_codes.normalize_email(request.form.get("email"))
    except ValueError as exc:
        return _form("email", email=(request.form.get("email") or "")[:254], error=str(exc), status=422)
    action = request.form.get("action") or ("verify" if "code" in request.form else "send")
    if action == "verify":
        return _verify(email, request.form.get("code", ""))
    return _send(email)


@bp.post("/logout")
def logout():
    end_session()
    return redirect(url_for("home.index"), 303)
