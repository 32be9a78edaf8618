"""The landing page's global totals and showcase, served from burntop.cache.

Each is fresh for GLOBAL_TOTALS_TTL seconds; after that one request (or the worker's periodic refresh)
computes the next value while every other request keeps the previous one, so neither the number of users
nor the rate of syncs changes what a visit costs. Syncs never throw the value away; only a change that
must show at once (a profile going private, an account deleted) drops the showcase.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from burntop import cache
from burntop.database import safe_sum
from burntop.extensions import db
from burntop.integrity.exclude import trusted
from burntop.models import DailyRollup, User
from burntop.models.types import utcnow


def compute_global_totals() -> dict:
    """Sum every trusted rollup (days under review are left out): tokens, cost, responses, developers and tools tracked."""
    r = DailyRollup
    row = db.session.execute(select(
        func.coalesce(safe_sum(r.input_tokens + r.output_tokens + r.cache_creation_tokens + r.cache_read_tokens), 0),
        func.coalesce(safe_sum(r.cost_nanos), 0),
        func.coalesce(safe_sum(r.records), 0),
        func.count(func.distinct(r.user_id)),
        func.count(func.distinct(r.source)),
        func.count(func.distinct(r.model)),
    ).where(trusted(r.user_id, r.day))).one()
    users = db.session.scalar(select(func.count()).select_from(User))
    return {
        "totalTokens": int(row[0]), "totalCost": round(int(row[1]) / 1e9, 2), "responses": int(row[2]),
        "activeUsers": int(row[3]), "tools": int(row[4]), "models": int(row[5]), "users": int(users),
    }


def _ttl() -> int:
    return current_app.config["GLOBAL_TOTALS_TTL"]


def global_totals() -> dict:
    return cache.cached("global-totals", compute_global_totals, _ttl())


def landing_showcase() -> dict | None:
    from burntop.stats.showcase import top_public_this_week

    return cache.cached("landing-showcase", lambda: top_public_this_week(utcnow().date()), _ttl())


def refresh_global_totals() -> dict:
    """Recompute the global totals now, whatever their age (the worker's periodic job)."""
    value = compute_global_totals()
    cache.store("global-totals", value, _ttl())
    return value


def forget_landing_showcase() -> None:
    """A profile that went private (or away) must leave the landing showcase at once."""
    cache.forget("landing-showcase")


def refresh_landing() -> None:
    """After a bulk change (demo data seeded or cleared): recount now, rebuild the showcase on the next visit."""
    refresh_global_totals()
    forget_landing_showcase()
