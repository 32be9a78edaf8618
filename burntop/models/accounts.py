"""Sign-in secrets in flight: email one-time codes and device-login grants (both stored hashed)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from burntop.extensions import db
from burntop.models.types import BigId, UTCDateTime, utcnow
from burntop.models.users import NEVER_REUSE_IDS


class EmailCode(db.Model):
    """A six-digit code sent to an email address; valid 10 minutes, 5 attempts."""

    __tablename__ = "email_codes"
    __table_args__ = (Index("ix_email_codes_email_created", "email", "created_at"),
                      Index("ix_email_codes_ip_created", "ip_hash", "created_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    code_hash: Mapped[str] = mapped_column(String(64))
    ip_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeviceGrant(db.Model):
    """An OAuth 2.0 device authorization grant (RFC 8628) for `burntop login`."""

    __tablename__ = "device_grants"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    device_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_code: Mapped[str] = mapped_column(String(16), unique=True)
    client_name: Mapped[str] = mapped_column(String(100))
    # Shown on the approval page (RFC 8628 §5.4); kept only while the grant is undecided.
    requester_ip: Mapped[str | None] = mapped_column(String(45))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, approved, denied, used
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    interval: Mapped[int] = mapped_column(Integer, default=5)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
