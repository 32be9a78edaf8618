"""GET /api/badge/<username> and /api/badge/demo through the Flask test client on a real database."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pytest
from freezegun import freeze_time

from burntop.badges.render import STYLES, THEMES, VARIANTS
from tests.factories import auth, make_token, make_user, record, sign_in

NOW = "2026-03-11T15:00:00Z"  # 07:00 on the 11th in Los Angeles
SVG = "{http://www.w3.org/2000/svg}"
HEIGHTS = {"flat": 20, "flat-square": 20, "plastic": 18, "for-the-badge": 28}
CARDS = {"detailed": (400, 100), "heatmap": (600, 100)}


@pytest.fixture
def frozen():
    with freeze_time(NOW):
        yield


def sync(client, user, *records) -> None:
    token = make_token(user, f"t{datetime.now().timestamp()}")
    response = client.post("/api/sync", json={"records": list(records)}, headers=auth(token))
    assert response.status_code == 200, response.get_json()


@pytest.fixture
def alice(client, frozen):
    user = make_user("alice", timezone="America/Los_Angeles")
    # 03:00 UTC on the 11th is the 10th in Los Angeles.
    sync(client, user, record(at=datetime(2026, 3, 11, 3, tzinfo=timezone.utc), inputTokens=1000, outputTokens=500))
    return user


def svg_of(response) -> ET.Element:
    assert response.mimetype == "image/svg+xml"
    return ET.fromstring(response.get_data(as_text=True))


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_style_and_theme_is_a_labelled_svg(client, alice, variant):
    for style in STYLES:
        for theme in THEMES:
            response = client.get(f"/api/badge/alice?variant={variant}&style={style}&theme={theme}")
            assert response.status_code == 200
            root = svg_of(response)
            assert root.tag == f"{SVG}svg" and root.get("role") == "img"
            assert root.find(f"{SVG}title").text == root.get("aria-label") and root.get("aria-label")
            width, height = int(float(root.get("width"))), int(root.get("height"))
            if variant in CARDS:
                assert (width, height) == CARDS[variant]
            else:
                assert height == HEIGHTS[style] and 60 < width < 400


def test_the_figures_shown_are_the_users(client, alice):
    texts = lambda variant: [t.text for t in svg_of(client.get(f"/api/badge/alice?variant={variant}")).iter(f"{SVG}text")]
    assert "1.5K tokens" in texts("compact")
    assert "1.5K tokens · 1 day streak · level 1" in texts("standard")
    assert "1 day" in texts("streak")
    detailed = texts("detailed")
    assert "@alice on burntop" in detailed and "1.5K" in detailed
    assert any("America/Los_Angeles" in t and "API-equivalent" in t for t in detailed)


def test_heatmap_days_are_the_users_local_days(client, alice):
    root = svg_of(client.get("/api/badge/alice?variant=heatmap&theme=light"))
    cells = list(root.iter(f"{SVG}g"))[-1].findall(f"{SVG}rect")
    assert len(cells) == 52 * 7 - (6 - 2)  # Wednesday 11 March 2026 is the last day drawn
    assert cells[-1].get("fill-opacity") is None  # the 11th, local: nothing yet
    assert cells[-2].get("fill-opacity") == "1" and cells[-2].get("fill") == "#ff6b00"  # the 10th, local


def test_demo_shows_sample_figures_and_says_so(client):
    response = client.get("/api/badge/demo?variant=detailed")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    root = svg_of(response)
    assert "sample data" in root.get("aria-label")
    assert svg_of(client.get("/api/badge/demo?variant=compact")).get("aria-label").startswith("burntop demo: ")


@pytest.mark.parametrize("color, fill", [("0a3d62", "#0a3d62"), ("FE7", "#fe7")])
def test_custom_colour(client, alice, color, fill):
    root = svg_of(client.get(f"/api/badge/alice?variant=compact&color={color}"))
    assert fill in [rect.get("fill") for rect in root.iter(f"{SVG}rect")]


@pytest.mark.parametrize("query", ["color=ff6b0", "color=%23ff6b00", "color=red", "color=ff6b00%22", "color=",
                                   "color=ffff", "variant=huge", "style=social", "theme=blue"])
def test_bad_parameters_are_400(client, alice, query):
    response = client.get(f"/api/badge/alice?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"]
    assert client.get(f"/api/badge/demo?{query}").status_code == 400


@pytest.mark.parametrize("name", ["nobody", "%3Cscript%3Ealert(1)%3C", "a%22b"])
def test_an_unknown_user_gets_a_404_badge_that_does_not_echo_the_name(client, name):
    response = client.get(f"/api/badge/{name}?style=for-the-badge")
    assert response.status_code == 404
    root = svg_of(response)
    assert root.get("aria-label") == "BURNTOP: USER NOT FOUND"
    assert "script" not in response.get_data(as_text=True) and response.headers["ETag"]


def test_a_private_user_gets_a_404_badge_even_when_signed_in_as_themself(client, alice):
    assert client.patch("/api/users/me", json={"isPublic": False}, headers=auth(make_token(alice))).status_code == 200
    sign_in(client, alice)
    response = client.get("/api/badge/alice?variant=detailed")
    assert response.status_code == 404
    assert svg_of(response).get("aria-label") == "burntop: private profile"
    assert "1.5K" not in response.get_data(as_text=True)


def test_headers_etag_and_304(client, alice):
    first = client.get("/api/badge/alice")
    assert first.headers["Cache-Control"] == "public, max-age=900"
    assert first.headers["Content-Type"].startswith("image/svg+xml")
    assert first.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = client.get("/api/badge/alice", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    assert client.get("/api/badge/alice", headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get("/api/badge/alice", headers={"If-None-Match": '"other"'}).status_code == 200
    others = {client.get(f"/api/badge/alice?{q}").headers["ETag"] for q in
              ("variant=compact", "style=plastic", "theme=light", "color=123456", "variant=standard&style=flat")}
    assert len(others) == 5 and etag in others  # the last one is the default: same badge, same tag


@pytest.mark.parametrize("memo_seconds", [0, 60])
def test_a_sync_changes_the_badge_at_once(app, client, alice, memo_seconds):
    app.extensions["burntop_badge_edge"].seconds = memo_seconds
    before = client.get("/api/badge/alice?variant=compact")
    assert before.status_code == 200
    assert client.get("/api/badge/alice?variant=compact", headers={"If-None-Match": before.headers["ETag"]}).status_code == 304
    sync(client, alice, record(at=datetime(2026, 3, 11, 14, tzinfo=timezone.utc), inputTokens=1_000_000))
    after = client.get("/api/badge/alice?variant=compact", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert "1M tokens" in after.get_data(as_text=True)


def test_the_same_data_keeps_its_etag_across_requests_and_processes(app, client, alice):
    first = client.get("/api/badge/alice?variant=heatmap").headers["ETag"]
    app.extensions["burntop_badge_edge"].entries.clear()
    app.extensions["burntop_badges_rendered"].clear()
    assert client.get("/api/badge/alice?variant=heatmap").headers["ETag"] == first


def test_going_private_drops_the_replayed_badge(client, alice):
    assert client.get("/api/badge/alice").status_code == 200
    assert client.patch("/api/users/me", json={"isPublic": False}, headers=auth(make_token(alice))).status_code == 200
    assert client.get("/api/badge/alice").status_code == 404


def test_the_replay_answers_like_flask(app, client, alice):
    """A revalidation first (Flask's 304 is kept), then replays: the 304 and the full badge, same headers."""
    etag = client.get("/api/badge/alice?variant=level").headers["ETag"]
    app.extensions["burntop_badge_edge"].entries.clear()
    from_flask = client.get("/api/badge/alice?variant=level", headers={"If-None-Match": etag})
    assert from_flask.status_code == 304
    assert app.extensions["burntop_badge_edge"].entries  # kept
    replayed_304 = client.get("/api/badge/alice?variant=level", headers={"If-None-Match": etag})
    replayed = client.get("/api/badge/alice?variant=level")
    assert replayed_304.status_code == 304 and replayed_304.get_data() == b""
    for name in ("ETag", "Cache-Control"):
        assert replayed_304.headers[name] == from_flask.headers[name]
    assert "Content-Type" not in replayed_304.headers
    assert replayed.status_code == 200 and replayed.headers["ETag"] == etag
    assert replayed.headers["Content-Length"] == str(len(replayed.get_data()))
    assert replayed.headers["Content-Type"].startswith("image/svg+xml")
    assert svg_of(replayed).get("aria-label") == "burntop level: 1 · Prompt Rookie"
    assert client.get("/api/badge/nobody").status_code == 404
    assert client.get("/api/badge/nobody").status_code == 404  # replayed with its status
