"""Device login for the CLI: the OAuth 2.0 device authorization grant (RFC 8628).

The two JSON endpoints answer in RFC 8628's shape (`{"error": "authorization_pending"}` with HTTP 400,
RFC 6749 §5.2), not spec 000's error envelope, so any standard device-flow client can use them.
"""
from __future__ import annotations

import re
import secrets
from datetime import timedelta

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from burntop.accounts import clients
from burntop.accounts.tokens import create_token, hash_token
from burntop.extensions import db, limiter
from burntop.links import external
from burntop.models import DeviceGrant, User
from burntop.models.types import utcnow

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"  # no vowels (no words), no 0/O or 1/I look-alikes
USER_CODE_LENGTH = 8
EXPIRES_IN = 900
INTERVAL = 5
SLOW_DOWN_STEP = 5
# Expired grants are kept a while so a late poll still hears expired_token rather than invalid_grant.
PURGE_AFTER = timedelta(hours=1)
DEFAULT_CLIENT_NAME = "burntop CLI"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

ERROR_DESCRIPTIONS = {
    "authorization_pending": "Waiting for the user to approve the code in the browser.",
    "slow_down": "Polling too fast: wait `interval` + 5 seconds between requests.",
    "expired_token": "The code expired before it was approved; request a new one.",
    "access_denied": "The user denied this sign-in.",
    "invalid_grant": "Unknown or already used device_code.",
    "invalid_request": "Send device_code.",
    "unsupported_grant_type": f"grant_type must be {GRANT_TYPE}.",
}

api_bp = Blueprint("device_api", __name__, url_prefix="/api/auth/device")
bp = Blueprint("device", __name__)


def format_user_code(code: str) -> str:
    """BCDFGHJK -> BCDF-GHJK, the form people read and type."""
    return f"{code[:4]}-{code[4:]}"


def normalize_user_code(text: str) -> str | None:
    """The stored form of what a person typed (any case, dashes, spaces), or None if it cannot be a code."""
    code = re.sub(r"[\s-]", "", text or "").upper()
    if len(code) != USER_CODE_LENGTH or any(c not in USER_CODE_ALPHABET for c in code):
        return None
    return code


def _clean_client_name(value) -> str:
    name = " ".join(str(value or "").split())[:100]
    return name or DEFAULT_CLIENT_NAME


def purge_grants() -> int:
    """Forget the requester's IP of every grant that is no longer waiting, and delete grants long expired."""
    now = utcnow()
    db.session.execute(update(DeviceGrant).where(DeviceGrant.requester_ip.is_not(None), or_(
        DeviceGrant.expires_at <= now, DeviceGrant.status != "pending")).values(requester_ip=None))
    deleted = db.session.execute(delete(DeviceGrant).where(DeviceGrant.expires_at < now - PURGE_AFTER)).rowcount
    db.session.commit()
    return deleted


def create_grant(client_name: str, requester_ip: str | None = None) -> tuple[DeviceGrant, str]:
    """Start a device login: store the grant (device code hashed) and return it with the device code."""
    purge_grants()
    now = utcnow()
    for _ in range(5):
        device_code = secrets.token_urlsafe(32)
        user_code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
        if db.session.scalar(select(DeviceGrant.id).where(DeviceGrant.user_code == user_code)):
            continue
        grant = DeviceGrant(device_code_hash=hash_token(device_code), user_code=user_code, client_name=client_name,
                            requester_ip=(requester_ip or None) and requester_ip[:45], status="pending",
                            interval=INTERVAL, created_at=now, expires_at=now + timedelta(seconds=EXPIRES_IN))
        db.session.add(grant)
        try:
            db.session.commit()
        except IntegrityError:  # another request took the same user code a moment ago
            db.session.rollback()
            continue
        return grant, device_code
    raise RuntimeError("could not find a free user code")


def exchange_device_code(device_code: str) -> tuple[str, dict]:
    """One poll of the token endpoint: ("ok", token response) or (RFC 8628 error code, {})."""
    grant = db.session.scalar(select(DeviceGrant).where(DeviceGrant.device_code_hash == hash_token(device_code)))
    now = utcnow()
    if grant is None or grant.status == "used":
        return "invalid_grant", {}
    if grant.expires_at <= now:
        return "expired_token", {}
    if grant.status == "denied":
        return "access_denied", {}
    if grant.status == "approved":
        # Only the poll whose update wins hands out the token, so it is returned exactly once.
        won = db.session.execute(update(DeviceGrant).where(DeviceGrant.id == grant.id, DeviceGrant.status == "approved")
                                 .values(status="used", last_polled_at=now, requester_ip=None)).rowcount
        if not won:
            db.session.rollback()
            return "invalid_grant", {}
        user = db.session.get(User, grant.user_id)
        _, plaintext = create_token(user, name=grant.client_name, kind="cli")
        db.session.commit()
        return "ok", {"access_token": plaintext, "token_type": "Bearer", "user": {"username": user.username}}
    too_fast = grant.last_polled_at is not None and now - grant.last_polled_at < timedelta(seconds=grant.interval)
    if too_fast:
        grant.interval += SLOW_DOWN_STEP
    grant.last_polled_at = now
    db.session.commit()
    return ("slow_down" if too_fast else "authorization_pending"), {}


def find_pending_grant(text: str) -> tuple[DeviceGrant | None, str | None]:
    """The live, undecided grant a typed user code names, or None and why not (for the page)."""
    code = normalize_user_code(text)
    if code is None:
        return None, "Codes are 8 letters, like BCDF-GHJK. Check the code in your terminal."
    grant = db.session.scalar(select(DeviceGrant).where(DeviceGrant.user_code == code))
    if grant is None:
        return None, "No sign-in is waiting for this code. Check it against your terminal."
    if grant.expires_at <= utcnow():
        return None, "This code has expired. Run burntop login in your terminal again for a new one."
    if grant.status != "pending":
        return None, "This code has already been used. Run burntop login again if you still need to sign in."
    return grant, None


def _where(ip: str | None, network: str | None) -> str:
    place = clients.place(ip)
    return f"{place} ({network})" if network and clients.country(ip) else place


def origin(grant: DeviceGrant, approver_ip: str | None) -> dict:
    """What burntop knows about where a code was asked for, next to where its approver is (RFC 8628 §5.4)."""
    requester_network, approver_network = clients.network(grant.requester_ip), clients.network(approver_ip)
    return {
        "requested_at": grant.created_at, "expires_at": grant.expires_at,
        "requester_ip": grant.requester_ip or "unknown", "requester_place": clients.place(grant.requester_ip),
        "approver_ip": approver_ip or "unknown", "approver_place": clients.place(approver_ip),
        "same_network": requester_network is not None and requester_network == approver_network,
        "requester_where": _where(grant.requester_ip, requester_network),
        "approver_where": _where(approver_ip, approver_network),
    }


def decide(grant: DeviceGrant, user: User, approve: bool) -> bool:
    """Approve the grant for user, or deny it; False if someone decided it first."""
    decided = db.session.execute(
        update(DeviceGrant).where(DeviceGrant.id == grant.id, DeviceGrant.status == "pending")
        .values(status="approved" if approve else "denied", user_id=user.id, requester_ip=None)
    ).rowcount
    db.session.commit()
    return bool(decided)


# --- JSON API (CLI) ---------------------------------------------------------------------------------

def _params() -> dict:
    if request.is_json:
        body = request.get_json(silent=True)
        return body if isinstance(body, dict) else {}
    return request.form


def _code_limit() -> str:
    return current_app.config.get("DEVICE_CODE_RATE_LIMIT", "10 per minute")


def _ip_key() -> str:
    return f"{current_app.config['REDIS_KEY_PREFIX']}:device-code:ip:{get_remote_address()}"


def _oauth_error(error: str):
    return jsonify({"error": error, "error_description": ERROR_DESCRIPTIONS[error]}), 400, NO_STORE


@api_bp.post("/code")
@limiter.limit(_code_limit, key_func=_ip_key)
def code():
    grant, device_code = create_grant(_clean_client_name(_params().get("client_name")), request.remote_addr)
    page = external(url_for("device.page"))
    user_code = format_user_code(grant.user_code)
    return jsonify({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": page,
        "verification_uri_complete": f"{page}?code={user_code}",
        "interval": grant.interval,
        "expires_in": EXPIRES_IN,
    }), 200, NO_STORE


@api_bp.post("/token")
def token():
    params = _params()
    if params.get("grant_type") != GRANT_TYPE:
        return _oauth_error("unsupported_grant_type")
    device_code = params.get("device_code")
    if not isinstance(device_code, str) or not device_code or len(device_code) > 200:
        return _oauth_error("invalid_request")
    outcome, body = exchange_device_code(device_code)
    if outcome != "ok":
        return _oauth_error(outcome)
    return jsonify(body), 200, NO_STORE


# --- The /device page (browser) ---------------------------------------------------------------------

def _check_limit() -> str:
    return current_app.config.get("DEVICE_CHECK_RATE_LIMIT", "20 per minute")


def _user_key() -> str:
    # Guessing user codes is the attack RFC 8628 §5.1 warns about: cap tries per signed-in person.
    return f"{current_app.config['REDIS_KEY_PREFIX']}:device-check:user:{current_user.id}"


def _render(step: str, **context):
    """The step alone for htmx, or inside the page."""
    if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        return render_template(f"device/{step}", **context)
    return render_template("device/index.html", step=f"device/{step}", **context)


@bp.route("/device", methods=["GET", "POST"])
@login_required
@limiter.limit(_check_limit, key_func=_user_key, methods=["POST"])
def page():
    if request.method == "GET":
        return _render("_code_form.html", code=request.args.get("code", "")[:32], error=None)
    typed, decision = request.form.get("user_code", ""), request.form.get("decision")
    grant, error = find_pending_grant(typed)
    if grant is None:
        return _render("_code_form.html", code=typed[:32], error=error)
    if decision is None:
        return _render("_confirm.html", grant=grant, user_code=format_user_code(grant.user_code),
                       origin=origin(grant, request.remote_addr))
    if decision not in ("approve", "deny"):
        abort(400)
    if not decide(grant, current_user, approve=decision == "approve"):
        return _render("_code_form.html", code="", error="This code was just used. Run burntop login again.")
    outcome = "approved" if decision == "approve" else "denied"
    if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        return render_template("device/_done.html", outcome=outcome)
    return redirect(url_for("device.done", outcome=outcome), 303)


@bp.get("/device/<any(approved, denied):outcome>")
@login_required
def done(outcome: str):
    return _render("_done.html", outcome=outcome)
