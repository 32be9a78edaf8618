"""Shared reader for the Cline family of VS Code extensions: Cline, Roo Code and Kilo Code.

All three (Roo Code forked Cline, Kilo Code forked Roo Code) keep one folder per task in the
extension's VS Code global storage: ``<globalStorage>/<extension id>/tasks/<task id>/`` holding
``ui_messages.json`` (the chat as shown, rewritten whole on every change), plus sidecars.

Format covered (read from the writers: cline/cline ``Task.recursivelyMakeClineRequests`` and
``updateApiReqMsg``; Roo ``Task`` / ``calculateApiCost*``; Kilo ``src/shared/cost.ts``; 2024-2026):
every model request starts with one ``say: "api_req_started"`` message whose ``text`` is JSON;
when the stream ends (or is cancelled / fails mid-stream) the same message is updated in place
with ``tokensIn``, ``tokensOut``, ``cacheWrites``, ``cacheReads`` and ``cost``.

Counting decisions:

- One ``api_req_started`` message = one model request. Automatic retries (``withRetry``) and a
  user "Retry" after a first-chunk failure reuse the same message, and failed attempts never add
  usage to it, so retries are not counted twice. A cancelled or mid-stream-failed request keeps
  the partial usage it was billed for (``cancelReason`` set) and is counted. Messages without any
  token count (still streaming, failed before the first chunk, Kilo's ``usageMissing``) are skipped
  as "no usage"; they are counted once a later run sees the finished message.
- ``tokensIn`` and the cache: one rule per writer and provider, see ``task_tokens``.
- Output: ``tokensOut`` as logged (Cline's Gemini handler leaves thinking tokens out of it and
  they are stored nowhere: unrecoverable, the logged cost still includes them).
- ``deleted_api_reqs`` (Cline's total of the messages a checkpoint restore removed): no request
  lost and none counted twice, see ``task_restores`` (a ledger of what was counted rides in the
  file's checkpoint). Cline's ``subagent_usage`` (sub-agent runs, whose requests appear nowhere
  else) is one record. Roo's ``condense_context`` logs a cost but no tokens: skipped.
- Model: the message's ``modelInfo`` (newer Cline), else the last ``task_metadata.json``
  ``model_usage`` entry at or before the request (Cline records it before each request; Roo and
  Kilo write none), else the ``<model>`` of the environment details Roo and Kilo attach to the
  user message of each request in ``api_conversation_history.json`` (written, with its ``ts``,
  right after the request's ``api_req_started``: the last one written before the next request
  began), else the extension's documented default model, flagged ``model_estimated``.
- request_id ``<source>:<task id>:<message ts>``: both are the tool's own ids, and the message
  keeps its ``ts`` when it is updated. session_id = task id; project = ``history_item.json``
  ``workspace`` (Roo/Kilo) when present.
"""
from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path

import orjson

from burntop.client.records import Record
from burntop.client.sources import task_restores, task_tokens
from burntop.client.sources.base import ParseResult, existing, file_signature, unchanged

EDITORS = ("Code", "Code - Insiders", "VSCodium", "Cursor", "Windsurf")
SERVER_DIRS = (".vscode-server", ".vscode-server-insiders", ".vscodium-server", ".cursor-server",
               ".windsurf-server")
FLATPAK_USER_DIRS = ("com.visualstudio.code/config/Code/User", "com.vscodium.codium/config/VSCodium/User")


def settings_bases(env: Mapping[str, str], home: Path) -> list[Path]:
    """Where desktop apps keep settings: XDG config (Linux), Application Support, %APPDATA%."""
    bases = [Path(env["XDG_CONFIG_HOME"])] if env.get("XDG_CONFIG_HOME") else []
    bases += [home / ".config", home / "Library" / "Application Support"]
    bases.append(Path(env["APPDATA"]) if env.get("APPDATA") else home / "AppData" / "Roaming")
    return list(dict.fromkeys(bases))


def user_dirs(env: Mapping[str, str], home: Path) -> list[Path]:
    """Every VS Code-like ``User`` folder: desktop editors, remote servers, Flatpak installs."""
    dirs = [base / editor / "User" for base in settings_bases(env, home) for editor in EDITORS]
    dirs += [home / server / "data" / "User" for server in SERVER_DIRS]
    dirs += [home / ".var" / "app" / rel for rel in FLATPAK_USER_DIRS]
    return dirs


def custom_storage(settings: Path, key: str) -> Path | None:
    """The folder a ``<ext>.customStoragePath`` user setting points at, if set."""
    try:
        text = settings.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = re.search(r'"' + re.escape(key) + r'"\s*:\s*("(?:[^"\\]|\\.)*")', text)
    if not match:
        return None
    try:
        value = orjson.loads(match.group(1))
    except orjson.JSONDecodeError:
        return None
    return Path(value).expanduser() if isinstance(value, str) and value.strip() else None


def storage_dirs(env: Mapping[str, str], home: Path, extension_id: str, setting: str | None = None,
                 extra: Iterable[Path] = ()) -> list[Path]:
    """The extension's storage roots in every editor, plus custom-storage settings and extras."""
    users = user_dirs(env, home)
    dirs = [user / "globalStorage" / extension_id for user in users]
    if setting:
        dirs += [p for p in (custom_storage(user / "settings.json", setting) for user in users) if p]
    return dirs + list(extra)


def task_files(roots: list[Path]) -> list[Path]:
    """Every task's ui_messages.json under the given storage roots."""
    return existing([root / "tasks" for root in roots], "*/ui_messages.json")


def number(value: object) -> int:
    """A non-negative token count from JSON, 0 when absent or not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return 0
    return max(0, int(value))


def load_json(path: Path) -> object:
    """A sidecar file's JSON, or None when missing or unreadable."""
    try:
        return orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None


class TaskContext:
    """What the task folder's sidecars say about models and the project."""

    def __init__(self, folder: Path):
        self.folder = folder
        meta = load_json(folder / "task_metadata.json")
        usage = meta.get("model_usage") if isinstance(meta, dict) else None
        usage = usage if isinstance(usage, list) else []
        self.models = sorted(
            ((number(e.get("ts")), e.get("model_id"), e.get("model_provider_id"))
             for e in usage if isinstance(e, dict) and isinstance(e.get("model_id"), str) and e["model_id"]),
            key=lambda entry: entry[0],
        )
        item = load_json(folder / "history_item.json")
        workspace = item.get("workspace") if isinstance(item, dict) else None
        self.project = workspace if isinstance(workspace, str) and workspace else None
        self._environment: list[tuple[int, str]] | None = None

    def model_at(self, ts: int) -> tuple[str, str | None] | None:
        """The model in use at ts: the last entry recorded before it (or the first one)."""
        chosen = None
        for entry_ts, model, provider in self.models:
            if chosen is None or entry_ts <= ts:
                chosen = (model, provider if isinstance(provider, str) else None)
        return chosen

    def environment_model(self, until: float) -> tuple[str, bool] | None:
        """(model, estimated) from the environment details written before ``until`` (the next
        request's start); without times in the history, its last model, flagged estimated."""
        if self._environment is None:
            self._environment = environment_models(self.folder / "api_conversation_history.json")
        if not self._environment:
            return None
        timed = [(ts, model) for ts, model in self._environment if ts]
        if not timed:
            return self._environment[-1][1], True
        chosen = timed[0][1]
        for ts, model in timed:
            if ts < until:
                chosen = model
        return chosen, False


MODEL_TAG = re.compile(r"<model>\s*([^<>\n]{1,200}?)\s*</model>")


def environment_models(path: Path) -> list[tuple[int, str]]:
    """(ts, model) of each user message whose environment details name a ``<model>``."""
    history = load_json(path)
    found = []
    for message in history if isinstance(history, list) else []:
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content")
        blocks = [content] if isinstance(content, str) else [
            b.get("text") for b in content if isinstance(b, dict)] if isinstance(content, list) else []
        for text in blocks:
            start = text.rfind("<environment_details>") if isinstance(text, str) else -1
            if start < 0:
                continue
            models = MODEL_TAG.findall(text, start, text.find("</environment_details>", start) % (len(text) + 1))
            if models:
                found.append((number(message.get("ts")), models[-1]))
    return found


def resolve_model(msg: dict, info: dict, ctx: TaskContext, ts: int, until: float) -> tuple[str, str | None, bool] | None:
    """(model, provider, estimated) of one request from the message, its payload, the task metadata
    or the environment details."""
    for holder in (msg.get("modelInfo"), info):
        if isinstance(holder, dict) and isinstance(holder.get("modelId"), str) and holder["modelId"]:
            provider = holder.get("providerId")
            return holder["modelId"], provider if isinstance(provider, str) else None, False
    found = ctx.model_at(ts)
    if found:
        return found[0], found[1], False
    environment = ctx.environment_model(until)
    return (environment[0], None, environment[1]) if environment else None


def logged_cost(info: dict) -> float | None:
    cost = info.get("cost")
    return float(cost) if isinstance(cost, (int, float)) and not isinstance(cost, bool) and cost >= 0 else None


def logged(info: dict) -> list:
    """[tokensIn, tokensOut, cacheWrites, cacheReads, cost] as the extension wrote them."""
    return [number(info.get("tokensIn")), number(info.get("tokensOut")), number(info.get("cacheWrites")),
            number(info.get("cacheReads")), logged_cost(info) or 0.0]


def payload(msg: dict) -> dict | str:
    """A usage message's JSON text, or the reason it cannot be read."""
    try:
        info = orjson.loads(msg.get("text") or "")
    except (orjson.JSONDecodeError, TypeError):
        return "malformed message"
    return info if isinstance(info, dict) else "malformed message"


def fields_of(raw: list, protocol: object, model: str, provider: str | None, estimated: bool,
              success: bool | None, cost: float | None, notes: Counter) -> list:
    """Record fields [input, output, cache writes, cache reads, model, provider, estimated, success, cost]."""
    fresh, writes, applied = task_tokens.split(raw[0], raw[2], raw[3], protocol, provider, model)
    for note in applied:
        notes[note] += 1
    return [fresh, raw[1], writes, raw[3], model, provider, estimated, success, cost]


def request_unit(msg: dict, ctx: TaskContext, default_model: str, ts: int, until: float,
                 notes: Counter) -> task_restores.Unit | str:
    """One usage message as a unit to count, or the reason it is skipped."""
    info = payload(msg)
    if isinstance(info, str):
        return info
    if info.get("usageMissing"):
        return "no usage"
    raw = logged(info)
    if not any(raw[:4]):
        return "no usage"
    found = resolve_model(msg, info, ctx, ts, until)
    model, provider, estimated = found if found else (default_model, None, True)
    success = None if info.get("cancelReason") is None else False
    key = f"{ts}:subagents" if msg.get("say") == "subagent_usage" else str(ts)
    return task_restores.Unit(key, ts, raw, fields_of(raw, info.get("apiProtocol"), model, provider, estimated,
                                                      success, logged_cost(info), notes))


def restore_unit(msg: dict, ts: int, after: int) -> task_restores.Unit | str:
    """A ``deleted_api_reqs`` message as a restore total (its fields are set by the ledger)."""
    info = payload(msg)
    return info if isinstance(info, str) else task_restores.Unit(f"{ts}:deleted", ts, logged(info), None, after)


def record(source: str, task_id: str, key: str, ts: int, fields: list, project: str | None) -> Record:
    fresh, output, writes, reads, model, provider, estimated, success, cost = fields
    return Record(
        source=source, request_id=f"{source}:{task_id}:{key}", timestamp=datetime.fromtimestamp(ts / 1000, timezone.utc),
        model=model, input_tokens=fresh, output_tokens=output, cache_creation_tokens=writes, cache_read_tokens=reads,
        logged_cost=cost, session_id=task_id, project=project, provider=provider, model_estimated=estimated,
        success=success,
    )


USAGE_SAYS = ("api_req_started", "subagent_usage")
SKIPPED_SAYS = {"condense_context": "condense without tokens"}


def _stamp(msg: dict) -> int | None:
    ts = msg.get("ts")
    if isinstance(ts, bool) or not isinstance(ts, (int, float)) or ts <= 0:
        return None
    return int(ts)


def parse_tasks(path: Path, checkpoint: dict | None, source: str, default_model: str) -> ParseResult:
    """Read one ui_messages.json whole (it is rewritten, never appended)."""
    result = ParseResult()
    if checkpoint and unchanged(path, checkpoint):
        result.checkpoint = checkpoint
        return result
    signature = file_signature(path)
    try:
        messages = orjson.loads(path.read_bytes())
    except OSError:
        result.skipped["unreadable file"] += 1
        return result
    except orjson.JSONDecodeError:
        # Cline writes the file in place: a half-written file is read again next time.
        result.skipped["malformed file"] += 1
        return result
    if not isinstance(messages, list):
        result.skipped["unknown format"] += 1
        result.checkpoint = signature
        return result
    result.seen = len(messages)
    ctx = TaskContext(path.parent)
    starts = sorted(ts for m in messages if isinstance(m, dict) and m.get("say") in USAGE_SAYS
                    and (ts := _stamp(m)) is not None)
    units: list[task_restores.Unit] = []
    previous = 0
    for msg in messages:
        if not isinstance(msg, dict):
            result.skipped["unknown format"] += 1
            continue
        say, ts = msg.get("say"), _stamp(msg)
        if not isinstance(say, str) or (say not in USAGE_SAYS and say != "deleted_api_reqs"):
            result.skipped[SKIPPED_SAYS.get(say, "no usage") if isinstance(say, str) else "no usage"] += 1
        elif ts is None:
            result.skipped["no timestamp"] += 1
        else:
            until = starts[bisect_right(starts, ts)] if bisect_right(starts, ts) < len(starts) else math.inf
            unit = (restore_unit(msg, ts, previous) if say == "deleted_api_reqs"
                    else request_unit(msg, ctx, default_model, ts, until, result.notes))
            if isinstance(unit, str):
                result.skipped[unit] += 1
            else:
                units.append(unit)
        previous = ts or previous

    def convert(raw: list, ts: int) -> list:
        found = ctx.model_at(ts)
        model, provider = found if found else (default_model, None)
        return fields_of(raw, None, model, provider, True, None, raw[4] or None, result.notes)

    ledger = (checkpoint or {}).get("ledger") or {}
    counted, ledger, notes, folded = task_restores.account(units, ledger, convert)
    result.notes.update(notes)
    result.folded.update(folded)
    result.records = [record(source, path.parent.name, key, ts, fields, ctx.project) for key, ts, fields in counted]
    result.checkpoint = {**signature, "ledger": ledger}
    return result


def make_parser(source: str, default_model: str) -> Callable[[Path, dict | None], ParseResult]:
    """A parse(path, checkpoint) function for one extension."""
    def parse(path: Path, checkpoint: dict | None) -> ParseResult:
        """Read one task's ui_messages.json."""
        return parse_tasks(path, checkpoint, source, default_model)
    return parse
