"""Referral JSON API (spec 000): GET /api/referrals/code and /stats, POST /api/referrals/click and /track."""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request
from flask_limiter.util import get_remote_address
from flask_login import current_user

from burntop import referrals
from burntop.accounts.auth import api_auth_required
from burntop.errors import ApiError
from burntop.extensions import limiter
from burntop.links import base_url

api_bp = Blueprint("referrals_api", __name__, url_prefix="/api/referrals")

MAX_CODE_LENGTH = 32  # users.referral_code


def _click_limit() -> str:
    return current_app.config.get("REFERRAL_CLICK_RATE_LIMIT", "30 per minute")


def _ip_key() -> str:
    # The prefix lives in the key because the limiter object is shared by apps (see burntop.sync.api).
    return f"{current_app.config['REDIS_KEY_PREFIX']}:referral-click:ip:{get_remote_address()}"


def _code_from_body() -> str:
    body = request.get_json(silent=True)
    code = body.get("referralCode") if isinstance(body, dict) else None
    if not isinstance(code, str) or not code.strip() or len(code) > MAX_CODE_LENGTH:
        raise ApiError(400, 'Send {"referralCode": "<code>"} as JSON.')
    return code


def _visitor() -> str:
    return referrals.visitor_hash(current_app.config["SECRET_KEY"], request.remote_addr or "")


@api_bp.get("/code")
@api_auth_required
def code():
    user_code = g.api_user.referral_code
    return jsonify({"code": user_code, "url": f"{base_url()}?ref={user_code}"})


@api_bp.post("/click")
@limiter.limit(_click_limit, key_func=_ip_key)
def click():
    referrer = referrals.referrer_by_code(_code_from_body())
    if referrer is None:
        raise ApiError(404, "No one has that referral code.")
    if not (current_user.is_authenticated and current_user.id == referrer.id):  # own clicks are not interest
        referrals.record_click(referrer.id, _visitor())
    return jsonify({"success": True})


@api_bp.post("/track")
@api_auth_required
def track():
    referral_code = _code_from_body()
    try:
        awarded = referrals.track_referral(g.api_user.id, referral_code, _visitor())
    except referrals.ReferralError as error:
        raise ApiError(error.status, error.message) from None
    return jsonify({"success": True, "xpAwarded": awarded})


@api_bp.get("/stats")
@api_auth_required
def stats():
    return jsonify(referrals.referral_stats(g.api_user.id))
