"""OpenCode (sst/opencode, now anomalyco/opencode): per-step usage from its message store.

Locations (xdg-basedir on every OS): ``$XDG_DATA_HOME/opencode`` and ``~/.local/share/opencode``.
- SQLite (v1.2+, 2026): ``opencode.db`` (``opencode-<channel>.db`` for other release channels) or
  ``$OPENCODE_DB`` (absolute, or relative to the data folder). Tables ``message(id, session_id,
  time_created, time_updated, data)``, ``part(id, message_id, session_id, time_created, time_updated,
  data)`` and ``session(id, directory, ...)``; ``data`` is the JSON of the message or part without its
  ids. Read with ``mode=ro`` (WAL mode: the ``-wal`` file is part of the signature); never written.
- JSON (2025 to v1.1): ``storage/message/<sessionID>/<messageID>.json`` with parts in
  ``storage/part/<messageID>/<partID>.json`` (older: ``storage/session/{message,part}/...``). The
  SQLite migration copies them unchanged, so both stores give the same request ids.
The same reader serves Kilo CLI (``kilo``), a fork that keeps this schema (see ``kilo.py``).

Counting decisions:
- One model call is one AI SDK step. OpenCode writes a ``step-finish`` part per step with that step's
  ``tokens`` and ``cost``, but keeps on the assistant message the LAST step's tokens (``tokens = ...``)
  next to the SUM of the steps' cost (``cost += ...``): multi-step messages (every tool loop before
  v1) are undercounted by trackers that read message tokens. So: one record per step-finish part
  (logged_cost = the part's cost); an assistant message with no step-finish part at all (early
  versions) gives one record for the message.
- Forks: ``Session.fork`` clones every message and part of the parent session up to the fork point
  into a new session with NEW message and part ids, keeping ``time``, ``modelID``, ``providerID``,
  ``tokens`` and ``cost`` as they were; its copied history must not count again. So the request id
  is a content fingerprint, ``<source>:<hash>`` of the message's ``time.created``, ``modelID``,
  ``providerID``, the unit's ``tokens`` object and ``cost``, and the step-finish part's position
  among its message's step-finish parts (-1 for a message-level record): the original and every
  copy share it wherever they are read, in one run or in different runs, and one of them is kept.
- ``tokens.input`` excludes cache reads and writes (OpenCode subtracts them where the provider
  includes them). Early versions stored the raw provider input (including cache reads for OpenAI,
  Google, OpenRouter): when ``tokens.total`` shows that (total == input + output [+ reasoning]),
  the cache tokens are subtracted here. Rows without ``total`` are taken as already exclusive.
- Reasoning, one rule per writer era: the current writer (AI SDK v6, 2026) stores ``output =
  outputTokens - reasoning`` and ``total`` = input + cache + output + reasoning, so reasoning is added
  to output. Rows with ``total`` == input + cache + output store the provider's output with
  reasoning inside. Rows without ``total`` (the AI SDK v5 era) store the AI SDK's ``outputTokens``
  as is, which holds the reasoning for every provider but Google's own adapter (``google``,
  ``google-vertex``: ``candidatesTokenCount`` leaves thoughts out): added only there, or when the
  reasoning exceeds the output (it cannot then be a part of it).
- timestamp = the message's ``time.created`` for all its steps (both stores hold it); model =
  ``modelID``, provider = ``providerID``; project = ``path.root`` (else ``path.cwd``).
"""
from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path

import orjson

from burntop.client.records import Record, keep_largest
from burntop.client.sources.base import ParseResult, Source, existing, file_signature, unchanged
from burntop.client.sources.gemini_cli import _int, env_dirs, parse_time

NAME = "opencode"
CHUNK = 500
# CASE keeps json_extract away from a malformed row (it would abort the whole query).
STEP_FINISH = "CASE WHEN json_valid({0}) THEN json_extract({0}, '$.type') END = 'step-finish'"
# Providers served by the AI SDK's Google adapter, whose output never held the thoughts.
GOOGLE_ADAPTER = frozenset({"google", "google-vertex"})
FORK_RULE = "same content fingerprint (a forked session's copy of a message)"
MERGE_RULE = "same content fingerprint in another file (forked sessions' copies; JSON store and database)"


def split_tokens(tokens: object, provider: str, model: str) -> dict | None:
    """Record token fields from an OpenCode ``tokens`` object; None if absent or all zero."""
    if not isinstance(tokens, dict):
        return None
    cache = tokens.get("cache") if isinstance(tokens.get("cache"), dict) else {}
    inp, out, rea = _int(tokens.get("input")), _int(tokens.get("output")), _int(tokens.get("reasoning"))
    read, write = _int(cache.get("read")), _int(cache.get("write"))
    if inp + out + rea + read + write == 0:
        return None
    total = _int(tokens.get("total"))
    input_has_cache, separate = False, None
    for has_cache in (False, True):
        base = inp + out + (0 if has_cache else read + write)
        if total and total == base + rea:
            input_has_cache, separate = has_cache, bool(rea)
            break
        if total and total == base:
            input_has_cache, separate = has_cache, False
            break
    if separate is None:
        separate = rea > out or provider in GOOGLE_ADAPTER
    if input_has_cache:
        inp = max(inp - read - write, 0)
    output = out + rea if separate else out
    return {"input_tokens": inp, "output_tokens": output, "cache_read_tokens": read,
            "cache_creation_tokens": write, "reasoning_tokens": min(rea, output)}


def fingerprint(msg: dict, unit: dict, position: int) -> str:
    """What a message's copies share: creation time, model, provider, tokens, cost, step position."""
    created = msg.get("time", {}).get("created") if isinstance(msg.get("time"), dict) else None
    content = [created, msg.get("modelID"), msg.get("providerID"), unit.get("tokens"), unit.get("cost"), position]
    try:
        data = orjson.dumps(content, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except TypeError:  # not JSON-able: fall back on its text
        data = repr(content).encode()
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def message_records(name: str, session: str | None, msg: dict, steps: list[tuple[int, dict]],
                    result: ParseResult) -> list[Record]:
    """Records for one assistant message: one per (position, step-finish part), else one for the message."""
    model, provider = msg.get("modelID"), msg.get("providerID")
    model = model if isinstance(model, str) and model else ""
    provider = provider if isinstance(provider, str) and provider else ""
    stamp = parse_time((msg.get("time") or {}).get("created") if isinstance(msg.get("time"), dict) else None)
    where = msg.get("path") if isinstance(msg.get("path"), dict) else {}
    project = where.get("root") or where.get("cwd")
    session = session or msg.get("sessionID")
    units = steps or [(-1, msg)]
    records = []
    for position, unit in units:
        fields = split_tokens(unit.get("tokens"), provider, model)
        if fields is None:
            result.skipped["no usage"] += 1
            continue
        if stamp is None:
            result.skipped["no timestamp"] += 1
            continue
        cost = unit.get("cost")
        records.append(Record(
            source=name, request_id=f"{name}:{fingerprint(msg, unit, position)}", timestamp=stamp,
            model=model or "unknown", model_estimated=not model, provider=provider or None,
            logged_cost=float(cost) if isinstance(cost, (int, float)) and not isinstance(cost, bool) else None,
            session_id=session if isinstance(session, str) else None,
            project=project if isinstance(project, str) and project else None, **fields))
    return records


def _load(data: bytes | str | None) -> dict | None:
    """A JSON object, or None."""
    try:
        value = orjson.loads(data) if data else None
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _json_steps(path: Path, session: str, msg_id: str) -> list[tuple[int, dict]]:
    """The step-finish parts stored beside a JSON message file, with their positions in id order."""
    root = path.parent.parent.parent
    steps: list[tuple[int, dict]] = []
    for folder in (root / "part" / msg_id, root / "part" / session / msg_id):
        for item in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                data = item.read_bytes()
            except OSError:
                continue
            # Text and tool parts hold prompt and code: only step-finish parts are decoded.
            if b'"step-finish"' in data:
                part = _load(data)
                if part and part.get("type") == "step-finish":
                    steps.append((len(steps), part))
    return steps


def parse_json(name: str, path: Path, checkpoint: dict | None) -> ParseResult:
    """One JSON message file (and its step-finish parts)."""
    result = ParseResult(seen=1)
    try:
        if unchanged(path, checkpoint):
            result.checkpoint = dict(checkpoint or {})
            result.seen = 0
            return result
        signature = file_signature(path)
        msg = _load(path.read_bytes())
    except OSError:
        result.skipped["unreadable file"] += 1
        return result
    if msg is None:
        result.skipped["malformed file"] += 1
        return result
    result.checkpoint = signature
    if msg.get("role") != "assistant":
        result.skipped["not an assistant message"] += 1
        return result
    msg_id = str(msg.get("id") or path.stem)
    session = str(msg.get("sessionID") or path.parent.name)
    steps = _json_steps(path, session, msg_id)
    result.seen = max(len(steps), 1)
    result.records = message_records(name, session, msg, steps, result)
    return result


def db_signature(path: Path) -> dict:
    """The database file's signature plus its write-ahead log's (new rows land there first)."""
    wal = Path(f"{path}-wal")
    sig = file_signature(path)
    sig["wal"] = [wal.stat().st_size, wal.stat().st_mtime_ns] if wal.exists() else None
    return sig


def _columns(con: sqlite3.Connection, table: str) -> set[str]:
    """Column names of a table (empty if it does not exist)."""
    return {row[1] for row in con.execute(f"PRAGMA table_info({table})")}


def _positions(con: sqlite3.Connection, msg_ids: list[str]) -> dict[str, int]:
    """Part id -> position among its message's step-finish parts, over ALL of them (an incremental
    read sees only the new ones, but a fingerprint must not depend on what was read before)."""
    positions: dict[str, int] = {}
    for start in range(0, len(msg_ids), CHUNK):
        chunk = msg_ids[start:start + CHUNK]
        rows = con.execute(f"SELECT message_id, id FROM part WHERE message_id IN ({','.join('?' * len(chunk))}) "
                           f"AND {STEP_FINISH.format('data')} ORDER BY message_id, id", chunk)
        last, position = None, 0
        for msg_id, part_id in rows:
            position = position + 1 if msg_id == last else 0
            last = msg_id
            positions[part_id] = position
    return positions


def _read_db(name: str, con: sqlite3.Connection, since: int, result: ParseResult) -> int | None:
    """Read rows updated since ``since``; the newest ``time_updated`` seen (None: not OpenCode's)."""
    need = {"id", "data", "time_updated"}
    if not need | {"message_id"} <= _columns(con, "part") or not need | {"session_id"} <= _columns(con, "message"):
        result.skipped["unknown format"] += 1
        return None
    newest = since
    steps: dict[str, list[tuple[int, dict]]] = {}
    rows = con.execute(
        "SELECT id, message_id, data, time_updated FROM part WHERE time_updated >= ? "
        f"AND {STEP_FINISH.format('data')} ORDER BY message_id, id", (since,))
    counted: dict[str, int] = {}
    part_ids: dict[str, list[str]] = {}
    for part_id, msg_id, data, updated in rows:
        result.seen += 1
        newest = max(newest, _int(updated))
        position = counted[msg_id] = counted.get(msg_id, -1) + 1  # a full read sees every step in order
        part = _load(data)
        if part is None:
            result.skipped.note("malformed row", f"part {part_id}")
            continue
        steps.setdefault(msg_id, []).append((position, part))
        part_ids.setdefault(msg_id, []).append(part_id)
    ids = list(steps)
    if since:
        positions = _positions(con, ids)
        steps = {m: [(positions.get(pid, pos), part) for pid, (pos, part) in zip(part_ids[m], units)]
                 for m, units in steps.items()}
    found = set()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        query = f"SELECT id, session_id, data FROM message WHERE id IN ({','.join('?' * len(chunk))})"
        for msg_id, session, data in con.execute(query, chunk):
            msg = _load(data)
            if msg is None:
                result.skipped.note("malformed row", f"message {msg_id}", len(steps[msg_id]))
                continue
            found.add(msg_id)
            result.records += message_records(name, session, msg, steps[msg_id], result)
    orphans = sum(len(steps[i]) for i in set(ids) - found)
    if orphans:
        result.skipped["part without message"] += orphans
    rows = con.execute(
        "SELECT m.id, m.session_id, m.data, m.time_updated FROM message m WHERE m.time_updated >= ? "
        "AND CASE WHEN json_valid(m.data) THEN json_extract(m.data, '$.role') END = 'assistant' "
        f"AND NOT EXISTS (SELECT 1 FROM part p WHERE p.message_id = m.id AND {STEP_FINISH.format('p.data')})", (since,))
    for msg_id, session, data, updated in rows:
        result.seen += 1
        newest = max(newest, _int(updated))
        msg = _load(data)
        if msg is None:
            result.skipped.note("malformed row", f"message {msg_id}")
            continue
        result.records += message_records(name, session, msg, [], result)
    return newest


def parse_db(name: str, path: Path, checkpoint: dict | None) -> ParseResult:
    """The SQLite store, read-only, from the last ``time_updated`` seen when the file is the same."""
    result = ParseResult(seen=0)
    try:
        signature = db_signature(path)
    except OSError:
        result.skipped["unreadable file"] += 1
        return result
    old = checkpoint or {}
    if all(old.get(key) == value for key, value in signature.items()):
        result.checkpoint = dict(old)
        return result
    since = _int(old.get("updated")) if old.get("inode") == signature["inode"] else 0
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        result.skipped["unreadable database"] += 1
        return result
    try:
        newest = _read_db(name, con, since, result)
    except (sqlite3.Error, OverflowError):
        result.records.clear()
        result.seen = 0
        result.skipped["unreadable database"] += 1
        result.checkpoint = dict(old)  # keep the old state so the next run tries again
        return result
    finally:
        con.close()
    kept = keep_largest(result.records)
    if len(kept) < len(result.records):
        result.folded[FORK_RULE] = len(result.records) - len(kept)
        result.records = kept
    result.checkpoint = {**signature, "updated": newest} if newest is not None else signature
    return result


def reader(name: str) -> Callable[[Path, dict | None], ParseResult]:
    """The parse(path, checkpoint) of one OpenCode-format source: SQLite database or JSON message file."""
    def parse(path: Path, checkpoint: dict | None) -> ParseResult:
        """SQLite database or JSON message file."""
        return parse_db(name, path, checkpoint) if path.suffix == ".db" else parse_json(name, path, checkpoint)
    return parse


def json_files(roots: list[Path]) -> list[Path]:
    """Message files of the JSON store (both layouts) under the given data folders."""
    found: list[Path] = []
    for pattern in ("storage/message/*/*.json", "storage/session/message/*/*.json"):
        found += existing(roots, pattern)
    return found


def discover(env: Mapping[str, str], home: Path) -> list[Path]:
    """Databases and JSON message files in OpenCode's data folders."""
    roots = [base / "opencode" for base in env_dirs(env, "XDG_DATA_HOME", home)]
    roots.append(home / ".local" / "share" / "opencode")
    found = existing(roots, "opencode*.db")
    custom = env.get("OPENCODE_DB", "").strip()
    if custom and custom != ":memory:":
        candidates = [Path(custom)] if Path(custom).is_absolute() else [root / custom for root in roots]
        found += [item for item in candidates if item.is_file()]
    return sorted(set(found + json_files(roots)))


parse = reader(NAME)

SOURCE = Source(name=NAME, label="OpenCode", discover=discover, parse=parse, merge_rule=MERGE_RULE,
                unit="steps and messages",
                formats="SQLite opencode.db (v1.2+) and JSON storage/message (2025-v1.1), per step-finish")
