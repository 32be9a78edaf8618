"""The 68 achievements: the spec's counts and names, and every condition at its boundary."""
from __future__ import annotations

import math
import re
from dataclasses import fields

import pytest

from burntop.gamification import catalog
from burntop.gamification.catalog import ACHIEVEMENTS, BY_ID, AchievementDef, Requirement
from burntop.gamification.snapshot import Snapshot


def test_counts_are_the_specs():
    assert len(ACHIEVEMENTS) == 68 == len(BY_ID)
    assert catalog.by_category() == {"onboarding": 5, "usage": 15, "social": 8, "streaks": 10, "efficiency": 10,
                                     "diversity": 8, "milestones": 10, "special": 2}
    assert catalog.by_rarity() == {"common": 30, "rare": 20, "epic": 12, "legendary": 6}


def test_ids_named_in_spec_000_keep_their_names():
    assert catalog.definition_json(BY_ID["first-sync"]) == {
        "id": "first-sync", "name": "First Sync", "description": "Synced your first usage data", "rarity": "common",
        "category": "onboarding", "icon": "🎯", "xpReward": 10}
    millionaire = BY_ID["token-millionaire"]
    assert (millionaire.name, millionaire.category, millionaire.rarity, millionaire.icon,
            millionaire.description) == ("Token Millionaire", "usage", "legendary", "💎", "Used 1,000,000 tokens")
    week = BY_ID["streak-7"]
    assert (week.name, week.category, week.icon) == ("Week Warrior", "streaks", "🔥")


def test_login_streak_badges_of_spec_001_are_in_the_catalog():
    assert catalog.LOGIN_BADGES == {7: "login-streak-7", 30: "login-streak-30"}
    for days, badge in catalog.LOGIN_BADGES.items():
        assert BY_ID[badge].requirements == (Requirement("login_streak", days),)


@pytest.mark.parametrize("a", ACHIEVEMENTS, ids=lambda a: a.id)
def test_every_entry_is_complete(a: AchievementDef):
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", a.id) and len(a.id) <= 64
    assert a.name and len(a.name) <= 100 and a.description and len(a.description) <= 300
    assert a.category in catalog.CATEGORIES and a.rarity in catalog.RARITIES
    assert a.icon and len(a.icon) <= 16 and not a.icon.isascii()
    assert isinstance(a.xp_reward, int) and a.xp_reward > 0
    assert a.requirements and all(r.target > 0 for r in a.requirements)
    assert a.condition and "{" not in a.condition
    assert set(catalog.badge_json(a)) == {"id", "name", "description", "icon", "category", "points", "condition"}


# Every achievement's XP reward and requirements (metric, target), stated here rather than read back
# from the catalog, so that a changed target or reward fails a test.
EXPECTED = {
    "first-sync": (10, ("records", 1)),
    "full-profile": (20, ("profile_fields", 4)),
    "first-session": (15, ("coding_sessions", 1)),
    "open-book": (15, ("public_api_enabled", 1)),
    "show-off": (10, ("pinned", 1)),
    "tokens-10k": (25, ("total_tokens", 10_000)),
    "tokens-100k": (25, ("total_tokens", 100_000)),
    "token-millionaire": (500, ("total_tokens", 1_000_000)),
    "responses-100": (25, ("records", 100)),
    "responses-1k": (50, ("records", 1_000)),
    "responses-10k": (50, ("records", 10_000)),
    "output-1m": (100, ("output_tokens", 1_000_000)),
    "deep-thinker": (100, ("reasoning_tokens", 100_000)),
    "spend-1": (25, ("cost_usd", 1)),
    "spend-10": (50, ("cost_usd", 10)),
    "spend-100": (100, ("cost_usd", 100)),
    "spend-1000": (250, ("cost_usd", 1_000)),
    "big-day": (100, ("best_day_tokens", 1_000_000)),
    "night-owl": (50, ("night_records", 100)),
    "weekend-warrior": (50, ("weekend_active_days", 10)),
    "first-follow": (10, ("following", 1)),
    "following-10": (25, ("following", 10)),
    "first-follower": (25, ("followers", 1)),
    "followers-10": (100, ("followers", 10)),
    "followers-50": (250, ("followers", 50)),
    "first-referral": (25, ("referrals", 1)),
    "referrals-5": (100, ("referrals", 5)),
    "referrals-25": (250, ("referrals", 25)),
    "streak-3": (25, ("longest_streak", 3)),
    "streak-7": (50, ("longest_streak", 7)),
    "streak-14": (100, ("longest_streak", 14)),
    "streak-21": (100, ("longest_streak", 21)),
    "streak-30": (150, ("longest_streak", 30)),
    "streak-60": (250, ("longest_streak", 60)),
    "streak-100": (300, ("longest_streak", 100)),
    "streak-365": (1000, ("longest_streak", 365)),
    "login-streak-7": (50, ("login_streak", 7)),
    "login-streak-30": (150, ("login_streak", 30)),
    "cache-hit": (10, ("cache_read_tokens", 1)),
    "cache-collector": (25, ("cache_read_tokens", 1_000_000)),
    "cache-hoarder": (100, ("cache_read_tokens", 100_000_000)),
    "cache-architect": (25, ("cache_creation_tokens", 1_000_000)),
    "efficient-50": (50, ("total_tokens", 1_000_000), ("cache_efficiency_pct", 50)),
    "efficient-75": (100, ("total_tokens", 1_000_000), ("cache_efficiency_pct", 75)),
    "efficient-90": (250, ("total_tokens", 10_000_000), ("cache_efficiency_pct", 90)),
    "efficient-95": (500, ("total_tokens", 100_000_000), ("cache_efficiency_pct", 95)),
    "flawless": (100, ("outcome_count", 1_000), ("success_rate_pct", 99)),
    "ship-it": (25, ("commits", 25)),
    "models-3": (25, ("distinct_models", 3)),
    "models-5": (100, ("distinct_models", 5)),
    "models-10": (250, ("distinct_models", 10)),
    "tools-2": (25, ("distinct_sources", 2)),
    "tools-4": (100, ("distinct_sources", 4)),
    "providers-2": (25, ("distinct_providers", 2)),
    "providers-3": (100, ("distinct_providers", 3)),
    "around-the-clock": (250, ("distinct_hours", 24)),
    "active-10": (50, ("active_days", 10)),
    "active-30": (100, ("active_days", 30)),
    "active-100": (250, ("active_days", 100)),
    "active-365": (1000, ("active_days", 365)),
    "tokens-10m": (150, ("total_tokens", 10_000_000)),
    "tokens-100m": (300, ("total_tokens", 100_000_000)),
    "tokens-1b": (1000, ("total_tokens", 1_000_000_000)),
    "responses-100k": (250, ("records", 100_000)),
    "sessions-100": (100, ("coding_sessions", 100)),
    "anniversary": (100, ("days_since_signup", 365)),
    "early-adopter": (250, ("signed_up_early", 1), ("active_days", 7)),
    "leap-day": (500, ("leap_days_active", 1)),
}


def test_every_reward_and_target_is_the_documented_one():
    assert {a.id: (a.xp_reward, *((r.metric, r.target) for r in a.requirements)) for a in ACHIEVEMENTS} == EXPECTED


def test_rewards_grow_with_rarity():
    lowest = {r: min(a.xp_reward for a in ACHIEVEMENTS if a.rarity == r) for r in catalog.RARITIES}
    highest = {r: max(a.xp_reward for a in ACHIEVEMENTS if a.rarity == r) for r in catalog.RARITIES}
    for lower, higher in zip(catalog.RARITIES, catalog.RARITIES[1:]):
        assert highest[lower] < lowest[higher]


def test_names_are_unique():
    assert len({a.name for a in ACHIEVEMENTS}) == 68


SNAPSHOT_FIELDS = {f.name for f in fields(Snapshot)}


def _plain(metric: str, value) -> dict:
    if metric == "total_tokens":
        return {"input_tokens": value}
    if metric == "cost_usd":
        return {"cost_nanos": round(value * 1e9)}
    assert metric in SNAPSHOT_FIELDS, metric
    return {metric: value}


def _share(total: int, pct: float, below: bool) -> tuple[int, int]:
    """(part, rest) of `total` whose share is exactly pct% (just under it when below)."""
    part = math.ceil(total * pct / 100)
    if below:
        part -= 1
    return part, total - part


def snapshot_at(a: AchievementDef, lowered: str | None = None) -> Snapshot:
    """Every requirement exactly at its target, except `lowered`, which falls just short of it."""
    need = {r.metric: r.target for r in a.requirements}
    values: dict = {}
    if "cache_efficiency_pct" in need:
        tokens = need["total_tokens"] - (lowered == "total_tokens")
        read, rest = _share(tokens, need["cache_efficiency_pct"], lowered == "cache_efficiency_pct")
        return Snapshot(cache_read_tokens=read, input_tokens=rest)
    if "success_rate_pct" in need:
        outcomes = need["outcome_count"] - (lowered == "outcome_count")
        ok, _ = _share(outcomes, need["success_rate_pct"], lowered == "success_rate_pct")
        return Snapshot(outcome_count=outcomes, success_count=ok)
    for metric, target in need.items():
        value = target
        if metric == lowered:
            value = target - (1e-9 if metric == "cost_usd" else 1)
        values.update(_plain(metric, value))
    return Snapshot(**values)


@pytest.mark.parametrize("a", ACHIEVEMENTS, ids=lambda a: a.id)
def test_each_condition_unlocks_exactly_at_its_boundary(a: AchievementDef):
    assert not a.unlocked_by(Snapshot())
    at = snapshot_at(a)
    assert a.unlocked_by(at), a.id
    assert a.progress(at)["percentage"] == 1.0
    for requirement in a.requirements:
        short = snapshot_at(a, lowered=requirement.metric)
        assert not a.unlocked_by(short), (a.id, requirement.metric)
        progress = a.progress(short)
        assert progress["target"] == requirement.target and progress["percentage"] < 1


def test_progress_has_the_specs_shape():
    assert BY_ID["token-millionaire"].progress(Snapshot(input_tokens=500_000)) == {
        "current": 500_000, "target": 1_000_000, "percentage": 0.5}
    assert BY_ID["spend-10"].progress(Snapshot(cost_nanos=3_456_000_000)) == {
        "current": 3.46, "target": 10, "percentage": 0.34}


def test_progress_of_a_rate_shows_the_volume_first():
    savvy = BY_ID["efficient-75"]
    small = Snapshot(input_tokens=10, cache_read_tokens=990)  # 99% efficient, but only 1,000 tokens
    assert savvy.progress(small) == {"current": 1_000, "target": 1_000_000, "percentage": 0.0}
    big = Snapshot(input_tokens=600_000, cache_read_tokens=400_000)
    assert savvy.progress(big) == {"current": 40.0, "target": 75, "percentage": 0.53}
    assert savvy.condition == "1,000,000 tokens and 75% cache efficiency"


def test_cache_efficiency_is_read_over_the_whole_prompt():
    s = Snapshot(input_tokens=100, cache_creation_tokens=100, cache_read_tokens=200, output_tokens=999)
    assert s.cache_efficiency == 0.5 and s.cache_efficiency_pct == 50 and s.total_tokens == 1399
    assert Snapshot().cache_efficiency == 0 and Snapshot().success_rate_pct == 0


def test_select_filters_by_category_and_rarity():
    assert len(catalog.select()) == 68
    assert [a.id for a in catalog.select("special")] == ["early-adopter", "leap-day"]
    assert len(catalog.select(rarity="legendary")) == 6
    assert all(a.category == "streaks" and a.rarity == "rare" for a in catalog.select("streaks", "rare"))
    assert catalog.select("nope") == []
