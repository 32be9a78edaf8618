"""The one-time recompute of token XP under the per-day curve: migration 0009_xp_curve, the pending job,
the `flask xp recompute` command, and what the user sees (lower XP and level, once, with a note)."""
from __future__ import annotations

from datetime import datetime, timezone

from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, update

from burntop import pending
from burntop.extensions import db
from burntop.gamification import rules
from burntop.gamification.evaluate import evaluate, xp_by_kind
from burntop.gamification.recompute import KIND, NOTE_TYPE, recompute_pending, recompute_user
from burntop.models import AchievementUnlock, Activity, Notification, PendingJob, User, XpEvent
from tests.factories import auth, make_token, make_user, record, sign_in

NOW = datetime(2025, 6, 20, 12, 0, tzinfo=timezone.utc)
# 9 days of 200M tokens each (10M fresh, 190M cache reads in 19 records): the old rule paid 20,000 XP a day
HEAVY_DAYS = 9


def heavy_records() -> list[dict]:
    return [record(f"h{day}-{i}", inputTokens=1_000_000 if i < 10 else 0, outputTokens=0, cacheReadTokens=10_000_000,
                   at=f"2025-06-{day:02d}T{i:02d}:00:00Z") for day in range(1, HEAVY_DAYS + 1) for i in range(19)]


def old_rule_user(client, username: str = "veteran") -> User:
    """A user whose ledger still holds token XP from the old rule (1 XP per 10,000 raw tokens, all-time)."""
    user = make_user(username)
    response = client.post("/api/sync", json={"records": heavy_records()}, headers=auth(make_token(user)))
    assert response.status_code == 200, response.get_json()
    old_tokens_xp_centi = HEAVY_DAYS * 200_000_000 * 100 // 10_000
    db.session.execute(update(XpEvent).where(XpEvent.user_id == user.id, XpEvent.key == "tokens")
                       .values(amount_centi=old_tokens_xp_centi))
    db.session.commit()
    evaluate(user.id, NOW)  # evaluation keeps the greater amount: the old XP stays until the recompute
    return user


def fresh(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def notes(user_id: int) -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user_id,
                                                              Notification.type == NOTE_TYPE)))


def test_a_normal_evaluation_never_lowers_old_xp(client, app):
    user = old_rule_user(client)
    assert xp_by_kind(user.id)["tokens"] == 18_000_000
    evaluate(user.id, NOW)
    assert xp_by_kind(user.id)["tokens"] == 18_000_000 and fresh(user.id).level == 88


def test_the_recompute_replaces_token_xp_once_and_says_so(client, app):
    user = old_rule_user(client)
    before = fresh(user.id)
    xp_before, level_before = before.xp_centi, before.level
    kinds_before = xp_by_kind(user.id)
    unlocks_before = set(db.session.scalars(select(AchievementUnlock.achievement_id)
                                            .where(AchievementUnlock.user_id == user.id)))
    level_ups_before = db.session.scalar(select(func.count()).select_from(Activity).where(
        Activity.user_id == user.id, Activity.type == "level_up"))
    pending.record(KIND, user.id)
    db.session.commit()

    outcome = recompute_user(user.id, NOW)

    # 200M tokens a day, 10M fresh + 190M cache reads: 29M weighted, 2 x (1 + 10 + 426/1,024) = 22.83 XP a day
    per_day = rules.day_tokens_xp_centi(10_000_000, 0, 190_000_000)
    assert per_day == 2283
    assert xp_by_kind(user.id)["tokens"] == HEAVY_DAYS * per_day == 20_547
    after = fresh(user.id)
    assert after.xp_centi == xp_before - kinds_before["tokens"] + 20_547 == outcome.xp_centi
    assert after.level == rules.level_for_xp(after.xp_centi) < level_before
    assert not outcome.leveled_up and not pending.is_pending(KIND, user.id)
    # everything else stays: achievements, streak milestones, active days, the feed's past level-ups
    assert {k: v for k, v in xp_by_kind(user.id).items() if k != "tokens"} == {
        k: v for k, v in kinds_before.items() if k != "tokens"}
    assert set(db.session.scalars(select(AchievementUnlock.achievement_id)
                                  .where(AchievementUnlock.user_id == user.id))) == unlocks_before
    assert db.session.scalar(select(func.count()).select_from(Activity).where(
        Activity.user_id == user.id, Activity.type == "level_up")) == level_ups_before
    [note] = notes(user.id)
    assert note.data == {"xpBefore": rules.xp_value(xp_before), "xpAfter": rules.xp_value(after.xp_centi),
                         "levelBefore": level_before, "levelAfter": after.level}
    assert note.message.startswith(f"XP recomputed under the new token curve: {xp_before // 100:,} → ")
    assert f"level {level_before} → {after.level}." in note.message

    # idempotent: run again (a duplicate job, the command) and nothing changes, no second note
    pending.record(KIND, user.id)
    db.session.commit()
    recompute_user(user.id, NOW)
    assert fresh(user.id).xp_centi == after.xp_centi and len(notes(user.id)) == 1
    # and later syncs raise it again as usual
    evaluate(user.id, NOW)
    assert fresh(user.id).xp_centi == after.xp_centi


def test_a_user_whose_xp_does_not_change_gets_no_note(client, app):
    user = make_user("light")
    client.post("/api/sync", json={"records": [record("l1")]}, headers=auth(make_token(user)))
    xp = fresh(user.id).xp_centi
    pending.record(KIND, user.id)
    db.session.commit()
    recompute_user(user.id, NOW)
    assert fresh(user.id).xp_centi == xp and notes(user.id) == []


def test_a_deleted_user_clears_its_recompute(app):
    pending.record(KIND, 999_999)
    db.session.commit()
    recompute_user(999_999, NOW)
    assert not pending.is_pending(KIND, 999_999)


def test_the_migration_records_one_recompute_per_user_and_the_command_runs_them(client, app, runner):
    veteran = old_rule_user(client).id
    newcomer = make_user("newcomer").id
    db.session.commit()
    db.session.remove()
    downgrade(revision="0008_machines")
    upgrade()
    keys = set(db.session.scalars(select(PendingJob.key).where(PendingJob.kind == KIND)))
    assert keys == {str(veteran), str(newcomer)}
    due = db.session.scalar(select(func.max(PendingJob.next_attempt_at)).where(PendingJob.kind == KIND))
    assert due <= datetime.now(timezone.utc)  # the sweeper dispatches them on its next pass
    db.session.remove()

    result = runner.invoke(args=["xp", "recompute"])
    assert result.exit_code == 0, result.output
    assert result.output == "recomputed the token XP of 2 users\n"
    assert xp_by_kind(veteran)["tokens"] == 20_547 and len(notes(veteran)) == 1
    assert db.session.scalar(select(func.count()).select_from(PendingJob).where(PendingJob.kind == KIND)) == 0
    assert runner.invoke(args=["xp", "recompute"]).output == "recomputed the token XP of 0 users\n"


def test_recompute_pending_runs_only_what_is_pending(client, app):
    user = old_rule_user(client)
    assert recompute_pending() == 0
    assert xp_by_kind(user.id)["tokens"] == 18_000_000  # nothing recorded: nothing replaced
    pending.record(KIND, user.id)
    db.session.commit()
    assert recompute_pending() == 1 and xp_by_kind(user.id)["tokens"] == 20_547


def test_the_achievements_page_explains_the_rule_and_shows_the_note(client, app):
    user = old_rule_user(client)
    sign_in(client, user)
    page = client.get("/achievements").get_data(as_text=True)
    assert "then 2 XP more each time the day" in page and "usage doubles (cache reads count a tenth)" in page
    assert 'id="xp-recomputed"' not in page
    pending.record(KIND, user.id)
    db.session.commit()
    recompute_user(user.id, NOW)
    page = client.get("/achievements").get_data(as_text=True)
    assert 'id="xp-recomputed"' in page and "XP recomputed under the new token curve" in page
    assert "20 Jun 2025" in page
