"""When snapshots are recomputed.

- A sync marks the scopes it touched dirty after its commit (`mark_touched`): "all" (the unfiltered and
  region boards) and "tool:<source>" / "model:<model>" for what it carried. A profile change (privacy,
  region, zone, deletion) marks everything.
- The periodic job `refresh_due` (burntop.jobs.SCHEDULE, every minute) recomputes each family with a board
  that is stale (its scope dirty after it was computed), never computed, or older than MAX_AGE (local
  midnights move windows and end streaks with no sync at all). Model boards are refreshed while someone
  reads them and dropped after a day unread.
- A request only reads stored ranks. A board never computed is computed on first use; without Redis
  (one process, no worker) a stale board is also refreshed in the request, at most once a minute.
- `flask --app app leaderboard refresh` recomputes every family at once (`refresh_all`).
"""
from __future__ import annotations

import hashlib
import logging
import time
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select

from burntop import cache
from burntop.accounts.profile import account_deleted, profile_changed
from burntop.integrity.review import day_reviewed
from burntop.database import insert
from burntop.extensions import db
from burntop.leaderboard import compute, rules
from burntop.models import LeaderboardBoard, LeaderboardDirty, LeaderboardEntry
from burntop.models.types import utcnow

log = logging.getLogger(__name__)

MAX_AGE = timedelta(minutes=10)
MODEL_READ_WITHIN = timedelta(hours=1)   # model boards read this recently are kept fresh
MODEL_DROP_AFTER = timedelta(days=1)     # and dropped after this long unread
EVERYTHING = "*"
INLINE_EVERY = 60  # seconds between in-request refreshes without Redis


def scope_of(kind: str, value: str) -> str:
    return "all" if kind in ("", "region") else f"{kind}:{value}"


def mark_touched(sources: set[str] | frozenset[str] = frozenset(), models: set[str] | frozenset[str] = frozenset(),
                 everything: bool = False) -> None:
    """After a commit that changed counted data: mark the scopes it touched. Commits; never raises."""
    scopes = {EVERYTHING} if everything else {"all"} | {f"tool:{s}" for s in sources} | {f"model:{m}" for m in models}
    now = utcnow()
    try:
        table = LeaderboardDirty.__table__
        stmt = insert(table)
        db.session.execute(stmt.on_conflict_do_update(index_elements=["scope"], set_={"dirty_at": stmt.excluded.dirty_at}),
                           [{"scope": s[:220], "dirty_at": now} for s in sorted(scopes)])
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not mark leaderboards stale; they refresh within %s anyway", MAX_AGE)


LISTING_FIELDS = {"is_public", "region", "timezone"}


@profile_changed.connect
def _profile_changed(sender, user_id: int, fields: set, **_details) -> None:
    """Going private or public, moving region or zone changes who is on which board and their windows."""
    if fields & LISTING_FIELDS:
        mark_touched(everything=True)


@account_deleted.connect
def _account_deleted(sender, **_details) -> None:
    mark_touched(everything=True)


def _dirty() -> dict[str, datetime]:
    return dict(db.session.execute(select(LeaderboardDirty.scope, LeaderboardDirty.dirty_at)).all())


def _stale(board: LeaderboardBoard, dirty: dict[str, datetime], now: datetime) -> bool:
    if board.generation == 0 or board.computed_at is None or board.computed_at < now - MAX_AGE:
        return True
    marks = [dirty.get(scope_of(board.filter_kind, board.filter_value)), dirty.get(EVERYTHING)]
    return any(mark is not None and mark >= board.computed_at for mark in marks)


def due_families(now: datetime | None = None) -> dict[str, list[str] | None]:
    """Families to recompute now: {"": None, "tool": None, "model": [values read lately]}."""
    now = now or utcnow()
    dirty = _dirty()
    b = LeaderboardBoard
    due: dict[str, list[str] | None] = {}
    core = db.session.scalars(select(b).where(b.filter_kind.in_(["", "region", "tool"]))).all()
    if not any(board.filter_kind in ("", "region") for board in core):
        due[""] = None
    for board in core:
        family = "tool" if board.filter_kind == "tool" else ""
        if family not in due and _stale(board, dirty, now):
            due[family] = None
    tools = [board for board in core if board.filter_kind == "tool"]
    if "tool" not in due and not tools:
        due["tool"] = None  # never computed: find the tools
    if "tool" not in due:  # a tool synced for the first time has no board yet
        known, oldest = {b.filter_value for b in tools}, min(b.computed_at or now for b in tools)
        if any(scope.startswith("tool:") and scope[5:] not in known and at >= oldest for scope, at in dirty.items()):
            due["tool"] = None
    read = db.session.scalars(select(b).where(b.filter_kind == "model", b.last_read_at >= now - MODEL_READ_WITHIN)).all()
    models = sorted({board.filter_value for board in read if _stale(board, dirty, now)})
    if models:
        due["model"] = models
    return due


def refresh_due(now: datetime | None = None) -> dict:
    """The periodic job: recompute what is due, drop model boards nobody reads. Returns what it did."""
    now = now or utcnow()
    done = {}
    for kind, values in due_families(now).items():
        done[kind or "all"] = compute.compute_family(kind, values)
    b = LeaderboardBoard.__table__
    unread = select(b.c.id).where(b.c.filter_kind == "model", or_(b.c.last_read_at.is_(None),
                                                                   b.c.last_read_at < now - MODEL_DROP_AFTER))
    db.session.execute(delete(LeaderboardEntry.__table__).where(LeaderboardEntry.board_id.in_(unread)))
    dropped = db.session.execute(delete(b).where(b.c.id.in_(unread))).rowcount
    db.session.execute(delete(LeaderboardDirty.__table__).where(LeaderboardDirty.dirty_at < now - 2 * MAX_AGE))
    db.session.commit()
    done["dropped"] = dropped
    return done


def refresh_all() -> dict:
    """Recompute every board now (the CLI): unfiltered and region, every tool, the model boards kept."""
    return {kind or "all": compute.compute_family(kind) for kind in compute.FAMILIES}


def _find(key: rules.BoardKey) -> LeaderboardBoard | None:
    b = LeaderboardBoard
    return db.session.scalar(select(b).where(b.type == key.type, b.period == key.period,
                                             b.filter_kind == key.filter_kind, b.filter_value == key.filter_value))


def _model_known(model: str) -> bool:
    """Whether a model board is worth creating: the model is in the price table (no query), or someone
    listed used it (a scan of the rollups, whose answer is cached for 10 minutes per name)."""
    from burntop.pricing import default_table

    if default_table().lookup(model) is not None:
        return True

    def used() -> bool:
        r = compute.counted_rollups()
        return db.session.scalar(select(func.count()).select_from(
            select(r.c.model).where(r.c.model == model).limit(1).subquery())) > 0

    return bool(cache.cached(f"leaderboard-model-used:{hashlib.sha256(model.encode()).hexdigest()[:32]}", used, 600))


def _tools_computed() -> bool:
    b = LeaderboardBoard
    return db.session.scalar(select(func.count()).where(b.filter_kind == "tool", b.generation > 0)) > 0


def _inline_refresh_allowed() -> bool:
    if current_app.config.get("REDIS_URL"):
        return False
    state = current_app.extensions.setdefault("burntop_leaderboard", {"last": 0.0})
    if time.monotonic() - state["last"] < INLINE_EVERY and not current_app.testing:
        return False
    state["last"] = time.monotonic()
    return True


def board_for(key: rules.BoardKey, now: datetime | None = None) -> LeaderboardBoard | None:
    """The stored board a request reads, computing it if it never was; None when nothing can be on it
    (an unknown tool or model)."""
    now = now or utcnow()
    board = _find(key)
    kind = key.filter_kind
    family = "" if kind == "region" else kind
    if board is None or board.generation == 0:
        if kind == "model" and not _model_known(key.filter_value):
            return None
        if kind == "tool" and _tools_computed():
            return None  # the tool family is computed and has no such tool: nothing to rank
        compute.compute_family(family, [key.filter_value] if kind == "model" else None, now)
        board = _find(key)
    elif _inline_refresh_allowed() and _stale(board, _dirty(), now):
        compute.compute_family(family, [key.filter_value] if kind == "model" else None, now)
        board = _find(key)
    if board is not None and kind == "model" and (board.last_read_at is None
                                                  or board.last_read_at < now - timedelta(minutes=5)):
        board.last_read_at = now
        db.session.commit()
    return board


@day_reviewed.connect
def _day_reviewed(sender, **_details) -> None:
    """An admin's decision puts a day back on the boards (cleared) or keeps it off (confirmed)."""
    mark_touched(everything=True)
