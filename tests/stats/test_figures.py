"""burntop.stats.figures: memoized per user, dropped at once by every change that moves a figure."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from freezegun import freeze_time
from sqlalchemy import update

from burntop.accounts.profile import delete_account
from burntop.extensions import db
from burntop.gamification.evaluate import evaluate
from burntop.models import DailyRollup
from burntop.stats import figures
from burntop.sync.rebucket import rebucket_user
from tests.factories import auth, make_token, make_user, record

NOW = "2026-03-11T15:00:00Z"


@pytest.fixture
def user(client):
    with freeze_time(NOW):
        person = make_user("cached")
        response = client.post("/api/sync", json={"records": [record(at=datetime(2026, 3, 10, 12, tzinfo=timezone.utc))]},
                               headers=auth(make_token(person)))
        assert response.status_code == 200
        yield person


def _change_rollups_behind_the_cache(user) -> None:
    """Write the rollups directly: only an invalidation can make the cached figure see this."""
    db.session.execute(update(DailyRollup).where(DailyRollup.user_id == user.id).values(input_tokens=10_000))
    db.session.commit()


def test_figures_are_memoized_until_forgotten(user):
    first = figures.user_stats(user)
    _change_rollups_behind_the_cache(user)
    assert figures.user_stats(user) == first  # served from the cache
    figures.forget_figures(user.id)
    assert figures.user_stats(user)["totalTokens"] == 10_500


def test_forgetting_one_user_keeps_the_others_figures(client, user):
    other = make_user("other")
    with freeze_time(NOW):
        response = client.post("/api/sync", json={"records": [record()]}, headers=auth(make_token(other)))
        assert response.status_code == 200
    before = figures.user_stats(other)
    _change_rollups_behind_the_cache(other)
    figures.forget_figures(user.id)
    assert figures.user_stats(other) == before
    figures.forget_figures(other.id)
    assert figures.user_stats(other)["totalTokens"] == 10_500


@pytest.mark.parametrize("change", ["sync", "evaluation", "profile", "privacy", "time zone", "recount",
                                    "account deleted"])
def test_each_change_drops_the_users_figures(client, user, change):
    generation = figures._generation(user.id)
    token = make_token(user)
    with freeze_time(NOW):
        if change == "sync":
            assert client.post("/api/sync", json={"records": [record()]}, headers=auth(token)).status_code == 200
        elif change == "evaluation":
            evaluate(user.id)
        elif change in ("profile", "privacy", "time zone"):
            body = {"profile": {"bio": "new"}, "privacy": {"isPublic": False}, "time zone": {"timezone": "Asia/Tokyo"}}
            assert client.patch("/api/users/me", json=body[change], headers=auth(token)).status_code == 200
        elif change == "recount":
            rebucket_user(user.id)
        else:
            delete_account(user.id)
    assert figures._generation(user.id) != generation


def test_forgetting_frees_this_processs_copies(app, user):
    figures.user_stats(user)
    figures.dashboard_body(user, "trends", "all")
    entries = app.extensions.get("burntop_local_cache", {}).get("entries", {})
    mine = [name for name in entries if name.startswith(f"figures:{user.id}:")]
    if app.config["REDIS_URL"]:
        assert mine == []  # with Redis the copies live there, with an expiry
    else:
        assert len(mine) == 2
    figures.forget_figures(user.id)
    assert [name for name in entries if name.startswith(f"figures:{user.id}:")] == []
