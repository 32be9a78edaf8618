"""A new account starts in the browser's time zone (carried by the sign-in form), and its owner confirms it."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select

from burntop.extensions import db
from burntop.models import User
from tests.accounts.test_auth_api import code_for, csrf_token, mail_log  # noqa: F401  (fixtures)
from tests.accounts.test_github import GitHubAccount, app_config, github, verified  # noqa: F401  (fixtures)
from tests.accounts.test_github import sign_in as github_sign_in
from tests.factories import make_user

NOTICE = 'id="timezone-notice"'


def sign_in_with_a_code(client, code_for, email: str, zone: str | None):  # noqa: F811
    token = csrf_token(client)
    form = {"csrf_token": token, "email": email, **({"timezone": zone} if zone is not None else {})}
    page = client.post("/login", data={**form, "action": "send"}).get_data(as_text=True)
    if zone:
        assert 'name="timezone" value="' in page, "the code step carries the zone on"
    return client.post("/login", data={**form, "code": code_for(email), "action": "verify"})


def stored(username: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def test_a_new_account_starts_in_the_browsers_zone_and_says_so(client, code_for):  # noqa: F811
    response = sign_in_with_a_code(client, code_for, "ada@example.com", "Europe/Berlin")
    assert response.status_code == 303
    assert stored("ada").timezone == "Europe/Berlin"
    home = client.get("/").get_data(as_text=True)
    assert NOTICE in home and "Your time zone is <strong>Europe/Berlin</strong>, taken from this browser" in home
    settings = client.get("/settings/time-zone").get_data(as_text=True)
    assert "burntop took <strong>Europe/Berlin</strong> from your browser" in settings
    assert '<option value="Europe/Berlin" selected>' in settings

    saved = client.post("/settings/time-zone", headers={"HX-Request": "true"},
                        data={"csrf_token": csrf_token(client, "/settings/time-zone"), "timezone": "Europe/Berlin",
                              "region": ""}).get_data(as_text=True)
    assert '<div id="timezone-notice" hx-swap-oob="delete"></div>' in saved, "the notice leaves at once"
    assert NOTICE not in client.get("/").get_data(as_text=True), "and for good"


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "../etc/passwd", "x" * 300])
def test_an_unknown_zone_leaves_the_default(client, code_for, zone):  # noqa: F811
    assert sign_in_with_a_code(client, code_for, "grace@example.com", zone).status_code == 303
    assert stored("grace").timezone == "UTC"
    assert NOTICE not in client.get("/").get_data(as_text=True)


def test_an_existing_account_keeps_its_zone(client, code_for):  # noqa: F811
    make_user("alan", email="alan@example.com", email_verified=True, timezone="Asia/Tokyo")
    assert sign_in_with_a_code(client, code_for, "alan@example.com", "America/New_York").status_code == 303
    assert stored("alan").timezone == "Asia/Tokyo"
    assert NOTICE not in client.get("/").get_data(as_text=True)


def test_a_browser_in_utc_needs_no_notice(client, code_for):  # noqa: F811
    sign_in_with_a_code(client, code_for, "utc@example.com", "UTC")
    assert stored("utc").timezone == "UTC" and NOTICE not in client.get("/").get_data(as_text=True)


def test_a_github_sign_in_without_a_zone_keeps_the_default(client, github):  # noqa: F811
    github_sign_in(client, github, GitHubAccount(2001, "octo", emails=[verified("octo@example.com")]))
    assert stored("octo").timezone == "UTC"


def test_the_github_link_carries_the_zone_through_the_provider(client, github):  # noqa: F811
    github.account = GitHubAccount(2002, "hubber", emails=[verified("hubber@example.com")])
    start = client.get("/auth/github", query_string={"timezone": "America/Sao_Paulo"})
    back = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    callback = urlsplit(back.headers["Location"])
    assert client.get(f"{callback.path}?{callback.query}").status_code == 303
    assert stored("hubber").timezone == "America/Sao_Paulo"
    assert "Your time zone is <strong>America/Sao Paulo</strong>" in client.get("/").get_data(as_text=True)
