"""Kilo CLI (``kilo``, Kilo-Org/kilocode ``packages/opencode``) and Kilo Code 7: an OpenCode fork.

Kilo CLI 1.0 (2026) is built on OpenCode and keeps its schema; the Kilo Code 7 VS Code extension runs
the same engine (``kilo serve``) and shares its store. So this source reuses the OpenCode reader and
every counting decision in ``opencode`` (one record per step-finish part, fork copies folded by
content fingerprint, each writer era's token rule), with request ids ``kilo:<fingerprint>``.

Locations, as Kilo's ``Global.Path.data`` (xdg-basedir, app ``kilo``) and ``Database.path()`` resolve
them: the data folder is ``$XDG_DATA_HOME/kilo``, else ``~/.local/share/kilo`` (on every OS). In it:
- ``kilo.db`` (stable channels, and whenever ``KILO_DISABLE_CHANNEL_DB`` is set, as Kilo Code 7
  does), ``kilo-<channel>.db`` for other release channels, and the older channel name
  ``opencode-<channel>.db`` that releases before the rename wrote into this same folder; all are read
  (a response found in two of them has one fingerprint and is counted once);
- ``KILO_DB``, the override Kilo itself reads: an absolute path, or a path relative to the data
  folder (``:memory:`` keeps nothing on disk);
- the older JSON store ``storage/message/<session>/<message>.json`` with its ``storage/part/`` files.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from burntop.client.sources.base import Source, existing
from burntop.client.sources.gemini_cli import env_dirs
from burntop.client.sources.opencode import MERGE_RULE, json_files, reader

NAME = "kilo"


def data_dirs(env: Mapping[str, str], home: Path) -> list[Path]:
    """Kilo's data folders: under $XDG_DATA_HOME, and the default ~/.local/share."""
    roots = [base / "kilo" for base in env_dirs(env, "XDG_DATA_HOME", home)]
    return list(dict.fromkeys(roots + [home / ".local" / "share" / "kilo"]))


def discover(env: Mapping[str, str], home: Path) -> list[Path]:
    """Kilo's databases (every channel, the KILO_DB override) and its JSON message files."""
    roots = data_dirs(env, home)
    found = existing(roots, "kilo*.db") + existing(roots, "opencode*.db")
    custom = env.get("KILO_DB", "").strip()
    if custom and custom != ":memory:":
        candidates = [Path(custom).expanduser()] if Path(custom).expanduser().is_absolute() else [
            root / custom for root in roots]
        found += [item for item in candidates if item.is_file()]
    return sorted(set(found + json_files(roots)))


SOURCE = Source(name=NAME, label="Kilo CLI", discover=discover, parse=reader(NAME), merge_rule=MERGE_RULE,
                unit="steps and messages",
                formats="SQLite kilo.db / kilo-<channel>.db (Kilo CLI 1.x, Kilo Code 7) and JSON storage/message")
