"""Proof that sources never read each other's files: every tool's files in one home, and `burntop
stats` over all of them totals exactly the sum of `burntop stats --source X` for each source alone."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from burntop.client.cli import main
from burntop.client.sources import all_sources
from tests.client.test_sync_e2e import server_totals  # the `login` fixture lives in tests/client/conftest.py
from tests.client import (
    test_source_amp as amp, test_source_claude_code as claude, test_source_codex as codex,
    test_source_cursor as cursor, test_source_droid as droid, test_source_every_code as every_code,
    test_source_gemini_cli as gemini, test_source_gptme as gptme, test_source_kimi_cli as kimi,
    test_source_openclaw as openclaw, test_source_opencode as opencode, test_source_openhands as openhands,
    test_source_pi as pi, test_source_qwen_cli as qwen, test_source_vscode_tasks as tasks,
)

# Every environment variable any source honours: cleared, so only the fake home is read.
OVERRIDES = ("AIDER_ANALYTICS_LOG", "AMP_DATA_DIR", "APPDATA", "CLAUDE_CONFIG_DIR", "CLAWDBOT_STATE_DIR",
             "CLINE_DATA_DIR", "CLINE_DIR", "CODEX_HOME", "CODE_HOME", "CONTINUE_GLOBAL_DIR", "GEMINI_CLI_HOME",
             "GPTME_LOGS_HOME", "KIMI_SHARE_DIR", "KILO_DATA_DIR", "LOCALAPPDATA", "OPENCLAW_HOME",
             "OPENCLAW_STATE_DIR", "OPENCODE_DB", "OPENHANDS_CONVERSATIONS_DIR", "OPENHANDS_PERSISTENCE_DIR",
             "PI_CODING_AGENT_DIR", "QWEN_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME",
             "BURNTOP_TOKEN", "BURNTOP_API_URL")

# Records each source must find in the home below (a wrong rule or a source reading another's files
# changes these).
EXPECTED_RECORDS = {
    "claude-code": 2, "codex": 2, "gemini-cli": 1, "qwen-cli": 1, "opencode": 1, "cline": 1, "roo-code": 1,
    "kilo-code": 1, "aider": 1, "continue": 1, "cursor": 2, "amp": 1, "droid": 1, "pi": 2, "openclaw": 2,
    "kimi-cli": 1, "every-code": 1, "gptme": 1, "openhands": 1,
}


def populate(home: Path) -> None:
    """One home holding every tool's files at once, each where the tool itself writes them."""
    project = home / ".claude" / "projects" / "-home-dev-shop"
    claude.write(project / "s.jsonl", claude.user(), claude.assistant("msg_1", "req_1"),
                 claude.assistant("msg_2", "req_2", output=40))
    codex.Rollout().context().call(10_000, 8_000, 500, 200).call(12_000, 9_984, 80, 0).write(
        codex.rollout_path(home, codex.PARENT))
    gemini.write_lines(gemini.chats(home) / "session-2025-10-05T21-32-abc.jsonl",
                       [gemini.META, gemini.gemini("m1", gemini.TOKENS)])
    qwen.write_lines(qwen.log_path(home), [qwen.record("q1", usage=qwen.OPENAI)])
    opencode.database(home / ".local" / "share" / "opencode" / "opencode.db",
                      [opencode.message("msg_1")], [opencode.step("prt_1", "msg_1", opencode.STEP1)])
    for extension, task in (("saoudrizwan.claude-dev", "c1"), ("rooveterinaryinc.roo-cline", "r1"),
                            ("kilocode.kilo-code", "k1")):
        root = home / ".config" / "Code" / "User" / "globalStorage" / extension
        tasks.write_task(root, task, [tasks.started(tasks.TS, apiProtocol="anthropic", tokensIn=100, tokensOut=20,
                                                    cacheWrites=0, cacheReads=0, cost=0.01)])
    aider_log = home / ".aider" / "analytics.jsonl"
    aider_log.parent.mkdir(parents=True)
    aider_log.write_text(json.dumps({"event": "message_send", "time": 1_750_000_000, "user_id": "u",
                                     "properties": {"main_model": "gpt-4.1", "prompt_tokens": 1500,
                                                    "completion_tokens": 300, "total_tokens": 1800,
                                                    "cost": 0.005, "total_cost": 0.005}}) + "\n")
    continue_log = home / ".continue" / "dev_data" / "0.2.0" / "tokensGenerated.jsonl"
    continue_log.parent.mkdir(parents=True)
    continue_log.write_text(json.dumps({"eventName": "tokensGenerated", "schema": "0.2.0",
                                        "timestamp": "2025-06-15T15:06:40.123Z", "model": "claude-sonnet-4-20250514",
                                        "provider": "anthropic", "promptTokens": 4200, "generatedTokens": 310}) + "\n")
    rows = cursor.standard_rows()
    cursor.make_db(cursor.global_db(home), {k: v for k, v in rows.items() if k.endswith((":a1", ":a2", ":a4"))
                                            or k.startswith("composerData")})
    amp.write(amp.threads_dir(home) / f"{amp.THREAD}.json", amp.thread([amp.user(0), amp.assistant(1, amp.usage())]))
    droid.write(droid.session_path(home), droid.settings())
    pi.write(pi.session_file(home), [pi.header(), pi.assistant("b2", None, 1770714002000),
                                     pi.assistant("c3", "b2", 1770714009000, out=40)])
    openclaw.write_jsonl(openclaw.state(home) / "sessions" / f"{openclaw.SESSION}.jsonl",
                         [openclaw.header(), openclaw.assistant("a1", 1775116805000)])
    openclaw.write_db(openclaw.state(home) / "agent" / "openclaw-agent.sqlite",
                      {openclaw.SESSION: [openclaw.header(), openclaw.assistant("a1", 1775116805000),  # migrated copy
                                          openclaw.assistant("a2", 1775116900000, out=7)]})
    kimi.setup_share(home)
    kimi.write(kimi.wire(home), [kimi.status(1767225604.25, "chatcmpl-aaa111")])
    every_code.write(every_code.rollout(home), [
        every_code.line("session_meta", {"id": every_code.THREAD, "cwd": "/w"}, "2026-08-01T09:00:00.000Z"),
        every_code.token_event(1, every_code.usage(900, 600, 40, 0), every_code.usage(900, 600, 40, 0),
                               "2026-08-01T09:00:20.000Z")])
    gptme.write(gptme.log(home), [gptme.answer("2026-03-14T09:00:07+00:00")])
    openhands.write_conversation(openhands.conversations(home), openhands.state([openhands.usage("msg_01A", 100, 10)]),
                                 [openhands.event(0, "e1", "2026-05-04T10:00:09+00:00", "ActionEvent", "msg_01A")])


@pytest.fixture
def home(tmp_path, monkeypatch):
    for name in OVERRIDES:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("BURNTOP_CONFIG_DIR", str(tmp_path / "config"))
    populate(home)
    return home


def totals(*sources: str) -> dict:
    args = ["stats", "--json", "--tz", "UTC", "--mode", "calculate"]
    for name in sources:
        args += ["--source", name]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["totals"]


def test_every_source_reads_only_its_own_files(home):
    env = dict(os.environ)
    claimed: dict[str, str] = {}
    for source in all_sources():
        files = source.discover(env, home)
        # Sources registered without a fixture here (added later) must find nothing of the others'.
        assert bool(files) == (source.name in EXPECTED_RECORDS), source.name
        for path in files:
            assert str(path) not in claimed, f"{path} read by {claimed.get(str(path))} and {source.name}"
            claimed[str(path)] = source.name


def test_grand_total_equals_the_sum_of_each_source_alone(home):
    names = [source.name for source in all_sources()]
    alone = {name: totals(name) for name in names}
    assert {name: t["records"] for name, t in alone.items() if t["records"]} == EXPECTED_RECORDS
    together = totals()
    for key in ("records", "inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens", "totalTokens"):
        assert together[key] == sum(t[key] for t in alone.values()), key
    assert together["totalCost"] == pytest.approx(sum(t["totalCost"] for t in alone.values()), abs=1e-6)
    assert together["records"] == 24
    # The cache of the all-sources run answers an unchanged re-run with the same totals.
    assert totals() == together


def test_sync_sends_every_source_once_and_matches_stats(app, home, login, live_server):
    # One request per source: keep the per-user limit (10 a minute) from pacing this test.
    app.config["SYNC_RATE_LIMIT"] = "100 per minute"
    login(live_server)
    first = CliRunner().invoke(main, ["sync", "--json"], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["ok"] and (report["recordsAdded"], report["recordsSkipped"]) == (24, 0)
    stats = totals()
    server = server_totals()
    assert server["records"] == stats["records"] == 24
    assert server["tokens"] == stats["totalTokens"]
    assert server["cost"] == pytest.approx(stats["totalCost"], abs=1e-6)
    again = json.loads(CliRunner().invoke(main, ["sync", "--json"], catch_exceptions=False).stdout)
    assert (again["recordsAdded"], again["recordsSkipped"]) == (0, 0)  # every checkpoint held
