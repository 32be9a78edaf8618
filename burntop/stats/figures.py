"""A user's figures (profile stats, dashboard bodies, heatmap), memoized per user with burntop.cache.

Every cached figure of a user lives under the user's current *generation*: a random token kept in the
cache under `figures-gen:<user id>`. `forget_figures(user_id)` drops that token, so the next read makes
a new one and every figure of that user is computed afresh; the old entries are never read again and
expire on their own. It is THE one invalidation, called after:
- a sync commit that added records or sessions (burntop.sync.ingest),
- an evaluation (streaks, XP, level, unlocks: burntop.gamification.evaluate),
- a profile change, privacy or time-zone change included, and an account deletion (signals below),
- a recount of the user's days (burntop.sync.rebucket).
Each call also sends `figures_forgotten` (user_id=...), so copies kept elsewhere (burntop.badges.edge's
rendered badges) go with them.
So a sync shows at once in the user's numbers. Otherwise a figure is fresh for FIGURES_TTL seconds
(BURNTOP_FIGURES_TTL, default 300), then recomputed by one caller while others get the previous one.
Keys also carry the user's local date, so "this week" and the streak move on at local midnight.

Without Redis each process keeps its own copies (burntop.cache), so with several web processes and no
Redis another process may show a figure up to FIGURES_TTL old after a sync; with Redis all share one.
Cached values are shared: callers must not change them.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date

from blinker import Namespace
from flask import current_app
from sqlalchemy import func, select

from burntop import cache
from burntop.extensions import db
from burntop.accounts.profile import account_deleted, profile_changed
from burntop.integrity.review import day_reviewed
from burntop.models import User
from burntop.stats import dashboard, profiles, usage
from burntop.stats.periods import local_today, resolve

GENERATION_TTL = 86_400
figures_forgotten = Namespace().signal("figures-forgotten")
DASHBOARD = {"overview": dashboard.overview, "trends": dashboard.trends, "models": dashboard.models,
             "tools": dashboard.tools}


def _generation(user_id: int) -> str:
    return cache.cached(f"figures-gen:{user_id}", lambda: secrets.token_hex(8), GENERATION_TTL)


def cached(user: User, name: str, compute: Callable):
    """compute()'s JSON-able value for this user, memoized until forget_figures(user.id) or the TTL.
    `name` must say everything the value depends on besides the user and their local date."""
    key = f"figures:{user.id}:{_generation(user.id)}:{local_today(user.timezone).isoformat()}:{name}"
    return cache.cached(key, compute, current_app.config.get("FIGURES_TTL", 300))


def forget_figures(user_id: int) -> None:
    """Every cached figure of the user is stale from now on (see the module docstring for callers)."""
    cache.forget(f"figures-gen:{user_id}")
    cache.forget_here(f"figures:{user_id}:")  # this process's copies of the old generation
    figures_forgotten.send(None, user_id=user_id)


@profile_changed.connect
@account_deleted.connect
@day_reviewed.connect
def _profile_changed(sender, user_id: int, **_details) -> None:
    forget_figures(user_id)


def user_stats(user: User, public: bool = False) -> dict:
    """public=True: as anyone but the owner sees them (days under review left out)."""
    return cached(user, "stats:public" if public else "stats", lambda: profiles.user_stats(user, public))


def dashboard_body(user: User, name: str, period_name: str) -> dict:
    """The body of /api/dashboard/<name>?period=<period_name> (both already validated)."""
    compute = DASHBOARD[name]
    return cached(user, f"dashboard:{name}:{period_name}",
                  lambda: compute(user, resolve(period_name, user.timezone)))


def daily_tokens(user: User, start: date, end: date, public: bool = False) -> list[tuple[date, int]]:
    """usage.daily_tokens, memoized (the 365-day heatmap)."""
    pairs = cached(user, f"daily-tokens:{start.isoformat()}:{end.isoformat()}:{'public' if public else 'own'}",
                   lambda: [[day.isoformat(), tokens]
                            for day, tokens in usage.daily_tokens(user, start, end, public)])
    return [(date.fromisoformat(day), tokens) for day, tokens in pairs]


def summary(user: User, period_name: str, public: bool = False) -> dict:
    """usage.summary for a named period in the user's zone, memoized."""
    return cached(user, f"summary:{period_name}:{'public' if public else 'own'}",
                  lambda: usage.summary(user, resolve(period_name, user.timezone), public))


def breakdown(user: User, period_name: str, by: str, public: bool = False) -> list[dict]:
    """usage.breakdown for a named period in the user's zone, memoized."""
    return cached(user, f"breakdown:{by}:{period_name}:{'public' if public else 'own'}",
                  lambda: usage.breakdown(user, resolve(period_name, user.timezone), by, public=public))


def machines(user: User, period_name: str) -> dict:
    """burntop.stats.machines.machine_breakdown for a named period, memoized (a rename forgets it)."""
    from burntop.stats.machines import machine_breakdown

    return cached(user, f"machines:{period_name}",
                  lambda: machine_breakdown(user, resolve(period_name, user.timezone)))


def insights(user: User, period_name: str) -> dict:
    """burntop.stats.insights.insights_for, memoized per percentile snapshot: the key carries the period's
    snapshot time (one small indexed read), so a new snapshot shows at once."""
    from burntop.models import PercentileSnapshot
    from burntop.stats.insights import insights_for

    stamp = db.session.scalar(select(func.max(PercentileSnapshot.computed_at))
                              .where(PercentileSnapshot.period == period_name))
    return cached(user, f"insights:{period_name}:{stamp.isoformat() if stamp else 'none'}",
                  lambda: insights_for(user, period_name))
