"""The shared Redis connection (None when REDIS_URL is unset), and a short memory of Redis failing.

Redis holds nothing that cannot be rebuilt (caches, rate-limit counters, queued jobs whose work is also
recorded in the database by burntop.pending), so every caller has a fallback. After a failure Redis is
left alone for a few seconds, so an outage does not add a connection attempt to every request.
"""
from __future__ import annotations

import logging
import time

import redis
from flask import Flask, current_app

log = logging.getLogger(__name__)
RETRY_AFTER = 5.0  # seconds


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    app.extensions["burntop_redis"] = (
        redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=1, health_check_interval=30)
        if url else None)
    app.extensions["burntop_redis_down_until"] = [0.0]


def get_redis() -> redis.Redis | None:
    """The configured client, None without REDIS_URL."""
    return current_app.extensions.get("burntop_redis")


def usable_redis() -> redis.Redis | None:
    """The client, or None when it is not configured or failed a moment ago (use the fallback then)."""
    client = get_redis()
    if client is None or time.monotonic() < current_app.extensions["burntop_redis_down_until"][0]:
        return None
    return client


def redis_failed(error: Exception, doing: str) -> None:
    """Log a Redis failure once per pause and leave Redis alone for RETRY_AFTER seconds."""
    down_until = current_app.extensions["burntop_redis_down_until"]
    if time.monotonic() >= down_until[0]:
        log.warning("Redis unavailable while %s (%s); falling back for %.0f s", doing, error, RETRY_AFTER)
    down_until[0] = time.monotonic() + RETRY_AFTER
