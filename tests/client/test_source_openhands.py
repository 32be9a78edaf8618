"""OpenHands conversations: one record per SDK TokenUsage, LiteLLM input semantics, times from events."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from burntop.client.sources.openhands import SOURCE

CONV = "8f14e45fceea4c7aa2b1d3e5f7a9c0b2"


def usage(response_id: str, prompt: int, completion: int, read=0, write=0, reasoning=0,
          model="litellm_proxy/claude-sonnet-4-5-20250929") -> dict:
    return {"model": model, "prompt_tokens": prompt, "completion_tokens": completion, "cache_read_tokens": read,
            "cache_write_tokens": write, "reasoning_tokens": reasoning, "context_window": 200000,
            "per_turn_token": prompt + completion, "response_id": response_id}


def state(agent_usages: list, condenser_usages: list | None = None) -> dict:
    metrics = {"agent": {"model_name": "litellm_proxy/claude-sonnet-4-5-20250929", "accumulated_cost": 0.42,
                         "accumulated_token_usage": usage("", 0, 0), "costs": [{"model": "x", "cost": 0.1, "timestamp": 1.0}],
                         "response_latencies": [], "token_usages": agent_usages}}
    if condenser_usages is not None:
        metrics["condenser"] = {"model_name": "openai/gpt-5-mini", "token_usages": condenser_usages}
    return {"id": CONV, "agent": {"kind": "Agent", "llm": {"model": "litellm_proxy/claude-sonnet-4-5-20250929",
                                                            "api_key": "**********", "usage_id": "agent"}},
            "workspace": {"kind": "LocalWorkspace", "working_dir": "/home/dev/infra"},
            "execution_status": "finished", "stats": {"usage_to_metrics": metrics},
            "secret_registry": {"secret_sources": {}}}


def event(index: int, event_id: str, at: str, kind: str, response_id: str | None = None, text="private output") -> dict:
    item = {"id": event_id, "timestamp": at, "source": "agent", "kind": kind,
            "thought": [{"type": "text", "text": text}]}
    if response_id:
        item["llm_response_id"] = response_id
    return item


def write_conversation(root: Path, base: dict, events: list) -> Path:
    folder = root / CONV
    (folder / "events").mkdir(parents=True)
    for index, item in enumerate(events):
        (folder / "events" / f"event-{index:05d}-{item['id']}.json").write_text(json.dumps(item))
    (folder / "base_state.json").write_text(json.dumps(base))
    return folder / "base_state.json"


def conversations(home: Path) -> Path:
    return home / ".openhands" / "conversations"


def test_one_record_per_call_with_litellm_input_semantics(tmp_path):
    path = write_conversation(conversations(tmp_path), state(
        [usage("msg_01A", prompt=21000, completion=600, read=19000, write=1500),
         usage("chatcmpl-2", prompt=5000, completion=900, read=4000, reasoning=300, model="openai/gpt-5"),
         usage("", 0, 0),
         usage("acp-3", prompt=120, completion=40, read=9000)]),  # reported apart: prompt < cache reads
        [event(0, "e0", "2026-05-04T10:00:00.000000", "MessageEvent", text="private: deploy"),
         event(1, "e1", "2026-05-04T10:00:09.500000+00:00", "ActionEvent", "msg_01A"),
         event(2, "e2", "2026-05-04T10:00:10.000000+00:00", "ActionEvent", "msg_01A"),
         event(3, "e3", "2026-05-04T10:01:00+00:00", "ActionEvent", "chatcmpl-2")])
    result = SOURCE.parse(path, None)
    a, b, c = result.records
    assert a.source == "openhands" and a.request_id == "openhands:msg_01A"
    assert (a.input_tokens, a.cache_read_tokens, a.cache_creation_tokens, a.output_tokens) == (500, 19000, 1500, 600)
    assert a.timestamp == datetime(2026, 5, 4, 10, 0, 9, 500000, tzinfo=timezone.utc)
    assert (a.model, a.session_id, a.project, a.logged_cost) == (
        "litellm_proxy/claude-sonnet-4-5-20250929", CONV, "/home/dev/infra", None)
    assert (b.input_tokens, b.cache_read_tokens, b.output_tokens, b.reasoning_tokens) == (1000, 4000, 900, 300)
    assert (c.input_tokens, c.cache_read_tokens) == (120, 9000)
    assert c.timestamp == b.timestamp  # no event names it: the call before it
    assert result.skipped["no usage"] == 1
    assert "private" not in repr(result.records) and "**" not in repr(result.records)


def test_condenser_calls_and_ids_without_response_id(tmp_path):
    path = write_conversation(conversations(tmp_path), state(
        [usage("msg_01A", 100, 10)], [usage("", 3000, 200, model="openai/gpt-5-mini")]),
        [event(0, "e0", "2026-05-04T09:59:00+00:00", "MessageEvent"),
         event(1, "e1", "2026-05-04T10:00:09+00:00", "ActionEvent", "msg_01A")])
    agent, condenser = SOURCE.parse(path, None).records
    assert condenser.request_id == f"openhands:{CONV}:condenser:0" and condenser.model == "openai/gpt-5-mini"
    assert condenser.timestamp == datetime(2026, 5, 4, 9, 59, tzinfo=timezone.utc)  # the first event
    assert agent.request_id == "openhands:msg_01A"


def test_forked_copies_unchanged_files_and_bad_state(tmp_path):
    base = state([usage("msg_01A", 100, 10)])
    original = write_conversation(conversations(tmp_path), base, [])
    fork = write_conversation(tmp_path / "elsewhere", {**base, "id": "f0"}, [])
    merged = SOURCE.merge(SOURCE.parse(original, None).records + SOURCE.parse(fork, None).records)
    assert len(merged) == 1
    first = SOURCE.parse(original, None)
    assert SOURCE.parse(original, first.checkpoint).records == []
    original.write_text('{"id": "x", "stats": ')
    assert SOURCE.parse(original, first.checkpoint).skipped["malformed file"] == 1
    original.write_text(json.dumps([1]))
    assert SOURCE.parse(original, None).skipped["unknown format"] == 1


def test_discovery_with_persistence_overrides(tmp_path):
    home = tmp_path / "home"
    default = write_conversation(conversations(home), state([]), [])
    assert SOURCE.discover({}, home) == [default]
    persist = write_conversation(tmp_path / "persist" / "conversations", state([]), [])
    assert SOURCE.discover({"OPENHANDS_PERSISTENCE_DIR": str(tmp_path / "persist")}, home) == [persist]
    conv = write_conversation(tmp_path / "conv", state([]), [])
    assert SOURCE.discover({"OPENHANDS_CONVERSATIONS_DIR": str(tmp_path / "conv"),
                            "OPENHANDS_PERSISTENCE_DIR": str(tmp_path / "persist")}, home) == [conv]
