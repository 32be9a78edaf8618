"""`burntop status`: the tools found on this machine, times a person reads ("2 minutes ago"), the rest
with --all; and a config folder that is private to its owner whatever it was before."""
from __future__ import annotations

import json
import os
import re
import stat
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner

from burntop.client.cli import main
from burntop.client.sources import all_sources
from tests.client.test_source_claude_code import append, assistant
from tests.client.test_sync_e2e import claude_history


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_status_lists_the_tools_found_here_with_readable_times(home, tmp_path, login, live_server):
    path = claude_history(home)
    login(live_server)
    before = json.loads(run("status", "--json").stdout)
    assert (before["server"], before["user"], before["token"]) == ("ok", "dev", "ok")
    assert before["sources"] == {"claude-code": {"label": "Claude Code", "found": True, "files": 1,
                                                 "lastSyncAt": None, "pendingRecords": 6}}
    assert "Claude Code  1 file, last sync never, 6 records pending" in run("status").stdout

    run("sync")
    append(path, assistant("msg_late", "req_late", at="2025-10-06T09:00:00.000Z"))
    state_file = tmp_path / "config" / "sync-state.json"
    state = json.loads(state_file.read_text())
    two_minutes_ago = datetime.now(timezone.utc) - timedelta(minutes=2, seconds=5)
    state["sources"]["claude-code"]["lastSyncAt"] = two_minutes_ago.isoformat()
    state_file.write_text(json.dumps(state))

    lines = run("status").stdout.splitlines()
    assert lines == [
        f"server   {live_server} (ok)",
        "account  dev",
        "Claude Code  1 file, last sync 2 minutes ago, 1 record pending",
        "`burntop status --all` also lists the tools not found here",
    ]


def test_status_all_lists_every_tool_and_says_which_are_missing(home, login, live_server):
    claude_history(home)
    login(live_server)
    run("sync")  # a sync looks at every source: that must not make them all "found"
    text = run("status", "--all").stdout
    assert "Claude Code  1 file, last sync just now, 0 records pending" in text
    missing = [line for line in text.splitlines() if line.endswith("not found on this machine")]
    assert len(missing) == len(all_sources()) - 1
    assert any(line.startswith("Codex CLI ") for line in missing)
    assert not re.search(r"\d{4}-\d\d-\d\dT", text)  # no raw ISO timestamps


def test_status_on_a_machine_without_tools(home, login, live_server):
    login(live_server)
    text = run("status").stdout
    assert "no AI coding tool's usage logs found on this machine" in text


def test_an_existing_config_folder_is_made_private_on_every_start(home, tmp_path):
    folder = tmp_path / "config"
    (folder / "cache").mkdir(parents=True)
    os.chmod(folder, 0o755)
    (folder / "config.json").write_text("{}")
    os.chmod(folder / "config.json", 0o644)
    (folder / "cache" / "old.pickle").write_bytes(b"")
    os.chmod(folder / "cache" / "old.pickle", 0o664)
    assert run("stats", "--json").exit_code == 0  # any command, even one that works offline
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "config.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((folder / "cache").stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "cache" / "old.pickle").stat().st_mode) == 0o600
    os.chmod(folder, 0o755)  # loosened again later: the next start tightens it again
    run("logout")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
