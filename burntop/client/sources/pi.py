"""Pi (badlogic/pi-mono coding agent, ``pi``): per-response usage from its session files.

Writer read: ``packages/coding-agent/src/core/session-manager.ts`` (the session file),
``packages/coding-agent/src/config.ts`` (where it lives) and ``packages/ai/src/providers/*.ts`` (what
``usage`` means), pi-mono up to v0.58 (March 2026).

Locations: the agent folder ``$PI_CODING_AGENT_DIR`` (``~`` expanded, as pi does), else
``~/.pi/agent`` (``%USERPROFILE%\\.pi\\agent`` on Windows); sessions are
``sessions/--<cwd with / as ->--/<time>_<uuid>.jsonl`` (``sessions/**/*.jsonl`` is read). A session
kept elsewhere with ``--session-dir`` is not found.

Format (session versions 1 to 3, one JSON object per line, appended): a header ``{"type":
"session", "version", "id", "timestamp", "cwd", "parentSession"?}``, then entries ``{"type", "id",
"parentId", "timestamp", ...}``; ``type: "message"`` entries hold an ``AgentMessage``, and an
assistant message is one model response: ``{"role": "assistant", "provider", "model", "api",
"usage": {"input", "output", "cacheRead", "cacheWrite", "totalTokens", "cost": {"total", ...}},
"stopReason", "timestamp" (epoch ms)}``. Version 1 files (2025) have no entry ids; pi rewrites them
in place when it opens them (migration).

Counting decisions:
- One record per assistant message whose usage is not all zero. A call that failed before the
  provider reported usage keeps zeros (``skipped["no usage"]``); an aborted stream that already got
  usage counts, those tokens were billed.
- request_id = ``pi:<message timestamp>:<fingerprint>``, the fingerprint hashing provider, model and
  the four token counts. ``/fork``, ``/tree`` extraction (``createBranchedSession``) and
  ``forkFrom`` copy entries verbatim into a new session file, and the v1 migration gives entries new
  random ids, so entry ids cannot identify a response; its own timestamp and usage can, and copies
  collapse in ``merge``. A migration rewrite can leave a checkpoint's offset mid-line: that line is
  ``skipped["malformed line"]`` and the re-read entries get the ids they already had.
- ``input`` excludes cache reads and writes for every provider pi wraps (Anthropic and Bedrock
  report it so; the OpenAI Completions and Responses adapters subtract ``cached_tokens``), except
  the Google Generative AI and Vertex adapters, which store ``promptTokenCount`` (cache reads
  included) as ``input``. ``totalTokens`` tells them apart: when it equals ``input + output`` while
  cache reads are present, the cache reads are subtracted from input.
- ``output`` is taken as logged: Anthropic, Google (candidates + thoughts) and the Responses API
  already include reasoning. The OpenAI Completions adapter stores ``completion_tokens +
  reasoning_tokens``; where the provider's ``completion_tokens`` already includes reasoning
  (OpenAI itself), pi counts reasoning twice, and the file keeps no split to undo it.
  reasoning_tokens stays 0 (not stored).
- logged_cost = ``usage.cost.total`` (pi's own price table) when positive; model and provider as
  logged; session_id = the header's ``id``; project = the header's ``cwd``.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path

from burntop.client.records import Record
from burntop.client.sources.base import ParseResult, Source, appended_lines, existing, json_lines
from burntop.client.sources.gemini_cli import _int, env_dirs, parse_time

NAME = "pi"
_ANCHORS = (b'"assistant"', b'"session"', b'"model_change"')


def fingerprint(*parts: object) -> str:
    """A short stable hash of a response's own content (its id across copies and machines)."""
    return hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()[:16]


def usage_fields(usage: dict) -> dict | None:
    """Record token fields from a pi-ai ``usage`` object; None when it is all zero."""
    inp, out = _int(usage.get("input")), _int(usage.get("output"))
    read, write = _int(usage.get("cacheRead")), _int(usage.get("cacheWrite"))
    if inp + out + read + write == 0:
        return None
    total = _int(usage.get("totalTokens"))
    if read and total == inp + out and total != inp + out + read + write:
        inp = max(inp - read, 0)  # Google adapters: promptTokenCount includes the cache reads
    return {"input_tokens": inp, "output_tokens": out, "cache_read_tokens": read, "cache_creation_tokens": write}


def message_record(name: str, entry: dict, state: dict, result: ParseResult) -> Record | None:
    """One Record from a ``message`` entry holding an assistant message, or None (counted)."""
    msg = entry.get("message")
    if not isinstance(msg, dict) or msg.get("role") != "assistant":
        return None
    usage = msg.get("usage")
    fields = usage_fields(usage) if isinstance(usage, dict) else None
    if fields is None:
        result.skipped["no usage"] += 1
        return None
    stamp = msg.get("timestamp")
    when = parse_time(stamp) or parse_time(entry.get("timestamp"))
    if when is None:
        result.skipped["no timestamp"] += 1
        return None
    model, provider = msg.get("model"), msg.get("provider")
    model = model if isinstance(model, str) and model else state.get("model")
    provider = provider if isinstance(provider, str) and provider else state.get("provider")
    key = stamp if isinstance(stamp, (int, float)) and not isinstance(stamp, bool) else when.isoformat()
    cost = usage.get("cost") if isinstance(usage.get("cost"), dict) else {}
    total_cost = cost.get("total")
    logged = float(total_cost) if isinstance(total_cost, (int, float)) and not isinstance(total_cost, bool) \
        and total_cost > 0 else None
    ident = fingerprint(provider, model, *fields.values())
    return Record(source=name, request_id=f"{name}:{key}:{ident}", timestamp=when, model=model or "unknown",
                  model_estimated=not model, provider=provider or None, logged_cost=logged,
                  session_id=state.get("session"), project=state.get("cwd"), **fields)


def read_entry(name: str, entry: object, state: dict, result: ParseResult,
               skip: Callable[[dict], str | None] | None = None) -> Record | None:
    """Feed one session entry through the state (header, model changes) and return its record;
    ``skip`` names the reason a message entry is not a model response of this tool (None: it is)."""
    if not isinstance(entry, dict):
        result.skipped["unknown format"] += 1
        return None
    kind = entry.get("type")
    if kind == "session":
        for key, field in (("session", "id"), ("cwd", "cwd")):
            if isinstance(entry.get(field), str) and entry[field]:
                state[key] = entry[field]
    elif kind == "model_change":
        for key, field in (("model", "modelId"), ("provider", "provider")):
            if isinstance(entry.get(field), str) and entry[field]:
                state[key] = entry[field]
    elif kind == "message":
        reason = skip(entry) if skip else None
        if reason:
            result.skipped[reason] += 1
            return None
        return message_record(name, entry, state, result)
    return None


def parse_session(path: Path, checkpoint: dict | None, name: str = NAME,
                  skip: Callable[[dict], str | None] | None = None) -> ParseResult:
    """An append-only session file from the checkpoint's offset (the header's ids kept in it)."""
    result = ParseResult()
    read = appended_lines(path, checkpoint, result)
    if read is None:
        return result
    lines, offset, end, signature = read
    saved = (checkpoint or {}).get("state")
    state = dict(saved) if offset and isinstance(saved, dict) else {"session": path.stem.rpartition("_")[2]}
    # Only lines that can be a header, a model change or an assistant message are decoded.
    for entry in json_lines(lines, _ANCHORS, result):
        record = read_entry(name, entry, state, result, skip)
        if record:
            result.records.append(record)
    result.checkpoint = {**signature, "offset": end, "state": state}
    return result


def discover(env: Mapping[str, str], home: Path) -> list[Path]:
    """Session files under the agent folder's ``sessions``."""
    agents = env_dirs(env, "PI_CODING_AGENT_DIR", home)[:1] or [home / ".pi" / "agent"]
    return existing([agent / "sessions" for agent in agents], "**/*.jsonl")


SOURCE = Source(name=NAME, label="Pi", discover=discover, parse=parse_session,
                formats="sessions/**/*.jsonl (session v1-v3): assistant message usage per response")
