"""What the busiest gamification reads cost: the profile writes once a day, progress comes from a cache."""
from __future__ import annotations

from freezegun import freeze_time

from tests.factories import auth, make_token, make_user, record
from tests.sql import statements


def writes(seen: list[str]) -> list[str]:
    return [s for s in seen if s.split(None, 1)[0] in ("INSERT", "UPDATE", "DELETE")]


def test_only_the_first_profile_visit_of_the_day_writes(client, app):
    token = make_token(make_user("visitor"))
    with freeze_time("2025-06-01T09:00:00Z") as clock:
        first = client.get("/api/gamification/profile", headers=auth(token)).get_json()
        assert first["streak"] == 1
        clock.tick(30)  # within the minute, so the token's last-used time is not written either
        with statements() as seen:
            again = client.get("/api/gamification/profile", headers=auth(token))
        assert again.status_code == 200 and again.get_json()["streak"] == 1
        assert writes(seen) == []
        assert len(seen) <= 6  # the token, the user, unlocks, the top 5, the rank (22 before)
        clock.tick(86_400)
        with statements() as seen:
            next_day = client.get("/api/gamification/profile", headers=auth(token)).get_json()
        assert next_day["streak"] == 2
        assert writes(seen)  # the new day's visit is counted


def test_achievement_progress_is_cached_until_the_next_sync(client, app):
    token = make_token(make_user("grower"))
    client.post("/api/sync", json={"records": [record("a", inputTokens=4_000)]}, headers=auth(token))

    def progress(achievement: str) -> dict:
        listed = client.get("/api/users/grower/achievements").get_json()["achievements"]
        return next(a for a in listed if a["id"] == achievement)["progress"]

    assert progress("tokens-10k") == {"current": 4_500, "target": 10_000, "percentage": 0.45}
    with statements() as seen:
        assert progress("tokens-10k")["current"] == 4_500
    assert not [s for s in seen if "daily_rollups" in s]  # served from the cache
    client.post("/api/sync", json={"records": [record("b", inputTokens=2_000)]}, headers=auth(token))
    assert progress("tokens-10k") == {"current": 7_000, "target": 10_000, "percentage": 0.7}
