"""Test data builders that go through the same code the product uses."""
from __future__ import annotations

import itertools
from datetime import datetime, timezone

from burntop.accounts.sessions import SESSION_KEY, open_session
from burntop.accounts.tokens import create_token
from burntop.accounts.users import create_user
from burntop.extensions import db

_ids = itertools.count(1)


def make_user(username: str | None = None, **fields):
    user = create_user(username or f"user-{next(_ids)}", **fields)
    db.session.commit()
    return user


def make_token(user, name: str = "test") -> str:
    _, plaintext = create_token(user, name)
    db.session.commit()
    return plaintext


def sign_in(client, user, user_agent: str = "pytest") -> None:
    """Sign the test client in as user: a real session row, and the cookie keys a sign-in would set."""
    _, token = open_session(user, user_agent)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
        session[SESSION_KEY] = token
        session.permanent = True


def browser_sign_in(context, client, user, server: str) -> None:
    """Sign a Playwright browser context in as user: the test client's session cookie, copied over."""
    sign_in(client, user)
    cookie = client.get_cookie("session")
    context.add_cookies([{"name": "session", "value": cookie.value, "url": server, "httpOnly": True,
                          "sameSite": "Lax"}])


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def record(request_id: str | None = None, *, at: str | datetime = "2025-06-01T12:00:00Z", **fields) -> dict:
    """A valid sync record; keyword fields override the defaults."""
    if isinstance(at, datetime):
        at = at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    base = {
        "timestamp": at,
        "model": "claude-sonnet-4-20250514",
        "source": "claude-code",
        "inputTokens": 1000,
        "outputTokens": 500,
        "cacheCreationTokens": 0,
        "cacheReadTokens": 0,
        "requestId": request_id or f"req_{next(_ids)}",
    }
    base.update(fields)
    return base
