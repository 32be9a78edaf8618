"""Icons are SVG that burntop serves itself: no page depends on a colour emoji font."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from burntop.client.sources import all_sources
from burntop.gamification import catalog
from tests.factories import auth, make_token, make_user, record, sign_in

STATIC = Path(__file__).resolve().parents[1] / "static" / "img"
SVG = "{http://www.w3.org/2000/svg}"
# Pictographs, dingbats, symbols and the variation selector that turns text into emoji.
EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D]")


def symbols(sprite: str) -> dict[str, str]:
    """{symbol id: its <title>} of a sprite in static/img."""
    root = ET.parse(STATIC / sprite).getroot()
    return {s.get("id"): s.findtext(f"{SVG}title") for s in root.iter(f"{SVG}symbol")}


def test_every_achievement_has_its_own_titled_icon():
    icons = symbols("achievements.svg")
    assert len(icons) == 68
    assert icons == {a.id: a.name for a in catalog.ACHIEVEMENTS}
    assert icons["first-sync"] == "First Sync" and icons["streak-7"] == "Week Warrior"


def test_every_tool_has_a_mark():
    marks = symbols("tools.svg")
    assert marks == {source.name: source.label for source in all_sources()}
    assert marks["claude-code"] == "Claude Code" and marks["codex"] == "Codex CLI"


def test_the_api_keeps_the_emoji_icon_field(client):
    body = client.get("/api/achievements").get_json()
    icons = {a["id"]: a["icon"] for a in body["achievements"]}
    assert icons["first-sync"] == "🎯" and icons["streak-7"] == "🔥"


@pytest.fixture
def player(client):
    user = make_user("player")
    batch = [record(f"r{i}", cacheReadTokens=300_000, at=f"2025-06-0{1 + i}T12:00:00Z") for i in range(4)]
    client.post("/api/sync", json={"records": batch}, headers=auth(make_token(user)))
    sign_in(client, user)
    return user


@pytest.mark.parametrize("path", ["/", "/achievements", "/achievements/showcase", "/settings/profile",
                                  "/settings/keys", "/device", "/login", "/nowhere"])
def test_no_page_shows_an_emoji(client, player, path):
    html = client.get(path).get_data(as_text=True)
    assert EMOJI.findall(html) == [], path


def test_pages_draw_achievements_and_tools_from_the_sprites(client, player):
    catalog_page = client.get("/achievements").get_data(as_text=True)
    assert '<use href="/static/img/achievements.svg#first-sync"/>' in catalog_page
    assert catalog_page.count("/static/img/achievements.svg#") == 68
    showcase = client.get("/achievements/showcase").get_data(as_text=True)
    assert '<use href="/static/img/achievements.svg#first-sync"/>' in showcase
    landing = client.get("/").get_data(as_text=True)
    for mark in ("claude-code", "codex", "cline", "continue", "cursor"):  # the five that all showed "C"
        assert f'<use href="/static/img/tools.svg#{mark}"/>' in landing


def test_an_unlock_announced_after_a_pin_has_no_emoji(client, player):
    page = client.get("/achievements/showcase").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    after = client.post("/achievements/first-sync/pin", data={"pinned": "true", "csrf_token": token},
                        follow_redirects=True).get_data(as_text=True)
    assert "Achievement unlocked: Show-Off (+10 XP)" in after
    assert EMOJI.findall(after) == []
    partial = client.post("/achievements/first-sync/pin", data={"pinned": "false", "csrf_token": token},
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Unpinned First Sync." in partial and EMOJI.findall(partial) == []
