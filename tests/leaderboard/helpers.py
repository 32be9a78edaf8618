"""Rollup rows written directly, with the days and sums a leaderboard test needs."""
from __future__ import annotations

from datetime import date, datetime, timezone

from burntop.extensions import db
from burntop.models import DailyRollup

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


def rollup(user, day: date, *, model: str = "claude-sonnet-4-20250514", source: str = "claude-code",
           input_tokens: int = 0, output_tokens: int = 0, cache_creation_tokens: int = 0, cache_read_tokens: int = 0,
           reasoning_tokens: int = 0, priced: bool = True, records: int = 1) -> None:
    db.session.add(DailyRollup(
        user_id=user.id, day=day, source=source, model=model, provider="anthropic", records=records,
        input_tokens=input_tokens, output_tokens=output_tokens, cache_creation_tokens=cache_creation_tokens,
        cache_read_tokens=cache_read_tokens, reasoning_tokens=reasoning_tokens, cost_nanos=0,
        unpriced_records=0 if priced else records, first_at=AT, last_at=AT))
    db.session.commit()
