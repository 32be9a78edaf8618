"""`burntop stats --by session`: each session's active time, commits and lines of code, in the table
(through burntop.format) and in --json; the same figures after the files grow and the cache is used."""
from __future__ import annotations

import json

from click.testing import CliRunner

from burntop.client.cli import main
from tests.client.test_sessions_claude_code import prompt
from tests.client.test_sessions_codex import PATCH, Session, freeform
from tests.client.test_source_claude_code import SESSION, append
from tests.client.test_source_codex import PARENT, rollout_path
from tests.client.test_sync_sessions_e2e import claude_session


def stats(*args):
    result = CliRunner().invoke(main, ["stats", "--by", "session", "--tz", "UTC", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def by_session() -> dict:
    report = json.loads(stats("--json").stdout)
    return {s["sessionId"]: (s["source"], s["activeSeconds"], s["commits"], s["linesOfCode"]) for s in report["sessions"]}


def test_sessions_show_active_time_commits_and_lines(home, monkeypatch):
    monkeypatch.setenv("COLUMNS", "220")  # a wide terminal: no column is cut
    path = claude_session(home)
    (Session().context().custom("call_1", "apply_patch", PATCH, freeform(0, "Success.")).call(9_000, 8_000, 40, 0)
     .write(rollout_path(home, PARENT)))
    assert by_session() == {SESSION: ("claude-code", 240, 1, 2), PARENT: ("codex", 240, 0, 3)}
    append(path, prompt(9))  # 5 minutes after 12:04: counted, read from the cache plus the new line
    assert by_session()[SESSION] == ("claude-code", 540, 1, 2)
    table = stats().stdout
    header = next(line for line in table.splitlines() if "Session" in line)
    assert [c.strip() for c in header.split("┃")[-4:-1]] == ["Active", "Commits", "Lines"]
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[-4:-1]]
            for line in table.splitlines() if line.startswith("│ ") and "│" in line[2:]}
    assert rows[SESSION] == ["9m", "1", "2"] and rows[PARENT] == ["4m", "0", "3"]
    assert rows["Total"] == ["13m", "1", "5"]
    assert {k: v for k, v in json.loads(stats("--json").stdout)["totals"].items()
            if k in ("activeSeconds", "commits", "linesOfCode")} == {"activeSeconds": 780, "commits": 1, "linesOfCode": 5}


def test_other_groupings_do_not_carry_session_figures(home):
    claude_session(home)
    report = json.loads(CliRunner().invoke(main, ["stats", "--json", "--tz", "UTC"]).stdout)
    assert "activeSeconds" not in report["daily"][0]


def test_stats_after_the_only_file_of_a_source_grew_keeps_its_earlier_records(home):
    # Regression: the cache dropped an appended file's cached rows when no other file was unchanged.
    from tests.client.test_source_claude_code import assistant, write

    path = write(home / ".claude" / "projects" / "-x" / "s.jsonl", assistant("m1", "r1"), assistant("m2", "r2"))
    records = lambda: json.loads(CliRunner().invoke(main, ["stats", "--json"]).stdout)["totals"]["records"]  # noqa: E731
    assert records() == 2
    append(path, assistant("m3", "r3"))
    assert records() == 3
