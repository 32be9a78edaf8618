"""GET /api/users/:username and /api/users/:username/stats: shapes, figures, privacy, cache headers."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from freezegun import freeze_time

from burntop.extensions import db
from burntop.models import AchievementUnlock, Follow
from tests.factories import auth, make_token, make_user, record, sign_in

# spec 000's example bodies, as key sets
PROFILE_KEYS = {"id", "username", "name", "image", "bio", "location", "websiteUrl", "level", "xp", "isPublic",
                "createdAt"}
STATS_KEYS = {"totalTokens", "totalCost", "cacheEfficiency", "currentStreak", "longestStreak",
              "achievementsUnlocked", "achievementsTotal", "topModels", "topSources"}
PATHS = ("/api/users/{}", "/api/users/{}/stats")
PUBLIC_CACHE = "public, max-age=300, stale-while-revalidate=300"
NOW = "2026-03-11T15:00:00Z"


def error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == code


def sync(client, user, records) -> None:
    response = client.post("/api/sync", json={"records": records}, headers=auth(make_token(user)))
    assert response.status_code == 200, response.get_json()


@pytest.fixture
def frozen():
    with freeze_time(NOW):
        yield


@pytest.fixture
def ada(client, frozen):
    user = make_user("ada", name="Ada Lovelace", bio="Engines", location="London", website="https://ada.example")
    at = lambda day, hour=12: datetime(2026, 3, day, hour, tzinfo=timezone.utc)  # noqa: E731
    sync(client, user, [
        record(at=at(8), inputTokens=600, outputTokens=200, cacheCreationTokens=100, cacheReadTokens=100),
        record(at=at(9), inputTokens=300, outputTokens=100, model="gpt-5", source="codex"),
        record(at=at(10), inputTokens=100, outputTokens=100, source="cursor"),
    ])
    return user


def test_the_profile_is_spec_000s_object(client, ada):
    response = client.get("/api/users/ada")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == PROFILE_KEYS
    db.session.refresh(ada)
    assert body["id"] == str(ada.id) and body["username"] == "ada" and body["name"] == "Ada Lovelace"
    assert (body["bio"], body["location"], body["websiteUrl"]) == ("Engines", "London", "https://ada.example")
    assert body["isPublic"] is True and body["level"] == ada.level >= 1 and body["xp"] == ada.xp_centi / 100
    assert body["createdAt"].endswith("Z") and "T" in body["createdAt"]


def test_the_stats_are_spec_000s_object_from_real_data(client, ada):
    body = client.get("/api/users/ada/stats").get_json()
    assert set(body) == STATS_KEYS
    assert body["totalTokens"] == 1000 + 400 + 200
    assert body["cacheEfficiency"] == round(100 / (600 + 100 + 100 + 300 + 100), 4)
    assert body["totalCost"] > 0
    assert (body["currentStreak"], body["longestStreak"]) == (3, 3)
    assert body["achievementsTotal"] == 68
    assert body["achievementsUnlocked"] == db.session.query(AchievementUnlock).filter_by(user_id=ada.id).count() > 0
    assert body["topModels"] == [{"model": "claude-sonnet-4-20250514", "tokens": 1200, "percentage": 75.0},
                                 {"model": "gpt-5", "tokens": 400, "percentage": 25.0}]
    assert body["topSources"] == [{"source": "claude-code", "tokens": 1000, "percentage": 62.5},
                                  {"source": "codex", "tokens": 400, "percentage": 25.0},
                                  {"source": "cursor", "tokens": 200, "percentage": 12.5}]


def test_the_current_streak_lapses_after_a_whole_day_without_usage(client, ada):
    with freeze_time("2026-03-13T12:00:00Z"):
        body = client.get("/api/users/ada/stats").get_json()
    assert (body["currentStreak"], body["longestStreak"]) == (0, 3)


def test_a_new_user_has_zero_figures(client, frozen):
    make_user("newbie")
    body = client.get("/api/users/newbie/stats").get_json()
    assert body == {"totalTokens": 0, "totalCost": 0.0, "cacheEfficiency": 0.0, "currentStreak": 0,
                    "longestStreak": 0, "achievementsUnlocked": 0, "achievementsTotal": 68, "topModels": [],
                    "topSources": []}


@pytest.mark.parametrize("path", PATHS)
def test_unknown_users_are_404(client, path):
    error(client.get(path.format("nobody")), 404, "NOT_FOUND")


@pytest.mark.parametrize("path", PATHS)
def test_a_public_profile_is_open_and_cached_publicly_for_everyone_but_its_owner(client, ada, path):
    url = path.format("ada")
    signed_out = client.get(url)
    assert signed_out.status_code == 200 and signed_out.headers["Cache-Control"] == PUBLIC_CACHE
    assert "Cookie" in signed_out.headers["Vary"] and "Authorization" in signed_out.headers["Vary"]
    other = client.get(url, headers=auth(make_token(make_user("bob"))))
    assert other.status_code == 200 and other.headers["Cache-Control"] == PUBLIC_CACHE
    own = client.get(url, headers=auth(make_token(ada)))
    assert own.status_code == 200 and own.headers["Cache-Control"] == "private, no-store"
    assert own.get_json() == signed_out.get_json()


@pytest.mark.parametrize("path", PATHS)
def test_a_private_profile_is_403_to_everyone_but_its_owner_and_accepted_followers(client, ada, path):
    ada.is_public = False
    db.session.commit()
    url = path.format("ada")
    error(client.get(url), 403, "FORBIDDEN")  # signed out
    bob = make_user("bob")
    bob_token = make_token(bob)
    error(client.get(url, headers=auth(bob_token)), 403, "FORBIDDEN")  # another user
    db.session.add(Follow(follower_id=bob.id, followee_id=ada.id, status="pending"))
    db.session.commit()
    error(client.get(url, headers=auth(bob_token)), 403, "FORBIDDEN")  # a follow not accepted
    owner = client.get(url, headers=auth(make_token(ada)))
    assert owner.status_code == 200 and owner.headers["Cache-Control"] == "private, no-store"
    sign_in(client, ada)
    by_session = client.get(url)
    assert by_session.status_code == 200 and by_session.headers["Cache-Control"] == "private, no-store"
    db.session.query(Follow).update({"status": "accepted"})
    db.session.commit()
    follower = client.get(url, headers=auth(bob_token))
    assert follower.status_code == 200 and follower.headers["Cache-Control"] == "private, no-store"


def test_private_profile_body_says_so(client, ada):
    ada.is_public = False
    db.session.commit()
    body = client.get("/api/users/ada", headers=auth(make_token(ada))).get_json()
    assert body["isPublic"] is False and set(body) == PROFILE_KEYS


def test_a_sync_shows_at_once_in_the_stats(client, ada):
    before = client.get("/api/users/ada/stats").get_json()
    sync(client, ada, [record(at=datetime(2026, 3, 11, 9, tzinfo=timezone.utc), inputTokens=5000, outputTokens=0,
                              model="gpt-5", source="codex")])
    after = client.get("/api/users/ada/stats").get_json()
    assert after["totalTokens"] == before["totalTokens"] + 5000
    assert after["topModels"][0] == {"model": "gpt-5", "tokens": 5400, "percentage": round(100 * 5400 / 6600, 1)}
    assert after["currentStreak"] == 4


def test_going_private_shows_at_once(client, ada):
    assert client.get("/api/users/ada/stats").status_code == 200
    response = client.patch("/api/users/me", json={"isPublic": False}, headers=auth(make_token(ada)))
    assert response.status_code == 200
    error(client.get("/api/users/ada/stats"), 403, "FORBIDDEN")


@pytest.mark.parametrize("name", ["x" * 300, "%E2%80%AE", "ada%20", "..%2F..%2Fetc"])
@pytest.mark.parametrize("path", PATHS)
def test_odd_usernames_are_404_not_500(client, path, name):
    error(client.get(path.format(name)), 404, "NOT_FOUND")


@pytest.mark.parametrize("path", PATHS)
def test_a_nul_in_the_username_is_a_400(client, path):
    error(client.get(path.format("a%00b")), 400, "VALIDATION_ERROR")


def test_a_trailing_newline_does_not_name_a_user(client, ada):
    error(client.get("/api/users/ada%0A"), 404, "NOT_FOUND")
