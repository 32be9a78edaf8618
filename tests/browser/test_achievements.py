"""Achievements as a person uses them, in headless Chromium: pinning to the showcase, filters, the XP bar."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from burntop.gamification import catalog
from burntop.gamification.showcase import pinned_achievements, set_pinned
from tests.factories import auth, make_token, make_user, record, sign_in

pytestmark = pytest.mark.browser
SHOTS = "/tmp/burntop-achievements"


def signed_in(context, client, user, live_server):
    """Copy a Flask session cookie made by the test client into the browser."""
    sign_in(client, user)
    cookie = client.get_cookie("session")
    context.add_cookies([{"name": "session", "value": cookie.value, "url": live_server, "httpOnly": True,
                          "sameSite": "Lax"}])


@pytest.fixture
def player(client):
    """A user who synced five days of cached usage over two tools, which unlocks a first handful."""
    user = make_user("alice", name="Alice")
    batch = [record(f"r{i}", at=f"2025-06-0{1 + i}T12:00:00Z", cacheReadTokens=300_000, cacheCreationTokens=40_000,
                    source="codex" if i % 2 else "claude-code") for i in range(5)]
    body = client.post("/api/sync", json={"records": batch}, headers=auth(make_token(user))).get_json()
    assert {"first-sync", "streak-3", "tools-2"} <= set(body["achievements"])
    return user, body["achievements"]


def xp_label(page) -> str:
    return page.locator("#xp-bar progress").get_attribute("aria-label")


def test_pin_an_achievement_and_see_it_on_the_showcase(page, client, player, live_server):
    user, _ = player
    signed_in(page.context, client, user, live_server)
    page.goto(live_server + "/achievements/showcase")
    assert page.title() == "Your showcase · Achievements · burntop"
    page.evaluate("document.body.dataset.loadMarker = 'same-page'")
    showcase = page.locator("#pinned-showcase")
    assert "Nothing pinned yet" in showcase.inner_text()
    xp_before = xp_label(page)
    page.screenshot(path=f"{SHOTS}-showcase-empty.png", full_page=True, caret="initial")

    page.get_by_role("button", name="Pin First Sync", exact=True).click()
    showcase.locator('[data-achievement="first-sync"]').wait_for()
    assert "First Sync" in showcase.inner_text() and "1 of 6 pinned" in showcase.inner_text()
    unpin = page.get_by_role("button", name="Unpin First Sync")
    assert unpin.is_visible()
    # htmx applies autofocus after the swap settles: wait for it rather than read activeElement at once.
    expect(page.locator("#pin-button-first-sync")).to_be_focused()
    status = page.get_by_role("status").filter(has_text="Pinned First Sync to your showcase.")
    assert "Show-Off" in status.inner_text(), "pinning earned Show-Off, announced at once"
    assert page.locator("#pin-item-show-off").is_visible()
    assert xp_label(page) != xp_before, "the header XP bar took the 10 XP of Show-Off"
    assert page.evaluate("document.body.dataset.loadMarker") == "same-page", "htmx swapped, no reload"
    assert [p["id"] for p in pinned_achievements(user.id)] == ["first-sync"]
    page.screenshot(path=f"{SHOTS}-showcase-pinned.png", full_page=True, caret="initial")

    unpin.click()
    page.get_by_role("button", name="Pin First Sync", exact=True).wait_for()
    assert showcase.locator('[data-achievement="first-sync"]').count() == 0
    assert "Nothing pinned yet" in showcase.inner_text()
    assert page.evaluate("document.body.dataset.loadMarker") == "same-page"
    assert pinned_achievements(user.id) == []


def test_a_seventh_pin_shows_an_alert_beside_its_button(page, client, player, live_server):
    user, unlocked = player
    for achievement_id in unlocked[:6]:
        set_pinned(user.id, achievement_id, True)
    seventh = catalog.BY_ID[unlocked[6]].name
    signed_in(page.context, client, user, live_server)
    page.goto(live_server + "/achievements/showcase")
    assert page.locator("#pinned-showcase [data-achievement]").count() == 6
    page.get_by_role("button", name=f"Pin {seventh}", exact=True).click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text().strip() == "At most 6 achievements can be pinned; unpin one first."
    assert page.locator(f"#pin-item-{unlocked[6]}").get_by_role("alert").is_visible(), "beside the button pressed"
    page.screenshot(path=f"{SHOTS}-seventh-pin.png", full_page=True, caret="initial")


def test_filter_the_catalog_and_go_back(page, client, player, live_server):
    user, unlocked = player
    signed_in(page.context, client, user, live_server)
    page.goto(live_server + "/achievements")
    page.evaluate("document.body.dataset.loadMarker = 'same-page'")
    cards = page.locator("#achievement-grid li.achievement")
    assert cards.count() == 68
    assert page.locator("#achievement-first-sync").get_by_text("Unlocked").is_visible()
    locked = page.locator("#achievement-streak-7").get_by_role("progressbar")
    assert re.fullmatch(r"Progress toward Week Warrior: 5 / 7-day usage streak", locked.get_attribute("aria-label"))
    page.screenshot(path=f"{SHOTS}-catalog.png", full_page=False, caret="initial")

    page.get_by_role("radio", name="Streaks").check()
    page.wait_for_url("**/achievements?category=streaks")
    assert cards.count() == len(catalog.select("streaks"))
    page.get_by_role("radio", name="Rare").check()
    page.wait_for_url("**/achievements?category=streaks&rarity=rare")
    assert cards.count() == len(catalog.select("streaks", "rare"))
    assert page.get_by_role("heading", name="4 rare achievements in Streaks").is_visible()
    assert page.get_by_role("status").filter(has_text="4 achievements shown.").count() == 1
    assert page.evaluate("document.body.dataset.loadMarker") == "same-page", "htmx swapped the grid, no reload"
    page.screenshot(path=f"{SHOTS}-catalog-filtered.png", full_page=False, caret="initial")

    page.go_back()
    page.wait_for_url("**/achievements?category=streaks")
    expect(page.locator("#achievement-grid li.achievement")).to_have_count(10)  # no eval: the CSP forbids it
    assert page.get_by_role("radio", name="Streaks").is_checked() and page.locator("#f-rarity-all").is_checked()


def test_catalog_on_a_phone_in_dark_mode(phone, client, player, live_server):
    user, _ = player
    signed_in(phone.context, client, user, live_server)
    phone.emulate_media(color_scheme="dark")
    phone.goto(live_server + "/achievements")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375, "no sideways scrolling of the page"
    background = phone.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
    bar = phone.get_by_role("progressbar", name=re.compile(r"^[\d,.]+ of [\d,]+ XP to level \d+$"))
    assert bar.is_visible() and phone.locator("#xp-bar").is_visible()
    box = phone.locator("#xp-bar").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375 and box["height"] <= 44, "a compact pill on a phone"
    header = phone.locator(".site-header").bounding_box()
    assert box["y"] + box["height"] <= header["y"] + header["height"], "inside the header"
    assert header["height"] <= 72, "the header is one row"
    assert phone.locator(".site-header__actions").bounding_box()["height"] <= 44, "the header buttons stay on one row"
    phone.screenshot(path=f"{SHOTS}-phone-dark.png", full_page=False, caret="initial")

    phone.get_by_role("radio", name="Legendary").check()
    phone.wait_for_url("**/achievements?rarity=legendary")
    assert phone.locator("#achievement-grid li.achievement").count() == len(catalog.select(rarity="legendary"))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.screenshot(path=f"{SHOTS}-phone-dark-legendary.png", full_page=True, caret="initial")

    link = re.compile(r"^Level \d+, [A-Za-z ]+: [\d,]+ of [\d,]+ XP to level \d+\. Your achievements$")
    phone.get_by_role("link", name=link).click()
    phone.wait_for_url("**/achievements/showcase")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.screenshot(path=f"{SHOTS}-phone-dark-showcase.png", full_page=True, caret="initial")
