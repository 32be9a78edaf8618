"""The landing page as a person sees it, in headless Chromium."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import make_token, make_user, record

pytestmark = pytest.mark.browser


@pytest.fixture
def synced(client, app):
    token = make_token(make_user("alice"))
    batch = [record(f"r{i}", inputTokens=100_000, outputTokens=23_456) for i in range(10)]
    assert client.post("/api/sync", json={"records": batch}, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    return token


def test_landing_explains_burntop_and_shows_live_totals(page, live_server, synced):
    page.goto(live_server + "/")
    assert "burntop" in page.title().lower()
    assert page.locator("h1").first.is_visible()
    assert page.locator('[data-stat="tokens"]').inner_text() == "1,234,560"
    assert page.locator('[data-stat="responses"]').inner_text() == "10"
    assert page.locator('[data-stat="developers"]').inner_text() == "1"
    # Sonnet 4 at $3 / $15 per million: 10 x (100,000 x 3 + 23,456 x 15) / 1e6 = $6.52
    assert page.locator('[data-stat="cost"]').inner_text() == "$6.52"


def test_totals_refresh_without_a_reload(page, live_server, client, synced, app):
    app.config["GLOBAL_TOTALS_TTL"] = 0
    page.goto(live_server + "/")
    page.evaluate("document.body.dataset.loadMarker = 'same-page'")
    client.post("/api/sync", json={"records": [record("late", inputTokens=1, outputTokens=0)]},
                headers={"Authorization": f"Bearer {synced}"})
    # htmx polls the partial every 15 s; fire its other trigger instead of waiting.
    page.evaluate("htmx.trigger('#global-totals', 'refresh')")
    # expect() polls from Playwright's own script; wait_for_function(str) needs eval, which the CSP blocks.
    expect(page.locator('[data-stat="responses"]')).to_have_text("11")
    assert page.evaluate("document.body.dataset.loadMarker") == "same-page"


def test_landing_works_on_a_phone_and_in_dark_mode(phone, live_server, synced):
    phone.emulate_media(color_scheme="dark")
    phone.goto(live_server + "/")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, "no horizontal scrolling on a phone"
    background = phone.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"), "dark mode has a dark background"


def test_keyboard_users_can_skip_to_content(page, live_server, synced):
    page.goto(live_server + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
