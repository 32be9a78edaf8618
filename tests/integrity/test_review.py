"""Plausibility review through the product: records stored and flagged at sync, kept off public surfaces,
counted in the owner's own figures, and cleared or confirmed by an admin on /admin/review."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from burntop.accounts.profile import set_public_api
from burntop.extensions import db
from burntop.integrity.bounds import RATE_TOKENS_PER_MACHINE_DAY
from burntop.integrity.review import days_under_review
from burntop.models import DailyRollup, ReviewDay, ReviewFlag, UsageRecord
from burntop.stats.benchmarks import period_values
from burntop.stats.showcase import top_public_this_week
from burntop.stats.totals import compute_global_totals, global_totals
from burntop.sync.ingest import ingest
from burntop.sync.schema import parse
from tests.factories import auth, make_token, make_user, record, sign_in

NOW = "2026-01-08T17:25:24Z"
TODAY = date(2026, 1, 8)
FORGED_TOKENS = 5_000_000 + 100


@pytest.fixture(autouse=True)
def clock():
    with freeze_time(NOW) as frozen:
        yield frozen


def sync(user, records):
    body, problems = parse(json.dumps({"records": records}).encode())
    assert body is not None, problems
    return ingest(user.id, body.records)


def at(day: date, second: int) -> str:
    moment = datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(seconds=second)
    return moment.isoformat().replace("+00:00", "Z")


def heavy_day(prefix: str, day: date, responses: int, machine: str, **tokens) -> list[dict]:
    """Agentic use: many responses a day, each re-reading a large cached context."""
    counts = {"inputTokens": 3_000, "outputTokens": 1_200, "cacheCreationTokens": 4_000, "cacheReadTokens": 160_000,
              **tokens}
    return [record(f"{prefix}-{day}-{i}", at=at(day, i * 86_400 // responses), machineId=machine,
                   model="claude-sonnet-4-5-20250929", **counts) for i in range(responses)]


def flags():
    db.session.expire_all()
    return db.session.scalars(select(ReviewFlag).order_by(ReviewFlag.id)).all()


def review_day(user, day=TODAY):
    db.session.expire_all()
    return db.session.get(ReviewDay, (user.id, day))


def owner_tokens(user) -> int:
    r = DailyRollup
    return int(db.session.scalar(select(func.sum(r.input_tokens + r.output_tokens + r.cache_creation_tokens
                                                 + r.cache_read_tokens)).where(r.user_id == user.id)) or 0)


def public_tokens(client, user) -> int:
    response = client.get(f"/api/v1/public/{user.public_api_id}?period=7d")
    assert response.status_code == 200
    return response.get_json()["stats"]["total_tokens"]


@pytest.fixture
def alice(app):
    user = make_user("alice", name="Alice")
    set_public_api(user, True)
    sync(user, [record("alice-1", at=at(TODAY, 3_600), inputTokens=10_000, outputTokens=2_000)])
    return user


@pytest.fixture
def mallory(app):
    """A public user with one honest day and one forged response: 5M prompt tokens to a 1M-window model."""
    user = make_user("mallory", name="Mallory")
    set_public_api(user, True)
    sync(user, [record("m-honest", at=at(TODAY - timedelta(days=1), 60), inputTokens=1_000, outputTokens=100),
                record("m-forged", at=at(TODAY, 7_200), inputTokens=FORGED_TOKENS - 100, outputTokens=100,
                       machineId="laptop-7", source="claude-code")])
    return user


@pytest.fixture
def admin(app):
    return make_user("root-admin", is_admin=True)


def csrf_token(client, path="/admin/review") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))[1]


def test_honest_heavy_users_are_never_flagged(app):
    heavy = make_user("heavy")
    # A month of 3 billion cache reads (100M a day), then two agentic days of ~420M tokens on two machines.
    month = [record(f"month-{d}-{i}", at=at(TODAY - timedelta(days=d), i * 400), model="claude-opus-4-1-20250805",
                    inputTokens=2_000, outputTokens=800, cacheReadTokens=500_000, machineId="desk")
             for d in range(2, 32) for i in range(200)]
    for start in range(0, len(month), 10_000):
        sync(heavy, month[start:start + 10_000])
    for day in (TODAY - timedelta(days=1), TODAY):
        sync(heavy, heavy_day("desk", day, 1_600, "desk"))
        sync(heavy, heavy_day("laptop", day, 900, "laptop"))
    # The largest honest responses: a nearly full 1M window, 64k of output.
    sync(heavy, [record("edge", at=at(TODAY, 50_000), model="claude-sonnet-4-5-20250929", inputTokens=20_000,
                        cacheCreationTokens=30_000, cacheReadTokens=949_000, outputTokens=64_000)])
    assert owner_tokens(heavy) > 3_000_000_000 + 800_000_000
    assert flags() == []
    assert db.session.scalar(select(func.count()).select_from(ReviewDay)) == 0


def test_a_forged_response_is_stored_flagged_and_kept_off_public_surfaces(client, alice, mallory):
    stored = db.session.scalar(select(UsageRecord).where(UsageRecord.request_id == "m-forged"))
    assert stored is not None and stored.input_tokens == FORGED_TOKENS - 100, "nothing is lost"
    [flag] = flags()
    assert (flag.user_id, flag.day, flag.rule, flag.observed, flag.bound) == \
        (mallory.id, TODAY, "context_window", FORGED_TOKENS - 100, 1_000_000)
    assert (flag.machine_id, flag.source, flag.request_id) == ("laptop-7", "claude-code", "m-forged")
    assert review_day(mallory).status == "pending"
    assert review_day(mallory, TODAY - timedelta(days=1)) is None

    # The owner's own figures include everything.
    assert owner_tokens(mallory) == FORGED_TOKENS + 1_100
    insights = client.get("/api/insights?period=all", headers=auth(make_token(mallory))).get_json()
    assert insights["figures"]["totalTokens"] == FORGED_TOKENS + 1_100

    # Public surfaces leave the day out: public API, landing totals and showcase, community percentiles.
    assert public_tokens(client, mallory) == 1_100
    assert compute_global_totals()["totalTokens"] == 12_000 + 1_100
    assert top_public_this_week(TODAY)["username"] == "alice"
    assert sorted(period_values("all")["tokens"]) == [1_100, 12_000]
    assert [d["status"] for d in days_under_review(mallory.id)] == ["pending"]
    assert days_under_review(alice.id) == []


def test_a_day_beyond_the_rate_is_flagged_per_machine_across_batches(app):
    user = make_user("forger")
    ten_million = {"model": "llama-4-scout-local", "inputTokens": 10_000_000, "outputTokens": 0}

    def batch(prefix, n, machine):
        return [record(f"{prefix}-{i}", at=at(TODAY, i), machineId=machine, **ten_million) for i in range(n)]

    sync(user, batch("a", 300, "rig-1"))   # 3B: within the rate
    sync(user, batch("b", 300, "rig-2"))   # another machine, 3B: each machine is within it
    assert flags() == []
    sync(user, batch("c", 201, "rig-1"))   # rig-1 reaches 5.01B
    [flag] = flags()
    assert (flag.rule, flag.machine_id, flag.source, flag.request_id) == ("machine_day_rate", "rig-1", "claude-code", None)
    assert (flag.observed, flag.bound) == (5_010_000_000, RATE_TOKENS_PER_MACHINE_DAY)
    assert review_day(user).status == "pending"
    sync(user, batch("c", 201, "rig-1"))   # a replay adds nothing
    sync(user, batch("d", 10, "rig-1"))    # more on the same day: the flag holds the latest total
    [flag] = flags()
    assert flag.observed == 5_110_000_000
    assert db.session.scalar(select(func.count()).select_from(UsageRecord)) == 811


def test_a_response_above_the_cost_ceiling_is_stored_unpriced_and_flagged(app):
    user = make_user("pricey")
    sync(user, [record("dear", at=at(TODAY, 1), model="o1-pro", inputTokens=7_000_000, outputTokens=0)])
    stored = db.session.scalar(select(UsageRecord).where(UsageRecord.request_id == "dear"))
    assert (stored.priced, stored.cost_nanos) == (False, 0)
    assert {(f.rule, f.observed, f.bound) for f in flags()} == {
        ("context_window", 7_000_000, 1_047_576), ("cost_ceiling", 1_050 * 10**9, 1_000 * 10**9)}


def test_validation_refusals_stay_refusals(client, app):
    """Negative counts and far-future timestamps are 400s, never stored flags."""
    token = make_token(make_user("bob"))
    for bad in (record("neg", inputTokens=-1), record("future", at="2026-01-10T00:00:00Z")):
        response = client.post("/api/sync", json={"records": [bad]}, headers=auth(token))
        assert response.status_code == 400
    assert flags() == [] and db.session.scalar(select(func.count()).select_from(UsageRecord)) == 0


def test_admin_sees_the_evidence_then_confirm_keeps_it_off_and_clear_shows_it(client, alice, mallory, admin):
    sign_in(client, admin)
    page = client.get("/admin/review")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "mallory · 2026-01-08" in html
    assert "5M tokens in one response; the bound is 1M (5x)" in html
    assert "laptop-7" in html and "m-forged" in html and "claude-code" in html
    assert "alice" not in html
    token = csrf_token(client)
    assert global_totals()["totalTokens"] == 12_000 + 1_100  # the landing page's cached totals

    response = client.post(f"/admin/review/{mallory.id}/2026-01-08", data={"decision": "confirm", "csrf_token": token})
    assert response.status_code == 303
    day = review_day(mallory)
    assert (day.status, day.decided_by) == ("confirmed", admin.id)
    assert public_tokens(client, mallory) == 1_100
    assert "2026-01-08 confirmed" in client.get("/admin/review?status=confirmed").get_data(as_text=True)
    assert "No pending days." in client.get("/admin/review").get_data(as_text=True)

    response = client.post(f"/admin/review/{mallory.id}/2026-01-08", data={"decision": "clear", "csrf_token": token})
    assert response.status_code == 303
    assert review_day(mallory).status == "cleared"
    assert public_tokens(client, mallory) == FORGED_TOKENS + 1_100
    assert compute_global_totals()["totalTokens"] == 12_000 + FORGED_TOKENS + 1_100
    assert global_totals()["totalTokens"] == 12_000 + FORGED_TOKENS + 1_100, "the decision shows at once"
    assert top_public_this_week(TODAY)["username"] == "mallory"
    assert days_under_review(mallory.id) == []


def test_new_evidence_reopens_a_cleared_day_but_a_confirmed_day_stays_confirmed(app, mallory, admin):
    from burntop.integrity.review import decide

    decide(mallory.id, TODAY, "clear", admin.id)
    sync(mallory, [record("m-forged-2", at=at(TODAY, 9_000), inputTokens=2_000_000, outputTokens=1)])
    assert review_day(mallory).status == "pending"
    decide(mallory.id, TODAY, "confirm", admin.id)
    sync(mallory, [record("m-forged-3", at=at(TODAY, 9_100), inputTokens=2_000_000, outputTokens=1)])
    assert review_day(mallory).status == "confirmed"


def test_the_admin_forms_need_the_csrf_token(client, mallory, admin):
    sign_in(client, admin)
    response = client.post(f"/admin/review/{mallory.id}/2026-01-08", data={"decision": "clear"})
    assert response.status_code == 400
    response = client.post(f"/admin/review/{mallory.id}/2026-01-08", data={"decision": "clear", "csrf_token": "forged"})
    assert response.status_code == 400
    assert review_day(mallory).status == "pending"


def test_bad_decisions_and_unknown_days(client, mallory, admin):
    sign_in(client, admin)
    token = csrf_token(client)
    assert client.post(f"/admin/review/{mallory.id}/2026-01-08", data={"decision": "delete", "csrf_token": token}
                       ).status_code == 400
    assert client.post(f"/admin/review/{mallory.id}/2026-01-07", data={"decision": "clear", "csrf_token": token}
                       ).status_code == 404
    assert client.post(f"/admin/review/{mallory.id}/not-a-day", data={"decision": "clear", "csrf_token": token}
                       ).status_code == 404
    assert review_day(mallory).status == "pending"


def test_only_admins_reach_the_review_page(client, mallory):
    assert client.get("/admin/review").status_code in (302, 401)  # signed out: sent to sign in
    sign_in(client, mallory)
    assert client.get("/admin/review").status_code == 404
    token = csrf_token(client, "/settings/privacy")
    response = client.post(f"/admin/review/{mallory.id}/2026-01-08", data={"decision": "clear", "csrf_token": token})
    assert response.status_code == 404
    assert review_day(mallory).status == "pending"


def test_the_owner_is_told_which_days_are_under_review_and_why(client, mallory, admin):
    sign_in(client, mallory)
    html = client.get("/settings/privacy").get_data(as_text=True)
    assert "1 day is under review" in html
    assert "2026-01-08" in html and "prompt tokens of one response above the model&#39;s context window" in html
    from burntop.integrity.review import decide

    decide(mallory.id, TODAY, "clear", admin.id)
    assert "under review" not in client.get("/settings/privacy").get_data(as_text=True)


def test_a_new_time_zone_moves_the_review_with_the_records(client, alice, mallory, admin):
    """Changing zone cannot lift a day off review: the flag follows its record to its new local day."""
    from burntop.accounts.profile import update_profile
    from burntop.integrity.review import decide
    from burntop.sync.rebucket import rebucket_user

    # Los Angeles is 8 hours behind UTC: the forged response at 02:00 UTC on the 8th moves to the 7th, one at
    # 12:00 UTC stays on the 8th, which an admin had confirmed; the honest record moves from the 7th to the 6th.
    sync(mallory, [record("m-late", at=at(TODAY, 12 * 3_600), inputTokens=3_000_000, outputTokens=1)])
    decide(mallory.id, TODAY, "confirm", admin.id)
    update_profile(mallory, {"timezone": "America/Los_Angeles"})
    db.session.commit()
    rebucket_user(mallory.id)
    assert {(f.request_id, f.day) for f in flags()} == {("m-forged", TODAY - timedelta(days=1)), ("m-late", TODAY)}
    assert review_day(mallory).status == "confirmed"
    assert review_day(mallory, TODAY - timedelta(days=1)).status == "pending"
    # What the public sees is only the honest record, now on the 6th.
    assert public_tokens(client, mallory) == 1_100
    assert compute_global_totals()["totalTokens"] == 12_000 + 1_100


def test_a_decision_is_announced_for_precomputed_public_figures(app, mallory, admin):
    from burntop.integrity.review import day_reviewed, decide

    heard = []

    def listener(sender, **details):
        heard.append(details)

    day_reviewed.connect(listener)
    try:
        decide(mallory.id, TODAY, "clear", admin.id)
        decide(mallory.id, TODAY - timedelta(days=3), "clear", admin.id)  # no such day: nothing to announce
    finally:
        day_reviewed.disconnect(listener)
    assert heard == [{"user_id": mallory.id, "day": TODAY, "status": "cleared"}]


def test_profiles_show_others_no_day_under_review_and_the_owner_everything(client, alice, mallory):
    stats = client.get("/api/users/mallory/stats").get_json()
    assert stats["totalTokens"] == 1_100
    assert client.get("/api/users/mallory/stats", headers=auth(make_token(mallory))).get_json()["totalTokens"] \
        == FORGED_TOKENS + 1_100
    # The profile page and compare, signed out then as the owner.
    page = client.get("/mallory").get_data(as_text=True)
    assert "1,100 tokens" in page and "5,001,200" not in page and "5M tokens" not in page
    compare = client.get("/compare/alice/mallory").get_data(as_text=True)
    assert ">1.1K<" in compare and ">5M<" not in compare
    sign_in(client, mallory)
    assert "5,001,200 tokens" in client.get("/mallory").get_data(as_text=True)
    assert ">5M<" in client.get("/compare/alice/mallory").get_data(as_text=True)


def test_the_dashboard_tells_the_owner_which_days_are_under_review(client, alice, mallory):
    sign_in(client, mallory)
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'id="days-under-review"' in page and "2026-01-08" in page and "context window" in page
    sign_in(client, alice)
    assert 'id="days-under-review"' not in client.get("/dashboard").get_data(as_text=True)


def test_leaderboards_leave_out_days_under_review_until_cleared(client, alice, mallory, admin):
    from burntop.integrity.review import decide
    from burntop.leaderboard.snapshots import refresh_all

    refresh_all()
    scores = {e["username"]: e["score"] for e in client.get("/api/leaderboard?type=global&period=all").get_json()["entries"]}
    assert scores == {"alice": 12_000, "mallory": 1_100}
    decide(mallory.id, TODAY, "clear", admin.id)
    refresh_all()
    scores = {e["username"]: e["score"] for e in client.get("/api/leaderboard?type=global&period=all").get_json()["entries"]}
    assert scores == {"alice": 12_000, "mallory": FORGED_TOKENS + 1_100}


def test_badges_leave_out_days_under_review(client, alice, mallory):
    badge = client.get("/api/badge/mallory?variant=standard").get_data(as_text=True)
    assert "1.1K" in badge and "5M" not in badge
