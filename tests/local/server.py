"""A real `flask --app app serve` in a subprocess, on a free loopback port and a temporary SQLite database,
as `make run` starts it."""
from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
from pathlib import Path

from tests.browser.test_cli_device_login import Process

ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).with_name("flask")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(tmp_path: Path, **extra: str) -> dict:
    """A clean environment: a migrated SQLite file of its own, local mode on, nothing of this machine's
    burntop settings."""
    from tests.conftest import _migrate

    url = f"sqlite:///{tmp_path / 'local.db'}"
    _migrate(url)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "PYTHONUNBUFFERED": "1", "DATABASE_URL": url, "BURNTOP_LOCAL_MODE": "1", "TZ": "UTC"}
    env.update(extra)
    return env


class Served(Process):
    """A running `flask --app app ...` whose output is read as it comes; stop() ends only this process."""

    def __init__(self, args: list[str], env: dict):
        self.popen = subprocess.Popen([str(FLASK), "--app", "app", *args], cwd=ROOT, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._start_reading()

    def _start_reading(self) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.output = ""
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
