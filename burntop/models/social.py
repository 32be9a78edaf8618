"""Follows, the activity feed, notifications and referrals."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, CheckConstraint
from sqlalchemy.orm import Mapped, mapped_column

from burntop.extensions import db
from burntop.models.types import BigId, UTCDateTime, utcnow
from burntop.models.users import NEVER_REUSE_IDS


class Follow(db.Model):
    """follower follows followee; a private followee first sees it as pending."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("follower_id", "followee_id"),
        Index("ix_follows_followee_status", "followee_id", "status"),
        CheckConstraint("follower_id <> followee_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    follower_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    followee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="accepted")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Activity(db.Model):
    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_user_id_id", "user_id", "id"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    # Makes "one activity per event" hold under replays and concurrent syncs.
    dedupe_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(String(500))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    read: Mapped[bool] = mapped_column(Boolean, default=False)
    dedupe_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Referral(db.Model):
    """A direct referral; second and third levels are found by walking referrer links."""

    __tablename__ = "referrals"
    __table_args__ = (CheckConstraint("referrer_id <> referred_id", name="not_self"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referrer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    referred_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReferralClick(db.Model):
    """A click on someone's referral link, counted once per visitor address and clock hour."""

    __tablename__ = "referral_clicks"
    __table_args__ = (UniqueConstraint("referrer_id", "visitor_hash", "hour"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    referrer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    visitor_hash: Mapped[str] = mapped_column(String(64))  # keyed hash of the visitor's IP address
    hour: Mapped[datetime] = mapped_column(UTCDateTime)  # the UTC hour of the click, for "once an hour"
    converted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
