"""Local stats aggregation: days in a time zone, weeks from Monday, cost modes, ccusage's JSON shape."""
from __future__ import annotations

from datetime import date, datetime

from burntop.client.collect import to_row
from burntop.client.records import Record
from burntop.client.stats import aggregate as aggregate_partials, partial_sums


def rec(rid, at, model="claude-sonnet-4-20250514", logged=None, session="s1", **tokens):
    values = {"input_tokens": 1000, "output_tokens": 100, "cache_creation_tokens": 0, "cache_read_tokens": 0}
    values.update(tokens)
    return Record(source="claude-code", request_id=rid, timestamp=datetime.fromisoformat(at), model=model,
                  logged_cost=logged, session_id=session, **values)


def rows(*records):
    return {"claude-code": [to_row(r) for r in records]}


def aggregate(rows_by_source, **options):
    return aggregate_partials(partial_sums(rows_by_source), **options)


def test_daily_json_matches_ccusage_shape_and_sums():
    report = aggregate(rows(rec("a", "2025-06-01T10:00:00+00:00"), rec("b", "2025-06-01T11:00:00+00:00"),
                            rec("c", "2025-06-02T10:00:00+00:00", model="gpt-5")), by="day")
    day = report["daily"][0]
    assert set(day) == {"date", "inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens",
                        "totalTokens", "totalCost", "modelsUsed", "modelBreakdowns"}
    assert (day["date"], day["inputTokens"], day["outputTokens"], day["totalTokens"]) == ("2025-06-01", 2000, 200, 2200)
    # Sonnet 4: 1000 x $3/M + 100 x $15/M = $0.0045 per record
    assert day["totalCost"] == 0.009
    assert day["modelBreakdowns"] == [{"modelName": "claude-sonnet-4-20250514", "inputTokens": 2000,
                                       "outputTokens": 200, "cacheCreationTokens": 0, "cacheReadTokens": 0,
                                       "cost": 0.009}]
    assert report["daily"][1]["modelsUsed"] == ["gpt-5"]
    assert report["totals"]["totalTokens"] == 3300 and report["totals"]["records"] == 3


def test_days_follow_the_requested_time_zone():
    r = rows(rec("a", "2025-03-02T07:30:00+00:00"))
    assert aggregate(r, tz="America/Los_Angeles")["daily"][0]["date"] == "2025-03-01"
    assert aggregate(r, tz="Pacific/Tongatapu")["daily"][0]["date"] == "2025-03-02"
    assert aggregate(r, tz="Asia/Kolkata")["daily"][0]["date"] == "2025-03-02"


def test_dst_change_day_is_counted_once_per_record():
    # Europe/Berlin springs forward on 2025-03-30 at 02:00 local.
    r = rows(*(rec(f"r{h}", f"2025-03-30T{h:02d}:30:00+00:00") for h in range(0, 22)))
    daily = aggregate(r, tz="Europe/Berlin")["daily"]
    assert [(d["date"], d["inputTokens"] // 1000) for d in daily] == [("2025-03-30", 22)]


def test_weeks_start_on_monday_and_months_group():
    r = rows(rec("a", "2025-06-01T12:00:00+00:00"), rec("b", "2025-06-02T12:00:00+00:00"))  # Sun, Mon
    assert [w["week"] for w in aggregate(r, by="week")["weekly"]] == ["2025-05-26", "2025-06-02"]
    assert [m["month"] for m in aggregate(r, by="month")["monthly"]] == ["2025-06"]


def test_since_and_until_are_inclusive_local_days():
    r = rows(*(rec(f"r{d}", f"2025-06-{d:02d}T12:00:00+00:00") for d in range(1, 6)))
    report = aggregate(r, since=date(2025, 6, 2), until=date(2025, 6, 4))
    assert [d["date"] for d in report["daily"]] == ["2025-06-02", "2025-06-03", "2025-06-04"]


def test_cost_modes():
    r = rows(rec("a", "2025-06-01T10:00:00+00:00", logged=1.25), rec("b", "2025-06-01T10:00:00+00:00"))
    assert aggregate(r, mode="auto")["totals"]["totalCost"] == 1.25 + 0.0045
    assert aggregate(r, mode="calculate")["totals"]["totalCost"] == 0.009
    assert aggregate(r, mode="display")["totals"]["totalCost"] == 1.25


def test_unknown_models_are_unpriced_not_guessed():
    report = aggregate(rows(rec("a", "2025-06-01T10:00:00+00:00", model="mystery-model")))
    assert report["totals"]["totalCost"] == 0 and report["totals"]["unpricedRecords"] == 1


def test_by_session_model_and_source():
    r = rows(rec("a", "2025-06-01T10:00:00+00:00", session="s1"), rec("b", "2025-06-01T12:00:00+00:00", session="s1"),
             rec("c", "2025-06-01T10:00:00+00:00", session="s2", model="gpt-5"))
    sessions = aggregate(r, by="session")["sessions"]
    assert [(s["sessionId"], s["inputTokens"]) for s in sessions] == [("s1", 2000), ("s2", 1000)]
    assert sessions[0]["firstActivity"].startswith("2025-06-01T10:00")
    assert [m["model"] for m in aggregate(r, by="model")["models"]] == ["claude-sonnet-4-20250514", "gpt-5"]
    assert aggregate(r, by="source")["sources"][0]["source"] == "claude-code"


def test_records_with_a_defaulted_model_are_counted():
    estimated = rec("a", "2025-06-01T10:00:00+00:00", model="gpt-5")
    estimated.model_estimated = True
    report = aggregate(rows(estimated, rec("b", "2025-06-01T10:00:00+00:00")))
    assert report["totals"]["estimatedModelRecords"] == 1
