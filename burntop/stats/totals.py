"""Global totals for the landing page, cached briefly and cleared when a sync adds usage."""
from __future__ import annotations

import json
import time

from flask import current_app
from sqlalchemy import func, select

from burntop.extensions import db
from burntop.models import DailyRollup, User
from burntop.models.types import utcnow
from burntop.redis_client import get_redis



def _local() -> dict:
    """This process's cache when there is no Redis (one per app, so test apps never share it)."""
    return current_app.extensions.setdefault("burntop_local_cache", {})


def compute_global_totals() -> dict:
    """Sum every rollup: tokens, cost, responses, developers and tools tracked."""
    r = DailyRollup
    row = db.session.execute(select(
        func.coalesce(func.sum(r.input_tokens + r.output_tokens + r.cache_creation_tokens + r.cache_read_tokens), 0),
        func.coalesce(func.sum(r.cost_nanos), 0),
        func.coalesce(func.sum(r.records), 0),
        func.count(func.distinct(r.user_id)),
        func.count(func.distinct(r.source)),
        func.count(func.distinct(r.model)),
    )).one()
    users = db.session.scalar(select(func.count()).select_from(User))
    return {
        "totalTokens": int(row[0]), "totalCost": round(int(row[1]) / 1e9, 2), "responses": int(row[2]),
        "activeUsers": int(row[3]), "tools": int(row[4]), "models": int(row[5]), "users": int(users),
    }


def _cache_key(name: str) -> str:
    return f"{current_app.config['REDIS_KEY_PREFIX']}:{name}"


def cached(name: str, compute):
    """compute() from Redis (shared by every web node) or this process, at most TTL seconds old."""
    ttl = current_app.config["GLOBAL_TOTALS_TTL"]
    redis = get_redis()
    if redis is not None:
        hit = redis.get(_cache_key(name))
        if hit:
            return json.loads(hit)
        value = compute()
        redis.set(_cache_key(name), json.dumps(value), ex=max(ttl, 1))
        return value
    entry = _local().get(name)
    if entry and entry[1] > time.monotonic():
        return entry[0]
    value = compute()
    _local()[name] = (value, time.monotonic() + ttl)
    return value


def global_totals() -> dict:
    return cached("global-totals", compute_global_totals)


def landing_showcase() -> dict | None:
    from burntop.stats.showcase import top_public_this_week

    return cached("landing-showcase", lambda: top_public_this_week(utcnow().date()))


def invalidate_global_totals() -> None:
    """Clear what a sync made stale on the landing page."""
    redis = get_redis()
    if redis is not None:
        redis.delete(_cache_key("global-totals"), _cache_key("landing-showcase"))
    _local().clear()
