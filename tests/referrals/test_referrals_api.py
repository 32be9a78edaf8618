"""Referrals over JSON (spec 000): code, clicks counted once per address an hour, tracking a new account, stats."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from burntop.extensions import db
from burntop.gamification.evaluate import xp_by_kind
from burntop.models import Follow, Referral, ReferralClick, User
from burntop.models.types import utcnow
from tests.factories import auth, make_token, make_user, record, sign_in

BROWSER = {"User-Agent": "Mozilla/5.0 (test browser)"}
CLICK_LIMIT = 5


@pytest.fixture
def app_config(app_config):
    app_config["REFERRAL_CLICK_RATE_LIMIT"] = f"{CLICK_LIMIT} per minute"
    return app_config


def error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_json()
    body = response.get_json()["error"]
    assert body["code"] == code and body["message"]
    return body


def click(client, code: str, ip: str = "198.51.100.7", agent: str = BROWSER["User-Agent"]):
    return client.post("/api/referrals/click", json={"referralCode": code}, headers={"User-Agent": agent},
                       environ_base={"REMOTE_ADDR": ip})


def track(client, user, code: str, ip: str = "198.51.100.7"):
    return client.post("/api/referrals/track", json={"referralCode": code}, environ_base={"REMOTE_ADDR": ip},
                       headers={**auth(make_token(user)), **BROWSER})


def clicks_of(user) -> list[ReferralClick]:
    db.session.expire_all()
    return list(db.session.scalars(select(ReferralClick).where(ReferralClick.referrer_id == user.id)))


# ---- GET /api/referrals/code


def test_the_code_and_its_link(client):
    alice = make_user("alice")
    body = client.get("/api/referrals/code", headers=auth(make_token(alice))).get_json()
    assert body == {"code": alice.referral_code, "url": f"http://testserver?ref={alice.referral_code}"}
    assert body["code"].startswith("ALICE")
    error(client.get("/api/referrals/code"), 401, "UNAUTHORIZED")


# ---- POST /api/referrals/click


def test_a_click_counts_once_per_visitor_address_and_hour(client):
    alice = make_user("alice")
    with freeze_time("2026-03-02 09:10:00") as clock:
        for _ in range(2):  # five clicks from one address in all: the rate limit's allowance
            response = click(client, alice.referral_code)
            assert response.status_code == 200 and response.get_json() == {"success": True}
        assert len(clicks_of(alice)) == 1
        # A new User-Agent costs nothing to send, so it must not make a new visitor.
        assert click(client, alice.referral_code.lower(), agent="Other browser").get_json() == {"success": True}
        assert len(clicks_of(alice)) == 1
        assert click(client, alice.referral_code, ip="203.0.113.9").get_json() == {"success": True}
        assert len(clicks_of(alice)) == 2
        clock.tick(timedelta(minutes=49))  # 09:59: the same hour
        click(client, alice.referral_code)
        assert len(clicks_of(alice)) == 2
        clock.tick(timedelta(minutes=2))  # 10:01: a new hour
        click(client, alice.referral_code)
    stored = clicks_of(alice)
    assert len(stored) == 3 and not any(c.converted for c in stored)
    assert all(len(c.visitor_hash) == 64 and "198.51.100.7" not in c.visitor_hash for c in stored)


def test_the_owner_clicking_their_own_link_is_not_counted(client):
    alice = make_user("alice")
    sign_in(client, alice)
    assert click(client, alice.referral_code).get_json() == {"success": True}
    assert clicks_of(alice) == []


@pytest.mark.parametrize("body", [None, {}, {"referralCode": ""}, {"referralCode": 42}, {"referralCode": "X" * 33},
                                  ["ALICE"], {"code": "ALICE"}])
def test_a_click_needs_a_code(client, body):
    kwargs = {"data": "referralCode=ALICE"} if body is None else {"json": body}
    error(client.post("/api/referrals/click", **kwargs), 400, "VALIDATION_ERROR")


def test_an_unknown_code_is_404(client):
    error(click(client, "NOSUCHCODE"), 404, "NOT_FOUND")


def test_clicks_are_rate_limited_per_address(client):
    alice = make_user("alice")
    for n in range(CLICK_LIMIT):
        assert click(client, alice.referral_code, agent=f"browser {n}").status_code == 200
    error(click(client, alice.referral_code, agent="one more"), 429, "RATE_LIMIT_EXCEEDED")
    assert click(client, alice.referral_code, ip="203.0.113.50").status_code == 200
    assert len(clicks_of(alice)) == 2  # one per address


# ---- POST /api/referrals/track


def test_three_levels_receive_exact_xp(client):
    a, b, c, d = (make_user(name) for name in ("anna", "ben", "cleo", "dan"))
    assert track(client, b, a.referral_code).get_json() == {"success": True,
                                                            "xpAwarded": {"level1": 25, "level2": 0, "level3": 0}}
    assert track(client, c, b.referral_code).get_json()["xpAwarded"] == {"level1": 25, "level2": 6.25, "level3": 0}
    response = track(client, d, c.referral_code)
    assert response.status_code == 200
    assert response.get_json() == {"success": True, "xpAwarded": {"level1": 25, "level2": 6.25, "level3": 2.5}}
    assert xp_by_kind(a.id)["referral"] == 2500 + 625 + 250
    assert xp_by_kind(b.id)["referral"] == 2500 + 625
    assert xp_by_kind(c.id)["referral"] == 2500
    assert "referral" not in xp_by_kind(d.id)
    db.session.expire_all()
    assert db.session.get(User, a.id).xp_centi == 3375 + 2500  # plus Recruiter (first-referral, 25 XP)


def test_a_fourth_level_pays_nobody(client):
    chain = [make_user(f"link-{n}") for n in range(5)]
    for upper, lower in zip(chain, chain[1:]):
        track(client, lower, upper.referral_code)
    assert xp_by_kind(chain[0].id)["referral"] == 2500 + 625 + 250


def test_no_self_referral(client):
    alice = make_user("alice")
    body = error(track(client, alice, alice.referral_code), 400, "VALIDATION_ERROR")
    assert "own" in body["message"]


def test_no_loops_at_any_depth(client):
    a, b, c = make_user("anna"), make_user("ben"), make_user("cleo")
    track(client, b, a.referral_code)  # anna referred ben
    track(client, c, b.referral_code)  # ben referred cleo
    body = error(track(client, a, c.referral_code), 400, "VALIDATION_ERROR")  # cleo referring anna: a loop
    assert "loop" in body["message"]
    error(track(client, a, b.referral_code), 400, "VALIDATION_ERROR")
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 2


def test_an_account_is_referred_once(client):
    a, b, c = make_user("anna"), make_user("ben"), make_user("cleo")
    assert track(client, c, a.referral_code).status_code == 200
    error(track(client, c, a.referral_code), 409, "CONFLICT")
    error(track(client, c, b.referral_code), 409, "CONFLICT")


def test_only_a_new_account_can_be_referred(client):
    alice = make_user("alice")
    veteran = make_user("veteran", created_at=utcnow() - timedelta(hours=25))
    body = error(track(client, veteran, alice.referral_code), 400, "VALIDATION_ERROR")
    assert "new account" in body["message"]
    just_in_time = make_user("recent", created_at=utcnow() - timedelta(hours=23))
    assert track(client, just_in_time, alice.referral_code).status_code == 200

    syncer = make_user("syncer")
    client.post("/api/sync", json={"records": [record("r1")]}, headers=auth(make_token(syncer)))
    error(track(client, syncer, alice.referral_code), 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("body", [None, {}, {"referralCode": None}, {"referralCode": "  "}])
def test_track_needs_a_code_and_a_known_one(client, body):
    bob = make_user("bob")
    kwargs = {"data": "x"} if body is None else {"json": body}
    error(client.post("/api/referrals/track", headers=auth(make_token(bob)), **kwargs), 400, "VALIDATION_ERROR")
    error(track(client, bob, "NOSUCHCODE"), 404, "NOT_FOUND")
    error(client.post("/api/referrals/track", json={"referralCode": "ANY"}), 401, "UNAUTHORIZED")


def test_two_accounts_cannot_refer_each_other_at_once(app, live_server):
    import requests

    a, b = make_user("anna"), make_user("ben")
    pairs = [(make_token(a), b.referral_code), (make_token(b), a.referral_code)]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def send(token: str, code: str) -> None:
        barrier.wait()
        statuses.append(requests.post(f"{live_server}/api/referrals/track", json={"referralCode": code},
                                      headers=auth(token), timeout=60).status_code)

    threads = [threading.Thread(target=send, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 400]
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 1


# ---- GET /api/referrals/stats


def test_stats_count_levels_xp_people_and_conversion(client):
    a = make_user("anna")
    b = make_user("ben", name="Ben", image="https://example.com/ben.png")
    c = make_user("cleo", is_public=False, name="Cleo")
    d = make_user("dora", is_public=False)
    db.session.add(Follow(follower_id=a.id, followee_id=d.id, status="accepted"))
    db.session.commit()
    click(client, a.referral_code, ip="198.51.100.1")
    click(client, a.referral_code, ip="198.51.100.2")
    click(client, a.referral_code, ip="198.51.100.3")
    track(client, b, a.referral_code, ip="198.51.100.1")  # converts the first click
    track(client, c, b.referral_code, ip="198.51.100.99")  # no click from there; ben reaches level 2
    track(client, d, a.referral_code, ip="198.51.100.4")

    body = client.get("/api/referrals/stats", headers=auth(make_token(a))).get_json()
    assert set(body) == {"totalReferrals", "totalXpEarned", "referredUsers", "clickStats"}
    assert body["totalReferrals"] == {"level1": 2, "level2": 1, "level3": 0}
    assert body["totalXpEarned"] == 56.25
    assert body["clickStats"] == {"total": 3, "converted": 1, "conversionRate": 0.3333}
    people = {p["username"]: p for p in body["referredUsers"]}
    assert [p["username"] for p in body["referredUsers"]] == ["ben", "dora", "cleo"]
    assert set(people["ben"]) == {"userId", "username", "name", "image", "level", "joinedAt", "referralLevel"}
    assert people["ben"]["userId"] == str(b.id) and people["ben"]["image"] == "https://example.com/ben.png"
    assert people["ben"]["level"] == 2 and people["ben"]["joinedAt"].endswith("Z")
    assert people["ben"]["referralLevel"] == 1
    # private: only username, name and avatar, unless the referrer is an accepted follower
    assert people["cleo"] == {"userId": str(c.id), "username": "cleo", "name": "Cleo", "image": None, "level": None,
                              "joinedAt": None, "referralLevel": 2}
    assert people["dora"]["level"] == 1 and people["dora"]["joinedAt"] is not None


def test_stats_without_referrals_or_clicks(client):
    loner = make_user("loner")
    assert client.get("/api/referrals/stats", headers=auth(make_token(loner))).get_json() == {
        "totalReferrals": {"level1": 0, "level2": 0, "level3": 0}, "totalXpEarned": 0, "referredUsers": [],
        "clickStats": {"total": 0, "converted": 0, "conversionRate": 0.0}}
    error(client.get("/api/referrals/stats"), 401, "UNAUTHORIZED")


# ---- the pure graph rules at their edges


def test_upline_and_loops():
    from burntop.referrals.rules import closes_loop, upline

    referrer = {2: 1, 3: 2, 4: 3, 5: 4}.get  # 1 referred 2, who referred 3, ...
    assert upline(5, referrer) == [4, 3, 2, 1] and upline(5, referrer, 3) == [4, 3, 2] and upline(1, referrer) == []
    assert closes_loop(1, 5, referrer) and closes_loop(3, 4, referrer) and not closes_loop(5, 1, referrer)
    looped = {1: 2, 2: 1}.get  # bad data must not hang the walk
    assert upline(1, looped) == [2] and not closes_loop(3, 1, looped)


def test_new_account_window_and_conversion_rate():
    from burntop.referrals.rules import conversion_rate, is_new_account

    now = utcnow()
    assert is_new_account(now - timedelta(hours=24), False, now)
    assert not is_new_account(now - timedelta(hours=24, seconds=1), False, now)
    assert not is_new_account(now, True, now)
    assert (conversion_rate(0, 0), conversion_rate(50, 10), conversion_rate(3, 1), conversion_rate(1, 1)) == (
        0.0, 0.2, 0.3333, 1.0)
