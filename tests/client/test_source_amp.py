"""Amp thread files: per-message usage, the older usage ledger, cache semantics, discovery."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from burntop.client.sources.amp import SOURCE

THREAD = "T-019b9d03-62e3-772f-9780-3e637f90eaec"


def usage(inp=10, out=220, write=6904, read=16371, total=None, ts="2026-01-22T22:42:32.743Z", model="claude-opus-4-5-20251101"):
    item = {"model": model, "inputTokens": inp, "outputTokens": out, "cacheCreationInputTokens": write,
            "cacheReadInputTokens": read, "totalInputTokens": inp + write + read if total is None else total,
            "credits": 1.5}
    if ts:
        item["timestamp"] = ts
    return item


def thread(messages: list, ledger: list | None = None) -> dict:
    doc = {"v": 195, "id": THREAD, "created": 1767865803494, "title": "secret title", "agentMode": "smart",
           "env": {"initial": {"trees": [{"displayName": "proj", "uri": "file:///home/dev/my%20proj"}]}},
           "messages": messages}
    if ledger is not None:
        doc["usageLedger"] = {"events": ledger}
    return doc


def user(n: int) -> dict:
    return {"role": "user", "messageId": n, "content": [{"type": "text", "text": "private prompt"}]}


def assistant(n: int, use: dict | None) -> dict:
    msg = {"role": "assistant", "messageId": n, "content": [{"type": "text", "text": "answer"}],
           "state": {"type": "complete", "stopReason": "end_turn"}}
    if use is not None:
        msg["usage"] = use
    return msg


def write(path: Path, doc) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) if not isinstance(doc, str) else doc)
    return path


def threads_dir(home: Path) -> Path:
    return home / ".local" / "share" / "amp" / "threads"


def test_message_usage_is_one_record_per_response(tmp_path):
    path = write(threads_dir(tmp_path) / f"{THREAD}.json",
                 thread([user(0), assistant(1, usage()), user(2), assistant(3, None), assistant(4, usage(ts="2026-01-23T00:30:00+01:00"))]))
    result = SOURCE.parse(path, None)
    first, second = result.records
    assert first.request_id == f"amp:{THREAD}:1" and first.source == "amp"
    assert (first.input_tokens, first.output_tokens, first.cache_creation_tokens, first.cache_read_tokens) == (10, 220, 6904, 16371)
    assert first.timestamp == datetime(2026, 1, 22, 22, 42, 32, 743000, tzinfo=timezone.utc)
    assert second.timestamp == datetime(2026, 1, 22, 23, 30, tzinfo=timezone.utc)
    assert first.session_id == THREAD and first.project == "/home/dev/my proj" and first.model == "claude-opus-4-5-20251101"
    assert first.logged_cost is None  # credits are not USD
    assert "private" not in repr(result.records) and "secret" not in repr(result.records)


def test_cache_inclusive_input_is_reduced():
    from burntop.client.sources.amp import message_fields
    fields = message_fields(usage(inp=5000, write=0, read=4000, total=5000))
    assert (fields["input_tokens"], fields["cache_read_tokens"]) == (1000, 4000)
    assert message_fields(usage())["input_tokens"] == 10


def test_ledger_fills_in_for_messages_without_usage(tmp_path):
    ledger = [
        {"id": "ev-1", "timestamp": "2025-11-23T10:00:00.000Z", "model": "claude-haiku-4-5-20251001", "credits": 1.5,
         "tokens": {"input": 100, "output": 50}, "operationType": "inference", "fromMessageId": 0, "toMessageId": 1},
        {"id": "ev-2", "timestamp": "2025-11-23T10:05:00.000Z", "model": "claude-sonnet-4-5", "credits": 2,
         "tokens": {"input": 300, "output": 70}, "operationType": "inference", "fromMessageId": 2, "toMessageId": 3},
        {"id": "ev-3", "timestamp": "2025-11-23T10:06:00.000Z", "model": "claude-haiku-4-5-20251001", "credits": 0.1,
         "tokens": {"input": 30, "output": 7}, "operationType": "title"},
    ]
    path = write(threads_dir(tmp_path) / f"{THREAD}.json",
                 thread([user(0), assistant(1, None), user(2), assistant(3, usage(ts=None))], ledger))
    records = {r.request_id: r for r in SOURCE.parse(path, None).records}
    assert set(records) == {f"amp:{THREAD}:1", f"amp:{THREAD}:3", f"amp:{THREAD}:ledger:ev-3"}
    assert (records[f"amp:{THREAD}:1"].input_tokens, records[f"amp:{THREAD}:1"].output_tokens) == (100, 50)
    # message 3 has its own usage: its ledger event is not counted again; it lends its timestamp
    assert records[f"amp:{THREAD}:3"].cache_read_tokens == 16371
    assert records[f"amp:{THREAD}:3"].timestamp == datetime(2025, 11, 23, 10, 5, tzinfo=timezone.utc)


def test_bad_files_never_raise(tmp_path):
    folder = threads_dir(tmp_path)
    assert SOURCE.parse(write(folder / "T-a.json", '{"id": "T-a", "messages": [{"role"'), None).skipped["malformed file"] == 1
    assert SOURCE.parse(write(folder / "T-b.json", [1, 2]), None).skipped["unknown format"] == 1
    odd = thread([assistant("x", usage()), assistant(2, usage(inp=0, out=0, write=0, read=0)), "junk"])
    result = SOURCE.parse(write(folder / "T-c.json", odd), None)
    assert result.records == [] and result.skipped["unknown format"] == 1 and result.skipped["no usage"] == 1
    assert SOURCE.parse(folder / "T-missing.json", None).skipped["unreadable file"] == 1


def test_changed_thread_is_reread_with_stable_ids(tmp_path):
    path = write(threads_dir(tmp_path) / f"{THREAD}.json", thread([user(0), assistant(1, usage())]))
    first = SOURCE.parse(path, None)
    assert SOURCE.parse(path, first.checkpoint).records == []
    write(path, thread([user(0), assistant(1, usage()), user(2), assistant(3, usage(out=5))]))
    again = SOURCE.parse(path, first.checkpoint)
    assert [r.request_id for r in again.records] == [f"amp:{THREAD}:1", f"amp:{THREAD}:3"]
    assert len(SOURCE.merge(first.records + again.records)) == 2


def test_discovery_with_env_xdg_and_editor_storage(tmp_path):
    home = tmp_path / "home"
    default = write(threads_dir(home) / "T-1.json", thread([]))
    custom = write(tmp_path / "amp-data" / "threads" / "T-2.json", thread([]))
    xdg = write(tmp_path / "xdg" / "amp" / "threads" / "T-3.json", thread([]))
    vscode = write(home / ".config" / "Code" / "User" / "globalStorage" / "sourcegraph.amp" / "threads3" / "T-4.json", thread([]))
    win = write(tmp_path / "roaming" / "Cursor" / "User" / "globalStorage" / "sourcegraph.amp" / "threads3" / "T-5.json", thread([]))
    env = {"AMP_DATA_DIR": str(tmp_path / "amp-data"), "XDG_DATA_HOME": str(tmp_path / "xdg"), "APPDATA": str(tmp_path / "roaming")}
    assert set(SOURCE.discover(env, home)) == {default, custom, xdg, vscode, win}
    assert SOURCE.discover({}, home) == sorted([default, vscode])
    assert SOURCE.discover({}, tmp_path / "nobody") == []
