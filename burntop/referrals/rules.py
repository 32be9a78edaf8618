"""Referral graph rules: plain functions over a "who referred this person" lookup, no Flask or database.

Each person has at most one referrer (referrals.referred_id is unique), so the people above someone form a
single chain, their upline. A new referral must not close a loop in that graph.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

# "New account" for POST /api/referrals/track: signed up this recently and nothing synced yet, so a
# referral describes how someone arrived, not a link bought later by an established account.
NEW_ACCOUNT_WINDOW = timedelta(hours=24)

ReferrerOf = Callable[[int], "int | None"]


def upline(user_id: int, referrer_of: ReferrerOf, depth: int | None = None) -> list[int]:
    """The people above user_id, nearest first (referrer, their referrer, ...), at most `depth` of them;
    a loop already in the data ends the walk instead of repeating it."""
    chain: list[int] = []
    seen = {user_id}
    current: int | None = user_id
    while depth is None or len(chain) < depth:
        current = referrer_of(current)
        if current is None or current in seen:
            break
        chain.append(current)
        seen.add(current)
    return chain


def closes_loop(new_user_id: int, referrer_id: int, referrer_of: ReferrerOf) -> bool:
    """Whether "referrer_id referred new_user_id" makes a loop: the referrer is, at any depth, below the new user."""
    return new_user_id in upline(referrer_id, referrer_of)


def is_new_account(created_at: datetime, has_usage: bool, now: datetime) -> bool:
    """Whether an account may still say who referred it."""
    return not has_usage and now - created_at <= NEW_ACCOUNT_WINDOW


def conversion_rate(clicks: int, converted: int) -> float:
    """Converted clicks per click, 0..1 to four places; 0 without clicks."""
    return round(converted / clicks, 4) if clicks else 0.0
