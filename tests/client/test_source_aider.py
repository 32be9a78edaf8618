"""Aider: the --analytics-log JSONL (message_send events)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from burntop.client.sources import aider

SYSTEM = {"python_version": "3.12.3", "os_platform": "Linux", "os_release": "6.8.0", "machine": "x86_64",
          "aider_version": "0.86.1"}


def event(name: str, when: int = 1_750_000_000, **props) -> str:
    """One line as aider's Analytics.event writes it."""
    return json.dumps({"event": name, "properties": {**props, **SYSTEM}, "user_id": "0b8c-uuid", "time": when})


def send(when: int, model="anthropic/claude-sonnet-4-20250514", prompt=15000, completion=800, cost=0.057,
         total=0.057, edit_format="diff") -> str:
    return event("message_send", when, main_model=model, weak_model="anthropic/claude-3-5-haiku-20241022",
                 editor_model=model, edit_format=edit_format, prompt_tokens=prompt, completion_tokens=completion,
                 total_tokens=prompt + completion, cost=cost, total_cost=total)


def test_message_send_events_become_records(tmp_path):
    log = tmp_path / "analytics.jsonl"
    log.write_text("\n".join([
        event("launched"), event("cli session", main_model="gpt-4o", edit_format="diff"),
        send(1_750_000_100), send(1_750_000_160, prompt=16000, completion=200, cost=0.05, total=0.107),
        send(1_750_000_200, model="None", cost=0.0, total=0.107),
        send(1_750_000_260, model="openrouter/REDACTED", edit_format="architect"),
        event("exit", reason="Control-C"),
    ]) + "\n")
    result = aider.parse(log, None)
    first, second, unknown, redacted = result.records
    assert first.timestamp == datetime(2025, 6, 15, 15, 8, 20, tzinfo=timezone.utc)
    assert (first.model, first.input_tokens, first.output_tokens) == ("anthropic/claude-sonnet-4-20250514", 15000, 800)
    assert (first.cache_read_tokens, first.cache_creation_tokens, first.logged_cost) == (0, 0, 0.057)
    assert first.request_id.startswith("aider:") and first.request_id != second.request_id
    assert (unknown.model, unknown.model_estimated, unknown.logged_cost) == ("unknown", True, None)
    assert (redacted.model, redacted.model_estimated) == ("openrouter/REDACTED", False)
    assert not result.skipped
    assert result.checkpoint["offset"] == log.stat().st_size


def test_bad_lines_and_events_without_usage_are_counted_not_raised(tmp_path):
    log = tmp_path / "a.jsonl"
    log.write_text("\n".join([
        "{broken", "[1, 2]", "", event("message_send", prompt_tokens=0, completion_tokens=0),
        json.dumps({"event": "message_send", "properties": "str"}),
        json.dumps({"event": "message_send", "properties": {"prompt_tokens": 5, "completion_tokens": 1}}),
        send(1_750_000_000),
    ]) + "\n" + send(1_750_000_500)[:40])  # a line aider is still writing
    result = aider.parse(log, None)
    assert len(result.records) == 1
    assert result.skipped == {"malformed line": 2, "no usage": 2, "no timestamp": 1}
    assert result.checkpoint["offset"] < log.stat().st_size


def test_incremental_parse_reads_only_new_lines_and_rereads_a_truncated_log(tmp_path):
    log = tmp_path / "a.jsonl"
    log.write_text(send(1_750_000_000) + "\n")
    first = aider.parse(log, None)
    with open(log, "a") as handle:
        handle.write(send(1_750_000_100, total=0.114) + "\n")
    second = aider.parse(log, first.checkpoint)
    assert len(second.records) == 1 and second.records[0].timestamp.timestamp() == 1_750_000_100
    assert aider.parse(log, second.checkpoint).records == []
    log.write_text(send(1_750_000_900) + "\n")  # rotated: shorter than the checkpoint offset
    third = aider.parse(log, second.checkpoint)
    assert len(third.records) == 1
    ids = [r.request_id for r in aider.parse(log, None).records]
    assert ids == [r.request_id for r in aider.parse(log, None).records] == [third.records[0].request_id]


def test_same_event_gets_the_same_id_in_any_copy_of_the_log(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text(send(1_750_000_000) + "\n")
    b.write_text(event("launched") + "\n" + send(1_750_000_000) + "\n")
    assert aider.parse(a, None).records[0].request_id == aider.parse(b, None).records[0].request_id


def test_discovery_from_env_config_file_and_default(tmp_path):
    home = tmp_path / "home"
    (home / ".aider").mkdir(parents=True)
    default = home / ".aider" / "analytics.jsonl"
    default.write_text("")
    env_log = tmp_path / "env.jsonl"
    env_log.write_text("")
    conf_log = home / "logs" / "aider.jsonl"
    conf_log.parent.mkdir()
    conf_log.write_text("")
    (home / ".aider.conf.yml").write_text("model: sonnet\nanalytics-log: 'logs/aider.jsonl'  # mine\n")
    found = aider.discover({"AIDER_ANALYTICS_LOG": str(env_log)}, home)
    assert found == [env_log, conf_log, default]
    (home / ".aider.conf.yml").write_text(f"analytics-log: {env_log}\n")
    assert aider.discover({"AIDER_ANALYTICS_LOG": str(env_log)}, home) == [env_log, default]
    assert aider.discover({"AIDER_ANALYTICS_LOG": str(tmp_path / "missing.jsonl")}, tmp_path / "x") == []
