"""Settings → Computers in headless Chromium: rename a computer in place (htmx), then forget its name."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from burntop.extensions import db
from burntop.models import Machine
from tests.factories import auth, browser_sign_in, make_token, make_user, record

pytestmark = pytest.mark.browser

LAPTOP = "0123456789abcdef0123456789ab1a1a"


def stored_name() -> str | None:
    db.session.expire_all()
    return db.session.scalar(select(Machine.name).where(Machine.machine_id == LAPTOP))


@pytest.mark.parametrize("viewport, scheme", [((1280, 900), "light"), ((375, 740), "dark")])
def test_rename_a_computer_then_forget_its_name(browser, watch, client, live_server, viewport, scheme):
    alice = make_user("alice", name="Alice")
    client.post("/api/sync", headers=auth(make_token(alice)), json={"records": [
        record("a", machineId=LAPTOP), record("b", at="2025-06-02T09:00:00Z")]})
    context = browser.new_context(viewport=dict(zip(("width", "height"), viewport)), color_scheme=scheme)
    page = watch(context)
    browser_sign_in(context, client, alice, live_server)
    page.goto(live_server + "/settings/computers")
    assert page.title() == "Computers · Settings · burntop"
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0], "no sideways scrolling"
    page.evaluate("document.body.dataset.loadMarker = 'same-page'")

    row = page.locator("li.computer", has_text="Computer 1 (…1a1a)")
    row.get_by_label("Name for Computer 1 (…1a1a)").fill("  Work <b>laptop</b> ")
    row.get_by_role("button", name="Save name for Computer 1 (…1a1a)").click()
    page.get_by_role("status").filter(has_text="Named it “Work <b>laptop</b>”.").wait_for()
    named = page.locator("li.computer", has_text="Work <b>laptop</b>")
    expect(named.locator(".computer__label")).to_have_text("Work <b>laptop</b>")  # shown as text, not markup
    assert page.locator("li.computer b").count() == 0
    assert named.get_by_role("textbox").input_value() == "Work <b>laptop</b>"
    assert page.evaluate("document.body.dataset.loadMarker") == "same-page", "htmx swapped the list, no reload"
    assert stored_name() == "Work <b>laptop</b>"
    page.screenshot(path=f"/tmp/burntop-computers-{scheme}.png", full_page=True, caret="initial")

    named.get_by_role("button", name="Forget name").click()
    page.get_by_role("status").filter(has_text="Name forgotten").wait_for()
    expect(page.locator("li.computer .computer__label").first).to_have_text("Computer 1 (…1a1a)")
    assert stored_name() is None
    context.close()
