"""Browser sessions bound to the account: never reused ids, revocable sessions, the Sessions settings page."""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select, text

from burntop.extensions import db
from burntop.models import ApiToken, User, UserSession
from tests.factories import make_user, sign_in

SEND = "/api/auth/email-otp/send-verification-otp"
VERIFY = "/api/auth/email-otp/verify-otp"
CODE_LINE = re.compile(r"code for (\S+): (\d{6})")
CHROME = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                        "Chrome/131.0.0.0 Safari/537.36"}
FIREFOX = {"User-Agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.6; rv:133.0) Gecko/20100101 Firefox/133.0"}


@pytest.fixture
def codes(caplog, monkeypatch):
    """The latest code the development mailer printed for an email."""
    monkeypatch.setattr(logging.getLogger("burntop.mail"), "disabled", False)
    caplog.set_level(logging.INFO, logger="burntop.mail")

    def latest(email: str) -> str:
        found = [m[2] for m in (CODE_LINE.search(r.getMessage()) for r in caplog.records) if m and m[1] == email]
        return found[-1]

    return latest


def sign_up(client, codes, email: str, headers: dict | None = None) -> dict:
    assert client.post(SEND, json={"email": email}, environ_base={"REMOTE_ADDR": f"192.0.2.{len(email)}"}
                       ).status_code == 200
    response = client.post(VERIFY, json={"email": email, "otp": codes(email)}, headers=headers or {})
    assert response.status_code == 200
    return response.get_json()


def csrf(client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))[1]


def copy_cookie(source, target) -> None:
    """What an attacker does with a stolen cookie: present it from another browser."""
    target.set_cookie("session", source.get_cookie("session").value)


def whoami(client) -> dict:
    return client.get("/api/auth/session").get_json()


# ---------------------------------------------------------------- item 1: ids are never reused


def test_a_deleted_accounts_cookie_never_signs_in_as_the_next_sign_up(app, codes):
    first, kept, second = app.test_client(), app.test_client(), app.test_client()
    mallory = sign_up(first, codes, "mallory@example.com")
    copy_cookie(first, kept)
    assert whoami(kept)["user"]["username"] == "mallory"

    response = first.post("/settings/delete", data={"csrf_token": csrf(first, "/settings/delete"),
                                                    "confirm": "mallory"})
    assert response.status_code == 303
    victim = sign_up(second, codes, "victim@example.com")

    assert victim["user"]["id"] != mallory["user"]["id"], "a deleted user's id was handed out again"
    assert whoami(kept) == {"user": None, "session": None}
    created = kept.post("/api/api-keys", json={"name": "stolen"})
    assert created.status_code == 401
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


@pytest.mark.parametrize("table", ["users", "api_tokens", "device_grants", "user_sessions", "activities",
                                   "notifications"])
def test_ids_that_reach_clients_are_never_reused(app, table):
    if db.engine.dialect.name != "sqlite":
        # A PostgreSQL sequence never hands out an id twice; SQLite needs AUTOINCREMENT for that.
        assert db.session.scalar(text(f"SELECT pg_get_serial_sequence('{table}', 'id')")) is not None
        return
    sql = db.session.scalar(text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
                            {"name": table})
    assert "AUTOINCREMENT" in sql.upper(), f"{table} may reuse the id of a deleted row"


def test_sqlite_gives_a_new_user_a_fresh_id_after_the_newest_was_deleted(app):
    older = make_user("older")
    newest = make_user("newest")
    freed = newest.id
    db.session.delete(newest)
    db.session.commit()
    assert make_user("next").id > freed
    assert older.id < freed


# ---------------------------------------------------------------- item 2: sessions can be revoked


def test_signing_out_stops_every_copy_of_the_cookie(app, codes):
    browser, copy = app.test_client(), app.test_client()
    sign_up(browser, codes, "alice@example.com")
    copy_cookie(browser, copy)
    assert whoami(copy)["user"]["username"] == "alice"
    response = browser.post("/logout", data={"csrf_token": csrf(browser, "/settings/profile")})
    assert response.status_code == 303
    assert whoami(copy) == {"user": None, "session": None}
    assert copy.get("/settings/profile").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_the_json_sign_out_ends_the_server_session_too(app, codes):
    browser, copy = app.test_client(), app.test_client()
    sign_up(browser, codes, "alice@example.com")
    copy_cookie(browser, copy)
    assert browser.post("/api/auth/sign-out", json={}).get_json() == {"success": True}
    assert whoami(copy)["user"] is None


def test_the_session_json_reports_the_real_session(app, codes):
    browser = app.test_client()
    with freeze_time("2026-03-02 09:00:00"):
        body = sign_up(browser, codes, "alice@example.com", headers=FIREFOX)
    row = db.session.scalar(select(UserSession))
    assert body["session"] == {"id": str(row.id), "userId": body["user"]["id"], "userAgent": "Firefox on macOS",
                               "createdAt": "2026-03-02T09:00:00.000Z", "updatedAt": "2026-03-02T09:00:00.000Z",
                               "expiresAt": "2026-04-02T09:00:00.000Z"}
    with freeze_time("2026-03-05 10:30:00"):
        later = whoami(browser)["session"]
    assert later["id"] == str(row.id) and later["createdAt"] == "2026-03-02T09:00:00.000Z"
    assert later["updatedAt"] == "2026-03-05T10:30:00.000Z" and later["expiresAt"] == "2026-04-05T10:30:00.000Z"


def test_a_session_unused_for_31_days_is_dead_on_the_server(app, client):
    alice = make_user("alice")
    with freeze_time("2026-03-02 09:00:00") as clock:
        sign_in(client, alice)
        with client.session_transaction() as session:
            keys = dict(session)
        clock.tick(timedelta(days=20))
        assert whoami(client)["user"]["username"] == "alice", "each visit slides the lifetime"
        clock.tick(timedelta(days=30, hours=23))
        assert whoami(client)["user"]["username"] == "alice"
        clock.tick(timedelta(days=31, minutes=1))
        # A cookie signed just now for that session (the signature's own age is not what ends it here).
        revived = app.test_client()
        with revived.session_transaction() as session:
            session.update(keys)
        assert whoami(revived)["user"] is None


def test_last_seen_is_written_at_most_once_an_hour(app, client):
    alice = make_user("alice")
    with freeze_time("2026-03-02 09:00:00") as clock:
        sign_in(client, alice)
        clock.tick(timedelta(minutes=59))
        whoami(client)
        db.session.expire_all()
        assert db.session.scalar(select(UserSession.last_seen_at)) == datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
        clock.tick(timedelta(minutes=2))
        whoami(client)
        db.session.expire_all()
        assert db.session.scalar(select(UserSession.last_seen_at)) == datetime(2026, 3, 2, 10, 1, tzinfo=timezone.utc)


def test_the_session_id_is_stored_only_as_a_hash(app, client):
    sign_in(client, make_user("alice"))
    with client.session_transaction() as session:
        token = session["sid"]
    row = db.session.scalar(select(UserSession))
    assert len(token) >= 43 and token not in row.token_hash
    assert row.token_hash == __import__("hashlib").sha256(token.encode()).hexdigest()


def test_deleting_the_account_ends_every_session(app, client):
    alice = make_user("alice")
    sign_in(client, alice)
    other = app.test_client()
    sign_in(other, alice, user_agent=CHROME["User-Agent"])
    response = client.post("/settings/delete", data={"csrf_token": csrf(client, "/settings/delete"), "confirm": "alice"})
    assert response.status_code == 303
    assert whoami(other)["user"] is None
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_expired_sessions_are_purged_by_the_daily_job(app):
    from burntop import jobs

    alice = make_user("alice")
    with freeze_time("2026-01-01 12:00:00"):
        sign_in(app.test_client(), alice)
    with freeze_time("2026-02-01 11:00:00"):
        sign_in(app.test_client(), alice)
        assert jobs.purge_expired()["sessions"] == 0
    with freeze_time("2026-02-01 12:00:01"):
        assert jobs.purge_expired()["sessions"] == 1
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 1


# ---------------------------------------------------------------- the Sessions settings page


@pytest.fixture
def alice_in_three_browsers(app, client):
    alice = make_user("alice")
    sign_in(client, alice, user_agent=FIREFOX["User-Agent"])
    others = [app.test_client(), app.test_client()]
    sign_in(others[0], alice, user_agent=CHROME["User-Agent"])
    sign_in(others[1], alice, user_agent="curl/8.5.0")
    return alice, others


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_the_sessions_page_lists_every_browser_and_marks_this_one(client, alice_in_three_browsers):
    page = client.get("/settings/sessions")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Firefox on macOS" in html and "Chrome on Linux" in html and "curl" in html
    assert html.count("This browser") == 1
    this = re.search(r'<li class="key-item" id="session-\d+" aria-current="true">(.*?)</li>', html, re.S).group(1)
    assert "Firefox on macOS" in this
    assert "Sign out everywhere else" in html and html.count(">Sign out<span") == 2


def test_sign_out_everywhere_else_keeps_this_browser(client, alice_in_three_browsers):
    _, others = alice_in_three_browsers
    response = client.post("/settings/sessions", data={"csrf_token": csrf(client, "/settings/sessions"),
                                                       "action": "others"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Signed out 2 other sessions." in _text(response)
    assert [whoami(other)["user"] for other in others] == [None, None]
    assert whoami(client)["user"]["username"] == "alice"
    assert "Sign out everywhere else" not in response.get_data(as_text=True)


def test_sign_out_everywhere_signs_this_browser_out_too(client, alice_in_three_browsers):
    _, others = alice_in_three_browsers
    response = client.post("/settings/sessions", data={"csrf_token": csrf(client, "/settings/sessions"),
                                                       "action": "all"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/login"
    assert whoami(client)["user"] is None and [whoami(other)["user"] for other in others] == [None, None]
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0
    assert "signed out everywhere" in _text(client.get("/login"))


def test_one_session_can_be_signed_out(client, alice_in_three_browsers):
    alice, others = alice_in_three_browsers
    chrome = db.session.scalar(select(UserSession).where(UserSession.user_agent == "Chrome on Linux"))
    response = client.post(f"/settings/sessions/{chrome.id}/revoke",
                           data={"csrf_token": csrf(client, "/settings/sessions")})
    assert response.status_code == 303
    assert whoami(others[0])["user"] is None and whoami(others[1])["user"]["username"] == "alice"


def test_someone_elses_session_cannot_be_signed_out(app, client, alice_in_three_browsers):
    bob_browser = app.test_client()
    sign_in(bob_browser, make_user("bob"))
    bobs = db.session.scalar(select(UserSession).join(User).where(User.username == "bob"))
    client.post(f"/settings/sessions/{bobs.id}/revoke", data={"csrf_token": csrf(client, "/settings/sessions")})
    assert whoami(bob_browser)["user"]["username"] == "bob"


@pytest.mark.parametrize("path", ["/settings/sessions", "/settings/sessions/1/revoke"])
def test_session_changes_need_the_csrf_token(client, alice_in_three_browsers, path):
    assert client.post(path, data={"action": "all"}).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 3


@pytest.mark.parametrize("user_agent, expected", [
    (CHROME["User-Agent"], "Chrome on Linux"),
    (FIREFOX["User-Agent"], "Firefox on macOS"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.1 Mobile/15E148 Safari/604.1", "Safari on iPhone"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
     "Safari/537.36 Edg/131.0.2903.86", "Edge on Windows"),
    ("", "Unknown browser"),
])
def test_browsers_are_described_coarsely(user_agent, expected):
    from burntop.accounts.clients import describe_user_agent

    assert describe_user_agent(user_agent) == expected
