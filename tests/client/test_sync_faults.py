"""`burntop sync` while the server is down or failing: every retry is announced, the total wait is short
by default and set by --timeout, and one outage stops the whole sync instead of waiting per source."""
from __future__ import annotations

import json
import re
import time

from click.testing import CliRunner

from burntop.client import upload
from burntop.client.cli import main
from tests.client.test_sync_e2e import claude_history, codex_history, server_totals


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_the_default_budget_is_five_retries_in_23_seconds():
    assert upload.DEFAULT_TIMEOUT == 30
    assert upload.backoff_delays(30) == [1, 2, 4, 8, 8]
    assert upload.backoff_delays(3) == [1, 2]
    assert upload.backoff_delays(0.5) == []


def test_a_closed_port_is_retried_visibly_then_the_sync_stops(home, closed_port, monkeypatch):
    claude_history(home)
    codex_history(home)
    monkeypatch.setenv("BURNTOP_TOKEN", "bt_x")
    monkeypatch.setenv("BURNTOP_API_URL", f"http://127.0.0.1:{closed_port}")
    started = time.monotonic()
    result = run("sync", "--timeout", "3")
    elapsed = time.monotonic() - started
    assert result.exit_code == 1
    retries = [line for line in result.stderr.splitlines() if "retrying" in line]
    assert retries == ["server unreachable, retrying in 1s (1/2)", "server unreachable, retrying in 2s (2/2)"]
    assert 3 <= elapsed < 8  # 1 s + 2 s and jitter of at most a quarter: one request holds both sources
    for source in ("claude-code", "codex      "):
        assert re.search(rf"{source}  stopped after 0 batches: cannot reach http://127.0.0.1:{closed_port} "
                         r"\(ConnectionError\); gave up after 2 retries in [34]s \(--timeout 3s\)", result.stderr)
    assert "run `burntop sync` again to resume" in result.stderr


def test_without_timeout_a_down_server_is_given_about_half_a_minute(home, closed_port, monkeypatch):
    waits = []
    monkeypatch.setattr(upload, "pause", waits.append)
    claude_history(home)
    monkeypatch.setenv("BURNTOP_TOKEN", "bt_x")
    monkeypatch.setenv("BURNTOP_API_URL", f"http://127.0.0.1:{closed_port}")
    result = run("sync", "--json")
    assert result.exit_code == 1
    assert [line for line in result.stderr.splitlines() if "retrying" in line] == [
        f"server unreachable, retrying in {s} ({n}/5)" for n, s in enumerate(["1s", "2s", "4s", "8s", "8s"], 1)]
    assert all(d <= w <= d * 1.25 for w, d in zip(waits, [1, 2, 4, 8, 8], strict=True))
    assert not json.loads(result.stdout)["ok"]


def test_timeout_zero_tries_once(home, closed_port, monkeypatch):
    claude_history(home)
    monkeypatch.setenv("BURNTOP_TOKEN", "bt_x")
    monkeypatch.setenv("BURNTOP_API_URL", f"http://127.0.0.1:{closed_port}")
    result = run("sync", "--timeout", "0")
    assert result.exit_code == 1 and "retrying" not in result.stderr and "cannot reach" in result.stderr


def test_a_server_answering_503_then_200_is_retried_and_the_sync_completes(home, login, flaky_server):
    claude_history(home)
    url, wrapper = flaky_server(lambda n: ("503 SERVICE UNAVAILABLE", []) if n == 1 else None)
    login(url)
    result = run("sync")
    assert result.exit_code == 0, result.output
    assert [line for line in result.stderr.splitlines() if "retrying" in line] == [
        "server answered 503, retrying in 1s (1/5)"]
    assert "claude-code  6 added, 0 already on the server" in result.stdout
    assert wrapper.calls == 2 and server_totals()["records"] == 6
