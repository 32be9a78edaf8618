"""Daily rollup rows written straight into the table the views read (for populations of many users)."""
from __future__ import annotations

from datetime import date, datetime, time, timezone

from burntop.extensions import db
from burntop.models import DailyRollup


def rollup(user, day: date, model: str = "claude-sonnet-4-20250514", *, input_tokens: int = 0,
           output_tokens: int = 0, cache_creation_tokens: int = 0, cache_read_tokens: int = 0,
           records: int = 1, unpriced_records: int = 0, source: str = "claude-code") -> DailyRollup:
    at = datetime.combine(day, time(12), tzinfo=timezone.utc)
    row = DailyRollup(user_id=user.id, day=day, source=source, model=model, provider="anthropic", records=records,
                      input_tokens=input_tokens, output_tokens=output_tokens,
                      cache_creation_tokens=cache_creation_tokens, cache_read_tokens=cache_read_tokens,
                      unpriced_records=unpriced_records, cost_nanos=0, first_at=at, last_at=at)
    db.session.add(row)
    return row
