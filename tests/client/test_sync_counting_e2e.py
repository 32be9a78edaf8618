"""Counting rules through `burntop sync` against the real server and through `burntop stats`: a Cline
checkpoint restore seen in either order, and a Claude Code /btw replay read on a later run."""
from __future__ import annotations

import json
import os

from tests.client.test_source_claude_code import SESSION, assistant, write
from tests.client.test_source_cline_restores import ALL_THREE, TASK, TASK_START, logged, request, restored
from tests.client.test_source_vscode_tasks import TS, cline_root, write_task
from tests.client.test_sync_e2e import claude_history, run, server_totals  # `home` and `login` are conftest fixtures

METADATA = {"model_usage": [{"ts": TS - 1000, "model_id": "claude-sonnet-4-20250514", "model_provider_id": "anthropic",
                             "mode": "act"}]}


def cline_task(home_dir, messages):
    path = write_task(cline_root(home_dir), TASK, messages, task_metadata=METADATA)
    os.utime(path, ns=(1, path.stat().st_mtime_ns + 1_000_000))
    return path


def stats_totals() -> dict:
    report = json.loads(run("stats", "--json", "--mode", "calculate", "--tz", "UTC").stdout)
    return {"totals": report["totals"], "days": {d["date"]: d["totalTokens"] for d in report["daily"]}}


def synced(*args) -> dict:
    result = run("sync", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


TOKENS = sum(ALL_THREE[:4])


def test_requests_synced_before_a_restore_stay_counted_once(home, login, live_server):
    cline_task(home, TASK_START + request(1) + request(2) + request(3))
    login(live_server)
    assert synced()["recordsAdded"] == 3
    before = stats_totals()
    cline_task(home, TASK_START + request(1) + [restored(TS + 40_000, logged(2), logged(3))])
    after_restore = synced()
    assert (after_restore["recordsAdded"], after_restore["recordsSkipped"]) == (0, 3)
    assert synced("--full")["recordsAdded"] == 0
    server = server_totals()
    after = stats_totals()
    assert server["records"] == after["totals"]["records"] == 3
    assert server["tokens"] == after["totals"]["totalTokens"] == TOKENS
    assert after == before  # the removed requests keep their own days in stats too


def test_a_restore_synced_only_as_its_total_counts_the_total(home, login, live_server):
    cline_task(home, TASK_START + request(1) + [restored(TS + 40_000, logged(2), logged(3))])
    login(live_server)
    assert synced()["recordsAdded"] == 2
    assert synced("--full")["recordsAdded"] == 0
    server, stats = server_totals(), stats_totals()["totals"]
    assert server["records"] == stats["records"] == 2
    assert server["tokens"] == stats["totalTokens"] == TOKENS


def test_requests_never_synced_reach_the_server_through_the_total(home, login, live_server):
    cline_task(home, TASK_START + request(1) + request(2))
    login(live_server)
    assert synced()["recordsAdded"] == 2
    assert stats_totals()["totals"]["records"] == 2
    cline_task(home, TASK_START + request(1) + [restored(TS + 40_000, logged(2), logged(3))])
    assert synced()["recordsAdded"] == 1  # the part of the total never sent: request 3
    server, stats = server_totals(), stats_totals()["totals"]
    assert server["tokens"] == stats["totalTokens"] == TOKENS
    assert server["records"] == stats["records"] == 3  # requests 1 and 2, and the rest of the total


def test_a_btw_replay_read_on_a_later_sync_adds_nothing(home, login, live_server):
    claude_history(home)
    login(live_server)
    assert synced()["recordsAdded"] == 6
    side = home / ".claude" / "projects" / "-home-dev-shop" / SESSION / "subagents" / "agent-aside_question-9f8e.jsonl"
    write(side, assistant("msg_003", "req_011CReplay", output=53, at="2025-10-03T09:30:00.000Z", isSidechain=True),
          assistant("msg_btw", "req_011CAnswer", output=20, at="2025-10-03T09:30:05.000Z", isSidechain=True))
    later = synced()
    assert (later["recordsAdded"], later["recordsSkipped"]) == (1, 1)
    server, stats = server_totals(), stats_totals()["totals"]
    assert server["records"] == stats["records"] == 7
    assert server["tokens"] == stats["totalTokens"]
