"""Leaderboard snapshots: stored ranks per (type, period, filter), read page by page (burntop.leaderboard)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from burntop.extensions import db
from burntop.models.types import UTCDateTime, utcnow


class LeaderboardBoard(db.Model):
    """One board; its ranks are the entries of its current `generation`.

    A refresh writes generation + 1, then moves `generation` and deletes older ones (but the baseline) in
    the same transaction, so a reader (one statement joining board and entries) sees one whole ranking.
    """

    __tablename__ = "leaderboard_boards"
    __table_args__ = (UniqueConstraint("type", "period", "filter_kind", "filter_value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(8))
    filter_kind: Mapped[str] = mapped_column(String(8), default="")     # "", tool, model or region
    filter_value: Mapped[str] = mapped_column(String(200), default="")
    generation: Mapped[int] = mapped_column(Integer, default=0)          # 0: never computed
    size: Mapped[int] = mapped_column(Integer, default=0)                # entries in the generation
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)    # when the data it ranks was read
    # Trend marks compare with the ranks of `baseline_generation` (kept, not deleted), about a day old.
    baseline_generation: Mapped[int] = mapped_column(Integer, default=0)
    baseline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)   # on-demand boards: kept while read


class LeaderboardEntry(db.Model):
    """A rank on a board. No foreign keys: a snapshot is derived data written in bulk (a foreign-key check
    per row doubled the refresh time), readers join users (a deleted or newly private user drops out at once,
    the next refresh closes the gap), and burntop.leaderboard.snapshots deletes a board's entries with it."""

    __tablename__ = "leaderboard_entries"
    __table_args__ = (Index("ix_leaderboard_entries_board_user", "board_id", "generation", "user_id"),)

    board_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    rank: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(BigInteger)


class LeaderboardDirty(db.Model):
    """A scope a sync touched since its boards were computed: "all" (unfiltered and region boards),
    "tool:<source>" or "model:<model>". A board is stale when its scope's dirty_at is after its computed_at."""

    __tablename__ = "leaderboard_dirty"

    scope: Mapped[str] = mapped_column(String(220), primary_key=True)
    dirty_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
