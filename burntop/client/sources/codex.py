"""Codex CLI: the rollout files it appends to for every session (thread).

Locations: ``$CODEX_HOME`` (one path or a comma-separated list), else ``~/.codex`` (``%USERPROFILE%``
on Windows): ``sessions/YYYY/MM/DD/rollout-<time>-<uuid>.jsonl`` (``sessions/**/*.jsonl``) and
``archived_sessions/*.jsonl`` (archiving moves a rollout there unchanged).

Format covered: codex-rs rollouts with ``event_msg`` persistence, Codex CLI 0.2x (Aug 2025) to
0.15x (2026): one ``{"timestamp", "type", "payload"}`` object per line (newer lines add
``ordinal``). ``session_meta`` (payload ``id``, ``forked_from_id``, ``cwd``, ``model_provider``) is
the first line; ``turn_context`` (payload ``model``, ``cwd``) precedes each turn; ``event_msg``
payloads of type ``token_count`` carry ``info.total_token_usage`` (cumulative for the thread) and
``info.last_token_usage`` (the latest model call), both ``{input_tokens, cached_input_tokens,
cache_write_input_tokens (0.148+), output_tokens, reasoning_output_tokens, total_tokens}``, or
``info: null`` when only rate limits changed. Older rollouts (before event persistence) hold no
usage and yield nothing. The codex-rs fork Every Code wraps the same payload as ``{"type": "event",
"payload": {"id", "event_seq", "msg": {...}}}`` (read alike, so its rollouts in a Codex home count).

Counting decisions:
- One record per ``token_count`` event whose cumulative ``total_token_usage`` changed: Codex
  re-emits the same totals (rate-limit updates, resume, fork seeding), and those add nothing
  (``skipped["repeated total"]``). The usage is ``last_token_usage`` when present, else the delta of
  the totals; totals that go down (a restart that did not restore them) start a new baseline.
- Codex copies the Responses API usage as is (codex-api ``ResponseCompletedUsage`` -> ``TokenUsage``):
  ``input_tokens`` INCLUDES cached reads (``input_tokens_details.cached_tokens``) and cache writes
  (``cache_write_tokens``), and ``output_tokens`` INCLUDES reasoning
  (``output_tokens_details.reasoning_tokens``; ``total_tokens == input + output``). So
  input_tokens = input - cached - cache writes, cache_read = cached, cache_creation = cache writes,
  output_tokens = output (reasoning not added again), reasoning_tokens = reasoning (capped at output).
- Forks and sub-agents: a forked or spawned thread's rollout starts with its own ``session_meta``
  and then a verbatim copy of the parent rollout (the parent's ``session_meta``, turn contexts and
  ``token_count`` events, re-stamped with the fork time), and its totals continue from the parent's.
  Attributing each event to the thread of the nearest ``session_meta`` before it therefore gives a
  copied event exactly the id it has in the parent's file (nested copies resolve to the root thread),
  so ``merge`` counts it once and keeps the original, earlier timestamp.
  request_id = ``codex:<thread id>:<total>:<input>-<cached>-<cache write>-<output>-<reasoning>``
  from that thread id and the cumulative totals at the event: stable across runs, machines, offsets
  and archived copies; never a line number.
- model = the ``model`` of the latest ``turn_context`` (or a ``session_meta`` that names one) before
  the event; without one it is ``gpt-5`` with ``model_estimated=True``. project = the latest ``cwd``;
  session_id = the file's own thread id (first ``session_meta``, else the uuid in the file name);
  provider = its ``model_provider``.
- The checkpoint keeps the running totals, thread ids, model, cwd and provider, so a parse resumed
  from an offset yields exactly the records of a full parse.

Sessions (events, active time, lines of code from apply_patch, commits): see ``codex_sessions``; the
checkpoint also keeps the file's session part and the tool calls still waiting for their output.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

import orjson

from burntop.client.records import Record, keep_largest
from burntop.client.sources.codex_sessions import SessionFacts
from burntop.client.sources.base import (
    ParseResult,
    Source,
    env_paths,
    existing,
    read_appended,
)

NAME = "codex"
DEFAULT_MODEL = "gpt-5"
_FIELDS = ("input_tokens", "cached_input_tokens", "cache_write_input_tokens", "output_tokens",
           "reasoning_output_tokens", "total_tokens")
_UUID = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$", re.IGNORECASE)
_UTC = timezone.utc


def discover(env: Mapping[str, str], home: Path) -> list[Path]:
    """Rollouts under each Codex home: sessions/**/*.jsonl and archived_sessions/*.jsonl."""
    homes = env_paths(env, "CODEX_HOME") or [home / ".codex"]
    found = existing([h / "sessions" for h in homes], "**/*.jsonl")
    found += existing([h / "archived_sessions" for h in homes], "*.jsonl")
    return sorted(set(found))


def _usage(value: object) -> tuple[int, ...] | None:
    """The six counters of a TokenUsage object (missing or invalid ones as 0), or None."""
    if type(value) is not dict:
        return None
    counts = []
    for key in _FIELDS:
        number = value.get(key)
        counts.append(int(number) if type(number) in (int, float) and number > 0 else 0)
    return tuple(counts)


def _timestamp(value: object) -> datetime | None:
    """An aware UTC datetime from an ISO-8601 string (naive means UTC), or None."""
    if type(value) is not str:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=_UTC) if moment.tzinfo is None else moment.astimezone(_UTC)


def _fresh_state(path: Path) -> dict:
    """Parser state at the start of a file: the thread id from the file name until a session_meta."""
    match = _UUID.search(path.stem)
    thread = match.group(1).lower() if match else path.stem
    return {"thread": thread, "own": None, "fallback": thread, "model": None, "cwd": None,
            "provider": None, "total": None}


def _meta(payload: dict, state: dict) -> None:
    """A session_meta line: later events belong to its thread (see the fork note above)."""
    thread = payload.get("id")
    if type(thread) is str and thread:
        state["thread"] = thread
        if state["own"] is None:
            state["own"] = thread
            provider = payload.get("model_provider")
            state["provider"] = provider if type(provider) is str else None
    _context(payload, state)


def _context(payload: dict, state: dict) -> None:
    """A turn_context (or session_meta): the model and cwd for the events that follow."""
    model, cwd = payload.get("model"), payload.get("cwd")
    if type(model) is str and model:
        state["model"] = model
    if type(cwd) is str and cwd:
        state["cwd"] = cwd


def _token_count(payload: dict, moment: datetime | None, state: dict, result: ParseResult, name: str) -> None:
    """A token_count event: one record when the cumulative totals moved."""
    info = payload.get("info")
    total = _usage(info.get("total_token_usage")) if type(info) is dict else None
    if total is None:
        result.skipped["no usage"] += 1
        return
    previous = state["total"]
    if previous is not None and total == tuple(previous):
        result.skipped["repeated total"] += 1
        return
    state["total"] = list(total)
    usage = _usage(info.get("last_token_usage"))
    if usage is None:
        went_down = previous is not None and any(t < p for t, p in zip(total, previous))
        usage = total if previous is None or went_down else tuple(t - p for t, p in zip(total, previous))
    fresh, cached, written, output, reasoning, _ = usage
    if not any(usage):
        result.skipped["zero usage"] += 1
        return
    if moment is None:
        result.skipped["bad timestamp"] += 1
        return
    model = state["model"]
    t_in, t_cached, t_written, t_out, t_reasoning, t_total = total
    result.records.append(Record(
        source=name,
        request_id=f"{name}:{state['thread']}:{t_total}:{t_in}-{t_cached}-{t_written}-{t_out}-{t_reasoning}",
        timestamp=moment,
        model=model or DEFAULT_MODEL,
        input_tokens=max(fresh - cached - written, 0),
        output_tokens=output,
        cache_creation_tokens=written,
        cache_read_tokens=cached,
        reasoning_tokens=min(reasoning, output),
        session_id=state["own"] or state["fallback"],
        project=state["cwd"],
        provider=state["provider"],
        model_estimated=model is None,
    ))


def merge(records: list[Record]) -> list[Record]:
    """One record per request_id: the largest usage, on a tie the earliest (a fork's copy is later)."""
    return keep_largest(sorted(records, key=lambda r: r.timestamp))


def parse(path: Path, checkpoint: dict | None, name: str = NAME) -> ParseResult:
    """Records from the complete lines after the checkpoint; never raises on content. ``name`` is
    the source the records belong to (codex-rs forks such as Every Code write the same rollouts)."""
    result = ParseResult()
    try:
        data, offset, signature = read_appended(path, checkpoint)
    except OSError:
        result.skipped["unreadable file"] += 1
        result.checkpoint = dict(checkpoint or {})
        return result
    state = _fresh_state(path)
    saved = (checkpoint or {}).get("state")
    if offset and type(saved) is dict:
        state.update(saved)
        if type(state["total"]) is not list or len(state["total"]) != len(_FIELDS):
            state["total"] = None
    limit = data.rfind(b"\n") + 1  # a trailing partial line is left for the next run
    result.skipped.origin, end = offset, 0
    result.seen = data.count(b"\n", 0, limit)
    facts = SessionFacts(checkpoint if offset else None)
    for line in data[:limit].split(b"\n")[:-1]:
        end = result.skipped.at = end + len(line) + 1
        if b'"token_count"' not in line and b'"turn_context"' not in line and b'"session_meta"' not in line:
            facts.line(line, state["own"] or state["fallback"])
            result.skipped["no usage"] += 1
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            result.skipped["malformed line"] += 1
            continue
        payload = obj.get("payload") if type(obj) is dict else None
        if type(payload) is not dict:
            result.skipped["unknown format"] += 1
            continue
        kind = obj.get("type")
        if kind == "event" and type(payload.get("msg")) is dict:
            # Every Code (a codex-rs fork) records events as {"id", "event_seq", "msg": <event_msg>}.
            kind, payload = "event_msg", payload["msg"]
        if kind == "session_meta":
            _meta(payload, state)
        elif kind == "turn_context":
            _context(payload, state)
        elif kind == "event_msg" and payload.get("type") == "token_count":
            _token_count(payload, _timestamp(obj.get("timestamp")), state, result, name)
        else:
            result.skipped["no usage"] += 1
        facts.line(line, state["own"] or state["fallback"], obj)
    result.checkpoint = {**signature, "offset": offset + limit, "state": state, **facts.dump()}
    return result


SOURCE = Source(
    name=NAME,
    label="Codex CLI",
    discover=discover,
    parse=parse,
    merge=merge,
    unit="lines",
    sessions=True,
    formats="Codex CLI 0.2x-0.15x rollouts (sessions/**/rollout-*.jsonl, archived_sessions/): "
            "event_msg token_count total/last_token_usage, turn_context model, session_meta id",
)
