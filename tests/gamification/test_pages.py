"""Achievement pages through the front door: the catalog and its filters, the pinned showcase, the header XP bar."""
from __future__ import annotations

import re

import pytest
from flask import render_template, render_template_string
from sqlalchemy import func, select

from burntop.extensions import db
from burntop.gamification import catalog
from burntop.gamification.showcase import pinned_achievements, set_pinned
from burntop.models import AchievementUnlock, User
from tests.factories import auth, make_token, make_user, record, sign_in

HTMX = {"HX-Request": "true"}
CARD = re.compile(r'<li class="achievement achievement--[a-z]+[^"]*" id="achievement-([a-z0-9-]+)"')



def cards(html: str) -> list[str]:
    return CARD.findall(html)


def card(html: str, achievement_id: str) -> str:
    """The <li> of one catalog card."""
    at = html.index(f'id="achievement-{achievement_id}"')
    start = html.rindex("<li", 0, at)
    return html[start:html.index("</li>", at)]


def csrf(client) -> str:
    page = client.get("/achievements/showcase").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def pin(client, achievement_id: str, pinned: bool = True, htmx: bool = True, token: str | None = None):
    data = {"pinned": "true" if pinned else "false", "csrf_token": token or csrf(client)}
    return client.post(f"/achievements/{achievement_id}/pin", data=data, headers=HTMX if htmx else {})


@pytest.fixture
def player(client):
    """A signed-in user whose synced usage (four days, with caching) unlocked several achievements."""
    user = make_user("player", timezone="Europe/Berlin")
    batch = [record(f"r{i}", cacheReadTokens=300_000, cacheCreationTokens=40_000, at=f"2025-06-0{1 + i}T12:00:00Z")
             for i in range(4)]
    body = client.post("/api/sync", json={"records": batch}, headers=auth(make_token(user))).get_json()
    assert len(body["achievements"]) >= 8
    sign_in(client, user)
    return user, body["achievements"]


def test_catalog_for_everyone_with_counts(client):
    page = client.get("/achievements")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<title>Achievements · burntop</title>" in html
    assert cards(html) == [a.id for a in catalog.ACHIEVEMENTS]
    for name, count in {**catalog.by_category(), **catalog.by_rarity()}.items():
        assert re.search(rf'value="{name}"[^>]*>\s*<span>{name.capitalize()} <span class="filter-chip__count num">'
                         rf'{count}</span>', html), name
    first = card(html, "token-millionaire")
    assert all(s in first for s in ('<use href="/static/img/achievements.svg#token-millionaire"/>', "Token Millionaire", "Used 1,000,000 tokens", "rarity--legendary",
                                    "Legendary", "Usage", "+500 XP"))
    assert 'role="progressbar"' not in html and "Unlocked" not in html and 'id="xp-bar"' not in html
    assert "Sign in and sync your usage" in html


@pytest.mark.parametrize("query, expected", [
    ("category=streaks", catalog.select("streaks")),
    ("rarity=legendary", catalog.select(rarity="legendary")),
    ("category=usage&rarity=rare", catalog.select("usage", "rare")),
    ("category=nonsense&rarity=", catalog.ACHIEVEMENTS),  # an unknown value is no filter
])
def test_filters_by_category_and_rarity(client, query, expected):
    html = client.get(f"/achievements?{query}").get_data(as_text=True)
    assert cards(html) == [a.id for a in expected]
    for name, value in (part.split("=") for part in query.split("&")):
        if value in catalog.CATEGORIES + catalog.RARITIES:
            assert re.search(rf'name="{name}" value="{value}" checked', html)


def test_a_filter_with_no_match_says_so(client):
    html = client.get("/achievements?category=onboarding&rarity=legendary").get_data(as_text=True)
    assert cards(html) == [] and "No legendary achievements in Onboarding." in html


def test_htmx_gets_the_grid_partial_and_a_clean_url(client):
    page = client.get("/achievements?category=social&rarity=", headers=HTMX)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" not in html and "site-header" not in html
    assert html.lstrip().startswith('<section id="achievement-grid"')
    assert cards(html) == [a.id for a in catalog.select("social")]
    assert '<form id="achievement-filters"' in html and 'hx-swap-oob="true"' in html
    assert 'name="category" value="social" checked' in html, "the filters come back matching the URL"
    assert '<p id="achievement-status" hx-swap-oob="innerHTML">8 achievements shown.</p>' in html
    assert page.headers["HX-Push-Url"] == "/achievements?category=social"
    assert "HX-Request" in page.headers["Vary"]


@pytest.mark.parametrize("headers", [{"HX-Request": "true", "HX-Boosted": "true"},
                                     {"HX-Request": "true", "HX-History-Restore-Request": "true"}, {}])
def test_navigation_and_history_restore_get_the_whole_page(client, headers):
    page = client.get("/achievements?rarity=epic", headers=headers)
    html = page.get_data(as_text=True)
    assert "<html" in html and 'hx-swap-oob' not in html and "HX-Push-Url" not in page.headers
    assert cards(html) == [a.id for a in catalog.select(rarity="epic")]
    assert 'hx-get="/achievements"' in html and 'hx-push-url="true"' in html and 'method="get"' in html


def test_signed_in_catalog_marks_unlocks_and_shows_progress(client, player):
    user, unlocked = player
    html = client.get("/achievements").get_data(as_text=True)
    assert f'<span class="num">{len(unlocked)}</span> <span class="achievements-summary__of">of 68 unlocked' in html
    first = card(html, "first-sync")
    assert "is-unlocked" in first and re.search(r'Unlocked <time datetime="[^"]+Z">\d{1,2} \w{3} \d{4}</time>', first)
    assert 'role="progressbar"' not in first
    big = card(html, "tokens-10m")
    assert "is-locked" in big and "1.4M / 10M tokens" in big and "13%" in big
    assert 'aria-label="Progress toward Ten Million: 1.4M / 10M tokens"' in big
    assert 'max="10000000" value="1366000"' in big
    # the header's pill and menu, the summary, each locked one
    assert html.count('<progress ') == 2 + 1 + (68 - len(unlocked))
    assert re.search(r"\$\d+(\.\d+)? / \$100 spent", card(html, "spend-100"))
    assert "Not yet: public API on" in card(html, "open-book")


def test_the_header_shows_level_title_and_xp_to_next_level(client):
    user = make_user("adept")
    user.xp_centi = 245_000
    db.session.commit()
    sign_in(client, user)
    html = client.get("/achievements").get_data(as_text=True)
    bar = html[html.index('<a id="xp-bar"'):]
    bar = bar[:bar.index("</a>")]
    assert 'href="/achievements/showcase"' in bar
    assert '<span class="num">12</span>' in bar and "AI Adept" in bar
    assert 'aria-label="2,450 of 2,950 XP to level 13"' in bar and "2,450 XP" in bar
    menu = html[html.index('id="menu-level"'):]
    assert "2,450 / 2,950 XP" in menu and '<span class="num">500</span> to level 13' in menu
    assert "css/gamification.css" in html[:html.index("</head>")]
    assert 'id="xp-bar"' in client.get("/settings/profile").get_data(as_text=True), "on every page"


def test_level_info_is_only_computed_for_a_signed_in_request(app, client):
    assert render_template_string("{{ level_info is defined }}") == "False"  # a worker: no request
    with app.test_request_context("/"):
        assert render_template_string("{{ level_info is defined }}") == "False"


@pytest.mark.parametrize("method, path", [("get", "/achievements/showcase"), ("post", "/achievements/first-sync/pin")])
def test_the_showcase_needs_a_signed_in_user(client, method, path):
    token = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/achievements").get_data(as_text=True)).group(1)
    response = getattr(client, method)(path, headers={"X-CSRFToken": token})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_showcase_page_lists_unlocked_achievements_with_pin_buttons(client, player):
    user, unlocked = player
    html = client.get("/achievements/showcase").get_data(as_text=True)
    assert "<title>Your showcase · Achievements · burntop</title>" in html
    assert '<section id="pinned-showcase"' in html and "Nothing pinned yet" in html
    assert '<span class="num">0</span> of 6 pinned' in html
    assert re.findall(r'id="pin-item-([a-z0-9-]+)"', html) == [a.id for a in catalog.ACHIEVEMENTS
                                                                if a.id in unlocked]
    assert 'Pin<span class="visually-hidden"> First Sync</span>' in html
    assert 'id="pin-status" class="pin-status" role="status"' in html


def test_pin_and_unpin_with_htmx(client, player):
    user, _ = player
    token = csrf(client)
    response = pin(client, "first-sync", token=token)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<section id="unlocked-achievements"')
    assert 'Unpin<span class="visually-hidden"> First Sync</span>' in html
    showcase = html[html.index('<section id="pinned-showcase"'):]
    assert showcase.startswith('<section id="pinned-showcase" class="showcase showcase--editable" '
                               'aria-labelledby="pinned-showcase-title" hx-swap-oob="true">')
    assert 'data-achievement="first-sync"' in showcase and '<span class="num">1</span> of 6 pinned' in showcase
    assert 'id="xp-bar" class="xp-bar"' in html and 'id="pin-status" hx-swap-oob="innerHTML"' in html
    assert "Pinned First Sync to your showcase." in html
    assert "Achievement unlocked: Show-Off (+10 XP)" in html, "pinning earns Show-Off, shown at once"
    assert 'id="pin-item-show-off"' in html
    assert [p["id"] for p in pinned_achievements(user.id)] == ["first-sync"]

    html = pin(client, "first-sync", pinned=False, token=token).get_data(as_text=True)
    assert 'Pin<span class="visually-hidden"> First Sync</span>' in html and "Unpinned First Sync." in html
    assert 'data-achievement="first-sync"' not in html and "Nothing pinned yet" in html
    assert pinned_achievements(user.id) == []


def test_without_htmx_a_pin_redirects_to_the_showcase(client, player):
    user, _ = player
    response = pin(client, "streak-3", htmx=False)
    assert response.status_code == 303 and response.headers["Location"] == "/achievements/showcase"
    html = client.get("/achievements/showcase").get_data(as_text=True)
    assert 'role="status"' in html and "Pinned Hat Trick to your showcase." in html
    assert "Achievement unlocked: Show-Off (+10 XP)" in html
    assert 'data-achievement="streak-3"' in html


def test_a_seventh_pin_is_refused_inline(client, player):
    user, unlocked = player
    for achievement_id in unlocked[:6]:
        set_pinned(user.id, achievement_id, True)
    seventh = unlocked[6]
    html = pin(client, seventh).get_data(as_text=True)
    error = re.search(rf'<p class="field__error pin-item__error" role="alert" id="pin-error-{seventh}">.*?</p>', html,
                      re.S)
    assert error and "At most 6 achievements can be pinned; unpin one first." in error.group(0)
    assert html.count('role="alert"') == 1
    assert '<span class="num">6</span> of 6 pinned' in html and "Free slot" not in html
    assert [p["id"] for p in pinned_achievements(user.id)] == unlocked[:6]

    response = pin(client, seventh, htmx=False)
    assert response.status_code == 303
    page = client.get("/achievements/showcase").get_data(as_text=True)
    assert re.search(r'role="alert">\s*<svg[^>]*>.*?</svg><span>At most 6 achievements', page, re.S)


def test_locked_and_unknown_achievements_cannot_be_pinned(client, player):
    html = pin(client, "streak-365").get_data(as_text=True)
    assert "Only unlocked achievements can be pinned." in html and 'role="alert"' in html
    assert pin(client, "no-such-thing").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(AchievementUnlock)
                             .where(AchievementUnlock.pinned.is_(True))) == 0


def test_pinning_needs_the_csrf_token(client, player):
    response = client.post("/achievements/first-sync/pin", data={"pinned": "true"}, headers=HTMX)
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert pinned_achievements(player[0].id) == []


def test_the_showcase_partial_stands_alone_for_a_profile(app, player):
    user, unlocked = player
    set_pinned(user.id, "first-sync", True)
    set_pinned(user.id, unlocked[1], True)
    stored = db.session.get(User, user.id)
    with app.test_request_context("/someone"):
        html = render_template("achievements/_showcase.html", pinned=pinned_achievements(user.id),
                               tz=stored.timezone)
    assert html.lstrip().startswith('<section id="pinned-showcase" class="showcase"')
    assert re.findall(r'data-achievement="([a-z0-9-]+)"', html) == ["first-sync", unlocked[1]]
    assert "of 6 pinned" not in html and "Free slot" not in html and "hx-swap-oob" not in html
    with app.test_request_context("/someone"):
        assert "No pinned achievements yet." in render_template("achievements/_showcase.html", pinned=[])


def test_progress_nouns_agree_with_their_target(client):
    sign_in(client, make_user("newcomer"))
    html = client.get("/achievements").get_data(as_text=True)
    assert "0 / 1 follower<" in card(html, "first-follower") and "0 / 10 followers<" in card(html, "followers-10")
    assert "0 / 1 response<" in card(html, "first-sync") and "0 / 1 coding session<" in card(html, "first-session")
    assert "0 / 1 person followed<" in card(html, "first-follow")
    assert "0 / 10 people followed<" in card(html, "following-10")
    assert "Not yet: public API on<" in card(html, "open-book")
    assert catalog.BY_ID["first-referral"].condition == "1 referral"
    assert catalog.BY_ID["referrals-5"].condition == "5 referrals"
