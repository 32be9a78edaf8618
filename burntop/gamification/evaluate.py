"""Evaluation: turn a user's current numbers into unlocks, XP, level, streaks, activities and notifications.

Why it never awards twice:
- every evaluation of a user first takes that user's row lock (a no-op UPDATE: a row lock on
  PostgreSQL, the write lock on SQLite), so evaluations of one user run one after another and each
  reads what the previous one committed;
- unlocks, XP events, activities and notifications are inserted with ON CONFLICT DO NOTHING on their
  unique keys, and only the rows this transaction inserted count as caused by this request;
- token and active-day XP are recomputed from all-time totals and stored as one upserted ledger row
  each, never added per sync; users.xp_centi is always the sum of the ledger.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from flask import current_app
from sqlalchemy import func, select

from burntop import pending
from burntop.accounts.profile import profile_changed
from burntop.extensions import db
from burntop.gamification import rules
from burntop.gamification.catalog import ACHIEVEMENTS, BY_ID, LOGIN_BADGES
from burntop.gamification.feed import record_level_up, record_streak_milestone, record_unlocks
from burntop.gamification.snapshot import Snapshot, build_snapshot
from burntop.models import Achievement, AchievementUnlock, Referral, User, XpEvent
from burntop.models.types import utcnow
from burntop.database import insert as _insert, least_greatest as _least_greatest, safe_sum

T = TypeVar("T")
log = logging.getLogger(__name__)
KIND = "evaluate"


@dataclass(frozen=True)
class Outcome:
    unlocked: list[str]
    leveled_up: bool
    new_level: int | None
    activities: list[int] = field(default_factory=list)  # ids of the activity rows created, for live fan-out
    xp_centi: int = 0         # the user's XP after this evaluation, in hundredths
    xp_gained_centi: int = 0  # what this evaluation added


NOTHING = Outcome(unlocked=[], leveled_up=False, new_level=None)


@dataclass(frozen=True)
class LoginOutcome:
    streak: int
    badge_awarded: str | None
    outcome: Outcome


def sync_catalog() -> None:
    """Write the catalog in code into the achievements table (insert new, update changed)."""
    table = Achievement.__table__
    rows = [{"id": a.id, "name": a.name, "description": a.description, "rarity": a.rarity, "category": a.category,
             "icon": a.icon, "xp_reward": a.xp_reward, "sort_order": index} for index, a in enumerate(ACHIEVEMENTS)]
    stmt = _insert(table)
    stmt = stmt.on_conflict_do_update(index_elements=["id"], set_={
        name: stmt.excluded[name] for name in ("name", "description", "rarity", "category", "icon", "xp_reward",
                                               "sort_order")})
    db.session.execute(stmt, rows)
    db.session.commit()


def ensure_catalog() -> None:
    """Sync the catalog once per app, before the first unlock needs its rows."""
    state = current_app.extensions.setdefault("burntop_gamification", {})
    if not state.get("catalog_synced"):
        sync_catalog()
        state["catalog_synced"] = True


def _lock_user(user_id: int) -> tuple[int, int]:
    """Take the user's evaluation lock and return the level and XP (hundredths) it guards."""
    users = User.__table__
    db.session.execute(users.update().where(users.c.id == user_id).values(level=users.c.level))
    return tuple(db.session.execute(select(users.c.level, users.c.xp_centi).where(users.c.id == user_id)).one())


def _insert_unlocks(user_id: int, snapshot: Snapshot, now: datetime) -> tuple[list[str], set[str]]:
    have = set(db.session.scalars(select(AchievementUnlock.achievement_id).where(AchievementUnlock.user_id == user_id)))
    wanted = [a.id for a in ACHIEVEMENTS if a.id not in have and a.unlocked_by(snapshot)]
    if not wanted:
        return [], have
    table = AchievementUnlock.__table__
    stmt = (_insert(table).on_conflict_do_nothing(index_elements=["user_id", "achievement_id"])
            .returning(table.c.achievement_id))
    inserted = set(db.session.scalars(stmt, [{"user_id": user_id, "achievement_id": i, "unlocked_at": now,
                                              "pinned": False} for i in wanted]))
    return [i for i in wanted if i in inserted], have | inserted


def _award_once(user_id: int, awards: dict[str, tuple[str, int]], now: datetime) -> set[str]:
    """Insert one-time XP events that are not in the ledger yet; return the keys this call inserted."""
    have = set(db.session.scalars(select(XpEvent.key).where(XpEvent.user_id == user_id)))
    rows = [{"user_id": user_id, "key": key, "kind": kind, "amount_centi": amount, "created_at": now}
            for key, (kind, amount) in sorted(awards.items()) if key not in have]
    if not rows:
        return set()
    table = XpEvent.__table__
    stmt = _insert(table).on_conflict_do_nothing(index_elements=["user_id", "key"]).returning(table.c.key)
    return set(db.session.scalars(stmt, rows))


def _award_cumulative(user_id: int, awards: dict[str, tuple[str, int]], now: datetime) -> None:
    """Upsert XP that is a function of an all-time total; it only grows, like the totals."""
    rows = [{"user_id": user_id, "key": key, "kind": kind, "amount_centi": amount, "created_at": now}
            for key, (kind, amount) in sorted(awards.items()) if amount > 0]
    if not rows:
        return
    table = XpEvent.__table__
    _, greatest = _least_greatest()
    stmt = _insert(table)
    stmt = stmt.on_conflict_do_update(index_elements=["user_id", "key"], set_={
        "amount_centi": greatest(table.c.amount_centi, stmt.excluded.amount_centi)})
    db.session.execute(stmt, rows)


def _evaluate_locked(user_id: int, old_level: int, old_xp_centi: int, now: datetime) -> Outcome:
    snapshot = build_snapshot(user_id, now)
    unlocked, all_unlocked = _insert_unlocks(user_id, snapshot, now)
    once = {f"achievement:{i}": ("achievement", BY_ID[i].xp_reward * 100) for i in all_unlocked if i in BY_ID}
    once |= {f"streak:{days}": ("streak", rules.STREAK_MILESTONE_XP[days] * 100)
             for days in rules.streak_milestones(snapshot.longest_streak)}
    once |= {f"referral:{referred}": ("referral", rules.referral_xp_centi(depth))
             for referred, depth in snapshot.referral_tree}
    new_keys = _award_once(user_id, once, now)
    _award_cumulative(user_id, {
        "tokens": ("tokens", rules.tokens_xp_centi(snapshot.total_tokens)),
        "active-days": ("active_days", rules.active_days_xp_centi(snapshot.active_days)),
    }, now)
    xp_centi = int(db.session.scalar(select(func.coalesce(safe_sum(XpEvent.amount_centi), 0))
                                     .where(XpEvent.user_id == user_id)))
    level = rules.level_for_xp(xp_centi)
    users = User.__table__
    db.session.execute(users.update().where(users.c.id == user_id).values(
        xp_centi=xp_centi, level=level, current_streak=snapshot.current_streak,
        longest_streak=snapshot.longest_streak, last_active_day=snapshot.last_active_day))
    activities = record_unlocks(user_id, [BY_ID[i] for i in unlocked], now)
    milestones = [int(key.split(":")[1]) for key in new_keys if key.startswith("streak:")]
    if milestones:
        activities += record_streak_milestone(user_id, max(milestones), now)
    leveled_up = level > old_level
    if leveled_up:
        activities += record_level_up(user_id, level, rules.level_title(level), now)
    return Outcome(unlocked=unlocked, leveled_up=leveled_up, new_level=level if leveled_up else None,
                   activities=activities, xp_centi=xp_centi, xp_gained_centi=max(xp_centi - old_xp_centi, 0))


def change_and_evaluate(user_id: int, change: Callable[[], T] | None = None,
                        now: datetime | None = None) -> tuple[T | None, Outcome]:
    """Under the user's evaluation lock, apply `change` (if any), then evaluate; commit both or neither."""
    from burntop.gamification.showcase import forget_progress
    from burntop.stats.figures import forget_figures

    ensure_catalog()
    now = now or utcnow()
    try:
        old_level, old_xp_centi = _lock_user(user_id)
        result = change() if change else None
        outcome = _evaluate_locked(user_id, old_level, old_xp_centi, now)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    forget_progress(user_id)  # the achievements page shows what this evaluation saw
    forget_figures(user_id)  # streaks, level and unlocks in the profile and dashboard figures
    return result, outcome


def evaluate(user_id: int, now: datetime | None = None) -> Outcome:
    """Recompute a user's streaks, unlocks, XP and level; report what this call caused. Commits."""
    return change_and_evaluate(user_id, None, now)[1]


def evaluate_later(user_id: int) -> None:
    """Record, in the caller's transaction, that the user must be evaluated (burntop.pending)."""
    pending.record(KIND, user_id)


@pending.handler(KIND, key=int)
def evaluate_pending(user_id: int, now: datetime | None = None) -> Outcome:
    """Evaluate and clear the recorded evaluation in the same transaction. Commits."""
    if db.session.get(User, user_id) is None:  # deleted since
        pending.done(KIND, user_id)
        db.session.commit()
        return NOTHING
    return change_and_evaluate(user_id, lambda: pending.done(KIND, user_id), now)[1]


def evaluate_after_commit(user_id: int) -> Outcome:
    """Evaluate now, after the commit of what changed; if that fails, log it and let a job retry it.

    What was committed stays committed: the caller reports it, and the user's XP and unlocks follow
    when the job runs (within seconds, or when the sweeper finds it).
    """
    try:
        return evaluate_pending(user_id)
    except Exception:
        db.session.rollback()
        log.exception("evaluating user %s failed after a commit; a job will retry it", user_id)
    try:
        evaluate_later(user_id)
        unchanged = Outcome(unlocked=[], leveled_up=False, new_level=None, xp_centi=int(
            db.session.scalar(select(User.xp_centi).where(User.id == user_id)) or 0))
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not record the evaluation of user %s for a retry", user_id)
        return NOTHING
    pending.dispatch(KIND, user_id)
    return unchanged


@profile_changed.connect
def _evaluate_profile(sender, user_id: int, **_details) -> None:
    """Profile achievements (Full Profile, Open Book) unlock on the change."""
    evaluate_after_commit(user_id)


def record_login(user_id: int, now: datetime | None = None) -> LoginOutcome:
    """Count today's signed-in visit in the login streak (spec 001) and evaluate; badge_awarded is the
    login-streak achievement this visit unlocked, if any. Commits.

    Only the first visit of the user's day writes (and evaluates); later ones read the streak as it is.
    """
    now = now or utcnow()
    seen = db.session.get(User, user_id)
    if seen.last_login_day is not None and seen.last_login_day >= rules.local_today(seen.timezone, now):
        return LoginOutcome(streak=max(seen.login_streak or 0, 1), badge_awarded=None, outcome=NOTHING)

    def visit() -> int:
        user = db.session.get(User, user_id, populate_existing=True)
        today = rules.local_today(user.timezone, now)
        streak, _ = rules.next_login_streak(user.last_login_day, user.login_streak or 0, today)
        user.login_streak = streak
        user.last_login_day = max(filter(None, (user.last_login_day, today)))
        db.session.flush()
        return streak

    streak, outcome = change_and_evaluate(user_id, visit, now)
    badge = next((i for i in outcome.unlocked if i in LOGIN_BADGES.values()), None)
    return LoginOutcome(streak=streak, badge_awarded=badge, outcome=outcome)


def evaluate_referrers(referred_id: int, now: datetime | None = None) -> dict[int, Outcome]:
    """Evaluate the (up to three) people above a newly referred user, so their referral XP lands now."""
    outcomes: dict[int, Outcome] = {}
    current = referred_id
    for _ in range(rules.MAX_REFERRAL_DEPTH):
        referrer = db.session.scalar(select(Referral.referrer_id).where(Referral.referred_id == current))
        if referrer is None or referrer in outcomes or referrer == referred_id:
            break
        outcomes[referrer] = evaluate(referrer, now)
        current = referrer
    return outcomes


def xp_by_kind(user_id: int) -> dict[str, int]:
    """The user's XP ledger summed per kind (tokens, active_days, streak, achievement, referral), in hundredths."""
    rows = db.session.execute(select(XpEvent.kind, safe_sum(XpEvent.amount_centi)).where(XpEvent.user_id == user_id)
                              .group_by(XpEvent.kind)).all()
    return {kind: int(total) for kind, total in rows}
