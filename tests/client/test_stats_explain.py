"""`burntop stats --explain`: files, units seen, skips, folds and records per source, with literal counts."""
from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from burntop.client.cli import main
from tests.client.test_source_claude_code import SESSION, assistant, user, write
from tests.client.test_source_cline_restores import TASK_START, logged, request, restored
from tests.client.test_source_opencode import STEP1, STEP2, database, fork, message, step
from tests.client.test_source_vscode_tasks import TS, cline_root, write_task


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    for name in ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "GEMINI_CLI_HOME",
                 "AIDER_ANALYTICS_LOG", "CONTINUE_GLOBAL_DIR", "OPENCODE_DB", "KILO_DB", "CLINE_DIR", "CLINE_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("BURNTOP_CONFIG_DIR", str(tmp_path / "config"))
    projects = home / ".claude" / "projects" / "-home-dev-shop"
    write(projects / f"{SESSION}.jsonl",
          user(),                                                                   # no usage
          assistant("msg_A", output=3, at="2025-10-01T12:00:00Z"),                   # streaming snapshot
          assistant("msg_A", output=90, at="2025-10-01T12:00:01Z"),                  # folded in the file
          assistant("msg_B", "req_B", at="2025-10-02T09:00:00Z"),
          assistant("msg_S", None, model="<synthetic>", output=0, cache_write=0, one_hour=0),
          '{"type": "assistant", "message": {"id": "cut')                           # malformed
    write(projects / SESSION / "subagents" / "agent-aside_question-7c.jsonl",
          assistant("msg_A", "req_replay", output=90, at="2025-10-01T12:05:00Z", isSidechain=True),
          assistant("msg_C", "req_C", output=40, at="2025-10-01T12:05:10Z", isSidechain=True))
    task = write_task(cline_root(home), "1750000000000",
                      TASK_START + request(1) + [restored(TS + 40_000, logged(2), logged(3))])
    os.utime(task, ns=(1, 1_750_000_100_000_000_000))
    msgs = [message("msg_1", STEP2)]
    parts = [step("prt_a", "msg_1", STEP1), step("prt_c", "msg_1", STEP2)]
    copies, part_copies = fork(msgs, parts, "ses_fork", "_f")
    database(home / ".local" / "share" / "opencode" / "opencode.db", msgs + copies, parts + part_copies)
    return home


def explain(*args) -> dict:
    result = CliRunner().invoke(main, ["stats", "--explain", "--json", "--tz", "UTC", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def by_source(report: dict) -> dict:
    return {s["source"]: s for s in report["sources"] if s["files"]}


def test_every_figure_of_every_source(home):
    report = explain()
    sources = by_source(report)
    assert set(sources) == {"claude-code", "opencode", "cline"}
    claude = sources["claude-code"]
    assert (claude["files"], claude["unit"], claude["seen"]) == (2, "lines", 8)
    assert claude["skipped"] == [{"reason": "malformed line", "count": 1, "problem": True},
                                 {"reason": "no usage", "count": 1, "problem": False},
                                 {"reason": "synthetic message", "count": 1, "problem": False}]
    assert [f["count"] for f in claude["foldedInFiles"]] == [1]
    # msg_A (main copy kept, the replay folded), msg_B and msg_C
    assert (claude["recordsInFiles"], claude["foldedAcrossFiles"]["count"], claude["records"]) == (4, 1, 3)
    assert claude["tokens"]["outputTokens"] == 90 + 90 + 40
    opencode = sources["opencode"]
    assert (opencode["files"], opencode["seen"], opencode["records"]) == (1, 4, 2)
    assert opencode["foldedInFiles"] == [{"rule": "same content fingerprint (a forked session's copy of a message)",
                                          "count": 2}]
    cline = sources["cline"]
    assert (cline["files"], cline["unit"], cline["seen"], cline["records"]) == (1, "messages", 5, 2)
    assert cline["skipped"] == [{"reason": "no usage", "count": 3, "problem": False}]
    assert cline["tokens"]["inputTokens"] == 10 + 50
    assert report["totals"]["records"] == 7


def test_the_explained_figures_are_the_stats_figures(home):
    stats = json.loads(CliRunner().invoke(main, ["stats", "--json", "--tz", "UTC", "--by", "source"]).stdout)
    report = explain()
    assert report["totals"]["records"] == stats["totals"]["records"]
    assert report["totals"]["totalTokens"] == stats["totals"]["totalTokens"]
    per_source = {s["source"]: s["totalTokens"] for s in stats["sources"]}
    assert per_source == {name: s["tokens"]["totalTokens"] for name, s in by_source(report).items()}


def test_one_source_and_one_day(home):
    report = explain("--source", "claude-code", "--date", "2025-10-01")
    [claude] = report["sources"]
    assert report["date"] == "2025-10-01"
    # msg_A (kept from the main file, its replay folded) and msg_C; msg_B is on the 2nd
    assert (claude["files"], claude["recordsInFiles"], claude["foldedAcrossFiles"]["count"], claude["records"]) == (
        2, 3, 1, 2)
    day = json.loads(CliRunner().invoke(main, ["stats", "--json", "--tz", "UTC", "--source", "claude-code",
                                               "--date", "2025-10-01"]).stdout)["totals"]
    assert (day["records"], day["totalTokens"]) == (claude["records"], claude["tokens"]["totalTokens"])


def test_the_text_form_reads_each_step(home):
    result = CliRunner().invoke(main, ["stats", "--explain", "--tz", "UTC", "--source", "claude-code", "-v"])
    text = result.stdout
    assert "claude-code (Claude Code)" in text
    assert "  files read           2\n" in text and "  seen                 8 lines\n" in text
    assert "  skipped              1: malformed line (could not read)\n" in text
    assert "  records counted      3 (= 4 - 1)\n" in text
    assert "aside_question-7c.jsonl: 2 lines, 2 records" in text
    # 3 responses of 4 input + 300 cache write + 20,000 cache read, and 90 + 90 + 40 output
    assert text.rstrip().endswith("all sources: 3 records, 61,132 tokens from 2 files")
