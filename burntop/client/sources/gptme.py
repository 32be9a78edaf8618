"""gptme (gptme/gptme): per-response usage kept in the metadata of its conversation logs.

Writer read (gptme, December 2025 to August 2026): ``gptme/dirs.py`` (locations),
``gptme/logmanager/manager.py`` (``Log.write_jsonl``, branches), ``gptme/message.py``
(``Message.to_dict``, ``MessageMetadata``, ``UsageData``), and the ``_record_usage`` of
``gptme/llm/llm_anthropic.py``, ``llm_openai.py`` and ``openai_responses.py`` (what the counts mean).

Locations: the logs folder ``$GPTME_LOGS_HOME``, else ``<data dir>/logs`` with the data dir
``$XDG_DATA_HOME/gptme``, else ``~/.local/share/gptme`` (Linux; also used elsewhere when it
exists), ``~/Library/Application Support/gptme`` (macOS) or ``%LOCALAPPDATA%\\gptme\\gptme`` (Windows,
platformdirs' layout).
Each conversation is a folder with ``conversation.jsonl`` (the main branch) and
``branches/<name>.jsonl``; ``views/`` (compacted views of the main branch) are not read.

Format: one message per line ``{"role", "content", "timestamp" (ISO, local time without an
offset), "metadata"?}``, the whole file rewritten on every change. Since December 2025 an
assistant message (one model response) has ``metadata {"model", "served_model"?, "cost"?,
"usage": {"input_tokens", "output_tokens", "cache_read_tokens"?, "cache_creation_tokens"?,
"reasoning_tokens"?}}``; before March 2026 the token fields sat directly in ``metadata``. Older
logs have no token counts.

Counting decisions:
- One record per assistant message whose usage is not all zero.
- ``input_tokens`` already excludes cache reads and writes (gptme subtracts ``cached_tokens`` and
  cache writes from OpenAI-style prompt tokens; Anthropic reports it so). ``output_tokens``
  includes reasoning; ``reasoning_tokens`` is a part of it (capped at output), never added.
- A branch starts as a copy of the conversation, so the same message appears in several files:
  request_id = ``gptme:<fingerprint>`` of the message's own timestamp, model and counts, and
  copies collapse in ``merge``.
- model = ``served_model`` (what the provider answered with) when present, else ``model`` (gptme's
  ``provider/model`` name); provider = the part before ``/``. logged_cost = ``cost``.
- The timestamp carries no offset: it is read as this machine's local time.
- session_id = the conversation folder's name; no project is recorded per message.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

from burntop.client.records import Record
from burntop.client.sources.base import ParseResult, Source, existing, json_lines, read_changed_bytes
from burntop.client.sources.gemini_cli import _int
from burntop.client.sources.pi import fingerprint

NAME = "gptme"
TOKEN_KEYS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens", "reasoning_tokens")


def local_time(value: object) -> datetime | None:
    """An aware UTC datetime from gptme's ISO timestamp (no offset means this machine's local time)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(timezone.utc)  # naive datetimes are taken as local time here


def message_record(msg: dict, session: str, result: ParseResult) -> Record | None:
    """One Record from an assistant message with usage metadata, or None (counted)."""
    meta = msg.get("metadata")
    if not isinstance(meta, dict):
        result.skipped["no usage"] += 1
        return None
    usage = meta.get("usage") if isinstance(meta.get("usage"), dict) else meta
    counts = [_int(usage.get(key)) for key in TOKEN_KEYS]
    inp, out, read, write, reasoning = counts
    if inp + out + read + write == 0:
        result.skipped["no usage"] += 1
        return None
    when = local_time(msg.get("timestamp"))
    if when is None:
        result.skipped["no timestamp"] += 1
        return None
    served, requested = meta.get("served_model"), meta.get("model")
    model = next((m for m in (served, requested) if isinstance(m, str) and m), None)
    provider = requested.split("/", 1)[0] if isinstance(requested, str) and "/" in requested else None
    cost = meta.get("cost")
    logged = float(cost) if isinstance(cost, (int, float)) and not isinstance(cost, bool) and cost > 0 else None
    ident = fingerprint(msg.get("timestamp"), requested, *counts)
    return Record(source=NAME, request_id=f"{NAME}:{ident}", timestamp=when, model=model or "unknown",
                  model_estimated=model is None, provider=provider, logged_cost=logged, session_id=session,
                  input_tokens=inp, output_tokens=out, cache_read_tokens=read, cache_creation_tokens=write,
                  reasoning_tokens=min(reasoning, out))


def parse(path: Path, checkpoint: dict | None) -> ParseResult:
    """One conversation or branch log, re-read whenever it was rewritten."""
    result = ParseResult()
    read = read_changed_bytes(path, checkpoint, result)
    if read is None:
        return result
    data, signature = read
    folder = path.parent.parent if path.parent.name == "branches" else path.parent
    lines = data[:data.rfind(b"\n") + 1].split(b"\n")[:-1]
    # Only lines with metadata are decoded (prompts, answers and tool output never are).
    for msg in json_lines(lines, (b'"metadata"',), result):
        if isinstance(msg, dict) and msg.get("role") == "assistant":
            record = message_record(msg, folder.name, result)
            if record:
                result.records.append(record)
    result.checkpoint = signature
    return result


def logs_dirs(env: Mapping[str, str], home: Path) -> list[Path]:
    """Where gptme keeps conversation logs, in gptme's own order of precedence."""
    if env.get("GPTME_LOGS_HOME"):
        return [Path(env["GPTME_LOGS_HOME"]).expanduser()]
    if env.get("XDG_DATA_HOME"):
        return [Path(env["XDG_DATA_HOME"]).expanduser() / "gptme" / "logs"]
    local = env.get("LOCALAPPDATA")
    platform_dirs = [home / "Library" / "Application Support" / "gptme",
                     (Path(local) if local else home / "AppData" / "Local") / "gptme" / "gptme"]
    return [base / "logs" for base in [home / ".local" / "share" / "gptme", *platform_dirs]]


def discover(env: Mapping[str, str], home: Path) -> list[Path]:
    """Conversation and branch logs."""
    roots = logs_dirs(env, home)
    return sorted(set(existing(roots, "*/conversation.jsonl") + existing(roots, "*/branches/*.jsonl")))


SOURCE = Source(name=NAME, label="gptme", discover=discover, parse=parse,
                formats="logs/*/conversation.jsonl and branches/*.jsonl: assistant metadata usage (Dec 2025+)")
