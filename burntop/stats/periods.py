"""Periods a figure covers, as local days in the user's time zone.

Rollups are bucketed by the user's local day (burntop.sync), so a period is a range of local days:
- "all": every day the user has (no lower bound), up to today;
- "month": the calendar month that holds today, from its first day;
- "week": the ISO week that holds today, from its Monday;
- "7d" / "30d" / "90d": the last N local days, today included.
`today` is the user's local date now; tests pass it to pin a boundary.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

CALENDAR_PERIODS = ("all", "month", "week")
ROLLING_DAYS = {"7d": 7, "30d": 30, "90d": 90}
PERIODS = CALENDAR_PERIODS + tuple(ROLLING_DAYS)

LABELS = {"all": "All time", "month": "This month", "week": "This week",
          "7d": "Last 7 days", "30d": "Last 30 days", "90d": "Last 90 days"}


@dataclass(frozen=True)
class Period:
    name: str
    start: date | None  # None: no lower bound ("all")
    end: date           # inclusive: the user's today
    time_zone: str

    @property
    def label(self) -> str:
        return LABELS[self.name]

    def contains(self, day: date) -> bool:
        return (self.start is None or day >= self.start) and day <= self.end

    def days(self) -> int | None:
        return None if self.start is None else (self.end - self.start).days + 1

    def previous(self) -> "Period | None":
        """The whole period before this one: last calendar month, last ISO week, the N days before."""
        if self.start is None:
            return None
        if self.name == "month":
            end = self.start - timedelta(days=1)
            return Period("month", end.replace(day=1), end, self.time_zone)
        if self.name == "week":
            return Period("week", self.start - timedelta(days=7), self.start - timedelta(days=1), self.time_zone)
        length = (self.end - self.start).days + 1
        end = self.start - timedelta(days=1)
        return Period(self.name, end - timedelta(days=length - 1), end, self.time_zone)


def local_today(time_zone: str, now: datetime | None = None) -> date:
    now = now or datetime.now(timezone.utc)
    return now.astimezone(ZoneInfo(time_zone)).date()


def resolve(name: str, time_zone: str, today: date | None = None) -> Period:
    """The Period called `name` for someone in `time_zone`; ValueError for an unknown name."""
    if name not in PERIODS:
        raise ValueError(f"period must be one of: {', '.join(PERIODS)}")
    today = today or local_today(time_zone)
    if name == "all":
        return Period(name, None, today, time_zone)
    if name == "month":
        return Period(name, today.replace(day=1), today, time_zone)
    if name == "week":
        return Period(name, today - timedelta(days=today.weekday()), today, time_zone)
    return Period(name, today - timedelta(days=ROLLING_DAYS[name] - 1), today, time_zone)


def day_range(start: date, end: date) -> list[date]:
    """Every day from start to end inclusive, ascending (for zero-filled series)."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
