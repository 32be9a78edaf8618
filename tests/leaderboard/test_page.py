"""/leaderboard without a browser: the whole page, htmx partials, infinite-scroll rows, find me, errors."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from tests.factories import make_user, sign_in
from tests.leaderboard.helpers import rollup

TODAY = datetime.now(timezone.utc).date()
HTMX = {"HX-Request": "true"}


def rows(html: str) -> int:
    return len(re.findall(r'<tr id="[^"]+" class="leaderboard-row', html))


@pytest.fixture
def crowd(app):
    """60 public users, user-00 first; a private one who is never shown."""
    users = [make_user(f"user-{n:02d}", region="EU" if n % 2 else "NA", timezone="Europe/Paris") for n in range(60)]
    for n, user in enumerate(users):
        rollup(user, TODAY, input_tokens=(100 - n) * 1000, cache_read_tokens=2_000_000 if n < 3 else 0)
    rollup(make_user("hidden-one", is_public=False), TODAY, input_tokens=10**9)
    return users


def test_the_page_lists_ranks_with_avatar_level_score_and_trend(client, crowd):
    html = client.get("/leaderboard").get_data(as_text=True)
    assert '<a href="/leaderboard" aria-current="page">Leaderboard</a>' in html, "in the main navigation"
    assert rows(html) == 50 and "hidden-one" not in html
    assert re.search(r'id="rank-1".*?avatar avatar--sm.*?user-00.*?Lv 1.*?2\.1M tokens.*?New on this board', html, re.S)
    assert 'hx-trigger="revealed"' in html and "cursor=51" in html
    assert "All time" in html and "yours: UTC" in html


def test_the_window_and_zone_are_said(client, crowd):
    sign_in(client, crowd[5])
    html = client.get("/leaderboard?period=week").get_data(as_text=True)
    assert "This ISO week (Monday to today), in each person&#39;s own time zone" in html
    assert "yours (Europe/Paris) run from" in html


def test_controls_swap_the_board_and_push_the_address(client, crowd):
    response = client.get("/leaderboard?type=efficient&period=month&filter=region%3AEU", headers=HTMX)
    assert response.headers["HX-Push-Url"] == "/leaderboard?type=efficient&period=month&region=EU"
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<form") and 'hx-swap-oob="true"' in html and "<html" not in html
    assert 'id="board-type-efficient" name="type" value="efficient" checked' in html
    assert '<option value="region:EU" selected>' in html
    assert "user-01" in html and "user-00" not in html  # EU only, and user-00 is NA
    assert "92%" not in html and "cache hits" in html


def test_the_viewer_is_highlighted_and_find_me_jumps_to_their_rank(client, crowd):
    sign_in(client, crowd[54])
    html = client.get("/leaderboard").get_data(as_text=True)
    assert "You are <strong class=\"num\">#55</strong>" in html
    find_me = re.search(r'<a id="find-me" href="([^"]+)"', html).group(1)
    assert find_me == "/leaderboard?cursor=52#me"
    jumped = client.get(find_me.split("#")[0]).get_data(as_text=True)
    assert re.search(r'<tr id="me" class="leaderboard-row leaderboard-row--me" aria-current="true">\s*'
                     r'<td class="leaderboard-row__rank num">#55</td>', jumped)
    assert "#52" in jumped and "#51" not in jumped and "Back to the top" in jumped


def test_more_rows_load_from_the_sentinel(client, crowd):
    html = client.get("/leaderboard/rows?cursor=51&limit=5").get_data(as_text=True)
    assert rows(html) == 5 and "#51" in html and "#55" in html
    assert 'hx-get="/leaderboard/rows?cursor=56"' in html and "<html" not in html
    last = client.get("/leaderboard/rows?cursor=56").get_data(as_text=True)
    assert rows(last) == 5 and "revealed" not in last


def test_friends_asks_to_sign_in(client, crowd):
    html = client.get("/leaderboard?type=friends").get_data(as_text=True)
    assert "Sign in to see it" in html
    assert client.get("/leaderboard/rows?type=friends").status_code == 401


def test_bad_parameters_are_a_400_page(client, crowd):
    response = client.get("/leaderboard?type=best")
    assert response.status_code == 400 and "type must be one of: global" in response.get_data(as_text=True)
