"""The gamification JSON API: catalog, a user's achievements and level, pins, and spec 001's profile."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from burntop.extensions import db
from burntop.gamification.catalog import ACHIEVEMENTS, CATEGORIES, RARITIES
from burntop.models import Follow, User, XpEvent
from tests.factories import auth, make_token, make_user, record, sign_in

SPEC_001_KEYS = {"badges", "points", "level", "title", "nextLevel", "progress", "streak", "badgeAwarded",
                 "leaderboard", "userRank", "availableBadges"}
BADGE_KEYS = {"id", "name", "description", "icon", "category", "points", "condition"}
LEADER_KEYS = {"userId", "name", "points", "level", "title"}


def error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_json()
    body = response.get_json()["error"]
    assert body["code"] == code and body["message"]
    return body



def grant_xp(user, centi: int) -> None:
    """Give a user XP through the ledger, so a later evaluation keeps it."""
    db.session.add(XpEvent(user_id=user.id, key="test:grant", kind="achievement", amount_centi=centi))
    db.session.get(User, user.id).xp_centi = centi
    db.session.commit()


# ---- GET /api/achievements


def test_the_catalog_lists_all_68_with_counts_and_a_cache_header(client):
    response = client.get("/api/achievements")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    body = response.get_json()
    assert set(body) == {"achievements", "total", "byCategory", "byRarity"}
    assert body["total"] == len(body["achievements"]) == 68
    assert body["byCategory"] == {"onboarding": 5, "usage": 15, "social": 8, "streaks": 10, "efficiency": 10,
                                  "diversity": 8, "milestones": 10, "special": 2}
    assert body["byRarity"] == {"common": 30, "rare": 20, "epic": 12, "legendary": 6}
    assert body["achievements"][0] == {"id": "first-sync", "name": "First Sync",
                                       "description": "Synced your first usage data", "rarity": "common",
                                       "category": "onboarding", "icon": "🎯", "xpReward": 10}


@pytest.mark.parametrize("query, expected", [
    ("category=streaks", 10), ("rarity=legendary", 6), ("category=usage&rarity=legendary", 1),
    ("category=special&rarity=common", 0), ("category=&rarity=", 68),
])
def test_the_catalog_filters_by_category_and_rarity(client, query, expected):
    body = client.get(f"/api/achievements?{query}").get_json()
    params = dict(part.split("=") for part in query.split("&"))
    assert body["total"] == len(body["achievements"]) == expected
    for a in body["achievements"]:
        assert params.get("category") in ("", None, a["category"]) and params.get("rarity") in ("", None, a["rarity"])
    assert sum(body["byCategory"].values()) == 68  # the counts describe the whole catalog


@pytest.mark.parametrize("name, value, allowed", [
    ("category", "Streaks", CATEGORIES), ("category", "agents", CATEGORIES), ("rarity", "mythic", RARITIES),
])
def test_an_unknown_filter_value_is_refused_with_the_allowed_values(client, name, value, allowed):
    body = error(client.get(f"/api/achievements?{name}={value}"), 400, "VALIDATION_ERROR")
    assert all(option in body["message"] for option in allowed)
    assert body["details"] == [{"field": name, "reason": "unknown value", "allowed": list(allowed)}]


# ---- who may read a profile's achievements and level


@pytest.fixture
def private_user():
    user = make_user("hidden", is_public=False)
    grant_xp(user, 245_000)
    return user


@pytest.mark.parametrize("path", ["/api/users/{}/achievements", "/api/users/{}/level"])
def test_public_profiles_are_open_and_unknown_ones_404(client, path):
    make_user("open")
    assert client.get(path.format("open")).status_code == 200
    error(client.get(path.format("nobody-here")), 404, "NOT_FOUND")


@pytest.mark.parametrize("path", ["/api/users/{}/achievements", "/api/users/{}/level"])
def test_a_private_profile_is_forbidden_to_strangers_and_pending_followers(client, private_user, path):
    url = path.format("hidden")
    error(client.get(url), 403, "FORBIDDEN")
    stranger = make_user("stranger")
    error(client.get(url, headers=auth(make_token(stranger))), 403, "FORBIDDEN")
    db.session.add(Follow(follower_id=stranger.id, followee_id=private_user.id, status="pending"))
    db.session.commit()
    error(client.get(url, headers=auth(make_token(stranger))), 403, "FORBIDDEN")
    sign_in(client, stranger)
    error(client.get(url), 403, "FORBIDDEN")


HIDDEN_LEVEL = {"level": 12, "title": "AI Adept", "currentXp": 2450, "xpToNextLevel": 500,
                "totalXpForNextLevel": 2950, "progress": 0.83}
HIDDEN_FIRST_ACHIEVEMENT = {"id": "first-sync", "name": "First Sync", "description": "Synced your first usage data",
                            "rarity": "common", "category": "onboarding", "icon": "🎯", "unlocked": False,
                            "unlockedAt": None, "pinned": False,
                            "progress": {"current": 0, "target": 1, "percentage": 0.0}}


def shows_the_private_profile(response) -> None:
    assert response.status_code == 200
    body = response.get_json()
    if "achievements" in body:
        assert len(body["achievements"]) == 68 and body["achievements"][0] == HIDDEN_FIRST_ACHIEVEMENT
    else:
        assert body == HIDDEN_LEVEL


@pytest.mark.parametrize("path", ["/api/users/{}/achievements", "/api/users/{}/level"])
def test_the_owner_and_accepted_followers_see_a_private_profile(client, private_user, path):
    url = path.format("hidden")
    shows_the_private_profile(client.get(url, headers=auth(make_token(private_user))))
    friend = make_user("friend")
    db.session.add(Follow(follower_id=friend.id, followee_id=private_user.id, status="accepted"))
    db.session.commit()
    shows_the_private_profile(client.get(url, headers=auth(make_token(friend))))
    sign_in(client, private_user)
    shows_the_private_profile(client.get(url))


def test_the_level_is_spec_000s_object(client, private_user):
    body = client.get("/api/users/hidden/level", headers=auth(make_token(private_user))).get_json()
    assert body == HIDDEN_LEVEL


# ---- achievements and pins


@pytest.fixture
def player(client):
    user = make_user("player")
    token = make_token(user)
    batch = [record(f"r{i}", cacheReadTokens=300_000, cacheCreationTokens=40_000, at=f"2025-06-0{1 + i}T12:00:00Z")
             for i in range(4)]
    unlocked = client.post("/api/sync", json={"records": batch}, headers=auth(token)).get_json()["achievements"]
    assert len(unlocked) >= 7
    return token, unlocked


def listed(client, username: str = "player") -> dict[str, dict]:
    return {a["id"]: a for a in client.get(f"/api/users/{username}/achievements").get_json()["achievements"]}


def test_a_users_achievements_are_locked_and_unlocked_with_progress(client, player):
    _, unlocked = player
    achievements = listed(client)
    assert list(achievements) == [a.id for a in ACHIEVEMENTS]
    assert {i for i, a in achievements.items() if a["unlocked"]} == set(unlocked)
    first = achievements["first-sync"]
    assert set(first) == {"id", "name", "description", "rarity", "category", "icon", "unlocked", "unlockedAt",
                          "pinned", "progress"}
    assert first["unlockedAt"].endswith("Z") and first["progress"] is None and first["pinned"] is False
    locked = achievements["tokens-10m"]
    assert locked["unlocked"] is False and locked["unlockedAt"] is None
    assert locked["progress"]["target"] == 10_000_000 and 0 < locked["progress"]["percentage"] < 1


def test_pin_and_unpin_an_unlocked_achievement(client, player):
    token, _ = player
    response = client.patch("/api/users/me/achievements/first-sync/pin", json={"pinned": True}, headers=auth(token))
    assert response.status_code == 200 and response.get_json() == {"success": True, "pinned": True}
    achievements = listed(client)
    assert achievements["first-sync"]["pinned"] and achievements["show-off"]["unlocked"]
    response = client.patch("/api/users/me/achievements/first-sync/pin", json={"pinned": False}, headers=auth(token))
    assert response.get_json() == {"success": True, "pinned": False}
    assert not listed(client)["first-sync"]["pinned"]


def test_at_most_six_achievements_are_pinned(client, player):
    token, unlocked = player
    for achievement_id in unlocked[:6]:
        assert client.patch(f"/api/users/me/achievements/{achievement_id}/pin", json={"pinned": True},
                            headers=auth(token)).status_code == 200
    body = error(client.patch(f"/api/users/me/achievements/{unlocked[6]}/pin", json={"pinned": True},
                              headers=auth(token)), 400, "VALIDATION_ERROR")
    assert "6" in body["message"]
    assert sum(a["pinned"] for a in listed(client).values()) == 6
    # re-pinning one already pinned is not a seventh
    assert client.patch(f"/api/users/me/achievements/{unlocked[0]}/pin", json={"pinned": True},
                        headers=auth(token)).status_code == 200


def test_locked_and_unknown_achievements_cannot_be_pinned(client, player):
    token, _ = player
    body = error(client.patch("/api/users/me/achievements/streak-365/pin", json={"pinned": True},
                              headers=auth(token)), 400, "VALIDATION_ERROR")
    assert "unlocked" in body["message"]
    error(client.patch("/api/users/me/achievements/no-such-thing/pin", json={"pinned": True}, headers=auth(token)),
          404, "NOT_FOUND")


@pytest.mark.parametrize("body", [None, [], {}, {"pinned": "yes"}, {"pinned": 1}, {"pinned": None}])
def test_a_pin_needs_a_boolean(client, player, body):
    token, _ = player
    kwargs = {"data": "pinned=true"} if body is None else {"json": body}
    error(client.patch("/api/users/me/achievements/first-sync/pin", headers=auth(token), **kwargs),
          400, "VALIDATION_ERROR")


def test_pinning_needs_sign_in(client, player):
    error(client.patch("/api/users/me/achievements/first-sync/pin", json={"pinned": True}), 401, "UNAUTHORIZED")


def test_profile_changes_unlock_profile_achievements(client):
    alice = make_user("alice")
    token = make_token(alice)
    client.patch("/api/users/me", json={"name": "Alice", "bio": "Codes", "location": "Lisbon",
                                        "websiteUrl": "https://alice.dev"}, headers=auth(token))
    assert listed(client, "alice")["full-profile"]["unlocked"]


# ---- GET /api/gamification/profile (spec 001)


def test_the_profile_has_exactly_spec_001s_shape(client, player):
    token, unlocked = player
    response = client.get("/api/gamification/profile", headers=auth(token))
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    body = response.get_json()
    assert set(body) == SPEC_001_KEYS
    assert all(set(badge) == BADGE_KEYS for badge in body["badges"] + body["availableBadges"])
    assert all(set(row) == LEADER_KEYS for row in body["leaderboard"])
    assert {b["id"] for b in body["badges"]} == set(unlocked)
    earned, available = {b["id"] for b in body["badges"]}, {b["id"] for b in body["availableBadges"]}
    assert earned | available == {a.id for a in ACHIEVEMENTS} and not earned & available
    user = db.session.scalar(select(User).where(User.username == "player").execution_options(populate_existing=True))
    assert body["points"] == user.xp_centi / 100
    assert isinstance(body["level"], int) and 1 <= body["level"] <= 7 and 0 <= body["progress"] <= 100
    assert (body["streak"], body["badgeAwarded"], body["userRank"]) == (1, None, 1)
    warming = next(b for b in body["badges"] if b["id"] == "tokens-10k")
    assert warming == {"id": "tokens-10k", "name": "Warming Up", "description": "Used 10,000 tokens", "icon": "🌱",
                       "category": "usage", "points": 25, "condition": "10,000 tokens"}


def test_the_profile_reads_the_seven_rank_tiers(client):
    user = make_user("ranked", name="Ranked")
    grant_xp(user, 15_000)  # 150 points: Beginner, 30% of the way to 500
    body = client.get("/api/gamification/profile", headers=auth(make_token(user))).get_json()
    assert (body["points"], body["level"], body["title"], body["nextLevel"], body["progress"]) == (
        150, 2, "Beginner", 500, 30)
    assert body["leaderboard"] == [{"userId": str(user.id), "name": "Ranked", "points": 150, "level": 2,
                                    "title": "Beginner"}]


def test_the_profile_accepts_a_session_and_needs_sign_in(client):
    user = make_user("session-user")
    error(client.get("/api/gamification/profile"), 401, "UNAUTHORIZED")
    sign_in(client, user)
    assert set(client.get("/api/gamification/profile").get_json()) == SPEC_001_KEYS


def test_the_login_streak_counts_each_day_once_and_awards_the_week_badge(client):
    user = make_user("daily", timezone="Europe/Berlin")
    token = make_token(user)
    start = datetime(2025, 6, 1, 8, 0, tzinfo=timezone.utc)
    seen = []
    for day in range(8):
        with freeze_time(start + timedelta(days=day)):
            first = client.get("/api/gamification/profile", headers=auth(token)).get_json()
        with freeze_time(start + timedelta(days=day, hours=12)):  # 22:00 in Berlin: the same day
            again = client.get("/api/gamification/profile", headers=auth(token)).get_json()
        assert (again["streak"], again["badgeAwarded"]) == (first["streak"], None)
        seen.append((first["streak"], first["badgeAwarded"]))
    assert [streak for streak, _ in seen] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert [badge for _, badge in seen] == [None] * 6 + ["login-streak-7", None]
    with freeze_time(start + timedelta(days=10)):
        body = client.get("/api/gamification/profile", headers=auth(token)).get_json()
    assert (body["streak"], body["badgeAwarded"]) == (1, None)
    assert "login-streak-7" in {b["id"] for b in body["badges"]}


def test_the_leaderboard_is_the_public_top_five_and_the_rank_stops_at_ten(client):
    whale = make_user("whale", is_public=False, name="Whale")
    grant_xp(whale, 9_999_900)
    people = [make_user(f"p-{n:02d}", name=None if n == 1 else f"P{n}") for n in range(12)]
    for n, person in enumerate(people):
        grant_xp(person, (20 - n) * 10_000)  # p-00 has the most points
    tied = make_user("tied", name="Tied")  # a later account with p-02's points ranks after it
    grant_xp(tied, 180_000)

    body = client.get("/api/gamification/profile", headers=auth(make_token(people[2]))).get_json()
    assert [row["userId"] for row in body["leaderboard"]] == [str(p.id) for p in people[:3]] + [
        str(tied.id), str(people[3].id)]
    assert body["leaderboard"][1] == {"userId": str(people[1].id), "name": "Anonymous", "points": 1900,
                                      "level": 4, "title": "Advanced"}
    assert str(whale.id) not in {row["userId"] for row in body["leaderboard"]}
    assert body["userRank"] == 3

    assert client.get("/api/gamification/profile", headers=auth(make_token(tied))).get_json()["userRank"] == 4
    assert client.get("/api/gamification/profile", headers=auth(make_token(people[8]))).get_json()["userRank"] == 10
    assert client.get("/api/gamification/profile", headers=auth(make_token(people[9]))).get_json()["userRank"] is None
    whale_view = client.get("/api/gamification/profile", headers=auth(make_token(whale))).get_json()
    assert whale_view["userRank"] is None and whale_view["points"] == 99_999
