"""With Redis configured but down, everything still answers: limits count in memory, caches are computed
here, recorded work waits in the database, and health says "degraded"."""
from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select

from burntop.extensions import db
from burntop.models import PendingJob, UsageRecord
from tests.factories import auth, make_token, make_user, record
from tests.test_sync import FIRST_SYNC


@pytest.fixture
def app_config(app_config):
    return {**app_config, "REDIS_URL": "redis://127.0.0.1:1/0"}  # nothing listens on port 1


def test_sync_answers_and_is_rate_limited_in_memory(client, app):
    token = make_token(make_user("alice"))
    first = client.post("/api/sync", json={"records": [record("a")]}, headers=auth(token))
    assert first.status_code == 200
    assert first.get_json() == FIRST_SYNC
    assert db.session.scalar(select(UsageRecord.request_id)) == "a"
    for _ in range(9):
        assert client.post("/api/sync", json={"records": [record("a")]}, headers=auth(token)).status_code == 200
    eleventh = client.post("/api/sync", json={"records": [record("a")]}, headers=auth(token))
    assert eleventh.status_code == 429 and "Retry-After" in eleventh.headers


def test_pages_answer(client, app):
    token = make_token(make_user("bob"))
    client.post("/api/sync", json={"records": [record("b", inputTokens=4000)]}, headers=auth(token))
    page = client.get("/")
    assert page.status_code == 200
    assert 'data-stat="responses">1<' in page.get_data(as_text=True)
    assert client.get("/partials/global-totals").status_code == 200
    assert client.get("/achievements").status_code == 200


def test_sign_in_answers(client, app, caplog, monkeypatch):
    monkeypatch.setattr(logging.getLogger("burntop.mail"), "disabled", False)
    caplog.set_level(logging.INFO, logger="burntop.mail")
    sent = client.post("/api/auth/email-otp/send-verification-otp", json={"email": "carol@example.com"})
    assert sent.status_code == 200
    code = re.search(r"code for carol@example.com: (\d{6})", caplog.text)[1]
    verified = client.post("/api/auth/email-otp/verify-otp", json={"email": "carol@example.com", "otp": code})
    assert verified.status_code == 200 and verified.get_json()["user"]["email"] == "carol@example.com"
    device = client.post("/api/auth/device/code", json={"client_name": "laptop"})
    assert device.status_code == 200 and re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", device.get_json()["user_code"])


def test_a_recount_that_cannot_be_queued_stays_recorded(client, app):
    token = make_token(make_user("dave"))
    client.post("/api/sync", json={"records": [record("d")]}, headers=auth(token))
    response = client.patch("/api/users/me", json={"timezone": "Asia/Tokyo"}, headers=auth(token))
    assert response.status_code == 200 and response.get_json()["user"]["timezone"] == "Asia/Tokyo"
    assert [(job.kind, job.key) for job in db.session.scalars(select(PendingJob))] == [("rebucket", str(
        db.session.scalar(select(UsageRecord.user_id))))]


def test_health_is_degraded_not_down(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.get_json()["status"] == "degraded"


def test_an_avatar_that_cannot_be_fetched_now_stays_recorded(client, app):
    user = make_user("erin")
    response = client.patch("/api/users/me", json={"image": "https://avatars.example.com/e.png"},
                            headers=auth(make_token(user)))
    assert response.status_code == 200
    assert [(job.kind, job.key) for job in db.session.scalars(select(PendingJob))] == [("avatar", str(user.id))]
