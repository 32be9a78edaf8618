"""Reading sources: files from their sync checkpoints (for `sync`), or everything through a parse
cache keyed by each file's checkpoint (for `stats`, so a second run with nothing changed is cheap)."""
from __future__ import annotations

import os
import pickle
from sys import intern
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from burntop.client import sessions as session_rules
from burntop.client.records import Record
from burntop.pricing import Usage, cost_nanos, default_table
from burntop.pricing.table import SHIPPED_PATH
from burntop.client.stats import partial_sums
from burntop.client.sources.base import HOLD, ParseResult, Skips, Source, resume_offset, unchanged

CACHE_VERSION = 6


@dataclass
class FileBatch:
    source: str
    path: str
    records: list[Record]
    checkpoint: dict


Place = tuple[str, str, str, str]  # (source, path, "line 14" / "row 3" / "" for the whole file, reason)


@dataclass
class Collected:
    files: list[FileBatch] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)        # (source, reason) -> count
    places: list[Place] = field(default_factory=list)        # where each problem was


def _located(result: ParseResult, path: Path) -> list[tuple[str, str]]:
    return result.skipped.located(path) if isinstance(result.skipped, Skips) else []


def safe_parse(source: Source, path: Path, checkpoint: dict | None) -> tuple[ParseResult | None, str]:
    """Parse one file; an unreadable file or a parser failure is a reason, never a traceback."""
    try:
        return source.parse(path, checkpoint), ""
    except OSError as exc:
        return None, f"unreadable file ({exc.strerror or type(exc).__name__})"
    except Exception as exc:  # a format we do not know yet must not stop the other files
        return None, f"unknown format ({type(exc).__name__})"


def carried(checkpoint: dict | None) -> dict | None:
    """What of a checkpoint must survive a full re-read of its file (a source's ledger of what it
    already counted, see vscode_tasks), or None."""
    if checkpoint and "ledger" in checkpoint:
        return {"ledger": checkpoint["ledger"]}
    return None


def read_new(sources: list[Source], env: Mapping[str, str], home: Path, checkpoints) -> Collected:
    """For sync: what each file holds beyond its checkpoint; `checkpoints(source, path)` gives it.

    A record marked ``extra[HOLD]`` is complete enough for `stats` but may still grow (a session
    total): it is not sent, and its file keeps its old checkpoint so the next sync reads it again."""
    out = Collected()
    for source in sources:
        for path in source.discover(env, home):
            key = str(path)
            previous = checkpoints(source.name, key)
            if source.sessions and previous and "sessions" not in previous:
                # A checkpoint from before sessions were read: read the file once more from the start
                # (the server skips the records it has) so its sessions count whole.
                previous = carried(previous)
            try:
                if previous and unchanged(path, previous):
                    continue
            except OSError:
                continue  # vanished since discovery
            result, problem = safe_parse(source, path, previous)
            if result is None:
                out.skipped[(source.name, problem)] += 1
                out.places.append((source.name, key, "", problem))
                continue
            for reason, n in result.skipped.items():
                out.skipped[(source.name, reason)] += n
            out.places += [(source.name, key, where, reason) for reason, where in _located(result, path)]
            records, checkpoint = result.records, result.checkpoint
            if any(r.extra.get(HOLD) for r in records):
                records = [r for r in records if not r.extra.get(HOLD)]
                checkpoint = previous or {}
            out.files.append(FileBatch(source.name, key, records, checkpoint))
    return out


# --- the stats cache -------------------------------------------------------------------------------
# A record is cached as a tuple (cheap to pickle and to aggregate):
ROW_FIELDS = ("request_id", "epoch", "model", "input", "output", "cache_creation", "cache_read",
              "cache_1h", "reasoning", "logged_cost", "session_id", "project", "model_estimated", "cost_nanos",
              "priority")


def to_row(r: Record, table=None) -> tuple:
    """The cached form of a record, with its calculated cost (None = unpriced) computed once."""
    nanos = cost_nanos(r.model, Usage(r.input_tokens, r.output_tokens, r.cache_creation_tokens,
                                      r.cache_read_tokens, min(r.cache_creation_1h_tokens, r.cache_creation_tokens)),
                       table if table is not None else default_table())
    # Interned strings pickle once per distinct value instead of once per row.
    return (r.request_id, r.timestamp.timestamp(), intern(r.model), r.input_tokens, r.output_tokens,
            r.cache_creation_tokens, r.cache_read_tokens, r.cache_creation_1h_tokens, r.reasoning_tokens,
            r.logged_cost, r.session_id and intern(r.session_id), r.project and intern(r.project),
            r.model_estimated, nanos, r.priority)


def from_row(source: str, row: tuple, _utc=timezone.utc, _at=datetime.fromtimestamp) -> Record:
    # Positional: this runs once per cached record when a source is re-merged.
    return Record(source, row[0], _at(row[1], _utc), row[2], row[3], row[4], row[5], row[6], row[7], row[8],
                  row[9], row[10], row[11], None, row[12], None, None, row[14])


class ParseCache:
    """Per source, three pickles in the config dir's cache folder: an index {path: (checkpoint, skip
    reasons, units seen, in-file folds, notes)}, each file's rows {path: rows}, and the partial sums of
    the merged rows. A run where nothing changed loads only the index and the partial sums."""

    def __init__(self, folder: Path):
        self.folder = folder / "cache"

    def _file(self, source: str, part: str) -> Path:
        # Cached rows carry calculated costs, so a new price table starts a new cache.
        st = SHIPPED_PATH.stat()
        return self.folder / f"{source}.{part}.v{CACHE_VERSION}.{st.st_size:x}{st.st_mtime_ns:x}.pickle"

    def load(self, source: str, part: str):
        try:
            with open(self._file(source, part), "rb") as handle:
                return pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, ImportError):
            return None

    def save(self, source: str, **parts) -> None:
        # Cached rows hold raw project paths: only the user may read them.
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        keep = set()
        for part, data in parts.items():
            target = self._file(source, part)
            temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
                pickle.dump(data, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, target)
            keep.add(target)
        for old in self.folder.glob(f"{source}.*.pickle"):
            if old not in keep:
                old.unlink(missing_ok=True)


PARALLEL_MIN_FILES = 16


_WORKER_SOURCES: dict = {}  # a worker's sources by name, looked up once (not once per file)


def _parse_to_rows(job: tuple) -> tuple:
    """Worker: parse one file and return plain rows (tuples pickle fast; Records do not)."""
    source_name, key, checkpoint = job
    source = _WORKER_SOURCES.get(source_name)
    if source is None:
        from burntop.client.sources import select

        source = _WORKER_SOURCES[source_name] = select([source_name])[0]
    result, problem = safe_parse(source, Path(key), checkpoint)
    if result is None:
        return key, None, problem, None
    table = default_table()
    entry = (result.checkpoint, dict(result.skipped), result.seen, dict(result.folded), dict(result.notes),
             _located(result, Path(key)))
    return key, entry, "", [to_row(r, table) for r in result.records]


def _parse_many(source: Source, jobs: list[tuple[str, dict | None]]) -> list[tuple]:
    """Parse changed files, on every core when there are many (fork only: spawning costs more than it saves)."""
    import multiprocessing

    tasks = [(source.name, key, checkpoint) for key, checkpoint in jobs]
    workers = min(os.cpu_count() or 1, 8)
    if len(tasks) < PARALLEL_MIN_FILES or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [_parse_to_rows(task) for task in tasks]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        # small chunks: a worker that is done early takes more instead of waiting for the last big chunk
        return list(pool.map(_parse_to_rows, tasks, chunksize=max(1, len(tasks) // (workers * 16))))


def read_all(sources: list[Source], env: Mapping[str, str], home: Path, cache: ParseCache,
             sessions: dict | None = None) -> tuple[dict, Skips]:
    """For stats: the partial sums (see stats.partial_sums) of every source's deduplicated records,
    re-parsing only files that changed since they were cached; and what was skipped, (source, reason)
    -> count, with `.places` (see Collected.places). A `sessions` dict receives each source's session
    totals (source -> session -> sessions.Totals)."""
    combined: dict[tuple, list] = {}
    skipped = Skips()
    for source in sources:
        old_index = cache.load(source.name, "index") or {}
        index: dict[str, tuple] = {}  # path -> (checkpoint, skip reasons, seen, folded, notes, places)
        jobs: list[tuple[str, dict | None]] = []
        appended: set[str] = set()
        for path in source.discover(env, home):
            key = str(path)
            entry = old_index.get(key)
            try:
                same = entry is not None and unchanged(path, entry[0])
                appending = (not same and entry is not None and "offset" in entry[0]
                             and resume_offset(path, entry[0]) > 0)
            except OSError:
                continue  # vanished since discovery
            if same:
                index[key] = entry
                continue
            jobs.append((key, entry[0] if appending else carried(entry and entry[0])))
            if appending:
                appended.add(key)
        fresh: dict[str, list[tuple]] = {}
        for key, entry, problem, rows in _parse_many(source, jobs):
            if entry is None:
                skipped[(source.name, problem)] += 1
                skipped.places.append((source.name, key, "", problem))
                continue
            if key in appended:
                entry = _add_entries(old_index[key], entry)
            index[key] = entry
            fresh[key] = rows
        for key, entry in index.items():
            for reason, n in entry[1].items():
                skipped[(source.name, reason)] += n
            skipped.places += [(source.name, key, where, reason) for reason, where in entry[5]]
        partials = cache.load(source.name, "partials") if not fresh and index.keys() == old_index.keys() else None
        if partials is None:
            partials = _remerge(source, cache, index, fresh, appended)
        combined.update(partials)  # keys hold the source, so sources never collide
        if sessions is not None:
            sessions[source.name] = session_rules.combine(entry[0].get("sessions") for entry in index.values())
    return combined, skipped


def _add_entries(old: tuple, new: tuple) -> tuple:
    """The index entry of a file read in two parts: the new checkpoint, the counts of both reads."""
    seen = None if old[2] is None or new[2] is None else old[2] + new[2]
    return (new[0], dict(Counter(old[1]) + Counter(new[1])), seen, dict(Counter(old[3]) + Counter(new[3])),
            dict(Counter(old[4]) + Counter(new[4])), old[5] + new[5])


def merge_rows(source: Source, every: list[tuple], table=None) -> list[tuple]:
    """The source's rows with copies of one response merged (see Source.merge)."""
    keys = {source.merge_key(row[0]) for row in every}
    if len(keys) == len(every):
        return every  # nothing to merge
    records: list[Record] = []
    rows_of: dict[int, tuple] = {}
    for row in every:
        record = from_row(source.name, row)
        rows_of[id(record)] = row
        records.append(record)
    return [rows_of.get(id(r)) or to_row(r, table) for r in source.merge(records)]


def _remerge(source: Source, cache: ParseCache, index: dict, fresh: dict, appended: set) -> dict:
    """Merge cached rows of unchanged files with the fresh parses; return (and cache) their partial sums."""
    table = default_table()
    # Unchanged files and files read only from their old end both need their cached rows.
    old_rows = cache.load(source.name, "rows") or {} if len(fresh) < len(index) or appended else {}
    file_rows: dict[str, list[tuple]] = {}
    for key in index:
        file_rows[key] = (old_rows.get(key, []) if key in appended or key not in fresh else []) + fresh.get(key, [])
    merged = merge_rows(source, [row for rows in file_rows.values() for row in rows], table)
    partials = partial_sums({source.name: merged})
    cache.save(source.name, index=index, rows=file_rows, partials=partials)
    return partials
