"""Work recorded with its cause so that it is never lost (burntop.pending)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from burntop.extensions import db
from burntop.models.types import UTCDateTime, utcnow


class PendingJob(db.Model):
    """One piece of pending work; repeated causes collapse into the one row of their (kind, key)."""

    __tablename__ = "pending_jobs"
    __table_args__ = (Index("ix_pending_jobs_next_attempt_at", "next_attempt_at"),)

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
