"""Operator commands through the Flask CLI runner."""
from __future__ import annotations

from sqlalchemy import func, select

from burntop.accounts.tokens import hash_token
from burntop.extensions import db
from burntop.models import ApiToken, DailyRollup, UsageRecord, User
from tests.factories import record


def test_create_user_and_token_then_sync_with_it(runner, client):
    result = runner.invoke(args=["users", "create", "alice", "--email", "a@example.com", "--admin", "--private",
                                 "--timezone", "Europe/Berlin"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "alice"))
    assert (user.is_admin, user.is_public, user.timezone, user.email) == (True, False, "Europe/Berlin", "a@example.com")

    result = runner.invoke(args=["tokens", "create", "alice", "--name", "laptop"])
    assert result.exit_code == 0
    token = result.output.strip()
    assert result.output == token + "\n", "prints only the token"
    assert token.startswith("bt_") and len(token) >= 40
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash == hash_token(token) and token not in (stored.token_hash, stored.prefix)
    assert stored.name == "laptop"

    response = client.post("/api/sync", json={"records": [record()]}, headers={"Authorization": f"Bearer {token}"})
    assert response.get_json()["recordsAdded"] == 1


def test_bad_usernames_and_zones_are_refused(runner):
    for args, words in ((["users", "create", "Al"], "3-39"), (["users", "create", "api"], "reserved"),
                        (["users", "create", "bob", "--timezone", "Mars/Olympus"], "time zone")):
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and words in result.output
    runner.invoke(args=["users", "create", "bob"])
    assert "taken" in runner.invoke(args=["users", "create", "bob"]).output


def test_token_for_unknown_user_fails(runner):
    result = runner.invoke(args=["tokens", "create", "ghost"])
    assert result.exit_code != 0 and "no user" in result.output


def test_demo_seed_goes_through_ingest_and_clear_removes_it(runner):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    demo_users = db.session.scalars(select(User).where(User.is_demo)).all()
    assert len(demo_users) >= 5
    assert any(not u.is_public for u in demo_users) and len({u.timezone for u in demo_users}) >= 5
    records = db.session.scalar(select(func.count()).select_from(UsageRecord))
    rollup_records = db.session.scalar(select(func.sum(DailyRollup.records)))
    assert records > 10_000 and rollup_records == records
    sources = set(db.session.scalars(select(DailyRollup.source).distinct()))
    assert {"claude-code", "codex", "gemini-cli"} <= sources
    days = db.session.scalar(select(func.count(func.distinct(DailyRollup.day))))
    assert days > 60, "months of history"

    assert "skipped" in runner.invoke(args=["demo", "seed", "--if-empty"]).output
    runner.invoke(args=["users", "create", "real-person"])
    assert "removed" in runner.invoke(args=["demo", "clear"]).output
    db.session.expire_all()
    assert [u.username for u in db.session.scalars(select(User))] == ["real-person"]
    assert db.session.scalar(select(func.count()).select_from(UsageRecord)) == 0
    assert db.session.scalar(select(func.count()).select_from(DailyRollup)) == 0
