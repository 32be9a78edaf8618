"""CLI parse benchmark: `burntop stats --json` over 200,000 generated Claude Code lines in 500 files.

    .venv/bin/python bench/cli_parse.py [--files 500] [--lines 200000] [--keep DIR]

Prints wall time and peak memory of a first run (empty cache) and a second run (nothing changed).
Targets (issue 3, 2-core machine): first run <= 1.5 s and <= 250 MB; second run <= 0.3 s.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from cli_parse_data import generate  # noqa: E402


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return pids


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_stats(env: dict) -> tuple[float, float, float, dict]:
    """One `burntop stats --json`: wall seconds, peak RSS of its largest process and of the whole
    process tree (it parses on every core), sampled every 5 ms, and its output."""
    exe = Path(sys.executable).with_name("burntop")
    started = time.perf_counter()
    proc = subprocess.Popen([str(exe), "stats", "--json", "--tz", "UTC"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    peak_one = peak_all = 0
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.append(proc.stdout.read()), daemon=True)
    reader.start()
    while proc.poll() is None:
        sizes = [_rss_kb(pid) for pid in _tree(proc.pid)]
        peak_one, peak_all = max(peak_one, max(sizes, default=0)), max(peak_all, sum(sizes))
        time.sleep(0.005)
    wall = time.perf_counter() - started
    reader.join()
    if proc.returncode != 0:
        raise SystemExit(f"burntop stats failed: {proc.stderr.read().decode()[:2000]}")
    return wall, peak_one / 1024, peak_all / 1024, json.loads(b"".join(chunks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--keep", help="generate into (and keep) this folder")
    args = parser.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="burntop-bench-"))
    projects = root / "claude" / "projects"
    if not projects.exists():
        generate(projects, files=args.files, lines=args.lines, seed=0)
    size = sum(f.stat().st_size for f in projects.rglob("*.jsonl"))
    config = root / "config"
    shutil.rmtree(config, ignore_errors=True)
    env = {**os.environ, "CLAUDE_CONFIG_DIR": str(root / "claude"), "BURNTOP_CONFIG_DIR": str(config),
           "HOME": str(root / "home")}
    print(f"data: {args.lines:,} Claude Code lines in {args.files} files, {size / 1e6:.0f} MB, cpus {os.cpu_count()}")
    for label in ("first run (no cache)", "second run (unchanged)"):
        wall, peak_one, peak_all, report = run_stats(env)
        totals = report["totals"]
        print(f"{label:>24}: {wall:.2f} s wall, peak RSS {peak_all:.0f} MB for all processes "
              f"({peak_one:.0f} MB the largest), {totals['records']:,} records, "
              f"{totals['totalTokens']:,} tokens, ${totals['totalCost']:,.2f}")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
