"""Sign in with GitHub: OAuth 2.0 through Authlib's Flask client."""
from __future__ import annotations

import logging
import os
from datetime import datetime, timezone

import requests
from authlib.integrations.flask_client import OAuth, OAuthError
from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from sqlalchemy import func, select

from burntop.accounts.avatars import allowed_hosts, fetch_avatar_soon
from burntop.accounts.profile import avatar_refusal
from burntop.accounts.sessions import start_session
from burntop.accounts.email_codes import create_account
from burntop.accounts.views import browser_time_zone, note_browser_zone, safe_next
from burntop.extensions import db
from burntop.links import external
from burntop.models import User

log = logging.getLogger(__name__)

bp = Blueprint("github", __name__, url_prefix="/auth/github")

DEFAULTS = {
    "GITHUB_CLIENT_ID": None,
    "GITHUB_CLIENT_SECRET": None,
    "GITHUB_AUTHORIZE_URL": "https://github.com/login/oauth/authorize",
    "GITHUB_TOKEN_URL": "https://github.com/login/oauth/access_token",
    "GITHUB_API_URL": "https://api.github.com",
}
API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


def _register_client(state) -> None:
    config = state.app.config
    for name, default in DEFAULTS.items():
        config.setdefault(name, os.environ.get(name) or default)
    OAuth(state.app).register(
        "github",
        client_id=config["GITHUB_CLIENT_ID"],
        client_secret=config["GITHUB_CLIENT_SECRET"],
        authorize_url=config["GITHUB_AUTHORIZE_URL"],
        access_token_url=config["GITHUB_TOKEN_URL"],
        api_base_url=config["GITHUB_API_URL"].rstrip("/") + "/",
        client_kwargs={"scope": "read:user user:email", "default_timeout": 15},
    )


bp.record_once(_register_client)


def _client():
    if not current_app.config.get("GITHUB_CLIENT_ID"):
        abort(404)
    return current_app.extensions["authlib.integrations.flask_client"].create_client("github")


def primary_verified_email(emails) -> str | None:
    """The address GitHub marks primary and verified in a /user/emails answer, lowercased."""
    for entry in emails if isinstance(emails, list) else []:
        if isinstance(entry, dict) and entry.get("primary") and entry.get("verified") is True:
            address = entry.get("email")
            if isinstance(address, str) and "@" in address and len(address) <= 254:
                return address.strip().lower()
    return None


def user_for_github(profile: dict, email: str | None, zone: str | None = None) -> User:
    """The account of this GitHub identity: found by GitHub id, else created (never merged by email)."""
    github_id = str(profile["id"])
    user = db.session.scalar(select(User).where(User.github_id == github_id))
    if user is not None:
        return user
    if email and db.session.scalar(select(func.count()).where(func.lower(User.email) == email)):
        email = None  # the address belongs to another account; it is theirs, not a reason to merge
    avatar = profile.get("avatar_url")
    if not isinstance(avatar, str) or len(avatar) > 500 or avatar_refusal(avatar, allowed_hosts()):
        avatar = None
    user = create_account(
        str(profile.get("login") or ""),
        github_id=github_id,
        name=(profile.get("name") or "").strip()[:50] or None,
        image=avatar,
        email=email,
        email_verified=bool(email),
        **({"timezone": zone} if zone else {}),
    )
    if avatar:
        fetch_avatar_soon(user.id)
    return user


@bp.get("")
def login():
    client = _client()
    session["github_next"] = safe_next(request.args.get("next"))
    session["github_timezone"] = browser_time_zone(request.args.get("timezone"))
    return client.authorize_redirect(external(url_for("github.callback")))


@bp.get("/callback")
def callback():
    client = _client()
    next_url = safe_next(session.pop("github_next", None))
    zone = browser_time_zone(session.pop("github_timezone", None))
    try:
        token = client.authorize_access_token()
        answer = client.get("user", token=token, headers=API_HEADERS)
        answer.raise_for_status()
        profile = answer.json()
        if not isinstance(profile, dict) or "id" not in profile:
            raise ValueError("GitHub's /user answer has no id")
        emails = client.get("user/emails", token=token, headers=API_HEADERS)
        email = primary_verified_email(emails.json()) if emails.ok else None
    except (OAuthError, requests.RequestException, ValueError) as exc:
        log.warning("GitHub sign-in failed: %s", exc)
        flash("GitHub sign-in did not complete. Try again, or sign in with an email code.", "error")
        return redirect(url_for("accounts.login", next=next_url), 303)
    started = datetime.now(timezone.utc)
    user = user_for_github(profile, email, zone)
    start_session(user)
    note_browser_zone(user, zone, started)
    return redirect(next_url or url_for("home.index"), 303)
