"""Raw usage records, their daily rollups, coding sessions, and the computers that sent them."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from burntop.extensions import db
from burntop.models.types import BigId, SumNanos, UTCDateTime, utcnow
from burntop.models.users import NEVER_REUSE_IDS


class UsageRecord(db.Model):
    """One model response, deduplicated per user by request_id."""

    __tablename__ = "usage_records"
    __table_args__ = (
        UniqueConstraint("user_id", "request_id"),
        Index("ix_usage_records_user_timestamp", "user_id", "timestamp"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    request_id: Mapped[str] = mapped_column(String(200))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    day: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(64))
    input_tokens: Mapped[int] = mapped_column(BigInteger)
    output_tokens: Mapped[int] = mapped_column(BigInteger)
    cache_creation_tokens: Mapped[int] = mapped_column(BigInteger)
    cache_creation_1h_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cache_read_tokens: Mapped[int] = mapped_column(BigInteger)
    reasoning_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_nanos: Mapped[int] = mapped_column(BigInteger)
    priced: Mapped[bool] = mapped_column(Boolean)
    machine_id: Mapped[str | None] = mapped_column(String(200))
    session_id: Mapped[str | None] = mapped_column(String(200))
    project: Mapped[str | None] = mapped_column(String(200))
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    success: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DailyRollup(db.Model):
    """Per user, day (in the user's time zone), source and model: the sums every view reads."""

    __tablename__ = "daily_rollups"
    __table_args__ = (
        UniqueConstraint("user_id", "day", "source", "model"),
        Index("ix_daily_rollups_day", "day"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(64))
    records: Mapped[int] = mapped_column(BigInteger, default=0)
    input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    output_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cache_creation_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cache_read_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    reasoning_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_nanos: Mapped[int] = mapped_column(SumNanos, default=0)
    unpriced_records: Mapped[int] = mapped_column(BigInteger, default=0)
    latency_ms_sum: Mapped[int] = mapped_column(BigInteger, default=0)
    latency_count: Mapped[int] = mapped_column(BigInteger, default=0)
    success_count: Mapped[int] = mapped_column(BigInteger, default=0)
    outcome_count: Mapped[int] = mapped_column(BigInteger, default=0)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CodingSession(db.Model):
    """A coding session reported by the client (spec 002's sessions, commits, active time)."""

    __tablename__ = "coding_sessions"
    __table_args__ = (
        UniqueConstraint("user_id", "session_id"),
        Index("ix_coding_sessions_user_started", "user_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    session_id: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    day: Mapped[date] = mapped_column(Date)
    active_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    commits: Mapped[int] = mapped_column(Integer, default=0)
    lines_of_code: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UsageHour(db.Model):
    """Per user, local weekday (0 = Monday) and hour: records and tokens, for peak hours, weekday
    patterns and night/weekend achievements without scanning raw records."""

    __tablename__ = "usage_hours"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    weekday: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    records: Mapped[int] = mapped_column(BigInteger, default=0)
    tokens: Mapped[int] = mapped_column(BigInteger, default=0)


UNKNOWN_MACHINE = ""  # the machine_id under which records sent without one are counted


class Machine(db.Model):
    """A computer that sent records for a user, keyed by the client's opaque machine id ("" when the
    records carried none); `name` is the label the user gave it (None: a default label is shown)."""

    __tablename__ = "machines"
    __table_args__ = (UniqueConstraint("user_id", "machine_id"), NEVER_REUSE_IDS)  # its id is in settings URLs

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    machine_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(60))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)  # its earliest and latest record's time
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)


class MachineDay(db.Model):
    """Per user, machine and local day: the sums of that computer's records (ingest keeps them with
    daily_rollups, so the machines of a period add up to the user's total)."""

    __tablename__ = "machine_days"
    __table_args__ = (UniqueConstraint("user_id", "machine_id", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    machine_id: Mapped[str] = mapped_column(String(200))
    day: Mapped[date] = mapped_column(Date)
    records: Mapped[int] = mapped_column(BigInteger, default=0)
    input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    output_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cache_creation_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cache_read_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    reasoning_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_nanos: Mapped[int] = mapped_column(SumNanos, default=0)
