"""The landing page's showcase: this week's most active public developer, from real rollups."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from burntop.database import safe_sum
from burntop.extensions import db
from burntop.integrity.exclude import trusted
from burntop.models import DailyRollup, User

TOKENS = DailyRollup.input_tokens + DailyRollup.output_tokens + DailyRollup.cache_creation_tokens + \
    DailyRollup.cache_read_tokens


def top_public_this_week(today: date) -> dict | None:
    """The public profile with the most tokens over the last 7 UTC days, with its daily series (trusted days only)."""
    start = today - timedelta(days=6)
    leader = db.session.execute(
        select(User.id, User.username, User.name, User.avatar_digest, User.is_demo,
               safe_sum(TOKENS).label("tokens"), safe_sum(DailyRollup.cost_nanos).label("cost"))
        .join(DailyRollup, DailyRollup.user_id == User.id)
        .where(User.is_public.is_(True), DailyRollup.day >= start, DailyRollup.day <= today,
               trusted(DailyRollup.user_id, DailyRollup.day))
        .group_by(User.id, User.username, User.name, User.avatar_digest, User.is_demo)
        .order_by(safe_sum(TOKENS).desc(), User.id).limit(1)
    ).first()
    if leader is None:
        return None
    per_day = dict(db.session.execute(
        select(DailyRollup.day, safe_sum(TOKENS)).where(DailyRollup.user_id == leader.id, DailyRollup.day >= start,
                                                        DailyRollup.day <= today, trusted(DailyRollup.user_id, DailyRollup.day)).group_by(DailyRollup.day)
    ).all())
    sources = db.session.scalars(
        select(DailyRollup.source).where(DailyRollup.user_id == leader.id, DailyRollup.day >= start, DailyRollup.day <= today,
               trusted(DailyRollup.user_id, DailyRollup.day))
        .group_by(DailyRollup.source).order_by(safe_sum(TOKENS).desc())
    ).all()
    days = [start + timedelta(days=i) for i in range(7)]
    series = [int(per_day.get(day, 0)) for day in days]
    peak = max(series) or 1
    return {
        "username": leader.username, "name": leader.name or leader.username, "avatar_digest": leader.avatar_digest,
        "is_demo": bool(leader.is_demo),
        "tokens": int(leader.tokens), "cost": int(leader.cost) / 1e9, "sources": list(sources),
        "activeDays": sum(1 for value in series if value),
        "days": [{"date": day.isoformat(), "weekday": day.strftime("%a"), "tokens": value,
                  "height": round(100 * value / peak)} for day, value in zip(days, series)],
    }
