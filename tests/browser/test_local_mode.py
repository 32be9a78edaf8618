"""Local mode end to end, as a newcomer meets it: `make run` (demo data, then `flask --app app serve` in local
mode) prints the address and the sync command; that command, a real `burntop sync` on a machine holding a
Claude Code transcript, logs in by itself and uploads; Chromium, opening the printed address, is the owner
without signing up and sees the synced figures, next to demo users marked as demo."""
from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from burntop.format import compact, number
from tests.client.test_sync_e2e import claude_history
from tests.local.server import ROOT, Served, free_port

pytestmark = pytest.mark.browser

# claude_history: six responses of 4 input, 50..55 output, 300 cache-write and 20,000 cache-read tokens,
# on 1-3 October 2025 (UTC).
SYNCED_TOKENS = 6 * (4 + 300 + 20_000) + sum(range(50, 56))


class MakeRun(Served):
    """`make run` in a process group of its own, so stopping it stops the server it started too."""

    def __init__(self, env: dict):
        # -o: the venv counts as installed (the test runs inside it); nothing is fetched.
        self.popen = subprocess.Popen(["make", "--no-print-directory", "-o", ".venv/.installed", "run"], cwd=ROOT,
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                      start_new_session=True)
        self._start_reading()

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)  # make and the server it started, nothing else
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        self.close_output()


@pytest.fixture
def newcomer(tmp_path):
    """A developer's machine: a home with a Claude Code transcript, and nothing of this machine's settings."""
    home = tmp_path / "home"
    claude_history(home)
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8", "TZ": "UTC",
            "PYTHONUNBUFFERED": "1", "LOGNAME": "ada", "USER": "ada"}
    return {"server": {**base, "DATABASE_URL": f"sqlite:///{tmp_path / 'burntop.db'}", "PORT": str(free_port())},
            "cli": {**base, "BURNTOP_CONFIG_DIR": str(tmp_path / "config")}}


def test_from_make_run_to_the_owners_synced_figures(page, newcomer):
    server = MakeRun(newcomer["server"])
    try:
        url = server.wait_for(r"burntop \(local mode\) at (http://\S+)", timeout=120).group(1)
        assert url == f"http://127.0.0.1:{newcomer['server']['PORT']}", "PORT=... make run serves there"
        command = server.wait_for(r"sync this computer's usage: (.+)\n").group(1)
        assert command.endswith(f"burntop sync --api-url {url}")
        server.wait_for(r"Running on")

        sync = subprocess.run(shlex.split(command), cwd=ROOT, env=newcomer["cli"], capture_output=True, text=True,
                              timeout=120)
        assert sync.returncode == 0, sync.stdout + sync.stderr
        assert f"logged in to {url} as ada (local mode)" in sync.stderr, "no sign-up, and it says so"
        assert "6 added" in sync.stdout
        assert '"apiUrl": "' + url + '"' in (Path(newcomer["cli"]["BURNTOP_CONFIG_DIR"]) / "config.json").read_text()

        page.goto(url)
        expect(page.locator(".site-menu__handle")).to_have_text("@ada")
        preview = page.locator(".profile-preview")
        expect(preview.locator("[data-demo]")).to_have_text("Demo account")  # the week's top profile is a demo user

        page.goto(f"{url}/achievements")
        expect(page.locator("#achievement-first-sync")).to_have_class(re.compile(r"\bis-unlocked\b"))

        page.goto(f"{url}/dashboard")  # the owner's own figures: exactly what the sync uploaded
        tokens = page.locator(".stat", has=page.locator("dt", has_text="Tokens"))
        expect(tokens.locator(".stat__value")).to_have_text(compact(SYNCED_TOKENS))
        expect(tokens.locator(".stat__hint")).to_contain_text(f"{number(SYNCED_TOKENS)} tokens · All time")
        days = page.locator(".stat", has=page.locator("dt", has_text="Active days"))
        expect(days.locator(".stat__value")).to_have_text("3")

        # Signing out sticks (a visitor's view of the site) until "Continue as @ada".
        page.locator(".site-menu__button").click()
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("link", name="Sign in")).to_be_visible()
        page.goto(url)
        expect(page.get_by_role("link", name="Sign in")).to_be_visible()
        page.get_by_role("link", name="Sign in").click()
        page.get_by_role("button", name="Continue as @ada").click()
        expect(page.locator(".site-menu__handle")).to_have_text("@ada")
    finally:
        server.stop()
