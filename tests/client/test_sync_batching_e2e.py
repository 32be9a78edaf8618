"""`burntop sync` of many tools at once against the real server with its default limit (10 syncs a
minute per user): records of every source share requests, so 19 tools with new data cost one request,
never a 429; an interrupted sync saves exactly the files whose batches were all acknowledged."""
from __future__ import annotations

import json

from click.testing import CliRunner

from burntop.client.cli import main
from burntop.client.state import STATE_FILE
from tests.client.test_sources_together import EXPECTED_RECORDS, home, totals  # noqa: F401  (home: every tool's files)
from tests.client.test_sync_e2e import server_totals


def sync(*args):
    return CliRunner().invoke(main, ["sync", *args], catch_exceptions=False)


def test_nineteen_sources_with_new_data_cost_one_request(app, home, login, live_server):
    assert app.config["SYNC_RATE_LIMIT"] == "10 per minute"
    assert len(EXPECTED_RECORDS) == 19
    login(live_server)
    result = sync("--json")
    assert result.exit_code == 0, result.output
    assert "rate limited" not in result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["requests"] == 1
    assert (report["recordsAdded"], report["recordsSkipped"]) == (24, 0)
    # each source's share of the shared request, from the server's split
    assert {s["source"]: s["added"] for s in report["sources"] if s["added"]} == EXPECTED_RECORDS
    stats = totals()
    server = server_totals()
    assert server["records"] == stats["records"] == 24
    assert server["tokens"] == stats["totalTokens"]
    again = json.loads(sync("--json").stdout)
    assert (again["requests"], again["recordsAdded"], again["recordsSkipped"]) == (0, 0, 0)


def test_the_text_summary_keeps_one_line_per_source(home, login, live_server):
    login(live_server)
    lines = sync().stdout.splitlines()
    assert lines[:3] == ["claude-code  2 added, 0 already on the server", "codex        2 added, 0 already on the server",
                         "gemini-cli   1 added, 0 already on the server"]
    assert "openhands    1 added, 0 already on the server" in lines
    assert sum(1 for line in lines if "added" in line) == 19


def test_an_interrupted_sync_saves_the_files_of_acknowledged_batches_only(home, tmp_path, login, flaky_server,
                                                                       monkeypatch):
    from burntop.client import sync as syncing

    monkeypatch.setattr(syncing, "BATCH_SIZE", 4)
    # In source order the 24 records make 6 batches of 4:
    #   1 claude-code 2, codex 2          2 gemini-cli, qwen-cli, opencode, cline
    #   3 roo-code, kilo-code, aider, continue    4 cursor 2, amp, droid
    #   5 pi 2, openclaw 2                6 kimi-cli, every-code, gptme, openhands
    url, wrapper = flaky_server(lambda n: ("500 INTERNAL SERVER ERROR", []) if n == 3 else None)
    login(url)
    result = sync("--json", "--timeout", "0")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["recordsAdded"], report["requests"]) == (8, 2)
    errors = {s["source"]: s["error"] for s in report["sources"] if s["error"]}
    assert {name for name, error in errors.items() if "500" in error} == {"roo-code", "kilo-code", "aider", "continue"}
    assert {name for name, error in errors.items() if error.startswith("not sent")} == {
        "cursor", "amp", "droid", "pi", "openclaw", "kimi-cli", "every-code", "gptme", "openhands"}
    state = json.loads((tmp_path / "config" / STATE_FILE).read_text())["sources"]
    saved = {name for name, entry in state.items() if entry.get("files")}
    assert saved == {"claude-code", "codex", "gemini-cli", "qwen-cli", "opencode", "cline"}
    resumed = json.loads(sync("--json").stdout)
    assert resumed["ok"] and (resumed["recordsAdded"], resumed["recordsSkipped"]) == (16, 0)
    assert resumed["requests"] == 4 and wrapper.calls == 3 + 4  # nothing acknowledged is sent again
    assert server_totals()["records"] == 24
    assert json.loads(sync("--json").stdout)["requests"] == 0
