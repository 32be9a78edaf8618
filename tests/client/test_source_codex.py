"""Codex CLI rollouts: one record per model call, from files shaped like codex-rs 0.2x-0.15x rollouts."""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from burntop.client.sources.codex import SOURCE

PARENT = "0199a213-81c0-7800-8aa1-bbab2a035a53"
CHILD = "0199a3f0-0c11-7a22-9b33-4c44d55e66f7"
GRANDCHILD = "0199a4aa-1234-7bcd-8ef0-123456789abc"
CWD = "/home/dev/src/api"


def line(kind: str, payload: dict, at: str) -> str:
    return json.dumps({"timestamp": at, "type": kind, "payload": payload}, separators=(",", ":"))


def usage(fresh: int, cached: int, output: int, reasoning: int, written: int | None = None) -> dict:
    value = {"input_tokens": fresh, "cached_input_tokens": cached, "output_tokens": output,
             "reasoning_output_tokens": reasoning, "total_tokens": fresh + output}
    if written is not None:
        value["cache_write_input_tokens"] = written
    return value


class Rollout:
    """Builds a rollout the way codex-rs writes it; totals accumulate like Codex's TokenUsageInfo."""

    def __init__(self, thread: str | None = PARENT, forked_from: str | None = None, day: int = 1,
                 provider: str = "openai"):
        self.lines: list[str] = []
        self.total = [0, 0, 0, 0, 0]   # input, cached, output, reasoning, cache writes
        self.minute = 0
        self.day = day
        if thread:
            self.lines.append(line("session_meta", {
                "id": thread, "forked_from_id": forked_from, "timestamp": self.at(), "cwd": CWD,
                "originator": "codex_cli_rs", "cli_version": "0.46.0", "source": "cli",
                "model_provider": provider, "base_instructions": {"text": "You are Codex, ..."}}, self.at()))

    def at(self) -> str:
        self.minute += 1
        return f"2025-10-{self.day:02d}T{10 + self.minute // 60:02d}:{self.minute % 60:02d}:00.000Z"

    def context(self, model: str = "gpt-5-codex", cwd: str = CWD) -> Rollout:
        self.lines.append(line("turn_context", {"cwd": cwd, "approval_policy": "on-request",
                                                "sandbox_policy": {"type": "workspace-write"}, "model": model,
                                                "effort": "medium", "summary": "auto"}, self.at()))
        return self

    def chat(self) -> Rollout:
        at = self.at()
        self.lines.append(line("response_item", {"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": 'fix "token_count" in parser'}]}, at))
        self.lines.append(line("event_msg", {"type": "agent_message", "message": "Done."}, at))
        self.lines.append(line("event_msg", {"type": "token_count", "info": None,
                                             "rate_limits": {"primary": {"used_percent": 3.0}}}, at))
        return self

    def call(self, fresh: int, cached: int, output: int, reasoning: int, written: int | None = None,
             last: bool = True, repeat: bool = False) -> Rollout:
        step = [fresh, cached, output, reasoning, written or 0]
        self.total = [a + b for a, b in zip(self.total, step)]
        info = {"total_token_usage": usage(*self.total[:4], written=self.total[4] if written is not None else None),
                "model_context_window": 272000}
        if last:
            info["last_token_usage"] = usage(fresh, cached, output, reasoning, written)
        event = line("event_msg", {"type": "token_count", "info": info, "rate_limits": None}, self.at())
        self.lines.append(event)
        if repeat:  # the same totals again, as on a rate-limit update
            self.lines.append(event)
        return self

    def copy_of(self, parent: Rollout, upto: int | None = None) -> Rollout:
        """A fork: the parent's lines (its session_meta too), re-stamped with the fork time."""
        stamp = self.at()
        for text in parent.lines[:upto]:
            obj = json.loads(text)
            obj["timestamp"] = stamp
            self.lines.append(json.dumps(obj, separators=(",", ":")))
        return self

    def seed(self, parent: Rollout, upto: int | None = None) -> Rollout:
        """Totals continue from the parent's last token_count in the copied part (Codex seeds them)."""
        for text in reversed(parent.lines[:upto]):
            payload = json.loads(text)["payload"]
            if payload.get("type") == "token_count" and payload.get("info"):
                tot = payload["info"]["total_token_usage"]
                self.total = [tot["input_tokens"], tot["cached_input_tokens"], tot["output_tokens"],
                              tot["reasoning_output_tokens"], tot.get("cache_write_input_tokens", 0)]
                break
        return self

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(self.lines) + "\n")
        return path


def rollout_path(home: Path, thread: str, day: int = 1, folder: str = "sessions") -> Path:
    name = f"rollout-2025-10-{day:02d}T10-00-00-{thread}.jsonl"
    if folder == "sessions":
        return home / ".codex" / "sessions" / "2025" / "10" / f"{day:02d}" / name
    return home / ".codex" / folder / name


def summary(records):
    return [(r.request_id, r.input_tokens, r.cache_read_tokens, r.cache_creation_tokens, r.output_tokens,
             r.reasoning_tokens, r.model, r.model_estimated, r.timestamp, r.session_id) for r in records]


def test_turns_become_records_with_codex_semantics(tmp_path):
    path = (Rollout().context().chat().call(10_000, 8_000, 500, 200, repeat=True).chat()
            .call(12_000, 9_984, 80, 0).write(rollout_path(tmp_path, PARENT)))
    result = SOURCE.parse(path, None)
    first, second = result.records
    assert first.request_id == f"codex:{PARENT}:10500:10000-8000-0-500-200"
    # Codex input includes cached tokens and its output includes reasoning: neither is counted twice.
    assert (first.input_tokens, first.cache_read_tokens, first.output_tokens, first.reasoning_tokens) == (
        2_000, 8_000, 500, 200)
    assert first.total_tokens == 10_500
    assert (second.input_tokens, second.cache_read_tokens, second.output_tokens) == (2_016, 9_984, 80)
    assert (first.model, first.model_estimated, first.session_id, first.project, first.provider) == (
        "gpt-5-codex", False, PARENT, CWD, "openai")
    assert first.timestamp.tzinfo is not None and first.source == "codex"
    assert result.skipped["repeated total"] == 1
    assert result.skipped["no usage"] == 2 * 3  # user message, agent message, rate-limit-only event


def test_cache_writes_of_newer_codex_leave_input(tmp_path):
    path = (Rollout().context("gpt-5.6-terra").call(58_697, 57_817, 227, 9, written=500)
            .write(rollout_path(tmp_path, PARENT)))
    [record] = SOURCE.parse(path, None).records
    assert (record.input_tokens, record.cache_read_tokens, record.cache_creation_tokens) == (380, 57_817, 500)
    assert record.total_tokens == 58_697 + 227


def test_without_last_usage_the_totals_delta_counts_and_a_reset_starts_over(tmp_path):
    session = Rollout().context().call(1_000, 0, 100, 10, last=False).call(1_500, 1_000, 50, 0, last=False)
    session.total = [0, 0, 0, 0, 0]  # a restart that did not restore the totals
    session.call(700, 0, 70, 0, last=False)
    records = SOURCE.parse(session.write(rollout_path(tmp_path, PARENT)), None).records
    assert [(r.input_tokens, r.cache_read_tokens, r.output_tokens, r.reasoning_tokens) for r in records] == [
        (1_000, 0, 100, 10), (500, 1_000, 50, 0), (700, 0, 70, 0)]


def test_model_follows_turn_context_and_defaults_when_unknown(tmp_path):
    session = Rollout().call(100, 0, 10, 0).context("gpt-5").call(100, 0, 10, 0).context("o4-mini").call(100, 0, 10, 0)
    records = SOURCE.parse(session.write(rollout_path(tmp_path, PARENT)), None).records
    assert [(r.model, r.model_estimated) for r in records] == [
        ("gpt-5", True), ("gpt-5", False), ("o4-mini", False)]


def test_incremental_parse_from_any_offset_matches_a_full_parse(tmp_path):
    session = (Rollout().context().chat().call(9_000, 6_000, 300, 120, repeat=True).context("gpt-5")
               .chat().call(9_500, 9_000, 40, 0).call(10_000, 9_400, 900, 500, last=False).chat())
    full_path = session.write(tmp_path / "full" / f"rollout-2025-10-01T10-00-00-{PARENT}.jsonl")
    full = summary(SOURCE.parse(full_path, None).records)
    text = full_path.read_text()
    cuts = [i + 1 for i, ch in enumerate(text) if ch == "\n"] + [len(text) // 3, len(text) // 2]
    path = rollout_path(tmp_path, PARENT)
    path.parent.mkdir(parents=True)
    for cut in cuts:
        path.write_text(text[:cut])
        first = SOURCE.parse(path, None)
        json.dumps(first.checkpoint)  # checkpoints are stored as JSON
        with open(path, "a") as handle:
            handle.write(text[cut:])
        second = SOURCE.parse(path, json.loads(json.dumps(first.checkpoint)))
        assert summary(first.records + second.records) == full, cut
        assert second.checkpoint["offset"] == len(text.encode())
        assert SOURCE.parse(path, second.checkpoint).records == []


def test_forked_and_spawned_threads_do_not_count_the_copied_history_again(tmp_path):
    parent = Rollout(PARENT).context().chat().call(8_000, 0, 400, 100).chat().call(9_000, 7_900, 300, 0)
    fork_at = len(parent.lines)
    parent.chat().call(9_500, 9_000, 120, 40)                       # the parent goes on after the fork
    child = (Rollout(CHILD, forked_from=PARENT, day=2).copy_of(parent, fork_at).seed(parent, fork_at)
             .context().chat().call(9_800, 9_200, 60, 0))
    grandchild = (Rollout(GRANDCHILD, forked_from=CHILD, day=3).copy_of(child).seed(child)
                  .context("gpt-5").call(10_000, 9_700, 30, 0))
    paths = [parent.write(rollout_path(tmp_path, PARENT, 1)), child.write(rollout_path(tmp_path, CHILD, 2)),
             grandchild.write(rollout_path(tmp_path, GRANDCHILD, 3))]
    assert SOURCE.discover({}, tmp_path) == sorted(paths)
    records = [r for p in reversed(paths) for r in SOURCE.parse(p, None).records]
    assert len(records) == 3 + 3 + 4  # every file alone still reports its whole history
    merged = SOURCE.merge(records)
    calls = sorted((r.timestamp, r.output_tokens, r.session_id) for r in merged)
    assert [(c[1], c[2]) for c in calls] == [(400, PARENT), (300, PARENT), (120, PARENT), (60, CHILD), (30, GRANDCHILD)]
    assert [c[0].day for c in calls] == [1, 1, 1, 2, 3]  # the originals' times, not the fork's
    assert sum(r.total_tokens for r in merged) == 8_400 + 9_300 + 9_620 + 9_860 + 10_030


def test_an_archived_copy_of_a_session_is_the_same_session(tmp_path):
    session = Rollout().context().call(5_000, 1_000, 100, 0).call(6_000, 5_000, 200, 50)
    live = session.write(rollout_path(tmp_path, PARENT))
    archived = session.write(rollout_path(tmp_path, PARENT, folder="archived_sessions"))
    assert SOURCE.discover({}, tmp_path) == sorted([archived, live])
    records = SOURCE.parse(live, None).records + SOURCE.parse(archived, None).records
    assert len(SOURCE.merge(records)) == 2


def test_thread_id_falls_back_to_the_file_name(tmp_path):
    path = Rollout(None).context().call(100, 0, 10, 0).write(rollout_path(tmp_path, CHILD))
    [record] = SOURCE.parse(path, None).records
    assert record.session_id == CHILD and record.request_id.startswith(f"codex:{CHILD}:")
    assert record.provider is None


def test_bad_lines_are_counted_and_a_partial_last_line_waits(tmp_path):
    session = Rollout().context().call(100, 0, 10, 0)
    session.call(50, 0, 5, 0)
    undated = json.loads(session.lines.pop())
    undated["timestamp"] = "yesterday"
    session.call(200, 100, 20, 0)
    partial = session.lines.pop()
    session.lines += ['{"timestamp":"2025-10-01T10:09:00Z","type":"event_msg","payload":{"type":"token_count","in',
                      '["token_count"]', line("event_msg", {"type": "token_count", "info": {}}, "2025-10-01T10:10:00Z"),
                      json.dumps(undated)]
    path = session.write(rollout_path(tmp_path, PARENT))
    with open(path, "a") as handle:
        handle.write(partial[:50])
    result = SOURCE.parse(path, None)
    assert [r.output_tokens for r in result.records] == [10]
    assert result.skipped == {"malformed line": 1, "unknown format": 1, "no usage": 1, "bad timestamp": 1}
    with open(path, "a") as handle:
        handle.write(partial[50:] + "\n")
    later = SOURCE.parse(path, result.checkpoint)
    assert [(r.input_tokens, r.cache_read_tokens, r.output_tokens) for r in later.records] == [(100, 100, 20)]


def test_time_zones_are_normalised_to_utc(tmp_path):
    path = rollout_path(tmp_path, PARENT)
    session = Rollout().context().call(100, 0, 10, 0)
    event = json.loads(session.lines[-1])
    event["timestamp"] = "2025-10-01T12:03:00+02:00"
    session.lines[-1] = json.dumps(event)
    [record] = SOURCE.parse(session.write(path), None).records
    assert record.timestamp == datetime(2025, 10, 1, 10, 3, tzinfo=timezone.utc)


def test_discovery_honours_codex_home(tmp_path):
    home = tmp_path / "home"
    default = Rollout().call(1, 0, 1, 0).write(rollout_path(home, PARENT))
    custom_home = tmp_path / "codex-home"
    custom = Rollout(CHILD).call(1, 0, 1, 0).write(custom_home / "sessions" / "2025" / "10" / "01" / "rollout-x.jsonl")
    old = Rollout(GRANDCHILD).call(1, 0, 1, 0).write(custom_home / "archived_sessions" / "rollout-y.jsonl")
    (custom_home / "sessions" / "notes.txt").write_text("x")
    assert SOURCE.discover({}, home) == [default]
    assert SOURCE.discover({"CODEX_HOME": str(custom_home)}, home) == sorted([old, custom])
    assert SOURCE.discover({}, tmp_path / "nobody") == []


def test_a_replaced_file_is_read_again_from_the_start(tmp_path):
    path = Rollout().context().call(100, 0, 10, 0).write(rollout_path(tmp_path, PARENT))
    first = SOURCE.parse(path, None)
    other = Rollout(CHILD).context("gpt-5").call(300, 0, 30, 0).call(300, 0, 30, 0).write(tmp_path / "other.jsonl")
    os.replace(other, path)
    again = SOURCE.parse(path, first.checkpoint)
    assert [(r.session_id, r.model, r.output_tokens) for r in again.records] == [(CHILD, "gpt-5", 30)] * 2
    assert SOURCE.parse(tmp_path / "missing.jsonl", None).skipped == {"unreadable file": 1}


def test_source_contract():
    assert (SOURCE.name, SOURCE.label) == ("codex", "Codex CLI")
