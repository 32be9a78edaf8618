"""OpenClaw (formerly Clawdbot / Moltbot): per-response usage from its agents' transcripts.

Writer read (openclaw/openclaw, 2026): ``src/config/paths.ts`` (the state folder),
``src/config/sessions/session-accessor.sqlite-read.ts`` and ``session-accessor.sqlite-*`` (the
SQLite transcript store), the Codex app-server mirror (``idempotencyScope
codex-app-server:<thread>:<turn>``). Transcript entries are pi-coding-agent session entries (OpenClaw
runs pi's agent and pi-ai's providers), so a model response is read exactly as ``pi.py`` reads it.

Locations: the state folder ``$OPENCLAW_STATE_DIR`` (or the older ``$CLAWDBOT_STATE_DIR``; ``~``
expanded against ``$OPENCLAW_HOME`` when set), else every existing one of ``~/.openclaw``,
``~/.clawdbot``, ``~/.moldbot``, ``~/.moltbot`` (``~`` is ``$OPENCLAW_HOME`` when set). Under it,
per agent ``agents/<agent id>/``:
- ``agent/openclaw-agent.sqlite`` (current releases): table ``transcript_events(session_id, seq,
  event_json, created_at)``, one transcript entry per row. Opened read-only; only the listed JSON
  fields are extracted in SQL, never message text (the same file holds the agent's credentials in
  other tables, which are never queried). The gateway keeps it open in WAL mode, so the ``-wal``
  file is part of the checkpoint and the whole store is re-read when either changed.
- ``sessions/<session id>.jsonl`` (older releases, and archives OpenClaw still publishes there as
  ``*.jsonl.deleted.<time>`` / ``*.jsonl.reset.<time>``), and ``session-sqlite-import-archive/``
  (JSONL moved aside once imported into SQLite; history it found unreferenced exists only there).
  Archives compressed with zstd (``*.zst``) are not read (Python has no zstd decoder built in).
- ``agent/codex-home/{sessions,archived_sessions}/`` (turns OpenClaw runs through Codex app-server
  with the default ``homeScope: "agent"``): Codex rollouts, read with the Codex parser.

Counting decisions:
- One record per assistant message entry with usage, as in ``pi.py`` (same usage semantics, same
  ``<timestamp>:<fingerprint>`` ids). A transcript migrated from JSONL into SQLite, the archive of
  an imported file and a ``/fork`` copy all hold the same entry, so copies collapse in ``merge``.
- Rows OpenClaw writes itself (``api: "openclaw-transcript"``, or provider ``openclaw`` with model
  ``delivery-mirror`` / ``gateway-injected``) are not model responses: skipped.
- Assistant rows mirroring a Codex app-server turn (``idempotencyKey`` ``codex-app-server:...``)
  carry only the turn's last response; Codex's own rollout records every response and is counted
  instead (the mirror rows are ``skipped["codex mirror"]``). When Codex runs with a shared user
  home, that rollout is the ``codex`` source's to count.
- Codex rollouts get request ids ``openclaw:<thread id>:<totals>``, counted by the Codex rules; they
  also give coding sessions (active time, apply_patch lines, commits) as ``codex_sessions`` says.
  OpenClaw's own transcripts give none yet.
- session_id = the transcript's session id (row ``session_id`` / the header's ``id``); project =
  the header's ``cwd`` when the transcript has one.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from contextlib import closing
from pathlib import Path

import orjson

from burntop.client.sources import codex, pi
from burntop.client.sources.base import ParseResult, Source, existing, file_signature, wal_signature
from burntop.client.sources.gemini_cli import env_dirs

NAME = "openclaw"
STATE_DIRS = (".openclaw", ".clawdbot", ".moldbot", ".moltbot")
DATABASE = "openclaw-agent.sqlite"
TRANSCRIPT_ONLY_MODELS = frozenset({"delivery-mirror", "gateway-injected"})
# Only the fields a record needs; CASE keeps json_extract away from a malformed row.
FIELDS = ("$.type", "$.id", "$.timestamp", "$.cwd", "$.modelId", "$.provider", "$.message.role",
          "$.message.timestamp", "$.message.provider", "$.message.model", "$.message.api",
          "$.message.usage", "$.message.idempotencyKey")
QUERY = (f"SELECT session_id, CASE WHEN json_valid(event_json) THEN json_extract(event_json, "
         f"{', '.join(repr(f) for f in FIELDS)}) END FROM transcript_events "
         "WHERE instr(event_json, '\"message\"') OR instr(event_json, '\"model_change\"') "
         "OR instr(event_json, '\"session\"') ORDER BY session_id, seq")


def not_a_response(entry: dict) -> str | None:
    """Why a message entry is not one of this tool's model responses (None when it is)."""
    msg = entry.get("message")
    if not isinstance(msg, dict) or msg.get("role") != "assistant":
        return None
    if msg.get("api") == "openclaw-transcript" or (
            msg.get("provider") == "openclaw" and msg.get("model") in TRANSCRIPT_ONLY_MODELS):
        return "transcript-only row"
    key = msg.get("idempotencyKey")
    if isinstance(key, str) and key.startswith("codex-app-server:"):
        return "codex mirror"
    return None


def _entry(cell: object) -> dict | None:
    """A minimal transcript entry rebuilt from the extracted fields of one row."""
    try:
        values = orjson.loads(cell) if isinstance(cell, str) else None
    except orjson.JSONDecodeError:
        return None
    if not isinstance(values, list) or len(values) != len(FIELDS):
        return None
    (kind, ident, stamp, cwd, model_id, provider, role, msg_stamp, msg_provider, msg_model, api, usage,
     key) = values
    entry = {"type": kind, "id": ident, "timestamp": stamp, "cwd": cwd, "modelId": model_id,
             "provider": provider}
    if role is not None:
        entry["message"] = {"role": role, "timestamp": msg_stamp, "provider": msg_provider, "model": msg_model,
                            "api": api, "usage": usage, "idempotencyKey": key}
    return entry


def parse_db(path: Path, checkpoint: dict | None) -> ParseResult:
    """The agent database's transcript rows, re-read whenever the file (or its WAL) changed."""
    result = ParseResult()
    try:
        # The WAL is part of the signature: OpenClaw's gateway keeps the database open in WAL mode.
        signature = {**file_signature(path), "wal": wal_signature(path)}
    except OSError:
        result.skipped["unreadable file"] += 1
        return result
    if checkpoint and all(checkpoint.get(key) == value for key, value in signature.items()):
        result.checkpoint = dict(checkpoint)
        return result
    states: dict[str, dict] = {}
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)) as con:
            if not con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'transcript_events'"
                               ).fetchone():
                result.checkpoint = signature  # an agent without transcripts yet
                return result
            for session, cell in con.execute(QUERY):
                entry = _entry(cell)
                if entry is None:
                    result.skipped["malformed row"] += 1
                    continue
                state = states.setdefault(session, {"session": session})
                record = pi.read_entry(NAME, entry, state, result, not_a_response)
                if record:
                    result.records.append(record)
    except sqlite3.Error:
        result.records.clear()
        result.skipped["unreadable database"] += 1
        return result  # no checkpoint: read again next run
    result.checkpoint = signature
    return result


def parse(path: Path, checkpoint: dict | None) -> ParseResult:
    """Agent database, Codex rollout, or JSONL transcript (live or archived)."""
    if path.name == DATABASE:
        return parse_db(path, checkpoint)
    if "codex-home" in path.parts:
        return codex.parse(path, checkpoint, NAME)
    return pi.parse_session(path, checkpoint, NAME, not_a_response)


def state_dirs(env: Mapping[str, str], home: Path) -> list[Path]:
    """OpenClaw's state folder(s): the override, else every existing default and legacy name."""
    base = env_dirs(env, "OPENCLAW_HOME", home)[:1] or [home]
    configured = env_dirs(env, "OPENCLAW_STATE_DIR", base[0])[:1] or env_dirs(env, "CLAWDBOT_STATE_DIR", base[0])[:1]
    return configured or [base[0] / name for name in STATE_DIRS]


def discover(env: Mapping[str, str], home: Path) -> list[Path]:
    """Agent databases, transcripts, their archives and the agents' Codex rollouts."""
    agents = [state / "agents" for state in state_dirs(env, home) if (state / "agents").is_dir()]
    if not agents:
        return []
    found = existing(agents, f"*/agent/{DATABASE}")
    found += [p for p in existing(agents, "*/sessions/*.jsonl*") if p.suffix not in (".zst", ".lock", ".tmp")]
    found += [p for p in existing(agents, "*/session-sqlite-import-archive/*") if ".jsonl" in p.name
              and p.suffix not in (".zst", ".lock", ".tmp")]
    found += existing(agents, "*/agent/codex-home/sessions/**/*.jsonl")
    found += existing(agents, "*/agent/codex-home/archived_sessions/*.jsonl")
    return sorted(set(found))


SOURCE = Source(name=NAME, label="OpenClaw", discover=discover, parse=parse, merge=codex.merge,
                formats="agents/*/agent/openclaw-agent.sqlite transcript_events, agents/*/sessions/*.jsonl "
                        "(pi entries), agents/*/agent/codex-home rollouts")
