"""Gemini CLI: per-response token usage from the chat recordings.

Locations: ``$GEMINI_CLI_HOME/.gemini`` (the CLI replaces the home folder with ``GEMINI_CLI_HOME``, then
appends ``.gemini``) and ``~/.gemini`` (also ``%USERPROFILE%\\.gemini`` on Windows, which is ``home``).
Under ``tmp/<project>/chats/``: ``session-*.jsonl`` (main sessions), ``<parent-session>/*.jsonl``
(subagents, which run their own model calls and record them in their own file) and legacy
``session-*.json``. ``<project>`` is the sha256 of the project root (older) or a slug (newer, with a
``.project_root`` file holding the path).

Formats (google-gemini/gemini-cli ``ChatRecordingService``):
- JSON (about v0.5 to the JSONL switch): one document ``{sessionId, projectHash, startTime,
  lastUpdated, messages[]}``, rewritten on every update.
- JSONL (current): a metadata line ``{sessionId, projectHash, ...}``, then each message appended again
  whenever it changes (tokens attached, tool calls updated), ``{"$set": ...}`` metadata updates and
  ``{"$rewindTo": id}`` markers. Resuming a legacy ``.json`` session copies its messages, ids unchanged,
  into ``session-*.jsonl`` beside it. ``$set.messages`` snapshots repeat already-appended messages and
  are not read.
Versions before the recorder (mid-2025) keep no token usage locally (``logs.json`` holds prompts only).

Counting decisions:
- One record per ``type: "gemini"`` message with ``tokens``: the recorder attaches the usageMetadata of
  one API response (the last streamed chunk) to one message. request_id = ``gemini-cli:<message id>``
  (a random UUID that survives rewrites, JSONL re-appends and the .json -> .jsonl migration), so
  re-appended copies collapse in ``keep_largest``.
- Rewound messages (``$rewindTo``) are still counted: the API call was made and billed.
- ``tokens.input`` is promptTokenCount, which INCLUDES ``cached`` (cachedContentTokenCount), so
  input_tokens = input - cached, and cache_read = cached. ``tool`` (toolUsePromptTokenCount, e.g. search
  grounding) is prompt billed at the input rate and not inside promptTokenCount: added to input.
- ``output`` is candidatesTokenCount, which EXCLUDES thoughts on the Gemini API: output = output +
  thoughts, reasoning = thoughts. When ``total`` shows the thoughts are already inside ``output``
  (total == input + output (+ tool)), they are not added again. Some trackers add ``cached`` on top of
  ``input``, counting cached tokens twice.
- ``model`` is the model the CLI asked for; if absent, the CLI default ``gemini-2.5-pro``, estimated.
- Prompt text, thoughts and tool output are never kept.
"""
from __future__ import annotations

import math
import os
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

import orjson

from burntop.client.records import Record
from burntop.client.sources.base import (
    ParseResult, Source, existing, file_signature, jsonl_lines, read_changed_json, resume_offset,
)

NAME = "gemini-cli"
DEFAULT_MODEL = "gemini-2.5-pro"
PATTERNS = ("tmp/*/chats/session-*.json", "tmp/*/chats/session-*.jsonl", "tmp/*/chats/*/*.jsonl")


def _int(value: object) -> int:
    """A non-negative int from a JSON number, 0 for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return 0
    return max(int(value), 0)


def split_usage(prompt: int, candidates: int, cached: int, thoughts: int, tool: int,
                total: int | None, thoughts_separate: bool) -> dict | None:
    """Record token fields from Gemini-style counts (prompt includes cached); None if all zero."""
    if prompt + candidates + cached + thoughts + tool == 0:
        return None
    if thoughts and total:
        # The total tells whether the writer kept thoughts apart from candidates (Gemini API) or
        # inside them (OpenAI-compatible backends converted to this shape).
        if total in (prompt + candidates + thoughts + tool, prompt + candidates + thoughts):
            thoughts_separate = True
        elif total in (prompt + candidates + tool, prompt + candidates):
            thoughts_separate = False
    cache_read = min(cached, prompt)
    output = candidates + thoughts if thoughts_separate else candidates
    return {
        "input_tokens": prompt - cache_read + tool,
        "output_tokens": output,
        "cache_read_tokens": cache_read,
        "reasoning_tokens": min(thoughts, output),
    }


def parse_time(value: object) -> datetime | None:
    """An aware UTC datetime from an ISO string or epoch milliseconds."""
    try:
        if isinstance(value, str) and value:
            stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            stamp = datetime.fromtimestamp(value / 1000, tz=timezone.utc)
        else:
            return None
    except (ValueError, OverflowError, OSError):
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.astimezone(timezone.utc)


def env_dirs(env: Mapping[str, str], name: str, home: Path) -> list[Path]:
    """Folders from an environment variable (one path or a list), ``~`` resolved against ``home``."""
    parts = [p.strip() for chunk in env.get(name, "").split(",") for p in chunk.split(os.pathsep)]
    dirs = []
    for part in filter(None, parts):
        if part == "~" or part.startswith(("~/", "~\\")):
            part = str(home) + part[1:]
        dirs.append(Path(part))
    return dirs


def project_key(path: Path, project_hash: object) -> str | None:
    """The project root from ``.project_root`` beside ``chats/``, else the tool's project hash."""
    for folder in (path.parent.parent, path.parent.parent.parent):
        marker = folder / ".project_root"
        try:
            if marker.is_file():
                text = marker.read_text(encoding="utf-8", errors="replace").strip()
                if text:
                    return text
        except OSError:
            pass
    return project_hash if isinstance(project_hash, str) and project_hash else None


def message_record(msg: dict, session: str | None, project: str | None, source: str,
                   default_model: str, thoughts_separate: bool, result: ParseResult) -> Record | None:
    """One Record from a recorded model message, or None (counted in ``result.skipped``)."""
    tokens = msg.get("tokens")
    if not isinstance(tokens, dict):
        result.skipped["no usage"] += 1
        return None
    total = tokens.get("total")
    fields = split_usage(_int(tokens.get("input")), _int(tokens.get("output")), _int(tokens.get("cached")),
                         _int(tokens.get("thoughts")), _int(tokens.get("tool")),
                         _int(total) if total is not None else None, thoughts_separate)
    if fields is None:
        result.skipped["no usage"] += 1
        return None
    stamp = parse_time(msg.get("timestamp"))
    if stamp is None:
        result.skipped["no timestamp"] += 1
        return None
    model = msg.get("model")
    estimated = not (isinstance(model, str) and model)
    return Record(source=source, request_id=f"{source}:{msg['id']}", timestamp=stamp,
                  model=default_model if estimated else model, session_id=session, project=project,
                  model_estimated=estimated, **fields)


def parse_chat_json(path: Path, checkpoint: dict | None, source: str = NAME,
                    default_model: str = DEFAULT_MODEL, thoughts_separate: bool = True,
                    types: tuple[str, ...] = ("gemini",)) -> ParseResult:
    """A legacy whole-file conversation ``{sessionId, projectHash, messages[]}``."""
    result = ParseResult()
    read = read_changed_json(path, checkpoint, result)
    if read is None:
        return result
    doc, result.checkpoint = read
    messages = doc.get("messages") if isinstance(doc, dict) else None
    if not isinstance(messages, list):
        result.skipped["unknown format"] += 1
        return result
    session = doc.get("sessionId") if isinstance(doc.get("sessionId"), str) else None
    project = project_key(path, doc.get("projectHash"))
    for msg in messages:
        if isinstance(msg, dict) and msg.get("type") in types and isinstance(msg.get("id"), str):
            record = message_record(msg, session, project, source, default_model, thoughts_separate, result)
            if record:
                result.records.append(record)
    return result


def parse_chat_jsonl(path: Path, checkpoint: dict | None) -> ParseResult:
    """An append-only session log: metadata, message, ``$set`` and ``$rewindTo`` lines."""
    result = ParseResult()
    state = dict(checkpoint or {})
    try:
        offset = resume_offset(path, checkpoint)
        signature = file_signature(path)
        lines = list(jsonl_lines(path, offset))
    except OSError:
        result.skipped["unreadable file"] += 1
        result.checkpoint = dict(checkpoint or {})
        return result
    session = state.get("session_id") if offset else None
    project_hash = state.get("project_hash") if offset else None
    project = project_key(path, project_hash)
    result.seen = len(lines)
    for end, line in lines:
        offset = result.skipped.at = end
        # Only model messages and metadata matter: user prompts are not decoded at all.
        if not (b'"gemini"' in line or b'"sessionId"' in line):
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError:
            result.skipped["malformed line"] += 1
            continue
        if not isinstance(item, dict):
            result.skipped["unknown format"] += 1
            continue
        if isinstance(item.get("id"), str):
            if item.get("type") == "gemini":
                record = message_record(item, session, project, NAME, DEFAULT_MODEL, True, result)
                if record:
                    result.records.append(record)
        elif isinstance(item.get("sessionId"), str):
            session = item["sessionId"]
            project_hash = item.get("projectHash", project_hash)
            project = project_key(path, project_hash)
        elif isinstance(item.get("$set"), dict) and isinstance(item["$set"].get("sessionId"), str):
            session = item["$set"]["sessionId"]
    result.checkpoint = {**signature, "offset": offset, "session_id": session, "project_hash": project_hash}
    return result


def parse(path: Path, checkpoint: dict | None) -> ParseResult:
    """Dispatch on the recorder format: ``.jsonl`` log or legacy ``.json`` document."""
    if path.suffix == ".jsonl":
        return parse_chat_jsonl(path, checkpoint)
    return parse_chat_json(path, checkpoint)


def discover(env: Mapping[str, str], home: Path) -> list[Path]:
    """Chat recordings under ``$GEMINI_CLI_HOME/.gemini`` and ``~/.gemini``."""
    roots = [base / ".gemini" for base in env_dirs(env, "GEMINI_CLI_HOME", home)] + [home / ".gemini"]
    found: list[Path] = []
    for pattern in PATTERNS:
        found += existing(roots, pattern)
    return sorted(set(found))


SOURCE = Source(name=NAME, label="Gemini CLI", discover=discover, parse=parse, unit="lines and messages",
                formats="chat recordings tmp/*/chats/session-*.json (v0.5+) and *.jsonl (current)")
