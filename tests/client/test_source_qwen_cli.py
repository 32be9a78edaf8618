"""Qwen Code ChatRecord logs: OpenAI- and Gemini-style usage, forks, legacy documents, discovery."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from burntop.client.sources.qwen_cli import SOURCE


def record(uuid: str, kind: str = "assistant", usage: dict | None = None, session: str = "s-1",
           ts: str = "2025-11-20T10:00:00.000Z", **extra) -> dict:
    item = {"uuid": uuid, "parentUuid": None, "sessionId": session, "timestamp": ts, "type": kind,
            "cwd": "/home/dev/proj", "version": "0.2.1", "message": {"role": "model", "parts": [{"text": "x"}]}}
    if kind == "assistant":
        item["model"] = "qwen3-coder-plus"
    if usage is not None:
        item["usageMetadata"] = usage
    item.update(extra)
    return item


# OpenAI-compatible (DashScope): completion_tokens already include reasoning, total = prompt + completion
OPENAI = {"promptTokenCount": 12000, "candidatesTokenCount": 800, "cachedContentTokenCount": 10000,
          "thoughtsTokenCount": 300, "totalTokenCount": 12800}
# Gemini API through Qwen Code: thoughts outside candidates, total includes them
GEMINI = {"promptTokenCount": 5000, "candidatesTokenCount": 200, "cachedContentTokenCount": 0,
          "thoughtsTokenCount": 100, "totalTokenCount": 5300}


def write_lines(path: Path, items: list, tail: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(i) + "\n" for i in items) + tail)


def log_path(root: Path, session: str = "s-1") -> Path:
    return root / ".qwen" / "projects" / "-home-dev-proj" / "chats" / f"{session}.jsonl"


def test_assistant_records_with_both_reasoning_conventions(tmp_path):
    path = log_path(tmp_path)
    write_lines(path, [record("u1", "user"), record("a1", usage=OPENAI), record("t1", "tool_result"),
                       record("a2", usage=GEMINI, ts="2025-11-20T12:00:00+08:00"),
                       record("sys", "system", subtype="ui_telemetry",
                              systemPayload={"uiEvent": {"input_token_count": 99, "assistant": 1}})])
    result = SOURCE.parse(path, None)
    first, second = result.records
    assert first.request_id == "qwen-cli:a1" and first.source == "qwen-cli"
    assert (first.input_tokens, first.cache_read_tokens, first.output_tokens, first.reasoning_tokens) == (2000, 10000, 800, 300)
    assert (second.input_tokens, second.output_tokens, second.reasoning_tokens) == (5000, 300, 100)
    assert second.timestamp == datetime(2025, 11, 20, 4, 0, tzinfo=timezone.utc)
    assert first.project == "/home/dev/proj" and first.session_id == "s-1" and first.model == "qwen3-coder-plus"


def test_total_only_and_missing_usage_are_skipped(tmp_path):
    path = log_path(tmp_path)
    write_lines(path, [record("a1", usage={"totalTokenCount": 500}), record("a2"),
                       record("a3", usage={"promptTokenCount": 0, "candidatesTokenCount": 0})])
    result = SOURCE.parse(path, None)
    assert result.records == []
    assert result.skipped["total only"] == 1 and result.skipped["no usage"] == 2


def test_branch_copies_keep_the_uuid_and_merge_to_one(tmp_path):
    original = log_path(tmp_path, "s-1")
    fork = log_path(tmp_path, "s-2")
    write_lines(original, [record("a1", usage=OPENAI)])
    write_lines(fork, [record("a1", usage=OPENAI, session="s-2", forkedFrom={"sessionId": "s-1", "messageUuid": "a1"})])
    both = SOURCE.parse(original, None).records + SOURCE.parse(fork, None).records
    assert len(SOURCE.merge(both)) == 1


def test_malformed_and_partial_lines(tmp_path):
    path = log_path(tmp_path)
    write_lines(path, [record("a1", usage=OPENAI)], tail='{"uuid": "a2", "type": "assistant", "usa')
    text = path.read_text()
    path.write_text('{"type": "assistant", broken\n' + '["assistant"]\n' + text)
    result = SOURCE.parse(path, None)
    assert [r.request_id for r in result.records] == ["qwen-cli:a1"]
    assert result.skipped["malformed line"] == 1 and result.skipped["unknown format"] == 1
    assert result.checkpoint["offset"] < path.stat().st_size


def test_incremental_parse_and_truncated_file(tmp_path):
    path = log_path(tmp_path)
    write_lines(path, [record("a1", usage=OPENAI)])
    first = SOURCE.parse(path, None)
    with open(path, "a") as handle:
        handle.write(json.dumps(record("a2", usage=GEMINI)) + "\n")
    second = SOURCE.parse(path, first.checkpoint)
    assert [r.request_id for r in second.records] == ["qwen-cli:a2"]
    assert SOURCE.parse(path, second.checkpoint).records == []
    write_lines(path, [record("a3", usage=GEMINI)])  # rewritten shorter: read from the start
    assert [r.request_id for r in SOURCE.parse(path, second.checkpoint).records] == ["qwen-cli:a3"]
    ids = [r.request_id for r in SOURCE.parse(path, None).records]
    assert ids == [r.request_id for r in SOURCE.parse(path, None).records]


def test_legacy_gemini_style_document(tmp_path):
    path = tmp_path / ".qwen" / "tmp" / "hash" / "chats" / "session-2025-08-01T10-00-abcdabcd.json"
    path.parent.mkdir(parents=True)
    msg = {"id": "m1", "type": "gemini", "timestamp": "2025-08-01T10:00:05Z", "model": "qwen3-coder-plus",
           "tokens": {"input": 900, "output": 100, "cached": 400, "thoughts": 30, "total": 1000}}
    path.write_text(json.dumps({"sessionId": "s", "projectHash": "hash", "messages": [msg]}))
    rec = SOURCE.parse(path, None).records[0]
    assert rec.request_id == "qwen-cli:m1"
    assert (rec.input_tokens, rec.cache_read_tokens, rec.output_tokens, rec.reasoning_tokens) == (500, 400, 100, 30)


def test_discovery_with_runtime_dir_and_default(tmp_path):
    home = tmp_path / "home"
    default = log_path(home)
    runtime = tmp_path / "rt" / "projects" / "-x" / "chats" / "s-9.jsonl"
    legacy = home / ".qwen" / "tmp" / "h" / "chats" / "session-1.json"
    for item in (default, runtime, legacy):
        write_lines(item, [record("a1", usage=OPENAI)])
    found = SOURCE.discover({"QWEN_RUNTIME_DIR": str(tmp_path / "rt")}, home)
    assert set(found) == {default, runtime, legacy}
    assert SOURCE.discover({}, home) == sorted([default, legacy])
    assert SOURCE.discover({}, tmp_path / "nobody") == []
