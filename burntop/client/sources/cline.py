"""Cline (VS Code extension ``saoudrizwan.claude-dev``, its CLI and JetBrains plugin): task logs.

Locations: ``<globalStorage>/saoudrizwan.claude-dev/tasks/<task id>/ui_messages.json`` in every
VS Code-like editor (Code, Insiders, VSCodium, Cursor, Windsurf; ``~/.config``, macOS
``~/Library/Application Support``, ``%APPDATA%``), the remote servers (``~/.vscode-server/data``
...), Flatpak installs, and the CLI / JetBrains data folder ``$CLINE_DATA_DIR``, else
``$CLINE_DIR/data``, else ``~/.cline/data`` (cline/cline ``resolveDataDirFromEnv``), whose
``tasks/`` has the same layout. Cline 4's SDK ``sessions/`` store is a different format and is
not read here.

Format and every counting decision: see ``vscode_tasks`` (shared with Roo Code and Kilo Code),
``task_tokens`` (how ``tokensIn`` relates to the cache for each Cline provider) and ``task_restores``
(``deleted_api_reqs`` after a checkpoint restore: no request lost, none counted twice).
Cline specifics: no ``apiProtocol`` field, so the provider decides the ``tokensIn`` rule; the model
and provider come from the message's ``modelInfo`` or ``task_metadata.json`` ``model_usage``; a
missing model defaults to Cline's Anthropic default ``claude-sonnet-4-20250514``, flagged estimated.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from burntop.client.sources.base import Source, env_paths
from burntop.client.sources.vscode_tasks import make_parser, storage_dirs, task_files

EXTENSION_ID = "saoudrizwan.claude-dev"
DEFAULT_MODEL = "claude-sonnet-4-20250514"


def data_dirs(env: Mapping[str, str], home: Path) -> list[Path]:
    """Cline's own data folder (CLI, JetBrains): CLINE_DATA_DIR, else CLINE_DIR/data, else ~/.cline/data."""
    explicit = env_paths(env, "CLINE_DATA_DIR")
    if explicit:
        return explicit
    roots = env_paths(env, "CLINE_DIR") or [home / ".cline"]
    return [root / "data" for root in roots]


def discover(env: Mapping[str, str], home: Path) -> list[Path]:
    """Every Cline task's ui_messages.json."""
    return task_files(storage_dirs(env, home, EXTENSION_ID, extra=data_dirs(env, home)))


SOURCE = Source(
    name="cline",
    label="Cline",
    discover=discover,
    parse=make_parser("cline", DEFAULT_MODEL),
    unit="messages",
    formats="ui_messages.json api_req_started usage (Cline 3.x, 2024-2026); task_metadata.json model_usage",
)
