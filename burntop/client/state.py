"""Sync checkpoints: per source, per file; a source's entries change only when that source syncs."""
from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path

from burntop.client.config import read_json, write_private

STATE_FILE = "sync-state.json"


class SyncState:
    """{"sources": {name: {"files": {path: checkpoint}, "lastSyncAt": iso, "lastSent": n}}}"""

    def __init__(self, folder: Path):
        self.path = folder / STATE_FILE
        self.data = read_json(self.path)
        self.data.setdefault("sources", {})
        self.touched: set[str] = set()

    def source(self, name: str) -> dict:
        return self.data["sources"].setdefault(name, {"files": {}})

    def checkpoint(self, source: str, path: str) -> dict | None:
        return self.source(source)["files"].get(path)

    def commit(self, source: str, checkpoints: dict[str, dict]) -> None:
        """Record acknowledged checkpoints and save at once (a crash later loses nothing acked)."""
        self.source(source)["files"].update(checkpoints)
        self.touched.add(source)
        self.save()

    def mark_synced(self, source: str, when: str, sent: int) -> None:
        entry = self.source(source)
        entry["lastSyncAt"] = when
        entry["lastSent"] = sent
        self.touched.add(source)
        self.save()

    def reset(self, source: str) -> None:
        self.data["sources"][source] = {"files": {}}
        self.touched.add(source)

    def save(self) -> None:
        # Re-read first: a concurrent `sync --source other` may have saved its own source meanwhile,
        # and only the sources this run changed are ours to write.
        with _locked(self.path.with_name(STATE_FILE + ".lock")):
            on_disk = read_json(self.path).get("sources", {})
            for name in self.touched:
                on_disk[name] = self.data["sources"][name]
            self.data["sources"] = on_disk
            write_private(self.path, json.dumps(self.data))


@contextmanager
def _locked(path: Path):
    """An exclusive lock between concurrent burntop processes (POSIX; elsewhere the merge above is all)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(os.open(path, os.O_RDWR | os.O_CREAT, 0o600), "r+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
