"""Every Code (just-every/code, the ``code`` CLI, a fork of Codex CLI): its session rollouts.

Writer read (just-every/code, ``code-rs``, August 2026): ``core/src/config/sources.rs`` (the home
folder), ``core/src/rollout/recorder.rs`` and ``policy.rs`` (what is persisted), and
``protocol/src/protocol.rs`` (``RolloutLine``, ``RolloutItem``, ``RecordedEvent``, ``TokenUsage``).

Locations: ``$CODE_HOME``, else ``~/.code`` (``%USERPROFILE%\\.code`` on Windows):
``sessions/YYYY/MM/DD/rollout-<time>-<uuid>.jsonl`` and ``archived_sessions/``. Every Code also
accepts ``$CODEX_HOME`` and, with no override, reads (never writes) a legacy ``~/.codex``: those
folders belong to the ``codex`` source, which reads Every Code's lines too, so this source never
opens them (one file, one source).

Format: Codex's rollout lines ``{"timestamp", "type", "payload"}`` (``session_meta``,
``turn_context``, ``response_item``, ``compacted``), with events recorded as ``{"type": "event",
"payload": {"id", "event_seq", "order"?, "msg": {"type": "token_count", "info": {"total_token_usage",
"last_token_usage", "requested_model"?, "latest_response_model"?}}}}`` (older builds: Codex's
``event_msg``). ``TokenUsage`` is Codex's ``{input_tokens, cached_input_tokens,
cache_write_input_tokens, output_tokens, reasoning_output_tokens, total_tokens}``.

Counting decisions: exactly Codex's (see ``codex.py``, whose reader this source uses): one record
per token_count event whose cumulative totals moved; input includes cached reads and writes, which
are subtracted; output includes reasoning; forks and resumes collapse by thread id and totals.
request_id = ``every-code:<thread id>:<totals>``.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from burntop.client.sources import codex
from burntop.client.sources.base import ParseResult, Source, existing
from burntop.client.sources.gemini_cli import env_dirs

NAME = "every-code"


def parse(path: Path, checkpoint: dict | None) -> ParseResult:
    """One rollout, read by the Codex rules under this source's name."""
    return codex.parse(path, checkpoint, NAME)


def discover(env: Mapping[str, str], home: Path) -> list[Path]:
    """Rollouts under Every Code's own home."""
    homes = env_dirs(env, "CODE_HOME", home)[:1] or [home / ".code"]
    found = existing([h / "sessions" for h in homes], "**/*.jsonl")
    found += existing([h / "archived_sessions" for h in homes], "*.jsonl")
    return sorted(set(found))


SOURCE = Source(name=NAME, label="Every Code", discover=discover, parse=parse, merge=codex.merge, sessions=True,
                formats="~/.code sessions/**/rollout-*.jsonl: token_count events (event and event_msg lines)")
