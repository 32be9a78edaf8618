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
from collections.abc import Callable, Iterable, Iterator, Mapping
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


class Skips(Counter):
    """reason -> count, like a Counter; each problem (see is_problem) also notes where it was.

    A line-reading source sets ``at`` to the end offset of the line it is reading (relative to
    ``origin``, the offset its data starts at); a row-reading one calls ``note(reason, "row 12")``.
    Without either, the place is the whole file.
    """

    at: int | None = None
    origin: int = 0

    def __init__(self, *args, **kwargs):
        self.places: list[tuple[str, int | str | None]] = []  # (reason, end offset or row label)
        super().__init__(*args, **kwargs)

    def __setitem__(self, reason, count) -> None:
        if reason.__class__ is str and count > self.get(reason, 0) and is_problem(reason):
            where = None if self.at is None else self.origin + self.at
            self.places += [(reason, where)] * (count - self.get(reason, 0))
        super().__setitem__(reason, count)

    def note(self, reason: str, where: str, n: int = 1) -> None:
        """Count n skips at a place the source names (a database row)."""
        at, self.at = self.at, None
        self[reason] += n
        if is_problem(reason) and n > 0:
            self.places[-n:] = [(reason, where)] * n
        self.at = at

    def located(self, path: Path) -> list[tuple[str, str]]:
        """(reason, "line 14" / "row 12" / "" for the whole file) of each problem, in order."""
        ends = sorted({w for _, w in self.places if w.__class__ is int})
        lines: dict[int, int] = {}
        if ends:
            try:
                with open(path, "rb") as handle:
                    data = handle.read(ends[-1])
            except OSError:
                data = b""
            count = previous = 0
            for end in (ends if len(data) == ends[-1] else ()):  # problems are rare: count only then
                count += data.count(b"\n", previous, end)
                previous, lines[end] = end, count
        return [(reason, f"line {lines[w]}" if w in lines else "" if w is None or w.__class__ is int else w)
                for reason, w in self.places]


@dataclass
class ParseResult:
    records: list[Record] = field(default_factory=list)
    skipped: Skips = field(default_factory=Skips)       # reason -> count (malformed line, no usage, ...)
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
    # Every parse keeps each file's coding sessions in its checkpoint (``sessions``, see client/sessions.py),
    # so a checkpoint without them predates that and its file is read once more from the start.
    sessions: bool = False


def file_signature(path: Path) -> dict:
    """Size, mtime and inode: enough to tell 'unchanged', 'grown' and 'replaced'."""
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino}


def wal_signature(path: Path) -> list[int] | None:
    """[size, mtime] of a SQLite database's write-ahead log, or None when it has none."""
    try:
        st = Path(f"{path}-wal").stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def unchanged(path: Path, checkpoint: dict | None) -> bool:
    if not checkpoint:
        return False
    sig = file_signature(path)
    if not all(checkpoint.get(key) == value for key, value in sig.items()):
        return False
    # SQLite sources keep their WAL's signature: new rows may sit only in the -wal file for a while.
    return "wal" not in checkpoint or checkpoint["wal"] == wal_signature(path)


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


def appended_lines(path: Path, checkpoint: dict | None, result: ParseResult) -> tuple[list[bytes], int, int, dict] | None:
    """(complete lines appended since the checkpoint, their start offset, the offset after them, the
    file's signature) of an append-only file; None when it is unreadable (counted, checkpoint kept).
    A trailing partial line is left for the next run."""
    try:
        data, offset, signature = read_appended(path, checkpoint)
    except OSError:
        result.skipped["unreadable file"] += 1
        result.checkpoint = dict(checkpoint or {})
        return None
    limit = data.rfind(b"\n") + 1
    return data[:limit].split(b"\n")[:-1], offset, offset + limit, signature


def json_lines(lines: Iterable[bytes], anchors: tuple[bytes, ...], result: ParseResult) -> Iterator[object]:
    """The decoded lines containing one of the anchors; the rest (prompts, code, tool output) are never
    decoded. Inside JSON strings quotes are escaped, so a quoted anchor only matches real keys/values."""
    for line in lines:
        if any(anchor in line for anchor in anchors):
            try:
                yield orjson.loads(line)
            except orjson.JSONDecodeError:
                result.skipped["malformed line"] += 1


def read_changed_bytes(path: Path, checkpoint: dict | None, result: ParseResult) -> tuple[bytes, dict] | None:
    """(content, signature) of a whole-file source, or None when it is unchanged since the checkpoint
    (kept in result) or unreadable (counted in result.skipped)."""
    try:
        if unchanged(path, checkpoint):
            result.checkpoint = dict(checkpoint or {})
            return None
        signature = file_signature(path)
        return path.read_bytes(), signature
    except OSError:
        result.skipped["unreadable file"] += 1
    return None


def read_changed_json(path: Path, checkpoint: dict | None, result: ParseResult) -> tuple[object, dict] | None:
    """(document, signature) of a whole-file JSON source, or None when it is unchanged since the
    checkpoint (kept in result) or unreadable or malformed (counted in result.skipped; a file caught
    mid-write is simply read again next time)."""
    read = read_changed_bytes(path, checkpoint, result)
    if read is None:
        return None
    try:
        return orjson.loads(read[0]), read[1]
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
