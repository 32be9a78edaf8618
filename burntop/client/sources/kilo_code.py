"""Kilo Code (VS Code extension ``kilocode.kilo-code``, a Roo Code fork): task logs.

Locations: ``<globalStorage>/kilocode.kilo-code/tasks/<task id>/ui_messages.json`` in every VS
Code-like editor (Code, Insiders, VSCodium, Cursor, Windsurf; ``~/.config``, macOS
``~/Library/Application Support``, ``%APPDATA%``), the remote servers (``~/.vscode-server/data``
...), Flatpak installs, the JetBrains plugin's ``~/.kilocode/globalStorage/kilocode.kilo-code``,
and the folder the ``kilo-code.customStoragePath`` user setting names. Kilo Code 7 runs the Kilo CLI
engine and keeps its usage in ``kilo.db``: that is the ``kilo`` source.

Format and every counting decision: see ``vscode_tasks`` (shared with Cline and Roo Code) and
``task_tokens``. Kilo specifics: ``usageMissing: true`` marks a request whose usage never arrived
(skipped); each request's model is the ``<model>`` of the environment details it sent
(``api_conversation_history.json``), else Kilo's default ``anthropic/claude-sonnet-4``, flagged
estimated.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from burntop.client.sources.base import Source
from burntop.client.sources.vscode_tasks import make_parser, storage_dirs, task_files

EXTENSION_ID = "kilocode.kilo-code"
DEFAULT_MODEL = "anthropic/claude-sonnet-4"


def discover(env: Mapping[str, str], home: Path) -> list[Path]:
    """Every Kilo Code task's ui_messages.json."""
    jetbrains = home / ".kilocode" / "globalStorage" / EXTENSION_ID
    return task_files(storage_dirs(env, home, EXTENSION_ID, setting="kilo-code.customStoragePath",
                                   extra=[jetbrains]))


SOURCE = Source(
    name="kilo-code",
    label="Kilo Code",
    discover=discover,
    parse=make_parser("kilo-code", DEFAULT_MODEL),
    unit="messages",
    formats="ui_messages.json api_req_started usage with apiProtocol (Kilo Code 4.x, 2025-2026)",
)
