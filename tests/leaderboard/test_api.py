"""GET /api/leaderboard through the test client: every parameter and error, the viewer's entry, friends,
who is never listed, and how syncs and profile changes reach the stored boards."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from burntop.extensions import db
from burntop.jobs import SCHEDULE, refresh_leaderboards
from burntop.leaderboard import rules
from burntop.leaderboard.snapshots import refresh_due
from burntop.models import Follow, LeaderboardBoard, LeaderboardDirty
from tests.factories import auth, make_token, make_user, record, sign_in
from tests.leaderboard.helpers import rollup

TODAY = datetime.now(timezone.utc).date()


@pytest.fixture
def five(app):
    """Five public users with 5,000 down to 1,000 tokens today; ann (5,000) in the EU on codex."""
    users = []
    for n, name in enumerate(("ann", "bea", "cal", "dan", "eve")):
        user = make_user(name, name=name.title(), region="EU" if name == "ann" else "NA")
        rollup(user, TODAY, input_tokens=(5 - n) * 1000, source="codex" if name == "ann" else "claude-code",
               model="gpt-4o" if name == "ann" else "claude-sonnet-4-20250514")
        users.append(user)
    return users


def get(client, query: str = "", **kwargs):
    return client.get(f"/api/leaderboard{query}", **kwargs)


def test_a_board_in_spec_000s_shape(client, five):
    body = get(client).get_json()
    assert [e["username"] for e in body["entries"]] == ["ann", "bea", "cal", "dan", "eve"]
    first = body["entries"][0]
    assert first == {"rank": 1, "userId": str(five[0].id), "username": "ann", "name": "Ann", "image": None,
                     "level": 1, "score": 5000, "scoreLabel": "5K tokens", "trend": "new"}
    assert body["nextCursor"] is None and body["hasMore"] is False and body["userEntry"] is None
    assert body["type"] == "global" and body["period"] == "all" and body["window"] == "All time"
    assert body["computedAt"].endswith("Z")


def test_pages_by_rank_with_a_cursor(client, five):
    body = get(client, "?limit=2").get_json()
    assert [e["rank"] for e in body["entries"]] == [1, 2] and body["nextCursor"] == 3 and body["hasMore"] is True
    body = get(client, f"?limit=2&cursor={body['nextCursor']}").get_json()
    assert [e["username"] for e in body["entries"]] == ["cal", "dan"] and body["nextCursor"] == 5
    body = get(client, "?limit=2&cursor=5").get_json()
    assert [e["rank"] for e in body["entries"]] == [5] and body["nextCursor"] is None and body["hasMore"] is False
    assert get(client, "?cursor=99").get_json()["entries"] == []


def test_the_viewer_gets_their_entry_even_outside_the_page(client, five):
    sign_in(client, five[3])
    body = get(client, "?limit=1").get_json()
    assert [e["username"] for e in body["entries"]] == ["ann"]
    assert body["userEntry"] == {"rank": 4, "score": 2000, "scoreLabel": "2K tokens"}
    token = make_token(five[4])
    client.delete_cookie("session")
    assert get(client, "?limit=1", headers=auth(token)).get_json()["userEntry"]["rank"] == 5


@pytest.mark.parametrize(("query", "field", "allowed"), [
    ("?type=best", "type", list(rules.TYPES)), ("?period=year", "period", list(rules.BOARD_PERIODS)),
    ("?region=EUROPE", "region", list(rules.REGIONS)), ("?tool=codex&region=EU", "region", list(rules.FILTERS)),
    ("?limit=0", "limit", None), ("?limit=101", "limit", None), ("?limit=ten", "limit", None),
    ("?cursor=0", "cursor", None), ("?cursor=-3", "cursor", None), ("?model=" + "m" * 201, "model", None),
])
def test_bad_parameters_are_a_validation_error_naming_the_allowed_values(client, query, field, allowed):
    response = get(client, query)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and field in error["message"]
    assert error["details"][0]["field"] == field
    if allowed:
        assert error["details"][0]["allowed"] == allowed
        assert ", ".join(allowed) in error["message"] or field == "region" and "at most one" in error["message"]


@pytest.mark.parametrize("board_type", [t for t in rules.TYPES if t != "friends"])
@pytest.mark.parametrize("period", rules.BOARD_PERIODS)
def test_every_type_and_period_answers(client, five, board_type, period):
    response = get(client, f"?type={board_type}&period={period}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["period"] == rules.stored_period(board_type, period)
    if board_type in ("global", "diverse", "streak"):
        assert len(body["entries"]) == 5


def test_filters_by_region_tool_and_model(client, five):
    assert [e["username"] for e in get(client, "?region=EU").get_json()["entries"]] == ["ann"]
    assert [e["username"] for e in get(client, "?region=NA&limit=2").get_json()["entries"]] == ["bea", "cal"]
    assert get(client, "?region=OCE").get_json()["entries"] == []
    assert [e["username"] for e in get(client, "?tool=codex").get_json()["entries"]] == ["ann"]
    assert [e["rank"] for e in get(client, "?tool=claude-code").get_json()["entries"]] == [1, 2, 3, 4]
    assert [e["username"] for e in get(client, "?model=gpt-4o").get_json()["entries"]] == ["ann"]
    assert get(client, "?tool=no-such-tool").get_json()["entries"] == []
    assert get(client, "?model=no-such-model").get_json()["entries"] == []
    assert db.session.scalar(select(LeaderboardBoard).where(LeaderboardBoard.filter_value == "no-such-model")) is None


def test_friends_needs_sign_in_and_ranks_the_viewer_and_accepted_follows(client, five):
    response = get(client, "?type=friends")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "UNAUTHORIZED"
    ann, bea, cal, dan, eve = five
    db.session.add_all([Follow(follower_id=dan.id, followee_id=bea.id, status="accepted"),
                        Follow(follower_id=dan.id, followee_id=eve.id, status="accepted"),
                        Follow(follower_id=dan.id, followee_id=ann.id, status="pending"),
                        Follow(follower_id=cal.id, followee_id=dan.id, status="accepted")])
    db.session.commit()
    sign_in(client, dan)
    body = get(client, "?type=friends").get_json()
    assert [(e["rank"], e["username"]) for e in body["entries"]] == [(1, "bea"), (2, "dan"), (3, "eve")]
    assert body["userEntry"] == {"rank": 2, "score": 2000, "scoreLabel": "2K tokens"}
    assert [e["username"] for e in get(client, "?type=friends&limit=1&cursor=3").get_json()["entries"]] == ["eve"]


def test_private_and_demo_users_are_never_listed(client, app, five):
    shy = make_user("shy", is_public=False)
    demo = make_user("demo-user", is_demo=True)
    rollup(shy, TODAY, input_tokens=90_000)
    rollup(demo, TODAY, input_tokens=80_000)
    db.session.add(Follow(follower_id=five[0].id, followee_id=shy.id, status="accepted"))
    db.session.commit()
    names = [e["username"] for e in get(client).get_json()["entries"]]
    assert "shy" not in names and "demo-user" not in names
    sign_in(client, five[0])
    assert "shy" not in [e["username"] for e in get(client, "?type=friends").get_json()["entries"]]
    sign_in(client, shy)
    assert get(client).get_json()["userEntry"] is None, "a private profile has no place on a public board"
    app.config["BURNTOP_LOCAL_MODE"] = True
    refresh_due()
    db.session.query(LeaderboardBoard).update({"computed_at": None})  # local mode: recompute now
    db.session.commit()
    refresh_due()
    assert "demo-user" in [e["username"] for e in get(client).get_json()["entries"]]


def test_someone_who_turns_private_leaves_every_board_at_once(client, five):
    assert "bea" in [e["username"] for e in get(client).get_json()["entries"]]
    token = make_token(five[1])
    response = client.patch("/api/users/me", json={"isPublic": False}, headers=auth(token))
    assert response.status_code == 200
    assert "bea" not in [e["username"] for e in get(client).get_json()["entries"]]
    assert db.session.get(LeaderboardDirty, "*") is not None, "and every board is marked stale"


def test_a_sync_marks_its_boards_stale_and_the_job_recomputes_them(client, five, app):
    assert get(client, "?tool=cursor").get_json()["entries"] == []
    newcomer = make_user("newcomer")
    now = datetime.now(timezone.utc)
    # Ten responses of 900K prompt tokens: within the model's context window (burntop.integrity), so counted.
    batch = [record(f"n{i}", at=now - timedelta(minutes=1, seconds=i), source="cursor", inputTokens=900_000)
             for i in range(10)]
    assert client.post("/api/sync", json={"records": batch}, headers=auth(make_token(newcomer))).status_code == 200
    scopes = set(db.session.scalars(select(LeaderboardDirty.scope)))
    assert {"all", "tool:cursor", "model:claude-sonnet-4-20250514"} <= scopes
    done = refresh_leaderboards()
    assert done["all"]["boards"] > 0 and done["tool"]["boards"] > 0
    assert get(client).get_json()["entries"][0]["username"] == "newcomer"
    assert [e["username"] for e in get(client, "?tool=cursor").get_json()["entries"]] == ["newcomer"]
    assert set(refresh_due()) == {"dropped"}, "nothing left to do until something changes"


def test_a_missing_snapshot_is_computed_on_first_use(client, five):
    assert db.session.scalar(select(LeaderboardBoard)) is None
    assert len(get(client, "?type=streak").get_json()["entries"]) == 5
    assert db.session.scalar(select(LeaderboardBoard).where(LeaderboardBoard.type == "streak")).generation == 1


def test_the_refresh_command_and_the_schedule(runner, five):
    result = runner.invoke(args=["leaderboard", "refresh"])
    assert result.exit_code == 0, result.output
    assert "refreshed 198 boards" in result.output  # 22 unfiltered, 6 x 22 per region, 2 tools x 22
    assert any(p.func is refresh_leaderboards and p.interval == 60 for p in SCHEDULE)
