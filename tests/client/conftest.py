"""Fixtures for the client's tests: a developer's home and config folder, a login on a live server,
and a live server that fails chosen sync requests."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from tests.factories import make_token, make_user


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    for name in ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "GEMINI_CLI_HOME",
                 "AIDER_ANALYTICS_LOG", "CONTINUE_GLOBAL_DIR", "BURNTOP_TOKEN", "BURNTOP_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("BURNTOP_CONFIG_DIR", str(tmp_path / "config"))
    return home


@pytest.fixture
def login(app, monkeypatch):
    def log_in(url: str) -> str:
        token = make_token(make_user("dev", timezone="Europe/Berlin"))
        monkeypatch.setenv("BURNTOP_TOKEN", token)
        monkeypatch.setenv("BURNTOP_API_URL", url)
        return token
    return log_in


class Flaky:
    """Real server behind a switch that makes chosen POST /api/sync calls fail."""

    def __init__(self, app, fail):
        self.app, self.fail, self.calls = app, fail, 0

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/api/sync":
            self.calls += 1
            answer = self.fail(self.calls)
            if answer:
                status, headers = answer
                start_response(status, [("Content-Type", "application/json"), *headers])
                return [b'{"error": {"code": "INTERNAL_ERROR", "message": "injected"}}']
        return self.app(environ, start_response)


@pytest.fixture
def closed_port():
    """A loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def flaky_server(app):
    servers = []

    def serve(fail):
        wrapper = Flaky(app, fail)
        server = make_server("127.0.0.1", 0, wrapper, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}", wrapper

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


