"""`burntop login --token` keeps only a token the server accepts; a token the server stops accepting
sends the person back to `burntop login`, not to a sync that cannot succeed."""
from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import delete

from burntop.client import config as cfg
from burntop.client.cli import main
from burntop.extensions import db
from burntop.models import ApiToken
from tests.client.test_sync_e2e import claude_history
from tests.factories import make_token, make_user


def run(*args):
    return CliRunner().invoke(main, list(args))


def saved_config(tmp_path) -> dict:
    path = tmp_path / "config" / "config.json"
    return json.loads(path.read_text()) if path.exists() else {}


def test_a_token_the_server_accepts_is_saved(home, tmp_path, live_server):
    token = make_token(make_user("dev"))
    result = run("login", "--token", token, "--api-url", live_server)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"logged in to {live_server} as dev\n"
    assert saved_config(tmp_path)["token"] == token and cfg.load().api_url == live_server


def test_a_token_the_server_rejects_is_not_saved(home, tmp_path, live_server):
    result = run("login", "--token", "bt_not-a-real-token", "--api-url", live_server)
    assert result.exit_code == 1
    assert "rejected this token" in result.stderr and "nothing was saved" in result.stderr
    assert "token" not in saved_config(tmp_path)
    status = run("status")
    assert "account  not logged in: run `burntop login`" in status.stdout
    assert "token saved" not in status.stdout


def test_an_unreachable_server_saves_nothing_unless_told_not_to_check(home, tmp_path, closed_port):
    url = f"http://127.0.0.1:{closed_port}"
    result = run("login", "--token", "bt_secret", "--api-url", url)
    assert result.exit_code == 1
    assert f"could not check the token with {url}: cannot reach {url}" in result.stderr
    assert "--no-verify" in result.stderr and "nothing was saved" in result.stderr
    # each retry is announced (the budget for a login is 5 s: waits of 1 s and 2 s)
    assert result.stderr.count("server unreachable, retrying in") == 2
    assert "token" not in saved_config(tmp_path)

    unchecked = run("login", "--token", "bt_secret", "--api-url", url, "--no-verify")
    assert unchecked.exit_code == 0 and "without checking it" in unchecked.stdout
    assert saved_config(tmp_path)["token"] == "bt_secret"
    assert "account  token saved, not checked (the server did not answer)" in run("status").stdout


def test_no_verify_belongs_to_token(home):
    result = run("login", "--no-verify")
    assert result.exit_code == 2 and "--no-verify goes with --token" in result.output


def test_status_says_when_the_saved_token_is_rejected(home, live_server):
    assert run("login", "--token", "bt_revoked", "--api-url", live_server, "--no-verify").exit_code == 0
    text = run("status").stdout
    assert "account  token rejected by the server: run `burntop login`" in text
    assert json.loads(run("status", "--json").stdout)["token"] == "rejected"


def test_a_token_revoked_before_a_sync_sends_the_person_to_login(home, live_server):
    claude_history(home)
    token = make_token(make_user("dev"))
    assert run("login", "--token", token, "--api-url", live_server).exit_code == 0
    db.session.execute(delete(ApiToken))  # revoked on the website
    db.session.commit()
    result = run("sync")
    assert result.exit_code == 1
    assert "401" in result.stderr and "log in again with `burntop login`" in result.stderr
    assert "run `burntop sync` again" not in result.stderr
    assert "retrying" not in result.stderr  # a refusal is final: no waiting
