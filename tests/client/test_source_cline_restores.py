"""Cline checkpoint restores: `deleted_api_reqs` never loses a request and never counts one twice."""
from __future__ import annotations

import json
import os

from burntop.client.sources import cline
from tests.client.test_source_vscode_tasks import TS, cline_root, started, write_task

TASK = "1750000000000"
METADATA = {"model_usage": [{"ts": TS - 1000, "model_id": "claude-sonnet-4-20250514", "model_provider_id": "anthropic",
                             "mode": "act"}]}


def say(ts: int, kind: str, text: str = "") -> dict:
    return {"ts": ts, "type": "say", "say": kind, "text": text}


def request(n: int) -> list[dict]:
    """Request n (1-based) as Cline writes it: api_req_started, the answer, a checkpoint."""
    ts = TS + n * 10_000
    return [started(ts, tokensIn=10 * n, tokensOut=100 * n, cacheWrites=1000 * n, cacheReads=20_000 * n,
                    cost=0.01 * n),
            say(ts + 1, "text", f"answer {n}"),
            say(ts + 2, "checkpoint_created")]


def restored(at: int, *totals: tuple[int, int, int, int, float]) -> dict:
    """The deleted_api_reqs message a restore appends: getApiMetrics over what it removed."""
    tokens_in, tokens_out, writes, reads, cost = (sum(t[i] for t in totals) for i in range(5))
    return say(at, "deleted_api_reqs", json.dumps({"tokensIn": tokens_in, "tokensOut": tokens_out,
                                                     "cacheWrites": writes, "cacheReads": reads,
                                                     "cost": round(cost, 10)}))


def logged(n: int) -> tuple[int, int, int, int, float]:
    return 10 * n, 100 * n, 1000 * n, 20_000 * n, 0.01 * n


TASK_START = [say(TS, "task", "fix the cart")]


def write(tmp_path, messages: list[dict]):
    path = write_task(cline_root(tmp_path), TASK, messages, task_metadata=METADATA)
    os.utime(path, ns=(1, path.stat().st_mtime_ns + 1_000_000))  # a rewrite always changes the signature
    return path


def totals(records) -> tuple:
    return (sum(r.input_tokens for r in records), sum(r.output_tokens for r in records),
            sum(r.cache_creation_tokens for r in records), sum(r.cache_read_tokens for r in records),
            round(sum(r.logged_cost or 0 for r in records), 9))


ALL_THREE = (60, 600, 6000, 120_000, 0.06)


def test_requests_seen_before_a_restore_stay_counted_and_the_total_adds_nothing(tmp_path):
    path = write(tmp_path, TASK_START + request(1) + request(2) + request(3))
    before = cline.SOURCE.parse(path, None)
    assert totals(before.records) == ALL_THREE
    # restore to the checkpoint after request 1: requests 2 and 3 leave the file, their total stays
    write(tmp_path, TASK_START + request(1) + [restored(TS + 40_000, logged(2), logged(3))])
    after = cline.SOURCE.parse(path, before.checkpoint)
    assert totals(after.records) == ALL_THREE
    assert sorted(r.request_id for r in after.records) == [f"cline:{TASK}:{TS + n * 10_000}" for n in (1, 2, 3)]
    kept = {r.request_id: r for r in after.records}[f"cline:{TASK}:{TS + 30_000}"]
    assert (kept.model, kept.model_estimated, kept.cache_read_tokens) == ("claude-sonnet-4-20250514", False, 60_000)
    assert after.notes == {"kept from an earlier read: removed from the file by a checkpoint restore": 2}
    assert after.folded == {"checkpoint-restore total already counted as its requests": 1}
    again = cline.SOURCE.parse(path, {"ledger": after.checkpoint["ledger"]})  # read in full again later
    assert sorted(r.request_id for r in again.records) == sorted(r.request_id for r in after.records)


def test_a_restore_seen_only_as_its_total_counts_the_total(tmp_path):
    path = write(tmp_path, TASK_START + request(1) + [restored(TS + 40_000, logged(2), logged(3))])
    result = cline.SOURCE.parse(path, None)
    assert totals(result.records) == ALL_THREE
    total = {r.request_id: r for r in result.records}[f"cline:{TASK}:{TS + 40_000}:deleted"]
    assert (total.input_tokens, total.cache_creation_tokens, total.model_estimated) == (50, 5000, True)


def test_a_total_counts_only_the_requests_never_seen(tmp_path):
    path = write(tmp_path, TASK_START + request(1) + request(2))
    seen = cline.SOURCE.parse(path, None)
    # request 3 is made and removed by a restore before the next read
    write(tmp_path, TASK_START + request(1) + [restored(TS + 40_000, logged(2), logged(3))])
    result = cline.SOURCE.parse(path, seen.checkpoint)
    assert totals(result.records) == ALL_THREE
    total = {r.request_id: r for r in result.records}[f"cline:{TASK}:{TS + 40_000}:deleted"]
    assert (total.input_tokens, total.output_tokens, total.cache_read_tokens) == (30, 300, 60_000)
    assert total.logged_cost == 0.03
    assert result.notes["checkpoint-restore total: only the part never counted as its requests"] == 1


def test_nested_restores_count_each_request_once(tmp_path):
    path = write(tmp_path, TASK_START + request(1) + request(2) + request(3) + request(4))
    first = cline.SOURCE.parse(path, None)
    first_restore = restored(TS + 50_000, logged(3), logged(4))
    write(tmp_path, TASK_START + request(1) + request(2) + [first_restore])
    second = cline.SOURCE.parse(path, first.checkpoint)
    assert totals(second.records) == totals(first.records)
    # request 5 comes and goes unseen with a restore to before request 2: that total holds request 2,
    # the first restore's total (requests 3 and 4) and request 5
    five = logged(5)
    write(tmp_path, TASK_START + request(1) + [restored(TS + 70_000, logged(2), logged(3), logged(4), five)])
    third = cline.SOURCE.parse(path, second.checkpoint)
    assert totals(third.records) == (150, 1500, 15_000, 300_000, 0.15)
    total = {r.request_id: r for r in third.records}[f"cline:{TASK}:{TS + 70_000}:deleted"]
    assert (total.input_tokens, total.output_tokens) == (50, 500)


def test_a_total_below_what_was_counted_is_zero_and_noted(tmp_path):
    path = write(tmp_path, TASK_START + request(1) + request(2) + request(3))
    before = cline.SOURCE.parse(path, None)
    write(tmp_path, TASK_START + request(1) + [restored(TS + 40_000, logged(2))])  # request 3 missing from it
    after = cline.SOURCE.parse(path, before.checkpoint)
    assert totals(after.records) == ALL_THREE
    assert after.notes["checkpoint-restore total smaller than its requests already counted: counted as zero"] == 1
