"""Amp (Sourcegraph / ampcode.com): per-message usage from its local thread files.

Amp is closed source: the format below is what its thread files hold (as documented by the Amp
tracker in ccusage and by thread readers such as casr), not a writer read line by line.

Locations: ``$AMP_DATA_DIR/threads``, ``$XDG_DATA_HOME/amp/threads``, ``~/.local/share/amp/threads``
(``T-<uuid>.json``, one pretty-printed document per thread, rewritten as it grows), and the VS Code
extension's older storage ``<editor>/User/globalStorage/sourcegraph.amp/threads*/`` for VS Code,
Insiders, VSCodium, Cursor, Windsurf, remote servers and Flatpak on Linux, macOS and Windows. Threads migrated
from the extension keep their id, so copies give the same request ids.

Formats: ``{id, created, env.initial.trees[{uri}], messages[{role, messageId, usage?}],
usageLedger?}``. Since about 2026-01-13 each assistant message has ``usage {model, inputTokens,
outputTokens, cacheCreationInputTokens, cacheReadInputTokens, totalInputTokens, timestamp,
credits?}``; before, usage was only in ``usageLedger.events[{id, timestamp, model, credits,
tokens{input, output}, operationType, fromMessageId, toMessageId}]`` (no cache split).

Counting decisions:
- One record per assistant message with ``usage`` (one model response); request_id =
  ``amp:<thread id>:<messageId>`` (messageId is the thread's own message index, never renumbered).
- Ledger events are used only for messages without ``usage`` (older threads, and the older part of
  threads that continued after the change), with the id of the message they end on
  (``toMessageId``) so a message is never counted from both; events without it get
  ``amp:<thread>:ledger:<event id>``. Ledger input is taken as non-cached input; their cache split is
  unknown (0).
- ``inputTokens`` is Anthropic-style (excludes cache): ``totalInputTokens`` = input + cache write +
  cache read confirms it; when ``totalInputTokens`` equals ``inputTokens`` while cache tokens are
  present, the cache tokens are subtracted. Output is taken as logged (reasoning not reported: 0).
- ``credits`` are Amp's billing units, not USD: not used as logged_cost.
- timestamp: ``usage.timestamp``, else the ledger event's, else the thread's ``created``.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlparse

from burntop.client.records import Record
from burntop.client.sources.base import ParseResult, Source, existing, read_changed_json
from burntop.client.sources.gemini_cli import _int, env_dirs, parse_time
from burntop.client.sources.vscode_tasks import storage_dirs

NAME = "amp"
def _project(thread: dict) -> str | None:
    """The first workspace tree's path from ``env.initial.trees``."""
    try:
        uri = thread["env"]["initial"]["trees"][0]["uri"]
    except (KeyError, IndexError, TypeError):
        return None
    if not isinstance(uri, str) or not uri:
        return None
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri


def _record(thread_id: str, key: str, model: object, stamp: object, fields: dict, project: str | None,
            fallback_time: object, result: ParseResult) -> Record | None:
    """A Record, or None (counted in ``result.skipped``)."""
    if not any(fields.values()):
        result.skipped["no usage"] += 1
        return None
    when = parse_time(stamp) or parse_time(fallback_time)
    if when is None:
        result.skipped["no timestamp"] += 1
        return None
    estimated = not (isinstance(model, str) and model)
    return Record(source=NAME, request_id=f"{NAME}:{thread_id}:{key}", timestamp=when,
                  model="unknown" if estimated else model, model_estimated=estimated,
                  session_id=thread_id, project=project, **fields)


def message_fields(usage: dict) -> dict:
    """Token fields from a message ``usage`` object."""
    inp, out = _int(usage.get("inputTokens")), _int(usage.get("outputTokens"))
    write, read = _int(usage.get("cacheCreationInputTokens")), _int(usage.get("cacheReadInputTokens"))
    total_in = usage.get("totalInputTokens")
    if (write or read) and total_in is not None and _int(total_in) == inp:
        inp = max(inp - write - read, 0)
    return {"input_tokens": inp, "output_tokens": out, "cache_creation_tokens": write,
            "cache_read_tokens": read}


def thread_records(thread: dict, result: ParseResult) -> list[Record]:
    """Records from one thread document."""
    thread_id = thread["id"]
    project = _project(thread)
    records: list[Record] = []
    ledger = (thread.get("usageLedger") or {}).get("events") if isinstance(thread.get("usageLedger"), dict) else None
    ledger = [e for e in ledger if isinstance(e, dict)] if isinstance(ledger, list) else []
    ledger_time = {e.get("toMessageId"): e.get("timestamp") for e in ledger}
    covered = set()
    for msg in thread.get("messages") or []:
        if not isinstance(msg, dict) or msg.get("role") != "assistant" or not isinstance(msg.get("usage"), dict):
            continue
        usage, number = msg["usage"], msg.get("messageId")
        if not isinstance(number, int) or isinstance(number, bool):
            result.skipped["unknown format"] += 1
            continue
        covered.add(number)
        record = _record(thread_id, str(number), usage.get("model"), usage.get("timestamp"),
                         message_fields(usage), project, ledger_time.get(number) or thread.get("created"), result)
        if record:
            records.append(record)
    for event in ledger:
        target = event.get("toMessageId")
        if target in covered:
            continue
        tokens = event.get("tokens") if isinstance(event.get("tokens"), dict) else {}
        fields = {"input_tokens": _int(tokens.get("input")), "output_tokens": _int(tokens.get("output"))}
        plain = isinstance(target, int) and event.get("operationType") in (None, "inference")
        key = str(target) if plain else f"ledger:{event.get('id')}"
        record = _record(thread_id, key, event.get("model"), event.get("timestamp"), fields, project,
                         thread.get("created"), result)
        if record:
            records.append(record)
    return records


def parse(path: Path, checkpoint: dict | None) -> ParseResult:
    """One thread file, re-read whenever it changed."""
    result = ParseResult()
    read = read_changed_json(path, checkpoint, result)
    if read is None:
        return result
    thread, result.checkpoint = read
    if not isinstance(thread, dict) or not isinstance(thread.get("id"), str):
        result.skipped["unknown format"] += 1
        return result
    result.records = thread_records(thread, result)
    return result


def discover(env: Mapping[str, str], home: Path) -> list[Path]:
    """Thread files in Amp's data folders and the extension's older editor storage."""
    roots = [base / "threads" for base in env_dirs(env, "AMP_DATA_DIR", home)]
    roots += [base / "amp" / "threads" for base in env_dirs(env, "XDG_DATA_HOME", home)]
    roots.append(home / ".local" / "share" / "amp" / "threads")
    found = existing(roots, "*.json")
    found += existing(storage_dirs(env, home, "sourcegraph.amp"), "threads*/*.json")
    return sorted(set(found))


SOURCE = Source(name=NAME, label="Amp", discover=discover, parse=parse,
                formats="threads/T-*.json: messages[].usage (2026-01+) and usageLedger events (older)")
