"""Settings as a person uses them, in headless Chromium: inline errors, keys shown once, revoking."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from burntop.extensions import db
from burntop.models import ApiToken, User
from tests.factories import auth, make_user, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def alice(client):
    return make_user("alice", email="alice@example.com", name="Alice")


def signed_in(context, client, user, live_server):
    """Copy a Flask session cookie made by the test client into the browser."""
    sign_in(client, user)
    cookie = client.get_cookie("session")
    context.add_cookies([{"name": "session", "value": cookie.value, "url": live_server, "httpOnly": True,
                          "sameSite": "Lax"}])


def test_profile_error_shown_inline_then_fixed(page, client, alice, live_server):
    signed_in(page.context, client, alice, live_server)
    page.goto(live_server + "/settings/profile")
    assert page.title() == "Profile · Settings · burntop"
    page.evaluate("document.body.dataset.loadMarker = 'same-page'")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Bio").fill("Shipping with Claude Code")
    page.get_by_role("button", name="Save profile").click()

    error = page.locator("#f-username-error")
    error.wait_for()
    assert "reserved" in error.inner_text()
    username = page.get_by_label("Username")
    assert username.get_attribute("aria-invalid") == "true"
    assert "f-username-error" in username.get_attribute("aria-describedby")
    assert page.evaluate("document.activeElement.id") == "f-username", "focus moves to the field to fix"
    assert page.get_by_label("Bio").input_value() == "Shipping with Claude Code", "what was typed is kept"
    assert page.evaluate("document.body.dataset.loadMarker") == "same-page", "htmx swapped the form, no reload"

    username.fill("alice-codes")
    page.get_by_role("button", name="Save profile").click()
    page.get_by_role("status").filter(has_text="Profile saved.").wait_for()
    assert page.locator("#f-username-error").count() == 0
    assert page.get_by_label("Username").get_attribute("aria-invalid") is None
    db.session.expire_all()
    stored = db.session.get(User, alice.id)
    assert (stored.username, stored.bio) == ("alice-codes", "Shipping with Claude Code")


def test_create_a_key_shown_once_then_revoke_it(page, client, alice, live_server):
    signed_in(page.context, client, alice, live_server)
    page.goto(live_server + "/settings/keys")
    page.get_by_label("Key name").fill("CI runner")
    page.get_by_role("button", name="Create key").click()

    box = page.get_by_label("Your new API key")
    box.wait_for()
    key = box.input_value()
    assert re.fullmatch(r"bt_[A-Za-z0-9_-]{43}", key)
    assert page.get_by_role("alert").filter(has_text="only time").is_visible()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.get_by_role("button", name="Copy").click()
    page.get_by_role("button", name="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == key
    client.delete_cookie("session")
    assert client.get("/api/profile", headers=auth(key)).get_json()["username"] == "alice"

    page.reload()
    assert page.get_by_label("Your new API key").count() == 0
    assert key not in page.content()
    row = page.locator("li.key-item", has_text="CI runner")
    assert row.locator("code").inner_text() == f"{key[:8]}…"
    assert "API key" in row.inner_text() and "Never" not in row.inner_text(), "the key was just used"

    row.locator("summary").click()
    confirm = row.get_by_role("button", name="Yes, revoke")
    assert confirm.is_visible()
    confirm.click()
    page.get_by_role("status").filter(has_text="Revoked “CI runner”").wait_for()
    assert page.locator("li.key-item", has_text="CI runner").count() == 0
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0
    assert client.get("/api/profile", headers=auth(key)).status_code == 401


def test_settings_on_a_phone_in_dark_mode(phone, client, alice, live_server):
    signed_in(phone.context, client, alice, live_server)
    phone.emulate_media(color_scheme="dark")
    phone.goto(live_server + "/settings/keys")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375, "no sideways scrolling of the page"
    nav = phone.get_by_role("navigation", name="Settings")
    assert nav.is_visible()
    current = nav.locator("[aria-current=page]")
    assert current.inner_text() == "API keys and devices"
    background = phone.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
    nav.get_by_role("link", name="Privacy").click()
    phone.wait_for_url("**/settings/privacy")
    assert phone.get_by_role("heading", level=1).inner_text() == "Privacy"
    assert phone.get_by_label("Private").is_visible() or phone.get_by_text("Private").first.is_visible()
