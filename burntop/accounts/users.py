"""Creating users: username rules, unique referral codes."""
from __future__ import annotations

import re
import secrets

from sqlalchemy import func, select

from burntop.extensions import db
from burntop.models import User

USERNAME_RE = re.compile(r"^[a-z0-9_-]{3,39}$")
RESERVED_USERNAMES = frozenset({
    "about", "account", "achievements", "admin", "api", "app", "auth", "avatars", "badge", "badges", "compare",
    "dashboard", "demo", "device", "docs", "explore", "feed", "help", "home", "insights", "leaderboard", "limits",
    "login", "logout", "me", "new", "notifications", "og", "partials", "privacy", "profile", "root",
    "settings", "signin", "signout", "signup", "sitemap", "static", "status", "support", "system",
    "terms", "u", "user", "users", "wrapped",
})


class UsernameError(ValueError):
    pass


def check_username(username: str) -> str:
    """Return the username if it may be registered, else raise UsernameError saying why."""
    if not USERNAME_RE.match(username):
        raise UsernameError("usernames are 3-39 characters: lowercase letters, digits, '-' and '_'")
    if username in RESERVED_USERNAMES:
        raise UsernameError(f"'{username}' is reserved")
    return username


def username_taken(username: str) -> bool:
    return db.session.scalar(select(func.count()).where(User.username == username)) > 0


def new_referral_code(username: str) -> str:
    """A short code people can type: the username's letters plus random characters."""
    stem = re.sub(r"[^A-Z0-9]", "", username.upper())[:10]
    while True:
        code = f"{stem}{secrets.token_hex(3).upper()}"
        if not db.session.scalar(select(func.count()).where(User.referral_code == code)):
            return code


def create_user(username: str, **fields) -> User:
    """Add a user (not committed) after checking the username rules and uniqueness."""
    check_username(username)
    if username_taken(username):
        raise UsernameError(f"'{username}' is taken")
    user = User(username=username, referral_code=new_referral_code(username), **fields)
    db.session.add(user)
    return user
