"""What keeping machines and machine_days costs a sync: 10,000-record syncs on PostgreSQL in one process,
alternating (ABBA) with the upkeep and with it switched off, so the machine's load drifts out of the
comparison.

    .venv/bin/python bench/machine_upkeep.py [--database-url URL] [--database-name NAME] [--pairs 4]

Prints figures; it is not a test. The database is created and dropped.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import batch, bench_user  # noqa: E402

import burntop.sync.ingest as ingest_module  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database-name", default="burntop_bench_upkeep")
    parser.add_argument("--pairs", type=int, default=4, help="ABBA groups: each gives two syncs of each kind")
    args = parser.parse_args()
    real = ingest_module.machine_deltas, ingest_module._upsert_machines
    off = (lambda user_id, rows: ([], [])), (lambda machines, days: None)
    rng = random.Random(7)
    with bench_user(args.database_url, args.database_name) as (client, _user, token):
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        client.post("/api/sync", data=batch("warmup", 100, rng), headers=headers)
        times: dict[str, list[float]] = {"with": [], "without": []}
        for i in range(4 * args.pairs):
            mode = "with" if i % 4 in (0, 3) else "without"
            ingest_module.machine_deltas, ingest_module._upsert_machines = real if mode == "with" else off
            body = batch(f"b{i}", 10_000, rng)
            started = time.perf_counter()
            response = client.post("/api/sync", data=body, headers=headers)
            times[mode].append(time.perf_counter() - started)
            assert response.status_code == 200 and response.get_json()["recordsAdded"] == 10_000
        ingest_module.machine_deltas, ingest_module._upsert_machines = real
        for mode, runs in times.items():
            print(f"{mode:>8} machine upkeep: sync 10,000 records  median {statistics.median(runs):.3f} s, "
                  f"best {min(runs):.3f} s  (runs: {', '.join(f'{t:.3f}' for t in runs)})")

if __name__ == "__main__":
    main()
