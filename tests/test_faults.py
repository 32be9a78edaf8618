"""Fault tests with real processes: a Redis of the test's own that is stopped mid-run, RQ workers killed
with SIGKILL. The shared Redis and PostgreSQL are never touched.

Run with -s to see the figures they print.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
import redis as redis_py
import requests
from sqlalchemy import select

from burntop.extensions import db
from burntop.models import DailyRollup, PendingJob
from tests.factories import auth, make_token, make_user, record
from tests.locks import held, lock_waits, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    """A redis-server of this test's own on a free port, without persistence."""

    def __init__(self, tmp: Path):
        self.port, self.tmp, self.process = free_port(), tmp, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.tmp)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis_py.Redis.from_url(self.url)
        wait_for(lambda: _pings(client), "the test's redis-server to answer", 10)
        client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


def _pings(client) -> bool:
    try:
        return client.ping()
    except redis_py.ConnectionError:
        return False


@pytest.fixture
def own_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


class Processes:
    """Processes this test started, each logging to a file; all of them stopped at the end, by pid."""

    def __init__(self, tmp: Path, env: dict):
        self.tmp, self.env, self.started, self.seen = tmp, env, [], set()

    def start(self, name: str, *args: str, **env) -> subprocess.Popen:
        with open(self.tmp / f"{name}.log", "ab") as log:
            process = subprocess.Popen([*args], cwd=ROOT, env={**self.env, **env}, stdout=log,
                                       stderr=subprocess.STDOUT)
        process.log_path = self.tmp / f"{name}.log"
        self.started.append(process)
        return process

    def worker(self, name: str, *options: str, **env) -> subprocess.Popen:
        return self.start(name, str(BIN / "flask"), "--app", "app", "worker", *options, **env)

    def children(self, process: subprocess.Popen) -> list[int]:
        """The process's children, remembered so that they are stopped even if they outlive it."""
        found = children(process.pid)
        self.seen.update(found)
        return found

    def stop_all(self) -> None:
        for process in self.started:
            for pid in [*self.children(process), process.pid]:
                _kill(pid, signal.SIGKILL)
            process.wait(10)
        for pid in self.seen:
            if alive(pid) and _runs_ours(pid):  # never a recycled pid of someone else's
                _kill(pid, signal.SIGKILL)


def _kill(pid: int, sig) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _runs_ours(pid: int) -> bool:
    try:
        return str(BIN).encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is pid."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def processes(tmp_path, app, app_config, own_redis):
    env = {**os.environ, "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": own_redis.url,
           "BURNTOP_REDIS_PREFIX": app_config["REDIS_KEY_PREFIX"], "BURNTOP_ENV": "development",
           "SECRET_KEY": app_config["SECRET_KEY"], "BURNTOP_PENDING_RETRY_AFTER": "1", "LOG_LEVEL": "INFO",
           "PYTHONUNBUFFERED": "1"}
    started = Processes(tmp_path, env)
    yield started
    started.stop_all()


def pending_rows() -> list[tuple[str, str]]:
    db.session.rollback()
    return [(job.kind, job.key) for job in db.session.scalars(select(PendingJob))]


def rollup_days() -> list[date]:
    db.session.rollback()
    return list(db.session.scalars(select(DailyRollup.day).order_by(DailyRollup.day)))


def timed(call):
    started = time.perf_counter()
    response = call()
    return response, (time.perf_counter() - started) * 1000


def test_redis_stopped_mid_run_degrades_and_the_recount_completes_when_it_is_back(app, processes, own_redis):
    user = make_user("traveller")
    token = make_token(user)
    port = free_port()
    web = processes.start("web", str(BIN / "gunicorn"), "-w", "1", "-k", "gthread", "--threads", "4",
                          "-b", f"127.0.0.1:{port}", "wsgi:app")
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: _answers(f"{base}/api/health"), "gunicorn to answer", 30)
    http = requests.Session()
    before = http.post(f"{base}/api/sync", json={"records": [record("a", at="2025-03-02T07:30:00Z")]},
                       headers=auth(token), timeout=30)
    assert before.status_code == 200 and http.get(f"{base}/api/health").json()["status"] == "ok"

    own_redis.stop()
    figures = {}
    sync, figures["sync"] = timed(lambda: http.post(
        f"{base}/api/sync", json={"records": [record("b", at="2025-03-03T07:30:00Z")]}, headers=auth(token),
        timeout=30))
    assert sync.status_code == 200 and sync.json()["recordsAdded"] == 1
    for path in ("/", "/partials/global-totals", "/achievements", "/login"):
        page, figures[path] = timed(lambda: http.get(base + path, timeout=30))
        assert page.status_code == 200, path
    health, figures["health"] = timed(lambda: http.get(f"{base}/api/health", timeout=30))
    assert health.status_code == 200
    assert health.json()["status"] == "degraded" and health.json()["checks"]["redis"] == "error"
    # Sign-in: an emailed code (logged in development), then the session it opens; and device login.
    sent, figures["send code"] = timed(lambda: http.post(
        f"{base}/api/auth/email-otp/send-verification-otp", json={"email": "eve@example.com"}, timeout=30))
    assert sent.status_code == 200
    code = wait_code(web.log_path, "eve@example.com")
    verified = http.post(f"{base}/api/auth/email-otp/verify-otp", json={"email": "eve@example.com", "otp": code},
                         timeout=30)
    assert verified.status_code == 200
    assert http.get(f"{base}/api/auth/session", timeout=30).json()["user"]["email"] == "eve@example.com"
    device, figures["device code"] = timed(lambda: http.post(f"{base}/api/auth/device/code", json={}, timeout=30))
    assert device.status_code == 200
    # The new zone is committed; its recount cannot be queued and waits in the database.
    moved = http.patch(f"{base}/api/users/me", json={"timezone": "America/Los_Angeles"}, headers=auth(token),
                       timeout=30)
    assert moved.status_code == 200
    assert ("rebucket", str(user.id)) in pending_rows()
    assert rollup_days() == [date(2025, 3, 2), date(2025, 3, 3)]

    own_redis.start()
    back = time.perf_counter()
    processes.worker("worker")  # its scheduler sweeps at once
    wait_for(lambda: rollup_days() == [date(2025, 3, 1), date(2025, 3, 2)], "the recount", 60)
    figures["recount done after Redis is back (s)"] = round(time.perf_counter() - back, 2)
    assert ("rebucket", str(user.id)) not in pending_rows()
    wait_for(lambda: http.get(f"{base}/api/health", timeout=30).json()["status"] == "ok", "health to recover", 30)
    print("\nRedis down, ms per answer:", {k: round(v, 1) for k, v in figures.items()})


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def wait_code(log_path: Path, email: str) -> str:
    pattern = re.compile(rf"sign-in code for {re.escape(email)}: (\d{{6}})")
    found: list[str] = []
    wait_for(lambda: found.extend(pattern.findall(log_path.read_text())) or found, "the sign-in code", 10)
    return found[-1]


@pytest.fixture
def app_config(app_config, own_redis):
    # The test's own process queues into the same Redis, and records work the sweeper may take at once.
    return {**app_config, "REDIS_URL": own_redis.url, "PENDING_RETRY_AFTER": 1}


def test_a_worker_killed_mid_recount_is_finished_by_the_sweeper(app, client, processes):
    user = make_user("mover")
    token = make_token(user)
    client.post("/api/sync", json={"records": [record("a", at="2025-03-02T07:30:00Z")]}, headers=auth(token))
    assert client.patch("/api/users/me", json={"timezone": "America/Los_Angeles"},
                        headers=auth(token)).status_code == 200  # queued: no worker runs yet
    with held("LOCK TABLE coding_sessions IN ACCESS EXCLUSIVE MODE"):  # holds the recount mid-way
        first = processes.worker("first-worker", "--no-cron")
        wait_for(lambda: lock_waits("%coding_sessions%"), "the recount to start", 60)
        horses = processes.children(first)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        wait_for(lambda: not any(alive(pid) for pid in horses), "the job's process to die with its worker", 10)
    assert rollup_days() == [date(2025, 3, 2)] and ("rebucket", str(user.id)) in pending_rows()

    restarted = time.perf_counter()
    second = processes.worker("second-worker")
    wait_for(lambda: rollup_days() == [date(2025, 3, 1)], "the recount to be finished", 60)
    print(f"\nrecount finished {time.perf_counter() - restarted:.2f} s after the worker restarted")
    assert pending_rows() == []
    assert f"sweep: dispatching pending rebucket:{user.id}" in second.log_path.read_text()


def test_the_scheduler_dies_with_its_worker_and_only_one_runs(app, app_config, processes, own_redis):
    client = redis_py.Redis.from_url(own_redis.url)
    lock = f"{app_config['REDIS_KEY_PREFIX']}:cron-lock"
    first = processes.worker("first-worker")
    wait_for(lambda: client.get(lock) is not None, "the first scheduler to take the lock", 30)
    spawned = processes.children(first)
    assert spawned  # the cron scheduler and RQ's retry scheduler
    # A second worker of the same deployment: its scheduler stands by.
    second = processes.worker("second-worker")
    wait_for(lambda: "is a standby" in second.log_path.read_text(), "the second scheduler to stand by", 30)
    holder = client.get(lock)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    wait_for(lambda: not any(alive(pid) for pid in spawned), "the first worker's children to die with it", 10)
    # The dying scheduler let its lock go, so the standby takes over at its next renewal.
    wait_for(lambda: client.get(lock) not in (None, holder), "the standby to take over", 30)
    wait_for(lambda: "holds the scheduler lock" in second.log_path.read_text(), "the standby to say so", 10)
    client.close()
