"""Every Code rollouts: Codex's rules on `event`-wrapped token counts, its own home only."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from burntop.client.sources.every_code import SOURCE

THREAD = "019a7c3e-1f2d-7a4b-9c8d-0e1f2a3b4c5d"


def line(kind: str, payload: dict, at: str) -> dict:
    return {"timestamp": at, "type": kind, "payload": payload}


def usage(fresh: int, cached: int, out: int, reasoning: int) -> dict:
    return {"input_tokens": fresh, "cached_input_tokens": cached, "cache_write_input_tokens": 0,
            "output_tokens": out, "reasoning_output_tokens": reasoning, "total_tokens": fresh + out}


def token_event(seq: int, total: dict, last: dict, at: str) -> dict:
    # code-rs RolloutItem::Event(RecordedEvent {id, event_seq, order, msg})
    return line("event", {"id": "sub-1", "event_seq": seq, "order": {"request_ordinal": 1, "output_index": 0},
                          "msg": {"type": "token_count", "info": {"total_token_usage": total, "last_token_usage": last,
                                                                  "latest_response_model": "gpt-5.3-codex"},
                                  "rate_limits": None}}, at)


def rollout(home: Path) -> Path:
    return home / ".code" / "sessions" / "2026" / "08" / "01" / f"rollout-2026-08-01T09-00-00-{THREAD}.jsonl"


def write(path: Path, items: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(i) + "\n" for i in items))
    return path


def test_event_wrapped_token_counts_follow_the_codex_rules(tmp_path):
    first, second = usage(9000, 6000, 400, 150), usage(2000, 1500, 100, 0)
    total2 = {k: first[k] + second[k] for k in first}
    path = write(rollout(tmp_path), [
        line("session_meta", {"id": THREAD, "cwd": "/home/dev/app", "originator": "code_cli_rs",
                              "model_provider": "openai"}, "2026-08-01T09:00:00.000Z"),
        line("turn_context", {"cwd": "/home/dev/app", "approval_policy": "on-request", "model": "gpt-5.3-codex",
                              "summary": "auto", "sandbox_policy": {"type": "workspace-write"}}, "2026-08-01T09:00:01.000Z"),
        line("response_item", {"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "private: rename token_count"}]}, "2026-08-01T09:00:01.000Z"),
        token_event(4, first, first, "2026-08-01T09:00:20.000Z"),
        token_event(5, first, first, "2026-08-01T09:00:21.000Z"),  # repeated totals: no new call
        token_event(9, total2, second, "2026-08-01T09:01:00.000Z"),
    ])
    result = SOURCE.parse(path, None)
    a, b = result.records
    assert a.source == "every-code" and a.request_id == f"every-code:{THREAD}:9400:9000-6000-0-400-150"
    assert (a.input_tokens, a.cache_read_tokens, a.output_tokens, a.reasoning_tokens) == (3000, 6000, 400, 150)
    assert (b.input_tokens, b.cache_read_tokens, b.output_tokens) == (500, 1500, 100)
    assert (a.model, a.project, a.session_id) == ("gpt-5.3-codex", "/home/dev/app", THREAD)
    assert a.timestamp == datetime(2026, 8, 1, 9, 0, 20, tzinfo=timezone.utc)
    assert result.skipped["repeated total"] == 1
    assert "private" not in repr(result.records)


def test_discovery_reads_its_own_home_never_codex(tmp_path):
    home = tmp_path / "home"
    own = write(rollout(home), [])
    archived = write(home / ".code" / "archived_sessions" / f"rollout-x-{THREAD}.jsonl", [])
    write(home / ".codex" / "sessions" / "2026" / "08" / "01" / "rollout-y.jsonl", [])
    assert SOURCE.discover({}, home) == sorted([own, archived])
    custom = write(tmp_path / "code-home" / "sessions" / "r.jsonl", [])
    assert SOURCE.discover({"CODE_HOME": str(tmp_path / "code-home"), "CODEX_HOME": str(home / ".codex")}, home) == [custom]
