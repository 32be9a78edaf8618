"""Races made deterministic on PostgreSQL: a lock the test holds pauses one transaction at a known
point, the other runs (or waits) meanwhile, and the outcome shows whether the two were serialised.

Each test fails when the serialisation it covers is removed: the recount's or ingest's user lock, the
referral table lock, or ingest's ON CONFLICT ... RETURNING.
"""
from __future__ import annotations

from datetime import date

import pytest
import requests
from sqlalchemy import func, select

from burntop.extensions import db
from burntop.models import DailyRollup, Referral, UsageRecord
from tests.factories import auth, make_token, make_user, record
from tests.locks import held, in_thread, lock_waits, wait_for

pytestmark = pytest.mark.postgres


def test_a_sync_during_a_recount_waits_for_it(app, live_server):
    from burntop.sync.rebucket import rebucket_user

    user = make_user("mover", timezone="UTC")
    token = make_token(user)
    sync = lambda records: requests.post(f"{live_server}/api/sync", json={"records": records},  # noqa: E731
                                         headers=auth(token), timeout=60)
    assert sync([record("old", at="2025-03-02T07:30:00Z")]).status_code == 200
    assert requests.patch(f"{live_server}/api/users/me", json={"timezone": "America/Los_Angeles"},
                          headers=auth(token), timeout=60).status_code == 200

    def recount():
        with app.app_context():
            return rebucket_user(user.id)

    # The recount has read the records (and holds the user's lock) when it reaches coding_sessions.
    with held("LOCK TABLE coding_sessions IN ACCESS EXCLUSIVE MODE"):
        recounting, _ = in_thread(recount)
        wait_for(lambda: lock_waits("%coding_sessions%"), "the recount to reach coding_sessions")
        syncing, answers = in_thread(lambda: sync([record("new", at="2025-03-03T07:30:00Z")]))
        # Serialised, the sync waits for the user's lock; without the lock it would finish meanwhile.
        wait_for(lambda: len(lock_waits()) >= 2 or answers, "the sync to wait or finish")
    recounting.join(30)
    syncing.join(30)
    assert answers[0].status_code == 200
    db.session.expire_all()
    # Both records counted once, on their Los Angeles days (07:30Z is 23:30 the day before).
    assert db.session.execute(select(DailyRollup.day, DailyRollup.records).order_by(DailyRollup.day)).all() == [
        (date(2025, 3, 1), 1), (date(2025, 3, 2), 1)]


def test_two_accounts_referring_each_other_at_once_cannot_close_a_loop(app, live_server):
    anna, ben = make_user("anna"), make_user("ben")
    tokens = {"anna": make_token(anna), "ben": make_token(ben)}
    codes = {"anna": anna.referral_code, "ben": ben.referral_code}
    track = lambda who, whose_code: requests.post(  # noqa: E731
        f"{live_server}/api/referrals/track", json={"referralCode": codes[whose_code]}, headers=auth(tokens[who]),
        timeout=60)
    # The first claim has checked for loops and written its row when it reaches referral_clicks.
    with held("LOCK TABLE referral_clicks IN ACCESS EXCLUSIVE MODE"):
        first, first_answer = in_thread(lambda: track("ben", "anna"))
        wait_for(lambda: lock_waits("%referral_clicks%"), "the first claim to reach referral_clicks")
        second, second_answer = in_thread(lambda: track("anna", "ben"))
        # Serialised, the second waits before its loop check; unserialised it checks and writes meanwhile.
        wait_for(lambda: len(lock_waits()) >= 2 or second_answer, "the second claim to wait")
    first.join(30)
    second.join(30)
    assert (first_answer[0].status_code, second_answer[0].status_code) == (200, 400)
    assert "loop" in second_answer[0].json()["error"]["message"]
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 1


def test_a_record_inserted_meanwhile_by_another_transaction_is_not_counted_twice(app, live_server):
    user = make_user("racer")
    token = make_token(user)
    # Another transaction has inserted "shared" but not committed: the sync's lookup cannot see it, so
    # only its INSERT ... ON CONFLICT DO NOTHING RETURNING can tell that the row is not its own.
    insert = ("INSERT INTO usage_records (user_id, request_id, timestamp, day, source, model, provider, "
              "input_tokens, output_tokens, cache_creation_tokens, cache_creation_1h_tokens, cache_read_tokens, "
              "reasoning_tokens, cost_nanos, priced, created_at) VALUES "
              f"({user.id}, 'shared', '2025-06-01T12:00:00Z', '2025-06-01', 'claude-code', "
              "'claude-sonnet-4-20250514', 'anthropic', 1000, 500, 0, 0, 0, 0, 0, true, now())")
    with held(insert) as other:
        syncing, answers = in_thread(lambda: requests.post(
            f"{live_server}/api/sync", json={"records": [record("shared"), record("own")]}, headers=auth(token),
            timeout=60))
        wait_for(lambda: lock_waits("%usage_records%"), "the sync's insert to wait for the other transaction")
        other.commit()
    syncing.join(30)
    assert answers[0].json()["recordsAdded"] == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(UsageRecord)) == 2
    assert db.session.scalar(select(func.sum(DailyRollup.records))) == 1  # "own" only
