"""The shared Redis connection, or None when REDIS_URL is unset (single-process development)."""
from __future__ import annotations

import redis
from flask import Flask, current_app


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    app.extensions["burntop_redis"] = redis.Redis.from_url(url, socket_timeout=5) if url else None


def get_redis() -> redis.Redis | None:
    return current_app.extensions.get("burntop_redis")
