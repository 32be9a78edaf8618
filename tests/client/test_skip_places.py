"""--verbose names the file and line (or database row, or record) of every problem it skipped, in
`sync` and in `stats`, also when a file was read from a checkpoint or from the parse cache."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner

from burntop.client.cli import main
from burntop.client.sources import cursor
from burntop.client.sources.opencode import SOURCE as OPENCODE
from tests.client.test_source_claude_code import append, assistant
from tests.client.test_source_codex import PARENT, Rollout, rollout_path
from tests.client.test_source_cursor import global_db, make_db, standard_rows
from tests.client.test_source_opencode import STEP1, database, message, step
from tests.client.test_sync_e2e import claude_history

BROKEN = ('{"type": "assistant", "message": {"id": "broken"', '{"type":"assistant", nope}')


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_sync_and_stats_name_the_lines(home, login, live_server):
    path = claude_history(home)  # 13 lines: a user line, then 6 responses logged twice
    append(path, *BROKEN)  # lines 14 and 15
    login(live_server)
    first = run("sync", "--verbose")
    assert first.exit_code == 0
    assert f"  claude-code: malformed line: {path} lines 14-15\n" in first.stderr
    append(path, assistant("msg_ok", "req_ok", at="2025-10-04T09:00:00.000Z"), BROKEN[1])  # 16 fine, 17 not
    second = run("sync", "--verbose")  # read from the checkpoint after line 15: still counted from the top
    assert f"  claude-code: malformed line: {path} line 17\n" in second.stderr
    assert "lines 14-15" not in second.stderr
    for attempt in ("parsed", "cached"):
        stats = run("stats", "--verbose", "--json")
        assert f"  claude-code: malformed line: {path} lines 14-15, 17\n" in stats.stderr, attempt
    report = json.loads(run("sync", "--full", "--json").stdout)
    assert report["skippedAt"] == [
        {"source": "claude-code", "path": str(path), "where": f"line {n}", "reason": "malformed line"}
        for n in (14, 15, 17)]


def test_without_verbose_one_line_says_how_many(home, login, live_server):
    path = claude_history(home)
    append(path, BROKEN[0])
    login(live_server)
    result = run("sync")
    assert result.stderr.splitlines()[-1] == (
        "warning: skipped 1 malformed, unreadable or out-of-range item; --verbose lists them")


def test_codex_lines_and_a_refused_record(home, login, live_server):
    path = Rollout().context().call(10_000, 8_000, 500, 200).write(rollout_path(home, PARENT))  # 3 lines
    with open(path, "a") as handle:
        handle.write('{"type": "event_msg", "payload": {"type": "token_count", \n')  # line 4
    claude = claude_history(home)
    append(claude, assistant("msg_future", "req_future", at=(datetime.now(timezone.utc) + timedelta(days=2)).isoformat()))
    login(live_server)
    result = run("sync", "--verbose")
    assert f"  codex: malformed line: {path} line 4\n" in result.stderr
    assert (f"  claude-code: out of range (timestamp: timestamp is more than one day in the future): {claude} "
            "record claude-code:msg_future\n") in result.stderr


def test_database_rows_are_named(tmp_path):
    db = make_db(global_db(tmp_path), standard_rows())
    assert cursor.parse(db, None).skipped.located(db) == [
        ("malformed row", "row bubbleId:98251e54-8aed-4515-b2b4-08895453eedd:bad")]
    store = tmp_path / "opencode.db"
    database(store, [message("msg_1", STEP1)], [step("prt_a", "msg_1", STEP1)])
    with sqlite3.connect(store) as con:
        con.execute("UPDATE message SET data = '{broken' WHERE id = 'msg_1'")
    assert OPENCODE.parse(store, None).skipped.located(store) == [
        ("malformed row", "message msg_1"), ("part without message", "")]
