"""The 68 achievements: what each asks for, measured over a Snapshot, and what it is worth.

A requirement names a Snapshot attribute and the value it must reach. An achievement with two
requirements (a volume, then a rate) is unlocked when both hold; its progress reports the first one
not yet met, so "75% cache efficiency over at least 1,000,000 tokens" first shows the tokens still to use.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from math import floor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from burntop.gamification.snapshot import Snapshot

CATEGORIES = ("onboarding", "usage", "social", "streaks", "efficiency", "diversity", "milestones", "special")
RARITIES = ("common", "rare", "epic", "legendary")

# How each measured number reads in a condition ("1,000,000 tokens"): one form, or (one, other) for a
# noun that agrees with the number.
LABELS: dict[str, str | tuple[str, str]] = {
    "records": ("{n} response", "{n} responses"), "total_tokens": ("{n} token", "{n} tokens"),
    "output_tokens": ("{n} output token", "{n} output tokens"),
    "reasoning_tokens": ("{n} reasoning token", "{n} reasoning tokens"),
    "cache_read_tokens": ("{n} token read from cache", "{n} tokens read from cache"),
    "cache_creation_tokens": ("{n} token written to cache", "{n} tokens written to cache"),
    "cost_usd": "${n} spent", "best_day_tokens": ("{n} token in one day", "{n} tokens in one day"),
    "night_records": ("{n} response between 00:00 and 05:00", "{n} responses between 00:00 and 05:00"),
    "weekend_active_days": ("{n} weekend day", "{n} weekend days"),
    "active_days": ("{n} active day", "{n} active days"),
    "longest_streak": "{n}-day usage streak", "login_streak": "{n}-day visit streak",
    "distinct_models": ("{n} model", "{n} models"), "distinct_sources": ("{n} tool", "{n} tools"),
    "distinct_providers": ("{n} provider", "{n} providers"),
    "distinct_hours": ("{n} hour of the day", "{n} hours of the day"),
    "cache_efficiency_pct": "{n}% cache efficiency",
    "outcome_count": ("{n} response with an outcome", "{n} responses with an outcome"),
    "success_rate_pct": "{n}% success rate", "commits": ("{n} commit", "{n} commits"),
    "coding_sessions": ("{n} coding session", "{n} coding sessions"),
    "followers": ("{n} follower", "{n} followers"), "following": ("{n} person followed", "{n} people followed"),
    "referrals": ("{n} referral", "{n} referrals"), "profile_fields": ("{n} profile field", "{n} profile fields"),
    "public_api_enabled": "public API on", "pinned": ("{n} pinned achievement", "{n} pinned achievements"),
    "days_since_signup": ("{n} day since joining", "{n} days since joining"),
    "signed_up_early": "joined before July 2027", "leap_days_active": "active on 29 February",
}


def phrase(metric: str, count: int | float, shown: str) -> str:
    """A metric's label for count, with count written as shown: ("followers", 1, "1") -> "1 follower"."""
    forms = LABELS[metric]
    template = forms if isinstance(forms, str) else forms[0] if count == 1 else forms[1]
    return template.format(n=shown)


def counted(metric: str) -> bool:
    """Whether a metric's label shows a number (a yes/no condition such as "public API on" does not)."""
    forms = LABELS[metric]
    return "{n}" in (forms if isinstance(forms, str) else forms[1])


@dataclass(frozen=True)
class Requirement:
    metric: str
    target: int | float

    def current(self, snapshot: Snapshot) -> int | float:
        return getattr(snapshot, self.metric)

    def met(self, snapshot: Snapshot) -> bool:
        return self.current(snapshot) >= self.target

    def label(self) -> str:
        return phrase(self.metric, self.target, f"{self.target:,}")


@dataclass(frozen=True)
class AchievementDef:
    id: str
    name: str
    description: str
    rarity: str
    category: str
    icon: str
    xp_reward: int
    requirements: tuple[Requirement, ...]

    @property
    def condition(self) -> str:
        """The human-readable condition (spec 001's `condition`)."""
        return " and ".join(r.label() for r in self.requirements)

    def unlocked_by(self, snapshot: Snapshot) -> bool:
        return all(r.met(snapshot) for r in self.requirements)

    def progress(self, snapshot: Snapshot) -> dict:
        """{current, target, percentage 0..1} of the first requirement not yet met (else the last)."""
        requirement = next((r for r in self.requirements if not r.met(snapshot)), self.requirements[-1])
        current = requirement.current(snapshot)
        share = min(current / requirement.target, 1.0) if requirement.target else 1.0
        return {"current": round(current, 2) if isinstance(current, float) else current,
                "target": requirement.target, "percentage": floor(share * 100) / 100}


def _group(category: str, *rows: tuple) -> list[AchievementDef]:
    out = []
    for id_, name, icon, rarity, xp, description, *needs in rows:
        requirements = tuple(Requirement(metric, target) for metric, target in zip(needs[::2], needs[1::2]))
        out.append(AchievementDef(id_, name, description, rarity, category, icon, xp, requirements))
    return out


M = 1_000_000

ACHIEVEMENTS: tuple[AchievementDef, ...] = tuple([
    *_group(
        "onboarding",
        ("first-sync", "First Sync", "🎯", "common", 10, "Synced your first usage data", "records", 1),
        ("full-profile", "Full Profile", "🪪", "common", 20, "Filled in your name, bio, location and website",
         "profile_fields", 4),
        ("first-session", "Session Starter", "🧑‍💻", "common", 15, "Synced your first coding session",
         "coding_sessions", 1),
        ("open-book", "Open Book", "🔓", "common", 15, "Turned on your public usage API", "public_api_enabled", 1),
        ("show-off", "Show-Off", "📌", "common", 10, "Pinned an achievement to your profile", "pinned", 1),
    ),
    *_group(
        "usage",
        ("tokens-10k", "Warming Up", "🌱", "common", 25, "Used 10,000 tokens", "total_tokens", 10_000),
        ("tokens-100k", "Six Figures", "📈", "common", 25, "Used 100,000 tokens", "total_tokens", 100_000),
        ("token-millionaire", "Token Millionaire", "💎", "legendary", 500, "Used 1,000,000 tokens", "total_tokens", M),
        ("responses-100", "Century", "💯", "common", 25, "Received 100 model responses", "records", 100),
        ("responses-1k", "Thousand Replies", "💬", "common", 50, "Received 1,000 model responses", "records", 1_000),
        ("responses-10k", "Conversation Engine", "🗣️", "common", 50, "Received 10,000 model responses",
         "records", 10_000),
        ("output-1m", "Prolific", "✍️", "rare", 100, "Received 1,000,000 output tokens", "output_tokens", M),
        ("deep-thinker", "Deep Thinker", "🧠", "rare", 100, "Used 100,000 reasoning tokens",
         "reasoning_tokens", 100_000),
        ("spend-1", "First Dollar", "💵", "common", 25, "Spent $1 on AI coding", "cost_usd", 1),
        ("spend-10", "Tenner", "💸", "common", 50, "Spent $10 on AI coding", "cost_usd", 10),
        ("spend-100", "Big Spender", "💰", "rare", 100, "Spent $100 on AI coding", "cost_usd", 100),
        ("spend-1000", "High Roller", "🎰", "epic", 250, "Spent $1,000 on AI coding", "cost_usd", 1_000),
        ("big-day", "Big Day", "🚀", "rare", 100, "Used 1,000,000 tokens in a single day", "best_day_tokens", M),
        ("night-owl", "Night Owl", "🦉", "common", 50, "Received 100 responses between midnight and 5 a.m. your time",
         "night_records", 100),
        ("weekend-warrior", "Weekend Warrior", "🏖️", "common", 50, "Coded with AI on 10 weekend days",
         "weekend_active_days", 10),
    ),
    *_group(
        "social",
        ("first-follow", "Networker", "🤝", "common", 10, "Followed another developer", "following", 1),
        ("following-10", "Curator", "📚", "common", 25, "Followed 10 developers", "following", 10),
        ("first-follower", "First Fan", "👋", "common", 25, "Gained your first follower", "followers", 1),
        ("followers-10", "Rising Star", "⭐", "rare", 100, "Gained 10 followers", "followers", 10),
        ("followers-50", "Influencer", "📣", "epic", 250, "Gained 50 followers", "followers", 50),
        ("first-referral", "Recruiter", "🎟️", "common", 25, "Referred your first new user", "referrals", 1),
        ("referrals-5", "Ambassador", "🏅", "rare", 100, "Referred 5 new users", "referrals", 5),
        ("referrals-25", "Evangelist", "🌍", "epic", 250, "Referred 25 new users", "referrals", 25),
    ),
    *_group(
        "streaks",
        ("streak-3", "Hat Trick", "🎩", "common", 25, "Used AI coding tools 3 days in a row", "longest_streak", 3),
        ("streak-7", "Week Warrior", "🔥", "common", 50, "Used AI coding tools 7 days in a row", "longest_streak", 7),
        ("streak-14", "Fortnight Focus", "🗓️", "rare", 100, "Used AI coding tools 14 days in a row",
         "longest_streak", 14),
        ("streak-21", "Habit Formed", "🔁", "rare", 100, "Used AI coding tools 21 days in a row", "longest_streak", 21),
        ("streak-30", "Monthly Momentum", "📅", "rare", 150, "Used AI coding tools 30 days in a row",
         "longest_streak", 30),
        ("streak-60", "Unstoppable", "⚡", "epic", 250, "Used AI coding tools 60 days in a row", "longest_streak", 60),
        ("streak-100", "Triple Digits", "🏆", "epic", 300, "Used AI coding tools 100 days in a row",
         "longest_streak", 100),
        ("streak-365", "Year of Fire", "🌋", "legendary", 1000, "Used AI coding tools every day for a year",
         "longest_streak", 365),
        ("login-streak-7", "Regular", "🚪", "common", 50, "Visited burntop 7 days in a row", "login_streak", 7),
        ("login-streak-30", "Monthly Master", "🗝️", "rare", 150, "Visited burntop 30 days in a row",
         "login_streak", 30),
    ),
    *_group(
        "efficiency",
        ("cache-hit", "Cache Hit", "♻️", "common", 10, "Read tokens from a prompt cache", "cache_read_tokens", 1),
        ("cache-collector", "Cache Collector", "📦", "common", 25, "Read 1,000,000 tokens from cache",
         "cache_read_tokens", M),
        ("cache-hoarder", "Cache Hoarder", "🏦", "rare", 100, "Read 100,000,000 tokens from cache",
         "cache_read_tokens", 100 * M),
        ("cache-architect", "Cache Architect", "🏗️", "common", 25, "Wrote 1,000,000 tokens to cache",
         "cache_creation_tokens", M),
        ("efficient-50", "Efficient", "🌿", "common", 50, "Reached 50% cache efficiency over at least 1,000,000 tokens",
         "total_tokens", M, "cache_efficiency_pct", 50),
        ("efficient-75", "Cache Savvy", "🧊", "rare", 100, "Reached 75% cache efficiency over at least 1,000,000 tokens",
         "total_tokens", M, "cache_efficiency_pct", 75),
        ("efficient-90", "Cache Master", "🥇", "epic", 250,
         "Reached 90% cache efficiency over at least 10,000,000 tokens", "total_tokens", 10 * M,
         "cache_efficiency_pct", 90),
        ("efficient-95", "Cache Whisperer", "🔮", "legendary", 500,
         "Reached 95% cache efficiency over at least 100,000,000 tokens", "total_tokens", 100 * M,
         "cache_efficiency_pct", 95),
        ("flawless", "Flawless", "✅", "rare", 100, "99% of at least 1,000 reported responses succeeded",
         "outcome_count", 1_000, "success_rate_pct", 99),
        ("ship-it", "Ship It", "🚢", "common", 25, "Made 25 commits in tracked coding sessions", "commits", 25),
    ),
    *_group(
        "diversity",
        ("models-3", "Model Explorer", "🧪", "common", 25, "Used 3 different models", "distinct_models", 3),
        ("models-5", "Model Connoisseur", "🍷", "rare", 100, "Used 5 different models", "distinct_models", 5),
        ("models-10", "Model Collector", "🗃️", "epic", 250, "Used 10 different models", "distinct_models", 10),
        ("tools-2", "Multi-Tool", "🛠️", "common", 25, "Used 2 different AI coding tools", "distinct_sources", 2),
        ("tools-4", "Tool Belt", "🧰", "rare", 100, "Used 4 different AI coding tools", "distinct_sources", 4),
        ("providers-2", "Cross-Pollinator", "🔀", "common", 25, "Used models from 2 providers", "distinct_providers", 2),
        ("providers-3", "Polyglot", "🌐", "rare", 100, "Used models from 3 providers", "distinct_providers", 3),
        ("around-the-clock", "Around the Clock", "🕰️", "epic", 250, "Used AI in every hour of the day, your time",
         "distinct_hours", 24),
    ),
    *_group(
        "milestones",
        ("active-10", "Ten Days In", "🔟", "common", 50, "Active on 10 different days", "active_days", 10),
        ("active-30", "Month of Code", "📆", "rare", 100, "Active on 30 different days", "active_days", 30),
        ("active-100", "Centurion", "🛡️", "epic", 250, "Active on 100 different days", "active_days", 100),
        ("active-365", "Year of Tokens", "👑", "legendary", 1000, "Active on 365 different days", "active_days", 365),
        ("tokens-10m", "Ten Million", "🔋", "rare", 150, "Used 10,000,000 tokens", "total_tokens", 10 * M),
        ("tokens-100m", "Hundred Million", "☄️", "epic", 300, "Used 100,000,000 tokens", "total_tokens", 100 * M),
        ("tokens-1b", "Billion Burner", "🌌", "legendary", 1000, "Used 1,000,000,000 tokens", "total_tokens", 1000 * M),
        ("responses-100k", "Hundred Thousand Replies", "📡", "epic", 250, "Received 100,000 model responses",
         "records", 100_000),
        ("sessions-100", "Session Veteran", "🎧", "rare", 100, "Synced 100 coding sessions", "coding_sessions", 100),
        ("anniversary", "Anniversary", "🎂", "rare", 100, "Have been on burntop for a year", "days_since_signup", 365),
    ),
    *_group(
        "special",
        ("early-adopter", "Early Adopter", "🐣", "epic", 250, "Joined burntop before July 2027 and coded on 7 days",
         "signed_up_early", 1, "active_days", 7),
        ("leap-day", "Leap Day Coder", "🐸", "legendary", 500, "Used AI coding tools on a 29 February",
         "leap_days_active", 1),
    ),
])

BY_ID: dict[str, AchievementDef] = {a.id: a for a in ACHIEVEMENTS}
LOGIN_BADGES = {7: "login-streak-7", 30: "login-streak-30"}


def by_category() -> dict[str, int]:
    """Achievement counts per category, in the spec's order."""
    counts = Counter(a.category for a in ACHIEVEMENTS)
    return {category: counts[category] for category in CATEGORIES}


def by_rarity() -> dict[str, int]:
    """Achievement counts per rarity, in the spec's order."""
    counts = Counter(a.rarity for a in ACHIEVEMENTS)
    return {rarity: counts[rarity] for rarity in RARITIES}


def select(category: str | None = None, rarity: str | None = None) -> list[AchievementDef]:
    """The catalog in order, optionally filtered by category and rarity."""
    return [a for a in ACHIEVEMENTS if (category is None or a.category == category)
            and (rarity is None or a.rarity == rarity)]


def definition_json(a: AchievementDef) -> dict:
    """spec 000's achievement definition (GET /api/achievements)."""
    return {"id": a.id, "name": a.name, "description": a.description, "rarity": a.rarity,
            "category": a.category, "icon": a.icon, "xpReward": a.xp_reward}


def badge_json(a: AchievementDef) -> dict:
    """spec 001's badge shape (GET /api/gamification/profile)."""
    return {"id": a.id, "name": a.name, "description": a.description, "icon": a.icon,
            "category": a.category, "points": a.xp_reward, "condition": a.condition}
