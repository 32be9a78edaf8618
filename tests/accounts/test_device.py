"""Device login (RFC 8628): the code and token endpoints' every answer, and the /device page's access rules."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from urllib.parse import unquote, urlsplit

import pytest
from flask import g, url_for
from freezegun import freeze_time
from sqlalchemy import select

from burntop.extensions import db
from burntop.models import ApiToken, DeviceGrant
from tests.factories import auth, make_user, sign_in

GRANT = "urn:ietf:params:oauth:grant-type:device_code"
USER_CODE = re.compile(r"^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$")
START = "2026-03-02 09:00:00"


def start(client, name="burntop CLI on laptop", **kwargs) -> dict:
    response = client.post("/api/auth/device/code", data={"client_name": name}, **kwargs)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def poll(client, device_code, grant_type=GRANT):
    return client.post("/api/auth/device/token", data={"grant_type": grant_type, "device_code": device_code})


def error_of(response) -> str:
    assert response.status_code == 400
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) == {"error", "error_description"}
    return body["error"]


def grant_for(started: dict) -> DeviceGrant:
    db.session.expire_all()
    return db.session.scalar(select(DeviceGrant).where(DeviceGrant.user_code == started["user_code"].replace("-", "")))



def csrf(client) -> str:
    page = client.get("/device")
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def decide(client, user_code, decision, **headers):
    return client.post("/device", data={"csrf_token": csrf(client), "user_code": user_code, "decision": decision},
                       headers=headers)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))


@pytest.fixture
def alice(client):
    user = make_user("alice")
    sign_in(client, user)
    return user


# --- POST /api/auth/device/code ---------------------------------------------------------------------

def test_code_answers_rfc_8628_fields_and_stores_only_a_hash(client):
    started = start(client)
    assert set(started) == {"device_code", "user_code", "verification_uri", "verification_uri_complete",
                            "interval", "expires_in"}
    assert USER_CODE.match(started["user_code"])
    assert len(started["device_code"]) >= 43  # 256 bits
    assert started["verification_uri"] == "http://testserver/device"
    assert started["verification_uri_complete"] == f"http://testserver/device?code={started['user_code']}"
    assert (started["interval"], started["expires_in"]) == (5, 900)
    grant = grant_for(started)
    assert grant.device_code_hash == hashlib.sha256(started["device_code"].encode()).hexdigest()
    assert started["device_code"] not in repr(vars(grant))
    assert (grant.status, grant.client_name, grant.user_id) == ("pending", "burntop CLI on laptop", None)


def test_code_takes_json_and_a_default_client_name(client):
    response = client.post("/api/auth/device/code", json={})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert grant_for(response.get_json()).client_name == "burntop CLI"
    long = start(client, name="  burntop\nCLI  " + "x" * 200)
    assert grant_for(long).client_name.startswith("burntop CLI xxx") and len(grant_for(long).client_name) == 100


def test_user_codes_are_unique_and_old_grants_are_purged(client):
    with freeze_time(START) as clock:
        codes = {start(client)["user_code"] for _ in range(8)}
        assert len(codes) == 8
        clock.tick(timedelta(seconds=900) + timedelta(hours=2))
        start(client)
    assert db.session.scalar(select(db.func.count()).select_from(DeviceGrant)) == 1


def test_code_requests_are_rate_limited_per_ip(client, app):
    app.config["DEVICE_CODE_RATE_LIMIT"] = "3 per minute"
    for _ in range(3):
        start(client)
    limited = client.post("/api/auth/device/code")
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert limited.get_json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    other_ip = client.post("/api/auth/device/code", environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other_ip.status_code == 200


# --- POST /api/auth/device/token --------------------------------------------------------------------

def test_pending_until_someone_decides(client):
    started = start(client)
    assert error_of(poll(client, started["device_code"])) == "authorization_pending"


def test_polling_faster_than_the_interval_slows_down_and_the_interval_grows(client):
    with freeze_time(START) as clock:
        device_code = start(client)["device_code"]
        assert error_of(poll(client, device_code)) == "authorization_pending"
        clock.tick(2)
        assert error_of(poll(client, device_code)) == "slow_down"
        assert grant_for_code(device_code).interval == 10
        clock.tick(6)  # more than the old 5 s, less than the new 10 s
        assert error_of(poll(client, device_code)) == "slow_down"
        assert grant_for_code(device_code).interval == 15
        clock.tick(15)
        assert error_of(poll(client, device_code)) == "authorization_pending"
        clock.tick(15)
        assert error_of(poll(client, device_code)) == "authorization_pending"


def grant_for_code(device_code: str) -> DeviceGrant:
    db.session.expire_all()
    digest = hashlib.sha256(device_code.encode()).hexdigest()
    return db.session.scalar(select(DeviceGrant).where(DeviceGrant.device_code_hash == digest))


def test_codes_expire_after_fifteen_minutes(client, alice):
    with freeze_time(START) as clock:
        sign_in(client, alice)  # a session cookie signed in the real present would look forged here
        started = start(client)
        clock.tick(899)
        assert error_of(poll(client, started["device_code"])) == "authorization_pending"
        clock.tick(1)
        assert error_of(poll(client, started["device_code"])) == "expired_token"
        page = decide(client, started["user_code"], "approve")
        assert "This code has expired" in text_of(page) and grant_for(started).status == "pending"


def test_an_approved_code_is_expired_if_not_collected_in_time(client, alice):
    with freeze_time(START) as clock:
        sign_in(client, alice)
        started = start(client)
        decide(client, started["user_code"], "approve")
        clock.tick(900)
        assert error_of(poll(client, started["device_code"])) == "expired_token"
    assert db.session.scalar(select(db.func.count()).select_from(ApiToken)) == 0


def test_denied_in_the_browser_is_access_denied(client, alice):
    started = start(client)
    assert decide(client, started["user_code"], "deny").status_code == 303
    assert error_of(poll(client, started["device_code"])) == "access_denied"
    assert error_of(poll(client, started["device_code"])) == "access_denied"
    assert db.session.scalar(select(db.func.count()).select_from(ApiToken)) == 0


def test_approved_returns_a_cli_token_exactly_once(client, alice):
    started = start(client, name="burntop CLI on laptop")
    decide(client, started["user_code"], "approve")
    assert (grant_for(started).status, grant_for(started).user_id) == ("approved", alice.id)
    response = poll(client, started["device_code"])
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["user"] == {"username": "alice"}
    assert body["access_token"].startswith("bt_")
    token = db.session.scalar(select(ApiToken))
    assert (token.kind, token.name, token.user_id) == ("cli", "burntop CLI on laptop", alice.id)
    assert grant_for(started).status == "used"
    assert error_of(poll(client, started["device_code"])) == "invalid_grant"
    assert db.session.scalar(select(db.func.count()).select_from(ApiToken)) == 1
    with client.session_transaction() as session:
        session.clear()  # the token alone must work
    profile = client.get("/api/profile", headers=auth(body["access_token"]))
    assert profile.status_code == 200 and profile.get_json()["username"] == "alice"


def test_token_takes_json_too(client, alice):
    started = start(client)
    decide(client, started["user_code"], "approve")
    response = client.post("/api/auth/device/token", json={"grant_type": GRANT, "device_code": started["device_code"]})
    assert response.status_code == 200 and response.get_json()["user"]["username"] == "alice"


def test_unknown_or_missing_device_code(client):
    start(client)
    assert error_of(poll(client, "not-a-code")) == "invalid_grant"
    assert error_of(client.post("/api/auth/device/token", data={"grant_type": GRANT})) == "invalid_request"
    assert error_of(poll(client, "x" * 500)) == "invalid_request"


@pytest.mark.parametrize("grant_type", ["authorization_code", "", "urn:ietf:params:oauth:grant-type:device"])
def test_wrong_grant_type_is_unsupported(client, grant_type):
    started = start(client)
    assert error_of(poll(client, started["device_code"], grant_type)) == "unsupported_grant_type"


# --- The /device page ---------------------------------------------------------------------------------

def test_the_page_requires_sign_in(client, app):
    with app.test_request_context():
        login_path = url_for("accounts.login")
    started = start(client)
    response = client.get(f"/device?code={started['user_code']}")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "testserver") and location.path == login_path
    assert f"next=/device?code={started['user_code']}" in unquote(location.query)
    assert client.get("/device/approved").status_code == 302


def test_signed_out_approval_changes_nothing(client, alice):
    started = start(client)
    token = csrf(client)
    with client.session_transaction() as session:
        session.pop("_user_id")
    g.pop("_login_user", None)  # the test client shares the fixture's app context, where Flask-Login caches the user
    response = client.post("/device", data={"csrf_token": token, "user_code": started["user_code"],
                                            "decision": "approve"})
    assert response.status_code == 302 and grant_for(started).status == "pending"


@pytest.mark.parametrize("decision", ["approve", "deny"])
def test_decisions_require_the_csrf_token(client, alice, decision):
    started = start(client)
    response = client.post("/device", data={"user_code": started["user_code"], "decision": decision})
    assert response.status_code == 400
    wrong = client.post("/device", data={"user_code": started["user_code"], "decision": decision,
                                         "csrf_token": "forged"})
    assert wrong.status_code == 400
    assert grant_for(started).status == "pending"


def test_the_code_from_the_link_is_prefilled(client, alice):
    page = client.get("/device?code=BCDF-GHJK")
    assert page.status_code == 200
    assert 'value="BCDF-GHJK"' in page.get_data(as_text=True) and 'name="user_code"' in page.get_data(as_text=True)


def test_entering_the_code_asks_for_confirmation(client, alice):
    started = start(client, name="burntop CLI on laptop")
    typed = started["user_code"].lower().replace("-", " ")  # people type codes loosely
    page = client.post("/device", data={"csrf_token": csrf(client), "user_code": typed})
    assert page.status_code == 200
    assert "Approve this device?" in text_of(page)
    assert "that machine will sync as @alice" in text_of(page)
    assert started["user_code"] in text_of(page)
    assert 'value="approve"' in page.get_data(as_text=True) and 'value="deny"' in page.get_data(as_text=True)
    assert grant_for(started).status == "pending"


def confirm_page(client, started, approver_ip: str) -> str:
    return text_of(client.post("/device", data={"csrf_token": csrf(client), "user_code": started["user_code"]},
                               environ_base={"REMOTE_ADDR": approver_ip}))


def test_the_confirmation_shows_what_burntop_knows_not_what_the_client_claims(client, alice):
    """RFC 8628 §5.4: a phisher chooses client_name; burntop shows when and where the code was asked for."""
    with freeze_time(START) as clock:
        sign_in(client, alice)
        started = start(client, name="burntop CLI on alice's laptop (official)",
                        environ_base={"REMOTE_ADDR": "81.2.69.160"})
        clock.tick(timedelta(minutes=5))
        page = confirm_page(client, started, approver_ip="81.2.69.33")
    assert "alice's laptop" not in page and "official" not in page
    assert "Asked for 5 minutes ago" in page
    assert "From 81.2.69.160, United Kingdom" in page
    assert "You are on 81.2.69.33, United Kingdom" in page
    assert "Expires in 10 minutes" in page
    assert "another network" not in page


def test_a_code_asked_for_from_another_network_is_flagged(client, alice):
    started = start(client, environ_base={"REMOTE_ADDR": "81.2.69.160"})
    page = confirm_page(client, started, approver_ip="8.8.8.8")
    assert "This code was asked for from another network than yours." in page
    assert "It came from United Kingdom (81.2.69.0/24); you are on United States (8.8.8.0/24)." in page


def test_a_code_asked_for_on_this_computer_says_so(client, alice):
    page = confirm_page(client, start(client, environ_base={"REMOTE_ADDR": "127.0.0.1"}), approver_ip="127.0.0.1")
    assert "From 127.0.0.1, this computer" in page and "another network" not in page


def test_the_requesters_ip_is_kept_only_while_the_grant_waits(client, alice):
    decided = start(client, environ_base={"REMOTE_ADDR": "81.2.69.160"})
    assert grant_for(decided).requester_ip == "81.2.69.160"
    decide(client, decided["user_code"], "deny")
    assert grant_for(decided).requester_ip is None
    with freeze_time(START) as clock:
        sign_in(client, alice)
        waiting = start(client, environ_base={"REMOTE_ADDR": "81.2.69.161"})
        clock.tick(timedelta(seconds=901))
        start(client)  # every new code request purges
    assert grant_for(waiting).requester_ip is None


@pytest.mark.parametrize("typed, message", [
    ("ABC", "Codes are 8 letters"),
    ("AAAA-AAAA", "Codes are 8 letters"),  # vowels are not in the alphabet
    ("BCDF-GHJK", "No sign-in is waiting for this code"),
])
def test_bad_codes_get_an_inline_error(client, alice, typed, message):
    page = client.post("/device", data={"csrf_token": csrf(client), "user_code": typed})
    assert page.status_code == 200
    assert message in text_of(page) and 'aria-invalid="true"' in page.get_data(as_text=True)


def test_a_decided_code_cannot_be_decided_again(client, alice):
    started = start(client)
    decide(client, started["user_code"], "deny")
    again = decide(client, started["user_code"], "approve")
    assert "already been used" in text_of(again) and grant_for(started).status == "denied"


def test_unknown_decision_is_refused(client, alice):
    started = start(client)
    assert decide(client, started["user_code"], "maybe").status_code == 400
    assert grant_for(started).status == "pending"


def test_approval_redirects_to_a_success_page(client, alice):
    started = start(client)
    response = decide(client, started["user_code"], "approve")
    assert response.status_code == 303 and response.headers["Location"] == "/device/approved"
    done = client.get("/device/approved")
    assert "Device connected" in text_of(done) and "Return to your terminal" in text_of(done)


def test_htmx_gets_each_step_alone(client, alice):
    started = start(client)
    hx = {"HX-Request": "true"}
    confirm = client.post("/device", data={"csrf_token": csrf(client), "user_code": started["user_code"]}, headers=hx)
    body = confirm.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith('<div id="device-flow"') and "Approve" in body
    done = decide(client, started["user_code"], "approve", **hx)
    assert done.status_code == 200 and "<html" not in done.get_data(as_text=True)
    assert "Device connected" in text_of(done)


def test_client_names_are_escaped_in_the_token_list(client, alice):
    started = start(client, name='<script>alert("x")</script>')
    decide(client, started["user_code"], "approve")
    assert poll(client, started["device_code"]).status_code == 200
    page = client.get("/settings/keys").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_code_checks_are_rate_limited_per_person(client, app, alice):
    app.config["DEVICE_CHECK_RATE_LIMIT"] = "2 per minute"
    token = csrf(client)
    for _ in range(2):
        assert client.post("/device", data={"csrf_token": token, "user_code": "BCDF-GHJK"}).status_code == 200
    assert client.post("/device", data={"csrf_token": token, "user_code": "BCDF-GHJK"}).status_code == 429
    assert client.get("/device").status_code == 200
