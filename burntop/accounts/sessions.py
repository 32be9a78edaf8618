"""Browser sessions: one user_sessions row per signed-in browser, checked on every request, revocable.

The signed cookie carries the user id and a random session id; the row stores only the id's SHA-256.
A request is signed in only while its row exists, belongs to that user and was seen in the last 31
days, so signing out (here or from another browser), deleting the account, or 31 idle days end it on
the server, whatever happened to the cookie.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import delete, select, update

from burntop.accounts.clients import describe_user_agent
from burntop.errors import ApiError
from burntop.extensions import db, login_manager
from burntop.models import User, UserSession
from burntop.models.types import utcnow

# last_seen_at is written at most this often: coarse enough to cost one write an hour per browser.
SEEN_RESOLUTION = timedelta(hours=1)
SESSION_KEY = "sid"

login_manager.login_message = "Sign in to see that page."
login_manager.login_message_category = "info"


def lifetime() -> timedelta:
    """How long an unused session lives: the permanent cookie's sliding lifetime, enforced here too."""
    return current_app.permanent_session_lifetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user of this request's session, if its row is alive (one indexed lookup with the user)."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not user_id.isdigit():
        return None
    row = db.session.execute(
        select(User, UserSession).join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == _hash(token), User.id == int(user_id))
    ).first()
    if row is None:
        return None
    user, browser = row
    now = utcnow()
    if now - browser.last_seen_at >= lifetime():
        return None  # idle for too long; the daily purge removes the row
    if now - browser.last_seen_at >= SEEN_RESOLUTION:
        db.session.execute(update(UserSession).where(UserSession.id == browser.id).values(last_seen_at=now))
        db.session.commit()
    g.user_session = browser
    return user


@login_manager.unauthorized_handler
def unauthorized():
    if request.path.startswith("/api/"):
        raise ApiError(401, "Sign in first.")
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


def open_session(user: User, user_agent: str | None) -> tuple[UserSession, str]:
    """Add a session row for user (not committed); return it and the id the cookie will carry."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = UserSession(user_id=user.id, token_hash=_hash(token), user_agent=describe_user_agent(user_agent)[:100],
                      created_at=now, last_seen_at=now)
    db.session.add(row)
    return row, token


def _fresh_session() -> None:
    """Empty the cookie session, CSRF token included (a new identity gets a new token)."""
    session.clear()
    # Flask-WTF caches the token on g; drop it so the next csrf_token() matches the new session.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    g.pop("user_session", None)


def start_session(user: User) -> None:
    """Sign user in to this browser: a new session row and a fresh, permanent (sliding) cookie."""
    _fresh_session()
    row, token = open_session(user, request.headers.get("User-Agent"))
    db.session.commit()
    login_user(user)
    session[SESSION_KEY] = token
    session.permanent = True
    g.user_session = row


def current_session() -> UserSession | None:
    """This browser's session row, when it is signed in."""
    return g.get("user_session") if current_user.is_authenticated else None


def end_session() -> None:
    """Sign this browser out: its row goes, so a copy of the cookie stops working too."""
    token = session.get(SESSION_KEY)
    if isinstance(token, str):
        db.session.execute(delete(UserSession).where(UserSession.token_hash == _hash(token)))
        db.session.commit()
    logout_user()
    _fresh_session()


def user_sessions(user_id: int) -> list[UserSession]:
    """The user's live sessions, most recently seen first."""
    return list(db.session.scalars(
        select(UserSession).where(UserSession.user_id == user_id, UserSession.last_seen_at > utcnow() - lifetime())
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())))


def revoke(user_id: int, session_id: int | None = None, keep: int | None = None) -> int:
    """Sign out one of the user's sessions (session_id), or all of them but `keep`; return how many."""
    stmt = delete(UserSession).where(UserSession.user_id == user_id)
    if session_id is not None:
        stmt = stmt.where(UserSession.id == session_id)
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep)
    count = db.session.execute(stmt).rowcount
    db.session.commit()
    return count


def expires_at(row: UserSession) -> datetime:
    return row.last_seen_at + lifetime()


def purge_sessions() -> int:
    """Delete sessions idle for longer than their lifetime; return how many (for the daily purge)."""
    cutoff = utcnow() - lifetime()
    count = db.session.execute(delete(UserSession).where(UserSession.last_seen_at < cutoff)).rowcount
    db.session.commit()
    return count
