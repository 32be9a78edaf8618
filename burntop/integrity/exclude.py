"""THE one condition that keeps untrusted user-days off public surfaces.

A (user, day) is untrusted while review_days holds it as `pending` (under review) or `confirmed` (an admin
judged it implausible); `cleared` days and days never flagged are trusted. Every public figure that reads
daily_rollups (or any table with a user id and a local day) adds the condition to its WHERE clause:

    from burntop.integrity.exclude import trusted
    select(...).where(DailyRollup.user_id == ..., trusted(DailyRollup.user_id, DailyRollup.day))

and a query written as text uses trusted_sql("r.user_id", "r.day") in its WHERE clause. The owner's
own (private) figures never apply it: they include everything.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, exists

from burntop.models import ReviewDay

CLEARED = "cleared"


def trusted(user_id_column, day_column) -> ColumnElement[bool]:
    """SQL condition: this row's (user, day) is not under review nor confirmed implausible (an anti-join on
    review_days' primary key, so it costs one index probe per row and nothing when the table is empty)."""
    rv = ReviewDay
    return ~exists().where(rv.user_id == user_id_column, rv.day == day_column, rv.status != CLEARED)


def trusted_sql(user_id_expression: str, day_expression: str) -> str:
    """The same condition for a query written as SQL text (the expressions are column references, never input)."""
    return (f"NOT EXISTS (SELECT 1 FROM review_days rv WHERE rv.user_id = {user_id_expression} "
            f"AND rv.day = {day_expression} AND rv.status <> '{CLEARED}')")
