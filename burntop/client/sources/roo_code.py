"""Roo Code (VS Code extension ``rooveterinaryinc.roo-cline``): task logs.

Locations: ``<globalStorage>/rooveterinaryinc.roo-cline/tasks/<task id>/ui_messages.json`` in every
VS Code-like editor (Code, Insiders, VSCodium, Cursor, Windsurf; ``~/.config``, macOS
``~/Library/Application Support``, ``%APPDATA%``), the remote servers (``~/.vscode-server/data``
...), Flatpak installs, and the folder the ``roo-cline.customStoragePath`` user setting names
(read from each editor's ``User/settings.json``).

Format and every counting decision: see ``vscode_tasks`` (shared with Cline and Kilo Code) and
``task_tokens``. Roo specifics: ``apiProtocol`` tells how tokensIn relates to the cache; the project
comes from the task's ``history_item.json`` ``workspace``; Roo writes no ``task_metadata.json``
``model_usage``, so each request's model is the ``<model>`` of the environment details it sent
(``api_conversation_history.json``), else Roo's Anthropic default ``claude-sonnet-4-20250514``,
flagged estimated.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from burntop.client.sources.base import Source
from burntop.client.sources.vscode_tasks import make_parser, storage_dirs, task_files

EXTENSION_ID = "rooveterinaryinc.roo-cline"
DEFAULT_MODEL = "claude-sonnet-4-20250514"


def discover(env: Mapping[str, str], home: Path) -> list[Path]:
    """Every Roo Code task's ui_messages.json."""
    return task_files(storage_dirs(env, home, EXTENSION_ID, setting="roo-cline.customStoragePath"))


SOURCE = Source(
    name="roo-code",
    label="Roo Code",
    discover=discover,
    parse=make_parser("roo-code", DEFAULT_MODEL),
    unit="messages",
    formats="ui_messages.json api_req_started usage with apiProtocol (Roo Code 3.x, 2025-2026)",
)
