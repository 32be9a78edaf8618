"""`burntop stats`: local totals grouped by day, week, month, session, model or source.

Rows are first summed per quarter hour, source and model (every time zone's offset, and every DST
change, falls on a quarter hour), then those sums are placed on local days: one cheap pass per row.

Costs follow ccusage's modes: ``auto`` uses the cost a tool logged when it logged one, else the
calculated cost; ``calculate`` always calculates from the shipped price table; ``display`` shows only
logged costs (0 where a tool logs none).
"""
from __future__ import annotations

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


def partial_sums(rows_by_source: dict[str, list[tuple]]) -> dict[tuple, list]:
    """One cheap pass over the rows: sums per (quarter hour, source, model, session), for every mode.

    Each value: [input, output, cache write, cache read, reasoning, calculated nanos, logged USD,
    calculated nanos of rows without a logged cost, records, unpriced records, first epoch, last epoch,
    records whose model is a documented default rather than read from the log].
    """
    sums: dict[tuple, list] = {}
    for source, rows in rows_by_source.items():
        for row in rows:
            key = (int(row[EPOCH] // 900), source, row[MODEL], row[SESSION])
            s = sums.get(key)
            if s is None:
                s = sums[key] = [0, 0, 0, 0, 0, 0, 0.0, 0, 0, 0, row[EPOCH], row[EPOCH], 0]
            s[0] += row[INP]
            s[1] += row[OUT]
            s[2] += row[CW]
            s[3] += row[CR]
            s[4] += row[REASON]
            nanos = row[COST] or 0
            s[5] += nanos
            if row[LOGGED] is None:
                s[7] += nanos
            else:
                s[6] += row[LOGGED]
            s[8] += 1
            s[9] += row[COST] is None
            s[12] += bool(row[ESTIMATED])
            if row[EPOCH] < s[10]:
                s[10] = row[EPOCH]
            elif row[EPOCH] > s[11]:
                s[11] = row[EPOCH]
    return sums


def _cost(sums: list, mode: str) -> float:
    if mode == "calculate":
        return sums[5] / NANOS
    if mode == "display":
        return sums[6]
    return sums[6] + sums[7] / NANOS


def _summary(sums: list) -> dict:
    return {"inputTokens": sums[0], "outputTokens": sums[1], "cacheCreationTokens": sums[2],
            "cacheReadTokens": sums[3], "totalTokens": sums[0] + sums[1] + sums[2] + sums[3],
            "totalCost": round(sums[5], 6)}


def _add(target: list, sums: list, mode: str) -> None:
    for i in range(5):
        target[i] += sums[i]
    target[5] += _cost(sums, mode)
    target[6] += sums[8]
    target[7] += sums[9]


def aggregate(partials: dict[tuple, list], by: str = "day", tz: str = "UTC", since: date | None = None,
              until: date | None = None, mode: str = "auto", sessions: dict | None = None) -> dict:
    """Group the partial sums; the result is JSON-ready, shaped like ccusage's daily report for --by day.
    With --by session, each session also carries its active time, commits and lines of code from
    `sessions` (source -> session id -> client.sessions.Totals; zeros for a source without them)."""
    zone = ZoneInfo(tz)
    day_cache: dict[int, date] = {}
    groups: dict[str, dict[str, list]] = {}   # key -> model -> [4 token sums, reasoning, cost, records, unpriced]
    spans: dict[str, list] = {}
    totals = [0, 0, 0, 0, 0, 0.0, 0, 0]
    estimated = 0
    for (bucket, source, model, session), sums in partials.items():
        day = day_cache.get(bucket)
        if day is None:
            day = day_cache[bucket] = datetime.fromtimestamp(bucket * 900, zone).date()
        if (since and day < since) or (until and day > until):
            continue
        key = _key(by, day, source, model, session)
        per_model = groups.setdefault(key, {})
        _add(per_model.setdefault(model, [0, 0, 0, 0, 0, 0.0, 0, 0]), sums, mode)
        _add(totals, sums, mode)
        estimated += sums[12]
        if by == "session":
            span = spans.setdefault(key, [source, sums[10], sums[11]])
            span[1], span[2] = min(span[1], sums[10]), max(span[2], sums[11])
    items = []
    for key in sorted(groups):
        models = groups[key]
        group = [0, 0, 0, 0, 0, 0.0, 0, 0]
        for model_sums in models.values():
            for i in range(8):
                group[i] += model_sums[i]
        item = {KEY_NAMES[by]: key, **_summary(group), "modelsUsed": sorted(models),
                "modelBreakdowns": [{"modelName": name, "inputTokens": m[0], "outputTokens": m[1],
                                     "cacheCreationTokens": m[2], "cacheReadTokens": m[3], "cost": round(m[5], 6)}
                                    for name, m in sorted(models.items(), key=lambda kv: (-kv[1][5], kv[0]))]}
        if by == "session":
            source, first, last = spans[key]
            item["source"] = source
            item["firstActivity"] = datetime.fromtimestamp(first, zone).isoformat()
            item["lastActivity"] = datetime.fromtimestamp(last, zone).isoformat()
            found = (sessions or {}).get(source, {}).get(key)
            item.update(found.as_json() if found else {"activeSeconds": 0, "commits": 0, "linesOfCode": 0})
        items.append(item)
    summary = {**_summary(totals), "records": totals[6], "unpricedRecords": totals[7], "estimatedModelRecords": estimated}
    if by == "session":
        for field in ("activeSeconds", "commits", "linesOfCode"):
            summary[field] = sum(item[field] for item in items)
    return {GROUPINGS[by]: items, "totals": summary}


def _key(by: str, day: date, source: str, model: str, session: str | None) -> str:
    if by == "day":
        return day.isoformat()
    if by == "week":
        return (day - timedelta(days=day.weekday())).isoformat()  # weeks start on Monday
    if by == "month":
        return day.strftime("%Y-%m")
    if by == "session":
        return session or "(no session)"
    if by == "model":
        return model
    return source
