"""Leaderboard rules: scores and labels, minimum volumes, order, parameters, windows in several zones."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from burntop.leaderboard import rules


@pytest.mark.parametrize(("board_type", "score", "label"), [
    ("global", 1_500_000, "1.5M tokens"), ("global", 1, "1 token"), ("friends", 2_000, "2K tokens"),
    ("reasoning", 42_000, "42K reasoning tokens"), ("diverse", 1, "1 model"), ("diverse", 7, "7 models"),
    ("efficient", 920_000, "92% cache hits"), ("streak", 12, "12 days"), ("streak", 1, "1 day"),
    ("rising", 15_000, "+150% week over week"),
])
def test_score_labels_read_as_people_say_them(board_type, score, label):
    assert rules.score_label(board_type, score) == label


def test_api_scores_are_counts_or_ratios():
    assert rules.score_value("global", 1_500_000) == 1_500_000
    assert rules.score_value("efficient", 923_456) == 0.9235
    assert rules.score_value("rising", 15_000) == 1.5


def test_efficient_needs_a_million_prompt_tokens():
    assert rules.efficient_score(cache_read=10, prompt=10) is None, "one cached request cannot top the board"
    assert rules.efficient_score(cache_read=999_999, prompt=999_999) is None
    assert rules.efficient_score(cache_read=900_000, prompt=1_000_000) == 900_000
    assert rules.efficient_score(cache_read=0, prompt=5_000_000) == 0


def test_rising_needs_volume_in_the_week_before_and_a_gain():
    assert rules.rising_score(last=50_000_000, previous=0) is None, "a jump from zero is not a rise"
    assert rules.rising_score(last=50_000_000, previous=999_999) is None
    assert rules.rising_score(last=3_000_000, previous=1_000_000) == 20_000  # +200%
    assert rules.rising_score(last=1_000_000, previous=1_000_000) is None
    assert rules.rising_score(last=500_000, previous=2_000_000) is None


def test_order_is_score_then_tie_break_then_earlier_account():
    people = [(5, 100, 1, 9), (7, 100, 3, 4), (6, 100, 3, 2), (8, 200, 0, 1)]  # (id, score, tie-break, ...)
    ordered = sorted(people, key=lambda p: rules.sort_key(p[1], p[2], p[0]))
    assert [p[0] for p in ordered] == [8, 6, 7, 5]


@pytest.mark.parametrize(("args", "field"), [
    ({"board_type": "best"}, "type"), ({"period": "year"}, "period"), ({"period": "90d"}, "period"),
    ({"region": "EUROPE"}, "region"), ({"tool": "x", "region": "EU"}, "region"),
    ({"tool": "a", "model": "b"}, "model"), ({"tool": "x" * 65}, "tool"),
])
def test_bad_parameters_name_the_field(args, field):
    base = {"board_type": "global", "period": "all"} | args
    with pytest.raises(rules.BoardError) as error:
        rules.board_key(base.pop("board_type"), base.pop("period"), **base)
    assert error.value.field == field


def test_unknown_values_list_the_allowed_ones():
    with pytest.raises(rules.BoardError) as error:
        rules.board_key("best", "all")
    assert error.value.allowed == rules.TYPES and "global, diverse, efficient" in str(error.value)


def test_streak_and_rising_do_not_depend_on_the_period_and_friends_reads_global():
    assert rules.board_key("streak", "week") == rules.BoardKey("streak", "all")
    assert rules.board_key("rising", "month") == rules.BoardKey("rising", "7d")
    assert rules.board_key("friends", "week", region="EU") == rules.BoardKey("global", "week", "region", "EU")
    assert rules.board_key("", "") == rules.BoardKey("global", "all")


@pytest.mark.parametrize(("raw", "ok"), [(None, 1), ("", 1), ("1", 1), ("80000", 80000), ("0", None), ("-1", None),
                                         ("x", None), ("1.5", None)])
def test_cursor_is_a_rank(raw, ok):
    if ok is None:
        with pytest.raises(rules.BoardError):
            rules.parse_cursor(raw)
    else:
        assert rules.parse_cursor(raw) == ok


@pytest.mark.parametrize(("raw", "ok"), [(None, 100), ("1", 1), ("100", 100), ("101", None), ("0", None),
                                         ("ten", None)])
def test_limit_is_at_most_100(raw, ok):
    if ok is None:
        with pytest.raises(rules.BoardError):
            rules.parse_limit(raw)
    else:
        assert rules.parse_limit(raw) == ok


def test_a_week_starts_on_each_persons_own_monday():
    # Sunday 29 Nov 2026, 23:30 UTC: already Monday 30 Nov in Tokyo, still Sunday afternoon in Los Angeles.
    now = datetime(2026, 11, 29, 23, 30, tzinfo=timezone.utc)
    groups = rules.zone_days(["Asia/Tokyo", "America/Los_Angeles", "UTC", "Europe/Paris"], now)
    assert groups == {date(2026, 11, 30): ["Asia/Tokyo", "Europe/Paris"],
                      date(2026, 11, 29): ["America/Los_Angeles", "UTC"]}
    tokyo, los_angeles = rules.window(date(2026, 11, 30)), rules.window(date(2026, 11, 29))
    assert tokyo.starts["week"] == date(2026, 11, 30), "a new week in Tokyo"
    assert los_angeles.starts["week"] == date(2026, 11, 23), "the old week in Los Angeles"


def test_a_month_starts_on_each_persons_own_first_day():
    # 30 Nov 2026, 20:00 UTC: 1 December in Tokyo (05:00) and Auckland, 30 November in New York.
    now = datetime(2026, 11, 30, 20, 0, tzinfo=timezone.utc)
    groups = rules.zone_days(["Asia/Tokyo", "Pacific/Auckland", "America/New_York"], now)
    assert groups == {date(2026, 12, 1): ["Asia/Tokyo", "Pacific/Auckland"], date(2026, 11, 30): ["America/New_York"]}
    assert rules.window(date(2026, 12, 1)).starts["month"] == date(2026, 12, 1)
    assert rules.window(date(2026, 11, 30)).starts["month"] == date(2026, 11, 1)


def test_rolling_windows_and_the_rising_comparison():
    w = rules.window(date(2026, 3, 10))
    assert w.starts["7d"] == date(2026, 3, 4) and w.starts["30d"] == date(2026, 2, 9) and w.starts["all"] is None
    assert (w.previous_start, w.previous_end) == (date(2026, 2, 25), date(2026, 3, 3))
    assert w.yesterday == date(2026, 3, 9)


def test_an_unknown_zone_counts_in_utc():
    now = datetime(2026, 1, 1, 23, 0, tzinfo=timezone.utc)
    assert rules.local_today("Not/AZone", now) == date(2026, 1, 1)


def test_trend_marks():
    assert [rules.trend(3, 5), rules.trend(5, 3), rules.trend(4, 4), rules.trend(4, None)] == ["up", "down", "same",
                                                                                               "new"]


def test_top_tiers_are_entered_once_each():
    assert rules.tier_entered(50, None) == 100
    assert rules.tier_entered(50, 120) == 100
    assert rules.tier_entered(9, 50) == 10
    assert rules.tier_entered(9, 120) == 10
    assert rules.tier_entered(9, 8) is None and rules.tier_entered(50, 70) is None and rules.tier_entered(150, None) is None


def test_feed_periods():
    day = date(2026, 1, 1)  # ISO week 2026-W01
    assert rules.feed_instance("month", day) == rules.feed_instance("30d", day) == "2026-01"
    assert rules.feed_instance("week", day) == rules.feed_instance("7d", day) == "2026-W01"
    assert rules.feed_instance("all", day) == "all"
