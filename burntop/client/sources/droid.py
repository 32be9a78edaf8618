"""Droid (Factory's CLI): per-SESSION token totals, the only usage Droid keeps locally.

Droid is closed source. Its session folder holds, per session, ``<session id>.jsonl`` (the message
history: ``session_start`` and ``message`` lines with no token usage on any line, in every version
seen up to 2026) and ``<session id>.settings.json`` with a running total ``tokenUsage {inputTokens,
outputTokens, cacheCreationTokens, cacheReadTokens, thinkingTokens}`` plus ``model``,
``providerLock`` and ``providerLockTimestamp``, rewritten in place as the session goes on.

Locations: ``~/.factory/sessions/<encoded cwd>/<id>.settings.json`` (older builds: directly in
``sessions/``); ``~`` is ``%USERPROFILE%`` on Windows. No environment override is documented.

Because no per-response usage exists, this source reports ONE record per session, honestly marked:
- request_id = ``droid:<session id>``; ``extra["granularity"] = "session"``.
- ``burntop stats`` always shows the session's current total (however recently it was touched,
  e.g. a history restored from a backup). Only ``sync`` waits until the settings file has been
  left alone for ``QUIET_SECONDS`` (``extra[HOLD]``): an active session's total still grows and
  the server keeps the first value it gets for an id. A session resumed after it was synced adds
  tokens the server does NOT count; this undercounts rather than double counting (per-delta
  records would count twice whenever a checkpoint is lost).
- The whole session is dated at ``providerLockTimestamp`` (its first model call), else the file's
  mtime, and attributed to ``model`` (the session's current model; a session that switched models
  is priced entirely at the last one). Without ``model`` in the settings file, the model is the
  last ``Model: <name>`` line Droid wrote into the transcript (``<name>`` as shown, e.g. ``Claude
  Sonnet 4.5 [Anthropic]``: the bracketed part and a ``custom:`` prefix dropped, lower-cased, spaces
  as dashes); ``model_estimated`` only when neither names one.
- inputTokens is taken as non-cached input (Anthropic-style names; sessions show cache reads far
  above input). thinkingTokens: both Anthropic output_tokens and OpenAI completion_tokens already
  include reasoning, so it is a part of output and not added, unless it exceeds output (then it
  cannot be a part and is added). Other trackers (tokscale and its ports) add it unconditionally.
- cwd for the project comes from the sibling ``.jsonl``'s first line (``session_start``) when present.
"""
from __future__ import annotations

import re
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

import orjson

from burntop.client.records import Record
from burntop.client.sources.base import HOLD, ParseResult, Source, existing, read_changed_json
from burntop.client.sources.gemini_cli import _int, parse_time

NAME = "droid"
QUIET_SECONDS = 3600
SUFFIX = ".settings.json"


MODEL_LINE = re.compile(rb"Model: ?([^\"\\\[\n\r]{1,100})")


def transcript_model(settings_path: Path) -> str | None:
    """The model of the last ``Model:`` line in the session's transcript, as a price-table name."""
    try:
        data = settings_path.with_name(settings_path.name[: -len(SUFFIX)] + ".jsonl").read_bytes()
    except OSError:
        return None
    matches = MODEL_LINE.findall(data, max(data.rfind(b"Model:") - 1, 0)) if b"Model:" in data else []
    if not matches:
        return None
    name = matches[-1].decode("utf-8", "replace").strip().removeprefix("custom:").strip()
    return "-".join(name.lower().split()) or None


def _cwd(settings_path: Path) -> str | None:
    """The session's cwd from the first line of the sibling message log (nothing else is read)."""
    log = settings_path.with_name(settings_path.name[: -len(SUFFIX)] + ".jsonl")
    try:
        with open(log, "rb") as handle:
            first = handle.readline(1 << 20)
        item = orjson.loads(first)
    except (OSError, orjson.JSONDecodeError):
        return None
    cwd = item.get("cwd") if isinstance(item, dict) else None
    return cwd if isinstance(cwd, str) and cwd else None


def session_fields(usage: dict) -> dict | None:
    """Token fields from a session's ``tokenUsage``; None when it is all zero."""
    inp, out, think = _int(usage.get("inputTokens")), _int(usage.get("outputTokens")), _int(usage.get("thinkingTokens"))
    write, read = _int(usage.get("cacheCreationTokens")), _int(usage.get("cacheReadTokens"))
    if inp + out + think + write + read == 0:
        return None
    output = out + think if think > out else out
    return {"input_tokens": inp, "output_tokens": output, "cache_creation_tokens": write,
            "cache_read_tokens": read, "reasoning_tokens": min(think, output)}


def parse(path: Path, checkpoint: dict | None) -> ParseResult:
    """One session's settings file: a single session-total record once the session is quiet."""
    result = ParseResult(seen=1)
    read = read_changed_json(path, checkpoint, result)
    if read is None:
        return result
    settings, signature = read
    usage = settings.get("tokenUsage") if isinstance(settings, dict) else None
    if not isinstance(usage, dict):
        result.skipped["no usage" if isinstance(settings, dict) else "unknown format"] += 1
        result.checkpoint = signature
        return result
    fields = session_fields(usage)
    if fields is None:
        result.skipped["no usage"] += 1
        return result  # no checkpoint: a new session's file is read again once it has tokens
    stamp = parse_time(settings.get("providerLockTimestamp")) or datetime.fromtimestamp(
        signature["mtime_ns"] / 1e9, tz=timezone.utc)
    model, provider = settings.get("model"), settings.get("providerLock")
    if not (isinstance(model, str) and model):
        model = transcript_model(path)
        if model:
            result.notes["model from the transcript's Model: line"] += 1
    session = path.name[: -len(SUFFIX)]
    extra = {"granularity": "session"}
    if time.time() - signature["mtime_ns"] / 1e9 < QUIET_SECONDS:
        extra[HOLD] = True  # still growing: sync waits, stats shows it
    result.records.append(Record(
        source=NAME, request_id=f"{NAME}:{session}", timestamp=stamp, model=model or "unknown",
        model_estimated=not model, provider=provider if isinstance(provider, str) and provider else None,
        session_id=session, project=_cwd(path), extra=extra, **fields))
    result.checkpoint = signature
    return result


def discover(env: Mapping[str, str], home: Path) -> list[Path]:
    """Session settings files under ``~/.factory/sessions``."""
    root = [home / ".factory" / "sessions"]
    return sorted(set(existing(root, f"*{SUFFIX}") + existing(root, f"*/*{SUFFIX}")))


SOURCE = Source(name=NAME, label="Droid", discover=discover, parse=parse, unit="session files",
                formats="sessions/**/<id>.settings.json tokenUsage: per-session totals only")
