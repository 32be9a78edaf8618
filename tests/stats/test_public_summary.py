"""Spec 002's summary as a pure function of rollup and session rows, and its `fields` filter."""
from datetime import date, datetime, timedelta, timezone

import pytest

from burntop.stats.periods import day_range
from burntop.stats.public_summary import (ApplicationRow, RollupRow, SessionDay, is_known, parse_fields,
                                          select_fields, summary)

NOW = datetime(2026, 1, 8, 17, 25, 24, 987654, tzinfo=timezone.utc)
DAYS = day_range(date(2026, 1, 2), date(2026, 1, 8))


def row(day, model="gpt-4", provider="openai", records=1, input_tokens=0, output_tokens=0, cache_creation=0,
        cache_read=0, **optional):
    return RollupRow(day, model, provider, records, input_tokens, output_tokens, cache_creation, cache_read, **optional)


def build(rows=(), sessions=(), applications=(), days=DAYS):
    return summary("x", days, rows, applications, sessions, NOW)


def test_totals_maps_and_rates():
    rows = [
        row(date(2026, 1, 2), records=7, input_tokens=4000, output_tokens=2000, cache_creation=100, cache_read=431,
            latency_ms_sum=7000, latency_count=5, success_count=6, outcome_count=7),
        row(date(2026, 1, 5), "claude-3-opus", "anthropic", records=4, input_tokens=2001, output_tokens=919,
            latency_ms_sum=3001, latency_count=2, success_count=3, outcome_count=4),
    ]
    applications = [ApplicationRow("codex", "gpt-4", "openai", 7), ApplicationRow("claude-code", "claude-3-opus",
                                                                                "anthropic", 3),
                    ApplicationRow("codex", "claude-3-opus", "anthropic", 1)]
    stats = build(rows, applications=applications)["stats"]
    assert stats["total_events"] == 11
    assert stats["input_tokens"] == 4000 + 100 + 431 + 2000 + 1  # every prompt token, cached ones too
    assert stats["output_tokens"] == 2919
    assert stats["total_tokens"] == stats["input_tokens"] + stats["output_tokens"] == 9451
    assert stats["avg_latency_ms"] == 1429  # 10,001 ms over 7 records that reported one, half up
    assert stats["success_rate"] == 81.8  # 9 of 11 outcomes
    assert stats["cache_efficiency"] == 6.6  # 431 of 6,532 prompt tokens
    assert stats["events_by_model"] == {"gpt-4": 7, "claude-3-opus": 4}
    assert stats["tokens_by_model"] == {"gpt-4": 6531, "claude-3-opus": 2920}
    assert list(stats["tokens_by_model"]) == ["gpt-4", "claude-3-opus"]
    assert stats["events_by_provider"] == {"openai": 7, "anthropic": 4}
    assert stats["events_by_application"] == {"codex": 8, "claude-code": 3}


def test_maps_are_ordered_largest_first_then_by_name():
    rows = [row(date(2026, 1, 3), "b-model", records=2, input_tokens=5),
            row(date(2026, 1, 3), "a-model", records=2, input_tokens=5),
            row(date(2026, 1, 3), "c-model", records=9, input_tokens=1)]
    stats = build(rows)["stats"]
    assert list(stats["events_by_model"]) == ["c-model", "a-model", "b-model"]
    assert list(stats["tokens_by_model"]) == ["a-model", "b-model", "c-model"]
    assert [list(day["tokens_by_model"]) for day in stats["time_series"]] == [["a-model", "b-model", "c-model"]] * 7


def test_every_day_holds_every_model_of_the_period():
    rows = [row(date(2026, 1, 2), "gpt-4", input_tokens=1390),
            row(date(2026, 1, 8), "claude-3-opus", "anthropic", input_tokens=20, cache_read=5)]
    series = build(rows, [SessionDay(date(2026, 1, 2), 2)])["stats"]["time_series"]
    assert [d["date"] for d in series] == [d.isoformat() for d in DAYS]
    assert series[0] == {"date": "2026-01-02", "tokens": 1390,
                         "tokens_by_model": {"gpt-4": 1390, "claude-3-opus": 0}, "coding_sessions": 2}
    assert series[3] == {"date": "2026-01-05", "tokens": 0, "tokens_by_model": {"gpt-4": 0, "claude-3-opus": 0},
                         "coding_sessions": 0}
    assert series[6]["tokens"] == 25 and series[6]["tokens_by_model"] == {"gpt-4": 0, "claude-3-opus": 25}


@pytest.mark.parametrize("model, provider", [
    ("unknown", "openai"), ("gpt-4", "unknown"), ("Unknown", "openai"), ("gpt-4", None), (None, "openai"),
    ("", "openai"), ("gpt-4", " "), ("null", "openai"),
])
def test_unknown_or_null_models_and_providers_are_left_out(model, provider):
    rows = [row(date(2026, 1, 3), "claude-3-opus", "anthropic", input_tokens=10),
            row(date(2026, 1, 3), model, provider, records=5, input_tokens=1000, latency_ms_sum=9, latency_count=1)]
    applications = [ApplicationRow("claude-code", "claude-3-opus", "anthropic", 1),
                    ApplicationRow("claude-code", model, provider, 5), ApplicationRow("aider", model, provider, 5)]
    stats = build(rows, applications=applications)["stats"]
    assert stats["total_events"] == 1 and stats["total_tokens"] == 10 and stats["avg_latency_ms"] is None
    assert stats["events_by_model"] == {"claude-3-opus": 1} and stats["events_by_provider"] == {"anthropic": 1}
    assert stats["events_by_application"] == {"claude-code": 1}
    assert stats["time_series"][1]["tokens_by_model"] == {"claude-3-opus": 10}


def test_known_values():
    assert is_known("gpt-4") and is_known("unknown-ish")
    assert not any(is_known(v) for v in (None, "", "  ", "unknown", "UNKNOWN", "null"))


def test_sessions_commits_active_time_and_lines():
    sessions = [SessionDay(date(2026, 1, 2), 3, commits=4, active_seconds=3600, lines_of_code=120),
                SessionDay(date(2026, 1, 8), 5, commits=8, active_seconds=10923, lines_of_code=727)]
    stats = build(sessions=sessions)["stats"]
    assert (stats["sessions_count"], stats["weekly_avg_sessions"]) == (8, 8)
    assert (stats["total_commits"], stats["total_active_time_seconds"], stats["total_lines_of_code"]) == (12, 14523, 847)
    assert [d["coding_sessions"] for d in stats["time_series"]] == [3, 0, 0, 0, 0, 0, 5]


@pytest.mark.parametrize("days, sessions, weekly", [(30, 13, 3), (30, 2, 0), (30, 15, 4), (90, 0, 0), (90, 45, 4)])
def test_weekly_average_is_per_seven_days_rounded_half_up(days, sessions, weekly):
    period = day_range(date(2026, 1, 1), date(2026, 1, 1) + timedelta(days=days - 1))
    assert len(period) == days
    stats = build(sessions=[SessionDay(date(2026, 1, 1), sessions)], days=period)["stats"]
    assert stats["weekly_avg_sessions"] == weekly  # 13*7/30 = 3.03, 2*7/30 = 0.47, 15*7/30 = 3.5, 45*7/90 = 3.5


def test_an_empty_period_is_zeros_and_unknown_rates():
    document = summary("Quiet", DAYS, [], [], [], NOW)
    stats = document["stats"]
    assert document["name"] == "Quiet" and document["generated_at"] == "2026-01-08T17:25:24Z"
    assert stats["total_tokens"] == stats["total_events"] == stats["sessions_count"] == 0
    assert stats["cache_efficiency"] == 0.0
    assert stats["avg_latency_ms"] is None and stats["success_rate"] is None
    assert stats["tokens_by_model"] == {} and all(d["tokens_by_model"] == {} for d in stats["time_series"])


def test_rows_outside_the_days_are_ignored():
    rows = [row(date(2026, 1, 1), input_tokens=99), row(date(2026, 1, 9), input_tokens=99)]
    stats = build(rows, [SessionDay(date(2026, 1, 1), 4)])["stats"]
    assert stats["total_tokens"] == 0 and stats["sessions_count"] == 0 and stats["tokens_by_model"] == {}


# ---- fields

DOC = {"name": "A", "stats": {"total_events": 1, "total_tokens": 2, "tokens_by_model": {"gpt-4": 2, "o3": 0},
                              "time_series": [{"date": "d1", "tokens": 2}, {"date": "d2", "tokens": 0}]},
       "generated_at": "t"}


@pytest.mark.parametrize("fields, expected", [
    (None, DOC),
    ("", DOC),
    (" , ", DOC),
    ("name,stats.total_events,stats.total_tokens", {"name": "A", "stats": {"total_events": 1, "total_tokens": 2}}),
    ("stats.total_tokens,name", {"name": "A", "stats": {"total_tokens": 2}}),  # the document's order
    (" name , stats.total_tokens ", {"name": "A", "stats": {"total_tokens": 2}}),
    ("stats.time_series", {"stats": {"time_series": DOC["stats"]["time_series"]}}),
    ("stats", {"stats": DOC["stats"]}),
    ("stats.total_tokens,stats", {"stats": DOC["stats"]}),
    ("stats,stats.total_tokens", {"stats": DOC["stats"]}),
    ("stats.time_series.date", {"stats": {"time_series": [{"date": "d1"}, {"date": "d2"}]}}),
    ("stats.tokens_by_model.o3", {"stats": {"tokens_by_model": {"o3": 0}}}),
    ("generated_at", {"generated_at": "t"}),
    ("nope", {}),
    ("name,nope,stats.nope", {"name": "A"}),
    ("name.first", {}),
    ("stats..total_tokens,.name,name.", {}),
    ("stats.time_series.nope", {}),
])
def test_fields(fields, expected):
    assert select_fields(DOC, parse_fields(fields)) == expected


def test_fields_keep_the_document_key_order():
    picked = select_fields(DOC, parse_fields("generated_at,stats.total_tokens,name"))
    assert list(picked) == ["name", "stats", "generated_at"]
