"""Pi session files: one record per assistant message, fork copies, Google input, resume, discovery."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from burntop.client.sources.pi import SOURCE

SESSION = "0f6c2a9e-5b1d-4c1e-9d0a-1b2c3d4e5f60"


def header(session=SESSION, cwd="/home/dev/shop", version=3, parent=None) -> dict:
    item = {"type": "session", "version": version, "id": session, "timestamp": "2026-02-10T09:00:00.000Z", "cwd": cwd}
    if parent:
        item["parentSession"] = parent
    return item


def user(entry_id: str, parent: str | None, text="private prompt: fix the login form") -> dict:
    return {"type": "message", "id": entry_id, "parentId": parent, "timestamp": "2026-02-10T09:00:01.000Z",
            "message": {"role": "user", "content": text, "timestamp": 1770714001000}}


def assistant(entry_id: str, parent: str | None, ms: int, *, provider="anthropic", model="claude-sonnet-4-5",
              api="anthropic-messages", inp=12, out=340, read=20480, write=1536, total=None, cost=0.0123,
              stop="toolUse") -> dict:
    usage = {"input": inp, "output": out, "cacheRead": read, "cacheWrite": write,
             "totalTokens": inp + out + read + write if total is None else total,
             "cost": {"input": 0.0, "output": 0.0, "cacheRead": 0.0, "cacheWrite": 0.0, "total": cost}}
    return {"type": "message", "id": entry_id, "parentId": parent,
            "timestamp": datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat().replace("+00:00", "Z"),
            "message": {"role": "assistant", "content": [{"type": "text", "text": "secret answer"}], "api": api,
                        "provider": provider, "model": model, "usage": usage, "stopReason": stop, "timestamp": ms}}


def tool_result(entry_id: str, parent: str) -> dict:
    return {"type": "message", "id": entry_id, "parentId": parent, "timestamp": "2026-02-10T09:00:03.000Z",
            "message": {"role": "toolResult", "toolCallId": "call_1", "toolName": "bash",
                        "content": [{"type": "text", "text": "private tool output"}], "isError": False}}


def write(path: Path, entries: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((e if isinstance(e, str) else json.dumps(e)) + "\n" for e in entries))
    return path


def session_file(home: Path, name=f"2026-02-10T09-00-00-000Z_{SESSION}.jsonl") -> Path:
    return home / ".pi" / "agent" / "sessions" / "--home-dev-shop--" / name


def test_one_record_per_assistant_message(tmp_path):
    path = write(session_file(tmp_path), [
        header(), user("a1b2c3d4", None), assistant("b2c3d4e5", "a1b2c3d4", 1770714002000),
        tool_result("c3d4e5f6", "b2c3d4e5"),
        assistant("d4e5f6a7", "c3d4e5f6", 1770714004500, provider="openai", model="gpt-5", api="openai-responses",
                  inp=900, out=250, read=4096, write=0, cost=0),
        {"type": "model_change", "id": "e5f6a7b8", "parentId": "d4e5f6a7", "timestamp": "2026-02-10T09:00:05.000Z",
         "provider": "google", "modelId": "gemini-2.5-pro"},
    ])
    result = SOURCE.parse(path, None)
    first, second = result.records
    assert first.source == "pi" and first.request_id.startswith("pi:1770714002000:")
    assert (first.input_tokens, first.output_tokens, first.cache_read_tokens, first.cache_creation_tokens) == (12, 340, 20480, 1536)
    assert (first.model, first.provider, first.logged_cost) == ("claude-sonnet-4-5", "anthropic", 0.0123)
    assert first.timestamp == datetime(2026, 2, 10, 9, 0, 2, tzinfo=timezone.utc)
    assert (first.session_id, first.project) == (SESSION, "/home/dev/shop")
    assert (second.input_tokens, second.output_tokens, second.cache_read_tokens) == (900, 250, 4096)
    assert second.logged_cost is None and second.reasoning_tokens == 0
    assert "private" not in repr(result.records) and "secret" not in repr(result.records)


def test_google_adapter_input_holds_the_cache_reads(tmp_path):
    # google.ts stores promptTokenCount (cache reads included) as input; total = prompt + output.
    google = assistant("b2c3d4e5", None, 1770714002000, provider="google", model="gemini-2.5-pro",
                       api="google-generative-ai", inp=5000, out=300, read=4000, write=0, total=5300)
    # google-gemini-cli.ts subtracts them; total then counts them once more.
    gemini_cli = assistant("c3d4e5f6", "b2c3d4e5", 1770714003000, provider="google-gemini-cli",
                           model="gemini-2.5-pro", api="google-gemini-cli", inp=1000, out=300, read=4000, write=0,
                           total=5300)
    first, second = SOURCE.parse(write(session_file(tmp_path), [header(), google, gemini_cli]), None).records
    assert (first.input_tokens, first.cache_read_tokens) == (1000, 4000)
    assert (second.input_tokens, second.cache_read_tokens) == (1000, 4000)


def test_forked_and_branched_copies_count_once(tmp_path):
    entries = [user("a1b2c3d4", None), assistant("b2c3d4e5", "a1b2c3d4", 1770714002000),
               assistant("c3d4e5f6", "b2c3d4e5", 1770714009000, out=40)]
    original = write(session_file(tmp_path), [header(), *entries])
    # SessionManager.forkFrom: a new header (new id, other cwd) then every entry copied verbatim.
    fork = write(tmp_path / ".pi" / "agent" / "sessions" / "--home-dev-other--" / "2026-02-11T10-00-00-000Z_f.jsonl",
                 [header("ffffffff-0000-4000-8000-000000000000", "/home/dev/other", parent=str(original)), *entries])
    records = SOURCE.parse(original, None).records + SOURCE.parse(fork, None).records
    merged = SOURCE.merge(records)
    assert len(records) == 4 and len(merged) == 2
    assert sum(r.output_tokens for r in merged) == 380


def test_empty_usage_bad_lines_and_v1_entries(tmp_path):
    v1_assistant = assistant("x", None, 1734000000000, out=7)
    for key in ("id", "parentId"):
        del v1_assistant[key]  # version 1 files have no entry ids
    aborted = assistant("b2c3d4e5", None, 1770714002000, inp=0, out=0, read=0, write=0, cost=0, stop="aborted")
    path = write(session_file(tmp_path), [header(version=1), v1_assistant, aborted, '{"type":"message","message":{"role":"assistant"',
                                          json.dumps(["assistant"])])
    result = SOURCE.parse(path, None)
    assert [r.output_tokens for r in result.records] == [7]
    assert (result.skipped["no usage"], result.skipped["malformed line"], result.skipped["unknown format"]) == (1, 1, 1)
    assert SOURCE.parse(session_file(tmp_path, "missing.jsonl"), None).skipped["unreadable file"] == 1


def test_resumes_from_the_checkpoint_with_the_header_kept(tmp_path):
    path = write(session_file(tmp_path), [header(), user("a1b2c3d4", None), assistant("b2c3d4e5", "a1b2c3d4", 1770714002000)])
    first = SOURCE.parse(path, None)
    with path.open("a") as handle:
        handle.write(json.dumps(assistant("c3d4e5f6", "b2c3d4e5", 1770714009000, out=99)) + "\n")
        handle.write('{"type":"message","id":"partial"')  # being written right now
    again = SOURCE.parse(path, first.checkpoint)
    assert [r.output_tokens for r in again.records] == [99]
    assert (again.records[0].session_id, again.records[0].project) == (SESSION, "/home/dev/shop")
    assert SOURCE.parse(path, again.checkpoint).records == []


def test_discovery_honours_the_agent_dir_override(tmp_path):
    home = tmp_path / "home"
    default = write(session_file(home), [header()])
    custom = write(home / "pi-agent" / "sessions" / "--x--" / "a.jsonl", [header()])
    assert SOURCE.discover({}, home) == [default]
    assert SOURCE.discover({"PI_CODING_AGENT_DIR": "~/pi-agent"}, home) == [custom]
    assert SOURCE.discover({}, tmp_path / "nobody") == []
