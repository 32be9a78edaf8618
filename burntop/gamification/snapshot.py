"""Everything the achievement conditions measure about one user, read from aggregates only."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import case, func, select

from burntop.database import safe_sum
from burntop.extensions import db
from burntop.gamification.rules import MAX_REFERRAL_DEPTH, local_today, tokens_xp_centi, usage_streaks
from burntop.models import AchievementUnlock, CodingSession, DailyRollup, Follow, Referral, UsageHour, User
from burntop.models.types import utcnow

EARLY_ADOPTER_BEFORE = datetime(2027, 7, 1, tzinfo=timezone.utc)
NIGHT_HOURS = range(0, 5)  # local 00:00-04:59
PROFILE_FIELDS = ("name", "bio", "location", "website")


@dataclass(frozen=True)
class Snapshot:
    records: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_tokens: int = 0
    cache_read_tokens: int = 0
    reasoning_tokens: int = 0
    cost_nanos: int = 0
    success_count: int = 0
    outcome_count: int = 0
    active_days: int = 0
    best_day_tokens: int = 0
    weekend_active_days: int = 0
    leap_days_active: int = 0
    current_streak: int = 0
    longest_streak: int = 0
    last_active_day: date | None = None
    login_streak: int = 0
    distinct_models: int = 0  # priced models only, so invented model names earn nothing
    distinct_sources: int = 0
    distinct_providers: int = 0  # of priced models
    distinct_hours: int = 0
    night_records: int = 0
    coding_sessions: int = 0
    commits: int = 0
    followers: int = 0
    following: int = 0
    referrals: int = 0  # people referred directly
    referral_tree: tuple[tuple[int, int], ...] = ()  # (referred user id, depth 1-3)
    profile_fields: int = 0
    public_api_enabled: int = 0
    pinned: int = 0
    days_since_signup: int = 0
    signed_up_early: int = 0
    tokens_xp_centi: int = 0  # token XP: the per-day curve summed over the local days (rules.py)

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_creation_tokens + self.cache_read_tokens

    @property
    def cost_usd(self) -> float:
        return self.cost_nanos / 1e9

    @property
    def cache_efficiency(self) -> float:
        """cacheRead / (input + cacheCreation + cacheRead), 0..1 (DESIGN.md)."""
        prompt = self.input_tokens + self.cache_creation_tokens + self.cache_read_tokens
        return self.cache_read_tokens / prompt if prompt else 0.0

    @property
    def cache_efficiency_pct(self) -> float:
        prompt = self.input_tokens + self.cache_creation_tokens + self.cache_read_tokens
        return 100 * self.cache_read_tokens / prompt if prompt else 0.0

    @property
    def success_rate_pct(self) -> float:
        return 100 * self.success_count / self.outcome_count if self.outcome_count else 0.0


def _usage(user_id: int) -> dict:
    r = DailyRollup
    sums = ("records", "input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens",
            "reasoning_tokens", "cost_nanos", "success_count", "outcome_count")
    priced = r.unpriced_records < r.records
    row = db.session.execute(select(
        *(func.coalesce(safe_sum(r.__table__.c[name]), 0) for name in sums),
        func.count(func.distinct(case((priced, r.model)))),
        func.count(func.distinct(r.source)),
        func.count(func.distinct(case((priced, r.provider)))),
    ).where(r.user_id == user_id)).one()
    values = dict(zip(sums, map(int, row[:len(sums)])))
    values.update(distinct_models=int(row[-3]), distinct_sources=int(row[-2]), distinct_providers=int(row[-1]))
    return values


def _days(user_id: int, today) -> dict:
    r = DailyRollup
    per_day = db.session.execute(select(r.day, safe_sum(r.input_tokens + r.output_tokens),
                                        safe_sum(r.cache_creation_tokens), safe_sum(r.cache_read_tokens))
                                 .where(r.user_id == user_id).group_by(r.day)).all()
    days = [day for day, *_ in per_day]
    sums = [(int(fresh), int(write), int(read)) for _, fresh, write, read in per_day]
    streaks = usage_streaks(days, today)
    return {
        "active_days": len(days), "best_day_tokens": max((sum(day) for day in sums), default=0),
        "tokens_xp_centi": tokens_xp_centi(sums),
        "weekend_active_days": sum(day.weekday() >= 5 for day in days),
        "leap_days_active": sum((day.month, day.day) == (2, 29) for day in days),
        "current_streak": streaks.current, "longest_streak": streaks.longest,
        "last_active_day": streaks.last_active_day,
    }


def _hours(user_id: int) -> dict:
    h = UsageHour
    rows = db.session.execute(select(h.hour, safe_sum(h.records)).where(h.user_id == user_id, h.records > 0)
                              .group_by(h.hour)).all()
    return {"distinct_hours": len(rows), "night_records": sum(int(n) for hour, n in rows if hour in NIGHT_HOURS)}


def _referral_tree(user_id: int) -> tuple[tuple[int, int], ...]:
    tree: list[tuple[int, int]] = []
    seen = {user_id}
    level = [user_id]
    for depth in range(1, MAX_REFERRAL_DEPTH + 1):
        found = db.session.scalars(select(Referral.referred_id).where(Referral.referrer_id.in_(level))
                                   .order_by(Referral.referred_id))
        level = [referred for referred in found if referred not in seen]  # a cycle must not pay twice
        if not level:
            break
        seen.update(level)
        tree += [(referred, depth) for referred in level]
    return tuple(tree)


def _count(statement) -> int:
    return int(db.session.scalar(statement) or 0)


def _social(user_id: int) -> dict:
    f = Follow
    sessions = db.session.execute(select(func.count(), func.coalesce(safe_sum(CodingSession.commits), 0))
                                  .where(CodingSession.user_id == user_id)).one()
    tree = _referral_tree(user_id)
    return {
        "followers": _count(select(func.count()).where(f.followee_id == user_id, f.status == "accepted")),
        "following": _count(select(func.count()).where(f.follower_id == user_id, f.status == "accepted")),
        "pinned": _count(select(func.count()).where(AchievementUnlock.user_id == user_id,
                                                   AchievementUnlock.pinned.is_(True))),
        "coding_sessions": int(sessions[0]), "commits": int(sessions[1]),
        "referral_tree": tree, "referrals": sum(depth == 1 for _, depth in tree),
    }


def build_snapshot(user_id: int, now: datetime | None = None) -> Snapshot:
    """Measure a user for the achievement conditions, from rollups, hours, sessions and the social graph."""
    user = db.session.get(User, user_id, populate_existing=True)  # fresh: read under the evaluation lock
    if user is None:
        raise LookupError(f"no user {user_id}")
    today = local_today(user.timezone, now or utcnow())
    signup_day = local_today(user.timezone, user.created_at)
    return Snapshot(
        **_usage(user_id), **_days(user_id, today), **_hours(user_id), **_social(user_id),
        login_streak=user.login_streak or 0,
        profile_fields=sum(bool((getattr(user, name) or "").strip()) for name in PROFILE_FIELDS),
        public_api_enabled=int(bool(user.public_api_enabled)),
        days_since_signup=max((today - signup_day).days, 0),
        signed_up_early=int(user.created_at < EARLY_ADOPTER_BEFORE),
    )
