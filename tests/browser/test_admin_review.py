"""The plausibility review end to end in headless Chromium: a forged sync, the owner's notice, an admin
confirming then clearing the day, and the day back on the public API."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from burntop.accounts.profile import set_public_api
from burntop.extensions import db
from burntop.models.types import utcnow
from tests.factories import auth, browser_sign_in, make_token, make_user, record

pytestmark = pytest.mark.browser


def public_tokens(page, server, user) -> int:
    page.goto(f"{server}/api/v1/public/{user.public_api_id}?period=7d")
    return json.loads(page.locator("body").inner_text())["stats"]["total_tokens"]


def test_admin_confirms_then_clears_a_flagged_day(browser, client, live_server, watch):
    mallory = make_user("mallory", name="Mallory")
    set_public_api(mallory, True)
    db.session.commit()
    admin = make_user("root-admin", is_admin=True)
    when = utcnow() - timedelta(minutes=5)
    forged = record("forged-1", at=when, inputTokens=5_000_000, outputTokens=10, machineId="laptop-7")
    response = client.post("/api/sync", json={"records": [forged]}, headers=auth(make_token(mallory)))
    assert response.status_code == 200 and response.get_json()["recordsAdded"] == 1
    day = when.date().isoformat()  # mallory's zone is UTC

    owner_page = watch(browser.new_context())
    browser_sign_in(owner_page.context, client, mallory, live_server)
    owner_page.goto(live_server + "/settings/privacy")
    notice = owner_page.locator("#days-under-review")
    expect(notice).to_contain_text("1 day is under review")
    expect(notice).to_contain_text(day)
    expect(notice).to_contain_text("above the model's context window")
    assert public_tokens(owner_page, live_server, mallory) == 0

    page = watch(browser.new_context())
    browser_sign_in(page.context, client, admin, live_server)
    page.goto(live_server + "/admin/review")
    section = page.get_by_role("region", name=f"mallory · {day}")
    expect(section).to_contain_text("5M tokens in one response; the bound is 1M (5x)")
    expect(section).to_contain_text("laptop-7")
    expect(section).to_contain_text("forged-1")
    section.get_by_role("button", name="Confirm: implausible, keep off").click()
    expect(page.get_by_role("status")).to_contain_text(f"{day} confirmed")
    expect(page.locator("#review-empty")).to_have_text("No pending days.")
    assert public_tokens(owner_page, live_server, mallory) == 0

    page.get_by_role("link", name="Confirmed").click()
    section = page.get_by_role("region", name=f"mallory · {day}")
    section.get_by_role("button", name="Clear: honest, show publicly").click()
    expect(page.get_by_role("status")).to_contain_text(f"{day} cleared")
    page.get_by_role("link", name="Cleared").click()
    expect(page.get_by_role("region", name=f"mallory · {day}")).to_be_visible()

    assert public_tokens(owner_page, live_server, mallory) == 5_000_010
    owner_page.goto(live_server + "/settings/privacy")
    expect(owner_page.locator("#days-under-review")).to_have_count(0)
