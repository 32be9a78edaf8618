"""OpenHands CLI (V1, on the OpenHands software-agent-sdk): per-call usage kept in conversation state.

Writer read: OpenHands-CLI ``openhands_cli/locations.py`` and ``conversations/store/local.py``
(where conversations live), and the SDK's ``conversation/state.py`` (``base_state.json``),
``conversation/conversation_stats.py``, ``llm/utils/metrics.py`` (``TokenUsage``, one per call),
``llm/utils/telemetry.py`` (``normalize_usage``: what the counts mean) and the events' ``llm_response_id``.

Locations: ``$OPENHANDS_CONVERSATIONS_DIR``, else ``$OPENHANDS_PERSISTENCE_DIR/conversations``, else
``~/.openhands/conversations``; one folder per conversation id with ``base_state.json`` and
``events/event-<index>-<event id>.json``. The V0 app's ``sessions/`` are not read.

Format: ``base_state.json`` is the conversation state, rewritten whenever one of its fields
changes. ``stats.usage_to_metrics.<usage id>`` (the agent's LLM, the condenser's, ...) is a full
``Metrics`` dump whose ``token_usages`` list holds one ``{model, prompt_tokens, completion_tokens,
cache_read_tokens, cache_write_tokens, reasoning_tokens, context_window, per_turn_token,
response_id}`` per LLM call. A token usage has no time of its own; the events the response produced
(actions, agent messages, condensations) carry ``llm_response_id`` and a ``timestamp``.

Counting decisions:
- One record per ``token_usages`` entry with tokens (every LLM of the conversation, condenser
  included). request_id = ``openhands:<response_id>`` (the provider's completion or response id);
  entries without one get ``openhands:<conversation id>:<usage id>:<index>`` (the list only grows).
- ``prompt_tokens`` is LiteLLM's, which INCLUDES cache reads (OpenAI's ``cached_tokens``) and, for
  Anthropic, cache writes (LiteLLM adds ``cache_creation_input_tokens`` to it): input = prompt -
  cache reads - cache writes. Where ``prompt_tokens`` is smaller than reads plus writes it cannot
  include them (agents reporting them apart, as the SDK's ``cache_hit_rate`` notes) and is taken
  as is. ``completion_tokens`` includes reasoning; ``reasoning_tokens`` is a part, never added.
- Time: the earliest event with the same ``llm_response_id``; else the time of the call before it
  in the same list; else the conversation's first event; else the state file's mtime. Event times
  without an offset are this machine's local time. Only ids and times are taken from event files.
- model = the entry's ``model`` (LiteLLM name, e.g. ``anthropic/claude-sonnet-4-5``); session_id =
  the conversation id; project = ``workspace.working_dir``. Costs are recomputed, not logged
  (``costs`` entries cannot be tied to a call).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

from burntop.client.records import Record
from burntop.client.sources.base import ParseResult, Source, existing, read_changed_json
from burntop.client.sources.gemini_cli import _int, env_dirs
from burntop.client.sources.gptme import local_time

NAME = "openhands"
# Events are written key by key (id, timestamp, source, ...): the first "timestamp" is the event's.
_TIMESTAMP = re.compile(rb'"timestamp"\s*:\s*"([^"]+)"')
_RESPONSE = re.compile(rb'"llm_response_id"\s*:\s*"([^"]+)"')


def event_times(folder: Path) -> tuple[dict[str, datetime], datetime | None]:
    """(response id -> earliest event time, first event time) from the conversation's events."""
    times: dict[str, datetime] = {}
    first = None
    for event in sorted(folder.glob("event-*.json")) if folder.is_dir() else []:
        try:
            data = event.read_bytes()
        except OSError:
            continue
        stamp, response = _TIMESTAMP.search(data), _RESPONSE.search(data)
        when = local_time(stamp.group(1).decode(errors="replace").replace("Z", "+00:00")) if stamp else None
        if when is None:
            continue
        first = when if first is None else min(first, when)
        if response:
            key = response.group(1).decode(errors="replace")
            times[key] = min(times.get(key, when), when)
    return times, first


def usage_fields(usage: dict) -> dict | None:
    """Record token fields from one SDK ``TokenUsage``; None when it holds no tokens."""
    prompt, out = _int(usage.get("prompt_tokens")), _int(usage.get("completion_tokens"))
    read, write = _int(usage.get("cache_read_tokens")), _int(usage.get("cache_write_tokens"))
    if prompt + out + read + write == 0:
        return None
    inp = prompt - read - write if prompt >= read + write else prompt
    return {"input_tokens": inp, "output_tokens": out, "cache_read_tokens": read, "cache_creation_tokens": write,
            "reasoning_tokens": min(_int(usage.get("reasoning_tokens")), out)}


def parse(path: Path, checkpoint: dict | None) -> ParseResult:
    """One conversation's state file (and its events' times), re-read whenever it changed."""
    result = ParseResult()
    read = read_changed_json(path, checkpoint, result)
    if read is None:
        return result
    state, result.checkpoint = read
    stats = state.get("stats") if isinstance(state, dict) else None
    metrics = stats.get("usage_to_metrics") if isinstance(stats, dict) else None
    if not isinstance(metrics, dict):
        result.skipped["no usage" if isinstance(state, dict) else "unknown format"] += 1
        return result
    conversation = state.get("id") if isinstance(state.get("id"), str) else path.parent.name
    workspace = state.get("workspace") if isinstance(state.get("workspace"), dict) else {}
    project = workspace.get("working_dir") if isinstance(workspace.get("working_dir"), str) else None
    times, first = event_times(path.parent / "events")
    fallback = first or datetime.fromtimestamp(result.checkpoint["mtime_ns"] / 1e9, timezone.utc)
    for usage_id, metric in sorted(metrics.items()):
        usages = metric.get("token_usages") if isinstance(metric, dict) else None
        previous = fallback
        for index, usage in enumerate(usages if isinstance(usages, list) else []):
            fields = usage_fields(usage) if isinstance(usage, dict) else None
            if fields is None:
                result.skipped["no usage"] += 1
                continue
            response = usage.get("response_id")
            when = times.get(response, previous) if isinstance(response, str) else previous
            previous = when
            model = usage.get("model") if isinstance(usage.get("model"), str) and usage["model"] else None
            model = model or (metric.get("model_name") if isinstance(metric.get("model_name"), str) else None)
            key = response if isinstance(response, str) and response else f"{conversation}:{usage_id}:{index}"
            result.records.append(Record(
                source=NAME, request_id=f"{NAME}:{key}", timestamp=when, model=model or "unknown",
                model_estimated=not model, session_id=conversation, project=project, **fields))
    return result


def discover(env: Mapping[str, str], home: Path) -> list[Path]:
    """Conversation state files."""
    roots = env_dirs(env, "OPENHANDS_CONVERSATIONS_DIR", home)[:1]
    if not roots:
        roots = [base / "conversations" for base in env_dirs(env, "OPENHANDS_PERSISTENCE_DIR", home)[:1]
                 or [home / ".openhands"]]
    return existing(roots, "*/base_state.json")


SOURCE = Source(name=NAME, label="OpenHands", discover=discover, parse=parse,
                formats="conversations/*/base_state.json stats token_usages (SDK V1), times from events")
