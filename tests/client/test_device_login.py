"""`burntop login` through the device flow against the real server over HTTP, approved or denied in between.

Time is frozen for both sides (client and server thread) and the client's waits move the clock, so the
polling loop runs at full speed with the server judging intervals exactly as it would in real time.
"""
from __future__ import annotations

import functools
import re
import socket
import webbrowser

import pytest
from click.testing import CliRunner
from freezegun import freeze_time
from sqlalchemy import select

from burntop.client import config as cfg
from burntop.client import device_login, upload
from burntop.client.cli import main
from burntop.extensions import db
from burntop.models import ApiToken, DeviceGrant
from tests.factories import auth, make_token, make_user, sign_in

START = "2026-03-02 09:00:00"


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("BURNTOP_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("BURNTOP_TOKEN", "BURNTOP_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(upload, "make_session", functools.partial(upload.make_session, backoff=0.01, backoff_max=0.05))
    return tmp_path


@pytest.fixture
def server(app, live_server):
    """The live server, telling clients its own address as the verification page's."""
    app.config["BURNTOP_BASE_URL"] = None  # links follow the address the server answers on
    return live_server


@pytest.fixture
def frozen():
    with freeze_time(START) as clock:
        yield clock


@pytest.fixture
def browser_user(frozen, client):
    """alice, signed in on the test client (standing in for her browser)."""
    user = make_user("alice")
    sign_in(client, user)
    return user


def decide_in_browser(client, decision: str) -> None:
    """What alice does on /device: enter the waiting code, then approve or deny it."""
    db.session.expire_all()
    user_code = db.session.scalar(select(DeviceGrant.user_code).where(DeviceGrant.status == "pending"))
    page = client.get("/device").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/device", data={"csrf_token": token, "user_code": user_code, "decision": decision})
    assert response.status_code == 303


class Waits:
    """Stands in for time.sleep: records each wait and moves the frozen clock instead of waiting."""

    def __init__(self, frozen, act=None, woke_early=()):
        self.frozen, self.act, self.woke_early, self.calls = frozen, act, set(woke_early), []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        n = len(self.calls)
        self.frozen.tick(1 if n in self.woke_early else seconds)
        if self.act:
            self.act(n)


def login(*args):
    return CliRunner().invoke(main, ["login", *args], catch_exceptions=False)


def test_login_polls_until_approved_then_saves_a_token_named_after_the_machine(
        env, server, client, browser_user, frozen, monkeypatch):
    waits = Waits(frozen, act=lambda n: n == 2 and decide_in_browser(client, "approve"))
    monkeypatch.setattr(device_login.time, "sleep", waits)
    result = login("--no-browser", "--api-url", server + "/")
    assert result.exit_code == 0, result.output
    code = re.search(r"confirm the code: ([A-Z]{4}-[A-Z]{4})", result.output).group(1)
    assert f"{server}/device?code={code}" in result.output
    assert f"logged in to {server} as alice" in result.output
    assert waits.calls == [5, 5]  # pending once, then the token
    settings = cfg.load()
    assert settings.api_url == server and settings.token.startswith("bt_")
    token = db.session.scalar(select(ApiToken))
    assert (token.kind, token.name) == ("cli", f"burntop CLI on {socket.gethostname()}")
    assert client.get("/api/profile", headers=auth(settings.token)).get_json()["username"] == "alice"


def test_slow_down_makes_the_client_wait_five_seconds_longer(env, server, client, browser_user, frozen,
                                                            monkeypatch):
    waits = Waits(frozen, act=lambda n: n == 4 and decide_in_browser(client, "approve"), woke_early={2})
    monkeypatch.setattr(device_login.time, "sleep", waits)
    result = login("--no-browser", "--api-url", server)
    assert result.exit_code == 0, result.output
    # 5: pending; woke after 1 s: slow_down; from then on 10 s: pending, then the token
    assert waits.calls == [5, 5, 10, 10]


def test_denied_in_the_browser_exits_1_and_saves_nothing(env, server, client, browser_user, frozen, monkeypatch):
    monkeypatch.setattr(device_login.time, "sleep", Waits(frozen, act=lambda n: n == 1 and decide_in_browser(client, "deny")))
    result = login("--no-browser", "--api-url", server)
    assert result.exit_code == 1 and "denied" in result.output
    assert cfg.load().token is None


def test_an_unapproved_code_expires(env, server, frozen, monkeypatch):
    monkeypatch.setattr(device_login.time, "sleep", Waits(frozen, act=lambda n: frozen.tick(900)))
    result = login("--no-browser", "--api-url", server)
    assert result.exit_code == 1 and "expired" in result.output and "burntop login" in result.output
    assert cfg.load().token is None


def test_the_servers_expired_token_answer_ends_the_loop(server, frozen):
    session = upload.make_session(retries=0)
    code = device_login.request_code(session, server, "test")
    with pytest.raises(device_login.DeviceLoginError, match="expired"):
        # the client's own clock stands still, so only the server can say the code expired
        device_login.poll(session, server, code, sleep=lambda s: frozen.tick(901), clock=lambda: 0.0)


def test_ctrl_c_stops_cleanly(env, server, frozen, monkeypatch):
    def interrupt(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(device_login.time, "sleep", interrupt)
    result = CliRunner().invoke(main, ["login", "--no-browser", "--api-url", server])
    assert result.exit_code == 130 and "cancelled" in result.output and "Traceback" not in result.output
    assert cfg.load().token is None


@pytest.mark.parametrize("browser_works", [True, False])
def test_the_browser_opens_on_the_code_when_there_is_one(env, server, client, browser_user, frozen, monkeypatch,
                                                         browser_works):
    opened = []

    def fake_open(url, *args, **kwargs):
        opened.append(url)
        if not browser_works:
            raise webbrowser.Error("could not locate runnable browser")
        return True

    monkeypatch.setattr(webbrowser, "open", fake_open)
    monkeypatch.setattr(device_login.time, "sleep", Waits(frozen, act=lambda n: n == 1 and decide_in_browser(client, "approve")))
    result = login("--api-url", server)
    assert result.exit_code == 0, result.output
    assert len(opened) == 1 and re.fullmatch(rf"{server}/device\?code=[A-Z]{{4}}-[A-Z]{{4}}", opened[0])
    assert ("Opened your browser" in result.output) is browser_works


def test_no_browser_never_opens_one(env, server, client, browser_user, frozen, monkeypatch):
    monkeypatch.setattr(webbrowser, "open", lambda *a, **k: pytest.fail("opened a browser"))
    monkeypatch.setattr(device_login.time, "sleep", Waits(frozen, act=lambda n: n == 1 and decide_in_browser(client, "approve")))
    assert login("--no-browser", "--api-url", server).exit_code == 0


def test_an_unreachable_server_is_a_clear_error(env):
    result = login("--no-browser", "--api-url", "http://127.0.0.1:9")
    assert result.exit_code == 1 and "cannot reach http://127.0.0.1:9" in result.output


def test_token_login_still_works_with_api_url(env, server):
    token = make_token(make_user("bob"))
    result = login("--token", token, "--api-url", server)
    assert result.exit_code == 0 and f"logged in to {server} as bob" in result.output
    assert (cfg.load().token, cfg.load().api_url) == (token, server)

