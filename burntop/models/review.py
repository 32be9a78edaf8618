"""Plausibility review: the evidence against records and machine-days, and each user-day's review state."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from burntop.extensions import db
from burntop.models.types import BigId, UTCDateTime, utcnow


class ReviewDay(db.Model):
    """A user-day with at least one failed bound. `pending` (under review) and `confirmed` (an admin judged
    it implausible) keep the day off every public surface; `cleared` (an admin judged it honest) lets it back."""

    __tablename__ = "review_days"
    __table_args__ = (Index("ix_review_days_status", "status", "flagged_at"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ReviewFlag(db.Model):
    """One failed bound: which rule, the observed value and the bound, on which machine and source.
    A record's flag names its request_id (the record itself is stored unchanged); a day flag names none."""

    __tablename__ = "review_flags"
    __table_args__ = (Index("ix_review_flags_user_day", "user_id", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    rule: Mapped[str] = mapped_column(String(32))
    observed: Mapped[int] = mapped_column(BigInteger)
    bound: Mapped[int] = mapped_column(BigInteger)
    machine_id: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(200))
    request_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
