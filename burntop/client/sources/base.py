"""What every source module provides, and the helpers they share.

A source module (one per tool, e.g. ``claude_code.py``) defines ``SOURCE = Source(...)``:

- ``name``: the record ``source`` value (``claude-code``, ``codex``, ...);
- ``discover(env, home) -> list[Path]``: the files (or SQLite databases) to read, honouring the tool's
  own environment overrides; ``env`` is a mapping like ``os.environ`` and ``home`` the user's home, so
  tests can point both at a temporary folder;
- ``parse(path, checkpoint) -> ParseResult``: read one file, starting from ``checkpoint`` (None = from the
  beginning), never raising on bad content (count it in ``skipped`` instead);
- ``merge(records) -> records``: how duplicates of one response across files collapse (default:
  keep_largest by request_id); ``merge_key(request_id)``: what two records must share for ``merge``
  to combine them (default: the request_id itself); ``merge_rule``: that rule in words (for
  ``burntop stats --explain``);
- ``unit``: what ``ParseResult.seen`` counts in this tool's files (lines, rows, messages, files).

For ``--explain``, a parse also reports how many units it looked at (``seen``), which duplicates it
folded inside the file and by which rule (``folded``), and any reading decision worth knowing
(``notes``); every unit seen is a record, a folded duplicate or a skip with its reason.

Checkpoints are plain JSON-able dicts; the sync and stats code store them per file and hand them back
unchanged. Append-only JSONL sources resume from a byte offset; others re-read a file whose size or
mtime changed (the server dedupes by requestId).
"""
from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from burntop.client.records import Record, keep_largest


# Skip reasons that mean something could not be read. Every other reason ("no usage", "repeated
# total", "synthetic message", ...) is a line that rightly holds no model response.
PROBLEM_PREFIXES = ("malformed", "unreadable", "unknown format", "bad ", "no timestamp", "no message id", "out of range",
                    "part without message")


# Record.extra key: the record is right for `stats` but may still grow (a running session total), so
# `sync` leaves it, and its file's checkpoint, for a later run (the server keeps an id's first value).
HOLD = "hold"


def is_problem(reason: str) -> bool:
    return reason.startswith(PROBLEM_PREFIXES)


@dataclass
class ParseResult:
    records: list[Record] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)   # reason -> count (malformed line, no usage, ...)
    checkpoint: dict = field(default_factory=dict)      # hand back to parse() next time
    seen: int | None = None                             # units read (lines, rows...); None: not counted
    folded: Counter = field(default_factory=Counter)    # rule -> duplicates folded inside this file
    notes: Counter = field(default_factory=Counter)     # reading decision -> how often it applied


@dataclass(frozen=True)
class Source:
    name: str
    label: str                                             # human name: "Claude Code"
    discover: Callable[[Mapping[str, str], Path], list[Path]]
    parse: Callable[[Path, dict | None], ParseResult]
    merge: Callable[[list[Record]], list[Record]] = keep_largest
    formats: str = ""                                      # versions/format notes, shown by --verbose
    # Records whose keys differ can never be merged together, so when every key is unique `merge`
    # has nothing to do and is skipped (the common case, and a costly one for stats on big histories).
    merge_key: Callable[[str], str] = str
    merge_rule: str = "same request id: the largest usage is kept"
    unit: str = "items"


def file_signature(path: Path) -> dict:
    """Size, mtime and inode: enough to tell 'unchanged', 'grown' and 'replaced'."""
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino}


def unchanged(path: Path, checkpoint: dict | None) -> bool:
    if not checkpoint:
        return False
    sig = file_signature(path)
    return all(checkpoint.get(key) == value for key, value in sig.items())


def resume_offset(path: Path, checkpoint: dict | None) -> int:
    """Where an append-only file should be read from: 0 unless it only grew since the checkpoint."""
    if not checkpoint:
        return 0
    sig = file_signature(path)
    offset = int(checkpoint.get("offset", 0))
    if sig["inode"] != checkpoint.get("inode") or sig["size"] < offset:
        return 0  # replaced or truncated: read it again; the server dedupes
    return offset


def read_appended(path: Path, checkpoint: dict | None) -> tuple[bytes, int, dict]:
    """(bytes after the checkpoint, their offset, the file's signature) of an append-only file.

    Only what the signature describes is read, so a line appended meanwhile waits for the next run.
    Raises OSError for an unreadable file.
    """
    signature = file_signature(path)
    offset = resume_offset(path, checkpoint)
    with open(path, "rb") as handle:
        handle.seek(offset)
        data = handle.read(max(signature["size"] - offset, 0))
    return data, offset, signature


def read_changed_json(path: Path, checkpoint: dict | None, result: ParseResult) -> tuple[object, dict] | None:
    """(document, signature) of a whole-file JSON source, or None when it is unchanged since the
    checkpoint (kept in result) or unreadable or malformed (counted in result.skipped; a file caught
    mid-write is simply read again next time)."""
    try:
        if unchanged(path, checkpoint):
            result.checkpoint = dict(checkpoint or {})
            return None
        signature = file_signature(path)
        return orjson.loads(path.read_bytes()), signature
    except OSError:
        result.skipped["unreadable file"] += 1
    except orjson.JSONDecodeError:
        result.skipped["malformed file"] += 1
    return None


def jsonl_lines(path: Path, offset: int = 0) -> Iterator[tuple[int, bytes]]:
    """Yield (end offset, line) for each complete line from offset; a trailing partial line is left
    for the next run (a tool may be writing it right now)."""
    with open(path, "rb") as handle:
        handle.seek(offset)
        data = handle.read()
    position = offset
    start = 0
    while True:
        end = data.find(b"\n", start)
        if end < 0:
            return
        position = offset + end + 1
        yield position, data[start:end]
        start = end + 1


def existing(paths: list[Path], pattern: str) -> list[Path]:
    """All files matching a glob pattern under each existing folder, sorted, without duplicates."""
    found: dict[str, Path] = {}
    for base in paths:
        if base.is_dir():
            for item in base.glob(pattern):
                if item.is_file():
                    found.setdefault(os.path.realpath(item), item)
    return sorted(found.values())


def env_paths(env: Mapping[str, str], name: str) -> list[Path]:
    """Paths from an environment variable holding one path or a comma/os.pathsep separated list."""
    value = env.get(name, "")
    parts = [p.strip() for chunk in value.split(",") for p in chunk.split(os.pathsep)]
    return [Path(p).expanduser() for p in parts if p]
