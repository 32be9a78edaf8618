"""gptme conversation logs: usage metadata per assistant message, both metadata shapes, branches, times."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

from burntop.client.sources.gptme import SOURCE

CONV = "2026-03-14-flying-orange-fish"


def msg(role: str, at: str, content="private prompt", metadata=None) -> dict:
    item = {"role": role, "content": content, "timestamp": at}
    if metadata is not None:
        item["metadata"] = metadata
    return item


def answer(at: str, **usage) -> dict:
    values = {"input_tokens": 40, "output_tokens": 620, "cache_read_tokens": 18000, "cache_creation_tokens": 900}
    values.update(usage)
    return msg("assistant", at, "secret answer", {"model": "anthropic/claude-sonnet-4-6",
                                                   "served_model": "claude-sonnet-4-6-20260217",
                                                   "cost": 0.0214, "usage": values})


def write(path: Path, items: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(i) + "\n" for i in items))
    return path


def log(home: Path, name="conversation.jsonl") -> Path:
    return home / ".local" / "share" / "gptme" / "logs" / CONV / name


def test_one_record_per_assistant_message_with_usage(tmp_path):
    flat = msg("assistant", "2026-01-05T10:00:09.250000+01:00", "old answer",
               {"model": "openai/gpt-5", "input_tokens": 1500, "output_tokens": 700, "cache_read_tokens": 3000})
    path = write(log(tmp_path), [
        msg("system", "2026-03-14T09:00:00+00:00", "system prompt"),
        msg("user", "2026-03-14T09:00:01+00:00"),
        answer("2026-03-14T09:00:07.500000+00:00"),
        msg("system", "2026-03-14T09:00:08+00:00", "private tool output"),
        answer("2026-03-14T09:00:12+00:00", input_tokens=5, output_tokens=80, reasoning_tokens=200),
        msg("assistant", "2026-03-14T09:00:13+00:00", "no usage", {"model": "openai/gpt-5"}),
        flat,
    ])
    result = SOURCE.parse(path, None)
    first, second, old = result.records
    assert first.source == "gptme" and first.request_id.startswith("gptme:")
    assert (first.input_tokens, first.output_tokens, first.cache_read_tokens, first.cache_creation_tokens) == (40, 620, 18000, 900)
    assert (first.model, first.provider, first.logged_cost) == ("claude-sonnet-4-6-20260217", "anthropic", 0.0214)
    assert first.timestamp == datetime(2026, 3, 14, 9, 0, 7, 500000, tzinfo=timezone.utc)
    assert first.session_id == CONV and first.project is None
    assert (second.output_tokens, second.reasoning_tokens) == (80, 80)  # a part of output, never added
    assert (old.model, old.input_tokens, old.cache_read_tokens) == ("openai/gpt-5", 1500, 3000)
    assert old.timestamp == datetime(2026, 1, 5, 9, 0, 9, 250000, tzinfo=timezone.utc)
    assert result.skipped["no usage"] == 1
    assert "private" not in repr(result.records) and "secret" not in repr(result.records)


def test_timestamps_without_offset_are_local_time(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        (record,) = SOURCE.parse(write(log(tmp_path), [answer("2026-03-14T09:00:07")]), None).records
    finally:
        monkeypatch.undo()
        time.tzset()
    assert record.timestamp == datetime(2026, 3, 14, 13, 0, 7, tzinfo=timezone.utc)


def test_branch_copies_count_once_and_rewrites_are_reread(tmp_path):
    shared = [msg("user", "2026-03-14T09:00:01+00:00"), answer("2026-03-14T09:00:07+00:00")]
    main = write(log(tmp_path), shared)
    branch = write(log(tmp_path, "branches/try-sqlite.jsonl"), [*shared, answer("2026-03-14T09:05:00+00:00", output_tokens=3)])
    records = SOURCE.parse(main, None).records + SOURCE.parse(branch, None).records
    assert len(records) == 3 and sorted(r.output_tokens for r in SOURCE.merge(records)) == [3, 620]
    assert SOURCE.parse(branch, None).records[0].session_id == CONV
    first = SOURCE.parse(main, None)
    assert SOURCE.parse(main, first.checkpoint).records == []
    write(main, [*shared, answer("2026-03-14T09:09:00+00:00", output_tokens=9)])  # rewritten whole
    with main.open("a") as handle:
        handle.write('{"role": "assistant", "metadata": {"usage": \n')
    again = SOURCE.parse(main, first.checkpoint)
    assert sorted(r.output_tokens for r in again.records) == [9, 620] and again.skipped["malformed line"] == 1


def test_discovery_follows_gptme_precedence(tmp_path):
    home = tmp_path / "home"
    default = write(log(home), [])
    branch = write(log(home, "branches/b.jsonl"), [])
    write(log(home, "views/compact.jsonl"), [])
    assert SOURCE.discover({}, home) == sorted([default, branch])
    xdg = write(tmp_path / "xdg" / "gptme" / "logs" / "c" / "conversation.jsonl", [])
    assert SOURCE.discover({"XDG_DATA_HOME": str(tmp_path / "xdg")}, home) == [xdg]
    custom = write(tmp_path / "my-logs" / "c" / "conversation.jsonl", [])
    assert SOURCE.discover({"GPTME_LOGS_HOME": str(tmp_path / "my-logs"), "XDG_DATA_HOME": str(tmp_path / "xdg")}, home) == [custom]
    mac = write(tmp_path / "mac" / "Library" / "Application Support" / "gptme" / "logs" / "c" / "conversation.jsonl", [])
    assert SOURCE.discover({}, tmp_path / "mac") == [mac]
