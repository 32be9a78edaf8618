"""GET /api/dashboard/machines: signed in only, private and never stored, periods in the user's zone."""
from __future__ import annotations

import pytest
from freezegun import freeze_time

from tests.factories import auth, make_token, make_user, record, sign_in

LAPTOP = "0123456789abcdef0123456789ab1a1a"


@pytest.fixture
def alice(app):
    return make_user("alice", timezone="Pacific/Auckland")


def test_needs_a_token_or_a_session(client):
    response = client.get("/api/dashboard/machines")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "UNAUTHORIZED"


@pytest.mark.parametrize("period", ["year", "7d", "", "WEEK"])
def test_an_unknown_period_is_400_naming_the_allowed_ones(client, alice, period):
    response = client.get(f"/api/dashboard/machines?period={period}", headers=auth(make_token(alice)))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert "all, month, week" in error["message"]
    assert error["details"][0]["allowed"] == ["all", "month", "week"]


@freeze_time("2026-11-26T12:00:00Z")  # Friday 27 November, 01:00 in Auckland
def test_the_signed_in_user_sees_their_computers_for_a_period_in_their_zone(client, alice):
    token = make_token(alice)
    other = make_token(make_user("bob"))
    client.post("/api/sync", headers=auth(token), json={"records": [
        record("a", machineId=LAPTOP, at="2026-11-22T12:00:00Z"),   # Monday 23 Nov in Auckland: this week
        record("b", machineId=LAPTOP, at="2026-11-01T12:00:00Z"),   # this month, not this week
        record("c", at="2026-11-26T11:30:00Z")]})                    # Friday 00:30 in Auckland, no machine id
    client.post("/api/sync", headers=auth(other), json={"records": [record("x", machineId=LAPTOP)]})
    sign_in(client, alice)
    week = client.get("/api/dashboard/machines?period=week")
    assert week.status_code == 200
    assert week.headers["Cache-Control"] == "private, no-store"
    body = week.get_json()
    assert body["period"] == {"name": "week", "label": "This week", "timeZone": "Pacific/Auckland",
                              "from": "2026-11-23", "to": "2026-11-27"}
    assert [(m["label"], m["records"], m["tokens"]) for m in body["machines"]] == [
        ("Computer 1 (…1a1a)", 1, 1500), ("Unknown computer", 1, 1500)]
    assert body["addsUp"] and body["total"]["records"] == 2
    month = client.get("/api/dashboard/machines?period=month").get_json()
    assert [(m["label"], m["records"]) for m in month["machines"]] == [("Computer 1 (…1a1a)", 2),
                                                                      ("Unknown computer", 1)]
    assert client.get("/api/dashboard/machines").get_json()["period"]["name"] == "all"
    assert LAPTOP not in week.get_data(as_text=True)  # the id itself never leaves the server


def test_a_new_user_gets_an_empty_list_that_adds_up(client, alice):
    body = client.get("/api/dashboard/machines", headers=auth(make_token(alice))).get_json()
    assert body["machines"] == [] and body["total"]["tokens"] == 0 and body["addsUp"] is True
