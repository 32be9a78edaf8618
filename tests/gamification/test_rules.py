"""XP, levels, rank tiers and streaks at their edges."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from burntop.gamification import rules
from burntop.gamification.rules import (level_for_xp, level_info, level_threshold, local_today, next_login_streak,
                                        rank_info, usage_streaks)


def test_active_days_are_worth_5_xp_each():
    assert [rules.active_days_xp_centi(n) for n in (0, 1, 40)] == [0, 500, 20_000]


@pytest.mark.parametrize("longest,reached", [(0, []), (2, []), (3, [3]), (6, [3]), (7, [3, 7]),
                                             (364, [3, 7, 14, 30, 60, 100]), (365, [3, 7, 14, 30, 60, 100, 365])])
def test_streak_milestones(longest, reached):
    assert rules.streak_milestones(longest) == reached


def test_streak_milestones_pay_the_documented_xp():
    assert rules.STREAK_MILESTONE_XP == {3: 10, 7: 25, 14: 50, 30: 100, 60: 200, 100: 400, 365: 1000}


def test_referral_xp_is_exact_for_three_levels_and_zero_beyond():
    assert [rules.referral_xp_centi(d) for d in (1, 2, 3, 4, 0)] == [2500, 625, 250, 0, 0]
    assert [rules.xp_value(rules.referral_xp_centi(d)) for d in (1, 2, 3)] == [25, 6.25, 2.5]


def test_xp_value_is_whole_when_it_can_be():
    assert rules.xp_value(245_000) == 2450 and isinstance(rules.xp_value(245_000), int)
    assert rules.xp_value(3375) == 33.75


def test_level_thresholds_follow_the_documented_curve():
    assert [level_threshold(n) for n in range(1, 15)] == [
        0, 50, 150, 250, 350, 500, 700, 950, 1250, 1600, 2000, 2450, 2950, 3500]
    for level in range(4, 200):
        assert level_threshold(level + 1) - level_threshold(level) == 50 * (level - 2)
    with pytest.raises(ValueError):
        level_threshold(0)


@pytest.mark.parametrize("level", range(1, 400))
def test_level_changes_exactly_at_each_threshold(level):
    start = level_threshold(level) * 100
    assert level_for_xp(start) == level
    assert level_for_xp(level_threshold(level + 1) * 100 - 1) == level
    if level > 1:
        assert level_for_xp(start - 1) == level - 1


def test_spec_000_level_example_is_reproduced():
    assert level_info(245_000) == {"level": 12, "title": "AI Adept", "currentXp": 2450, "xpToNextLevel": 500,
                                   "totalXpForNextLevel": 2950, "progress": 0.83}


@pytest.mark.parametrize("xp_centi", [0, 1, 4_999, 5_000, 33_375, 245_000, 294_999, 1_000_000_00, 7_777_777_77])
def test_level_info_is_consistent(xp_centi):
    info = level_info(xp_centi)
    assert level_threshold(info["level"]) * 100 <= xp_centi < info["totalXpForNextLevel"] * 100
    assert info["totalXpForNextLevel"] == level_threshold(info["level"] + 1)
    assert round(info["currentXp"] + info["xpToNextLevel"], 2) == info["totalXpForNextLevel"]
    assert 0 <= info["progress"] < 1
    assert info["progress"] == int(xp_centi / info["totalXpForNextLevel"]) / 100


def test_negative_xp_is_level_one():
    assert level_info(-100)["level"] == 1 and level_info(-100)["currentXp"] == 0


@pytest.mark.parametrize("level,title", [(1, "Prompt Rookie"), (2, "Prompt Rookie"), (3, "Token Apprentice"),
                                         (11, "Context Crafter"), (12, "AI Adept"), (15, "AI Adept"),
                                         (16, "Model Whisperer"), (70, "Inference Overlord"), (500, "Burn Legend")])
def test_level_titles(level, title):
    assert rules.level_title(level) == title


@pytest.mark.parametrize("points_centi,level,title,next_level,progress", [
    (0, 1, "Newcomer", 100, 0),
    (9_999, 1, "Newcomer", 100, 99),
    (10_000, 2, "Beginner", 500, 20),
    (15_000, 2, "Beginner", 500, 30),  # spec 001's example: 150 points
    (49_999, 2, "Beginner", 500, 99),
    (50_000, 3, "Intermediate", 1_000, 50),
    (100_000, 4, "Advanced", 2_500, 40),
    (250_000, 5, "Expert", 5_000, 50),
    (500_000, 6, "Master", 10_000, 50),
    (999_999, 6, "Master", 10_000, 99),
    (1_000_000, 7, "Legend", 10_000, 100),
    (90_000_000, 7, "Legend", 10_000, 100),
])
def test_rank_tiers_of_spec_001(points_centi, level, title, next_level, progress):
    assert rank_info(points_centi) == {"level": level, "title": title, "nextLevel": next_level, "progress": progress}


D = date(2025, 6, 15)


def days_back(*offsets: int) -> list[date]:
    return [D - timedelta(days=n) for n in offsets]


@pytest.mark.parametrize("active,current,longest", [
    ([], 0, 0),
    (days_back(0), 1, 1),
    (days_back(1), 1, 1),                     # yesterday still counts: today is not over
    (days_back(2), 0, 1),                     # a whole day missed
    (days_back(0, 1, 2), 3, 3),
    (days_back(1, 2, 3, 5, 6, 7, 8), 3, 4),   # the longest run is an older one
    (days_back(2, 3, 4), 0, 3),
    (days_back(0, 0, 1), 2, 2),               # duplicates count once
    (days_back(-1, 0), 2, 2),                 # a record dated tomorrow by a fast clock
    ([D - timedelta(days=n) for n in range(1, 400)], 399, 399),
])
def test_usage_streaks(active, current, longest):
    streaks = usage_streaks(active, D)
    assert (streaks.current, streaks.longest) == (current, longest)
    assert streaks.last_active_day == (max(active) if active else None)


def test_streak_runs_through_a_leap_day():
    leap = [date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)]
    assert usage_streaks(leap, date(2024, 3, 1)) == rules.Streaks(3, 3, date(2024, 3, 1))
    assert usage_streaks([date(2023, 2, 28), date(2023, 3, 1)], date(2023, 3, 1)).current == 2


def test_streak_runs_through_dst_changes():
    spring = [date(2025, 3, 8), date(2025, 3, 9), date(2025, 3, 10)]  # US clocks go forward on 9 March
    autumn = [date(2025, 11, 1), date(2025, 11, 2), date(2025, 11, 3)]  # and back on 2 November
    assert usage_streaks(spring, date(2025, 3, 10)).current == 3
    assert usage_streaks(autumn, date(2025, 11, 4)).current == 3


@pytest.mark.parametrize("tz,utc,expected", [
    ("America/Los_Angeles", "2025-03-02T07:59:59", date(2025, 3, 1)),  # UTC-8: a second before midnight
    ("America/Los_Angeles", "2025-03-02T08:00:00", date(2025, 3, 2)),
    ("Etc/GMT+8", "2025-07-02T07:59:59", date(2025, 7, 1)),
    ("Etc/GMT+8", "2025-07-02T08:00:00", date(2025, 7, 2)),
    ("Pacific/Tongatapu", "2025-03-01T10:59:59", date(2025, 3, 1)),    # UTC+13
    ("Pacific/Tongatapu", "2025-03-01T11:00:00", date(2025, 3, 2)),
    ("America/New_York", "2025-03-09T04:59:59", date(2025, 3, 8)),     # DST starts at 02:00 local that day
    ("America/New_York", "2025-03-10T03:59:59", date(2025, 3, 9)),     # a 23-hour day: ends 04:00 UTC
    ("America/New_York", "2025-03-10T04:00:00", date(2025, 3, 10)),
    ("America/New_York", "2025-11-03T04:59:59", date(2025, 11, 2)),    # a 25-hour day: ends 05:00 UTC
    ("America/New_York", "2025-11-03T05:00:00", date(2025, 11, 3)),
    ("UTC", "2024-02-29T23:59:59", date(2024, 2, 29)),
    ("UTC", "2024-03-01T00:00:00", date(2024, 3, 1)),
])
def test_today_is_the_users_date(tz, utc, expected):
    assert local_today(tz, datetime.fromisoformat(utc).replace(tzinfo=timezone.utc)) == expected


@pytest.mark.parametrize("tz,utc,alive", [
    ("America/Los_Angeles", "2025-06-03T06:59:59", True),   # 23:59:59 on the 2nd: the 1st was yesterday
    ("America/Los_Angeles", "2025-06-03T07:00:00", False),  # 00:00 on the 3rd (PDT, UTC-7)
    ("Pacific/Tongatapu", "2025-06-02T10:59:59", True),      # UTC+13
    ("Pacific/Tongatapu", "2025-06-02T11:00:00", False),
])
def test_a_streak_dies_at_the_users_midnight(tz, utc, alive):
    today = local_today(tz, datetime.fromisoformat(utc).replace(tzinfo=timezone.utc))
    streaks = usage_streaks([date(2025, 5, 31), date(2025, 6, 1)], today)
    assert (streaks.current == 2) is alive
    assert rules.live_streak(2, date(2025, 6, 1), today) == (2 if alive else 0)


def test_live_streak_without_activity_is_zero():
    assert rules.live_streak(5, None, D) == 0


@pytest.mark.parametrize("last,streak,today,expected", [
    (None, 0, D, (1, None)),                          # first visit
    (D, 3, D, (3, None)),                             # again the same day
    (D - timedelta(days=1), 3, D, (4, None)),
    (D - timedelta(days=1), 6, D, (7, 7)),            # the 7-day badge is reached by this visit
    (D - timedelta(days=1), 7, D, (8, None)),
    (D - timedelta(days=1), 29, D, (30, 30)),
    (D - timedelta(days=2), 29, D, (1, None)),        # a missed day starts over
    (D + timedelta(days=1), 4, D, (4, None)),         # moved to a zone that is a day behind
    (D, 0, D, (1, None)),
])
def test_login_streak(last, streak, today, expected):
    assert next_login_streak(last, streak, today) == expected
