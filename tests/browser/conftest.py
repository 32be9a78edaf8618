"""Real headless Chromium (Debian's package) driven by Playwright for Python."""
from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("BURNTOP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# This machine's network is closed: background calls home would only fail and slow every start.
ARGS = ["--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run installs Debian's chromium package")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


def _watched(context):
    """A page whose script errors and Content-Security-Policy violations fail the test.

    Take screenshots with caret="initial": hiding the caret makes Playwright inject a <style>, which
    the CSP rightly blocks."""
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.on("pageerror", lambda error: violations.append(f"script error: {error}"))
    return page, violations


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page, violations = _watched(context)
    yield page
    context.close()
    assert violations == [], "a script failed or the page broke its Content-Security-Policy"


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True)
    page, violations = _watched(context)
    yield page
    context.close()
    assert violations == [], "a script failed or the page broke its Content-Security-Policy"


@pytest.fixture
def watch():
    """Watch pages the test opens in contexts of its own (other viewports than `page` and `phone`)."""
    watched: list[list[str]] = []

    def make(context):
        page, violations = _watched(context)
        watched.append(violations)
        return page

    yield make
    assert all(v == [] for v in watched), f"a script failed or a page broke its Content-Security-Policy: {watched}"
