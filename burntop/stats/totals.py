"""The landing page's global totals and showcase, computed in one place at a time and served from a cache.

A cached value is fresh for GLOBAL_TOTALS_TTL seconds. After that, the one request (or the worker's
periodic refresh) that takes the recompute lock computes the next value while every other request keeps
serving the previous one, so neither the number of users nor the rate of syncs changes what a visit
costs. Syncs never throw the value away; only a change that must show at once (a profile going private)
deletes the showcase. The shared copy lives in Redis; with Redis unset or down, each process keeps its
own the same way. A failed recompute keeps the previous value (and is logged).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import func, select

from burntop.database import safe_sum
from burntop.extensions import db
from burntop.models import DailyRollup, User
from burntop.models.types import utcnow
from burntop.redis_client import redis_failed, usable_redis

log = logging.getLogger(__name__)
LOCK_SECONDS = 30
KEEP_STALE = 600  # seconds a stale copy stays in Redis to serve while the next one is computed


def compute_global_totals() -> dict:
    """Sum every rollup: tokens, cost, responses, developers and tools tracked."""
    r = DailyRollup
    row = db.session.execute(select(
        func.coalesce(safe_sum(r.input_tokens + r.output_tokens + r.cache_creation_tokens + r.cache_read_tokens), 0),
        func.coalesce(safe_sum(r.cost_nanos), 0),
        func.coalesce(safe_sum(r.records), 0),
        func.count(func.distinct(r.user_id)),
        func.count(func.distinct(r.source)),
        func.count(func.distinct(r.model)),
    )).one()
    users = db.session.scalar(select(func.count()).select_from(User))
    return {
        "totalTokens": int(row[0]), "totalCost": round(int(row[1]) / 1e9, 2), "responses": int(row[2]),
        "activeUsers": int(row[3]), "tools": int(row[4]), "models": int(row[5]), "users": int(users),
    }


def _key(name: str) -> str:
    return f"{current_app.config['REDIS_KEY_PREFIX']}:{name}"


def _compute(name: str, compute: Callable, stale: dict | None):
    """compute(), or the stale value when computing fails and there is one."""
    try:
        return compute(), True
    except Exception:
        db.session.rollback()
        if stale is None:
            raise
        log.exception("recomputing %s failed; serving the previous value", name)
        return stale["v"], False


def _put_shared(client, name: str, value, ttl: int) -> None:
    client.set(_key(name), json.dumps({"v": value, "at": time.time()}), ex=max(ttl, KEEP_STALE))


def _put_local(name: str, value) -> None:
    state = current_app.extensions.setdefault("burntop_local_cache", {"entries": {}, "locks": {}})
    state["entries"][name] = {"v": value, "at": time.monotonic()}


def _shared(client, name: str, compute: Callable, ttl: int):
    raw = client.get(_key(name))
    entry = json.loads(raw) if raw else None
    if entry is not None and time.time() - entry["at"] < ttl:
        return entry["v"]
    if entry is not None and not client.set(_key(name) + ":lock", "1", nx=True, ex=LOCK_SECONDS):
        return entry["v"]  # someone else is computing the next value
    try:
        value, fresh = _compute(name, compute, entry)
        if fresh:
            _put_shared(client, name, value, ttl)
    finally:
        if entry is not None:
            client.delete(_key(name) + ":lock")
    return value


def _local(name: str, compute: Callable, ttl: int):
    """This process's copy (one per app, so test apps never share it), with the same rules."""
    state = current_app.extensions.setdefault("burntop_local_cache", {"entries": {}, "locks": {}})
    entry = state["entries"].get(name)
    if entry is not None and time.monotonic() - entry["at"] < ttl:
        return entry["v"]
    lock = state["locks"].setdefault(name, threading.Lock())
    if entry is not None and not lock.acquire(blocking=False):
        return entry["v"]
    try:
        value, fresh = _compute(name, compute, entry)
        if fresh:
            _put_local(name, value)
    finally:
        if entry is not None:
            lock.release()
    return value


def cached(name: str, compute: Callable):
    """compute()'s value at most GLOBAL_TOTALS_TTL seconds old, computed by one caller at a time."""
    ttl = current_app.config["GLOBAL_TOTALS_TTL"]
    client = usable_redis()
    if client is not None:
        try:
            return _shared(client, name, compute, ttl)
        except RedisError as error:
            redis_failed(error, f"reading the cached {name}")
    return _local(name, compute, ttl)


def forget(*names: str) -> None:
    """Drop cached values that must not be served any more, in Redis and in this process."""
    state = current_app.extensions.get("burntop_local_cache")
    for name in names:
        if state is not None:
            state["entries"].pop(name, None)
    client = usable_redis()
    if client is not None:
        try:
            client.delete(*(_key(name) for name in names))
        except RedisError as error:
            redis_failed(error, "clearing cached values")


def global_totals() -> dict:
    return cached("global-totals", compute_global_totals)


def landing_showcase() -> dict | None:
    from burntop.stats.showcase import top_public_this_week

    return cached("landing-showcase", lambda: top_public_this_week(utcnow().date()))


def refresh_global_totals() -> dict:
    """Recompute the global totals now, whatever their age (the worker's periodic job)."""
    value = compute_global_totals()
    client = usable_redis()
    if client is not None:
        try:
            _put_shared(client, "global-totals", value, current_app.config["GLOBAL_TOTALS_TTL"])
            return value
        except RedisError as error:
            redis_failed(error, "storing the global totals")
    _put_local("global-totals", value)
    return value


def forget_landing_showcase() -> None:
    """A profile that went private (or away) must leave the landing showcase at once."""
    forget("landing-showcase")


def refresh_landing() -> None:
    """After a bulk change (demo data seeded or cleared): recount now, rebuild the showcase on the next visit."""
    refresh_global_totals()
    forget_landing_showcase()
