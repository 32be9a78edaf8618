"""Periods are local days in the user's zone: Monday weeks, calendar months, rolling N days."""
from datetime import date, datetime, timezone

import pytest

from burntop.stats.periods import day_range, local_today, resolve


def test_week_starts_on_monday_and_month_on_the_first():
    sunday = date(2026, 11, 29)
    assert resolve("week", "UTC", sunday).start == date(2026, 11, 23)
    assert resolve("week", "UTC", date(2026, 11, 23)).start == date(2026, 11, 23)
    assert resolve("month", "UTC", sunday).start == date(2026, 11, 1)
    assert resolve("all", "UTC", sunday).start is None


def test_rolling_windows_include_today():
    p = resolve("7d", "UTC", date(2026, 3, 1))
    assert (p.start, p.end, p.days()) == (date(2026, 2, 23), date(2026, 3, 1), 7)


def test_previous_month_and_week():
    m = resolve("month", "UTC", date(2026, 3, 15)).previous()
    assert (m.start, m.end) == (date(2026, 2, 1), date(2026, 2, 28))
    w = resolve("week", "UTC", date(2026, 3, 4)).previous()  # a Wednesday
    assert (w.start, w.end) == (date(2026, 2, 23), date(2026, 3, 1))
    assert resolve("all", "UTC", date(2026, 3, 4)).previous() is None


def test_today_is_local():
    now = datetime(2026, 1, 1, 9, 30, tzinfo=timezone.utc)
    assert local_today("Pacific/Kiritimati", now) == date(2026, 1, 1)  # UTC+14
    assert local_today("America/Los_Angeles", now) == date(2026, 1, 1)
    assert local_today("Pacific/Pago_Pago", datetime(2026, 1, 1, 5, tzinfo=timezone.utc)) == date(2025, 12, 31)


def test_unknown_period_names_the_allowed_values():
    with pytest.raises(ValueError, match="all, month, week, 7d, 30d, 90d"):
        resolve("year", "UTC")


def test_day_range_is_inclusive_and_ascending():
    assert day_range(date(2026, 3, 28), date(2026, 3, 30)) == [date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30)]
