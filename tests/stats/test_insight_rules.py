"""Each insight and recommendation rule: a case where it fires with the user's actual figures, and one
where it must not."""
from __future__ import annotations

import pytest

from burntop.stats import insight_rules as rules
from burntop.stats.insight_rules import Figures, Rank


def figures(**fields) -> Figures:
    base = dict(period="week", time_zone="Europe/Paris", days=3, input_tokens=1000, output_tokens=0,
                cache_creation_tokens=0, cache_read_tokens=0, active_days=2,
                priced_models=("claude-sonnet-4-20250514",))
    base.update(fields)
    return Figures(**base)


def rank(below=0.5, above=0.4, population=20, mean=1000.0) -> Rank:
    return Rank(below=below, above=above, population=population, mean=mean)


def test_at_least_rounds_down():
    assert rules.at_least(0.8999) == "89%"
    assert rules.at_least(0.9) == "90%"
    assert rules.at_least(0.07) == "7%"  # floating point: 0.07 * 100 is 7.000000000000001


def test_no_usage():
    assert rules.no_usage(figures(input_tokens=0, active_days=0)) == {
        "type": "productivity", "title": "No Usage Yet",
        "message": "burntop has no usage from you this week (days in Europe/Paris).", "sentiment": "neutral"}
    assert rules.no_usage(figures(period="all", input_tokens=0))["message"] == \
        "burntop has no usage from you yet (days in Europe/Paris)."
    assert rules.no_usage(figures()) is None


@pytest.mark.parametrize("tokens, title, message", [
    (3_250_000, "Far Above Average Token Usage",
     "You used 3.2 times the average this week: 3.2M tokens against an average of 1M among 20 public users "
     "active this week."),
    (1_500_000, "Above Average Token Usage",
     "You used 50% more tokens than the average this week: 1.5M tokens against an average of 1M among 20 "
     "public users active this week."),
    (250_000, "Below Average Token Usage",
     "You used 75% fewer tokens than the average this week: 250K tokens against an average of 1M among 20 "
     "public users active this week."),
    (1_050_000, "Average Token Usage",
     "You used about the average number of tokens this week: 1M tokens against an average of 1M among 20 "
     "public users active this week."),
])
def test_token_comparison(tokens, title, message):
    found = rules.token_comparison(figures(input_tokens=tokens, ranks={"tokens": rank(mean=1_000_000)}))
    assert (found["type"], found["title"], found["message"], found["sentiment"]) == ("comparison", title, message,
                                                                                     "neutral")


def test_token_comparison_needs_a_benchmark_and_usage():
    assert rules.token_comparison(figures()) is None
    assert rules.token_comparison(figures(input_tokens=0, ranks={"tokens": rank()})) is None
    assert rules.token_comparison(figures(ranks={"tokens": rank(mean=0)})) is None


def test_token_rank():
    found = rules.token_rank(figures(input_tokens=2_000_000, ranks={"tokens": rank(below=0.937)}))
    assert found["title"] == "Heavy User"
    assert found["message"] == "You used more tokens this week (2M tokens) than 93% of public users active this week."
    assert rules.token_rank(figures(ranks={"tokens": rank(below=0.8)}))["title"] == "Top Quarter Usage"
    assert rules.token_rank(figures(ranks={"tokens": rank(below=0.74)})) is None
    assert rules.token_rank(figures()) is None


def test_cache_champion():
    f = figures(input_tokens=100, cache_read_tokens=900, period="month", ranks={"cacheEfficiency": rank(below=0.95)})
    assert rules.cache_champion(f) == {
        "type": "efficiency", "title": "Cache Efficiency Champion", "sentiment": "positive",
        "message": "Your cache efficiency this month, 90%, is higher than that of 95% of public users active this month."}
    assert rules.cache_champion(figures(ranks={"cacheEfficiency": rank(below=0.89)})) is None
    assert rules.cache_champion(figures(input_tokens=0, output_tokens=5, ranks={"cacheEfficiency": rank(below=1)})) \
        is None


def test_cache_low():
    f = figures(input_tokens=900, cache_read_tokens=100, period="all", ranks={"cacheEfficiency": rank(above=0.81)})
    assert rules.cache_low(f) == {
        "type": "efficiency", "title": "Low Cache Efficiency", "sentiment": "negative",
        "message": "Your cache efficiency overall is 10%; 81% of public burntop users had a higher one."}
    assert rules.cache_low(figures(ranks={"cacheEfficiency": rank(above=0.7)})) is None
    assert rules.cache_low(figures()) is None


def test_streak_rank():
    f = figures(current_streak=12, ranks={"streak": rank(below=0.8)})
    assert rules.streak_rank(f)["message"] == \
        "Your 12-day streak is longer than the current streak of 80% of public users active this week."
    assert rules.streak_rank(figures(current_streak=1, ranks={"streak": rank(below=0.99)})) is None
    assert rules.streak_rank(figures(current_streak=12, ranks={"streak": rank(below=0.7)})) is None


def test_streak_record():
    assert rules.streak_record(figures(current_streak=9, longest_streak=9))["message"] == \
        "Your current streak of 9 days is your longest ever."
    assert rules.streak_record(figures(current_streak=8, longest_streak=9)) is None
    assert rules.streak_record(figures(current_streak=2, longest_streak=2)) is None


def test_diversity_rank():
    f = figures(priced_models=("a", "b", "c"), ranks={"diversity": rank(below=0.9)})
    assert rules.diversity_rank(f)["message"] == \
        "You used 3 models this week, more than 90% of public users active this week."
    assert rules.diversity_rank(figures(ranks={"diversity": rank(below=0.9)})) is None  # one model
    assert rules.diversity_rank(figures(priced_models=("a", "b"), ranks={"diversity": rank(below=0.5)})) is None


def test_active_days():
    assert rules.active_days(figures(active_days=2, days=3)) == {
        "type": "productivity", "title": "Active Days", "sentiment": "neutral",
        "message": "You used AI coding tools on 2 of the 3 days this week so far (Europe/Paris)."}
    assert rules.active_days(figures(active_days=3, days=3))["sentiment"] == "positive"
    assert rules.active_days(figures(period="all", days=None)) is None
    assert rules.active_days(figures(active_days=0, input_tokens=0)) is None


def test_peak_time():
    f = figures(period="all", days=None, peak=(1, 14, 250_000), all_time_tokens=1_000_000)
    assert rules.peak_time(f)["message"] == \
        "Your busiest hour of the week is Tuesdays at 2 PM (Europe/Paris): 250K tokens, 25.0% of all your tokens."
    assert "Sundays at 12 AM" in rules.peak_time(figures(period="all", peak=(6, 0, 5), all_time_tokens=5))["message"]
    assert rules.peak_time(figures(peak=(1, 14, 5), all_time_tokens=5)) is None  # hours are all-time only
    assert rules.peak_time(figures(period="all")) is None


def test_sync_usage():
    assert rules.sync_usage(figures(input_tokens=0))["message"] == "There is no usage from you this week."
    assert rules.sync_usage(figures(input_tokens=0, period="all"))["message"] == "There is no usage from you yet."
    assert rules.sync_usage(figures()) is None


def test_streak_in_reach():
    assert rules.streak_in_reach(figures(current_streak=9, longest_streak=12)) == {
        "title": "Improve Streak", "action": "Keep syncing daily!",
        "message": "You're 3 days away from your longest streak record (12 days); your current one is 9 days."}
    assert "1 day away" in rules.streak_in_reach(figures(current_streak=1, longest_streak=2))["message"]
    assert rules.streak_in_reach(figures(current_streak=12, longest_streak=12)) is None
    assert rules.streak_in_reach(figures(current_streak=0, longest_streak=12)) is None


def test_start_streak():
    assert rules.start_streak(figures(current_streak=0, longest_streak=4))["message"] == \
        "You have no current streak; your longest was 4 days."
    assert rules.start_streak(figures(current_streak=1, longest_streak=4)) is None
    assert rules.start_streak(figures(current_streak=0, longest_streak=0)) is None


def test_improve_cache():
    f = figures(input_tokens=800_000, cache_read_tokens=200_000)
    assert rules.improve_cache(f)["message"] == \
        "20% of your prompt tokens this week were read from cache (200K of 1M)."
    assert rules.improve_cache(figures(input_tokens=400_000, cache_read_tokens=600_000)) is None
    assert rules.improve_cache(figures(input_tokens=50_000)) is None  # too little to judge


def test_try_models():
    assert rules.try_models(figures())["message"] == \
        "All your priced usage this week was on one model: claude-sonnet-4-20250514."
    assert rules.try_models(figures(priced_models=("a", "b"))) is None
    assert rules.try_models(figures(priced_models=())) is None


def test_the_lists_keep_rule_order_and_skip_what_does_not_fire():
    f = figures(current_streak=9, longest_streak=12)
    assert [i["title"] for i in rules.insights(f)] == ["Active Days"]
    assert [r["title"] for r in rules.recommendations(f)] == ["Improve Streak", "Try Another Model"]
