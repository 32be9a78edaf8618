"""Local mode (burntop.local_mode): the owner, loopback sign-in, the guards, the token endpoint, CSRF."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from burntop import create_app, local_mode
from burntop.extensions import db
from burntop.models import ApiToken, User, UserSession
from tests.factories import make_user

NOT_HERE = {"REMOTE_ADDR": "192.0.2.7"}


# --- Pure rules -------------------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:5000", "localhost", "localhost:5077", "LOCALHOST:80",
                                  "[::1]", "[::1]:5000"])
def test_loopback_hosts(host):
    assert local_mode.is_loopback_host(host)


@pytest.mark.parametrize("host", ["", "evil.example", "evil.example:5000", "127.0.0.1.evil.example",
                                  "localhost.evil.example", "localhost.", "127.0.0.2", "0.0.0.0:5000", "[::2]:5000",
                                  "::1", "[::1]:99999", "[::1]x", "localhost:50a0", "127.0.0.1:5000:1",
                                  "user@localhost", "192.168.1.10:5000"])
def test_other_hosts(host):
    assert not local_mode.is_loopback_host(host)


@pytest.mark.parametrize("address, loopback", [("127.0.0.1", True), ("127.8.9.10", True), ("::1", True),
                                               ("::ffff:127.0.0.1", True), ("192.0.2.7", False), ("::2", False),
                                               ("0.0.0.0", False), ("", False), (None, False), ("localhost", False)])
def test_loopback_peers(address, loopback):
    assert local_mode.is_loopback_address(address) is loopback


@pytest.mark.parametrize("bind, loopback", [("127.0.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
                                            ("0.0.0.0", False), ("::", False), ("192.168.1.10", False),
                                            ("example.com", False), ("", False)])
def test_loopback_binds(bind, loopback):
    assert local_mode.is_loopback_bind(bind) is loopback


@pytest.mark.parametrize("login, username", [("ada", "ada"), ("Ada.Lovelace", "ada-lovelace"), ("root", "owner"),
                                             ("admin", "owner"), ("x", "owner"), ("", "owner"), (None, "owner"),
                                             ("j" * 60, "j" * 39), ("émile", "mile")])
def test_the_owner_is_named_after_the_login_name(login, username):
    assert local_mode.owner_username(login) == username


# --- Start-up guards --------------------------------------------------------------------------------

def test_local_mode_is_off_unless_asked_for(app):
    assert app.config["BURNTOP_LOCAL_MODE"] is False


def test_local_mode_refuses_production(app_config):
    config = {**app_config, "BURNTOP_LOCAL_MODE": True, "BURNTOP_ENV": "production"}
    with pytest.raises(local_mode.LocalModeRefused, match="BURNTOP_ENV=production"):
        create_app(config)


def test_local_mode_refuses_trusted_proxies(app_config):
    with pytest.raises(local_mode.LocalModeRefused, match="BURNTOP_PROXY_FIX"):
        create_app({**app_config, "BURNTOP_LOCAL_MODE": True, "PROXY_FIX": 1})


def test_the_environment_turns_it_on(app_config, monkeypatch):
    monkeypatch.setenv("BURNTOP_LOCAL_MODE", "1")
    config = {k: v for k, v in app_config.items() if k != "BURNTOP_LOCAL_MODE"}
    assert create_app(config).config["BURNTOP_LOCAL_MODE"] is True
    monkeypatch.setenv("BURNTOP_ENV", "production")
    with pytest.raises(local_mode.LocalModeRefused):
        create_app(config)


# --- The owner and loopback sign-in -----------------------------------------------------------------

def _users() -> list[tuple[str, bool]]:
    db.session.expire_all()
    return [(u.username, u.is_demo) for u in db.session.scalars(select(User).order_by(User.id))]


def _sessions() -> int:
    return db.session.scalar(select(func.count()).select_from(UserSession))


def test_the_owner_is_made_once_and_every_page_visit_is_theirs(local_app, monkeypatch):
    monkeypatch.setattr(local_mode, "_login_name", lambda: "ada")
    make_user("maya-chen", is_demo=True)
    browser = local_app.test_client()
    assert browser.get("/api/auth/session").get_json()["user"] is None, "nothing before a page visit"
    assert browser.get("/").status_code == 200
    assert browser.get("/api/auth/session").get_json()["user"]["username"] == "ada"
    assert browser.get("/settings/sessions").status_code == 200, "a signed-in page, no redirect"
    other = local_app.test_client()
    assert other.get("/").status_code == 200
    assert other.get("/api/auth/session").get_json()["user"]["username"] == "ada"
    assert _users() == [("maya-chen", True), ("ada", False)], "one owner; the demo user stays a demo user"
    assert _sessions() == 2, "one revocable session per browser, not one per request"


def test_the_first_real_account_is_the_owner(local_app):
    make_user("maya-chen", is_demo=True)
    make_user("grace")
    make_user("linus")
    browser = local_app.test_client()
    browser.get("/")
    assert browser.get("/api/auth/session").get_json()["user"]["username"] == "grace"
    assert len(_users()) == 3


def test_a_taken_name_gets_a_number(local_app, monkeypatch):
    monkeypatch.setattr(local_mode, "_login_name", lambda: "maya-chen")
    make_user("maya-chen", is_demo=True)
    owner = local_mode.ensure_owner()
    assert (owner.username, owner.is_demo) == ("maya-chen-2", False)
    assert local_mode.ensure_owner().id == owner.id


def test_the_owner_lives_in_this_computers_time_zone(local_app, monkeypatch):
    monkeypatch.setenv("TZ", "Pacific/Auckland")
    assert local_mode.ensure_owner().timezone == "Pacific/Auckland"


def test_api_calls_need_a_token_or_the_browser_session(local_app):
    browser = local_app.test_client()
    assert browser.get("/api/profile").status_code == 401, "no sign-in without a page visit"
    assert _sessions() == 0
    browser.get("/")
    assert browser.get("/api/profile").get_json()["username"]


def test_signing_out_makes_this_browser_a_visitor_until_it_continues(local_app):
    browser = local_app.test_client()
    page = browser.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 303
    assert _sessions() == 0
    page = browser.get("/login").get_data(as_text=True)
    assert browser.get("/api/auth/session").get_json()["user"] is None, "signed out stays signed out"
    assert _sessions() == 0
    owner = local_mode.owner().username
    assert f"Continue as @{owner}" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    assert browser.post("/login/local", data={"next": "/settings"}).status_code == 400, "CSRF"
    answer = browser.post("/login/local", data={"csrf_token": token, "next": "/settings"})
    assert (answer.status_code, answer.headers["Location"]) == (303, "/settings")
    assert browser.get("/api/auth/session").get_json()["user"]["username"] == owner
    assert _sessions() == 1


def test_a_revoked_session_is_replaced_on_the_next_visit(local_app):
    browser = local_app.test_client()
    browser.get("/")
    db.session.execute(UserSession.__table__.delete())
    db.session.commit()
    assert browser.get("/api/profile").status_code == 401
    browser.get("/")
    assert browser.get("/api/profile").status_code == 200


# --- Guards on every request ------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["evil.example", "evil.example:5000", "127.0.0.1.nip.io:5000", "192.168.1.10:5000"])
def test_other_host_names_are_refused(local_app, host):
    browser = local_app.test_client()
    for path in ("/", "/login", "/api/health", "/static/css/burntop.css"):
        assert browser.get(path, headers={"Host": host}).status_code == 400, path
    answer = browser.post("/api/local/token", json={}, headers={"Host": host})
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "VALIDATION_ERROR"
    assert _users() == [] and _sessions() == 0


@pytest.mark.parametrize("host", ["127.0.0.1:5077", "localhost", "[::1]:5000"])
def test_loopback_host_names_are_served(local_app, host):
    assert local_app.test_client().get("/", headers={"Host": host}).status_code == 200


def test_other_computers_are_refused(local_app):
    browser = local_app.test_client()
    assert browser.get("/", environ_base=NOT_HERE).status_code == 403
    assert browser.post("/api/local/token", json={}, environ_base=NOT_HERE).status_code == 403
    assert _users() == [] and _sessions() == 0


def test_outside_local_mode_nothing_changes(app, client):
    assert client.get("/", headers={"Host": "burntop.example"}).status_code == 200
    assert client.get("/", environ_base=NOT_HERE).status_code == 200
    assert client.get("/api/auth/session").get_json()["user"] is None
    assert _users() == []


def test_forms_keep_their_csrf_check(local_app):
    browser = local_app.test_client()
    page = browser.get("/settings/time-zone").get_data(as_text=True)
    assert browser.post("/settings/time-zone", data={"timezone": "Asia/Tokyo", "region": "APAC"}).status_code == 400
    fresh = local_app.test_client()  # a cross-site form post: no cookie at all
    assert fresh.post("/settings/time-zone", data={"timezone": "Asia/Tokyo"}).status_code == 400
    assert local_mode.owner().timezone != "Asia/Tokyo"
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    answer = browser.post("/settings/time-zone", data={"csrf_token": token, "timezone": "Asia/Tokyo", "region": "APAC"})
    assert answer.status_code in (200, 303)
    db.session.expire_all()
    assert local_mode.owner().timezone == "Asia/Tokyo"


# --- POST /api/local/token --------------------------------------------------------------------------

def test_the_token_endpoint_gives_the_cli_a_token_for_the_owner(local_app, monkeypatch):
    monkeypatch.setattr(local_mode, "_login_name", lambda: "ada")
    cli = local_app.test_client()
    answer = cli.post("/api/local/token", json={"client_name": "burntop CLI on laptop"})
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    body = answer.get_json()
    assert body["token_type"] == "Bearer" and body["user"] == {"username": "ada"}
    profile = cli.get("/api/profile", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert profile.get_json()["username"] == "ada"
    token = db.session.scalar(select(ApiToken))
    assert (token.kind, token.name) == ("cli", "burntop CLI on laptop")
    assert _sessions() == 0, "the CLI gets a token, not a browser session"
    assert cli.post("/api/local/token", json={}).get_json()["access_token"] != body["access_token"]
    assert db.session.scalar(select(ApiToken).order_by(ApiToken.id.desc())).name == "burntop CLI (local mode)"


def test_the_token_endpoint_exists_only_in_local_mode(app, client):
    answer = client.post("/api/local/token", json={})
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "NOT_FOUND"
    assert _users() == []


@pytest.mark.parametrize("kwargs, status", [
    ({"data": {"client_name": "x"}}, 415),                      # a form: what a cross-site page can send
    ({"data": "{}", "content_type": "text/plain"}, 415),
    ({"json": []}, 400),
    ({"json": {}, "headers": {"Origin": "https://evil.example"}}, 403),
    ({"json": {}, "headers": {"Origin": "http://127.0.0.1.evil.example"}}, 403),
    ({"json": {}, "headers": {"Origin": "null"}}, 403),                # a sandboxed frame or a file:// page
])
def test_the_token_endpoint_refuses_what_a_web_page_could_send(local_app, kwargs, status):
    answer = local_app.test_client().post("/api/local/token", **kwargs)
    assert answer.status_code == status
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_the_token_endpoint_answers_a_loopback_origin(local_app):
    answer = local_app.test_client().post("/api/local/token", json={}, headers={"Origin": "http://localhost:5000"})
    assert answer.status_code == 200


def test_the_token_endpoint_is_post_only(local_app):
    assert local_app.test_client().get("/api/local/token").status_code == 405


# --- Demo users -------------------------------------------------------------------------------------

def test_demo_users_stay_visible_and_marked_as_demo(local_app):
    from tests.factories import auth, make_token, record
    from tests.test_home import recent

    browser = local_app.test_client()
    demo = make_token(make_user("maya-chen", name="Maya Chen", is_demo=True))
    assert browser.post("/api/sync", json={"records": [record(f"d{i}", at=recent(i)) for i in range(3)]},
                        headers=auth(demo)).status_code == 200
    page = browser.get("/").get_data(as_text=True)
    assert "@maya-chen" in page, "the owner sees the demo users"
    showcase = page[page.index('class="profile-preview__name"'):page.index("@maya-chen")]
    assert "Maya Chen" in showcase and "data-demo" in showcase and ">Demo account</span>" in showcase

    local_app.config["GLOBAL_TOTALS_TTL"] = 0
    mine = make_token(local_mode.owner())
    assert browser.post("/api/sync", json={"records": [record(f"o{i}", at=recent(i), inputTokens=90_000)
                                                       for i in range(3)]}, headers=auth(mine)).status_code == 200
    from burntop.stats.totals import forget_landing_showcase

    forget_landing_showcase()
    page = browser.get("/").get_data(as_text=True)
    showcase = page[page.index('class="profile-preview__name"'):page.index("</figure>")]
    assert f"@{local_mode.owner().username}" in showcase and "data-demo" not in showcase, "the owner is no demo"


def test_an_empty_dashboard_gives_the_one_command_local_mode_needs(local_app):
    local_app.config["BURNTOP_BASE_URL"] = None  # links follow the address the request came to
    browser = local_app.test_client()
    page = browser.get("/dashboard", headers={"Host": "127.0.0.1:5077"}).get_data(as_text=True)
    assert "burntop sync --api-url http://127.0.0.1:5077" in page
    assert "burntop login" not in page


def test_outside_local_mode_the_empty_dashboard_still_says_to_log_in(app, client):
    from tests.factories import sign_in

    sign_in(client, make_user("grace"))
    page = client.get("/dashboard").get_data(as_text=True)
    assert "burntop login --api-url http://testserver" in page and "burntop sync --api-url" not in page
