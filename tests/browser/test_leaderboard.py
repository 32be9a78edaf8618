"""The leaderboard as a person uses it, in headless Chromium: type, period and filter change the table
without a page load, the address follows, more rows load on scroll, and "find me" jumps to your rank."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from tests.factories import browser_sign_in, make_user
from tests.leaderboard.helpers import rollup

pytestmark = pytest.mark.browser
SHOTS = "/tmp/burntop-leaderboard"


@pytest.fixture
def crowd(client):
    today = datetime.now(timezone.utc).date()
    users = [make_user(f"racer-{n:02d}", region="EU" if n % 2 else "NA") for n in range(70)]
    for n, user in enumerate(users):
        rollup(user, today, input_tokens=(100 - n) * 100_000, cache_read_tokens=(n + 1) * 50_000)
    return users


def test_change_board_period_and_filter_without_a_reload_then_find_me(page, client, crowd, live_server):
    me = crowd[64]
    browser_sign_in(page.context, client, me, live_server)
    page.goto(live_server + "/leaderboard")
    page.evaluate("document.body.dataset.loadMarker = 'same-page'")
    rows = page.locator("#board-rows tr.leaderboard-row")
    expect(rows).to_have_count(50)
    expect(page.locator("#rank-1")).to_contain_text("racer-00")

    page.locator("label", has_text="Cache efficiency").click()
    expect(page).to_have_url(re.compile(r"/leaderboard\?type=efficient$"))
    expect(page.locator("#board-window")).to_contain_text("All time")
    expect(page.locator("#rank-1")).to_contain_text("racer-69")  # the most cache reads for their input
    expect(page.locator("#rank-1")).to_contain_text("cache hits")

    page.locator("label", has_text="This week").click()
    expect(page).to_have_url(re.compile(r"type=efficient&period=week$"))
    expect(page.locator("#board-window")).to_contain_text("This ISO week")

    page.select_option("#board-filter", "region:EU")
    expect(page).to_have_url(re.compile(r"type=efficient&period=week&region=EU$"))
    expect(page.locator("#board-type-efficient")).to_be_checked()
    expect(rows).to_have_count(35)
    assert page.evaluate("document.body.dataset.loadMarker") == "same-page", "the page was never reloaded"
    page.screenshot(path=f"{SHOTS}-filtered.png", full_page=True, caret="initial")

    page.select_option("#board-filter", "")
    expect(page).to_have_url(re.compile(r"type=efficient&period=week$"))
    page.locator("label", has_text="Tokens").click()
    expect(page).to_have_url(re.compile(r"\?period=week$"))
    page.locator("label", has_text="All time").click()
    expect(page).to_have_url(re.compile(r"/leaderboard$"))
    expect(rows).to_have_count(50)
    rows.last.scroll_into_view_if_needed()
    expect(rows).to_have_count(70)  # the sentinel loaded the rest when it came into view

    page.locator("#find-me").click()
    mine = page.locator("#me")
    expect(mine).to_be_visible()
    expect(mine).to_contain_text("#65")
    expect(mine).to_have_class(re.compile("leaderboard-row--me"))
    expect(mine).to_be_in_viewport()
    expect(page).to_have_url(re.compile(r"cursor=62"))
    assert page.evaluate("document.body.dataset.loadMarker") == "same-page"
    page.screenshot(path=f"{SHOTS}-find-me.png", full_page=False, caret="initial")
