"""Signing in with an email code in headless Chromium, the code read from the development mail log."""
from __future__ import annotations

import logging
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CODE_LINE = re.compile(r"code for (\S+): (\d{6})")


class MailLog(logging.Handler):
    """The burntop.mail records of the live server, which runs in this process."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())

    def code_for(self, email: str) -> str:
        found = [m[2] for m in map(CODE_LINE.search, self.lines) if m and m[1] == email]
        assert found, f"no code was logged for {email}"
        return found[-1]


@pytest.fixture
def mail_log(monkeypatch):
    logger = logging.getLogger("burntop.mail")
    # The test run's in-process Alembic upgrade (fileConfig) disables loggers that existed before it.
    monkeypatch.setattr(logger, "disabled", False)
    monkeypatch.setattr(logger, "level", logging.INFO)
    handler = MailLog()
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def ask_for_code(page, email: str) -> None:
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Email me a code").click()
    page.get_by_label("Six-digit code").wait_for()


def test_sign_in_with_an_emailed_code(page, live_server, mail_log):
    page.goto(live_server + "/login")
    ask_for_code(page, "Ada.Lovelace@example.com")
    assert "We sent a six-digit code to ada.lovelace@example.com" in page.locator("#login-form").inner_text()
    expect(page.get_by_label("Six-digit code")).to_be_focused()
    page.keyboard.type(mail_log.code_for("ada.lovelace@example.com"))
    page.keyboard.press("Enter")
    page.wait_for_url(live_server + "/")
    header = page.get_by_role("banner")
    header.locator("summary", has_text="Menu").click()  # the header's account menu
    assert header.get_by_text("@ada-lovelace").is_visible()
    page.goto(live_server + "/login")
    assert page.locator("[data-signed-in-as]").inner_text() == "@ada-lovelace"
    header.locator("summary", has_text="Menu").click()
    header.get_by_role("button", name="Sign out").click()
    page.wait_for_url(live_server + "/")
    page.goto(live_server + "/login")
    assert page.get_by_label("Email address").is_visible()


def test_sign_in_returns_to_the_page_that_asked_for_it(page, live_server, mail_log):
    page.goto(live_server + "/device")
    assert page.url.startswith(live_server + "/login?next=")
    ask_for_code(page, "grace@example.com")
    page.get_by_label("Six-digit code").fill(mail_log.code_for("grace@example.com"))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server + "/device")
    assert "@grace" in page.locator("main").inner_text()


def test_a_wrong_code_is_explained_in_place(page, live_server, mail_log):
    page.goto(live_server + "/login")
    page.evaluate("document.body.dataset.loadMarker = 'same-page'")
    ask_for_code(page, "alan@example.com")
    code = mail_log.code_for("alan@example.com")
    page.get_by_label("Six-digit code").fill(f"{(int(code) + 1) % 10**6:06d}")
    page.get_by_role("button", name="Sign in").click()
    error = page.get_by_role("alert")
    error.wait_for()
    assert "That code is wrong. 4 attempts left." in error.inner_text()
    assert page.get_by_label("Six-digit code").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.body.dataset.loadMarker") == "same-page"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_login_page_fits_a_phone_in_both_themes(phone, live_server, scheme):
    phone.emulate_media(color_scheme=scheme)
    phone.goto(live_server + "/login")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    field = phone.get_by_label("Email address")
    assert field.bounding_box()["width"] > 250
    body = brightness(phone.evaluate("getComputedStyle(document.body).backgroundColor"))
    assert body < 80 if scheme == "dark" else body > 200
    field_border = phone.evaluate("getComputedStyle(document.querySelector('#login-email')).borderTopLeftRadius")
    assert field_border != "0px", "the field is styled, not a browser default"


def brightness(css_color: str) -> float:
    red, green, blue = (int(v) for v in re.findall(r"\d+", css_color)[:3])
    return (red + green + blue) / 3
