"""The profile and the dashboard as people use them, in headless Chromium: tabs and periods swap without
a page load, the profile on a phone in dark mode, and no page wider than the window with large numbers."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from tests.factories import auth, browser_sign_in, make_token, make_user, record

pytestmark = pytest.mark.browser
SHOTS = "/tmp/burntop-stats"
WIDTHS = (375, 768, 1280, 1536)
USERNAME = "a-very-long-username-for-layout-tests-9"  # the longest the rules allow
MODELS = ("claude-sonnet-4-5-20250929-with-a-very-long-model-name", "claude-opus-4-1-20250805", "gpt-5-codex",
          "gemini-2.5-pro", "claude-3-5-haiku-20241022", "o3", "grok-code-fast-1")
SOURCES = ("claude-code", "codex", "gemini-cli", "cursor", "opencode")
MACHINES = ("0f3c" * 8, "a9d1" * 8, "77be" * 8)


@pytest.fixture
def veteran(client):
    """A year of heavy daily use in Los Angeles: tens of billions of tokens over seven models and five tools."""
    user = make_user(USERNAME, name="Maximiliana Wolfeschlegelsteinhausen", xp_centi=115_432 * 100,
                     timezone="America/Los_Angeles", bio="Ships a lot of code with a lot of agents.",
                     website="https://example.com/maximiliana")
    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    records = []
    for day in range(0, 400, 1):
        if day % 9 == 4:
            continue  # some days off
        for i in range(2 + day % 7):
            records.append(record(f"v{day}-{i}", at=now - timedelta(days=day, hours=2 * i),
                                  model=MODELS[(day + i) % len(MODELS)], source=SOURCES[(day * 7 + i) % len(SOURCES)],
                                  inputTokens=4_000_000 + 397_123 * (day % 13), outputTokens=2_000_000,
                                  cacheReadTokens=6_000_000 + 7_919 * day, cacheCreationTokens=1_000_000,
                                  machineId=MACHINES[(day + i) % len(MACHINES)]))
    response = client.post("/api/sync", json={"records": records}, headers=auth(make_token(user)))
    assert response.status_code == 200, response.get_json()
    return user


def _context(browser, width: int, scheme: str):
    context = browser.new_context(viewport={"width": width, "height": 900}, is_mobile=width < 500,
                                  device_scale_factor=2 if width < 500 else 1, color_scheme=scheme)
    context.set_default_timeout(10_000)
    return context


def _fits(page, width: int, what: str) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{what} is {scroll}px wide in a {width}px window"


def test_dashboard_tabs_and_period_switch_without_a_page_load(page, client, veteran, live_server):
    browser_sign_in(page.context, client, veteran, live_server)
    page.goto(live_server + "/dashboard")
    expect(page.locator("[data-tab]")).to_have_attribute("data-tab", "overview")
    page.evaluate("window.__stillHere = 'yes'")

    page.get_by_role("link", name="Trends").click()
    expect(page.locator("[data-tab]")).to_have_attribute("data-tab", "trends")
    expect(page).to_have_url(re.compile(r"/dashboard/trends\?period=all$"))
    expect(page.locator("#tab-trends")).to_have_attribute("aria-current", "page")
    expect(page.locator(".chart--hours svg > title")).to_have_text("Tokens by hour of day, all time")
    expect(page).to_have_title(re.compile("^Trends · Dashboard"))

    page.get_by_role("link", name="This week").click()
    expect(page.locator("[data-tab]")).to_have_attribute("data-period", "week")
    expect(page).to_have_url(re.compile(r"/dashboard/trends\?period=week$"))
    expect(page.locator("#period-week")).to_be_focused()  # focus stays on the control just used
    expect(page.locator(".period-note")).to_contain_text("This week")

    page.get_by_role("link", name="Models").click()
    expect(page.locator("[data-tab]")).to_have_attribute("data-tab", "models")
    expect(page).to_have_url(re.compile(r"/dashboard/models\?period=week$"))
    assert page.evaluate("window.__stillHere") == "yes", "a tab or period switch reloaded the page"

    page.go_back()
    expect(page).to_have_url(re.compile(r"/dashboard/trends\?period=week$"))
    expect(page.locator("[data-tab]")).to_have_attribute("data-tab", "trends")
    expect(page.locator("#period-week")).to_have_attribute("aria-current", "true")

    page.reload()  # the pushed address is a page of its own
    expect(page.locator("[data-tab]")).to_have_attribute("data-tab", "trends")
    expect(page.locator("#period-week")).to_have_attribute("aria-current", "true")
    assert page.evaluate("window.__stillHere") is None


def test_dashboard_tabs_work_from_the_keyboard(page, client, veteran, live_server):
    browser_sign_in(page.context, client, veteran, live_server)
    page.goto(live_server + "/dashboard")
    page.locator("#tab-tools").focus()
    page.keyboard.press("Enter")
    expect(page.locator("[data-tab]")).to_have_attribute("data-tab", "tools")
    expect(page.locator("#tab-tools")).to_be_focused()
    details = page.locator(".chart__data").first
    details.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(details.locator("table")).to_be_visible()


def test_profile_on_a_phone_in_dark_mode(browser, watch, veteran, live_server):
    context = _context(browser, 375, "dark")
    page = watch(context)
    page.goto(live_server + f"/{USERNAME}")
    expect(page.locator("h1")).to_have_text("Maximiliana Wolfeschlegelsteinhausen")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(17, 15, 14)", background  # the dark theme's --bg
    heat_empty = page.evaluate("getComputedStyle(document.querySelector('.heat--0')).fill")
    assert heat_empty == "rgb(46, 42, 39)", heat_empty  # dark cells, not the light theme's
    expect(page.locator(".chart--heatmap svg")).to_be_visible()
    # the year scrolls inside its frame, opened at the newest end
    frame = page.locator(".chart--heatmap .chart__scroll")
    box, latest = frame.bounding_box(), page.locator(".chart--heatmap rect.heat").nth(364).bounding_box()
    assert box["x"] <= latest["x"] and latest["x"] + latest["width"] <= box["x"] + box["width"] + 1
    expect(page.locator(".stat-grid")).to_contain_text("API-equivalent estimate")
    _fits(page, 375, "the profile")
    page.screenshot(path=f"{SHOTS}-phone-dark-profile.png", full_page=True, caret="initial")
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", WIDTHS)
def test_pages_fit_the_window_with_large_numbers(browser, watch, client, veteran, live_server, width, scheme):
    other = make_user("second-person", name="Second")
    client.post("/api/sync", json={"records": [record("s1", at=datetime.now(timezone.utc))]},
                headers=auth(make_token(other)))
    context = _context(browser, width, scheme)
    page = watch(context)
    browser_sign_in(context, client, veteran, live_server)
    paths = [f"/{USERNAME}", f"/compare/{USERNAME}/second-person", "/dashboard", "/dashboard/trends",
             "/dashboard/models?period=month", "/dashboard/tools?period=week", "/dashboard/machines?period=month",
             "/dashboard/insights"]
    for path in paths:
        page.goto(live_server + path)
        _fits(page, width, f"{path} ({scheme})")
        name = re.sub(r"[^a-z]+", "-", path.replace(USERNAME, "profile")).strip("-")
        page.screenshot(path=f"{SHOTS}-{width}-{scheme}-{name}.png", full_page=True, caret="initial")
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_new_users_empty_dashboard_and_profile_fit_a_phone(browser, watch, client, live_server, scheme):
    fresh = make_user("fresh-face", name="Fresh Face")
    context = _context(browser, 375, scheme)
    page = watch(context)
    browser_sign_in(context, client, fresh, live_server)
    for path in ("/dashboard", "/dashboard/insights?period=week", "/fresh-face"):
        page.goto(live_server + path)
        expect(page.locator("[data-empty]")).to_contain_text("burntop sync")
        _fits(page, 375, f"{path} for a new user ({scheme})")
    page.screenshot(path=f"{SHOTS}-375-{scheme}-empty-profile.png", full_page=True, caret="initial")
    context.close()
