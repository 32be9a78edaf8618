"""Continue: dev_data/<schema>/tokensGenerated.jsonl."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from burntop.client.sources import continue_dev


def line(ts="2025-06-15T15:06:40.123Z", model="claude-sonnet-4-20250514", provider="anthropic", prompt=4200,
         generated=310, **extra) -> str:
    """One line as DataLogger.logDevData writes it for the 0.2.0 schema."""
    return json.dumps({"eventName": "tokensGenerated", "schema": "0.2.0", "timestamp": ts, "userId": "",
                       "userAgent": "Visual Studio Code/1.101.0 (Continue/1.0.14)", "selectedProfileId": "local",
                       "model": model, "provider": provider, "promptTokens": prompt, "generatedTokens": generated,
                       **extra})


def write(tmp_path, *lines, tail=""):
    path = tmp_path / ".continue" / "dev_data" / "0.2.0" / "tokensGenerated.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{x}\n" for x in lines) + tail)
    return path


def test_each_line_is_one_call_with_tokenizer_counts(tmp_path):
    path = write(tmp_path, line(), line(ts="2025-06-15T17:06:40.500+02:00", model="qwen2.5-coder:1.5b",
                                        provider="ollama", prompt=900, generated=12))
    first, second = continue_dev.parse(path, None).records
    assert first.timestamp == datetime(2025, 6, 15, 15, 6, 40, 123000, tzinfo=timezone.utc)
    assert (first.model, first.provider, first.input_tokens, first.output_tokens) == (
        "claude-sonnet-4-20250514", "anthropic", 4200, 310)
    assert (first.cache_read_tokens, first.cache_creation_tokens, first.logged_cost) == (0, 0, None)
    assert second.timestamp == datetime(2025, 6, 15, 15, 6, 40, 500000, tzinfo=timezone.utc)
    assert first.request_id.startswith("continue:") and first.request_id != second.request_id


def test_bad_lines_are_counted_and_a_partial_tail_waits(tmp_path):
    path = write(tmp_path, "{oops", "[]", line(prompt=0, generated=0), line(ts="yesterday"),
                 json.dumps({"eventName": "autocomplete", "accepted": True}),
                 line(model="", createdAt=None), json.dumps({"eventName": "tokensGenerated", "model": "m",
                                                             "promptTokens": 3, "generatedTokens": 1,
                                                             "createdAt": "2025-06-15T10:00:00", "sessionId": "s9"}),
                 tail=line()[:30])
    result = continue_dev.parse(path, None)
    unknown, created = result.records
    assert (unknown.model, unknown.model_estimated) == ("unknown", True)
    assert created.timestamp == datetime(2025, 6, 15, 10, tzinfo=timezone.utc) and created.session_id == "s9"
    assert result.skipped == {"malformed line": 2, "no usage": 1, "no timestamp": 1, "unknown format": 1}
    assert result.checkpoint["offset"] == path.stat().st_size - 30


def test_incremental_reads_and_stable_ids(tmp_path):
    path = write(tmp_path, line())
    first = continue_dev.parse(path, None)
    with open(path, "a") as handle:
        handle.write(line(ts="2025-06-15T15:07:00.000Z") + "\n")
    second = continue_dev.parse(path, first.checkpoint)
    assert [r.timestamp.second for r in second.records] == [0]
    assert continue_dev.parse(path, second.checkpoint).records == []
    path.write_text(line(ts="2025-06-16T00:00:00Z") + "\n")  # replaced by a shorter file
    assert len(continue_dev.parse(path, second.checkpoint).records) == 1
    assert [r.request_id for r in continue_dev.parse(path, None).records] == [
        r.request_id for r in continue_dev.parse(path, None).records]
    copy = write(tmp_path / "other-machine", line(), line(ts="2025-06-15T15:07:00.000Z"))
    assert continue_dev.parse(copy, None).records[0].request_id == first.records[0].request_id


def test_discovery_honours_continue_global_dir(tmp_path):
    default = write(tmp_path)
    old = tmp_path / ".continue" / "dev_data" / "0.1.0" / "tokensGenerated.jsonl"
    old.parent.mkdir(parents=True)
    old.write_text("")
    (tmp_path / ".continue" / "dev_data" / "0.2.0" / "chatInteraction.jsonl").write_text("")
    assert continue_dev.discover({}, tmp_path) == sorted([default, old])
    custom = write(tmp_path / "custom")
    assert continue_dev.discover({"CONTINUE_GLOBAL_DIR": str(tmp_path / "custom" / ".continue")}, tmp_path) == [custom]
    assert continue_dev.discover({}, tmp_path / "nobody") == []
