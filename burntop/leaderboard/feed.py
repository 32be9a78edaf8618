"""leaderboard_rank activities: someone entered the top 10 or top 100 of an unfiltered board, announced
once per board and period (the UTC month for month/30d boards, the ISO week for week/7d/rising, ever for
all-time and streak). Filtered boards (tool, model, region) announce nothing: they would flood the feed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, select

from burntop.extensions import db
from burntop.gamification.feed import _insert_new
from burntop.leaderboard import rules
from burntop.models import Activity, LeaderboardBoard, LeaderboardEntry, Notification

LABELS = {"global": "tokens", "diverse": "model diversity", "efficient": "cache efficiency",
          "streak": "streaks", "rising": "rising", "reasoning": "reasoning"}


def announce_entries(ids: list[int], now: datetime) -> int:
    """Before the new generation becomes current: who entered a top tier since the previous one.
    A board's first computation announces nothing (nobody "entered" a board that did not exist)."""
    b = LeaderboardBoard.__table__
    new, old = LeaderboardEntry.__table__.alias("new"), LeaderboardEntry.__table__.alias("old")
    rows = db.session.execute(
        select(b.c.type, b.c.period, new.c.user_id, new.c.rank, old.c.rank)
        .join_from(b, new, and_(new.c.board_id == b.c.id, new.c.generation == b.c.generation + 1))
        .join(old, and_(old.c.board_id == b.c.id, old.c.generation == b.c.generation, old.c.user_id == new.c.user_id),
              isouter=True)
        .where(b.c.id.in_(ids), b.c.filter_kind == "", b.c.generation > 0, new.c.rank <= max(rules.FEED_TIERS))
    ).all()
    today = now.date()
    activities, notifications = [], []
    for board_type, period, user_id, rank, previous in rows:
        tier = rules.tier_entered(rank, previous)
        if tier is None:
            continue
        instance = rules.feed_instance(period, today)
        key = f"leaderboard_rank:{user_id}:{board_type}:{period}:{instance}:{tier}"
        data = {"board": board_type, "period": period, "rank": rank, "top": tier}
        activities.append({"user_id": user_id, "type": "leaderboard_rank", "data": data, "dedupe_key": key,
                           "created_at": now})
        notifications.append({"user_id": user_id, "type": "leaderboard_rank", "title": f"Top {tier}!",
                              "message": f"You reached #{rank} on the {LABELS[board_type]} leaderboard",
                              "data": data, "read": False, "dedupe_key": key, "created_at": now})
    _insert_new(Notification, notifications)
    return len(_insert_new(Activity, activities))
