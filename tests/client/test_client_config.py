"""Client credentials (0600, env overrides), per-source checkpoints, the hourly schedule."""
from __future__ import annotations

import os
import stat
import sys

import pytest
from click.testing import CliRunner

from burntop.client import config as cfg
from burntop.client.cli import main
from burntop.client.state import SyncState


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("BURNTOP_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("BURNTOP_TOKEN", "BURNTOP_API_URL", "CLAUDE_CONFIG_DIR", "CODEX_HOME"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_login_saves_a_private_config(env):
    result = CliRunner().invoke(main, ["login", "--token", "bt_secret", "--api-url", "http://127.0.0.1:9/",
                                       "--no-verify"])  # nothing answers on port 9
    assert result.exit_code == 0
    assert "token saved" in result.output
    path = env / "cfg" / "config.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    settings = cfg.load()
    assert (settings.token, settings.api_url) == ("bt_secret", "http://127.0.0.1:9")
    assert len(settings.salt) == 32 and settings.salt == cfg.load().salt


def test_environment_overrides_the_saved_login(env, monkeypatch):
    CliRunner().invoke(main, ["login", "--token", "bt_saved", "--api-url", "http://127.0.0.1:9", "--no-verify"])
    monkeypatch.setenv("BURNTOP_TOKEN", "bt_env")
    monkeypatch.setenv("BURNTOP_API_URL", "http://example.invalid")
    settings = cfg.load()
    assert (settings.token, settings.api_url, settings.token_from_env) == ("bt_env", "http://example.invalid", True)


def test_logout_forgets_the_token(env):
    runner = CliRunner()
    runner.invoke(main, ["login", "--token", "bt_x", "--api-url", "http://127.0.0.1:9", "--no-verify"])
    assert cfg.load().token == "bt_x"
    assert runner.invoke(main, ["logout"]).exit_code == 0
    assert cfg.load().token is None


def test_sync_without_login_explains(env):
    result = CliRunner().invoke(main, ["sync"])
    assert result.exit_code == 1 and "burntop login" in result.output


def test_a_source_commit_never_disturbs_another_source(env):
    folder = env / "cfg"
    first, second = SyncState(folder), SyncState(folder)  # two concurrent `sync --source` runs
    first.commit("claude-code", {"/a.jsonl": {"offset": 10}})
    second.commit("codex", {"/b.jsonl": {"offset": 20}})
    first.commit("claude-code", {"/a.jsonl": {"offset": 30}})
    final = SyncState(folder)
    assert final.checkpoint("claude-code", "/a.jsonl") == {"offset": 30}
    assert final.checkpoint("codex", "/b.jsonl") == {"offset": 20}


def test_unknown_source_is_a_clear_error(env):
    result = CliRunner().invoke(main, ["stats", "--source", "notepad"])
    assert result.exit_code == 2 and "unknown source" in result.output


def test_bad_dates_and_zones_are_clear_errors(env):
    runner = CliRunner()
    assert "YYYY-MM-DD" in runner.invoke(main, ["stats", "--since", "June"]).output
    assert "time zone" in runner.invoke(main, ["stats", "--tz", "Mars/Base"]).output


@pytest.mark.skipif(sys.platform == "win32", reason="cron")
def test_schedule_install_and_remove_edit_the_crontab(env, monkeypatch, tmp_path):
    # A stand-in `crontab` that keeps the table in a file, so the real user's crontab is never touched.
    table = tmp_path / "crontab.txt"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "crontab"
    fake.write_text(f"""#!/bin/sh
if [ "$1" = "-l" ]; then [ -f "{table}" ] && cat "{table}" && exit 0; echo "no crontab" >&2; exit 1; fi
cat > "{table}"
""")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    table.write_text("0 5 * * * backup\n")
    runner = CliRunner()
    assert "installed" in runner.invoke(main, ["sync", "--install-schedule"]).output
    runner.invoke(main, ["sync", "--install-schedule"])  # twice: still one line
    lines = table.read_text().splitlines()
    assert lines[0] == "0 5 * * * backup"
    assert sum("burntop-auto-sync" in line for line in lines) == 1 and " sync " in lines[1]
    assert "removed" in runner.invoke(main, ["sync", "--remove-schedule"]).output
    assert table.read_text().splitlines() == ["0 5 * * * backup"]
