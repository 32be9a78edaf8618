"""Bad input is refused at the edge with 400 (413 for oversize bodies), never a 500, on every endpoint.

NUL characters (PostgreSQL refuses them in text) in the path, the query, a form or a JSON body; JSON
nested deeper than any real request; a chunked body past the size limit.
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from burntop import ROOT
from burntop.extensions import db
from burntop.models import UsageRecord, User
from tests.conftest import REDIS_URL
from tests.factories import auth, make_token, make_user, record, sign_in

NUL = "a\u0000b"
DEEP = "[" * 2000 + "]" * 2000
DEEP_OBJECT = '{"a":' * 2000 + "1" + "}" * 2000


@pytest.fixture
def app_config(app_config):
    # A 500 must come back as a response here, as it would in production, not as a test error.
    return {**app_config, "TESTING": False, "PROPAGATE_EXCEPTIONS": False}


@pytest.fixture
def alice(client):
    user = make_user("alice")
    sign_in(client, user)
    return user


def refused(response, status: int = 400) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["code"] in ("VALIDATION_ERROR", "PAYLOAD_TOO_LARGE")
    return body["error"]


@pytest.mark.parametrize("method, path, body", [
    ("patch", "/api/users/me", {"bio": NUL}),
    ("patch", "/api/users/me", {"name": "ok", NUL: "key"}),
    ("put", "/api/profile", {"bio": NUL}),
    ("post", "/api/referrals/click", {"referralCode": NUL}),
    ("post", "/api/referrals/track", {"referralCode": NUL}),
    ("post", "/api/auth/device/code", {"client_name": NUL}),
    ("post", "/api/auth/email-otp/send-verification-otp", {"email": f"{NUL}@example.com"}),
    ("post", "/api/api-keys", {"name": NUL}),
    ("post", "/api/sync", {"records": [record(NUL)]}),
    ("post", "/api/sync", {"records": [record("r1", model=NUL)]}),
])
def test_a_nul_in_a_json_body_is_400(client, alice, method, path, body):
    headers = auth(make_token(alice)) if path in ("/api/sync", "/api/referrals/track") else {}
    error = refused(getattr(client, method)(path, json=body, headers=headers))
    assert error["message"]
    db.session.expire_all()
    assert db.session.get(User, alice.id).bio is None


def test_a_nul_in_an_ignored_sync_field_never_reaches_the_database(client, alice):
    response = client.post("/api/sync", json={"records": [record("r1", note=NUL)]}, headers=auth(make_token(alice)))
    assert response.status_code == 200 and response.get_json()["recordsAdded"] == 1


@pytest.mark.parametrize("path", ["/api/users/%00/level", "/api/users/a%00b/achievements", "/api/health?x=%00",
                                  "/api/achievements?category=%00"])
def test_a_nul_in_the_path_or_query_of_an_api_call_is_400(client, path):
    error = refused(client.get(path))
    assert "NUL" in error["message"]


@pytest.mark.parametrize("path", ["/%00", "/device?code=%00", "/login?next=/%00"])
def test_a_nul_in_a_page_address_is_a_400_page(client, alice, path):
    response = client.get(path)
    assert response.status_code == 400 and response.mimetype == "text/html"


def test_a_nul_in_a_form_is_400(client):
    response = client.post("/api/auth/device/code", data={"client_name": NUL})
    refused(response)
    page = client.post("/login", data={"email": f"{NUL}@example.com"})
    assert page.status_code == 400


def _json_routes(app) -> list[tuple[str, str]]:
    """Every route that takes a body, with a plausible URL."""
    found = []
    for rule in app.url_map.iter_rules():
        methods = rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
        if not methods or rule.endpoint == "static":
            continue
        values = {name: ("1" if type(conv).__name__ == "IntegerConverter" else "approved" if name == "outcome"
                         else "someone") for name, conv in rule._converters.items()}
        with app.test_request_context():
            url = app.url_map.bind("localhost").build(rule.endpoint, values)
        found.extend((method, url) for method in sorted(methods))
    return found


@pytest.mark.parametrize("payload", [DEEP, DEEP_OBJECT])
def test_deeply_nested_json_is_400_on_every_endpoint(app, client, alice, payload):
    token = make_token(alice)
    routes = _json_routes(app)
    assert len(routes) > 15
    for method, url in routes:
        response = client.open(url, method=method, data=payload,
                               headers={**auth(token), "Content-Type": "application/json"})
        assert response.status_code < 500, (method, url, response.status_code)
        if url.startswith("/api/") and response.status_code not in (404, 405, 429):
            assert response.status_code == 400, (method, url, response.status_code)
            assert response.get_json()["error"]["code"] == "VALIDATION_ERROR", (method, url)


def test_ordinary_json_still_works(client, alice):
    response = client.patch("/api/users/me", json={"bio": "Ünïcode ✓ and \\u0000 typed as text"})
    assert response.status_code == 200
    assert response.get_json()["user"]["bio"] == "Ünïcode ✓ and \\u0000 typed as text"


# ---------------------------------------------------------------- oversize chunked bodies


def _padded_sync_body(limit: int) -> bytes:
    """A valid batch followed by whitespace past the limit: cut at the limit it would still parse."""
    head = json.dumps({"records": [record("padded-1")]}).encode()
    return head + b" " * (limit + 1024 - len(head))


def _post_chunked(base_url: str, path: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.putrequest("POST", path)
        for name, value in {**headers, "Content-Type": "application/json", "Transfer-Encoding": "chunked"}.items():
            connection.putheader(name, value)
        connection.endheaders()
        try:
            for start in range(0, len(body), 64 * 1024):
                chunk = body[start:start + 64 * 1024]
                connection.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            connection.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer 413 and close before reading it all
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.fixture
def small_limit(app_config):
    app_config["MAX_CONTENT_LENGTH"] = 256 * 1024
    return app_config["MAX_CONTENT_LENGTH"]


def test_a_chunked_body_over_the_limit_is_413_on_the_development_server(small_limit, app, live_server):
    token = make_token(make_user("alice"))
    status, body = _post_chunked(live_server, "/api/sync", _padded_sync_body(small_limit), auth(token))
    assert status == 413, body
    assert json.loads(body)["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert db.session.scalar(select(func.count()).select_from(UsageRecord)) == 0
    fits = json.dumps({"records": [record("fits-1")]}).encode()
    status, body = _post_chunked(live_server, "/api/sync", fits, auth(token))
    assert status == 200 and json.loads(body)["recordsAdded"] == 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_chunked_body_over_the_limit_is_413_under_gunicorn(app, database_url):
    token = make_token(make_user("alice"))
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "BURNTOP_MAX_SYNC_MB": "1", "BURNTOP_ENV": "production",
           "SECRET_KEY": "gunicorn-test-secret-long-enough", "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    if REDIS_URL:
        env["REDIS_URL"] = REDIS_URL
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen([str(gunicorn), "-w", "1", "-k", "gthread", "--threads", "2", "-b", f"127.0.0.1:{port}",
                               "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError(f"gunicorn did not start: {server.stderr.read().decode()[-2000:]}")
                time.sleep(0.2)
        status, body = _post_chunked(base, "/api/sync", _padded_sync_body(1024 * 1024), auth(token))
        assert status == 413, body
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(UsageRecord)) == 0
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(15)
        server.stderr.close()
