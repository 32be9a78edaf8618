"""Computing snapshots: set-based SQL over the daily rollups, one INSERT ... SELECT per family of boards.

Families (what one statement ranks, with row_number() partitioned by board):
- ""      every type x period unfiltered, and the same per region (users.region): precomputed;
- "tool"  every type x period for each tool (rollup source) that has counted usage: precomputed;
- "model" only the model boards someone asked for (computed on first use, refreshed while read,
          dropped when unread for a day): there are hundreds of models and most boards would never be read.

Friends boards are not stored: they re-rank the viewer's circle inside the global board (burntop.leaderboard.read).

What counts is decided in one place, `counted_rollups()`: rollup rows of users who may be listed (public,
not demo unless the deployment is in local mode). Keeping untrusted user-days off the boards is one more
condition there; every board, streaks included, reads through it.
"""
from __future__ import annotations

import logging
import zlib
from datetime import date, datetime, timedelta

from sqlalchemy import (BigInteger, Date, Float, Integer, String, and_, case, cast, delete, func, literal, or_, select,
                        text, union_all, update)

from burntop.database import insert
from burntop.extensions import db
from burntop.integrity.exclude import trusted
from burntop.local_mode import enabled as local_mode_enabled
from burntop.leaderboard import rules
from burntop.models import DailyRollup, LeaderboardBoard, LeaderboardEntry, User
from burntop.models.types import UTCDateTime, utcnow

log = logging.getLogger(__name__)

FAMILIES = ("", "tool", "model")
BASELINE_EVERY = timedelta(hours=24)  # trend marks compare with the ranks of about a day ago


def local_mode() -> bool:
    """In local mode (burntop.local_mode) demo users are listed beside the owner."""
    return local_mode_enabled()


def listed_users():
    """Who may appear on a board: public profiles, and demo users only in local mode."""
    condition = User.is_public.is_(True)
    if not local_mode():
        condition = and_(condition, User.is_demo.is_(False))
    return condition


def counted_rollups():
    """THE filter of what boards count: rollup rows of listed users, without user-days under review or
    confirmed implausible (burntop.integrity)."""
    r = DailyRollup.__table__
    users = User.__table__
    return (select(r).join(users, users.c.id == r.c.user_id).where(listed_users(), trusted(r.c.user_id, r.c.day))
            .subquery("counted"))


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _day_number(column):
    """Days since an epoch, for gaps-and-islands streaks."""
    if _dialect() == "postgresql":
        return column - literal(date(2000, 1, 1), Date)
    return cast(func.julianday(column), Integer)


def _by_zone(groups: dict[date, list[str]], pick, zone_column):
    """A per-user date from their zone's local today: CASE over the (at most three) groups of zones."""
    items = sorted(groups.items())
    if len(items) == 1:
        return literal(pick(rules.window(items[0][0])), Date)
    whens = [(zone_column.in_(zones), literal(pick(rules.window(day)), Date)) for day, zones in items[1:]]
    return case(*whens, else_=literal(pick(rules.window(items[0][0])), Date))


def user_windows(now: datetime):
    """Per listed user: region and the first day of each period in their own zone (see burntop.leaderboard.rules)."""
    users = User.__table__
    zones = list(db.session.scalars(select(users.c.timezone).where(listed_users()).distinct()))
    groups = rules.zone_days(zones or ["UTC"], now)
    tz = users.c.timezone
    columns = [users.c.id.label("user_id"), users.c.region.label("region"),
               _by_zone(groups, lambda w: w.today, tz).label("today"),
               _by_zone(groups, lambda w: w.yesterday, tz).label("yesterday"),
               _by_zone(groups, lambda w: w.previous_start, tz).label("prev_start"),
               _by_zone(groups, lambda w: w.previous_end, tz).label("prev_end")]
    columns += [_by_zone(groups, lambda w, p=p: w.starts[p], tz).label(f"s_{p}")
                for p in rules.BOARD_PERIODS if p != "all"]
    # OFFSET 0 keeps the planner from inlining the CASEs into every aggregate's condition (x27 per row).
    return select(*columns).where(listed_users()).offset(0).subquery("uw")


def _filter_value(kind: str, r):
    return {"": literal("", String), "tool": r.c.source, "model": r.c.model}[kind]


def _aggregate(kind: str, r, uw):
    """Per (user, filter value): every period's sums in one pass over the rollups.

    Two levels so that no count(DISTINCT) is needed: first per (user, value, model) with the last day the
    model was priced, then per (user, value), counting the models whose last priced day is in a window."""
    tokens = r.c.input_tokens + r.c.output_tokens + r.c.cache_creation_tokens + r.c.cache_read_tokens
    prompt = r.c.input_tokens + r.c.cache_creation_tokens + r.c.cache_read_tokens
    priced = r.c.unpriced_records < r.c.records
    fv = _filter_value(kind, r)
    upper = r.c.day <= uw.c.today

    def within(period):
        return upper if period == "all" else and_(r.c.day >= uw.c[f"s_{period}"], upper)

    fast = _dialect() == "postgresql"

    def total(condition, value):
        # FILTER skips the addition on rows outside the window (most rows are old): cheaper than CASE.
        # PostgreSQL sums bigint into numeric, 5x slower than float8, which is exact to 2**53 (9e15
        # tokens per person and window): the sums here are ranks' scores, not the money figures.
        return func.coalesce(func.sum(cast(value, Float) if fast else value).filter(condition), 0)

    sums = {}
    for p in rules.BOARD_PERIODS:
        inside = within(p)
        sums |= {f"tok_{p}": total(inside, tokens), f"out_{p}": total(inside, r.c.output_tokens),
                 f"rsn_{p}": total(inside, r.c.reasoning_tokens), f"cr_{p}": total(inside, r.c.cache_read_tokens),
                 f"pr_{p}": total(inside, prompt)}
    sums["prev"] = total(r.c.day.between(uw.c.prev_start, uw.c.prev_end), tokens)
    starts = [func.max(uw.c[f"s_{p}"]).label(f"s_{p}") for p in rules.BOARD_PERIODS if p != "all"]
    per_model = (select(r.c.user_id, fv.label("fv"), uw.c.region, *(v.label(k) for k, v in sums.items()), *starts,
                        func.max(case((and_(priced, upper), r.c.day))).label("priced_day"),
                        func.max(case((upper, r.c.day))).label("last_day"),
                        func.max(uw.c.yesterday).label("yesterday"), func.max(uw.c.today).label("today"))
                 .join_from(r, uw, uw.c.user_id == r.c.user_id)
                 .group_by(r.c.user_id, fv, uw.c.region, r.c.model).subquery("per_model"))
    m = per_model.c
    models = [func.count(case((m.priced_day >= m[f"s_{p}"] if p != "all" else m.priced_day.isnot(None), 1)))
              .label(f"mdl_{p}") for p in rules.BOARD_PERIODS]
    return (select(m.user_id, m.fv, m.region, *(cast(func.sum(m[k]), BigInteger).label(k) for k in sums), *models,
                   func.max(m.last_day).label("last_day"), func.max(m.yesterday).label("yesterday"),
                   func.max(m.today).label("today"))
            .group_by(m.user_id, m.fv, m.region).cte("agg"))


def _usage_scores(agg):
    """One SELECT per (type, period): (type, period, user, value, region, score, tie-break)."""
    def row(board_type, period, score, tie_break, where):
        return select(literal(board_type, String).label("type"), literal(period, String).label("period"),
                      agg.c.user_id, agg.c.fv, agg.c.region, cast(score, BigInteger).label("score"),
                      cast(tie_break, BigInteger).label("tb")).where(where)

    selects = []
    c = agg.c
    for p in rules.BOARD_PERIODS:
        selects += [
            row("global", p, c[f"tok_{p}"], c[f"out_{p}"], c[f"tok_{p}"] > 0),
            row("diverse", p, c[f"mdl_{p}"], c[f"tok_{p}"], c[f"mdl_{p}"] > 0),
            row("efficient", p, c[f"cr_{p}"] * rules.EFFICIENT_SCALE // c[f"pr_{p}"], c[f"pr_{p}"],
                c[f"pr_{p}"] >= rules.EFFICIENT_MIN_PROMPT_TOKENS),
            row("reasoning", p, c[f"rsn_{p}"], c[f"tok_{p}"], c[f"rsn_{p}"] > 0),
        ]
    selects.append(row("rising", "7d", (c.tok_7d - c.prev) * rules.RISING_SCALE // c.prev, c.tok_7d,
                       and_(c.prev >= rules.RISING_MIN_PREVIOUS_TOKENS, c.tok_7d > c.prev)))
    return selects


def _streak_scores(kind: str, r, agg):
    """Current usage streak per (user, filter value): consecutive local days, alive while the last one is
    today or yesterday; gaps and islands (day number minus row number is constant along a run), over the
    days of those whose last active day is today or yesterday only."""
    fv = _filter_value(kind, r)
    alive = select(agg.c.user_id, agg.c.fv, agg.c.region, agg.c.yesterday, agg.c.today).where(
        agg.c.last_day >= agg.c.yesterday).subquery("alive")
    days = (select(r.c.user_id, alive.c.fv, alive.c.region, alive.c.yesterday, r.c.day)
            .join_from(r, alive, and_(alive.c.user_id == r.c.user_id, alive.c.fv == fv))
            .where(r.c.day <= alive.c.today)
            .distinct().subquery("days"))
    islands = select(days, (_day_number(days.c.day) - func.row_number().over(
        partition_by=(days.c.user_id, days.c.fv), order_by=days.c.day)).label("grp")).subquery("islands")
    runs = (select(islands.c.user_id, islands.c.fv, islands.c.region, islands.c.yesterday,
                   func.max(islands.c.day).label("last"), func.count().label("length"))
            .group_by(islands.c.user_id, islands.c.fv, islands.c.region, islands.c.yesterday, islands.c.grp)
            .subquery("runs"))
    current = func.max(case((runs.c.last >= runs.c.yesterday, runs.c.length), else_=0))
    per_user = (select(runs.c.user_id, runs.c.fv, runs.c.region, current.label("current"),
                       func.max(runs.c.length).label("longest"))
                .group_by(runs.c.user_id, runs.c.fv, runs.c.region).subquery("streaks"))
    return [select(literal("streak", String).label("type"), literal("all", String).label("period"),
                   per_user.c.user_id, per_user.c.fv, per_user.c.region,
                   cast(per_user.c.current, BigInteger).label("score"),
                   cast(per_user.c.longest, BigInteger).label("tb")).where(per_user.c.current > 0)]


def _scored(kind: str, now: datetime, values: list[str] | None):
    rollups = counted_rollups()
    if values is not None:
        rollups = (select(rollups).where(_filter_value(kind, rollups).in_(values))).subquery("chosen")
    agg = _aggregate(kind, rollups, user_windows(now))
    scored = union_all(*_usage_scores(agg), *_streak_scores(kind, rollups, agg)).cte("scored")
    columns = [scored.c.type, scored.c.period, scored.c.user_id, scored.c.score, scored.c.tb]
    if kind:
        return select(*columns, literal(kind, String).label("kind"), scored.c.fv).subquery("boards_scored")
    plain = select(*columns, literal("", String).label("kind"), literal("", String).label("fv"))
    regional = select(*columns, literal("region", String).label("kind"), scored.c.region.label("fv")).where(
        scored.c.region.in_(rules.REGIONS))
    return union_all(plain, regional).subquery("boards_scored")


def _board_specs(kind: str, values: list[str]) -> list[dict]:
    """Every board of a family: one per stored type x period (streak and rising have one period) x value."""
    specs = []
    for board_type in rules.STORED_TYPES:
        board_periods = rules.BOARD_PERIODS if board_type in rules.WINDOW_TYPES else (
            rules.stored_period(board_type, "all"),)
        for period in board_periods:
            for kind_, value in ([("", "")] + [("region", r) for r in rules.REGIONS] if kind == ""
                                 else [(kind, v) for v in values]):
                specs.append({"type": board_type, "period": period, "filter_kind": kind_, "filter_value": value,
                              "generation": 0, "baseline_generation": 0, "size": 0})
    return specs


def _family_values(kind: str, values: list[str] | None) -> list[str]:
    if kind == "":
        return []
    if values is not None:
        return sorted(set(values))
    if kind == "tool":
        r = counted_rollups()
        return sorted(db.session.scalars(select(r.c.source).distinct()))
    b = LeaderboardBoard
    return sorted(db.session.scalars(select(b.filter_value).where(b.filter_kind == "model").distinct()))


def _lock(kind: str) -> None:
    """One refresh of a family at a time (PostgreSQL advisory lock; SQLite's write lock does it there)."""
    if _dialect() == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(zlib.crc32(f"leaderboard:{kind}".encode()))))
        # JIT compiling these wide aggregates costs more than it saves (measured: ~1.5 s per statement).
        # and parallel workers spend more combining numeric partial sums than they save on a busy machine.
        db.session.execute(text("SET LOCAL jit = off"))
        db.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        db.session.execute(text("SET LOCAL work_mem = '64MB'"))  # rank sorts in memory, not on disk


def compute_family(kind: str, values: list[str] | None = None, now: datetime | None = None) -> dict:
    """Recompute every board of a family (for "tool"/"model": only `values`, if given). Commits.

    Returns {"boards": n, "entries": m, "activities": k}.
    """
    from burntop.leaderboard.feed import announce_entries

    if kind not in FAMILIES:
        raise ValueError(kind)
    try:
        _lock(kind)
        values = _family_values(kind, values)
        specs = _board_specs(kind, values)
        if not specs:
            db.session.commit()
            return {"boards": 0, "entries": 0, "activities": 0}
        boards = LeaderboardBoard.__table__
        db.session.execute(insert(boards).on_conflict_do_nothing(
            index_elements=["type", "period", "filter_kind", "filter_value"]), specs)
        family = boards.c.filter_kind.in_(["", "region"]) if kind == "" else boards.c.filter_kind == kind
        if kind and values is not None:
            family = and_(family, boards.c.filter_value.in_(values))
        ids = list(db.session.scalars(select(boards.c.id).where(family)))
        now = now or utcnow()  # boards will say they hold what was committed before this moment
        _write_entries(kind, ids, now, values if kind else None)
        activities = announce_entries(ids, now)
        _finish(ids, now)
        entries = int(db.session.scalar(select(func.coalesce(func.sum(boards.c.size), 0))
                                        .where(boards.c.id.in_(ids))))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return {"boards": len(ids), "entries": entries, "activities": activities}


def _write_entries(kind: str, ids: list[int], now: datetime, values: list[str] | None) -> None:
    boards = LeaderboardBoard.__table__
    entries = LeaderboardEntry.__table__
    s = _scored(kind, now, values)
    rank = func.row_number().over(partition_by=boards.c.id, order_by=(s.c.score.desc(), s.c.tb.desc(), s.c.user_id))
    source = (select(boards.c.id, boards.c.generation + 1, rank, s.c.user_id, s.c.score)
              .join_from(s, boards, and_(boards.c.type == s.c.type, boards.c.period == s.c.period,
                                         boards.c.filter_kind == s.c.kind, boards.c.filter_value == s.c.fv))
              .where(boards.c.id.in_(ids)))
    db.session.execute(entries.insert().from_select(["board_id", "generation", "rank", "user_id", "score"], source))


def _finish(ids: list[int], now: datetime) -> None:
    """Make the new generation current; keep it, and the baseline generation trends compare with (rotated
    to the previous generation once it is a day old); delete the rest, in the transaction that wrote it."""
    boards = LeaderboardBoard.__table__
    entries = LeaderboardEntry.__table__
    sizes = dict(db.session.execute(
        select(entries.c.board_id, func.count()).join(boards, and_(boards.c.id == entries.c.board_id,
                                                                   entries.c.generation == boards.c.generation + 1))
        .where(entries.c.board_id.in_(ids)).group_by(entries.c.board_id)).all())
    rotate = or_(boards.c.baseline_at.is_(None), boards.c.baseline_at < now - BASELINE_EVERY)
    db.session.execute(update(boards).where(boards.c.id.in_(ids)).values(
        size=case(*((boards.c.id == board_id, size) for board_id, size in sizes.items()), else_=0) if sizes else 0,
        generation=boards.c.generation + 1, computed_at=now,
        baseline_generation=case((rotate, boards.c.generation), else_=boards.c.baseline_generation),
        baseline_at=case((rotate, literal(now, UTCDateTime)), else_=boards.c.baseline_at)))
    keep = select(boards.c.id).where(boards.c.id == entries.c.board_id, or_(
        boards.c.generation == entries.c.generation, boards.c.baseline_generation == entries.c.generation))
    db.session.execute(delete(entries).where(entries.c.board_id.in_(ids), ~keep.exists()))
