"""Settings, all read from the environment (see the README's configuration table)."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

DEFAULT_SECRET = "dev-insecure-change-me"
MEGABYTE = 1024 * 1024
DEFAULT_AVATAR_HOSTS = "avatars.githubusercontent.com,gravatar.com,www.gravatar.com,secure.gravatar.com"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalize_database_url(url: str) -> str:
    """Point plain PostgreSQL URLs at the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def from_environment(instance_path: str) -> dict:
    """Build the Flask config mapping from environment variables."""
    env = os.environ.get("BURNTOP_ENV", "development").strip().lower()
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'burntop.db'}"
    return {
        "BURNTOP_ENV": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEFAULT_SECRET),
        "SQLALCHEMY_DATABASE_URI": normalize_database_url(database_url),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        # Unset: links follow the address each request came to (burntop.links).
        "BURNTOP_BASE_URL": (os.environ.get("BURNTOP_BASE_URL") or "").rstrip("/") or None,
        "SYNC_RATE_LIMIT": os.environ.get("BURNTOP_SYNC_RATE_LIMIT", "10 per minute"),
        "DEVICE_CODE_RATE_LIMIT": os.environ.get("BURNTOP_DEVICE_CODE_RATE_LIMIT", "10 per minute"),
        "DEVICE_CHECK_RATE_LIMIT": os.environ.get("BURNTOP_DEVICE_CHECK_RATE_LIMIT", "20 per minute"),
        "REFERRAL_CLICK_RATE_LIMIT": os.environ.get("BURNTOP_REFERRAL_CLICK_RATE_LIMIT", "30 per minute"),
        # Per public id of GET /api/v1/public/<id> (spec 002), whoever asks.
        "PUBLIC_API_RATE_LIMIT": os.environ.get("BURNTOP_PUBLIC_API_RATE_LIMIT", "60 per minute"),
        "MAX_CONTENT_LENGTH": int(os.environ.get("BURNTOP_MAX_SYNC_MB", "10")) * MEGABYTE,
        "SESSION_COOKIE_SECURE": env == "production",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Sliding: each visit renews the cookie; burntop.accounts.sessions ends idle sessions server-side.
        "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO").upper(),
        "REDIS_KEY_PREFIX": os.environ.get("BURNTOP_REDIS_PREFIX", "burntop"),
        "GLOBAL_TOTALS_TTL": int(os.environ.get("BURNTOP_GLOBAL_TOTALS_TTL", "15")),
        # Seconds a user's cached figures stay fresh unless a sync or change drops them (burntop.stats.figures).
        "FIGURES_TTL": int(os.environ.get("BURNTOP_FIGURES_TTL", "300")),
        "BADGE_MEMO_SECONDS": float(os.environ.get("BURNTOP_BADGE_MEMO_SECONDS", "1")),
        # Recorded work not done this long after its cause is queued again by the sweeper (burntop.pending).
        "PENDING_RETRY_AFTER": int(os.environ.get("BURNTOP_PENDING_RETRY_AFTER", "120")),
        # Hosts whose pictures burntop fetches and re-serves as avatars (burntop.accounts.avatars).
        "AVATAR_HOSTS": tuple(h.strip().lower() for h in os.environ.get("BURNTOP_AVATAR_HOSTS", DEFAULT_AVATAR_HOSTS)
                              .split(",") if h.strip()),
        # How many reverse proxies sit in front of the app (their X-Forwarded-* headers are trusted).
        "PROXY_FIX": int(os.environ.get("BURNTOP_PROXY_FIX", "0")),
        # A private burntop on one machine (burntop.local_mode): `make run` turns it on, nothing else does.
        "BURNTOP_LOCAL_MODE": _bool("BURNTOP_LOCAL_MODE"),
    }


def check_production(config: dict) -> None:
    """Refuse to run production with settings that are only safe on a laptop."""
    if config["BURNTOP_ENV"] != "production":
        return
    if config["SECRET_KEY"] in ("", DEFAULT_SECRET) or len(config["SECRET_KEY"]) < 16:
        raise RuntimeError("SECRET_KEY must be set to a long random value when BURNTOP_ENV=production")
