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
- ``tokensIn`` and cache: Cline's handlers report Anthropic-style input (cache excluded) for
  every provider but its generic OpenAI-compatible one (``openai``), which passes
  ``prompt_tokens`` (cache reads included); Cline's provider comes from the message's
  ``modelInfo`` or ``task_metadata.json``. Roo/Kilo write ``apiProtocol``: with ``"openai"``
  tokensIn includes cache reads and writes (Roo's own ``calculateApiCostOpenAI`` subtracts both);
  with ``"anthropic"`` older versions wrote the cache-excluded input while newer ones write the
  total (``calculateApiCostAnthropic`` returns ``totalInputTokens``). A total can never be smaller
  than its cache parts, so ``tokensIn < cacheReads + cacheWrites`` means the old exclusive form,
  anything else the total; cache-excluded Anthropic input is a handful of tokens next to the cached
  prefix, so the rule only misreads an old request whose fresh input outweighed its cache.
- Cline's ``deepseek`` and ``openai`` handlers store DeepSeek's ``prompt_cache_miss_tokens`` (the
  uncached input, billed at the input price; DeepSeek has no cache writes) as ``cacheWrites``:
  for those providers it is moved back into input_tokens.
- Output: ``tokensOut`` as logged (Cline's Gemini handler leaves thinking tokens out of it and
  they are stored nowhere: unrecoverable, the logged cost still includes them).
- ``deleted_api_reqs`` (Cline's total of messages removed by a checkpoint restore) is skipped:
  the removed requests were counted while they existed, so adding the total would count them
  twice. Cline's ``subagent_usage`` (sub-agent runs, whose requests appear nowhere else) is one
  record. Roo's ``condense_context`` logs a cost but no tokens: skipped.
- Model: the message's ``modelInfo`` (newer Cline), else the last ``task_metadata.json``
  ``model_usage`` entry at or before the request (Cline records it before each request), else the
  extension's documented default model, flagged ``model_estimated``.
- request_id ``<source>:<task id>:<message ts>``: both are the tool's own ids, and the message
  keeps its ``ts`` when it is updated. session_id = task id; project = ``history_item.json``
  ``workspace`` (Roo/Kilo) when present.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path

import orjson

from burntop.client.records import Record
from burntop.client.sources.base import ParseResult, existing, file_signature, unchanged

EDITORS = ("Code", "Code - Insiders", "VSCodium", "Cursor", "Windsurf")
SERVER_DIRS = (".vscode-server", ".vscode-server-insiders", ".vscodium-server", ".cursor-server",
               ".windsurf-server")
FLATPAK_USER_DIRS = ("com.visualstudio.code/config/Code/User", "com.vscodium.codium/config/VSCodium/User")
# Cline providers whose handler stores prompt_tokens (cache reads included) as tokensIn.
CLINE_INCLUSIVE_PROVIDERS = frozenset({"openai"})
# Cline providers whose handler stores DeepSeek's prompt_cache_miss_tokens (uncached input) as cacheWrites.
CLINE_MISSES_AS_WRITES = frozenset({"openai", "deepseek"})


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

    def model_at(self, ts: int) -> tuple[str, str | None] | None:
        """The model in use at ts: the last entry recorded before it (or the first one)."""
        chosen = None
        for entry_ts, model, provider in self.models:
            if chosen is None or entry_ts <= ts:
                chosen = (model, provider if isinstance(provider, str) else None)
        return chosen


def resolve_model(msg: dict, info: dict, ctx: TaskContext, ts: int) -> tuple[str, str | None] | None:
    """Model and provider of one request from the message, its payload or the task metadata."""
    for holder in (msg.get("modelInfo"), info):
        if isinstance(holder, dict) and isinstance(holder.get("modelId"), str) and holder["modelId"]:
            provider = holder.get("providerId")
            return holder["modelId"], provider if isinstance(provider, str) else None
    return ctx.model_at(ts)


def includes_cache(info: dict, provider: str | None, tokens_in: int, cached: int) -> bool:
    """Whether tokensIn already contains the cache reads and writes (see the module docstring)."""
    protocol = info.get("apiProtocol")
    if protocol == "openai":
        return True
    if protocol == "anthropic":
        return tokens_in >= cached
    return provider in CLINE_INCLUSIVE_PROVIDERS


def to_record(source: str, task_id: str, msg: dict, ctx: TaskContext, default_model: str) -> Record | str:
    """One usage message as a Record, or the reason it is skipped."""
    ts = msg.get("ts")
    if isinstance(ts, bool) or not isinstance(ts, (int, float)) or ts <= 0:
        return "no timestamp"
    ts = int(ts)
    try:
        info = orjson.loads(msg.get("text") or "")
    except (orjson.JSONDecodeError, TypeError):
        return "malformed message"
    if not isinstance(info, dict):
        return "malformed message"
    if info.get("usageMissing"):
        return "no usage"
    tokens_in, tokens_out = number(info.get("tokensIn")), number(info.get("tokensOut"))
    writes, reads = number(info.get("cacheWrites")), number(info.get("cacheReads"))
    if not (tokens_in or tokens_out or writes or reads):
        return "no usage"
    found = resolve_model(msg, info, ctx, ts)
    model, provider = found if found else (default_model, None)
    if includes_cache(info, provider, tokens_in, reads + writes):
        tokens_in = max(0, tokens_in - reads - writes)
    if "apiProtocol" not in info and provider in CLINE_MISSES_AS_WRITES:
        tokens_in, writes = tokens_in + writes, 0
    cost = info.get("cost")
    logged = float(cost) if isinstance(cost, (int, float)) and not isinstance(cost, bool) and cost >= 0 else None
    suffix = ":subagents" if msg.get("say") == "subagent_usage" else ""
    return Record(
        source=source, request_id=f"{source}:{task_id}:{ts}{suffix}",
        timestamp=datetime.fromtimestamp(ts / 1000, timezone.utc), model=model,
        input_tokens=tokens_in, output_tokens=tokens_out, cache_creation_tokens=writes, cache_read_tokens=reads,
        logged_cost=logged,
        session_id=task_id, project=ctx.project, provider=provider, model_estimated=found is None,
        success=None if info.get("cancelReason") is None else False,
    )


SKIPPED_SAYS = {"deleted_api_reqs": "deleted requests total", "condense_context": "condense without tokens"}


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
    result.checkpoint = signature
    if not isinstance(messages, list):
        result.skipped["unknown format"] += 1
        return result
    ctx = TaskContext(path.parent)
    for msg in messages:
        if not isinstance(msg, dict):
            result.skipped["unknown format"] += 1
            continue
        say = msg.get("say")
        if not isinstance(say, str):
            continue
        if say in SKIPPED_SAYS:
            result.skipped[SKIPPED_SAYS[say]] += 1
        elif say in ("api_req_started", "subagent_usage"):
            record = to_record(source, path.parent.name, msg, ctx, default_model)
            if isinstance(record, str):
                result.skipped[record] += 1
            else:
                result.records.append(record)
    return result


def make_parser(source: str, default_model: str) -> Callable[[Path, dict | None], ParseResult]:
    """A parse(path, checkpoint) function for one extension."""
    def parse(path: Path, checkpoint: dict | None) -> ParseResult:
        """Read one task's ui_messages.json."""
        return parse_tasks(path, checkpoint, source, default_model)
    return parse
