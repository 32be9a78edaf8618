"""The public usage API read by a script on someone's own site (another origin), in headless Chromium."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from burntop.accounts.profile import set_public_api
from tests.factories import make_token, make_user, record
from tests.serving import serving

pytestmark = pytest.mark.browser


@pytest.fixture
def personal_site():
    """Another origin: a bare page on another loopback port, with no policy of burntop's."""
    def site(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html")])
        return [b"<!doctype html><title>my site</title>"]

    with serving(site) as address:
        yield address


def test_a_script_on_another_site_reads_the_summary_and_its_errors(page, live_server, personal_site, client):
    alice = make_user("alice", name="Alice")
    set_public_api(alice, True)
    token = make_token(alice)
    assert client.post("/api/sync", json={"records": [record("r1", at=datetime.now(timezone.utc), inputTokens=1200, outputTokens=34)]},
                       headers={"Authorization": f"Bearer {token}"}).status_code == 200
    page.goto(personal_site + "/")
    address = f"{live_server}/api/v1/public/{alice.public_api_id}"
    read = """async url => { const r = await fetch(url); return [r.status, await r.json()]; }"""
    status, body = page.evaluate(read, address + "?period=90d&fields=name,stats.total_tokens")
    assert status == 200 and body == {"name": "Alice", "stats": {"total_tokens": 1234}}
    status, body = page.evaluate(read, address + "?period=1y")
    assert status == 400 and body["error"]["code"] == "invalid_period"
    limit = page.evaluate("async url => (await fetch(url)).headers.get('X-RateLimit-Limit')", address)
    assert limit == "60"
