"""A new account starts in the browser's time zone, read by burntop.js from Intl, and is confirmed in settings."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from burntop.extensions import db
from burntop.models import User
from tests.browser.test_sign_in import ask_for_code, mail_log  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def test_signing_up_in_sao_paulo_starts_the_account_there(browser, watch, live_server, mail_log):  # noqa: F811
    context = browser.new_context(viewport={"width": 375, "height": 740}, timezone_id="America/Sao_Paulo")
    page = watch(context)
    page.goto(live_server + "/login")
    assert page.locator("input[name=timezone]").input_value() == "America/Sao_Paulo"
    ask_for_code(page, "lina@example.com")
    assert page.locator("input[name=timezone]").input_value() == "America/Sao_Paulo", "the code step too"
    page.get_by_label("Six-digit code").fill(mail_log.code_for("lina@example.com"))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server + "/")
    db.session.expire_all()
    assert db.session.scalar(select(User.timezone).where(User.username == "lina")) == "America/Sao_Paulo"

    notice = page.locator("#timezone-notice")
    expect(notice).to_contain_text("Your time zone is America/Sao Paulo, taken from this browser")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path="/tmp/burntop-timezone-notice.png", caret="initial")
    notice.get_by_role("link", name="Confirm or change it").click()
    page.wait_for_url("**/settings/time-zone")
    assert page.get_by_label("Time zone").input_value() == "America/Sao_Paulo"
    page.get_by_role("button", name="Save").click()
    page.get_by_role("status").filter(has_text="Time zone and region saved.").wait_for()
    expect(notice).to_have_count(0)
    page.goto(live_server + "/achievements")
    expect(notice).to_have_count(0)
    context.close()
