"""Evaluation through POST /api/sync: unlocks, XP, levels, streaks, feed rows, replays and concurrency."""
from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from burntop.extensions import db
from burntop.gamification import rules
from burntop.gamification.catalog import BY_ID
from burntop.gamification.evaluate import evaluate, xp_by_kind
from burntop.models import Achievement, AchievementUnlock, Activity, Notification, User, XpEvent
from tests.factories import auth, make_token, make_user, record

NOW = datetime(2025, 6, 15, 20, 0, tzinfo=timezone.utc)  # 13:00 in Los Angeles


def sync(client, token, records, **extra) -> dict:
    response = client.post("/api/sync", json={"records": records, **extra}, headers=auth(token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def fresh(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def unlocked(user_id: int) -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(AchievementUnlock.achievement_id).where(AchievementUnlock.user_id == user_id)))


def rows(model, user_id: int, type_: str | None = None) -> list:
    db.session.expire_all()
    query = select(model).where(model.user_id == user_id).order_by(model.id)
    if type_:
        query = query.where(model.type == type_)
    return list(db.session.scalars(query))


def daily(days: list[date], tz: str, **fields) -> list[dict]:
    """One record at local noon on each day."""
    return [record(f"d-{day.isoformat()}", at=datetime.combine(day, time(12), ZoneInfo(tz)), **fields)
            for day in days]


def test_first_sync_unlocks_first_sync_and_awards_exact_xp(client, app):
    user = make_user("alice")
    body = sync(client, make_token(user), [record("req_abc123")])
    assert (body["achievements"], body["leveledUp"], body["newLevel"]) == (["first-sync"], False, None)
    # 10 (First Sync) + 5 (one active day) + 0.15 (1,500 tokens: below the knee, 1 XP per 10,000)
    assert fresh(user.id).xp_centi == 1515 and fresh(user.id).level == 1
    assert xp_by_kind(user.id) == {"achievement": 1000, "active_days": 500, "tokens": 15}
    assert db.session.scalar(select(func.count()).select_from(Achievement)) == 68


def test_an_empty_first_sync_unlocks_nothing(client, app):
    user = make_user("empty")
    assert sync(client, make_token(user), [])["achievements"] == []
    assert fresh(user.id).xp_centi == 0


def test_replay_and_reevaluation_change_nothing(client, app):
    user = make_user("bob")
    token = make_token(user)
    batch = [record(f"r{i}", cacheReadTokens=400_000, at=f"2025-06-{1 + i:02d}T12:00:00Z") for i in range(5)]
    first = sync(client, token, batch)
    assert {"first-sync", "tokens-10k", "tokens-100k", "token-millionaire", "streak-3", "cache-hit",
            "cache-collector"} <= set(first["achievements"])
    assert first["leveledUp"] and first["newLevel"] == fresh(user.id).level
    before = (fresh(user.id).xp_centi, len(rows(XpEvent, user.id)), len(rows(Activity, user.id)),
              len(rows(Notification, user.id)), unlocked(user.id))
    replay = sync(client, token, batch)
    assert (replay["achievements"], replay["leveledUp"], replay["newLevel"]) == ([], False, None)
    again = evaluate(user.id)
    assert (again.unlocked, again.leveled_up, again.new_level, again.activities) == ([], False, None, [])
    after = (fresh(user.id).xp_centi, len(rows(XpEvent, user.id)), len(rows(Activity, user.id)),
             len(rows(Notification, user.id)), unlocked(user.id))
    assert after == before


def test_xp_is_the_sum_of_the_ledger_and_levels_follow(client, app):
    user = make_user("carol")
    token = make_token(user)
    sync(client, token, [record("a", cacheReadTokens=9_000_000, at="2025-06-01T12:00:00Z")])
    u = fresh(user.id)
    assert u.xp_centi == db.session.scalar(select(func.sum(XpEvent.amount_centi)).where(XpEvent.user_id == user.id))
    assert u.level == rules.level_for_xp(u.xp_centi)
    # 1,500 fresh + 9,000,000 cache reads weigh 901,500: 12.81 XP
    assert xp_by_kind(user.id)["tokens"] == rules.day_tokens_xp_centi(1_500, 0, 9_000_000) == 1281
    body = sync(client, token, [record("b", cacheReadTokens=9_000_000, at="2025-06-01T13:00:00Z")])
    assert xp_by_kind(user.id)["tokens"] == rules.day_tokens_xp_centi(3_000, 0, 18_000_000) == 1481
    assert len(rows(XpEvent, user.id)) == len(set(e.key for e in rows(XpEvent, user.id)))
    if body["leveledUp"]:
        assert body["newLevel"] == fresh(user.id).level


def test_a_second_sync_to_the_same_day_replaces_its_token_xp(client, app):
    user = make_user("sameday")
    token = make_token(user)
    first = sync(client, token, [record("m1", inputTokens=500_000, outputTokens=0, at="2025-06-01T09:00:00Z")])
    assert xp_by_kind(user.id)["tokens"] == 1112  # 500,000 tokens: 2 x (1 + log2 25), linear between powers
    second = sync(client, token, [record("m2", inputTokens=500_000, outputTokens=0, at="2025-06-01T18:00:00Z")])
    # the day now holds 1,000,000 tokens: 13.12 XP, not 11.12 + 11.12
    assert xp_by_kind(user.id)["tokens"] == 1312
    assert second["xpGained"] == 2 + sum(BY_ID[a].xp_reward for a in second["achievements"])
    assert first["xpGained"] == 11.12 + 5 + sum(BY_ID[a].xp_reward for a in first["achievements"])
    assert [e.key for e in rows(XpEvent, user.id) if e.kind == "tokens"] == ["tokens"]  # one ledger row, upserted


def test_a_retried_sync_adds_nothing(client, app):
    user = make_user("retry")
    token = make_token(user)
    batch = [record("r1", inputTokens=3_000_000, outputTokens=0, cacheReadTokens=9_000_000, at="2025-06-01T09:00:00Z")]
    sync(client, token, batch)
    before = (fresh(user.id).xp_centi, xp_by_kind(user.id))
    retry = sync(client, token, batch)
    assert retry["xpGained"] == 0 and (fresh(user.id).xp_centi, xp_by_kind(user.id)) == before
    assert before[1]["tokens"] == rules.day_tokens_xp_centi(3_000_000, 0, 9_000_000) == 1704


def test_a_sync_to_a_new_day_adds_that_days_xp(client, app):
    user = make_user("newday")
    token = make_token(user)
    sync(client, token, [record("d1", inputTokens=1_000_000, outputTokens=0, at="2025-06-01T12:00:00Z")])
    assert xp_by_kind(user.id)["tokens"] == 1312
    body = sync(client, token, [record("d2", inputTokens=1_000_000, outputTokens=0, at="2025-06-02T12:00:00Z")])
    assert xp_by_kind(user.id)["tokens"] == 2 * 1312
    assert xp_by_kind(user.id)["active_days"] == 1_000
    assert body["xpGained"] >= 13.12 + 5


def test_token_xp_follows_the_users_local_days(client, app):
    # 23:30 and 00:30 in Los Angeles are two local days though both are 2025-06-02 in UTC
    user = make_user("angeleno", timezone="America/Los_Angeles")
    sync(client, make_token(user), [record("late", inputTokens=1_000_000, outputTokens=0, at="2025-06-02T06:30:00Z"),
                                    record("early", inputTokens=1_000_000, outputTokens=0, at="2025-06-02T07:30:00Z")])
    assert xp_by_kind(user.id)["tokens"] == 2 * 1312
    utc = make_user("utc")
    sync(client, make_token(utc), [record("late", inputTokens=1_000_000, outputTokens=0, at="2025-06-02T06:30:00Z"),
                                   record("early", inputTokens=1_000_000, outputTokens=0, at="2025-06-02T07:30:00Z")])
    assert xp_by_kind(utc.id)["tokens"] == rules.day_tokens_xp_centi(2_000_000) == 1512


def test_months_of_history_in_one_sync_give_true_streaks(client, app):
    tz = "America/Los_Angeles"
    user = make_user("historian", timezone=tz)
    with freeze_time(NOW):
        today = rules.local_today(tz, NOW)
        older = [today - timedelta(days=n) for n in range(131, 61, -1)]  # 70 days in a row
        recent = [today - timedelta(days=n) for n in range(60, 0, -1)]   # a missed day, then 60 up to yesterday
        body = sync(client, make_token(user), daily(older + recent, tz))
    u = fresh(user.id)
    assert (u.current_streak, u.longest_streak, u.last_active_day) == (60, 70, today - timedelta(days=1))
    assert {f"streak-{n}" for n in (3, 7, 14, 21, 30, 60)} <= set(body["achievements"])
    assert "streak-100" not in body["achievements"] and "active-100" in body["achievements"]  # 130 active days
    assert xp_by_kind(user.id)["streak"] == 100 * (10 + 25 + 50 + 100 + 200)  # 3, 7, 14, 30 and 60 days
    milestones = rows(Activity, user.id, "streak_milestone")
    assert [a.data for a in milestones] == [{"streak": 60}]  # the highest one reached, not a burst of five
    assert [n.data for n in rows(Notification, user.id, "streak_milestone")] == [{"streak": 60}]


def test_streak_days_are_the_users_local_days(client, app):
    user = make_user("kiwi", timezone="Pacific/Tongatapu")  # UTC+13
    batch = [record("1", at="2025-03-01T10:59:59Z"), record("2", at="2025-03-01T11:00:00Z"),  # 23:59:59, 00:00
             record("3", at="2025-03-02T11:00:00Z")]
    with freeze_time("2025-03-03T12:00:00Z"):
        sync(client, make_token(user), batch)
    u = fresh(user.id)
    assert (u.current_streak, u.longest_streak, u.last_active_day) == (3, 3, date(2025, 3, 3))


def test_a_leap_day_counts_and_unlocks_leap_day(client, app):
    user = make_user("leaper")
    with freeze_time("2024-03-01T18:00:00Z"):
        body = sync(client, make_token(user), daily([date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)], "UTC"))
    assert {"leap-day", "streak-3"} <= set(body["achievements"])
    assert fresh(user.id).current_streak == 3


def test_unlocks_create_one_activity_and_one_notification_each(client, app):
    user = make_user("dave")
    token = make_token(user)
    body = sync(client, token, [record("x", cacheReadTokens=2_000_000)])
    activities = rows(Activity, user.id, "achievement_unlocked")
    assert sorted(a.data["achievementId"] for a in activities) == sorted(body["achievements"])
    assert activities[0].data == {"achievementId": activities[0].data["achievementId"],
                                  "achievementName": BY_ID[activities[0].data["achievementId"]].name,
                                  "achievementIcon": BY_ID[activities[0].data["achievementId"]].icon}
    notes = rows(Notification, user.id, "achievement_unlocked")
    first = next(n for n in notes if n.data["achievementId"] == "first-sync")
    assert (first.title, first.message, first.read) == ("Achievement Unlocked!",
                                                         "You unlocked the First Sync achievement", False)
    assert len(notes) == len(activities)
    level_ups = rows(Activity, user.id, "level_up")
    assert [a.data for a in level_ups] == [{"level": body["newLevel"], "title": rules.level_title(body["newLevel"])}]
    assert [n.message for n in rows(Notification, user.id, "level_up")] == [
        f"You reached level {body['newLevel']}: {rules.level_title(body['newLevel'])}"]
    sync(client, token, [record("x", cacheReadTokens=2_000_000)])
    evaluate(user.id)
    assert len(rows(Activity, user.id)) == len(activities) + 1 and len(rows(Notification, user.id)) == len(notes) + 1


def test_social_and_profile_conditions_are_measured(client, app):
    from burntop.models import Follow

    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol", is_public=False)
    db.session.add_all([Follow(follower_id=bob.id, followee_id=alice.id, status="accepted"),
                        Follow(follower_id=carol.id, followee_id=alice.id, status="pending"),
                        Follow(follower_id=alice.id, followee_id=carol.id, status="pending")])
    alice.name, alice.bio, alice.location, alice.website = "Alice", "Codes", "Lisbon", "https://alice.dev"
    alice.public_api_enabled = True
    db.session.commit()
    outcome = evaluate(alice.id)
    assert {"first-follower", "full-profile", "open-book"} <= set(outcome.unlocked)
    assert "first-follow" not in outcome.unlocked  # a pending request is not a follow yet
    assert "first-follow" in evaluate(bob.id).unlocked


def test_referrals_pay_three_levels_exactly_once(app):
    from burntop.gamification.evaluate import evaluate_referrers
    from burntop.models import Referral

    chain = [make_user(f"ref-{i}") for i in range(5)]  # ref-0 referred ref-1, who referred ref-2, ...
    db.session.add_all(Referral(referrer_id=a.id, referred_id=b.id) for a, b in zip(chain, chain[1:]))
    db.session.commit()
    outcomes = evaluate_referrers(chain[4].id)
    assert list(outcomes) == [chain[3].id, chain[2].id, chain[1].id]
    evaluate(chain[0].id)
    evaluate(chain[0].id)
    assert xp_by_kind(chain[0].id)["referral"] == 2500 + 625 + 250  # ref-4 is four levels down: nothing
    assert "first-referral" in unlocked(chain[0].id)
    assert rules.xp_value(fresh(chain[0].id).xp_centi) == 33.75 + BY_ID["first-referral"].xp_reward
    assert xp_by_kind(chain[3].id)["referral"] == 2500


def test_a_referral_cycle_pays_nobody_twice(app):
    from burntop.models import Referral

    a, b = make_user("loop-a"), make_user("loop-b")
    db.session.add_all([Referral(referrer_id=a.id, referred_id=b.id), Referral(referrer_id=b.id, referred_id=a.id)])
    db.session.commit()
    evaluate(a.id)
    assert xp_by_kind(a.id)["referral"] == 2500


def test_login_streak_badges_are_awarded_once(app):
    from burntop.gamification.evaluate import record_login

    user = make_user("visitor", timezone="America/Los_Angeles")
    start = datetime(2025, 6, 1, 19, 0, tzinfo=timezone.utc)
    seen = []
    for day in range(31):
        visit = record_login(user.id, start + timedelta(days=day))
        again = record_login(user.id, start + timedelta(days=day, hours=2))  # same local day
        assert again.streak == visit.streak and again.badge_awarded is None
        seen.append((visit.streak, visit.badge_awarded))
    assert [s for s, _ in seen] == list(range(1, 32))
    assert {day + 1: badge for day, (_, badge) in enumerate(seen) if badge} == {7: "login-streak-7",
                                                                                30: "login-streak-30"}
    after_gap = record_login(user.id, start + timedelta(days=33))
    assert (after_gap.streak, after_gap.badge_awarded) == (1, None)
    assert fresh(user.id).last_login_day == date(2025, 7, 4)


def test_demo_seed_evaluates_its_users(runner, app):
    runner.invoke(args=["demo", "seed"])
    demo = db.session.scalars(select(User).where(User.is_demo.is_(True))).all()
    assert demo and all(u.xp_centi > 0 and u.level > 1 and u.longest_streak > 0 for u in demo)
    # 2-4 months of 2-4M tokens a day (mostly cache reads): levels 13-17 on the per-day token curve, where
    # 1 XP per 10,000 raw tokens made them 25-48
    assert all(10 <= u.level <= 20 for u in demo), [(u.username, u.level) for u in demo]
    assert all("first-sync" in unlocked(u.id) for u in demo)


def _push_concurrently(live_server: str, token: str, batches: list[list[dict]]) -> list[dict]:
    import requests

    barrier = threading.Barrier(len(batches))
    results: list = [None] * len(batches)

    def push(slot: int) -> None:
        barrier.wait()
        results[slot] = requests.post(f"{live_server}/api/sync", json={"records": batches[slot]},
                                      headers=auth(token), timeout=60).json()

    threads = [threading.Thread(target=push, args=(slot,)) for slot in range(len(batches))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.parametrize("rounds", [1, 2])
def test_concurrent_overlapping_syncs_award_like_a_sequential_run(app, live_server, client, rounds):
    today = datetime.now(timezone.utc).date()
    days = [today - timedelta(days=n) for n in range(20, 4, -1)]
    shared = [record(f"s-{d}", at=f"{d}T12:00:00Z", cacheReadTokens=700_000) for d in days]
    laptop = [record(f"l-{i}", at=f"{days[0]}T13:00:00Z", source="codex", model="gpt-5") for i in range(30)]
    desktop = [record(f"d-{i}", at=f"{days[-1]}T14:00:00Z", model="claude-opus-4-1-20250805") for i in range(30)]
    batches = [shared + laptop, list(reversed(shared)) + desktop]

    racer = make_user("racer")
    racer_token = make_token(racer)
    results = [r for _ in range(rounds) for r in _push_concurrently(live_server, racer_token, batches)]
    assert all(r["success"] for r in results)

    steady = make_user("steady")
    steady_token = make_token(steady)
    sequential = [sync(client, steady_token, batch) for batch in batches]

    raced = [a for r in results for a in r["achievements"]]
    assert len(raced) == len(set(raced))  # no achievement reported by two requests
    assert set(raced) == unlocked(racer.id) == unlocked(steady.id) == {a for r in sequential for a in r["achievements"]}
    assert fresh(racer.id).xp_centi == fresh(steady.id).xp_centi
    assert fresh(racer.id).level == fresh(steady.id).level
    assert xp_by_kind(racer.id) == xp_by_kind(steady.id)
    assert (fresh(racer.id).longest_streak, fresh(racer.id).current_streak) == (16, 0)
    racer_feed = rows(Activity, racer.id, "achievement_unlocked")
    assert sorted(a.data["achievementId"] for a in racer_feed) == sorted(raced)
    assert len(rows(Notification, racer.id, "achievement_unlocked")) == len(raced)
    assert [a.data for a in rows(Activity, racer.id, "streak_milestone")] == [{"streak": 14}]
    assert len(rows(Notification, racer.id, "streak_milestone")) == 1
    levels = [a.data["level"] for a in rows(Activity, racer.id, "level_up")]
    assert len(levels) == len(set(levels)) and max(levels) == fresh(racer.id).level


def test_evaluations_of_one_user_run_one_after_another(app):
    from burntop.gamification.evaluate import _lock_user

    user_id = make_user("queued").id
    evaluate(user_id)
    holding, release, finished = threading.Event(), threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        with app.app_context():
            _lock_user(user_id)
            holding.set()
            release.wait(10)
            db.session.rollback()

    def evaluate_meanwhile() -> None:
        with app.app_context():
            evaluate(user_id)
            finished.set()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    assert holding.wait(10)
    waiter = threading.Thread(target=evaluate_meanwhile)
    waiter.start()
    assert not finished.wait(0.5)  # blocked behind the first evaluation
    release.set()
    assert finished.wait(10)
    holder.join(10)
    waiter.join(10)


def test_the_best_day_counts_cache_reads(client, app):
    user = make_user("reader")
    body = sync(client, make_token(user), [record("c", inputTokens=0, outputTokens=0, cacheReadTokens=1_000_000)])
    assert "big-day" in body["achievements"]  # 1,000,000 tokens in one day, all of them cache reads


def test_xp_from_totals_never_shrinks(client, app):
    from burntop.models import DailyRollup

    user = make_user("keeper")
    sync(client, make_token(user), [record("big", inputTokens=2_000_000, outputTokens=0, at="2025-06-01T12:00:00Z"),
                                    record("more", inputTokens=1_000_000, outputTokens=0, at="2025-06-02T12:00:00Z")])
    assert xp_by_kind(user.id)["tokens"] == 1512 + 1312 and xp_by_kind(user.id)["active_days"] == 1_000
    before = fresh(user.id).xp_centi
    # Totals that went down (rollups rebuilt from fewer records) leave the XP already earned as it is.
    db.session.execute(DailyRollup.__table__.delete().where(DailyRollup.day == date(2025, 6, 2)))
    db.session.commit()
    evaluate(user.id)
    assert xp_by_kind(user.id)["tokens"] == 1512 + 1312 and xp_by_kind(user.id)["active_days"] == 1_000
    assert fresh(user.id).xp_centi == before
