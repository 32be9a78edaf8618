"""THE access check for private surfaces: every page or API that shows someone's profile or figures
loads the user through `visible_user_or_abort`.

Who may see a private profile in full (`can_see_private`): its owner, and people whose follow the owner
has accepted (a `follows` row with status "accepted"). Follow requests arrive in a later issue; until
then the follows table is empty and this means the owner alone. Everyone may see a public profile.
"""
from __future__ import annotations

from flask import abort, request
from flask_login import current_user
from sqlalchemy import select

from burntop.accounts.users import USERNAME_RE
from burntop.extensions import db
from burntop.models import Follow, User


def user_or_404(username: str) -> User:
    """The user called `username` (exact match), or 404 (a JSON error under /api, a page elsewhere).
    A name no account could have (burntop.accounts.users.USERNAME_RE) is 404 without asking the database,
    which refuses some strings (NUL on PostgreSQL)."""
    user = db.session.scalar(select(User).where(User.username == username)) if USERNAME_RE.fullmatch(username) else None
    if user is None:
        abort(404, f"There is no user '{username}'.")
    return user


def _accepted_follower(viewer: User, user: User) -> bool:
    """The one place follows grant access: viewer follows user and user accepted it."""
    return db.session.scalar(select(Follow.id).where(
        Follow.follower_id == viewer.id, Follow.followee_id == user.id, Follow.status == "accepted").limit(1)) is not None


def can_see_private(viewer: User | None, user: User) -> bool:
    """May `viewer` (None: signed out) see `user`'s private profile and figures?"""
    if viewer is None:
        return False
    return viewer.id == user.id or _accepted_follower(viewer, user)


_UNSET = object()


def viewer() -> User | None:
    """Who is asking (looked up once per request): under /api an API token or the browser session
    (burntop.accounts.auth), elsewhere the browser session only."""
    found = request.environ.get("burntop.viewer", _UNSET)
    if found is _UNSET:
        if request.path == "/api" or request.path.startswith("/api/"):
            from burntop.accounts.auth import api_user

            found = api_user()
        else:
            found = current_user._get_current_object() if current_user.is_authenticated else None
        request.environ["burntop.viewer"] = found
    return found


def visible_user_or_abort(username: str) -> User:
    """The user whose profile the caller may see in full: 404 if unknown, 403 if private to the caller."""
    user = user_or_404(username)
    if not user.is_public and not can_see_private(viewer(), user):
        abort(403, f"{username}'s profile is private.")
    return user


def is_owner(user: User) -> bool:
    """Is the caller `user` themself (for owner-only headers and settings links)?"""
    seen = viewer()
    return seen is not None and seen.id == user.id
