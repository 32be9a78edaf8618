"""Hourly auto-sync: a crontab line on Linux and macOS, the Task Scheduler command on Windows."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

MARKER = "# burntop-auto-sync"


class ScheduleError(Exception):
    pass


def _command() -> str:
    exe = shutil.which("burntop") or str(Path(sys.argv[0]).resolve())
    return f'"{exe}" sync'


def _crontab() -> str:
    crontab = shutil.which("crontab")
    if crontab is None:
        raise ScheduleError("crontab is not installed; install cron or run `burntop sync` from your own scheduler")
    return crontab


def _read(crontab: str) -> list[str]:
    result = subprocess.run([crontab, "-l"], capture_output=True, text=True)
    if result.returncode != 0:  # "no crontab for user" is the usual reason
        return []
    return result.stdout.splitlines()


def _write(crontab: str, lines: list[str]) -> None:
    text = "\n".join(lines) + ("\n" if lines else "")
    result = subprocess.run([crontab, "-"], input=text, capture_output=True, text=True)
    if result.returncode != 0:
        raise ScheduleError(f"crontab refused the change: {result.stderr.strip()}")


def install() -> str:
    if sys.platform == "win32":
        return ("Run this once in a terminal to sync every hour:\n"
                f'  schtasks /Create /SC HOURLY /TN burntop-sync /TR "{shutil.which("burntop") or "burntop"} sync" /F')
    crontab = _crontab()
    lines = [line for line in _read(crontab) if MARKER not in line]
    log = Path.home() / ".burntop-sync.log"
    lines.append(f"17 * * * * {_command()} >> \"{log}\" 2>&1 {MARKER}")
    _write(crontab, lines)
    return f"hourly sync installed (crontab, minute 17); output goes to {log}"


def remove() -> str:
    if sys.platform == "win32":
        return "Run this once in a terminal:\n  schtasks /Delete /TN burntop-sync /F"
    crontab = _crontab()
    lines = _read(crontab)
    kept = [line for line in lines if MARKER not in line]
    if len(kept) == len(lines):
        return "no burntop schedule was installed"
    _write(crontab, kept)
    return "hourly sync removed"
