"""Claude Code: the session transcripts it appends to under ``<config dir>/projects/``.

Locations: every directory in ``CLAUDE_CONFIG_DIR`` (one path or a comma-separated list; Claude Code
keeps its state in ``$CLAUDE_CONFIG_DIR/projects``); otherwise ``~/.config/claude/projects`` (the
XDG location some 1.0.x releases used, and ``$XDG_CONFIG_HOME/claude/projects`` when that is set) and
``~/.claude/projects`` (the default on Linux, macOS and Windows, where ``~`` is ``%USERPROFILE%``).
Files: ``<project key>/<session id>.jsonl`` plus sub-agent transcripts
``<project key>/<session id>/subagents/agent-*.jsonl``; all ``**/*.jsonl`` are read.

Format covered: Claude Code 1.0.x to 2.1.x (2025-2026). One JSON object per line; the lines that
matter are ``{"type": "assistant", "message": {"id", "model", "usage": {...}}, "requestId",
"sessionId", "cwd", "timestamp", "isSidechain", "costUSD"?}``. ``usage`` is the Anthropic Messages
API usage object (``input_tokens`` excludes cache reads and writes; ``cache_creation`` splits the
writes into ``ephemeral_5m_input_tokens`` and ``ephemeral_1h_input_tokens``; ``output_tokens``
already includes extended-thinking tokens, which the API does not report separately).

Counting decisions:
- One record per ``message.id``, across all files. Anthropic's message id is unique per API response;
  Claude Code writes one line per content block of a response (thinking, text, tool_use), each
  repeating the usage, newer versions also write an early streaming snapshot whose ``output_tokens``
  is still small, and it replays parent messages into other transcripts (``/btw`` side-question
  files and other sidechain copies under ``subagents/``, resumed and forked sessions) with the same
  ``message.id`` but another ``requestId`` and the parent's cache-read usage. So the ``requestId`` is
  not part of the key: request_id = ``claude-code:<message.id>``, the same whichever copy is read
  first, so a later sync can never add a twin (the server dedupes by request_id).
- Which copy is kept: the main-chain copy (``isSidechain`` not true and not under a ``subagents/``
  folder), else the largest usage (never the first line, which may be the partial snapshot); the
  timestamp is the earliest of all copies (a replay or a resumed copy is written later).
- ``<synthetic>`` lines are messages Claude Code makes up itself (API errors, interruptions) with
  zero usage; no model answered and nothing was billed, so they are not records (counted in
  ``skipped["synthetic message"]``); they can never add tokens or message counts.
- ``costUSD`` (written by releases before 1.0.9) -> logged_cost; ``cwd`` -> project;
  ``sessionId`` -> session_id; ``message.model`` -> model as logged. reasoning_tokens stays 0.
- Lines without usage (user prompts, tool results, summaries, snapshots) are counted in
  ``skipped["no usage"]``; lines that look like assistant lines but do not parse are
  ``skipped["malformed line"]``; a trailing line without a newline is left for the next run.

Sessions (events, active time, lines of code, commits): see ``claude_code_sessions``; the checkpoint
keeps the file's session part and the edit and commit calls still waiting for their result.

Speed: only lines containing the bytes ``"assistant"`` are JSON-parsed for records (tool results and prompts,
most of the bytes, are never decoded: inside JSON strings quotes are escaped, so the pattern only
matches real keys/values), and lines are located with ``bytes.find`` instead of splitting the file.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import orjson

from burntop.client.records import Record, keep_largest
from burntop.client.sessions import utc_time
from burntop.client.sources.claude_code_sessions import SessionFacts
from burntop.client.sources.base import (
    ParseResult,
    Source,
    env_paths,
    existing,
    read_appended,
)

NAME = "claude-code"
_ANCHOR = b'"assistant"'
_loads = orjson.loads


def discover(env: Mapping[str, str], home: Path) -> list[Path]:
    """Transcript files under each configured (or default) Claude Code projects folder."""
    configured = env_paths(env, "CLAUDE_CONFIG_DIR")
    if configured:
        roots = [base / "projects" for base in configured]
    else:
        roots = [home / ".config" / "claude" / "projects", home / ".claude" / "projects"]
        if env.get("XDG_CONFIG_HOME"):
            roots.insert(0, Path(env["XDG_CONFIG_HOME"]).expanduser() / "claude" / "projects")
    return existing(roots, "**/*.jsonl")


def _count(value: object) -> int:
    """A token count from the log; anything that is not a positive number counts as 0."""
    if value.__class__ is int:
        return value if value > 0 else 0  # type: ignore[return-value]
    if value.__class__ is float and value > 0:  # type: ignore[operator]
        return int(value)  # type: ignore[arg-type]
    return 0


def _entry(obj: dict, message: object, skipped: Counter, main_file: bool, moment: datetime | None) -> tuple | None:
    """(request_id, size, timestamp, fields) of a decoded assistant line, its ``message`` and its
    timestamp read by ``utc_time``, or None; size orders the copies of one response: the main-chain
    copy first, then the largest usage."""
    usage = message.get("usage") if message.__class__ is dict else None
    if usage.__class__ is not dict:
        skipped["no usage"] += 1
        return None
    model = message.get("model")
    if model == "<synthetic>":
        skipped["synthetic message"] += 1
        return None
    message_id = message.get("id")
    if message_id.__class__ is not str or not message_id:
        skipped["no message id"] += 1
        return None
    if moment is None:
        skipped["bad timestamp"] += 1
        return None
    get = usage.get
    fresh, output = get("input_tokens"), get("output_tokens")
    write, read = get("cache_creation_input_tokens"), get("cache_read_input_tokens")
    if not (fresh.__class__ is output.__class__ is write.__class__ is read.__class__ is int) or min(
            fresh, output, write, read) < 0:
        fresh, output, write, read = _count(fresh), _count(output), _count(write), _count(read)
    one_hour = 0
    split = get("cache_creation")
    if split.__class__ is dict:
        one_hour = split.get("ephemeral_1h_input_tokens")
        if one_hour.__class__ is not int or one_hour < 0:
            one_hour = _count(one_hour)
        if not write:
            write = _count(split.get("ephemeral_5m_input_tokens")) + one_hour
        one_hour = min(one_hour, write)
    main = main_file and obj.get("isSidechain") is not True
    cost, session, cwd = obj.get("costUSD"), obj.get("sessionId"), obj.get("cwd")
    fields = (
        model if model.__class__ is str and model else None, fresh, output, write, read, one_hour,
        float(cost) if cost.__class__ in (int, float) else None,
        session if session.__class__ is str else None, cwd if cwd.__class__ is str else None, int(main),
    )
    return f"{NAME}:{message_id}", (main, fresh + output + write + read, output), moment, fields


def _build(entry: tuple, request_id: str, moment: datetime) -> Record:
    """The Record for the kept line of one response."""
    model, fresh, output, write, read, one_hour, cost, session, cwd, main = entry[3]
    return Record(
        source=NAME, request_id=request_id, timestamp=moment, model=model or "unknown",
        input_tokens=fresh, output_tokens=output, cache_creation_tokens=write, cache_read_tokens=read,
        cache_creation_1h_tokens=one_hour, logged_cost=cost, session_id=session, project=cwd,
        model_estimated=model is None, priority=main,
    )


def merge(records: list[Record]) -> list[Record]:
    """One record per message id: the main-chain copy, else the largest usage; the earliest timestamp."""
    earliest: dict[str, datetime] = {}
    for record in records:
        first = earliest.get(record.request_id)
        if first is None or record.timestamp < first:
            earliest[record.request_id] = record.timestamp
    kept = keep_largest(sorted(records, key=lambda r: r.timestamp))
    # Copies, not edits: the caller's records stay as parsed.
    return [r if r.timestamp == earliest[r.request_id] else replace(r, timestamp=earliest[r.request_id])
            for r in kept]


def _scan(data: bytes, limit: int, skipped: Counter, main_file: bool, facts: SessionFacts) -> tuple[dict, dict, int, int]:
    """Kept entry and earliest time per request_id of the candidate lines, the number of candidates and
    of all lines; every line's session facts go to ``facts``."""
    best: dict[str, tuple] = {}
    earliest: dict[str, datetime] = {}
    candidates = others = 0
    find, rfind, lines = data.find, data.rfind, facts.lines
    position = 0  # where the lines not read yet start
    while position < limit:
        anchor = find(_ANCHOR, position, limit)
        if anchor < 0:
            others += lines(data, position, limit)
            break
        start = rfind(b"\n", 0, anchor) + 1
        if start > position:
            others += lines(data, position, start)  # the lines between two responses: events and results
        stop = find(b"\n", anchor, limit)
        position = stop + 1
        skipped.at = position
        candidates += 1
        try:
            obj = _loads(data[start:stop])
        except orjson.JSONDecodeError:
            skipped["malformed line"] += 1
            continue
        if obj.__class__ is not dict:
            skipped["no usage"] += 1
            continue
        moment = utc_time(obj.get("timestamp"))  # read once, for the session and the record
        if obj.get("type") != "assistant":
            facts.decoded(obj, None if moment is None else moment.timestamp())
            skipped["no usage"] += 1
            continue
        message = obj.get("message")
        facts.response(obj.get("sessionId"), moment, message)
        entry = _entry(obj, message, skipped, main_file, moment)
        if entry is None:
            continue
        request_id = entry[0]
        kept = best.get(request_id)
        if kept is None:
            best[request_id] = entry
            earliest[request_id] = moment
            continue
        if entry[1] > kept[1]:
            best[request_id] = entry
        if moment < earliest[request_id]:
            earliest[request_id] = moment
    return best, earliest, candidates, candidates + others


FOLD_RULE = "same message.id (content blocks, streaming snapshots, replays): main chain, else largest usage"


def parse(path: Path, checkpoint: dict | None) -> ParseResult:
    """Records from the complete lines after the checkpoint's offset; never raises on content."""
    result = ParseResult(seen=0)
    try:
        data, offset, signature = read_appended(path, checkpoint)
    except OSError:
        result.skipped["unreadable file"] += 1
        result.checkpoint = dict(checkpoint or {})
        return result
    limit = data.rfind(b"\n") + 1
    result.skipped.origin = offset
    facts = SessionFacts(checkpoint if offset else None)
    best, earliest, candidates, lines = _scan(data, limit, result.skipped, "subagents" not in path.parts, facts)
    result.records = [_build(entry, request_id, earliest[request_id]) for request_id, entry in best.items()]
    if lines > candidates:
        result.skipped["no usage"] += lines - candidates
    result.seen = lines
    folded = lines - len(result.records) - sum(result.skipped.values())
    if folded:
        result.folded[FOLD_RULE] = folded
    result.checkpoint = {**signature, "offset": offset + limit, **facts.dump()}
    return result


SOURCE = Source(
    name=NAME,
    label="Claude Code",
    discover=discover,
    parse=parse,
    merge=merge,
    merge_rule="same message.id in another file (sidechain, /btw and resumed copies): main chain, else largest "
               "usage; earliest time",
    unit="lines",
    sessions=True,
    formats="Claude Code 1.0.x-2.1.x projects/**/*.jsonl (assistant lines with message.usage; "
            "costUSD before 1.0.9; cache_creation 5m/1h split; subagents/agent-*.jsonl)",
)
