"""The one-time recompute of token XP under the per-day curve (rules.day_tokens_xp_centi, issue 12).

Token XP used to be 1 XP per 10,000 raw tokens of the all-time total; it is now a curve per local day.
Evaluation only ever raises the token ledger row (a normal sync never lowers XP), so existing users
keep their old amount until this job replaces it, once:

- migration 0009_xp_curve records one `xp-curve` pending job per user (burntop.pending), which the
  sweeper dispatches within minutes; `flask --app app xp recompute` runs every one still pending now;
- the job, under the user's evaluation lock, deletes the user's `tokens` ledger row and evaluates: the
  row comes back as the curve's sum over the user's days, and users.xp_centi and level follow the
  ledger. It clears its pending row in the same transaction, so it runs once; run again, it finds the
  same sum and changes nothing.

What the user sees: XP and level may go down, once. Achievements, streak milestones, referral XP and
past level-up feed rows stay; nothing is written to the public feed. When the XP changed, the user gets
one `xp_recomputed` notification with the figures before and after, which the achievements page shows.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from burntop import pending
from burntop.database import insert
from burntop.extensions import db
from burntop.format import number
from burntop.gamification import rules
from burntop.gamification.evaluate import NOTHING, Outcome, change_and_evaluate
from burntop.models import Notification, PendingJob, User, XpEvent
from burntop.models.types import utcnow

KIND = "xp-curve"
NOTE_TYPE = "xp_recomputed"


def note_message(xp_before_centi: int, xp_after_centi: int, level_before: int, level_after: int) -> str:
    """The words of the notification (the achievements page shows them too)."""
    before, after = (number(rules.xp_value(c), 2) for c in (xp_before_centi, xp_after_centi))
    return (f"XP recomputed under the new token curve: {before} → {after} XP, level {level_before} → "
            f"{level_after}. Token XP now has diminishing returns per day; your achievements stay unlocked.")


def _record_note(user_id: int, before: tuple[int, int], outcome: Outcome, now: datetime) -> None:
    xp_before, level_before = before
    if outcome.xp_centi == xp_before:
        return
    level_after = rules.level_for_xp(outcome.xp_centi)
    data = {"xpBefore": rules.xp_value(xp_before), "xpAfter": rules.xp_value(outcome.xp_centi),
            "levelBefore": level_before, "levelAfter": level_after}
    message = note_message(xp_before, outcome.xp_centi, level_before, level_after)
    db.session.execute(insert(Notification.__table__).on_conflict_do_nothing(index_elements=["dedupe_key"]), [{
        "user_id": user_id, "type": NOTE_TYPE, "title": "XP recomputed", "message": message,
        "data": data, "read": False, "dedupe_key": f"{NOTE_TYPE}:{user_id}", "created_at": now}])


@pending.handler(KIND, key=int)
def recompute_user(user_id: int, now: datetime | None = None) -> Outcome:
    """Replace the user's token XP with the curve's sum over their days and re-evaluate. Commits."""
    now = now or utcnow()
    if db.session.get(User, user_id) is None:  # deleted since
        pending.done(KIND, user_id)
        db.session.commit()
        return NOTHING

    def replace_token_xp() -> tuple[int, int]:
        before = db.session.execute(select(User.xp_centi, User.level).where(User.id == user_id)).one()
        db.session.execute(delete(XpEvent).where(XpEvent.user_id == user_id, XpEvent.key == "tokens"))
        pending.done(KIND, user_id)
        return int(before[0]), int(before[1])

    return change_and_evaluate(user_id, replace_token_xp, now,
                               then=lambda before, outcome: _record_note(user_id, before, outcome, now))[1]


def recompute_pending() -> int:
    """Run every recompute still pending, here and now; returns how many ran."""
    keys = db.session.scalars(select(PendingJob.key).where(PendingJob.kind == KIND)).all()
    db.session.rollback()
    for key in keys:
        pending.run(KIND, key)
    return len(keys)


def latest_note(user_id: int) -> Notification | None:
    """The user's recompute notification, if the recompute changed their XP."""
    return db.session.scalar(select(Notification).where(Notification.user_id == user_id,
                                                        Notification.type == NOTE_TYPE).limit(1))
