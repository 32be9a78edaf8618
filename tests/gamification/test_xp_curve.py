"""Token XP: the per-day curve with diminishing returns, and README's worked examples computed from it."""
from __future__ import annotations

from pathlib import Path

import pytest

from burntop.gamification import rules
from burntop.gamification.rules import day_tokens_xp_centi, tokens_xp_centi, weighted_tokens_twentieths

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize("fresh,centi", [
    (0, 0), (1, 0), (99, 0), (100, 1), (10_000, 100),       # below the knee: 1 XP per 10,000 (floored hundredths)
    (19_999, 199), (20_000, 200), (20_001, 200),            # the knee: 2 XP
    (30_000, 300), (40_000, 400), (80_000, 600), (160_000, 800),  # +2 XP per doubling, linear in between
    (1_000_000, 1312), (500_000_000, 3105), (10_000_000_000, 3981),
    (-5, 0),
])
def test_a_days_fresh_tokens_earn_the_documented_curve(fresh, centi):
    assert day_tokens_xp_centi(fresh) == centi


def test_the_curve_is_logarithmic_beyond_the_knee():
    for doublings in range(0, 40):
        assert day_tokens_xp_centi(20_000 * 2 ** doublings) == 200 * (1 + doublings)
    # a hundred times the tokens is worth about 13 XP more a day, not a hundred times the XP
    assert day_tokens_xp_centi(100_000_000) - day_tokens_xp_centi(1_000_000) == 2644 - 1312


def test_the_curve_never_goes_down_and_flattens():
    points = [0, 1, 5_000, 19_999, 20_000, 20_001, 39_999, 40_000, 40_001, 10 ** 6, 10 ** 9, 10 ** 12, 10 ** 15]
    values = [day_tokens_xp_centi(n) for n in points]
    assert values == sorted(values)
    samples = range(0, 3_000_000, 997)
    assert all(day_tokens_xp_centi(a) <= day_tokens_xp_centi(b) for a, b in zip(samples, samples[1:]))
    # each doubling adds the same 2 XP, so the XP per token keeps falling
    assert day_tokens_xp_centi(2 * 10 ** 9) - day_tokens_xp_centi(10 ** 9) == 200


def test_cache_reads_weigh_a_tenth_and_cache_writes_a_quarter_more():
    assert weighted_tokens_twentieths(1, 0, 0) == 20
    assert weighted_tokens_twentieths(0, 4, 0) == 100       # 4 cache-write tokens weigh 5
    assert weighted_tokens_twentieths(0, 0, 10) == 20       # 10 cache-read tokens weigh 1
    assert day_tokens_xp_centi(0, 0, 200_000) == day_tokens_xp_centi(20_000) == 200
    assert day_tokens_xp_centi(0, 16_000, 0) == day_tokens_xp_centi(20_000)
    assert day_tokens_xp_centi(0, 0, 10_000_000) == day_tokens_xp_centi(1_000_000) == 1312
    # 500M tokens, mostly cache reads: weighted 73,750,000, 25.6 XP (all fresh it would be 31.05)
    assert weighted_tokens_twentieths(20_000_000, 5_000_000, 475_000_000) == 73_750_000 * 20
    assert day_tokens_xp_centi(20_000_000, 5_000_000, 475_000_000) == 2560
    # 10B cache reads weigh as 1B fresh tokens
    assert day_tokens_xp_centi(0, 0, 10_000_000_000) == day_tokens_xp_centi(1_000_000_000) == 3305


def test_each_day_counts_alone_and_the_sum_is_exact_in_hundredths():
    days = [(1_000_000, 0, 0), (0, 0, 0), (12_345, 678, 9_999_999), (7, 0, 3)]
    assert tokens_xp_centi(days) == sum(day_tokens_xp_centi(*d) for d in days) == 1312 + 0 + 1316 + 0
    assert tokens_xp_centi([]) == 0
    # splitting the same tokens over two days earns more than one big day: volume has diminishing returns
    assert tokens_xp_centi([(500_000, 0, 0)] * 2) == 2 * 1112 > tokens_xp_centi([(1_000_000, 0, 0)]) == 1312
    # a day's XP is of its total, not a sum over syncs: two syncs of 500,000 to one day earn 13.12, not 22.24
    assert day_tokens_xp_centi(500_000 + 500_000) == 1312
    # every figure is a whole number of hundredths: no float anywhere
    assert all(isinstance(day_tokens_xp_centi(n, n // 3, n * 7), int) for n in (1, 333, 10 ** 7, 10 ** 13))


# README "Gamification", "Token XP per local day": (daily use, fresh, cache writes, cache reads,
# weighted tokens, XP/day, then for 7, 30 and 365 days in a row: token XP, total XP, level), where total XP =
# token XP + 5 XP per active day + the streak milestones reached (achievements left out).
WORKED = [
    ("1M", 1_000_000, 0, 0, "1,000,000", "13.12",
     [(7, "91.84", "161.84", 3), (30, "393.6", "728.6", 7), (365, "4,788.8", "8,398.8", 20)]),
    ("50M", 4_000_000, 1_000_000, 45_000_000, "9,750,000", "19.8",
     [(7, "138.6", "208.6", 3), (30, "594", "929", 7), (365, "7,227", "10,837", 23)]),
    ("500M", 20_000_000, 5_000_000, 475_000_000, "73,750,000", "25.6",
     [(7, "179.2", "249.2", 3), (30, "768", "1,103", 8), (365, "9,344", "12,954", 25)]),
]


def _xp(centi: int) -> str:
    value = rules.xp_value(centi)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}".rstrip("0")


def _row(label, fresh, write, read) -> tuple:
    per_day = day_tokens_xp_centi(fresh, write, read)
    periods = []
    for days in (7, 30, 365):
        tokens = tokens_xp_centi([(fresh, write, read)] * days)
        streak = sum(rules.STREAK_MILESTONE_XP[m] for m in rules.streak_milestones(days)) * 100
        total = tokens + rules.active_days_xp_centi(days) + streak
        periods.append((days, _xp(tokens), _xp(total), rules.level_for_xp(total)))
    return label, fresh, write, read, f"{weighted_tokens_twentieths(fresh, write, read) // 20:,}", _xp(per_day), periods


@pytest.mark.parametrize("example", WORKED, ids=[w[0] for w in WORKED])
def test_the_worked_examples_come_from_the_code(example):
    assert _row(*example[:4]) == example


@pytest.mark.parametrize("example", WORKED, ids=[w[0] for w in WORKED])
def test_readme_shows_the_worked_examples(example):
    label, fresh, write, read, weighted, per_day, periods = example
    cells = [f"{label} ({fresh // 10 ** 6}M fresh" + (f", {write // 10 ** 6}M cache writes, {read // 10 ** 6}M cache reads)"
                                                      if read else ")"), weighted, per_day]
    cells += [f"{tokens} / {total} (level {level})" for _, tokens, total, level in periods]
    assert "| " + " | ".join(cells) + " |" in README.read_text()


def test_the_old_rule_would_have_made_the_500m_user_a_legend_on_day_one():
    # spec 001's top tier is 10,000 points; 1 XP per 10,000 raw tokens gave 50,000 XP for one such day
    assert 500_000_000 // 10_000 >= 10_000
    assert rules.rank_info(day_tokens_xp_centi(20_000_000, 5_000_000, 475_000_000))["title"] == "Newcomer"


def test_the_cache_weights_are_the_most_common_price_ratios_of_our_price_table():
    import json
    from collections import Counter
    from decimal import Decimal

    models = json.loads((README.parent / "burntop" / "pricing" / "prices.json").read_text())["models"]

    def most_common(field: str) -> Decimal:
        ratios = Counter(Decimal(m[field]) / Decimal(m["input"]) for m in models.values()
                         if m.get(field) and m.get("input") and Decimal(m["input"]) > 0)
        return ratios.most_common(1)[0][0]

    assert most_common("cacheRead") == Decimal(rules.CACHE_READ_WEIGHT) / rules.WEIGHT_SCALE == Decimal("0.1")
    assert most_common("cacheWrite") == Decimal(rules.CACHE_WRITE_WEIGHT) / rules.WEIGHT_SCALE == Decimal("1.25")
