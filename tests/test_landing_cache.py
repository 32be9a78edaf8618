"""The landing page costs the same whatever the sync rate: its totals are computed by one caller at a
time, at most every GLOBAL_TOTALS_TTL seconds, and served stale meanwhile."""
from __future__ import annotations

import threading

from freezegun import freeze_time

from burntop.redis_client import get_redis
from tests.factories import auth, make_token, make_user, record
from tests.sql import statements


def scans(seen: list[str]) -> list[str]:
    return [s for s in seen if "daily_rollups" in s]


def responses_shown(client) -> str:
    body = client.get("/partials/global-totals").get_data(as_text=True)
    return body.split('data-stat="responses">', 1)[1].split("<", 1)[0]


def seen_then_synced(client) -> None:
    """The totals are shown with one response, then a second one is synced."""
    token = make_token(make_user("busy"))
    client.post("/api/sync", json={"records": [record("a")]}, headers=auth(token))
    assert responses_shown(client) == "1"
    client.post("/api/sync", json={"records": [record("b")]}, headers=auth(token))


def test_a_sync_does_not_throw_the_totals_away(client, app):
    with freeze_time("2025-06-01T12:00:00Z") as clock:
        seen_then_synced(client)
        with statements() as seen:
            assert responses_shown(client) == "1"  # at most 15 seconds old
        assert scans(seen) == []
        clock.tick(16)
        assert responses_shown(client) == "2"


def test_while_one_caller_recomputes_the_others_serve_the_previous_value(client, app):
    with freeze_time("2025-06-01T12:00:00Z") as clock:
        seen_then_synced(client)
        clock.tick(16)
        # Another request (or the worker's refresh) holds the recompute lock right now.
        redis = get_redis()
        if redis is not None:
            redis.set(f"{app.config['REDIS_KEY_PREFIX']}:cache:global-totals:lock", "1", ex=30)
        else:
            lock = app.extensions["burntop_local_cache"]["locks"].setdefault("global-totals", threading.Lock())
            lock.acquire()
        with statements() as seen:
            assert responses_shown(client) == "1"
        assert scans(seen) == []
