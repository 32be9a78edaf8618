"""Device login end to end: a real `burntop login` process polls while Chromium approves its code on /device;
then `burntop sync` from that machine uploads usage the server stores for the person who approved."""
from __future__ import annotations

import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from burntop.extensions import db
from burntop.models import ApiToken, UsageRecord
from tests.client.test_source_claude_code import assistant, user, write
from tests import factories
from tests.factories import make_user

pytestmark = pytest.mark.browser

BURNTOP = Path(sys.executable).with_name("burntop")  # the console script installed in the venv


@pytest.fixture
def server(app, live_server):
    """The live server, telling the CLI its own address as the page to open."""
    app.config["BURNTOP_BASE_URL"] = None  # links follow the address the server answers on
    return live_server


def sign_in(context, client, server: str, person) -> None:
    """Give the browser the session cookie a signed-in visit would have."""
    factories.sign_in(client, person)
    context.add_cookies([{"name": "session", "value": client.get_cookie("session").value, "url": server}])


@pytest.fixture
def machine(tmp_path):
    """A developer machine: an empty home and config folder, and nothing of this machine's environment."""
    home = tmp_path / "home"
    home.mkdir()
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
            "BURNTOP_CONFIG_DIR": str(tmp_path / "config"), "PYTHONUNBUFFERED": "1"}


class Process:
    """A running `burntop` command whose output is read as it comes."""

    def __init__(self, args: list[str], env: dict):
        self.popen = subprocess.Popen([str(BURNTOP), *args], env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.output = ""
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        try:
            for line in self.popen.stdout:
                self.lines.put(line)
        except (ValueError, OSError):  # the pipe was closed under us: the process is gone
            pass

    def wait_for(self, pattern: str, timeout: float = 20) -> re.Match:
        deadline = time.monotonic() + timeout
        while (match := re.search(pattern, self.output)) is None:
            try:
                self.output += self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {pattern!r} within {timeout} s; output so far:\n{self.output}")
        return match

    def finish(self, timeout: float = 30) -> int:
        code = self.popen.wait(timeout)
        time.sleep(0.05)
        while not self.lines.empty():
            self.output += self.lines.get()
        return code

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(5)
        self.close_output()

    def close_output(self) -> None:
        """Close our end of the pipe once the reader has seen its end (never under a read in progress)."""
        self.reader.join(5)
        self.popen.stdout.close()


def test_burntop_login_is_approved_in_the_browser_and_then_syncs(page, server, client, machine):
    alice = make_user("alice")
    sign_in(page.context, client, server, alice)
    login = Process(["login", "--no-browser", "--api-url", server], machine)
    try:
        link = login.wait_for(r"(http://\S+/device)\?code=(\S+)")
        code = login.wait_for(r"confirm the code: ([A-Z]{4}-[A-Z]{4})").group(1)
        assert link.group(2) == code

        page.goto(link.group(1))  # the short address, where the code is typed by hand
        page.evaluate("document.body.dataset.loadMarker = 'same-page'")
        page.get_by_label("Code from your terminal").fill(code.lower().replace("-", ""))
        page.get_by_role("button", name="Continue").click()
        flow = page.locator("#device-flow")
        flow.get_by_role("heading", name="Approve this device?").wait_for()
        expect(flow.get_by_role("heading", name="Approve this device?")).to_be_focused()
        facts = flow.locator("dl").inner_text()
        assert code in facts
        assert re.search(r"Asked for\s+(just now|\d+ seconds? ago)", facts), facts
        assert re.search(r"From\s+127\.0\.0\.1, this computer", facts), facts
        assert re.search(r"Expires\s+in 1[45] minutes", facts), facts
        assert socket.gethostname() not in flow.inner_text(), "the name the client gave itself is not shown"
        assert flow.get_by_role("alert").count() == 0, "same network: no warning"
        flow.get_by_role("button", name="Approve").click()
        page.get_by_role("heading", name="Device connected").wait_for()
        assert page.evaluate("document.body.dataset.loadMarker") == "same-page", "each step swaps in place"

        assert login.finish() == 0, login.output
    finally:
        login.stop()
    assert f"logged in to {server} as alice" in login.output
    config = Path(machine["BURNTOP_CONFIG_DIR"]) / "config.json"
    assert '"token": "bt_' in config.read_text()
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == alice.id))
    assert (token.kind, token.name) == ("cli", f"burntop CLI on {socket.gethostname()}")

    project = Path(machine["HOME"]) / ".claude" / "projects" / "-home-dev-shop"
    write(project / "session-1.jsonl", user(),
          *(assistant(f"msg_{i}", f"req_{i}", output=40 + i, at=f"2025-10-0{i + 1}T12:00:00.000Z") for i in range(3)))
    sync = subprocess.run([str(BURNTOP), "sync"], env=machine, capture_output=True, text=True, timeout=60)
    assert sync.returncode == 0, sync.stdout + sync.stderr
    assert "3 added" in sync.stdout
    db.session.expire_all()
    stored = db.session.scalar(select(func.count()).select_from(UsageRecord).where(UsageRecord.user_id == alice.id))
    assert stored == 3


def test_a_wrong_code_is_explained_inline_on_a_phone_in_dark_mode(phone, server, client):
    sign_in(phone.context, client, server, make_user("bob"))
    phone.emulate_media(color_scheme="dark")
    phone.goto(server + "/device?code=BCDF-GHJK")
    field = phone.get_by_label("Code from your terminal")
    assert field.input_value() == "BCDF-GHJK"
    assert phone.evaluate("document.activeElement.id") == "user-code", "the code field has the focus"
    phone.keyboard.press("Enter")
    phone.get_by_role("alert").get_by_text("No sign-in is waiting for this code").wait_for()
    assert field.get_attribute("aria-invalid") == "true"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375, "no horizontal scrolling on a phone"
    background = phone.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")


SHOTS = Path("/tmp/burntop-device")


@pytest.mark.parametrize("width, scheme", [(375, "light"), (1280, "dark")])
def test_a_code_asked_for_from_another_network_is_flagged(browser, server, client, width, scheme):
    """RFC 8628 §5.4: someone elsewhere sends a victim their code; the page says where it came from."""
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        sign_in(context, client, server, make_user("alice"))
        started = client.post("/api/auth/device/code", data={"client_name": "burntop CLI on alice-laptop"},
                              environ_base={"REMOTE_ADDR": "81.2.69.160"}).get_json()
        page.goto(f"{server}/device?code={started['user_code']}")
        page.get_by_role("button", name="Continue").click()
        warning = page.get_by_role("alert")
        expect(warning).to_contain_text("This code was asked for from another network than yours.")
        expect(warning).to_contain_text("It came from United Kingdom (81.2.69.0/24); you are on this computer.")
        facts = page.locator("#device-flow dl").inner_text()
        assert re.search(r"From\s+81\.2\.69\.160, United Kingdom", facts), facts
        assert "alice-laptop" not in page.locator("#device-flow").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "no sideways scrolling"
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"confirm-{width}-{scheme}.png"), full_page=True, caret="initial")
        page.get_by_role("button", name="Deny").click()
        page.get_by_role("heading", name="Request denied").wait_for()
    finally:
        context.close()
    assert errors == []
