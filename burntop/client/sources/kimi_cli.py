"""Kimi CLI (MoonshotAI/kimi-cli): per-step usage from the wire logs of its sessions.

Writer read (kimi-cli up to 1.49, July 2026): ``src/kimi_cli/share.py`` and ``metadata.py``
(locations), ``wire/file.py`` and ``wire/types.py`` (the log), ``soul/kimisoul.py`` (one
``StatusUpdate`` per LLM step), ``subagents/runner.py`` and ``background/agent_runner.py``
(sub-agents), ``session_fork.py`` (forks), ``config.py`` (models), and kosong's ``TokenUsage``
and chat providers (what the counts mean).

Locations: the share folder ``$KIMI_SHARE_DIR``, else ``~/.kimi``. Sessions live in
``sessions/<md5 of the work dir>/<session id>/wire.jsonl``; sub-agents write their own
``<session>/subagents/<agent id>/wire.jsonl`` (since March 2026). ``kimi.json`` lists the work
dirs (their md5 names the folder); ``config.toml`` (older: ``config.json``) names the models.

Format: an append-only JSONL file, optionally headed by ``{"type": "metadata", "protocol_version"}``
(wire protocol 1.1 to 1.10), then ``{"timestamp": <epoch seconds>, "message": {"type", "payload"}}``.
After each LLM step the agent sends ``StatusUpdate {token_usage: {input_other, output,
input_cache_read, input_cache_creation}, message_id}`` (since December 2025; earlier releases
recorded no token counts). A foreground sub-agent's events are also forwarded into the parent's
log wrapped as ``SubagentEvent {parent_tool_call_id (older: task_tool_call_id), agent_id?, event}``.

Counting decisions:
- One record per ``StatusUpdate`` with a non-zero ``token_usage`` (one LLM step = one response).
- request_id = ``kimi-cli:<message_id>`` (the provider's response id, e.g. ``chatcmpl-...``), so the
  copy a foreground sub-agent forwards into its parent's log, the sub-agent's own log and a forked
  session's copied lines are one record. Without a ``message_id``: ``kimi-cli:t<record
  timestamp>:<fingerprint of the usage>`` (forks copy lines verbatim, so copies agree). A forwarded
  sub-agent step without ``message_id`` that names its ``agent_id`` is skipped (its own log, written
  by the same release, counts it); one without ``agent_id`` (releases before sub-agent logs) is
  the only copy and counts.
- ``input_other`` excludes cache reads and writes (kosong's Kimi, OpenAI and Anthropic providers
  subtract or separate them); ``input_cache_read`` -> cache_read; ``input_cache_creation`` ->
  cache_creation. kosong's Google GenAI provider stores ``prompt_token_count`` (cache reads
  included) as ``input_other`` and drops thoughts; the log does not say which provider answered,
  so such rows are read as labelled. ``output`` is completion tokens (reasoning included, not split).
- The log names no model: the model is the current ``default_model``'s ``model`` in the config
  (``kimi-for-coding`` when there is none), always flagged ``model_estimated``.
- Compaction and title-generation calls send no ``StatusUpdate`` and are not counted.
- session_id = the session folder's name; project = the work dir from ``kimi.json`` (else its md5).
"""
from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import orjson

from burntop.client.records import Record
from burntop.client.sources.base import ParseResult, Source, appended_lines, existing, json_lines
from burntop.client.sources.gemini_cli import _int, env_dirs
from burntop.client.sources.pi import fingerprint

NAME = "kimi-cli"
DEFAULT_MODEL = "kimi-for-coding"


@lru_cache(maxsize=8)
def _config_model(share: Path, stamp: tuple) -> str | None:
    """The default model's name from config.toml / config.json (``stamp`` invalidates the cache)."""
    for name, load in (("config.toml", tomllib.loads), ("config.json", orjson.loads)):
        try:
            config = load((share / name).read_text(encoding="utf-8"))
        except (OSError, ValueError, tomllib.TOMLDecodeError):
            continue
        models = config.get("models") if isinstance(config, dict) else None
        default = config.get("default_model") if isinstance(config, dict) else None
        entry = models.get(default) if isinstance(models, dict) and isinstance(default, str) else None
        model = entry.get("model") if isinstance(entry, dict) else None
        return model if isinstance(model, str) and model else None
    return None


@lru_cache(maxsize=8)
def _work_dirs(share: Path, stamp: tuple) -> dict[str, str]:
    """md5 folder name -> work dir path, from kimi.json."""
    try:
        meta = orjson.loads((share / "kimi.json").read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    dirs = meta.get("work_dirs") if isinstance(meta, dict) else None
    out = {}
    for item in dirs if isinstance(dirs, list) else []:
        path = item.get("path") if isinstance(item, dict) else None
        if isinstance(path, str) and path:
            digest = hashlib.md5(path.encode()).hexdigest()
            kaos = item.get("kaos")
            out[digest if kaos in (None, "local") else f"{kaos}_{digest}"] = path
    return out


def _stamp(*paths: Path) -> tuple:
    """Sizes and mtimes of small config files (a cache key that changes when they do)."""
    out = []
    for path in paths:
        try:
            st = path.stat()
            out.append((st.st_size, st.st_mtime_ns))
        except OSError:
            out.append(None)
    return tuple(out)


def _layout(path: Path) -> tuple[Path, str, str]:
    """(share folder, work-dir folder, session id) of a wire log, main or sub-agent."""
    session_dir = path.parent.parent.parent if path.parent.parent.name == "subagents" else path.parent
    return session_dir.parent.parent.parent, session_dir.parent.name, session_dir.name


def step_record(payload: dict, moment: float, forwarded_by: str | None, context: dict,
                result: ParseResult) -> Record | None:
    """One Record from a StatusUpdate payload, or None (counted in ``result.skipped``)."""
    usage = payload.get("token_usage")
    if not isinstance(usage, dict):
        return None  # a status change without a step (context size, plan mode, MCP status)
    fields = {"input_tokens": _int(usage.get("input_other")), "output_tokens": _int(usage.get("output")),
              "cache_read_tokens": _int(usage.get("input_cache_read")),
              "cache_creation_tokens": _int(usage.get("input_cache_creation"))}
    if not any(fields.values()):
        result.skipped["no usage"] += 1
        return None
    message_id = payload.get("message_id")
    if isinstance(message_id, str) and message_id:
        request_id = f"{NAME}:{message_id}"
    elif forwarded_by:
        result.skipped["forwarded sub-agent step"] += 1
        return None
    else:
        request_id = f"{NAME}:t{moment!r}:{fingerprint(*fields.values())}"
    return Record(source=NAME, request_id=request_id, timestamp=datetime.fromtimestamp(moment, timezone.utc),
                  model=context["model"] or DEFAULT_MODEL, model_estimated=True, session_id=context["session"],
                  project=context["project"], **fields)


def _events(message: dict, forwarded_by: str | None = None, depth: int = 0):
    """(type, payload, agent id of the forwarding sub-agent) of an event and the ones it wraps."""
    kind, payload = message.get("type"), message.get("payload")
    if not isinstance(payload, dict):
        return
    if kind == "SubagentEvent" and depth < 8 and isinstance(payload.get("event"), dict):
        agent = payload.get("agent_id")
        yield from _events(payload["event"], agent if isinstance(agent, str) and agent else forwarded_by, depth + 1)
    else:
        yield kind, payload, forwarded_by


def parse(path: Path, checkpoint: dict | None) -> ParseResult:
    """A wire log, resumed from the checkpoint's offset."""
    result = ParseResult()
    read = appended_lines(path, checkpoint, result)
    if read is None:
        return result
    lines, _, end, signature = read
    share, work_dir, session = _layout(path)
    context = {"session": session,
               "model": _config_model(share, _stamp(share / "config.toml", share / "config.json")),
               "project": _work_dirs(share, _stamp(share / "kimi.json")).get(work_dir, work_dir)}
    # Only lines that can hold a step's usage are decoded.
    for item in json_lines(lines, (b'"token_usage"',), result):
        message = item.get("message") if isinstance(item, dict) else None
        moment = item.get("timestamp") if isinstance(item, dict) else None
        if not isinstance(message, dict) or isinstance(moment, bool) or not isinstance(moment, (int, float)):
            result.skipped["unknown format"] += 1
            continue
        for kind, payload, forwarded_by in _events(message):
            if kind == "StatusUpdate":
                record = step_record(payload, float(moment), forwarded_by, context, result)
                if record:
                    result.records.append(record)
    result.checkpoint = {**signature, "offset": end}
    return result


def discover(env: Mapping[str, str], home: Path) -> list[Path]:
    """Session and sub-agent wire logs under the share folder."""
    shares = env_dirs(env, "KIMI_SHARE_DIR", home)[:1] or [home / ".kimi"]
    roots = [share / "sessions" for share in shares]
    return sorted(set(existing(roots, "*/*/wire.jsonl") + existing(roots, "*/*/subagents/*/wire.jsonl")))


SOURCE = Source(name=NAME, label="Kimi CLI", discover=discover, parse=parse,
                formats="sessions/*/*/wire.jsonl (+ subagents/*/wire.jsonl): StatusUpdate token_usage per step")
