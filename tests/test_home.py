"""The landing page: live totals and a showcase built only from real, public usage."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.factories import auth, make_token, make_user, record


def sync(client, token, records):
    assert client.post("/api/sync", json={"records": records}, headers=auth(token)).status_code == 200


def recent(days_ago: int) -> datetime:
    return datetime.now(timezone.utc) - timedelta(days=days_ago, minutes=5)


def test_without_usage_there_is_no_showcase(client):
    body = client.get("/").get_data(as_text=True)
    assert "Top this week" not in body
    assert 'data-stat="tokens">0<' in body


def test_showcase_is_the_top_public_profile_and_never_a_private_one(client, app):
    secret = make_token(make_user("quiet-one", name="Quiet One", is_public=False))
    loud = make_token(make_user("loud-one", name="Loud One"))
    sync(client, secret, [record(f"s{i}", at=recent(1), inputTokens=9_000_000) for i in range(3)])
    sync(client, loud, [record(f"l{i}", at=recent(i), inputTokens=1_000) for i in range(3)])
    body = client.get("/").get_data(as_text=True)
    assert "Top this week" in body and "@loud-one" in body
    assert "quiet-one" not in body and "Quiet One" not in body
    assert "Ada Lovelace" not in body
    assert 'data-stat="tools">1 tool</strong> and <strong class="num" data-stat="models">1 model</strong>.' in body
    sync(client, loud, [record("l-codex", at=recent(0), source="codex", model="gpt-5")])
    app.config["GLOBAL_TOTALS_TTL"] = 0  # the totals are recomputed at most every 15 s, not on each sync
    body = client.get("/partials/global-totals").get_data(as_text=True)
    assert 'data-stat="tools">2 tools</strong> and <strong class="num" data-stat="models">2 models</strong>.' in body


def test_the_totals_partial_renders_alone_for_htmx(client):
    response = client.get("/partials/global-totals", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.lstrip().startswith("<section id=\"global-totals\"")
    assert "<html" not in body


def test_the_landing_page_installs_the_client_from_this_repository(client):
    body = client.get("/").get_data(as_text=True)
    assert "pip install burntop<" not in body and "pip install burntop\n" not in body, "burntop is not on PyPI"
    assert body.count("pip install ./burntop") == 3  # the hero, step 1 and the closing block
    assert "not on PyPI yet" in body and "pip wheel --no-deps -w dist ." in body
    assert "burntop login --api-url http://testserver" in body, "the login step names this server"
