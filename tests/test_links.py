"""Absolute links follow the address the app is served on unless BURNTOP_BASE_URL says otherwise."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from burntop.config import from_environment
from burntop.extensions import db
from tests.factories import make_user, sign_in

LOCAL = "http://127.0.0.1:5077"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BURNTOP_BASE_URL": None}


def test_the_base_url_is_unset_by_default(monkeypatch, tmp_path):
    monkeypatch.delenv("BURNTOP_BASE_URL", raising=False)
    assert from_environment(str(tmp_path))["BURNTOP_BASE_URL"] is None
    monkeypatch.setenv("BURNTOP_BASE_URL", "https://burntop.example/")
    assert from_environment(str(tmp_path))["BURNTOP_BASE_URL"] == "https://burntop.example"


def test_device_login_names_the_port_the_app_is_served_on(client):
    started = client.post("/api/auth/device/code", json={}, base_url=LOCAL).get_json()
    assert started["verification_uri"] == f"{LOCAL}/device"
    assert started["verification_uri_complete"] == f"{LOCAL}/device?code={started['user_code']}"


def test_the_referral_and_public_api_links_name_it_too(client):
    alice = make_user("alice")
    sign_in(client, alice)
    client.set_cookie("session", client.get_cookie("session").value, domain="127.0.0.1")
    body = client.get("/api/referrals/code", base_url=LOCAL).get_json()
    assert body["url"] == f"{LOCAL}?ref={alice.referral_code}"
    page = client.get("/settings/public-api", base_url=LOCAL)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))[1]
    page = client.post("/settings/public-api", data={"csrf_token": csrf, "action": "enable"}, base_url=LOCAL,
                       follow_redirects=True).get_data(as_text=True)
    assert f'value="{LOCAL}/api/v1/public/' in page and "127.0.0.1:5000" not in page


def test_behind_a_trusted_proxy_links_use_the_public_address(app_config, client):
    app_config["PROXY_FIX"] = 1
    from burntop import create_app

    proxied = create_app(app_config)
    started = proxied.test_client().post("/api/auth/device/code", json={}, headers={
        "X-Forwarded-Proto": "https", "X-Forwarded-Host": "burntop.example", "X-Forwarded-For": "203.0.113.7"}
    ).get_json()
    with proxied.app_context():
        db.engine.dispose()
    assert started["verification_uri"] == "https://burntop.example/device"


def test_a_configured_base_url_wins(app, client):
    app.config["BURNTOP_BASE_URL"] = "https://burntop.example"
    started = client.post("/api/auth/device/code", json={}, base_url=LOCAL).get_json()
    assert started["verification_uri"] == "https://burntop.example/device"


def test_github_is_told_the_callback_on_the_served_address(app, client):
    app.config.update(GITHUB_CLIENT_ID="id", GITHUB_CLIENT_SECRET="secret")
    start = client.get("/auth/github", base_url=LOCAL)
    redirect_uri = parse_qs(urlsplit(start.headers["Location"]).query)["redirect_uri"][0]
    assert redirect_uri == f"{LOCAL}/auth/github/callback"
