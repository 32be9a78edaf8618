"""Community benchmarks computed by a periodic job, so a request never reads every user."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from burntop.extensions import db
from burntop.models.types import UTCDateTime, utcnow


class PercentileSnapshot(db.Model):
    """One metric over one period (all/month/week) across public, non-demo users active in it:
    a sorted list of at most burntop.stats.percentiles.MAX_POINTS quantile values (every value when
    the population is that small), the population size, its mean, and when it was computed."""

    __tablename__ = "percentile_snapshots"

    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    quantiles: Mapped[list] = mapped_column(JSON)
    population: Mapped[int] = mapped_column(Integer)
    mean: Mapped[float] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
