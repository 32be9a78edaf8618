"""Qwen Code (QwenLM/qwen-code, a Gemini CLI fork): per-response usage from its session logs.

Locations: the runtime folder ``$QWEN_RUNTIME_DIR`` (``~`` expanded) and ``~/.qwen`` (the default; a
custom ``runtimeOutputDir`` setting is not read). Current sessions: ``projects/<sanitized cwd>/chats/
<sessionId>.jsonl``; the early fork kept Gemini-style ``tmp/<hash>/chats/session-*.json`` documents.

Formats: the JSONL ``ChatRecord`` log (late 2025 on): one self-contained record per line ``{uuid,
parentUuid, sessionId, timestamp, type, cwd, model, usageMetadata, ...}``; ``type: "assistant"``
records are written once per model response by ``recordAssistantTurn`` with that response's
GenerateContentResponseUsageMetadata. Legacy ``session-*.json`` documents are read like Gemini CLI's.

Counting decisions:
- One record per assistant record with ``usageMetadata``; request_id = ``qwen-cli:<uuid>``. ``/branch``
  copies records verbatim (same uuid) into the new session's file, so forks are not counted twice.
- ``ui_telemetry`` system records repeat the same API responses and are not read.
- promptTokenCount INCLUDES cachedContentTokenCount (the OpenAI converter maps prompt_tokens and
  cached_tokens; the Anthropic converter sums input + cache read + cache write into the prompt):
  input = prompt - cached (+ toolUsePromptTokenCount). Anthropic cache writes are folded into the prompt
  by Qwen Code, so they are counted as input (no cache-creation split survives).
- Thoughts: with OpenAI-compatible providers (the default Qwen OAuth / DashScope) candidatesTokenCount
  is completion_tokens, which already INCLUDES reasoning_tokens (thoughtsTokenCount), and
  totalTokenCount = prompt + candidates; with the Gemini API they are separate and the total includes
  them. The total decides per record; without a usable total they are taken as included.
- Records with only totalTokenCount (no prompt/candidates split) are skipped as "total only": the
  split cannot be known. Qwen Code itself splits a bare total 70/30 in some versions; such estimates
  cannot be told apart from real counts.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import orjson

from burntop.client.records import Record
from burntop.client.sources import gemini_cli
from burntop.client.sources.base import (
    ParseResult, Source, existing, file_signature, jsonl_lines, resume_offset,
)

NAME = "qwen-cli"
DEFAULT_MODEL = "qwen3-coder-plus"
LEGACY_TYPES = ("gemini", "qwen", "model", "assistant")


def _count(usage: dict, key: str) -> int:
    """A non-negative token count from the usage mapping."""
    return gemini_cli._int(usage.get(key))


def assistant_record(item: dict, result: ParseResult) -> Record | None:
    """One Record from an assistant ChatRecord, or None (counted in ``result.skipped``)."""
    usage = item.get("usageMetadata")
    if not isinstance(usage, dict):
        result.skipped["no usage"] += 1
        return None
    if "promptTokenCount" not in usage and "candidatesTokenCount" not in usage:
        result.skipped["total only" if _count(usage, "totalTokenCount") else "no usage"] += 1
        return None
    total = usage.get("totalTokenCount")
    fields = gemini_cli.split_usage(
        _count(usage, "promptTokenCount"), _count(usage, "candidatesTokenCount"),
        _count(usage, "cachedContentTokenCount"), _count(usage, "thoughtsTokenCount"),
        _count(usage, "toolUsePromptTokenCount"), _count(usage, "totalTokenCount") if total is not None else None,
        thoughts_separate=False)
    if fields is None:
        result.skipped["no usage"] += 1
        return None
    stamp = gemini_cli.parse_time(item.get("timestamp"))
    if stamp is None:
        result.skipped["no timestamp"] += 1
        return None
    model = item.get("model")
    estimated = not (isinstance(model, str) and model)
    session = item.get("sessionId")
    cwd = item.get("cwd")
    return Record(source=NAME, request_id=f"{NAME}:{item['uuid']}", timestamp=stamp,
                  model=DEFAULT_MODEL if estimated else model, model_estimated=estimated,
                  session_id=session if isinstance(session, str) else None,
                  project=cwd if isinstance(cwd, str) and cwd else None, **fields)


def parse_jsonl(path: Path, checkpoint: dict | None) -> ParseResult:
    """An append-only ChatRecord log, resumed from the checkpoint's byte offset."""
    result = ParseResult()
    try:
        offset = resume_offset(path, checkpoint)
        signature = file_signature(path)
        lines = list(jsonl_lines(path, offset))
    except OSError:
        result.skipped["unreadable file"] += 1
        result.checkpoint = dict(checkpoint or {})
        return result
    result.seen = len(lines)
    for end, line in lines:
        offset = result.skipped.at = end
        # Only assistant records carry usage: prompts and tool results are not decoded at all.
        if b'"assistant"' not in line:
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError:
            result.skipped["malformed line"] += 1
            continue
        if not isinstance(item, dict) or not isinstance(item.get("uuid"), str):
            result.skipped["unknown format"] += 1
            continue
        if item.get("type") == "assistant":
            record = assistant_record(item, result)
            if record:
                result.records.append(record)
    result.checkpoint = {**signature, "offset": offset}
    return result


def parse(path: Path, checkpoint: dict | None) -> ParseResult:
    """Current JSONL logs, or legacy Gemini-style documents."""
    if path.suffix == ".jsonl":
        return parse_jsonl(path, checkpoint)
    return gemini_cli.parse_chat_json(path, checkpoint, source=NAME, default_model=DEFAULT_MODEL,
                                      thoughts_separate=False, types=LEGACY_TYPES)


def discover(env: Mapping[str, str], home: Path) -> list[Path]:
    """Session logs under ``$QWEN_RUNTIME_DIR`` and ``~/.qwen``."""
    roots = gemini_cli.env_dirs(env, "QWEN_RUNTIME_DIR", home) + [home / ".qwen"]
    found = existing(roots, "projects/*/chats/**/*.jsonl") + existing(roots, "tmp/*/chats/session-*.json")
    return sorted(set(found))


SOURCE = Source(name=NAME, label="Qwen Code", discover=discover, parse=parse, unit="lines and messages",
                formats="projects/*/chats/*.jsonl ChatRecord logs (late 2025+), legacy session-*.json")
