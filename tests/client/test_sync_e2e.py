"""`burntop sync` against the real server over HTTP: server totals equal `burntop stats` totals,
incremental syncs send only what is new, and an interrupted sync loses nothing."""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from burntop.client.cli import main
from burntop.extensions import db
from burntop.models import DailyRollup, UsageRecord
from tests.client.test_source_claude_code import append, assistant, user, write
from tests.client.test_source_codex import PARENT, Rollout, rollout_path


def claude_history(home, responses=6):
    project = home / ".claude" / "projects" / "-home-dev-shop"
    lines = [user()]
    for i in range(responses):
        at = f"2025-10-0{1 + i % 3}T{10 + i:02d}:00:00.000Z"
        # each response is logged once per content block; the second copy must not count
        lines += [assistant(f"msg_{i:03d}", f"req_{i:03d}", output=50 + i, at=at),
                  assistant(f"msg_{i:03d}", f"req_{i:03d}", output=50 + i, at=at, block={"type": "tool_use"})]
    return write(project / "session-1.jsonl", *lines)


def codex_history(home):
    return (Rollout().context().call(10_000, 8_000, 500, 200).call(12_000, 9_984, 80, 0)
            .write(rollout_path(home, PARENT)))


def run(*args):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def server_totals() -> dict:
    db.session.expire_all()
    r = DailyRollup
    tokens, cost, records = db.session.execute(select(
        func.sum(r.input_tokens + r.output_tokens + r.cache_creation_tokens + r.cache_read_tokens),
        func.sum(r.cost_nanos), func.sum(r.records))).one()
    return {"tokens": int(tokens or 0), "cost": int(cost or 0) / 1e9, "records": int(records or 0)}


def test_sync_then_server_totals_equal_stats_totals(home, login, live_server):
    claude_history(home)
    codex_history(home)
    login(live_server)
    result = run("sync", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and report["recordsAdded"] == 8
    stats = json.loads(run("stats", "--json", "--mode", "calculate").stdout)["totals"]
    server = server_totals()
    assert server["records"] == stats["records"] == 8
    assert server["tokens"] == stats["totalTokens"]
    assert server["cost"] == pytest.approx(stats["totalCost"], abs=1e-6)


def test_nothing_private_leaves_the_machine(home, tmp_path, login, live_server):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.json").write_text(json.dumps({"salt": "5a17" * 8, "machineId": "m" * 32}))
    claude_history(home)
    login(live_server)
    run("sync")
    rows = db.session.scalars(select(UsageRecord)).all()
    # sha256("<salt>\0<value>")[:32] with this install's salt, worked out once by hand; unsalted, the project
    # would read c529802a..., the session f1be68e9...
    assert len(rows) == 6
    assert {r.project for r in rows} == {"f81e5b0371634f6279b8fd8cd4467681"}  # of /home/dev/src/shop
    assert {r.session_id for r in rows} == {"8b5df5966968d9c6882807e363cda03d"}  # of 0f1e2d3c-4b5a-...
    assert {r.machine_id for r in rows} == {"m" * 32}


def test_checkpoints_of_several_files_of_one_source_are_exact(home, login, flaky_server, monkeypatch):
    from burntop.client import sync as syncing

    monkeypatch.setattr(syncing, "BATCH_SIZE", 2)
    root = home / ".claude" / "projects"
    at = "2025-10-01T{:02d}:00:00.000Z".format
    a = write(root / "-a" / "a.jsonl", assistant("a1", "ra1", at=at(1)), assistant("a2", "ra2", at=at(3)))
    b = write(root / "-b" / "b.jsonl", assistant("b1", "rb1", at=at(2)), assistant("b2", "rb2", at=at(5)))
    c = write(root / "-c" / "c.jsonl", assistant("c1", "rc1", at=at(4)), assistant("c2", "rc2", at=at(6)))
    # In time order the batches are [a1 b1] [a2 c1] [b2 c2]; the third fails once the first two are stored.
    url, wrapper = flaky_server(lambda n: ("500 INTERNAL SERVER ERROR", []) if n == 3 else None)
    login(url)
    interrupted = json.loads(run("sync", "--json", "--timeout", "0").stdout)
    assert (interrupted["ok"], interrupted["recordsAdded"]) == (False, 4)
    # Only a.jsonl was acknowledged to its end: b and c are read again whole, b1 and c1 count as already stored.
    resumed = json.loads(run("sync", "--json").stdout)
    assert (resumed["recordsAdded"], resumed["recordsSkipped"]) == (2, 2)
    append(a, assistant("a3", "ra3", at=at(7)))
    append(b, assistant("b3", "rb3", at=at(8)), assistant("b4", "rb4", at=at(9)))
    second = json.loads(run("sync", "--json").stdout)
    assert (second["recordsAdded"], second["recordsSkipped"], second["skipped"]) == (3, 0, {})  # not a byte re-read
    append(a, assistant("a4", "ra4", at=at(10)))
    append(b, assistant("b5", "rb5", at=at(11)))
    append(c, assistant("c3", "rc3", at=at(12)))
    third = json.loads(run("sync", "--json").stdout)
    assert (third["recordsAdded"], third["recordsSkipped"], third["skipped"]) == (3, 0, {})
    idle = json.loads(run("sync", "--json").stdout)
    assert (idle["recordsAdded"], idle["recordsSkipped"]) == (0, 0)
    assert server_totals()["records"] == 12 and wrapper.calls == 3 + 2 + 2 + 2


def test_a_second_sync_sends_only_what_is_new(home, login, live_server):
    path = claude_history(home)
    login(live_server)
    run("sync")
    again = json.loads(run("sync", "--json").stdout)
    assert again["recordsAdded"] == 0 and again["recordsSkipped"] == 0  # checkpoints: nothing re-sent
    append(path, assistant("msg_new", "req_new", at="2025-10-05T09:00:00.000Z"))
    third = json.loads(run("sync", "--json").stdout)
    assert (third["recordsAdded"], third["recordsSkipped"]) == (1, 0)
    assert server_totals()["records"] == 7


def test_source_option_leaves_other_checkpoints_alone(home, login, live_server):
    claude_history(home)
    codex_history(home)
    login(live_server)
    first = json.loads(run("sync", "--source", "codex", "--json").stdout)
    assert first["recordsAdded"] == 2
    second = json.loads(run("sync", "--json").stdout)
    assert second["recordsAdded"] == 6 and second["recordsSkipped"] == 0


def test_full_resends_and_the_server_dedupes(home, login, live_server):
    claude_history(home)
    login(live_server)
    run("sync")
    full = json.loads(run("sync", "--full", "--json").stdout)
    assert (full["recordsAdded"], full["recordsSkipped"]) == (0, 6)


def test_dry_run_sends_nothing_and_shows_the_payload(home, login, live_server):
    claude_history(home)
    login(live_server)
    report = json.loads(run("sync", "--dry-run", "--json").stdout)
    assert report["dryRun"] and report["sources"][0]["records"] == 6
    assert report["preview"][0]["source"] == "claude-code" and "requestId" in report["preview"][0]
    assert server_totals()["records"] == 0
    assert json.loads(run("sync", "--json").stdout)["recordsAdded"] == 6  # checkpoints untouched


def test_an_interrupted_sync_loses_nothing_and_resumes(home, login, flaky_server, monkeypatch):
    from burntop.client import sync as syncing

    monkeypatch.setattr(syncing, "BATCH_SIZE", 2)
    claude_history(home)  # 6 records: 3 batches
    url, wrapper = flaky_server(lambda n: ("500 INTERNAL SERVER ERROR", []) if n >= 2 else None)
    login(url)
    result = run("sync", "--json", "--timeout", "1")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert not report["ok"] and report["recordsAdded"] == 2
    assert "500" in report["sources"][0]["error"]
    wrapper.fail = lambda n: None  # the network is back
    resumed = json.loads(run("sync", "--json").stdout)
    assert resumed["ok"] and resumed["recordsAdded"] == 4
    assert server_totals()["records"] == 6


def test_retries_honour_retry_after_and_5xx(home, login, flaky_server):
    claude_history(home)
    url, wrapper = flaky_server(lambda n: {1: ("429 TOO MANY REQUESTS", [("Retry-After", "1")]),
                                           2: ("503 SERVICE UNAVAILABLE", [])}.get(n))
    login(url)
    started = time.monotonic()
    report = json.loads(run("sync", "--json").stdout)
    assert report["ok"] and report["recordsAdded"] == 6
    assert wrapper.calls == 3 and time.monotonic() - started >= 1.0


def test_unreadable_and_malformed_input_is_skipped_with_one_warning(home, login, live_server):
    path = claude_history(home)
    append(path, '{"type": "assistant", "message": {"id": "broken"', '{"type":"assistant", nope}')
    (path.parent / "not-a-file.jsonl").mkdir()  # unreadable as a file
    login(live_server)
    result = CliRunner().invoke(main, ["sync"])
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert result.stderr.count("skipped") == 1 and "--verbose" in result.stderr
    assert server_totals()["records"] == 6
    verbose = CliRunner().invoke(main, ["stats", "--verbose", "--json"])
    assert "malformed line" in verbose.stderr


def test_a_record_the_server_would_refuse_never_blocks_the_source(home, login, live_server):
    path = claude_history(home)
    ahead = datetime.now(timezone.utc) + timedelta(days=1, minutes=5)  # just past the server's bound
    append(path, assistant("msg_future", "req_future", at=ahead.isoformat().replace("+00:00", "Z")))
    login(live_server)
    first = CliRunner().invoke(main, ["sync", "--json"])
    assert first.exit_code == 0 and json.loads(first.stdout)["recordsAdded"] == 6
    assert "out-of-range" in first.stderr
    append(path, assistant("msg_next", "req_next", at="2025-10-07T09:00:00.000Z"))
    second = json.loads(run("sync", "--json").stdout)
    assert second["recordsAdded"] == 1 and server_totals()["records"] == 7


def test_since_sends_a_subset_and_a_later_sync_sends_the_rest(home, login, live_server):
    claude_history(home)
    login(live_server)
    partial = json.loads(run("sync", "--since", "2025-10-03", "--json").stdout)
    assert partial["recordsAdded"] == 2
    rest = json.loads(run("sync", "--json").stdout)
    assert (rest["recordsAdded"], rest["recordsSkipped"]) == (4, 2)
    assert server_totals()["records"] == 6


def test_the_parse_cache_is_private(home, tmp_path):
    import stat

    claude_history(home)
    assert run("stats", "--json").exit_code == 0
    cache = tmp_path / "config" / "cache"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in cache.iterdir())
