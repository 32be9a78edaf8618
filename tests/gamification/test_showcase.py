"""A user's achievement list and the pinned showcase rules."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from burntop.extensions import db
from burntop.gamification.showcase import PinError, pinned_achievements, set_pinned, user_achievements
from burntop.models import AchievementUnlock
from tests.factories import auth, make_token, make_user, record


@pytest.fixture
def player(client):
    user = make_user("player")
    batch = [record(f"r{i}", cacheReadTokens=300_000, cacheCreationTokens=40_000, at=f"2025-06-0{1 + i}T12:00:00Z")
             for i in range(4)]
    body = client.post("/api/sync", json={"records": batch}, headers=auth(make_token(user))).get_json()
    assert len(body["achievements"]) >= 8
    return user.id, body["achievements"]


def test_the_list_has_every_achievement_with_unlocks_and_progress(player):
    user_id, unlocked = player
    listed = user_achievements(user_id)
    assert [a["id"] for a in listed][:2] == ["first-sync", "full-profile"] and len(listed) == 68
    first = listed[0]
    assert first["unlocked"] and first["unlockedAt"].endswith("Z") and first["progress"] is None
    assert not first["pinned"]
    big = next(a for a in listed if a["id"] == "tokens-10m")
    assert big == {"id": "tokens-10m", "name": "Ten Million", "description": "Used 10,000,000 tokens",
                   "rarity": "rare", "category": "milestones", "icon": "🔋", "unlocked": False, "unlockedAt": None,
                   "pinned": False, "progress": {"current": 1_366_000, "target": 10_000_000, "percentage": 0.13}}
    assert {a["id"] for a in listed if a["unlocked"]} == set(unlocked)


def test_pinning_unlocks_show_off_once(player):
    user_id, _ = player
    outcome = set_pinned(user_id, "first-sync", True)
    assert outcome.unlocked == ["show-off"]
    assert set_pinned(user_id, "first-sync", True).unlocked == []
    assert [p["id"] for p in pinned_achievements(user_id)] == ["first-sync"]
    assert next(a for a in user_achievements(user_id) if a["id"] == "first-sync")["pinned"]


def test_only_unlocked_and_known_achievements_can_be_pinned(player):
    user_id, _ = player
    with pytest.raises(PinError) as locked:
        set_pinned(user_id, "streak-365", True)
    assert locked.value.status == 400 and "unlocked" in locked.value.message
    with pytest.raises(PinError) as unknown:
        set_pinned(user_id, "no-such-thing", True)
    assert unknown.value.status == 404


def test_at_most_six_are_pinned(player):
    user_id, unlocked = player
    for achievement_id in unlocked[:6]:
        set_pinned(user_id, achievement_id, True)
    with pytest.raises(PinError) as too_many:
        set_pinned(user_id, unlocked[6], True)
    assert too_many.value.status == 400 and "At most 6" in too_many.value.message
    set_pinned(user_id, unlocked[0], True)  # pinning a pinned one again is not a seventh
    set_pinned(user_id, unlocked[0], False)
    set_pinned(user_id, unlocked[6], True)
    assert [p["id"] for p in pinned_achievements(user_id)] == unlocked[1:7]
    db.session.expire_all()
    unpinned = db.session.scalar(select(AchievementUnlock).where(AchievementUnlock.achievement_id == unlocked[0]))
    assert (unpinned.pinned, unpinned.pinned_at) == (False, None)
