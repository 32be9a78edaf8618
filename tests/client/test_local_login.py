"""`burntop login --local` and the first `burntop sync` against a burntop on this computer (local mode):
a token for the owner from POST /api/local/token, checked and saved like `burntop login` saves one."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from burntop.client.cli import main
from burntop.client.local_login import DEFAULT_LOCAL_URL, is_loopback_url, local_server
from burntop.extensions import db
from burntop.models import ApiToken, UsageRecord, User
from tests.client.test_sync_e2e import claude_history


def run(*args):
    return CliRunner().invoke(main, list(args))


def saved(tmp_path) -> dict:
    path = tmp_path / "config" / "config.json"
    return json.loads(path.read_text()) if path.exists() else {}


@pytest.mark.parametrize("url, loopback", [
    ("http://127.0.0.1:5000", True), ("http://localhost:5077/", True), ("http://[::1]:5000", True),
    ("https://localhost", True), ("https://burntop.dev", False), ("http://127.0.0.1.nip.io:5000", False),
    ("http://192.168.1.10:5000", False), ("ftp://127.0.0.1", False), ("127.0.0.1:5000", False), ("", False),
    ("http://[::1", False),
])
def test_which_urls_are_this_computer(url, loopback):
    assert is_loopback_url(url) is loopback


def test_which_server_a_local_login_asks():
    assert local_server("http://localhost:5077/", "https://burntop.dev") == "http://localhost:5077"
    assert local_server(None, "http://127.0.0.1:5077") == "http://127.0.0.1:5077"
    assert local_server(None, "https://burntop.dev") == DEFAULT_LOCAL_URL == "http://127.0.0.1:5000"


@pytest.fixture
def local_server_url(local_app, live_server):
    """A burntop in local mode, served over real HTTP on loopback."""
    return live_server


def test_login_local_saves_a_checked_token_for_the_owner(home, tmp_path, local_server_url):
    result = run("login", "--local", "--api-url", local_server_url)
    assert result.exit_code == 0, result.output
    owner = db.session.scalar(select(User))
    assert result.stdout == f"logged in to {local_server_url} as {owner.username} (local mode)\n"
    config = saved(tmp_path)
    assert config["token"].startswith("bt_") and config["apiUrl"] == local_server_url
    token = db.session.scalar(select(ApiToken))
    assert token.user_id == owner.id and token.kind == "cli" and token.name.startswith("burntop CLI on ")
    status = json.loads(run("status", "--json").stdout)
    assert (status["token"], status["user"], status["apiUrl"]) == ("ok", owner.username, local_server_url)


def test_login_local_asks_only_this_computer(home, tmp_path):
    result = run("login", "--local", "--api-url", "https://burntop.example")
    assert result.exit_code == 1
    assert "https://burntop.example is not on this computer" in result.stderr
    assert "token" not in saved(tmp_path)


def test_login_local_against_a_burntop_not_in_local_mode_saves_nothing(home, tmp_path, live_server):
    result = run("login", "--local", "--api-url", live_server)
    assert result.exit_code == 1
    assert f"{live_server} is not in local mode" in result.stderr and "nothing was saved" in result.stderr
    assert "token" not in saved(tmp_path)


def test_login_local_when_nothing_listens_says_what_to_start(home, tmp_path, closed_port):
    result = run("login", "--local", "--api-url", f"http://127.0.0.1:{closed_port}")
    assert result.exit_code == 1
    assert "is `make run` running?" in result.stderr and "token" not in saved(tmp_path)


def test_login_local_gets_its_own_token(home):
    result = run("login", "--local", "--token", "bt_x")
    assert result.exit_code == 2 and "--local gets its own token" in result.output


def _stored() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(UsageRecord))


def test_the_first_sync_against_this_computer_logs_in_by_itself(home, tmp_path, local_server_url):
    claude_history(home)
    first = run("sync", "--api-url", local_server_url)
    assert first.exit_code == 0, first.output
    owner = db.session.scalar(select(User))
    assert (f"no token saved: asked the burntop on this computer for one (as `burntop login --local` does); "
            f"logged in to {local_server_url} as {owner.username} (local mode)") in first.stderr
    assert "6 added" in first.stdout
    assert _stored() == 6
    assert saved(tmp_path)["apiUrl"] == local_server_url

    again = run("sync")  # the saved server and token
    assert again.exit_code == 0, again.output
    assert "asked the burntop" not in again.stderr and "nothing new to sync" in again.stdout
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 1


def test_the_first_sync_keeps_json_output_clean(home, local_server_url):
    claude_history(home)
    result = run("sync", "--json", "--api-url", local_server_url)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ok"] is True
    assert "(local mode)" in result.stderr


def test_a_sync_elsewhere_without_a_token_still_asks_for_a_login(home, monkeypatch):
    monkeypatch.setenv("BURNTOP_API_URL", "https://burntop.example")
    result = run("sync")
    assert result.exit_code == 1 and "not logged in: run `burntop login`" in result.stderr


def test_a_sync_against_a_burntop_not_in_local_mode_explains(home, tmp_path, live_server):
    claude_history(home)
    result = run("sync", "--api-url", live_server)
    assert result.exit_code == 1 and "is not in local mode" in result.stderr
    assert "token" not in saved(tmp_path) and _stored() == 0


def test_a_rejected_token_on_this_computer_points_at_login_local(home, local_server_url):
    claude_history(home)
    assert run("login", "--token", "bt_revoked", "--api-url", local_server_url, "--no-verify").exit_code == 0
    result = run("sync")
    assert result.exit_code == 1
    assert f"`burntop login --local --api-url {local_server_url}`" in result.stderr


def test_status_tells_how_to_log_in_to_the_burntop_on_this_computer(home, monkeypatch):
    monkeypatch.setenv("BURNTOP_API_URL", "http://127.0.0.1:5077")
    assert ("account  not logged in: `burntop sync` logs in to the burntop on this computer "
            "(`burntop login --local`)") in run("status").stdout
    monkeypatch.setenv("BURNTOP_API_URL", "https://burntop.example")
    assert "account  not logged in: run `burntop login`\n" in run("status").stdout
