"""Cached values computed by one caller at a time, shared through Redis, kept per process without it.

A value is fresh for `ttl` seconds. After that, the one caller that takes the recompute lock computes
the next value while every other caller keeps getting the previous one, so a popular value never makes
many requests compute it at once. `forget` drops a value that must not be served any more. With Redis
unset or down, each process keeps its own copy by the same rules. A failed recompute keeps serving the
previous value (and is logged); without one it raises.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import orjson

from flask import current_app
from redis.exceptions import RedisError

from burntop.extensions import db
from burntop.redis_client import redis_failed, usable_redis

log = logging.getLogger(__name__)
LOCK_SECONDS = 30
KEEP_STALE = 600  # seconds a stale copy stays in Redis to serve while the next one is computed


def _key(name: str) -> str:
    return f"{current_app.config['REDIS_KEY_PREFIX']}:cache:{name}"


def _state() -> dict:
    """This process's copies (one set per app, so test apps never share them)."""
    return current_app.extensions.setdefault("burntop_local_cache", {"entries": {}, "locks": {}})


def _compute(name: str, compute: Callable, stale: dict | None):
    """(compute(), True), or (the stale value, False) when computing fails and there is one."""
    try:
        return compute(), True
    except Exception:
        db.session.rollback()
        if stale is None:
            raise
        log.exception("recomputing %s failed; serving the previous value", name)
        return stale["v"], False


def _put_shared(client, name: str, value, ttl: int) -> None:
    client.set(_key(name), orjson.dumps({"v": value, "at": time.time()}, option=orjson.OPT_NON_STR_KEYS),
               ex=max(ttl, KEEP_STALE))


def _put_local(name: str, value) -> None:
    _state()["entries"][name] = {"v": value, "at": time.monotonic()}


def _shared(client, name: str, compute: Callable, ttl: int):
    raw = client.get(_key(name))
    entry = orjson.loads(raw) if raw else None
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
    state = _state()
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


def cached(name: str, compute: Callable, ttl: int):
    """compute()'s JSON-able value, at most ttl seconds old, computed by one caller at a time."""
    client = usable_redis()
    if client is not None:
        try:
            return _shared(client, name, compute, ttl)
        except RedisError as error:
            redis_failed(error, f"reading the cached {name}")
    return _local(name, compute, ttl)


def store(name: str, value, ttl: int) -> None:
    """Put a value computed elsewhere (a periodic job) where `cached` finds it."""
    client = usable_redis()
    if client is not None:
        try:
            return _put_shared(client, name, value, ttl)
        except RedisError as error:
            redis_failed(error, f"storing the cached {name}")
    _put_local(name, value)


def forget(*names: str) -> None:
    """Drop values that must not be served any more, in Redis and in this process."""
    entries = _state()["entries"]
    for name in names:
        entries.pop(name, None)
    client = usable_redis()
    if client is not None:
        try:
            client.delete(*(_key(name) for name in names))
        except RedisError as error:
            redis_failed(error, "clearing cached values")


def forget_here(prefix: str) -> None:
    """Drop this process's copies whose names start with `prefix`: values under names nobody will read
    again (an old generation) would otherwise stay in memory for the life of the process. Copies in
    Redis expire on their own."""
    state = _state()
    for store in (state["entries"], state["locks"]):
        for name in [name for name in list(store) if name.startswith(prefix)]:
            store.pop(name, None)
