"""Settings as a person uses them, in headless Chromium: inline errors, keys shown once, revoking."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
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
    expect(username).to_be_focused()  # the field to fix; htmx focuses it once the swap settles
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
    page.get_by_role("button", name="Copy", exact=True).click()
    page.get_by_role("button", name="Copied", exact=True).wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == key
    command = page.get_by_role("button", name="Copy the login command")
    command.click()
    assert page.evaluate("navigator.clipboard.readText()") == f"burntop login --token {key} --api-url http://testserver"
    page.screenshot(path="/tmp/burntop-settings-new-key.png", full_page=True, caret="initial")
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
    section = nav.locator("summary")
    assert section.inner_text().endswith("API keys and devices"), "the page you are on, named without scrolling"
    assert nav.get_by_role("link", name="Privacy").is_visible() is False, "closed until asked"
    background = phone.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
    section.click()
    assert nav.get_by_role("link", name="API keys and devices").get_attribute("aria-current") == "page"
    phone.screenshot(path="/tmp/burntop-settings-phone-nav.png", caret="initial")
    phone.keyboard.press("Escape")
    assert nav.get_by_role("link", name="Privacy").is_visible() is False, "Escape closes it"
    expect(section).to_be_focused()  # back on its button
    phone.keyboard.press("Enter")
    nav.get_by_role("link", name="Privacy").click()
    phone.wait_for_url("**/settings/privacy")
    assert phone.get_by_role("heading", level=1).inner_text() == "Privacy"
    assert phone.get_by_label("Private").is_visible() or phone.get_by_text("Private").first.is_visible()


SHOTS = "/tmp/burntop-sessions"
FIREFOX = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.6; rv:133.0) Gecko/20100101 Firefox/133.0"
LAPTOP_CHROME = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
                 "Safari/537.36")


@pytest.mark.parametrize("viewport, scheme", [((375, 740), "dark"), ((1280, 900), "light")])
def test_sessions_are_listed_and_signed_out_everywhere_else(browser, app, client, alice, live_server, viewport, scheme):
    """Three browsers signed in: this one is marked, the others are signed out with one button (htmx, CSRF)."""
    from playwright.sync_api import expect

    from tests.accounts.test_sessions import whoami

    others = [app.test_client(), app.test_client()]
    sign_in(others[0], alice, user_agent=LAPTOP_CHROME)
    sign_in(others[1], alice, user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
                                         "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1")
    context = browser.new_context(viewport=dict(zip(("width", "height"), viewport)), color_scheme=scheme)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        sign_in(client, alice, user_agent=FIREFOX)
        context.add_cookies([{"name": "session", "value": client.get_cookie("session").value, "url": live_server}])
        page.goto(live_server + "/settings/sessions")
        assert page.title() == "Sessions · Settings · burntop"
        rows = page.locator("li.key-item")
        expect(rows).to_have_count(3)
        this = page.locator("li.key-item[aria-current=true]")
        expect(this).to_contain_text("Firefox on macOS")
        expect(this).to_contain_text("This browser")
        expect(page.locator("li.key-item", has_text="Chrome on Linux")).to_contain_text("less than 1 hour ago")
        expect(page.locator("li.key-item", has_text="Safari on iPhone").get_by_role("button", name="Sign out")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0], "no sideways scrolling"
        page.screenshot(path=f"{SHOTS}-{viewport[0]}-{scheme}.png", full_page=True, caret="initial")

        page.evaluate("document.body.dataset.loadMarker = 'same-page'")
        page.get_by_role("button", name="Sign out everywhere else").click()
        page.get_by_role("status").filter(has_text="Signed out 2 other sessions.").wait_for()
        expect(page.locator("li.key-item")).to_have_count(1)
        expect(page.locator("li.key-item")).to_contain_text("This browser")
        assert page.evaluate("document.body.dataset.loadMarker") == "same-page", "htmx swapped the section"
        assert [whoami(other)["user"] for other in others] == [None, None]

        page.get_by_role("button", name="Sign out everywhere").click()
        page.wait_for_url("**/login")
        expect(page.get_by_role("status").first).to_contain_text("signed out everywhere")
        page.goto(live_server + "/settings/sessions")
        page.wait_for_url("**/login?next=/settings/sessions")
    finally:
        context.close()
    assert errors == []
