"""The CLI's numbers, money and counts read as on the website (burntop.format), with proper plurals."""
from __future__ import annotations

from click.testing import CliRunner

from burntop.client.cli import main
from tests.client.test_source_claude_code import assistant, write


def run(*args):
    return CliRunner().invoke(main, list(args), env={"COLUMNS": "200"})


def one_response(home, **fields):
    return write(home / ".claude" / "projects" / "-p" / "s.jsonl",
                 assistant("msg_1", "req_1", at="2025-10-01T12:00:00.000Z", **fields))


def test_the_stats_table_formats_money_and_counts_with_the_shared_formatter(home):
    one_response(home, model=None)  # 4 input, 90 output, 300 cache write, 20,000 cache read; no model named
    text = run("stats", "--tz", "UTC").stdout
    row = next(line for line in text.splitlines() if "2025-10-01" in line)
    assert "20,394" in row
    assert "1 record did not name its model; each tool's documented default model was assumed." in text
    assert "(s)" not in text


def test_a_cost_under_a_cent_never_reads_as_nothing(home):
    one_response(home, output=1, cache_write=0, one_hour=0)  # 20,005 tokens of Claude Sonnet 4.5: about $0.006
    row = next(line for line in run("stats", "--tz", "UTC").stdout.splitlines() if "2025-10-01" in line)
    assert row.rstrip(" │").endswith("<$0.01")


def test_counts_agree_with_their_nouns(home, monkeypatch):
    one_response(home)
    monkeypatch.setenv("BURNTOP_TOKEN", "bt_x")
    text = run("sync", "--dry-run").stdout
    assert "claude-code  1 record and 1 session from 1 file would be sent" in text
