"""API tokens: creation (plaintext once), hashing, and authenticating requests."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import wraps

from flask import g, request
from sqlalchemy import select, update

from burntop.errors import ApiError
from burntop.extensions import db
from burntop.models import ApiToken, User
from burntop.models.types import utcnow

TOKEN_PREFIX = "bt_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str, kind: str = "api_key") -> tuple[ApiToken, str]:
    """Create a token for user; return the row and the plaintext, which is never stored."""
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)  # 256 bits of entropy
    token = ApiToken(user=user, name=name, kind=kind, prefix=plaintext[:8], token_hash=hash_token(plaintext))
    db.session.add(token)
    return token, plaintext


def _presented_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.headers.get("X-API-Key", "").strip() or None


def authenticate_request() -> User | None:
    """Return the user whose token this request carries, touching last_used_at at most once a minute."""
    plaintext = _presented_token()
    if not plaintext or len(plaintext) > 200:
        return None
    row = db.session.execute(
        select(ApiToken.id, ApiToken.last_used_at, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == hash_token(plaintext))
    ).first()
    if row is None:
        return None
    token_id, last_used_at, user = row
    now = utcnow()
    if last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION:
        db.session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
        db.session.commit()
    return user


def token_required(view):
    """Let the view run only for a request carrying a valid token; the user is g.api_user."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        user = authenticate_request()
        if user is None:
            raise ApiError(401, "A valid API token is required (Authorization: Bearer <token> or X-API-Key).")
        g.api_user = user
        return view(*args, **kwargs)

    return wrapped
