"""The public usage summary (spec 002) built from rollup and session rows, and its `fields` filter.

Pure rules, no Flask or database: burntop.stats.public_api reads the rows and serves the document.

Definitions (docs/API.md repeats them for readers of the API):
- a rollup row whose model or provider is unknown (null, blank, or "unknown", "null" or "none" in any
  case) is left out of every figure, as spec 002 says; coding sessions carry no model, so all count;
- `total_tokens` = input + output + cache writes + cache reads (burntop's totalTokens), and
  `input_tokens` counts every prompt token (fresh input, cache writes and cache reads), so
  total_tokens = input_tokens + output_tokens as in spec 002's example;
- `cache_efficiency` = cache reads / input_tokens, as a percentage with one decimal (0 with no input);
- `avg_latency_ms` and `success_rate` average only the records that reported a latency or an outcome;
  null when none in the period did (most tools' logs report neither);
- `weekly_avg_sessions` = sessions_count per 7 days of the period, rounded half up;
- maps by model, provider and application are ordered by their value, largest first (then by name);
  every time_series day holds every model of the period, 0 where unused, in that same order.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timezone

UNKNOWN_VALUES = frozenset({"", "unknown", "null", "none"})


@dataclass(frozen=True)
class RollupRow:
    """daily_rollups summed per local day and model (over applications)."""
    day: date
    model: str | None
    provider: str | None
    records: int
    input_tokens: int
    output_tokens: int
    cache_creation_tokens: int
    cache_read_tokens: int
    latency_ms_sum: int = 0
    latency_count: int = 0
    success_count: int = 0
    outcome_count: int = 0

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_creation_tokens + self.cache_read_tokens


@dataclass(frozen=True)
class ApplicationRow:
    """daily_rollups' events over the period per application (source) and model."""
    source: str
    model: str | None
    provider: str | None
    records: int


@dataclass(frozen=True)
class SessionDay:
    """The coding sessions that started on one local day, summed."""
    day: date
    sessions: int
    commits: int = 0
    active_seconds: int = 0
    lines_of_code: int = 0


def is_known(value: str | None) -> bool:
    return value is not None and value.strip().lower() not in UNKNOWN_VALUES


def _ranked(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def summary(name: str, days: list[date], rollups: Iterable[RollupRow], applications: Iterable[ApplicationRow],
            sessions: Iterable[SessionDay], generated_at: datetime) -> dict:
    """Spec 002's document for the local `days` of the period (ascending, every day of it); `applications`
    must cover the same days."""
    period = set(days)
    rows = [r for r in rollups if r.day in period and is_known(r.model) and is_known(r.provider)]
    session_days = [s for s in sessions if s.day in period]

    events_by_model: dict[str, int] = {}
    tokens_by_model: dict[str, int] = {}
    events_by_provider: dict[str, int] = {}
    events_by_application: dict[str, int] = {}
    daily: dict[date, dict[str, int]] = {day: {} for day in days}
    for r in rows:
        events_by_model[r.model] = events_by_model.get(r.model, 0) + r.records
        tokens_by_model[r.model] = tokens_by_model.get(r.model, 0) + r.tokens
        events_by_provider[r.provider] = events_by_provider.get(r.provider, 0) + r.records
        daily[r.day][r.model] = daily[r.day].get(r.model, 0) + r.tokens
    for a in applications:
        if is_known(a.model) and is_known(a.provider):
            events_by_application[a.source] = events_by_application.get(a.source, 0) + a.records

    models = list(_ranked(tokens_by_model))
    sessions_by_day = {s.day: s.sessions for s in session_days}
    time_series = [{
        "date": day.isoformat(),
        "tokens": sum(daily[day].values()),
        "tokens_by_model": {model: daily[day].get(model, 0) for model in models},
        "coding_sessions": sessions_by_day.get(day, 0),
    } for day in days]

    input_tokens = sum(r.input_tokens + r.cache_creation_tokens + r.cache_read_tokens for r in rows)
    output_tokens = sum(r.output_tokens for r in rows)
    latency_count = sum(r.latency_count for r in rows)
    outcome_count = sum(r.outcome_count for r in rows)
    sessions_count = sum(s.sessions for s in session_days)
    return {
        "name": name,
        "stats": {
            "total_events": sum(r.records for r in rows),
            "total_tokens": input_tokens + output_tokens,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "avg_latency_ms": (_half_up(sum(r.latency_ms_sum for r in rows), latency_count)
                               if latency_count else None),
            "success_rate": (_percent(sum(r.success_count for r in rows), outcome_count)
                             if outcome_count else None),
            "events_by_model": _ranked(events_by_model),
            "tokens_by_model": {model: tokens_by_model[model] for model in models},
            "events_by_provider": _ranked(events_by_provider),
            "events_by_application": _ranked(events_by_application),
            "time_series": time_series,
            "sessions_count": sessions_count,
            "weekly_avg_sessions": _half_up(sessions_count * 7, len(days)) if days else 0,
            "total_commits": sum(s.commits for s in session_days),
            "total_active_time_seconds": sum(s.active_seconds for s in session_days),
            "total_lines_of_code": sum(s.lines_of_code for s in session_days),
            "cache_efficiency": _percent(sum(r.cache_read_tokens for r in rows), input_tokens),
        },
        "generated_at": rfc3339(generated_at),
    }


# ---- fields=name,stats.total_tokens: dotted paths into the document

FieldTree = dict  # name -> FieldTree, or None for "the whole value"


def parse_fields(value: str | None) -> FieldTree | None:
    """`fields` as a tree of the paths asked for; None (the whole document) when absent or blank.

    A path names a key at each level: `stats` is every stat, `stats.time_series` the series only,
    `stats.tokens_by_model.gpt-4` one model (a model whose name holds a dot cannot be named alone).
    Through a list, the rest of the path applies to each item (`stats.time_series.date`).
    A shorter path wins over a longer one it contains (`stats,stats.total_tokens` is all of `stats`).
    """
    paths = [p.strip() for p in (value or "").split(",") if p.strip()]
    if not paths:
        return None
    tree: FieldTree = {}
    for path in paths:
        parts = path.split(".")
        if any(not part for part in parts):
            continue  # "stats..x" or ".name" names nothing
        node = tree
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if child is None:  # a shorter path already took the whole value
                break
            node = child
        else:
            node[parts[-1]] = None
    return tree


_NOTHING = object()


def select_fields(value, tree: FieldTree | None):
    """The parts of `value` that `tree` names, in the document's own order.

    Paths that name nothing are ignored rather than refused (spec 002 defines no error for them and
    says its keys may grow): an object left with nothing selected is left out, down to `{}` at the top.
    """
    if tree is None:
        return value
    picked = _select(value, tree)
    return {} if picked is _NOTHING else picked


def _select(value, tree: FieldTree):
    if isinstance(value, list):
        items = [_select(item, tree) for item in value]
        kept = [item for item in items if item is not _NOTHING]
        return kept if kept else _NOTHING
    if not isinstance(value, dict):
        return _NOTHING  # a path that goes on below a number or a string
    out = {}
    for key, item in value.items():
        if key not in tree:
            continue
        sub = tree[key]
        picked = item if sub is None else _select(item, sub)
        if picked is not _NOTHING:
            out[key] = picked
    return out if out else _NOTHING
