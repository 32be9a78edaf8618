"""Email-code sign-in through its two faces: the /api/auth JSON endpoints and the /login page."""
from __future__ import annotations

import logging
import re
import socket
import socketserver
import threading
from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from burntop.extensions import db
from burntop.models import EmailCode, User
from tests.factories import make_user

SEND = "/api/auth/email-otp/send-verification-otp"
VERIFY = "/api/auth/email-otp/verify-otp"
CODE_LINE = re.compile(r"code for (\S+): (\d{6})")


@pytest.fixture
def mail_log(caplog, monkeypatch):
    """Every burntop.mail record of this test (the development mailer prints codes there)."""
    # The test run's in-process Alembic upgrade (fileConfig) disables loggers that existed before it.
    monkeypatch.setattr(logging.getLogger("burntop.mail"), "disabled", False)
    caplog.set_level(logging.INFO, logger="burntop.mail")
    return caplog


@pytest.fixture
def code_for(mail_log):
    def latest(email: str) -> str:
        found = [m[2] for m in (CODE_LINE.search(r.getMessage()) for r in mail_log.records) if m and m[1] == email]
        assert found, f"no code was logged for {email}"
        return found[-1]

    return latest


def send(client, email: str, ip: str = "192.0.2.1"):
    return client.post(SEND, json={"email": email, "type": "sign-in"}, environ_base={"REMOTE_ADDR": ip})


def verify(client, email: str, otp: str):
    return client.post(VERIFY, json={"email": email, "otp": otp})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def csrf_token(client, path: str = "/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))[1]


# ---------------------------------------------------------------- JSON API

def test_a_code_signs_in_and_creates_the_account(client, code_for):
    assert send(client, "New.Person@Example.com").get_json() == {"success": True}
    response = verify(client, "new.person@example.com", code_for("new.person@example.com"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"]["username"] == "new-person"
    assert body["user"]["email"] == "new.person@example.com" and body["user"]["emailVerified"] is True
    assert body["session"]["userId"] == body["user"]["id"]
    assert body["session"]["expiresAt"] > body["session"]["createdAt"]
    assert client.get("/api/auth/session").get_json()["user"] == body["user"]
    user = db.session.scalar(select(User).where(User.username == "new-person"))
    assert user.email_verified is True


def test_the_session_is_null_when_signed_out(client):
    assert client.get("/api/auth/session").get_json() == {"user": None, "session": None}


def test_the_session_cookie_is_httponly_and_same_site_lax(client, code_for):
    send(client, "alice@example.com")
    response = verify(client, "alice@example.com", code_for("alice@example.com"))
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie


def test_a_verified_email_signs_into_its_account(client, code_for):
    alice = make_user("alice", email="alice@example.com", email_verified=True)
    send(client, "ALICE@example.com")
    body = verify(client, "alice@example.com", code_for("alice@example.com")).get_json()
    assert body["user"]["id"] == str(alice.id)
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_an_unverified_email_cannot_claim_its_account(client, code_for):
    squatter = make_user("squatter", email="victim@example.com", email_verified=False, github_id="4242")
    send(client, "victim@example.com")
    body = verify(client, "victim@example.com", code_for("victim@example.com")).get_json()
    assert body["user"]["id"] != str(squatter.id)
    assert body["user"]["username"] == "victim" and body["user"]["emailVerified"] is True
    db.session.refresh(squatter)
    assert squatter.email is None


def test_a_wrong_code_is_refused_and_counted(client, code_for):
    send(client, "alice@example.com")
    response = verify(client, "alice@example.com", wrong(code_for("alice@example.com")))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and "4 attempts left" in error["message"]
    assert error["details"] == [{"field": "otp", "reason": "wrong"}]
    assert client.get("/api/auth/session").get_json()["user"] is None


def test_an_expired_code_is_refused(client, code_for):
    with freeze_time(datetime.now(timezone.utc)) as frozen:
        send(client, "alice@example.com")
        frozen.tick(timedelta(minutes=10, seconds=1))
        response = verify(client, "alice@example.com", code_for("alice@example.com"))
    assert response.status_code == 400
    assert response.get_json()["error"]["details"] == [{"field": "otp", "reason": "expired"}]


def test_the_sixth_attempt_fails_even_with_the_right_code(client, code_for):
    send(client, "alice@example.com")
    code = code_for("alice@example.com")
    for _ in range(5):
        assert verify(client, "alice@example.com", wrong(code)).status_code == 400
    response = verify(client, "alice@example.com", code)
    assert response.status_code == 400
    assert response.get_json()["error"]["details"] == [{"field": "otp", "reason": "attempts"}]
    assert client.get("/api/auth/session").get_json()["user"] is None


def test_resends_are_throttled_per_email(client, code_for):
    with freeze_time(datetime.now(timezone.utc)) as frozen:
        assert send(client, "alice@example.com").status_code == 200
        frozen.tick(timedelta(seconds=10))
        response = send(client, "alice@example.com", ip="198.51.100.7")
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "50"
        assert response.get_json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
        for _ in range(4):
            frozen.tick(timedelta(seconds=61))
            assert send(client, "alice@example.com").status_code == 200
        frozen.tick(timedelta(seconds=61))
        response = send(client, "alice@example.com")
        assert response.status_code == 429
        assert int(response.headers["Retry-After"]) > 60 * 50
        assert send(client, "bob@example.com").status_code == 200


def test_sends_are_throttled_per_ip(client):
    for n in range(20):
        assert send(client, f"person{n}@example.com", ip="203.0.113.5").status_code == 200
    response = send(client, "one-more@example.com", ip="203.0.113.5")
    assert response.status_code == 429
    assert "network" in response.get_json()["error"]["message"]
    assert send(client, "one-more@example.com", ip="203.0.113.6").status_code == 200


@pytest.mark.parametrize("path,kwargs,status,code", [
    (SEND, {"data": {"email": "a@example.com"}}, 415, "UNSUPPORTED_MEDIA_TYPE"),
    (SEND, {"json": ["a@example.com"]}, 400, "VALIDATION_ERROR"),
    (SEND, {"json": {}}, 400, "VALIDATION_ERROR"),
    (SEND, {"json": {"email": "not-an-email"}}, 400, "VALIDATION_ERROR"),
    (SEND, {"json": {"email": "a@example.com", "type": "forget-password"}}, 400, "VALIDATION_ERROR"),
    (VERIFY, {"json": {"email": "a@example.com"}}, 400, "VALIDATION_ERROR"),
    (VERIFY, {"json": {"email": "a@example.com", "otp": 123456}}, 400, "VALIDATION_ERROR"),
    (VERIFY, {"json": {"email": "a@example.com", "otp": "123456"}}, 400, "VALIDATION_ERROR"),
    ("/api/auth/sign-out", {}, 415, "UNSUPPORTED_MEDIA_TYPE"),
])
def test_bad_input_is_refused(client, path, kwargs, status, code):
    response = client.post(path, **kwargs)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code


def test_sign_out_ends_the_session(client, code_for):
    send(client, "alice@example.com")
    verify(client, "alice@example.com", code_for("alice@example.com"))
    assert client.post("/api/auth/sign-out", json={}).get_json() == {"success": True}
    assert client.get("/api/auth/session").get_json()["user"] is None


class SmtpSink(socketserver.ThreadingTCPServer):
    """Just enough SMTP to receive one message at a time over a real socket."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.messages: list[dict] = []
        super().__init__(("127.0.0.1", 0), SmtpHandler)


class SmtpHandler(socketserver.StreamRequestHandler):
    def handle(self):
        message = {"auth": None, "to": [], "data": ""}
        self.wfile.write(b"220 sink ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line.decode().strip()
            upper = verb.upper()
            if upper.startswith("EHLO"):
                self.wfile.write(b"250-sink\r\n250 AUTH PLAIN\r\n")
            elif upper.startswith("AUTH PLAIN"):
                message["auth"] = verb.split()[-1]
                self.wfile.write(b"235 ok\r\n")
            elif upper.startswith("RCPT TO:"):
                message["to"].append(verb[8:].strip(" <>"))
                self.wfile.write(b"250 ok\r\n")
            elif upper == "DATA":
                self.wfile.write(b"354 go on\r\n")
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    message["data"] += data.decode()
                self.server.messages.append(message)
                self.wfile.write(b"250 queued\r\n")
            elif upper == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp():
    server = SmtpSink()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def production(app_config):
    app_config.update(BURNTOP_ENV="production", SMTP_HOST=None, SMTP_STARTTLS="false")
    return app_config


def test_production_without_smtp_answers_503(production, client, mail_log):
    response = send(client, "alice@example.com")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert "not configured" in response.get_json()["error"]["message"]
    assert db.session.scalar(select(func.count()).select_from(EmailCode)) == 0


def test_codes_are_emailed_by_smtp_and_never_logged_in_production(production, smtp, app, client, mail_log):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp.server_address[1]), SMTP_USERNAME="mailer",
                      SMTP_PASSWORD="hunter2", SMTP_FROM="burntop <login@burntop.test>")
    assert send(client, "alice@example.com").status_code == 200
    [message] = smtp.messages
    assert message["to"] == ["alice@example.com"] and message["auth"]
    code = re.search(r"Subject: (\d{6}) is your burntop sign-in code", message["data"])[1]
    assert "From: burntop <login@burntop.test>" in message["data"]
    assert code not in mail_log.text
    assert verify(client, "alice@example.com", code).status_code == 200


def test_an_smtp_failure_answers_503_and_does_not_count(production, app, client, mail_log):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(_free_port()))
    assert send(client, "alice@example.com").status_code == 503
    assert "could not send email" in mail_log.text
    assert db.session.scalar(select(func.count()).select_from(EmailCode)) == 0


# ---------------------------------------------------------------- the /login page

def test_the_login_page_asks_for_an_email(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'name="email"' in page and 'name="csrf_token"' in page
    assert "Sign in with GitHub" not in page


def test_the_login_page_offers_github_when_configured(app, client):
    app.config["GITHUB_CLIENT_ID"] = "abc"
    page = client.get("/login?next=/settings").get_data(as_text=True)
    assert "Sign in with GitHub" in page and "/auth/github?next=/settings" in page


@pytest.mark.parametrize("path", ["/login", "/logout"])
def test_forms_without_a_csrf_token_are_refused(client, path):
    assert client.post(path, data={"email": "alice@example.com"}).status_code == 400


def _page_sign_in(client, code_for, email="alice@example.com", next_url=None, **headers):
    token = csrf_token(client)
    extra = {"next": next_url} if next_url is not None else {}
    client.post("/login", data={"csrf_token": token, "email": email, "action": "send", **extra})
    return client.post("/login", headers=headers,
                       data={"csrf_token": token, "email": email, "code": code_for(email), "action": "verify", **extra})


def test_the_page_sends_a_code_then_signs_in(client, code_for):
    token = csrf_token(client)
    response = client.post("/login", data={"csrf_token": token, "email": "Alice@Example.com"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'name="code"' in page and "alice@example.com" in page
    response = client.post("/login", data={"csrf_token": token, "email": "alice@example.com",
                                           "code": code_for("alice@example.com")})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert client.get("/api/auth/session").get_json()["user"]["username"] == "alice"


def test_htmx_gets_the_form_alone_and_a_redirect_header(client, code_for):
    token = csrf_token(client)
    response = client.post("/login", data={"csrf_token": token, "email": "alice@example.com"},
                           headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="login-form">') and "<html" not in html
    data = {"csrf_token": token, "email": "alice@example.com", "code": code_for("alice@example.com")}
    response = client.post("/login", headers={"HX-Request": "true"}, data=data)
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/"


def test_a_local_next_is_followed(client, code_for):
    response = _page_sign_in(client, code_for, next_url="/settings?tab=keys")
    assert response.status_code == 303 and response.headers["Location"] == "/settings?tab=keys"


@pytest.mark.parametrize("foreign", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                     "javascript:alert(1)", "evil.example", "/ok\r\nSet-Cookie: x=1"])
def test_a_foreign_next_is_ignored(client, code_for, foreign):
    response = _page_sign_in(client, code_for, next_url=foreign)
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_a_wrong_code_is_shown_inline(client, code_for):
    token = csrf_token(client)
    client.post("/login", data={"csrf_token": token, "email": "alice@example.com"})
    data = {"csrf_token": token, "email": "alice@example.com", "code": wrong(code_for("alice@example.com"))}
    response = client.post("/login", data=data)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert "That code is wrong" in response.get_data(as_text=True)
    htmx = client.post("/login", data=data, headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and "3 attempts left" in htmx.get_data(as_text=True)


def test_an_invalid_email_is_shown_inline(client):
    response = client.post("/login", data={"csrf_token": csrf_token(client), "email": "nope"})
    assert response.status_code == 422 and "Enter a valid email address" in response.get_data(as_text=True)


def test_a_throttled_resend_is_shown_inline(client, code_for):
    token = csrf_token(client)
    client.post("/login", data={"csrf_token": token, "email": "alice@example.com"})
    response = client.post("/login", data={"csrf_token": token, "email": "alice@example.com", "code": "",
                                           "action": "send"})
    page = response.get_data(as_text=True)
    assert response.status_code == 429 and "A code was just sent" in page and 'name="code"' in page


def test_the_page_explains_when_email_is_unavailable(production, client):
    response = client.post("/login", data={"csrf_token": csrf_token(client), "email": "alice@example.com"})
    assert response.status_code == 503 and "cannot be emailed right now" in response.get_data(as_text=True)


def test_signed_in_people_see_who_they_are_and_can_sign_out(client, code_for):
    _page_sign_in(client, code_for)
    page = client.get("/login").get_data(as_text=True)
    assert "@alice" in page and "Sign out" in page
    response = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert client.get("/api/auth/session").get_json()["user"] is None


# ---------------------------------------------------------------- throttles hold under concurrency


def _send_at_once(base_url: str, requests_to_send: list[tuple[str, str]]) -> list[int]:
    """POST every (email, ip) at the same moment from its own thread; return the statuses."""
    import requests

    barrier = threading.Barrier(len(requests_to_send))
    statuses: list[int] = [0] * len(requests_to_send)

    def send_one(index: int, email: str, ip: str) -> None:
        barrier.wait()
        statuses[index] = requests.post(base_url + SEND, json={"email": email}, headers={"X-Forwarded-For": ip},
                                        timeout=60).status_code

    threads = [threading.Thread(target=send_one, args=(i, email, ip)) for i, (email, ip) in enumerate(requests_to_send)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    return statuses


@pytest.fixture
def behind_a_proxy(app_config):
    app_config["PROXY_FIX"] = 1  # the threads say which address they come from, as a load balancer would
    return app_config


def test_sixteen_concurrent_sends_to_one_address_deliver_one_code(behind_a_proxy, app, live_server, mail_log):
    statuses = _send_at_once(live_server, [("alice@example.com", f"198.51.100.{n}") for n in range(16)])
    assert sorted(statuses) == [200] + [429] * 15
    delivered = [r for r in mail_log.records if "code for alice@example.com" in r.getMessage()]
    assert len(delivered) == 1
    assert db.session.scalar(select(func.count()).select_from(EmailCode)) == 1


def test_forty_concurrent_sends_from_one_address_deliver_twenty(behind_a_proxy, app, live_server, mail_log):
    statuses = _send_at_once(live_server, [(f"person{n}@example.com", "203.0.113.5") for n in range(40)])
    assert statuses.count(200) == 20 and statuses.count(429) == 20
    assert len([r for r in mail_log.records if "sign-in code for" in r.getMessage()]) == 20
    assert db.session.scalar(select(func.count()).select_from(EmailCode)) == 20
