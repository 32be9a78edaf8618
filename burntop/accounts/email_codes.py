"""Email sign-in codes: six digits, stored as HMACs, valid 10 minutes, 5 attempts, throttled sends.

Throttles (counted from the email_codes rows, so they hold across processes without Redis):
one code per email per 60 seconds, 5 per email per hour, 20 per client IP per hour. Sends for the same
email or IP are serialised by a database lock, so concurrent requests cannot all pass the check.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from burntop import mail
from burntop.accounts.users import UsernameError, check_username, create_user, username_taken
from burntop.database import serialize
from burntop.extensions import db
from burntop.models import EmailCode, User
from burntop.models.types import utcnow

log = logging.getLogger(__name__)

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
RESEND_GAP = timedelta(seconds=60)
WINDOW = timedelta(hours=1)
PER_EMAIL_PER_WINDOW = 5
PER_IP_PER_WINDOW = 20
# Deliberately loose: the code itself proves the address; this only rejects what cannot be one.
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
CODE_RE = re.compile(r"^[0-9]{6}$")
THROTTLE_MESSAGES = {
    "gap": "A code was just sent to this address.",
    "email": "Too many codes were sent to this address.",
    "ip": "Too many codes were asked for from your network.",
}


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


class Throttled(Exception):
    """Too many codes asked for: kind is "gap" (one was just sent), "email" or "ip"; retry_after in seconds."""

    def __init__(self, kind: str, retry_after: int):
        self.kind = kind
        self.retry_after = retry_after
        super().__init__(f"{THROTTLE_MESSAGES[kind]} Try again in {_duration(retry_after)}.")


class CodeRejected(Exception):
    """The code does not sign in; reason is "wrong", "expired" or "attempts"."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def normalize_email(raw) -> str:
    """Return the address trimmed and lowercased, or raise ValueError if it cannot be an email."""
    email = raw.strip().lower() if isinstance(raw, str) else ""
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise ValueError("Enter a valid email address.")
    return email


def generate_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def keyed_digest(secret: str, *parts: str) -> str:
    """HMAC-SHA256 of the parts under the app's secret: codes and IPs are never stored in clear."""
    return hmac.new(secret.encode(), "\x00".join(parts).encode(), hashlib.sha256).hexdigest()


def throttle_wait(email_sends: list[datetime], ip_sends: list[datetime], now: datetime) -> tuple[int, str]:
    """Whole seconds to wait before another code may be sent (0: now), and which throttle applies."""
    waits = [(timedelta(0), "")]
    by_email = sorted(t for t in email_sends if now - t < WINDOW)
    by_ip = sorted(t for t in ip_sends if now - t < WINDOW)
    if by_email and now - by_email[-1] < RESEND_GAP:
        waits.append((RESEND_GAP - (now - by_email[-1]), "gap"))
    if len(by_email) >= PER_EMAIL_PER_WINDOW:
        waits.append((WINDOW - (now - by_email[-PER_EMAIL_PER_WINDOW]), "email"))
    if len(by_ip) >= PER_IP_PER_WINDOW:
        waits.append((WINDOW - (now - by_ip[-PER_IP_PER_WINDOW]), "ip"))
    wait, kind = max(waits, key=lambda w: w[0])
    return math.ceil(wait.total_seconds()), kind


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _send_times(column, value: str, since: datetime) -> list[datetime]:
    return list(db.session.scalars(select(EmailCode.created_at).where(column == value, EmailCode.created_at > since)))


def request_code(email: str, ip: str) -> None:
    """Create a code for email and send it; raise Throttled or mail.MailUnavailable."""
    if not mail.can_send():
        raise mail.MailUnavailable("email is not configured on this server")
    ip_hash = keyed_digest(_secret(), "ip", ip or "unknown")
    # Checking the throttles and inserting the code is one step: parallel sends wait here in turn.
    db.session.commit()  # a fresh transaction, so the lock is its first statement
    serialize(EmailCode.__table__, f"email-code:email:{email}", f"email-code:ip:{ip_hash}")
    now = utcnow()
    wait, kind = throttle_wait(_send_times(EmailCode.email, email, now - WINDOW),
                               _send_times(EmailCode.ip_hash, ip_hash, now - WINDOW), now)
    if wait:
        db.session.rollback()
        raise Throttled(kind, wait)
    code = generate_code()
    row = EmailCode(email=email, code_hash=keyed_digest(_secret(), "code", email, code), ip_hash=ip_hash,
                    attempts=0, expires_at=now + CODE_TTL, created_at=now)
    db.session.add(row)
    db.session.commit()
    try:
        mail.send_sign_in_code(email, code, int(CODE_TTL.total_seconds() // 60))
    except mail.MailUnavailable:
        # An undelivered code should not count against the person's resend allowance.
        db.session.execute(delete(EmailCode).where(EmailCode.id == row.id))
        db.session.commit()
        raise


def check_code(email: str, code: str) -> None:
    """Consume the latest code sent to email if `code` matches it; else raise CodeRejected."""
    code = (code or "").strip()
    now = utcnow()
    # Only the newest code counts: asking for another one retires the ones before it.
    row = db.session.execute(
        select(EmailCode.id, EmailCode.code_hash, EmailCode.expires_at, EmailCode.used_at, EmailCode.attempts)
        .where(EmailCode.email == email).order_by(EmailCode.created_at.desc(), EmailCode.id.desc()).limit(1)
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise CodeRejected("expired", "This code has expired or was already used. Ask for a new one.")
    # Counting the attempt in the same statement that checks the limit keeps parallel guesses honest.
    counted = db.session.execute(
        update(EmailCode).where(EmailCode.id == row.id, EmailCode.attempts < MAX_ATTEMPTS,
                                EmailCode.used_at.is_(None)).values(attempts=EmailCode.attempts + 1)
    ).rowcount
    db.session.commit()
    if not counted:
        raise CodeRejected("attempts", "Too many wrong attempts. Ask for a new code.")
    if not (CODE_RE.match(code) and hmac.compare_digest(row.code_hash, keyed_digest(_secret(), "code", email, code))):
        left = MAX_ATTEMPTS - row.attempts - 1
        if left <= 0:
            raise CodeRejected("attempts", "That code is wrong, and that was the last attempt. Ask for a new code.")
        raise CodeRejected("wrong", f"That code is wrong. {left} attempt{'s' if left != 1 else ''} left.")
    used = db.session.execute(
        update(EmailCode).where(EmailCode.id == row.id, EmailCode.used_at.is_(None)).values(used_at=now)
    ).rowcount
    db.session.commit()
    if not used:
        raise CodeRejected("expired", "This code was already used. Ask for a new one.")


def purge_codes(older_than: timedelta = timedelta(days=1)) -> int:
    """Delete code rows past any throttle window; return how many (for a periodic job)."""
    result = db.session.execute(delete(EmailCode).where(EmailCode.created_at < utcnow() - older_than))
    db.session.commit()
    return result.rowcount


def available_username(seed: str) -> str:
    """A valid, unused username close to seed (an email's local part, a GitHub login)."""
    base = re.sub(r"[^a-z0-9_-]+", "-", (seed or "").lower()).strip("-_")[:30].strip("-_")
    if len(base) < 3:
        base = f"{base}-dev" if base else "dev"
    candidates = [base] + [f"{base}-{secrets.randbelow(9000) + 1000}" for _ in range(8)]
    for candidate in candidates + [f"{base}-{secrets.token_hex(4)}"]:
        try:
            check_username(candidate)
        except UsernameError:
            continue
        if not username_taken(candidate):
            return candidate
    raise RuntimeError(f"no free username near {seed!r}")


def create_account(seed: str, **fields) -> User:
    """Create and commit a user named after seed, retrying if a parallel sign-up took the name."""
    for _ in range(3):
        user = create_user(available_username(seed), **fields)
        try:
            db.session.commit()
            return user
        except IntegrityError:
            db.session.rollback()
    raise RuntimeError("could not create an account")


def user_for_email(email: str, zone: str | None = None) -> User:
    """The account a proven email signs into: the account that verified it, else a new one (in
    zone, when the sign-in form brought a valid one from the browser)."""
    holder = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if holder is not None and holder.email_verified:
        return holder
    if holder is not None:
        # The holder never proved this address, so it is not theirs to keep: the person who just did
        # gets it on a new account, and nothing of the holder's account is reachable through it.
        log.warning("user %s loses unverified email to a verified sign-in", holder.id)
        holder.email = None
        db.session.commit()
    fields = {"timezone": zone} if zone else {}
    return create_account(email.split("@", 1)[0], email=email, email_verified=True, **fields)
