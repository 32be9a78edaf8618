"""`burntop stats`: local totals grouped by day, week, month, session, model or source.

Costs follow ccusage's modes: ``auto`` uses the cost a tool logged when it logged one, else the
calculated cost; ``calculate`` always calculates from the shipped price table; ``display`` shows only
logged costs (0 where a tool logs none).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

GROUPINGS = {"day": "daily", "week": "weekly", "month": "monthly", "session": "sessions",
             "model": "models", "source": "sources"}
KEY_NAMES = {"day": "date", "week": "week", "month": "month", "session": "sessionId", "model": "model",
             "source": "source"}
MODES = ("auto", "calculate", "display")
NANOS = 1_000_000_000

# Row indexes (see collect.ROW_FIELDS).
RID, EPOCH, MODEL, INP, OUT, CW, CR, C1H, REASON, LOGGED, SESSION, PROJECT, ESTIMATED, COST = range(14)


def local_day(tz: ZoneInfo) -> Callable[[float], date]:
    """epoch -> the local date, computed once per quarter hour (every zone's offset is a multiple of 15 min)."""
    cache: dict[int, date] = {}

    def day(epoch: float) -> date:
        bucket = int(epoch // 900)
        found = cache.get(bucket)
        if found is None:
            found = cache[bucket] = datetime.fromtimestamp(bucket * 900, tz).date()
        return found

    return day


def row_cost(row: tuple, mode: str) -> float:
    """USD for one row in the chosen mode."""
    if mode == "display":
        return row[LOGGED] or 0.0
    if mode == "auto" and row[LOGGED] is not None:
        return row[LOGGED]
    return (row[COST] or 0) / NANOS


def _empty() -> dict:
    return {"inputTokens": 0, "outputTokens": 0, "cacheCreationTokens": 0, "cacheReadTokens": 0, "cost": 0.0,
            "records": 0, "reasoningTokens": 0, "unpriced": 0}


def _add(target: dict, row: tuple, cost: float) -> None:
    target["inputTokens"] += row[INP]
    target["outputTokens"] += row[OUT]
    target["cacheCreationTokens"] += row[CW]
    target["cacheReadTokens"] += row[CR]
    target["reasoningTokens"] += row[REASON]
    target["cost"] += cost
    target["records"] += 1
    target["unpriced"] += row[COST] is None


def _summary(sums: dict) -> dict:
    total = sums["inputTokens"] + sums["outputTokens"] + sums["cacheCreationTokens"] + sums["cacheReadTokens"]
    return {"inputTokens": sums["inputTokens"], "outputTokens": sums["outputTokens"],
            "cacheCreationTokens": sums["cacheCreationTokens"], "cacheReadTokens": sums["cacheReadTokens"],
            "totalTokens": total, "totalCost": round(sums["cost"], 6)}


def aggregate(rows_by_source: dict[str, list[tuple]], by: str = "day", tz: str = "UTC", since: date | None = None,
              until: date | None = None, mode: str = "auto") -> dict:
    """Group every row; the result is JSON-ready, shaped like ccusage's daily report for --by day."""
    zone = ZoneInfo(tz)
    day_of = local_day(zone)
    groups: dict[str, dict] = defaultdict(lambda: defaultdict(_empty))  # key -> model -> sums
    meta: dict[str, dict] = {}
    totals = _empty()
    for source, rows in rows_by_source.items():
        for row in rows:
            day = day_of(row[EPOCH])
            if (since and day < since) or (until and day > until):
                continue
            key = _key(by, day, source, row)
            cost = row_cost(row, mode)
            _add(groups[key][row[MODEL]], row, cost)
            _add(totals, row, cost)
            if by == "session":
                m = meta.setdefault(key, {"source": source, "first": row[EPOCH], "last": row[EPOCH]})
                m["first"], m["last"] = min(m["first"], row[EPOCH]), max(m["last"], row[EPOCH])
    items = []
    for key in sorted(groups):
        models = groups[key]
        sums = _empty()
        for model_sums in models.values():
            for field, value in model_sums.items():
                sums[field] += value
        item = {KEY_NAMES[by]: key, **_summary(sums), "modelsUsed": sorted(models),
                "modelBreakdowns": [{"modelName": name, "inputTokens": s["inputTokens"],
                                     "outputTokens": s["outputTokens"],
                                     "cacheCreationTokens": s["cacheCreationTokens"],
                                     "cacheReadTokens": s["cacheReadTokens"], "cost": round(s["cost"], 6)}
                                    for name, s in sorted(models.items(), key=lambda kv: -kv[1]["cost"])]}
        if by == "session":
            m = meta[key]
            item["source"] = m["source"]
            item["firstActivity"] = datetime.fromtimestamp(m["first"], zone).isoformat()
            item["lastActivity"] = datetime.fromtimestamp(m["last"], zone).isoformat()
        items.append(item)
    return {GROUPINGS[by]: items, "totals": {**_summary(totals), "records": totals["records"],
                                             "unpricedRecords": totals["unpriced"]}}


def _key(by: str, day: date, source: str, row: tuple) -> str:
    if by == "day":
        return day.isoformat()
    if by == "week":
        return (day - timedelta(days=day.weekday())).isoformat()  # weeks start on Monday
    if by == "month":
        return day.strftime("%Y-%m")
    if by == "session":
        return row[SESSION] or "(no session)"
    if by == "model":
        return row[MODEL]
    return source


def flatten(rows_by_source: dict[str, list[tuple]]) -> Iterable[tuple[str, tuple]]:
    for source, rows in rows_by_source.items():
        for row in rows:
            yield source, row
