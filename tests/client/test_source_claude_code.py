"""Claude Code transcripts: one record per model response, from files shaped like Claude Code 1.0-2.1."""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from burntop.client.sources.claude_code import SOURCE

SESSION = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
CWD = "/home/dev/src/shop"


def assistant(message_id, request_id="req_011CTest", *, output=90, at="2025-10-01T12:00:00.000Z",
              block=None, model="claude-sonnet-4-5-20250929", cache_write=300, one_hour=100, **extra):
    """One assistant line as Claude Code writes it (one per content block of a response)."""
    usage = {"input_tokens": 4, "cache_creation_input_tokens": cache_write, "cache_read_input_tokens": 20_000,
             "cache_creation": {"ephemeral_5m_input_tokens": cache_write - one_hour,
                                "ephemeral_1h_input_tokens": one_hour},
             "output_tokens": output, "service_tier": "standard"}
    line = {"parentUuid": "8d9c0b1a-0000-4000-8000-000000000001", "isSidechain": False, "userType": "external",
            "cwd": CWD, "sessionId": SESSION, "version": "2.0.14", "gitBranch": "main",
            "message": {"model": model, "id": message_id, "type": "message", "role": "assistant",
                        "content": [block or {"type": "text", "text": "Done."}], "stop_reason": None,
                        "stop_sequence": None, "usage": usage},
            "type": "assistant", "uuid": f"uuid-{message_id}-{output}", "timestamp": at}
    if request_id:
        line["requestId"] = request_id
    line.update(extra)
    return json.dumps(line, separators=(",", ":"))


def user(text='print(resp["usage"]); role = "assistant"'):
    """A tool-result line whose text mentions "usage" and "assistant" (escaped inside the JSON)."""
    return json.dumps({"parentUuid": None, "isSidechain": False, "type": "user", "sessionId": SESSION, "cwd": CWD,
                       "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1",
                                                                "content": text}]},
                       "toolUseResult": {"stdout": text, "stderr": ""}, "uuid": "u1",
                       "timestamp": "2025-10-01T11:59:00.000Z"}, separators=(",", ":"))


def write(path: Path, *lines: str, newline: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + ("\n" if newline else ""))
    return path


def append(path: Path, *lines: str) -> None:
    with open(path, "a") as handle:
        handle.write("\n".join(lines) + "\n")


def parse(path, checkpoint=None):
    return SOURCE.parse(path, checkpoint)


def test_one_record_per_response_with_the_largest_usage_and_first_timestamp(tmp_path):
    path = write(tmp_path / "s.jsonl",
                 user(),
                 assistant("msg_A", output=3, at="2025-10-01T12:00:00.100Z"),          # streaming snapshot
                 assistant("msg_A", output=90, at="2025-10-01T12:00:01.000Z",
                           block={"type": "thinking", "thinking": "...", "signature": "x"}),
                 assistant("msg_A", output=90, at="2025-10-01T12:00:02.000Z",
                           block={"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {}}),
                 assistant("msg_B", "req_011CB", output=7, at="2025-10-01T12:01:00.000Z"))
    result = parse(path)
    records = {r.request_id: r for r in result.records}
    assert set(records) == {"claude-code:msg_A", "claude-code:msg_B"}
    a = records["claude-code:msg_A"]
    assert (a.output_tokens, a.input_tokens, a.cache_read_tokens, a.cache_creation_tokens) == (90, 4, 20_000, 300)
    assert a.cache_creation_1h_tokens == 100 and a.reasoning_tokens == 0
    assert a.timestamp == datetime(2025, 10, 1, 12, 0, 0, 100_000, tzinfo=timezone.utc)
    assert (a.model, a.session_id, a.project, a.source) == ("claude-sonnet-4-5-20250929", SESSION, CWD, "claude-code")
    assert a.logged_cost is None and not a.model_estimated
    assert a.total_tokens == 4 + 90 + 300 + 20_000
    assert result.skipped["no usage"] == 1


def test_without_request_id_the_message_id_alone_dedupes(tmp_path):
    path = write(tmp_path / "s.jsonl", assistant("msg_A", None, output=5), assistant("msg_A", None, output=50))
    [record] = parse(path).records
    assert (record.request_id, record.output_tokens) == ("claude-code:msg_A", 50)


def test_copies_with_and_without_request_id_are_one_response(tmp_path):
    path = write(tmp_path / "s.jsonl", assistant("msg_A", None, output=80), assistant("msg_A", "req_1", output=60))
    result = parse(path)
    [record] = result.records
    assert (record.request_id, record.output_tokens) == ("claude-code:msg_A", 80)
    assert result.seen == 2 and sum(result.folded.values()) == 1
    other = write(tmp_path / "b.jsonl", assistant("msg_B", None, output=9))
    third = write(tmp_path / "c.jsonl", assistant("msg_B", "req_2", output=9))
    merged = SOURCE.merge(parse(other).records + parse(third).records)
    assert [r.request_id for r in merged] == ["claude-code:msg_B"]


def test_sidechain_and_subagent_replays_count_once(tmp_path):
    projects = tmp_path / ".claude" / "projects" / "-home-dev-src-shop"
    main = write(projects / f"{SESSION}.jsonl", assistant("msg_A", output=40),
                 assistant("msg_S", "req_S", output=12, isSidechain=True))
    agent = write(projects / SESSION / "subagents" / "agent-1a2b3c4d.jsonl",
                  assistant("msg_S", "req_S", output=12, isSidechain=True, agentId="1a2b3c4d"))
    assert SOURCE.discover({}, tmp_path) == sorted([main, agent])
    records = [r for p in SOURCE.discover({}, tmp_path) for r in parse(p).records]
    assert len(records) == 3
    merged = SOURCE.merge(records)
    assert sorted(r.request_id for r in merged) == ["claude-code:msg_A", "claude-code:msg_S"]


def btw_session(tmp_path):
    """A main transcript and a /btw side-question file that replays its parent message.

    The replay has the parent's message.id, another requestId, isSidechain and a later time; its
    cache reads are the parent's (here larger, as a replay re-reads the whole prefix)."""
    projects = tmp_path / ".claude" / "projects" / "-home-dev-src-shop"
    main = write(projects / f"{SESSION}.jsonl", user(),
                 assistant("msg_P", "req_011CParent", output=400, at="2025-10-01T12:00:00.000Z"))
    side = projects / SESSION / "subagents" / "agent-aside_question-5e6f7a8b.jsonl"
    replay = json.loads(assistant("msg_P", "req_011CReplay", output=400, at="2025-10-01T12:07:00.000Z",
                                  isSidechain=True, agentId="aside_question-5e6f7a8b"))
    replay["message"]["usage"]["cache_read_input_tokens"] = 31_000
    answer = assistant("msg_Q", "req_011CAnswer", output=55, at="2025-10-01T12:07:05.000Z", isSidechain=True,
                       agentId="aside_question-5e6f7a8b")
    return main, side, json.dumps(replay, separators=(",", ":")), answer


def test_a_btw_replay_counts_once_and_the_main_chain_copy_is_kept(tmp_path):
    main, side, replay, answer = btw_session(tmp_path)
    write(side, replay, answer)
    records = [r for p in (main, side) for r in parse(p).records]
    assert sorted(r.request_id for r in records) == ["claude-code:msg_P", "claude-code:msg_P", "claude-code:msg_Q"]
    merged = {r.request_id: r for r in SOURCE.merge(records)}
    assert set(merged) == {"claude-code:msg_P", "claude-code:msg_Q"}
    parent = merged["claude-code:msg_P"]
    # the main-chain copy wins although the replay's usage is larger
    assert (parent.cache_read_tokens, parent.priority) == (20_000, 1)
    assert parent.timestamp == datetime(2025, 10, 1, 12, 0, tzinfo=timezone.utc)
    assert merged["claude-code:msg_Q"].output_tokens == 55


def test_without_a_main_chain_copy_the_largest_usage_is_kept(tmp_path):
    _, side, replay, _ = btw_session(tmp_path)
    other = tmp_path / "other" / "subagents" / "agent-aside_question-0000.jsonl"
    write(side, replay)
    write(other, assistant("msg_P", "req_011CThird", output=400, isSidechain=True))
    [kept] = SOURCE.merge(parse(side).records + parse(other).records)
    assert kept.cache_read_tokens == 31_000


def test_the_request_id_does_not_depend_on_which_copy_is_read_first(tmp_path):
    # incremental sync: the copies live in files read on different runs; both give one id
    main, side, replay, answer = btw_session(tmp_path)
    first_run = parse(main)
    write(side, replay, answer)
    second_run = parse(side)
    assert [r.request_id for r in first_run.records] == ["claude-code:msg_P"]
    assert {r.request_id for r in second_run.records} == {"claude-code:msg_P", "claude-code:msg_Q"}
    reversed_order = SOURCE.merge(second_run.records + first_run.records)
    in_order = SOURCE.merge(first_run.records + second_run.records)
    key = lambda r: (r.request_id, r.cache_read_tokens, r.timestamp)  # noqa: E731
    assert sorted(map(key, reversed_order)) == sorted(map(key, in_order))


def test_a_resumed_session_copy_keeps_the_original_time(tmp_path):
    first = write(tmp_path / "a.jsonl", assistant("msg_A", output=40, at="2025-10-01T12:00:00Z"))
    resumed = write(tmp_path / "b.jsonl", assistant("msg_A", output=40, at="2025-10-03T09:00:00Z"),
                    assistant("msg_N", "req_N", at="2025-10-03T09:01:00Z"))
    merged = SOURCE.merge(parse(resumed).records + parse(first).records)
    by_id = {r.request_id: r for r in merged}
    assert len(merged) == 2
    assert by_id["claude-code:msg_A"].timestamp.day == 1


def test_synthetic_malformed_truncated_and_usage_less_lines_are_skipped_and_counted(tmp_path):
    synthetic = assistant("2c6c3d9e-0000-4000-8000-00000000abcd", None, output=0, cache_write=0, one_hour=0,
                          model="<synthetic>", isApiErrorMessage=True)
    no_usage = json.dumps({"type": "assistant", "message": {"id": "msg_X", "role": "assistant", "content": []},
                           "timestamp": "2025-10-01T12:00:00Z"})
    path = write(tmp_path / "s.jsonl",
                 json.dumps({"type": "summary", "summary": "Fix the cart", "leafUuid": "l1"}),
                 synthetic,
                 assistant("msg_A")[:-40],                      # cut mid-line: malformed
                 no_usage,
                 "",
                 assistant("msg_B", "req_B", at="not a time"),
                 assistant("msg_C", "req_C"),
                 assistant("msg_D", "req_D")[:120], newline=False)  # still being written
    result = parse(path)
    assert [r.request_id for r in result.records] == ["claude-code:msg_C"]
    assert result.skipped == {"synthetic message": 1, "malformed line": 1, "no usage": 3, "bad timestamp": 1}
    assert result.checkpoint["offset"] == path.stat().st_size - 120
    with open(path, "a") as handle:
        handle.write(assistant("msg_D", "req_D")[120:] + "\n")
    again = parse(path, result.checkpoint)
    assert [r.request_id for r in again.records] == ["claude-code:msg_D"]
    assert not again.skipped


def test_tool_output_and_task_results_are_not_responses(tmp_path):
    # A Task result sums its sub-agent's usage; those responses are counted from the sub-agent's lines.
    task = json.dumps({"type": "user", "timestamp": "2025-10-01T12:00:00Z", "message": {"role": "user", "content": []},
                       "toolUseResult": {"status": "completed", "content": [{"role": "assistant", "text": "ok"}],
                                         "totalTokens": 5000, "usage": {"input_tokens": 9, "output_tokens": 99}}})
    path = write(tmp_path / "s.jsonl", user(), user('{"type":"assistant","usage":{"output_tokens":99}}'), task)
    result = parse(path)
    assert result.records == [] and result.skipped == {"no usage": 3}


def test_time_zones_are_normalised_to_utc(tmp_path):
    path = write(tmp_path / "s.jsonl", assistant("msg_A", "r1", at="2025-10-01T23:30:00+02:00"),
                 assistant("msg_B", "r2", at="2025-10-01T23:30:00"))
    a, b = parse(path).records
    assert a.timestamp == datetime(2025, 10, 1, 21, 30, tzinfo=timezone.utc)
    assert b.timestamp == datetime(2025, 10, 1, 23, 30, tzinfo=timezone.utc)
    assert a.timestamp.utcoffset().total_seconds() == 0


def test_logged_cost_old_cache_fields_and_missing_model(tmp_path):
    old = json.dumps({"type": "assistant", "sessionId": "s-old", "costUSD": 0.0123, "requestId": "req_old",
                      "timestamp": "2025-05-20T08:00:00.000Z",
                      "message": {"id": "msg_old", "model": "claude-3-7-sonnet-20250219",
                                  "usage": {"input_tokens": 10, "output_tokens": 20,
                                            "cache_creation_input_tokens": None, "cache_read_input_tokens": 5}}})
    split_only = json.dumps({"type": "assistant", "timestamp": "2025-10-01T08:00:00Z",
                             "message": {"id": "msg_new", "usage": {
                                 "input_tokens": 1, "output_tokens": 2,
                                 "cache_creation": {"ephemeral_5m_input_tokens": 30,
                                                    "ephemeral_1h_input_tokens": 70}}}})
    a, b = parse(write(tmp_path / "s.jsonl", old, split_only)).records
    assert (a.logged_cost, a.cache_creation_tokens, a.cache_read_tokens, a.model) == (
        0.0123, 0, 5, "claude-3-7-sonnet-20250219")
    assert (b.cache_creation_tokens, b.cache_creation_1h_tokens, b.model_estimated) == (100, 70, True)
    assert b.session_id is None and b.project is None


def test_discovery_honours_claude_config_dir_lists_and_defaults(tmp_path):
    home = tmp_path / "home"
    xdg = write(home / ".config" / "claude" / "projects" / "p" / "a.jsonl", assistant("m1"))
    legacy = write(home / ".claude" / "projects" / "p" / "b.jsonl", assistant("m2"))
    custom = [write(tmp_path / f"cfg{i}" / "projects" / "p" / "c.jsonl", assistant("m3")) for i in (1, 2)]
    (home / ".claude" / "projects" / "p" / "notes.txt").write_text("x")
    assert SOURCE.discover({}, home) == sorted([xdg, legacy])
    env = {"CLAUDE_CONFIG_DIR": f"{tmp_path / 'cfg1'},{tmp_path / 'cfg2'}"}
    assert SOURCE.discover(env, home) == custom
    moved = write(tmp_path / "xdg" / "claude" / "projects" / "p" / "d.jsonl", assistant("m4"))
    assert moved in SOURCE.discover({"XDG_CONFIG_HOME": str(tmp_path / "xdg")}, home)
    assert SOURCE.discover({}, tmp_path / "nobody") == []


def test_incremental_parse_reads_only_appended_lines_and_rereads_replaced_files(tmp_path):
    path = write(tmp_path / "s.jsonl", assistant("msg_A", output=5), user())
    first = parse(path)
    assert [r.request_id for r in first.records] == ["claude-code:msg_A"]
    assert parse(path, first.checkpoint).records == []
    append(path, assistant("msg_A", output=60), assistant("msg_B", "req_B"))
    second = parse(path, first.checkpoint)
    # The response finished after the first run: the same request_id with the larger usage.
    assert [(r.request_id, r.output_tokens) for r in second.records] == [
        ("claude-code:msg_A", 60), ("claude-code:msg_B", 90)]
    assert second.checkpoint["offset"] == path.stat().st_size
    write(path, assistant("msg_Z", "req_Z"))  # truncated and rewritten
    assert [r.request_id for r in parse(path, second.checkpoint).records] == ["claude-code:msg_Z"]
    replaced = tmp_path / "new.jsonl"
    write(replaced, assistant("msg_Y", "req_Y"), assistant("msg_X", "req_X"), user(), user(), user())
    os.replace(replaced, path)  # a different inode, even though it is larger
    assert {r.request_id for r in parse(path, second.checkpoint).records} == {
        "claude-code:msg_Y", "claude-code:msg_X"}


def test_request_ids_are_stable_across_runs_and_payloads_hold_no_paths(tmp_path):
    path = write(tmp_path / "s.jsonl", assistant("msg_A"), assistant("msg_B", "req_B"))
    ids = [r.request_id for r in parse(path).records]
    assert ids == [r.request_id for r in parse(path).records] == [
        "claude-code:msg_A", "claude-code:msg_B"]
    payload = parse(path).records[0].to_payload("salt")
    assert CWD not in json.dumps(payload) and payload["cacheCreation1hTokens"] == 100


def test_unreadable_files_never_raise(tmp_path):
    result = parse(tmp_path / "missing.jsonl", {"offset": 10})
    assert result.records == [] and result.skipped == {"unreadable file": 1}
    assert result.checkpoint == {"offset": 10}
    empty = write(tmp_path / "empty.jsonl", newline=False)
    assert parse(empty).records == [] and parse(empty).checkpoint["offset"] == 0


def test_source_contract():
    assert (SOURCE.name, SOURCE.label) == ("claude-code", "Claude Code")
    assert "1.0" in SOURCE.formats
