"""Cursor (the editor's chat / composer / agent): per-message token counts in its local SQLite state.

Locations: ``Cursor/User/globalStorage/state.vscdb`` under ``$XDG_CONFIG_HOME`` or ``~/.config``
(Linux), ``~/Library/Application Support`` (macOS) and ``%APPDATA%`` (Windows). The per-workspace
``Cursor/User/workspaceStorage/<hash>/state.vscdb`` files hold no messages (their
``cursorDiskKV`` is empty); they are read only to map chats to project folders
(``workspace.json`` ``folder`` + ``ItemTable`` ``composer.composerData`` / ``composer.composerHeaders``).

Format (reverse-engineered, no public writer: Cursor 0.4x-2.x, 2025-2026): table ``cursorDiskKV``
(key TEXT, value BLOB of JSON); ``bubbleId:<composerId>:<bubbleId>`` is one chat message with
``type`` (1 user, 2 assistant), ``tokenCount {inputTokens, outputTokens}``, ``modelInfo.modelName``,
``createdAt`` (ISO; absent before ~Oct 2025) and ``timingInfo`` (epoch-ms client times);
``composerData:<composerId>`` is the chat with ``modelConfig.modelName`` and epoch-ms times.

Reading: the database is opened read-only and ``immutable`` (no locks, never blocks Cursor).
Cursor writes through a WAL, which an immutable reader does not see: changes still in the WAL
are read on a later run, once Cursor checkpoints them into the main file (the checkpoint is the
main file's signature, so that run re-reads it). Only token counts, model names, times and ids
are selected: message text is never fetched, and ``ItemTable`` (where Cursor keeps its login)
of the global database is never queried.

Counting decisions:

- Only bubbles with a non-zero ``tokenCount`` are counted, one record each: Cursor writes the
  turn's counts on the turn-final assistant bubble and zeros on the others; aborted turns and
  Cursor 3.x (which stores zeros everywhere) yield nothing. Nothing is estimated from text.
- ``inputTokens`` is the whole prompt as Cursor reports it (no cache split is stored): it is
  input_tokens, cache fields 0; ``outputTokens`` is output_tokens. Cursor logs no cost.
- Model: the bubble's ``modelInfo.modelName``; when missing or ``default`` (Auto mode), the chat's
  ``modelConfig.modelName``, flagged ``model_estimated`` (it may have changed since); when that is
  also ``default`` or missing, ``cursor-auto``, flagged ``model_estimated``.
- Time: ``createdAt``, else ``timingInfo.clientEndTime`` / ``clientRpcSendTime``, else the chat's
  ``lastUpdatedAt`` / ``createdAt``; a bubble with none is skipped.
- request_id ``cursor:<bubbleId>`` (Cursor's own message UUID); session_id = composer id;
  project = the chat's workspace folder when a workspace lists it.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlparse

import orjson

from burntop.client.records import Record
from burntop.client.sources.base import ParseResult, Source, file_signature, unchanged
from burntop.client.sources.vscode_tasks import settings_bases

AUTO_MODEL = "cursor-auto"
BUBBLE_FIELDS = ("$.tokenCount.inputTokens", "$.tokenCount.outputTokens", "$.modelInfo.modelName", "$.createdAt",
                 "$.timingInfo.clientEndTime", "$.timingInfo.clientRpcSendTime")
COMPOSER_FIELDS = ("$.modelConfig.modelName", "$.lastUpdatedAt", "$.createdAt")


def discover(env: Mapping[str, str], home: Path) -> list[Path]:
    """Cursor's global state database on each platform's settings folder."""
    found = [base / "Cursor" / "User" / "globalStorage" / "state.vscdb" for base in settings_bases(env, home)]
    return [path for path in dict.fromkeys(found) if path.is_file()]


def connect(path: Path) -> sqlite3.Connection:
    """A read-only, lock-free connection (immutable: SQLite takes no locks and never writes)."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)


def extract_query(prefix: str, fields: tuple[str, ...]) -> str:
    """Keys with a prefix and the listed JSON fields as one JSON array (NULL for invalid JSON)."""
    # json_extract with several paths returns one JSON array; the value is parsed once per row.
    paths = ", ".join(f"'{field}'" for field in fields)
    return (f"SELECT key, CASE WHEN json_valid(v) THEN json_extract(v, {paths}) END "
            f"FROM (SELECT key, CAST(value AS TEXT) AS v FROM cursorDiskKV WHERE key GLOB '{prefix}:*')")


def values(cell: object, width: int) -> list | None:
    """The extracted field values of one row, or None when the row is not valid JSON."""
    if not isinstance(cell, str):
        return None
    try:
        parsed = orjson.loads(cell)
    except orjson.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, list) and len(parsed) == width else None


def number(value: object) -> int:
    """A non-negative count, 0 when absent or not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return 0
    return max(0, int(value))


def to_time(value: object) -> datetime | None:
    """ISO strings (naive = UTC) or epoch milliseconds as aware UTC, else None."""
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    if number(value) > 10**11:  # epoch ms (performance.now() values are far smaller)
        return datetime.fromtimestamp(number(value) / 1000, timezone.utc)
    return None


def chosen_model(name: object) -> str | None:
    """A concrete model name, or None for missing / Auto ("default")."""
    return name if isinstance(name, str) and name and name != "default" else None


def folder_path(uri: str) -> str:
    """A workspace folder URI as a local path (file:// URIs), else the URI itself."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return uri
    path = unquote(parsed.path)
    return path[1:] if len(path) > 2 and path[0] == "/" and path[2] == ":" else path


def workspace_projects(global_db: Path) -> dict[str, str]:
    """composerId -> workspace folder, from the sibling workspaceStorage folders."""
    projects: dict[str, str] = {}
    storage = global_db.parent.parent / "workspaceStorage"
    try:
        folders = sorted(p for p in storage.iterdir() if p.is_dir())
    except OSError:
        return projects
    for folder in folders:
        meta = read_json(folder / "workspace.json")
        uri = (meta.get("folder") or meta.get("workspace")) if isinstance(meta, dict) else None
        if not isinstance(uri, str) or not (folder / "state.vscdb").is_file():
            continue
        try:
            with closing(connect(folder / "state.vscdb")) as conn:
                rows = conn.execute("SELECT value FROM ItemTable WHERE key IN "
                                    "('composer.composerData', 'composer.composerHeaders')").fetchall()
        except sqlite3.Error:
            continue
        for (value,) in rows:
            try:
                data = orjson.loads(value)
            except (orjson.JSONDecodeError, TypeError):
                continue
            listed = data.get("allComposers") if isinstance(data, dict) else None
            for composer in listed if isinstance(listed, list) else []:
                if isinstance(composer, dict) and isinstance(composer.get("composerId"), str):
                    projects[composer["composerId"]] = folder_path(uri)
    return projects


def read_json(path: Path) -> object:
    """A small JSON file, or None."""
    try:
        return orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None


def composers(conn: sqlite3.Connection) -> dict[str, list]:
    """composerId -> [model name, lastUpdatedAt, createdAt]."""
    out = {}
    for key, cell in conn.execute(extract_query("composerData", COMPOSER_FIELDS)):
        fields = values(cell, len(COMPOSER_FIELDS))
        if fields is not None and isinstance(key, str):
            out[key.split(":", 1)[1]] = fields
    return out


def to_record(key: str, fields: list, chats: dict[str, list], projects: dict[str, str]) -> Record | str | None:
    """One bubble as a Record, a skip reason, or None when it carries no tokens (the usual case)."""
    input_tokens, output_tokens = number(fields[0]), number(fields[1])
    if not (input_tokens or output_tokens):
        return None
    parts = key.split(":")
    if len(parts) < 3 or not parts[-1]:
        return "unknown format"
    composer_id, bubble_id = ":".join(parts[1:-1]), parts[-1]
    chat = chats.get(composer_id) or [None, None, None]
    when = next((t for t in map(to_time, (fields[3], fields[4], fields[5], chat[1], chat[2])) if t), None)
    if when is None:
        return "no timestamp"
    model = chosen_model(fields[2])
    fallback = chosen_model(chat[0])
    return Record(
        source="cursor", request_id=f"cursor:{bubble_id}", timestamp=when,
        model=model or fallback or AUTO_MODEL, input_tokens=input_tokens, output_tokens=output_tokens,
        session_id=composer_id, project=projects.get(composer_id), model_estimated=model is None,
    )


def parse(path: Path, checkpoint: dict | None) -> ParseResult:
    """Read every token-bearing bubble of the global state database (re-read when it changed)."""
    result = ParseResult()
    if checkpoint and unchanged(path, checkpoint):
        result.checkpoint = checkpoint
        return result
    signature = file_signature(path)
    try:
        with closing(connect(path)) as conn:
            chats = composers(conn)
            rows = conn.execute(extract_query("bubbleId", BUBBLE_FIELDS)).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            result.checkpoint = signature
            result.skipped["unknown format"] += 1
        else:  # busy or torn while Cursor checkpoints: try again next run
            result.skipped["unreadable database"] += 1
        return result
    except sqlite3.DatabaseError:
        result.skipped["unreadable database"] += 1
        return result
    projects = workspace_projects(path)
    for key, cell in rows:
        fields = values(cell, len(BUBBLE_FIELDS))
        valid = fields is not None and isinstance(key, str)
        record = to_record(key, fields, chats, projects) if valid else "malformed row"
        if isinstance(record, str):
            result.skipped.note(record, f"row {key}")
        elif record is not None:
            result.records.append(record)
    result.checkpoint = signature
    return result


SOURCE = Source(
    name="cursor",
    label="Cursor",
    discover=discover,
    parse=parse,
    formats="globalStorage/state.vscdb cursorDiskKV bubbleId:* tokenCount (Cursor 0.4x-2.x, 2025-2026)",
)
