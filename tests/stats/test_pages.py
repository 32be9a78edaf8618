"""The profile, dashboard and compare pages over rollups written by a real sync: privacy, empty states,
htmx partials against full pages, cache headers and escaping."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time
from markupsafe import escape

from burntop.accounts.users import RESERVED_USERNAMES, USERNAME_RE
from burntop.extensions import db
from tests.factories import auth, make_token, make_user, record, sign_in

NOW = "2026-11-26T15:00:00Z"
HOSTILE_NAME = '"><script>alert(1)</script>'
HOSTILE_BIO = "</textarea><img src=x onerror=alert(2)> & 'quotes\""


def sync(client, user, records):
    response = client.post("/api/sync", json={"records": records}, headers=auth(make_token(user)))
    assert response.status_code == 200, response.get_json()
    db.session.refresh(user)


def days_ago(n: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, 26, hour, tzinfo=timezone.utc) - timedelta(days=n)


@pytest.fixture
def frozen():
    with freeze_time(NOW):
        yield


@pytest.fixture
def alice(client, frozen):
    user = make_user("alice", name="Alice Smith", bio="Full-stack developer", timezone="Europe/Paris")
    sync(client, user, [
        record(at=days_ago(0), inputTokens=1_000_000, outputTokens=200_000, cacheReadTokens=3_000_000),
        record(at=days_ago(1), inputTokens=40_000, outputTokens=9_000, model="gpt-5", source="codex"),
        record(at=days_ago(40), inputTokens=5_000, outputTokens=1_000),
    ])
    return user


@pytest.fixture
def bob(client, frozen):
    user = make_user("bob", name="Bob Jones", is_public=False)
    sync(client, user, [record(at=days_ago(2), inputTokens=777_000, outputTokens=1)])
    return user


def text_of(response) -> str:
    return response.get_data(as_text=True)


# ---------------------------------------------------------------- routes and reserved names

def test_every_first_path_segment_the_app_routes_is_a_reserved_username(app):
    segments = {rule.rule.split("/")[1] for rule in app.url_map.iter_rules()}
    routed = {s for s in segments if s and not s.startswith("<")}
    claimable = {s for s in routed if USERNAME_RE.match(s)}
    assert claimable <= RESERVED_USERNAMES, claimable - RESERVED_USERNAMES
    assert {"dashboard", "compare", "settings", "api", "login", "device", "achievements", "avatars",
            "static", "leaderboard"} <= RESERVED_USERNAMES


def test_the_profile_route_shadows_no_page(client, alice):
    assert 'class="achievements' in text_of(client.get("/achievements"))
    assert client.get("/dashboard").status_code == 302  # the login redirect, not a profile
    assert client.get("/login").status_code == 200


def test_unknown_user_gets_the_burntop_404_page(client, frozen):
    response = client.get("/nobody-here")
    assert response.status_code == 404
    assert "Nothing here" in text_of(response) and "<html" in text_of(response)
    assert client.get("/not.a.username").status_code == 404


def test_a_capitalised_username_redirects_to_the_profile(client, alice):
    response = client.get("/Alice")
    assert response.status_code == 301 and response.headers["Location"].endswith("/alice")


# ---------------------------------------------------------------- profile

def test_public_profile_shows_totals_heatmap_models_and_level(client, alice):
    response = client.get("/alice")
    page = text_of(response)
    assert response.status_code == 200
    assert "Alice Smith" in page and "@alice" in page and "Full-stack developer" in page
    assert "4.3M" in page  # 1.2M + 3M cache reads + 49K + 6K
    assert "API-equivalent estimate" in page
    assert "Time zone Europe/Paris" in page
    assert page.count('class="heat heat--') == 365 + 5  # 365 days and the scale's five shades
    assert "claude-sonnet-4-20250514" in page and "codex" in page
    assert "Member since 26 Nov 2026" in page
    assert re.search(r"Level <span class=\"num\">\d+</span>", page)
    assert 'id="pinned-showcase"' in page
    assert "burntop login" not in page  # no sync instructions for someone who has synced
    assert response.headers["Cache-Control"].startswith("public")


def test_a_signed_in_viewer_never_gets_a_shared_cache_copy(client, alice, bob):
    sign_in(client, bob)
    assert client.get("/alice").headers["Cache-Control"] == "private, no-store"


def test_private_profile_shows_only_name_and_avatar_to_others(client, alice, bob):
    for viewer in (None, alice):
        if viewer:
            sign_in(client, viewer)
        response = client.get("/bob")
        page = text_of(response)
        assert response.status_code == 200
        assert "Bob Jones" in page and "@bob" in page and "This profile is private" in page
        assert "777" not in page and "heat--" not in page and "claude-sonnet" not in page
        assert "Level" not in page.split('<main')[1]
        assert "Member since" not in page
        assert response.headers["Cache-Control"] == "private, no-store"
        assert 'content="noindex"' in page
        assert "777" not in page.split("</head>")[0]


def test_the_owner_sees_their_private_profile_in_full(client, bob):
    sign_in(client, bob)
    page = text_of(client.get("/bob"))
    assert "777K" in page and "Private profile: only you see this" in page and "Your dashboard" in page


def test_a_new_owner_sees_how_to_sync_and_a_visitor_sees_nothing_synced(client, frozen):
    make_user("newbie")
    page = text_of(client.get("/newbie"))
    assert "has not synced any usage yet" in page and "burntop login" not in page
    sign_in(client, make_user("fresh"))
    page = text_of(client.get("/fresh"))
    assert "pip install ./burntop" in page and "burntop login --api-url http://testserver" in page
    assert "burntop sync" in page


def test_open_graph_tags_describe_the_profile(client, alice):
    head = text_of(client.get("/alice")).split("</head>")[0]
    assert '<meta property="og:title" content="Alice Smith (@alice) on burntop">' in head
    assert '<meta property="og:url" content="http://testserver/alice">' in head
    assert 'name="twitter:card" content="summary"' in head
    assert re.search(r'og:description" content="Alice Smith on burntop: 4.3M tokens', head)


def test_a_hostile_name_and_bio_are_escaped_in_the_page_and_the_meta_tags(client, frozen):
    user = make_user("mallory", name=HOSTILE_NAME, bio=HOSTILE_BIO, website="javascript:alert(3)")
    sync(client, user, [record(at=days_ago(0))])
    page = text_of(client.get("/mallory"))
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "javascript:alert" not in page  # a website that is not http(s) is not linked
    head = page.split("</head>")[0]
    for tag in re.findall(r"<meta [^>]*>", head):
        assert "<script" not in tag and "><" not in tag[1:-1]
    assert f'<meta property="og:title" content="{escape(HOSTILE_NAME)} (@mallory) on burntop">' in head
    assert f"<title>{escape(HOSTILE_NAME)} (@mallory)" in head
    assert str(escape(HOSTILE_BIO)) in page


# ---------------------------------------------------------------- dashboard

def test_dashboard_needs_a_sign_in(client, frozen):
    response = client.get("/dashboard/trends?period=week")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("tab", ["overview", "trends", "models", "tools", "machines", "insights"])
@pytest.mark.parametrize("period", ["all", "month", "week"])
def test_every_tab_and_period_renders_as_page_and_as_partial(client, alice, tab, period):
    sign_in(client, alice)
    path = "/dashboard" if tab == "overview" else f"/dashboard/{tab}"
    assert client.get("/dashboard/overview").status_code == 308  # one address per tab
    full = client.get(f"{path}?period={period}")
    assert full.status_code == 200 and "<html" in text_of(full)
    assert full.headers["Cache-Control"] == "private, no-store"
    assert "HX-Request" in full.headers["Vary"]
    partial = client.get(f"{path}?period={period}", headers={"HX-Request": "true"})
    body = text_of(partial)
    assert partial.status_code == 200 and "<html" not in body and "site-header" not in body
    assert body.lstrip().startswith("<title>") and 'id="dashboard"' in body
    assert f'data-tab="{tab}"' in body and f'data-period="{period}"' in body
    assert f'id="tab-{tab}" href="{path}?period={period}" hx-get="{path}?period={period}"' in body
    assert re.search(rf'id="tab-{tab}" [^>]*aria-current="page"', body)
    assert re.search(rf'id="period-{period}" [^>]*aria-current="true"', body)
    assert "Time zone Europe/Paris" in body
    assert partial.headers["Cache-Control"] == "private, no-store"
    # a boosted navigation or a history restore wants the whole page
    for header in ("HX-Boosted", "HX-History-Restore-Request"):
        again = client.get(f"{path}?period={period}", headers={"HX-Request": "true", header: "true"})
        assert "<html" in text_of(again)


def test_overview_figures_say_their_period_and_label_cost(client, alice):
    sign_in(client, alice)
    page = text_of(client.get("/dashboard?period=week"))
    assert "This week: Mon 23 Nov – Thu 26 Nov 2026" in page
    assert "API-equivalent estimate" in page
    assert "4.2M" in page  # this week: today and yesterday, not 40 days ago
    assert 'aria-current="page">Dashboard<' in page  # the main navigation marks it


def test_trends_tab_draws_hours_weekdays_and_usage(client, alice):
    sign_in(client, alice)
    page = text_of(client.get("/dashboard/trends?period=month"))
    assert "Hour of day (Europe/Paris)" in page and "Day of week (Europe/Paris)" in page
    assert "Day (Europe/Paris)" in page
    assert page.count("<summary>Show data</summary>") == 3


def test_models_tab_lists_costs_as_estimates_and_new_models(client, alice):
    sign_in(client, alice)
    page = text_of(client.get("/dashboard/models?period=all"))
    assert "Cost (API-equivalent estimate)" in page
    assert "gpt-5" in page and "first used" in page


def test_a_new_user_dashboard_explains_how_to_sync(client, frozen):
    sign_in(client, make_user("fresh"))
    for path in ("/dashboard", "/dashboard/models?period=week"):
        page = text_of(client.get(path))
        assert "data-empty" in page
        assert "pip install ./burntop" in page and "burntop login --api-url http://testserver" in page
        assert "burntop sync" in page


def test_dashboard_bad_tab_or_period(client, alice):
    sign_in(client, alice)
    assert client.get("/dashboard/nope").status_code == 404
    response = client.get("/dashboard/trends?period=decade")
    assert response.status_code == 400 and "all, month or week" in text_of(response)


# ---------------------------------------------------------------- compare

def test_compare_two_public_profiles(client, alice, frozen):
    carol = make_user("carol", name="Carol")
    sync(client, carol, [record(at=days_ago(0), inputTokens=10, outputTokens=10)])
    response = client.get("/compare/alice/carol")
    page = text_of(response)
    assert response.status_code == 200
    assert "@alice" in page and "@carol" in page
    assert page.count('is-ahead') >= 3 and "Cost (API-equivalent estimate)" in page
    assert "claude-sonnet-4-20250514" in page
    assert response.headers["Cache-Control"].startswith("public")


def test_compare_refuses_a_private_profile_unless_the_viewer_may_see_it(client, alice, bob):
    response = client.get("/compare/alice/bob")
    assert response.status_code == 403 and "private" in text_of(response)
    assert "777" not in text_of(response)
    assert client.get("/compare/alice/nobody-here").status_code == 404
    sign_in(client, bob)
    response = client.get("/compare/alice/bob")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"


def test_machines_tab_shows_each_computer_and_that_they_add_up(client, frozen):
    user = make_user("multi", timezone="Asia/Tokyo")
    sync(client, user, [record(at=days_ago(0), machineId="a" * 28 + "3f9a", inputTokens=3000, outputTokens=0),
                        record(at=days_ago(1), machineId="b" * 28 + "77c1", inputTokens=1000, outputTokens=0)])
    sign_in(client, user)
    page = text_of(client.get("/dashboard/machines?period=week", headers={"HX-Request": "true"}))
    assert "Computer 1 (…3f9a)" in page and "Computer 2 (…77c1)" in page
    assert "2 computers synced to this account" in page and "Together they make your total of 4K tokens" in page
    assert "Tokens by computer, this week" in page and "Cost (API-equivalent estimate)" in page
    assert "a" * 28 not in page  # never the id itself
    assert "/settings/computers" in page


def test_insights_tab_without_enough_users_says_so_and_invents_no_percentile(client, frozen):
    user = make_user("alone")
    sync(client, user, [record(at=days_ago(0))])
    sign_in(client, user)
    page = text_of(client.get("/dashboard/insights?period=week"))
    assert "percentiles need at least 10" in page or "have not been computed yet" in page
    assert "Higher than" not in page


def test_insights_tab_shows_percentiles_once_computed_and_the_rules_messages(client, frozen):
    from burntop.stats import benchmarks

    peers = [make_user(f"peer-{i}") for i in range(11)]
    for i, peer in enumerate(peers):
        sync(client, peer, [record(at=days_ago(0), inputTokens=100 * (i + 1), outputTokens=0)])
    user = make_user("ranked")
    sync(client, user, [record(at=days_ago(0), inputTokens=650, outputTokens=0, cacheReadTokens=100)])
    sign_in(client, user)
    benchmarks.refresh_percentiles()
    page = text_of(client.get("/dashboard/insights?period=week"))
    assert "Compared with 12 public users active this week" in page
    assert re.search(r"Higher than \d+%", page)
    from burntop.stats.insights import insights_for

    body = insights_for(user, "week")
    assert str(escape(body["benchmark"]["message"])) in page
    for item in body["insights"] + body["recommendations"]:
        assert str(escape(item["message"])) in page
