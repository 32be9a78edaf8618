"""Kimi CLI wire logs: one record per StatusUpdate, sub-agent copies, forks, model from config, discovery."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

from burntop.client.sources.kimi_cli import SOURCE

WORK_DIR = "/home/dev/crm"
FOLDER = hashlib.md5(WORK_DIR.encode()).hexdigest()
SESSION = "5d0f3b1a-8c2e-4d6f-9a1b-3c5e7f9b1d2f"


def record(ts: float, kind: str, payload: dict) -> dict:
    return {"timestamp": ts, "message": {"type": kind, "payload": payload}}


def status(ts: float, message_id: str | None, other=1200, out=380, read=24000, write=0) -> dict:
    payload = {"context_usage": 0.12, "context_tokens": 25200, "max_context_tokens": 262144,
               "token_usage": {"input_other": other, "output": out, "input_cache_read": read,
                               "input_cache_creation": write},
               "message_id": message_id, "plan_mode": False, "mcp_status": None}
    return record(ts, "StatusUpdate", payload)


def forwarded(event: dict, agent_id: str | None = "agent-7") -> dict:
    payload = {"parent_tool_call_id": "tool_call_1", "subagent_type": "coder", "event": event["message"]}
    if agent_id:
        payload["agent_id"] = agent_id
    else:
        payload = {"task_tool_call_id": "tool_call_1", "event": event["message"]}  # releases before March 2026
    return record(event["timestamp"] + 0.004, "SubagentEvent", payload)


def write(path: Path, records: list, header=True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"type": "metadata", "protocol_version": "1.10"})] if header else []
    path.write_text("".join(line + "\n" for line in lines + [json.dumps(r) for r in records]))
    return path


def share(home: Path) -> Path:
    return home / ".kimi"


def wire(home: Path, session=SESSION) -> Path:
    return share(home) / "sessions" / FOLDER / session / "wire.jsonl"


def setup_share(home: Path, model="kimi-k2-turbo-preview") -> None:
    share(home).mkdir(parents=True, exist_ok=True)
    (share(home) / "kimi.json").write_text(json.dumps({"work_dirs": [
        {"path": WORK_DIR, "kaos": "local", "last_session_id": SESSION}]}))
    (share(home) / "config.toml").write_text(
        'default_model = "kimi-fast"\n\n[models.kimi-fast]\nprovider = "moonshot"\n'
        f'model = "{model}"\nmax_context_size = 262144\n\n[providers.moonshot]\ntype = "kimi"\n'
        'base_url = "https://api.moonshot.ai/v1"\napi_key = "sk-secret"\n')


def test_one_record_per_step_with_model_from_config(tmp_path):
    setup_share(tmp_path)
    path = write(wire(tmp_path), [
        record(1767225600.0, "TurnBegin", {"user_input": "private: add a lead form"}),
        record(1767225600.5, "StepBegin", {"n": 1}),
        status(1767225604.25, "chatcmpl-aaa111"),
        record(1767225605.0, "StatusUpdate", {"plan_mode": True}),
        status(1767225609.0, "chatcmpl-bbb222", other=300, out=45, read=25100),
        status(1767225610.0, "chatcmpl-ccc333", other=0, out=0, read=0),
    ])
    result = SOURCE.parse(path, None)
    first, second = result.records
    assert first.request_id == "kimi-cli:chatcmpl-aaa111" and first.source == "kimi-cli"
    assert (first.input_tokens, first.output_tokens, first.cache_read_tokens, first.cache_creation_tokens) == (1200, 380, 24000, 0)
    assert first.timestamp == datetime(2026, 1, 1, 0, 0, 4, 250000, tzinfo=timezone.utc)
    assert (first.model, first.model_estimated) == ("kimi-k2-turbo-preview", True)
    assert (first.session_id, first.project) == (SESSION, WORK_DIR)
    assert second.output_tokens == 45 and result.skipped["no usage"] == 1
    assert "private" not in repr(result.records) and "secret" not in repr(result.records)


def test_subagent_steps_count_once_whichever_logs_hold_them(tmp_path):
    setup_share(tmp_path)
    step = status(1767225700.0, "chatcmpl-sub1", other=50, out=20, read=900)
    anonymous = status(1767225701.0, None, other=60, out=21, read=0)
    main = write(wire(tmp_path), [status(1767225690.0, "chatcmpl-main1"), forwarded(step), forwarded(anonymous)])
    own = write(wire(tmp_path).parent / "subagents" / "agent-7" / "wire.jsonl", [step, anonymous])
    parsed = SOURCE.parse(main, None)
    assert parsed.skipped["forwarded sub-agent step"] == 1  # its own log counts it
    merged = SOURCE.merge(parsed.records + SOURCE.parse(own, None).records)
    assert sorted(r.output_tokens for r in merged) == [20, 21, 380]
    # Before sub-agents had their own logs, the forwarded copy was the only one.
    old = write(wire(tmp_path, "old-session"), [forwarded(anonymous, agent_id=None)], header=False)
    (only,) = SOURCE.parse(old, None).records
    assert only.output_tokens == 21 and only.request_id.startswith("kimi-cli:t1767225701.004:")


def test_forked_session_copies_count_once(tmp_path):
    setup_share(tmp_path)
    lines = [status(1767225604.25, "chatcmpl-aaa111"), status(1767225609.0, None, out=7)]
    original = write(wire(tmp_path), lines)
    fork = write(wire(tmp_path, "fork-session"), lines)  # session_fork.py copies wire lines verbatim
    merged = SOURCE.merge(SOURCE.parse(original, None).records + SOURCE.parse(fork, None).records)
    assert sorted(r.output_tokens for r in merged) == [7, 380]


def test_resume_bad_lines_and_missing_config(tmp_path):
    path = write(wire(tmp_path), [status(1767225604.25, "chatcmpl-aaa111")])
    first = SOURCE.parse(path, None)
    assert (first.records[0].model, first.records[0].project) == ("kimi-for-coding", FOLDER)
    with path.open("a") as handle:
        handle.write('{"timestamp": 1.0, "message": {"type": "StatusUpdate", "payload": {"token_usage": \n')
        handle.write(json.dumps({"timestamp": "soon", "message": {"type": "StatusUpdate", "token_usage": 1}}) + "\n")
        handle.write(json.dumps(status(1767225700.0, "chatcmpl-ddd444", out=11)) + "\n")
    again = SOURCE.parse(path, first.checkpoint)
    assert [r.output_tokens for r in again.records] == [11]
    assert (again.skipped["malformed line"], again.skipped["unknown format"]) == (1, 1)


def test_discovery_with_share_dir_override(tmp_path):
    home = tmp_path / "home"
    main = write(wire(home), [])
    sub = write(wire(home).parent / "subagents" / "agent-1" / "wire.jsonl", [])
    (wire(home).parent / "context.jsonl").write_text("{}\n")
    assert SOURCE.discover({}, home) == sorted([main, sub])
    custom = write(tmp_path / "kimi-share" / "sessions" / FOLDER / "s" / "wire.jsonl", [])
    assert SOURCE.discover({"KIMI_SHARE_DIR": str(tmp_path / "kimi-share")}, home) == [custom]
