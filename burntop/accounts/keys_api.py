"""/api/api-keys: create, list and revoke API keys from a signed-in browser session (spec 003)."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, g, jsonify, request
from sqlalchemy import func, select

from burntop.accounts.auth import session_required
from burntop.accounts.tokens import create_token
from burntop.errors import ApiError
from burntop.extensions import db
from burntop.models import ApiToken, User

api_bp = Blueprint("keys_api", __name__, url_prefix="/api")

MAX_TOKENS_PER_USER = 100
NAME_MAX = 100


class KeyRefused(ValueError):
    """A key name or count the rules refuse."""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def key_json(token: ApiToken) -> dict:
    """A key as listed: never its hash, only the prefix that identifies it."""
    return {"id": str(token.id), "name": token.name, "prefix": token.prefix, "kind": token.kind,
            "last_used_at": _iso(token.last_used_at), "created_at": _iso(token.created_at)}


def user_tokens(user: User) -> list[ApiToken]:
    """The user's API keys and CLI tokens, newest first."""
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def check_key_name(name) -> str:
    """Return the cleaned key name or raise KeyRefused saying what is wrong."""
    if not isinstance(name, str) or not name.strip():
        raise KeyRefused("Give the key a name, such as the machine or tool that will use it.")
    name = name.strip()
    if len(name) > NAME_MAX or any(ord(ch) < 32 for ch in name):
        raise KeyRefused(f"Key names are one line of at most {NAME_MAX} characters.")
    return name


def new_api_key(user: User, name) -> tuple[ApiToken, str]:
    """Create and commit an API key for user; return the row and the plaintext (shown once)."""
    name = check_key_name(name)
    count = db.session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id))
    if count >= MAX_TOKENS_PER_USER:
        raise KeyRefused(f"You have {MAX_TOKENS_PER_USER} keys and devices; revoke one you no longer use first.")
    token, plaintext = create_token(user, name, kind="api_key")
    db.session.commit()
    return token, plaintext


def revoke(user: User, token_id) -> ApiToken | None:
    """Delete one of user's tokens; it stops working on the next request. None when user has no such token."""
    try:
        token_id = int(token_id)
    except (TypeError, ValueError):
        return None
    if not 0 < token_id < 2**31:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None:
        return None
    db.session.delete(token)
    db.session.commit()
    return token


@api_bp.post("/api-keys")
@session_required
def create_key():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, 'Send a JSON object such as {"name": "My CLI Tool"}.')
    try:
        token, plaintext = new_api_key(g.api_user, body.get("name"))
    except KeyRefused as exc:
        raise ApiError(400, str(exc), details=[{"field": "name", "reason": str(exc)}]) from None
    response = jsonify({"key": plaintext, "id": str(token.id), "name": token.name, "prefix": token.prefix,
                        "created_at": _iso(token.created_at)})
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response


@api_bp.get("/api-keys")
@session_required
def list_keys():
    return jsonify({"keys": [key_json(token) for token in user_tokens(g.api_user)]})


@api_bp.delete("/api-keys")
@session_required
def delete_key():
    key_id = request.args.get("id", "").strip()
    if not key_id:
        raise ApiError(400, "Say which key to delete: DELETE /api/api-keys?id=<key id>.")
    if revoke(g.api_user, key_id) is None:
        raise ApiError(404, "No such API key.")
    return jsonify({"success": True})
