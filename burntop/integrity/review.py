"""Reading and deciding reviews: the admin queue with its evidence, the owner's notice, an admin's decision."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from blinker import Namespace
from sqlalchemy import select, tuple_, update

from burntop.extensions import db
from burntop.integrity.bounds import RULES, describe
from burntop.integrity.flagging import CLEARED, CONFIRMED, PENDING
from burntop.models import ReviewDay, ReviewFlag, User
from burntop.models.types import utcnow

STATUSES = (PENDING, CONFIRMED, CLEARED)
DECISIONS = {"clear": CLEARED, "confirm": CONFIRMED}
QUEUE_LIMIT = 100
EVIDENCE_LIMIT = 50

signals = Namespace()
# Sent after an admin's decision is committed, with user_id, day and status: a module that keeps public
# figures precomputed (leaderboard snapshots, cards) connects to it and recomputes what it shows.
day_reviewed = signals.signal("day-reviewed")


@dataclass(frozen=True)
class Evidence:
    rule: str
    title: str
    detail: str
    machine_id: str | None
    source: str | None
    model: str | None
    request_id: str | None


def _evidence(flag: ReviewFlag) -> Evidence:
    return Evidence(flag.rule, RULES.get(flag.rule, flag.rule), describe(flag.rule, flag.observed, flag.bound),
                    flag.machine_id, flag.source, flag.model, flag.request_id)


def _flags_by_day(keys: list[tuple[int, date]]) -> dict[tuple[int, date], list[ReviewFlag]]:
    found: dict[tuple[int, date], list[ReviewFlag]] = {key: [] for key in keys}
    if not keys:
        return found
    f = ReviewFlag
    for flag in db.session.scalars(select(f).where(tuple_(f.user_id, f.day).in_(keys)).order_by(f.id)):
        found[(flag.user_id, flag.day)].append(flag)
    return found


def queue(status: str = PENDING) -> list[dict]:
    """Days in a review state, oldest flag first, each with its user and the evidence (at most EVIDENCE_LIMIT)."""
    rows = db.session.execute(
        select(ReviewDay, User.username).join(User, User.id == ReviewDay.user_id)
        .where(ReviewDay.status == status).order_by(ReviewDay.flagged_at, ReviewDay.user_id, ReviewDay.day)
        .limit(QUEUE_LIMIT)).all()
    flags = _flags_by_day([(d.user_id, d.day) for d, _ in rows])
    return [{"user_id": d.user_id, "username": username, "day": d.day, "status": d.status, "flagged_at": d.flagged_at,
             "flags": len(flags[(d.user_id, d.day)]),
             "evidence": [_evidence(flag) for flag in flags[(d.user_id, d.day)][:EVIDENCE_LIMIT]]}
            for d, username in rows]


def days_under_review(user_id: int) -> list[dict]:
    """What the owner is told: each of their days kept off public surfaces, its state and why (newest first)."""
    days = db.session.scalars(select(ReviewDay).where(ReviewDay.user_id == user_id, ReviewDay.status != CLEARED)
                              .order_by(ReviewDay.day.desc())).all()
    flags = _flags_by_day([(user_id, d.day) for d in days])
    result = []
    for d in days:
        reasons = sorted({RULES.get(flag.rule, flag.rule) for flag in flags[(user_id, d.day)]})
        result.append({"day": d.day, "status": d.status, "reasons": reasons})
    return result


def decide(user_id: int, day: date, decision: str, admin_id: int) -> bool:
    """Clear (honest: public again) or confirm (implausible: stays off) a day; False when there is no such day."""
    status = DECISIONS[decision]
    done = db.session.execute(
        update(ReviewDay).where(ReviewDay.user_id == user_id, ReviewDay.day == day)
        .values(status=status, decided_at=utcnow(), decided_by=admin_id)).rowcount
    db.session.commit()
    if done:
        day_reviewed.send(None, user_id=user_id, day=day, status=status)
    return bool(done)
