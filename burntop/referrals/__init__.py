"""Referrals (spec 000): codes, clicks counted once per visitor address an hour, the referral graph, its stats."""
from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from burntop.extensions import db
from burntop.gamification import evaluate
from burntop.gamification.rules import MAX_REFERRAL_DEPTH, xp_value
from burntop.gamification.snapshot import _referral_tree
from burntop.models import Follow, Referral, ReferralClick, UsageRecord, User, XpEvent
from burntop.models.types import utcnow
from burntop.referrals import rules
from burntop.database import insert as _insert


class ReferralError(Exception):
    """A referral the rules refuse; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def normalize_code(code: str) -> str:
    """Codes are issued in upper case; people type them in any case."""
    return code.strip().upper()


def referrer_by_code(code: str) -> User | None:
    return db.session.scalar(select(User).where(User.referral_code == normalize_code(code)))


def visitor_hash(secret: str, ip: str) -> str:
    """Who clicked, as a keyed hash of their IP address: the address cannot be read back from it.

    Not the User-Agent too: changing it is free, so it would let one visitor count as many."""
    return hmac.new(secret.encode(), f"referral-visitor\n{ip}".encode(), hashlib.sha256).hexdigest()


def record_click(referrer_id: int, visitor: str, now: datetime | None = None) -> bool:
    """Count a click on a referral link once per visitor address and clock hour; True when this call
    counted it. Commits."""
    now = now or utcnow()
    table = ReferralClick.__table__
    stmt = (_insert(table).values(referrer_id=referrer_id, visitor_hash=visitor, converted=False, created_at=now,
                                  hour=now.replace(minute=0, second=0, microsecond=0))
            .on_conflict_do_nothing(index_elements=["referrer_id", "visitor_hash", "hour"]).returning(table.c.id))
    counted = db.session.execute(stmt).first() is not None
    db.session.commit()
    return counted


def referrer_of(user_id: int) -> int | None:
    return db.session.scalar(select(Referral.referrer_id).where(Referral.referred_id == user_id))


def _has_usage(user_id: int) -> bool:
    return db.session.scalar(select(UsageRecord.id).where(UsageRecord.user_id == user_id).limit(1)) is not None


def _serialize_referral_writes(user_id: int) -> None:
    """Let one referral be written at a time, so two concurrent ones cannot each pass the loop check and
    close a loop together."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE referrals IN SHARE ROW EXCLUSIVE MODE"))
    else:  # SQLite has one writer: taking the write lock before reading serializes the same way
        users = User.__table__
        db.session.execute(users.update().where(users.c.id == user_id).values(level=users.c.level))


def _check_and_insert(user_id: int, code: str, visitor: str, now: datetime) -> None:
    _serialize_referral_writes(user_id)
    referrer = referrer_by_code(code)
    if referrer is None:
        raise ReferralError(404, "No one has that referral code.")
    if referrer.id == user_id:
        raise ReferralError(400, "You cannot use your own referral code.")
    if referrer_of(user_id) is not None:
        raise ReferralError(409, "This account already has a referrer.")
    user = db.session.get(User, user_id)
    if not rules.is_new_account(user.created_at, _has_usage(user_id), now):
        raise ReferralError(400, "Only a new account (created in the last 24 hours, nothing synced yet) "
                                 "can use a referral code.")
    if rules.closes_loop(user_id, referrer.id, referrer_of):
        raise ReferralError(400, "That referral would make a loop: this account is already above "
                                 f"{referrer.username} in the referral chain.")
    db.session.add(Referral(referrer_id=referrer.id, referred_id=user_id, created_at=now))
    latest_click = select(func.max(ReferralClick.id)).where(ReferralClick.referrer_id == referrer.id,
                                                            ReferralClick.visitor_hash == visitor).scalar_subquery()
    db.session.execute(update(ReferralClick).where(ReferralClick.id == latest_click).values(converted=True))
    db.session.flush()


def track_referral(user_id: int, code: str, visitor: str, now: datetime | None = None) -> dict[str, int | float]:
    """Record that the referral code's owner referred this new account, pay the (up to three) people above
    it, and return the XP each level actually received. Raises ReferralError. Commits."""
    now = now or utcnow()
    try:
        _check_and_insert(user_id, code, visitor, now)
        db.session.commit()
    except IntegrityError:  # referred_id is unique: a concurrent second track lost the race
        db.session.rollback()
        raise ReferralError(409, "This account already has a referrer.") from None
    except BaseException:
        db.session.rollback()
        raise
    evaluate.evaluate_referrers(user_id, now)
    return xp_awarded(user_id)


def xp_awarded(referred_id: int) -> dict[str, int | float]:
    """XP the ledger holds for this referral per level above the referred person; 0 for a level nobody fills."""
    chain = rules.upline(referred_id, referrer_of, MAX_REFERRAL_DEPTH)
    paid = dict(db.session.execute(select(XpEvent.user_id, XpEvent.amount_centi).where(
        XpEvent.user_id.in_(chain), XpEvent.key == f"referral:{referred_id}")).all()) if chain else {}
    levels = {f"level{depth}": 0 for depth in range(1, MAX_REFERRAL_DEPTH + 1)}
    levels.update({f"level{depth}": xp_value(paid.get(user_id, 0)) for depth, user_id in enumerate(chain, 1)})
    return levels


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _referred_json(user: User, depth: int, visible: bool) -> dict:
    # A private person shows only username, name and avatar to someone who is not an accepted follower.
    return {"userId": str(user.id), "username": user.username, "name": user.name, "image": user.image,
            "level": user.level if visible else None, "joinedAt": _iso(user.created_at) if visible else None,
            "referralLevel": depth}


def referral_stats(user_id: int) -> dict:
    """spec 000's GET /api/referrals/stats: people referred per level, XP earned, who they are, clicks."""
    tree = _referral_tree(user_id)
    ids = [referred for referred, _ in tree]
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    following = set(db.session.scalars(select(Follow.followee_id).where(
        Follow.follower_id == user_id, Follow.status == "accepted", Follow.followee_id.in_(ids)))) if ids else set()
    per_level = Counter(depth for _, depth in tree)
    clicks, converted = db.session.execute(select(
        func.count(ReferralClick.id), func.count(ReferralClick.id).filter(ReferralClick.converted.is_(True)))
        .where(ReferralClick.referrer_id == user_id)).one()
    earned = evaluate.xp_by_kind(user_id).get("referral", 0)
    return {
        "totalReferrals": {f"level{depth}": per_level[depth] for depth in range(1, MAX_REFERRAL_DEPTH + 1)},
        "totalXpEarned": xp_value(earned),
        "referredUsers": [_referred_json(people[i], depth, people[i].is_public or i in following)
                          for i, depth in tree if i in people],
        "clickStats": {"total": clicks, "converted": converted,
                       "conversionRate": rules.conversion_rate(clicks, converted)},
    }
