"""Coding sessions through `burntop sync` against the real server: the stored coding_sessions rows hold
each session's running totals over everything read so far, whichever run read which file, after an
interrupted sync, and after an upgrade from checkpoints that held no sessions."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import select

from burntop.client.state import STATE_FILE
from burntop.extensions import db
from burntop.models import CodingSession, UsageRecord
from tests.client.test_sessions_claude_code import bash, edit, edit_result, prompt, tool_use
from tests.client.test_sessions_codex import PATCH, SUMMARY, Session, freeform, structured
from tests.client.test_source_claude_code import SESSION, append, assistant, write
from tests.client.test_source_codex import PARENT, rollout_path
from tests.client.test_sync_e2e import run, server_totals

SALT = "5a17" * 8
CLAUDE_ID = "8b5df5966968d9c6882807e363cda03d"  # SESSION hashed with SALT (as pinned in test_sync_e2e)
UTC = timezone.utc


def configure(tmp_path) -> None:
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "config.json").write_text(json.dumps({"salt": SALT, "machineId": "m" * 32}))


def claude_session(home):
    """A session: 12:00-12:04 active (a prompt, responses, an edit adding 2 lines, a commit)."""
    path = home / ".claude" / "projects" / "-home-dev-src-shop" / f"{SESSION}.jsonl"
    return write(path, prompt(0), assistant("msg_1", "req_1", at="2025-10-01T12:00:20.000Z"),
                 tool_use("msg_2", "toolu_e", "Edit", {"file_path": "app.py"}, 1),
                 edit_result("toolu_e", [" a", "-b", "+B", "+C"], 1, 5),
                 *bash("toolu_c", "git commit -am checkout", "[main 1a2b3c4] checkout\n 1 file changed", 3),
                 assistant("msg_3", "req_3", at="2025-10-01T12:04:00.000Z"))


def rows() -> dict[str, tuple]:
    db.session.expire_all()
    return {r.session_id: (r.source, r.started_at, r.ended_at, r.active_seconds, r.commits, r.lines_of_code)
            for r in db.session.scalars(select(CodingSession))}


def synced(*args) -> dict:
    result = run("sync", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def at(minute: int, second: int = 0, day: int = 1) -> datetime:
    return datetime(2025, 10, day, 12, minute, second, tzinfo=UTC)


def test_sessions_reach_the_server_with_their_totals_and_the_records_ids(home, tmp_path, login, live_server):
    configure(tmp_path)
    claude_session(home)
    codex = (Session().context().custom("call_1", "apply_patch", PATCH, freeform(0, "Success."))
             .function("call_2", "shell", {"command": ["bash", "-lc", "git commit -m x"]}, structured(0, SUMMARY))
             .call(10_000, 8_000, 500, 200))
    codex.write(rollout_path(home, PARENT))
    login(live_server)
    report = synced()
    assert report["requests"] == 1
    assert {s["source"]: s["sessions"] for s in report["sources"] if s["sessions"]} == {"claude-code": 1, "codex": 1}
    stored = rows()
    assert stored[CLAUDE_ID] == ("claude-code", at(0), at(4), 240, 1, 2)
    codex_id = {r.session_id for r in db.session.scalars(select(UsageRecord).where(UsageRecord.source == "codex"))}
    [codex_row] = [v for k, v in stored.items() if k in codex_id]  # the records' sessionId, the same hash
    assert codex_row == ("codex", datetime(2025, 10, 1, 10, 2, tzinfo=UTC), datetime(2025, 10, 1, 10, 8, tzinfo=UTC),
                         360, 1, 3)
    claude_ids = {r.session_id for r in db.session.scalars(select(UsageRecord).where(UsageRecord.source == "claude-code"))}
    assert claude_ids == {CLAUDE_ID}
    again = synced()
    assert again["requests"] == 0 and rows() == stored  # nothing new: nothing sent


def test_later_syncs_send_running_totals_over_every_file_read_so_far(home, tmp_path, login, live_server):
    configure(tmp_path)
    path = claude_session(home)
    login(live_server)
    synced()
    assert rows()[CLAUDE_ID][3:] == (240, 1, 2)
    # more of the session, read by the next run: 12:07 is within 5 minutes of 12:04; an edit at 12:08
    append(path, prompt(7), *edit("toolu_e2", ["+x", "+y", "+z"], 8))
    synced()
    assert rows()[CLAUDE_ID] == ("claude-code", at(0), at(8, 1), 481, 1, 5)
    # a sub-agent transcript of the same session, written later, fills the idle gap 12:08-12:20
    agent = home / ".claude" / "projects" / "-home-dev-src-shop" / SESSION / "subagents" / "agent-1.jsonl"
    write(agent, prompt(12, session=SESSION), *edit("toolu_s", ["+s"], 16, isSidechain=True))
    append(path, prompt(20))
    report = synced()
    assert report["recordsAdded"] == 1 and report["sources"][0]["sessions"] == 1  # the edit's response
    assert rows()[CLAUDE_ID] == ("claude-code", at(0), at(20), 1200, 1, 6)
    # a line without a model response still moves the session: a request with sessions only
    append(path, prompt(23))
    dry = run("sync", "--dry-run").stdout
    assert dry.splitlines()[1] == "claude-code  0 records and 1 session from 1 file would be sent"
    report = synced()
    assert (report["requests"], report["recordsAdded"]) == (1, 0)
    assert rows()[CLAUDE_ID] == ("claude-code", at(0), at(23), 1380, 1, 6)


def test_an_interrupted_sync_ends_with_the_same_sessions_as_one_sync(home, tmp_path, login, flaky_server, monkeypatch):
    from burntop.client import sync as syncing

    monkeypatch.setattr(syncing, "BATCH_SIZE", 1)
    configure(tmp_path)
    claude_session(home)   # 4 records: 4 batches, the session riding with the last
    url, wrapper = flaky_server(lambda n: ("500 INTERNAL SERVER ERROR", []) if n == 3 else None)
    login(url)
    interrupted = json.loads(run("sync", "--json", "--timeout", "0").stdout)
    assert (interrupted["ok"], interrupted["recordsAdded"]) == (False, 2)
    assert rows() == {}
    state = json.loads((tmp_path / "config" / STATE_FILE).read_text())
    assert "claude-code" not in state["sources"]  # no checkpoint: the file waits for its last batch
    resumed = synced()
    assert (resumed["recordsAdded"], resumed["recordsSkipped"]) == (2, 2)
    assert rows()[CLAUDE_ID] == ("claude-code", at(0), at(4), 240, 1, 2)
    assert server_totals()["records"] == 4 and wrapper.calls == 3 + 4


def test_checkpoints_from_before_sessions_are_read_again_once(home, tmp_path, login, live_server):
    configure(tmp_path)
    path = claude_session(home)
    login(live_server)
    synced()
    # what an older client left: offsets without session parts, and no sessions on the server
    state_file = tmp_path / "config" / STATE_FILE
    state = json.loads(state_file.read_text())
    for checkpoint in state["sources"]["claude-code"]["files"].values():
        checkpoint.pop("sessions"), checkpoint.pop("pending")
    state_file.write_text(json.dumps(state))
    db.session.execute(CodingSession.__table__.delete())
    db.session.commit()
    append(path, prompt(6))
    upgraded = synced()
    assert (upgraded["recordsAdded"], upgraded["recordsSkipped"]) == (0, 4)  # read again whole, once
    assert rows()[CLAUDE_ID] == ("claude-code", at(0), at(6), 360, 1, 2)
    assert synced()["requests"] == 0


def test_sessions_beyond_a_requests_share_go_on_in_a_sessions_only_request(home, tmp_path, login, flaky_server,
                                                                          monkeypatch):
    from burntop.client import sync as syncing

    monkeypatch.setattr(syncing, "MAX_SESSIONS", 1)
    configure(tmp_path)
    claude_session(home)
    Session().context().call(10_000, 8_000, 500, 200).write(rollout_path(home, PARENT))
    # request 1: all records and the Claude Code session; request 2: the Codex session, refused once
    url, wrapper = flaky_server(lambda n: ("500 INTERNAL SERVER ERROR", []) if n == 2 else None)
    login(url)
    interrupted = json.loads(run("sync", "--json", "--timeout", "0").stdout)
    assert (interrupted["requests"], interrupted["recordsAdded"]) == (1, 5)
    state = json.loads((tmp_path / "config" / STATE_FILE).read_text())["sources"]
    assert "claude-code" in state and "codex" not in state  # the Codex file waits for its session
    assert list(rows()) == [CLAUDE_ID]
    resumed = synced()
    assert (resumed["requests"], resumed["recordsAdded"], resumed["recordsSkipped"]) == (1, 0, 1)
    assert len(rows()) == 2 and wrapper.calls == 2 + 1
