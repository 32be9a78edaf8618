"""Continue (VS Code and JetBrains extensions, ``cn`` CLI): its local dev-data log.

Locations: ``$CONTINUE_GLOBAL_DIR`` (Continue's own override), else ``~/.continue`` (the same on
Windows: ``%USERPROFILE%\\.continue``); file ``dev_data/<schema>/tokensGenerated.jsonl``
(continuedev/continue ``getDevDataFilePath``; schema ``0.2.0`` since early 2025).

Format (``core/data/log.ts`` ``DataLogger.logDevData`` with the ``tokensGenerated`` 0.2.0 schema of
``packages/config-yaml``): one line per LLM call, ``{"eventName": "tokensGenerated", "schema",
"timestamp" (ISO, UTC), "userId", "userAgent", "selectedProfileId", "model", "provider",
"promptTokens", "generatedTokens"}``; one variant of the schema names the time ``createdAt``.

Counting decisions:

- One line = one model call (``BaseLLM._logEnd`` runs once per chat, edit, apply or
  autocomplete call, whether it succeeded, failed or was cancelled). ``chatInteraction.jsonl``
  has no token counts (only prompt and completion text) and is never read.
- The numbers are Continue's own estimates: ``_logEnd`` counts the prompt and the completion
  with its local tokenizer and never logs the provider's usage, so there is no cache split and
  no reasoning count; promptTokens is input_tokens (the whole prompt), generatedTokens is
  output_tokens. ``devdata.sqlite`` ``tokens_generated`` holds the same estimates: reading both
  would count every call twice, so only the JSONL is read (calls from before the 0.2.0 log, 2024,
  exist only in the SQLite table and are not counted).
- session_id: the line's ``sessionId`` where a schema variant writes one, else none.
- Model and provider as logged (``provider`` is Continue's provider name, e.g. ``anthropic``,
  ``ollama``); a line without a model gets ``unknown``, flagged ``model_estimated``.
- request_id: the line has no id; ``continue:`` + a hash of its time (millisecond precision),
  model, provider and token counts, identical on every run and machine.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

import orjson

from burntop.client.records import Record
from burntop.client.sources.base import (
    ParseResult, Source, env_paths, existing, file_signature, jsonl_lines, resume_offset,
)

UNKNOWN_MODEL = "unknown"


def discover(env: Mapping[str, str], home: Path) -> list[Path]:
    """tokensGenerated.jsonl of every dev-data schema under Continue's global folder."""
    roots = env_paths(env, "CONTINUE_GLOBAL_DIR") or [home / ".continue"]
    return existing([root / "dev_data" for root in roots], "*/tokensGenerated.jsonl")


def number(value: object) -> int:
    """A non-negative token count, 0 when absent or not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return 0
    return max(0, int(value))


def parse_time(value: object) -> datetime | None:
    """An ISO timestamp (naive means UTC, as Continue writes toISOString), or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def to_record(line: dict) -> Record | str:
    """One tokensGenerated line as a Record, or the reason it is skipped."""
    if line.get("eventName", "tokensGenerated") != "tokensGenerated":
        return "unknown format"
    prompt, generated = number(line.get("promptTokens")), number(line.get("generatedTokens"))
    if not (prompt or generated):
        return "no usage"
    raw_time = line.get("timestamp") or line.get("createdAt")
    when = parse_time(raw_time)
    if when is None:
        return "no timestamp"
    model, provider = line.get("model"), line.get("provider")
    known = isinstance(model, str) and bool(model)
    provider = provider if isinstance(provider, str) and provider else None
    session = line.get("sessionId")
    key = repr((raw_time, model, provider, prompt, generated))
    return Record(
        source="continue", request_id="continue:" + hashlib.sha256(key.encode()).hexdigest()[:32],
        timestamp=when, model=model if known else UNKNOWN_MODEL, input_tokens=prompt, output_tokens=generated,
        provider=provider, model_estimated=not known,
        session_id=session if isinstance(session, str) and session else None,
    )


def parse(path: Path, checkpoint: dict | None) -> ParseResult:
    """Read tokensGenerated.jsonl from the checkpoint's offset (it is append-only)."""
    result = ParseResult(seen=0)
    offset = resume_offset(path, checkpoint)
    signature = file_signature(path)
    for end, raw in jsonl_lines(path, offset):
        offset = result.skipped.at = end
        result.seen += 1
        if not raw.strip():
            continue
        try:
            line = orjson.loads(raw)
        except orjson.JSONDecodeError:
            result.skipped["malformed line"] += 1
            continue
        record = to_record(line) if isinstance(line, dict) else "malformed line"
        if isinstance(record, str):
            result.skipped[record] += 1
        else:
            result.records.append(record)
    result.checkpoint = {**signature, "offset": offset}
    return result


SOURCE = Source(
    name="continue",
    label="Continue",
    discover=discover,
    parse=parse,
    unit="lines",
    formats="dev_data/0.2.0/tokensGenerated.jsonl (Continue 1.x, 2025-2026; tokenizer estimates)",
)
