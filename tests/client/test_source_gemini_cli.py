"""Gemini CLI chat recordings: JSONL logs, legacy JSON documents, token semantics, discovery."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from burntop.client.records import keep_largest
from burntop.client.sources import gemini_cli
from burntop.client.sources.gemini_cli import SOURCE, split_usage

META = {"sessionId": "sess-1", "projectHash": "abc123", "startTime": "2025-10-05T21:32:45.890Z",
        "lastUpdated": "2025-10-05T21:32:45.890Z", "kind": "main"}


def gemini(mid: str, tokens: dict | None, ts: str = "2025-10-05T21:33:00.000Z", model: str | None = "gemini-2.5-pro"):
    msg = {"id": mid, "timestamp": ts, "type": "gemini", "content": [{"text": "secret answer"}], "thoughts": []}
    if tokens is not None:
        msg["tokens"] = tokens
    if model:
        msg["model"] = model
    return msg


TOKENS = {"input": 1234, "output": 56, "cached": 1000, "thoughts": 40, "tool": 0, "total": 1330}


def write_lines(path: Path, items: list, tail: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(i) + "\n" for i in items) + tail)


def append(path: Path, items: list) -> None:
    with open(path, "a") as handle:
        handle.write("".join(json.dumps(i) + "\n" for i in items))


def chats(home: Path, project: str = "abc123") -> Path:
    return home / ".gemini" / "tmp" / project / "chats"


def test_jsonl_message_tokens_become_one_record(tmp_path):
    path = chats(tmp_path) / "session-2025-10-05T21-32-aaaaaaaa.jsonl"
    user = {"id": "u1", "timestamp": "2025-10-05T21:32:46.379Z", "type": "user", "content": [{"text": "hi"}]}
    write_lines(path, [META, user, gemini("m1", None), gemini("m1", TOKENS), {"$set": {"lastUpdated": "x"}}])
    result = SOURCE.parse(path, None)
    assert len(result.records) == 1
    rec = result.records[0]
    assert rec.request_id == "gemini-cli:m1" and rec.source == "gemini-cli"
    # promptTokenCount includes the cached part; thoughts are outside candidatesTokenCount
    assert (rec.input_tokens, rec.cache_read_tokens, rec.output_tokens, rec.reasoning_tokens) == (234, 1000, 96, 40)
    assert rec.timestamp == datetime(2025, 10, 5, 21, 33, tzinfo=timezone.utc)
    assert rec.session_id == "sess-1" and rec.project == "abc123" and rec.model == "gemini-2.5-pro"
    assert result.skipped["no usage"] == 1
    assert "secret" not in repr(rec)


def test_reappended_copies_collapse_to_one_response(tmp_path):
    path = chats(tmp_path) / "session-x.jsonl"
    with_tools = dict(gemini("m1", TOKENS), toolCalls=[{"id": "t1", "name": "read_file", "status": "success"}])
    write_lines(path, [META, gemini("m1", TOKENS), with_tools, {"$rewindTo": "m1"}])
    result = SOURCE.parse(path, None)
    assert len(result.records) == 2  # rewound responses were still billed: counted once after merge
    assert len(SOURCE.merge(result.records)) == 1


def test_thoughts_already_inside_output_are_not_added(tmp_path):
    # total == input + output: an OpenAI-style backend folded reasoning into the candidates count
    fields = split_usage(1000, 300, 200, 100, 0, 1300, thoughts_separate=True)
    assert fields == {"input_tokens": 800, "output_tokens": 300, "cache_read_tokens": 200, "reasoning_tokens": 100}
    fields = split_usage(1000, 300, 0, 100, 50, 1450, thoughts_separate=False)
    assert fields["output_tokens"] == 400 and fields["input_tokens"] == 1050  # tool prompt is input
    assert split_usage(0, 0, 0, 0, 0, 0, True) is None


def test_malformed_truncated_and_partial_lines(tmp_path):
    path = chats(tmp_path) / "session-x.jsonl"
    write_lines(path, [META, gemini("m1", TOKENS)], tail='{"id": "m2", "type": "gemini", "tok')
    with open(path, "r+") as handle:
        content = handle.read()
        handle.seek(0)
        handle.write(content.replace(json.dumps(META) + "\n", json.dumps(META) + "\n" + '{"gemini": \n'))
    result = SOURCE.parse(path, None)
    assert [r.request_id for r in result.records] == ["gemini-cli:m1"]
    assert result.skipped["malformed line"] == 1
    assert result.checkpoint["offset"] < path.stat().st_size  # the partial line waits for the next run


def test_incremental_parse_and_replaced_file(tmp_path):
    path = chats(tmp_path) / "session-x.jsonl"
    write_lines(path, [META, gemini("m1", TOKENS)])
    first = SOURCE.parse(path, None)
    append(path, [gemini("m2", TOKENS, ts="2025-10-06T01:00:00+02:00")])
    second = SOURCE.parse(path, first.checkpoint)
    assert [r.request_id for r in second.records] == ["gemini-cli:m2"]
    assert second.records[0].session_id == "sess-1"  # session id carried in the checkpoint
    assert second.records[0].timestamp == datetime(2025, 10, 5, 23, 0, tzinfo=timezone.utc)
    assert SOURCE.parse(path, second.checkpoint).records == []
    path.unlink()
    write_lines(path, [META, gemini("m3", TOKENS)])
    third = SOURCE.parse(path, second.checkpoint)
    assert [r.request_id for r in third.records] == ["gemini-cli:m3"]


def test_legacy_json_document_and_migration_give_same_ids(tmp_path):
    folder = chats(tmp_path)
    folder.mkdir(parents=True)
    doc = dict(META, messages=[{"id": "u1", "type": "user", "content": "hi", "timestamp": "2025-10-05T21:32:46Z"},
                               gemini("m1", TOKENS), gemini("m2", None, model=None)])
    legacy = folder / "session-2025-10-05T21-32-aaaaaaaa.json"
    legacy.write_text(json.dumps(doc, indent=2))
    (folder.parent / ".project_root").write_text("/work/project\n")
    result = SOURCE.parse(legacy, None)
    assert [r.request_id for r in result.records] == ["gemini-cli:m1"]
    assert result.records[0].project == "/work/project" and result.skipped["no usage"] == 1
    assert SOURCE.parse(legacy, result.checkpoint).records == []  # unchanged: not read again
    migrated = folder / "session-2025-10-05T21-32-aaaaaaaa.jsonl"
    write_lines(migrated, [META, gemini("m1", TOKENS)])
    both = result.records + SOURCE.parse(migrated, None).records
    assert len(keep_largest(both)) == 1
    assert SOURCE.parse(legacy, None).records[0].request_id == result.records[0].request_id


def test_bad_documents_never_raise(tmp_path):
    folder = chats(tmp_path)
    folder.mkdir(parents=True)
    broken = folder / "session-broken.json"
    broken.write_text('{"sessionId": "s", "messages": [')
    assert SOURCE.parse(broken, None).skipped["malformed file"] == 1
    odd = folder / "session-odd.json"
    odd.write_text("[1, 2]")
    assert SOURCE.parse(odd, None).skipped["unknown format"] == 1
    no_time = folder / "session-nt.jsonl"
    write_lines(no_time, [META, gemini("m1", TOKENS, ts=""), [1, "gemini"]])
    result = SOURCE.parse(no_time, None)
    assert result.skipped["no timestamp"] == 1 and result.skipped["unknown format"] == 1
    assert SOURCE.parse(folder / "missing.jsonl", None).skipped["unreadable file"] == 1


def test_missing_model_is_defaulted_and_marked(tmp_path):
    path = chats(tmp_path) / "session-x.jsonl"
    write_lines(path, [META, gemini("m1", TOKENS, model=None)])
    rec = SOURCE.parse(path, None).records[0]
    assert rec.model == gemini_cli.DEFAULT_MODEL and rec.model_estimated


def test_discovery_with_env_override_and_default(tmp_path):
    home, custom = tmp_path / "home", tmp_path / "custom"
    main = chats(home) / "session-a.jsonl"
    sub = chats(home) / "sess-1" / "agent-1.jsonl"
    other = chats(custom, "slug") / "session-b.json"
    for item in (main, sub, other):
        write_lines(item, [META])
    write_lines(chats(home).parent / "logs.json", [META])
    found = SOURCE.discover({"GEMINI_CLI_HOME": "~/../custom"}, home)
    assert set(found) >= {main, sub} and len(found) == 3
    assert any(p.name == "session-b.json" for p in found)
    assert SOURCE.discover({}, tmp_path / "nobody") == []


def test_request_ids_are_stable_across_parses(tmp_path):
    path = chats(tmp_path) / "session-x.jsonl"
    write_lines(path, [META, gemini("m1", TOKENS), gemini("m2", TOKENS)])
    ids = [r.request_id for r in SOURCE.parse(path, None).records]
    assert ids == [r.request_id for r in SOURCE.parse(path, None).records] == ["gemini-cli:m1", "gemini-cli:m2"]
