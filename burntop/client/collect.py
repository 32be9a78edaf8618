"""Reading sources: files from their sync checkpoints (for `sync`), or everything through a parse
cache keyed by each file's checkpoint (for `stats`, so a second run with nothing changed is cheap)."""
from __future__ import annotations

import os
import pickle
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from burntop.client.records import Record
from burntop.pricing import Usage, cost_nanos
from burntop.pricing.table import SHIPPED_PATH
from burntop.client.sources.base import ParseResult, Source, resume_offset, unchanged

CACHE_VERSION = 1


@dataclass
class FileBatch:
    source: str
    path: str
    records: list[Record]
    checkpoint: dict


@dataclass
class Collected:
    files: list[FileBatch] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)        # (source, reason) -> count
    skipped_files: list[tuple[str, str, str]] = field(default_factory=list)  # (source, path, reason)


def safe_parse(source: Source, path: Path, checkpoint: dict | None) -> tuple[ParseResult | None, str]:
    """Parse one file; an unreadable file or a parser failure is a reason, never a traceback."""
    try:
        return source.parse(path, checkpoint), ""
    except OSError as exc:
        return None, f"unreadable file ({exc.strerror or type(exc).__name__})"
    except Exception as exc:  # a format we do not know yet must not stop the other files
        return None, f"unknown format ({type(exc).__name__})"


def read_new(sources: list[Source], env: Mapping[str, str], home: Path, checkpoints) -> Collected:
    """For sync: what each file holds beyond its checkpoint; `checkpoints(source, path)` gives it."""
    out = Collected()
    for source in sources:
        for path in source.discover(env, home):
            key = str(path)
            previous = checkpoints(source.name, key)
            try:
                if previous and unchanged(path, previous):
                    continue
            except OSError:
                continue  # vanished since discovery
            result, problem = safe_parse(source, path, previous)
            if result is None:
                out.skipped[(source.name, problem)] += 1
                out.skipped_files.append((source.name, key, problem))
                continue
            for reason, n in result.skipped.items():
                out.skipped[(source.name, reason)] += n
            out.files.append(FileBatch(source.name, key, result.records, result.checkpoint))
    return out


# --- the stats cache -------------------------------------------------------------------------------
# A record is cached as a tuple (cheap to pickle and to aggregate):
ROW_FIELDS = ("request_id", "epoch", "model", "input", "output", "cache_creation", "cache_read",
              "cache_1h", "reasoning", "logged_cost", "session_id", "project", "model_estimated", "cost_nanos")


def to_row(r: Record) -> tuple:
    """The cached form of a record, with its calculated cost (None = unpriced) computed once."""
    nanos = cost_nanos(r.model, Usage(r.input_tokens, r.output_tokens, r.cache_creation_tokens,
                                      r.cache_read_tokens, min(r.cache_creation_1h_tokens, r.cache_creation_tokens)))
    return (r.request_id, r.timestamp.timestamp(), r.model, r.input_tokens, r.output_tokens,
            r.cache_creation_tokens, r.cache_read_tokens, r.cache_creation_1h_tokens, r.reasoning_tokens,
            r.logged_cost, r.session_id, r.project, r.model_estimated, nanos)


def from_row(source: str, row: tuple) -> Record:
    return Record(source=source, request_id=row[0], timestamp=datetime.fromtimestamp(row[1], timezone.utc),
                  model=row[2], input_tokens=row[3], output_tokens=row[4], cache_creation_tokens=row[5],
                  cache_read_tokens=row[6], cache_creation_1h_tokens=row[7], reasoning_tokens=row[8],
                  logged_cost=row[9], session_id=row[10], project=row[11], model_estimated=row[12])


def _rows_merge(source: Source, rows: list[tuple]) -> list[tuple]:
    """Apply the source's duplicate rule; the default keeps the largest usage per request id."""
    if source.merge.__name__ != "keep_largest":
        return [to_row(r) for r in source.merge([from_row(source.name, row) for row in rows])]
    best: dict[str, tuple] = {}
    for row in rows:
        current = best.get(row[0])
        if current is None or (sum(row[3:7]), row[4]) > (sum(current[3:7]), current[4]):
            best[row[0]] = row
    return list(best.values())


class ParseCache:
    """Per source: {path: (checkpoint, rows)} pickled in the config dir's cache folder."""

    def __init__(self, folder: Path):
        self.folder = folder / "cache"

    def _file(self, source: str) -> Path:
        # Cached rows carry calculated costs, so a new price table starts a new cache.
        st = SHIPPED_PATH.stat()
        return self.folder / f"{source}.v{CACHE_VERSION}.{st.st_size:x}{st.st_mtime_ns:x}.pickle"

    def load(self, source: str) -> dict:
        try:
            with open(self._file(source), "rb") as handle:
                data = pickle.load(handle)
            return data if isinstance(data, dict) else {}
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
            return {}

    def save(self, source: str, data: dict) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self._file(source)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        with open(temporary, "wb") as handle:
            pickle.dump(data, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, target)
        for old in self.folder.glob(f"{source}.v*.pickle"):
            if old != target:
                old.unlink(missing_ok=True)


def read_all(sources: list[Source], env: Mapping[str, str], home: Path, cache: ParseCache) -> tuple[dict, Counter]:
    """For stats: every source's deduplicated rows, re-parsing only files that changed since cached."""
    rows_by_source: dict[str, list[tuple]] = {}
    skipped: Counter = Counter()
    for source in sources:
        cached = cache.load(source.name)
        fresh: dict[str, tuple[dict, list[tuple], dict]] = {}
        changed = False
        for path in source.discover(env, home):
            key = str(path)
            entry = cached.get(key)
            try:
                same = entry is not None and unchanged(path, entry[0])
            except OSError:
                same = False
            if same:
                fresh[key] = entry
                continue
            changed = True
            try:
                appending = entry is not None and "offset" in entry[0] and resume_offset(path, entry[0]) > 0
            except OSError:
                appending = False
            result, problem = safe_parse(source, path, entry[0] if appending else None)
            if result is None:
                skipped[(source.name, problem)] += 1
                continue
            new_rows = [to_row(r) for r in result.records]
            reasons = Counter(entry[2]) + result.skipped if appending else Counter(result.skipped)
            fresh[key] = (result.checkpoint, (entry[1] + new_rows) if appending else new_rows, dict(reasons))
        if changed or fresh.keys() != cached.keys():
            cache.save(source.name, fresh)
        for _, _, reasons in fresh.values():
            for reason, n in reasons.items():
                skipped[(source.name, reason)] += n
        all_rows = [row for _, rows, _ in fresh.values() for row in rows]
        rows_by_source[source.name] = _rows_merge(source, all_rows)
    return rows_by_source, skipped
