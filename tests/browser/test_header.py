"""The signed-in header at every width, in both themes: nothing wider than the window, the logo, the
level and the theme toggle always there, a keyboard-usable menu on phones."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import browser_sign_in, make_user

pytestmark = pytest.mark.browser
SHOTS = "/tmp/burntop-header"
WIDTHS = (375, 768, 1280, 1536)
PAGES = ("/", "/achievements", "/achievements/showcase", "/settings/profile", "/settings/privacy",
         "/settings/time-zone", "/settings/sessions", "/settings/keys", "/settings/public-api", "/settings/export",
         "/settings/delete", "/device")
# The longest username the rules allow (39 characters) and six-digit XP: level 70, "Inference Overlord",
# the longest level title.
USERNAME = "a-very-long-username-for-layout-tests-9"
XP = 115_432


@pytest.fixture
def veteran(client):
    assert len(USERNAME) == 39
    return make_user(USERNAME, name="Maximiliana Wolfeschlegelsteinhausen", xp_centi=XP * 100)


def _open(browser, width: int, scheme: str, watch):
    context = browser.new_context(viewport={"width": width, "height": 900}, is_mobile=width < 500,
                                  device_scale_factor=2 if width < 500 else 1)
    context.set_default_timeout(10_000)
    page = watch(context)
    page.emulate_media(color_scheme=scheme)
    return context, page


def _box(page, selector: str) -> dict | None:
    locator = page.locator(selector)
    return locator.bounding_box() if locator.count() == 1 and locator.is_visible() else None


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", WIDTHS)
def test_signed_in_pages_fit_the_window(browser, watch, client, veteran, live_server, width, scheme):
    context, page = _open(browser, width, scheme, watch)
    browser_sign_in(context, client, veteran, live_server)
    for path in PAGES:
        page.goto(live_server + path)
        assert page.locator(".site-header").count() == 1, path
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{path} at {width}px ({scheme}) is {scroll}px wide"
        logo = _box(page, ".site-header .brand .logo")
        assert logo and logo["width"] >= 24 and logo["height"] >= 24, f"the logo is visible on {path} at {width}px"
        toggle = _box(page, ".site-header [data-theme-toggle]")
        assert toggle and toggle["x"] >= 0 and toggle["x"] + toggle["width"] <= width, f"theme toggle on {path}"
        level = _box(page, "#xp-bar")
        assert level and level["x"] >= 0 and level["x"] + level["width"] <= width, f"level on {path} at {width}px"
        assert page.locator("#xp-bar .xp-bar__level").inner_text().split()[-1] == "70"
        header = page.locator(".site-header").bounding_box()
        assert header["height"] <= 72, f"the header is one row on {path} at {width}px, not {header['height']}px"
        name = "home" if path == "/" else path.strip("/").replace("/", "-")
        page.screenshot(path=f"{SHOTS}-{width}-{scheme}-{name}.png", caret="initial")
    context.close()


# The pages to come (Leaderboard, Feed) beside Dashboard make eight entries, as base.html would list them.
EIGHT_ENTRIES = """() => {
  document.querySelector('.site-header').classList.add('site-header--long-nav');
  for (const list of document.querySelectorAll('.site-nav ul, .site-menu__nav ul')) {
    const present = [...list.querySelectorAll('a')].map((a) => a.textContent);
    for (const label of ['Dashboard', 'Leaderboard', 'Feed'].filter((l) => !present.includes(l))) {
      const item = list.lastElementChild.cloneNode(true);
      item.querySelector('a').textContent = label;
      item.querySelector('a').removeAttribute('aria-current');
      list.append(item);
    }
  }
}"""


@pytest.mark.parametrize("width", (375, 1024, 1280, 1536))
def test_the_header_holds_eight_entries(browser, watch, client, veteran, live_server, width):
    context, page = _open(browser, width, "light", watch)
    browser_sign_in(context, client, veteran, live_server)
    page.goto(live_server + "/achievements")
    page.evaluate(EIGHT_ENTRIES)
    page.screenshot(path=f"{SHOTS}-eight-{width}.png", caret="initial")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    inline = page.get_by_role("navigation", name="Main")
    level = page.locator("#xp-bar").bounding_box()
    if width >= 1280:
        links = inline.get_by_role("link")
        assert links.count() == 8
        for i in range(8):
            box = links.nth(i).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] < level["x"], f"entry {i} beside, not under, the level"
    else:
        assert not page.locator(".site-nav").is_visible()
        page.locator(".site-menu > summary").click()
        assert page.locator(".site-menu__nav").get_by_role("link").count() == 8
        assert page.locator(".site-menu__nav").get_by_role("link", name="Feed").is_visible()
        panel = page.locator(".site-menu__panel").bounding_box()
        assert panel["x"] >= 0 and panel["x"] + panel["width"] <= width
    context.close()


def test_the_phone_menu_works_from_the_keyboard(phone, client, veteran, live_server):
    browser_sign_in(phone.context, client, veteran, live_server)
    phone.goto(live_server + "/achievements")
    menu = phone.locator(".site-menu")
    button = menu.locator("summary")
    assert not phone.get_by_role("navigation", name="Main").is_visible(), "no room for the entries inline"
    button.focus()
    phone.keyboard.press("Enter")
    nav = menu.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Achievements").get_attribute("aria-current") == "page"
    assert menu.get_by_text("Inference Overlord").is_visible(), "the whole level title, not cut"
    assert menu.get_by_text("115,432 / 117,500 XP").is_visible()
    phone.keyboard.press("Tab")
    expect(nav.get_by_role("link", name="How it works")).to_be_focused()
    phone.screenshot(path=f"{SHOTS}-phone-menu.png", caret="initial")
    phone.keyboard.press("Escape")
    assert not nav.is_visible(), "Escape closes the menu"
    expect(button).to_be_focused()

    phone.keyboard.press("Space")
    assert nav.is_visible()
    phone.mouse.click(187, 735)  # below the open panel
    assert not nav.is_visible(), "a click outside closes it"
    button.click()
    menu.get_by_role("link", name="Settings").click()
    phone.wait_for_url("**/settings/profile")


def test_the_menu_opens_without_javascript(browser, client, veteran, live_server):
    context = browser.new_context(viewport={"width": 375, "height": 740}, java_script_enabled=False)
    browser_sign_in(context, client, veteran, live_server)
    page = context.new_page()
    page.goto(live_server + "/settings/keys")
    page.locator(".site-menu > summary").click()
    assert page.locator(".site-menu").get_by_role("link", name="Achievements").is_visible()
    page.locator(".site-menu > summary").click()
    assert not page.locator(".site-menu").get_by_role("link", name="Achievements").is_visible()
    page.locator(".settings-nav summary").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Privacy").click()
    page.wait_for_url("**/settings/privacy")
    context.close()
