"""The plausibility bounds as pure rules: honest heavy use passes, forged counts fail with the evidence."""
from __future__ import annotations

from burntop.integrity.bounds import (ANY_WINDOW, COST_CEILING_NANOS, RATE_TOKENS_PER_MACHINE_DAY, Finding, day_finding,
                                      describe, record_findings)
from burntop.pricing import default_table, provider_for


def rules(findings):
    return [f.rule for f in findings]


def test_honest_responses_at_the_edge_of_each_window_pass():
    # Claude Sonnet 4.5 with the 1M window nearly full of cache reads, and its 64k output.
    assert record_findings("anthropic", 12_000, 64_000, 38_000, 950_000) == []
    # GPT-5: 272k prompt, 128k output (reasoning included); GPT-4.1's full 1,047,576-token window.
    assert record_findings("openai", 22_000, 128_000, 0, 250_000) == []
    assert record_findings("openai", 47_576, 1_000, 0, 1_000_000) == []
    # Gemini 1.5 Pro's 2M window.
    assert record_findings("google", 97_152, 8_000, 0, 2_000_000) == []
    # A model of a vendor with no known window: bounded by the largest window sold (10M).
    assert record_findings("meta", 10_000_000, 4_000, 0, 0) == []


def test_vendor_comes_from_the_model_name():
    table = default_table()
    assert provider_for("claude-sonnet-4-5-20250929", table) == "anthropic"
    assert provider_for("gpt-5-codex", table) == "openai"
    assert provider_for("gemini-2.5-pro", table) == "google"


def test_absurd_tokens_per_response_are_flagged_with_by_how_much():
    found = record_findings("anthropic", 5_000_000, 1_000, 0, 0)
    assert found == [Finding("context_window", 5_000_000, 1_000_000)]
    assert describe(*vars(found[0]).values()) == "5M tokens in one response; the bound is 1M (5x)"
    assert rules(record_findings("anthropic", 1_000, 500_000, 0, 0)) == ["output_limit"]
    assert rules(record_findings("openai", 600_000, 200_000, 0, 600_000)) == ["context_window", "output_limit"]
    # The window counts every prompt token: fresh, written to and read from the cache.
    assert rules(record_findings("anthropic", 400_000, 10, 400_000, 400_000)) == ["context_window"]
    assert rules(record_findings("unknown", 9_000_000, 0, 0, 9_000_000)) == ["context_window"]
    assert ANY_WINDOW[0] < 18_000_000


def test_cost_above_the_ceiling_is_flagged():
    found = record_findings("openai", 7_000_000, 0, 0, 0, True, 1_050 * 10**9)
    assert Finding("cost_ceiling", 1_050 * 10**9, COST_CEILING_NANOS) in found
    assert describe("cost_ceiling", 1_050 * 10**9, COST_CEILING_NANOS) == \
        "$1,050.00 for one response; the ceiling is $1,000.00 (1.05x)"
    assert "cost_ceiling" not in rules(record_findings("openai", 1_000, 10, 0, 0, False))


def test_honest_heavy_days_pass_and_a_day_beyond_the_rate_is_flagged():
    # Agentic heavy use: 2,500 responses of ~160k mostly cached prompt tokens = 400M tokens in a day,
    # and 3 billion cache reads in a month are 100M a day: far under the rate.
    assert day_finding(2_500 * 160_000) is None
    assert day_finding(3_000_000_000 // 30) is None
    # Ten agents each reading a full 200k window every 35 seconds for 24 hours is still within it.
    assert day_finding(10 * 200_000 * (86_400 // 35)) is None
    assert day_finding(RATE_TOKENS_PER_MACHINE_DAY) is None
    assert day_finding(RATE_TOKENS_PER_MACHINE_DAY + 1) == Finding("machine_day_rate", RATE_TOKENS_PER_MACHINE_DAY + 1,
                                                                   RATE_TOKENS_PER_MACHINE_DAY)
    assert describe("machine_day_rate", 7_500_000_000, RATE_TOKENS_PER_MACHINE_DAY) == \
        "7.5B tokens in one local day on one machine; the bound is 5B (1.5x)"
