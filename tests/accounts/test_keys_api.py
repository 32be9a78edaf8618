"""/api/api-keys: keys are created, listed and revoked from a browser session; plaintext once, hashed at rest."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from burntop.accounts.tokens import create_token
from burntop.extensions import db
from burntop.models import ApiToken
from tests.factories import auth, make_token, make_user, record, sign_in




@pytest.fixture
def alice(client):
    user = make_user("alice")
    sign_in(client, user)
    return user


def create(client, name="My CLI Tool"):
    response = client.post("/api/api-keys", json={"name": name})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_create_shows_the_key_once_and_stores_only_its_hash(client, alice):
    body = create(client)
    key = body["key"]
    assert set(body) == {"key", "id", "name", "prefix", "created_at"}
    assert key.startswith("bt_") and len(key) >= 3 + 43  # 32 random bytes, base64url: 256 bits
    assert body["name"] == "My CLI Tool" and body["created_at"].endswith("Z") and key.startswith(body["prefix"])
    row = db.session.get(ApiToken, int(body["id"]))
    assert row.token_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {row.name, row.prefix, row.token_hash}
    assert row.kind == "api_key" and row.user_id == alice.id and row.last_used_at is None
    assert create(client)["key"] != key
    listed = client.get("/api/api-keys").get_json()["keys"]
    assert all("key" not in item and "token_hash" not in item for item in listed)
    assert key not in client.get("/api/api-keys").get_data(as_text=True)


def test_the_new_key_works_and_last_used_at_is_recorded(client, alice):
    key = create(client)["key"]
    client.delete_cookie("session")
    with freeze_time("2026-05-01 10:00:00"):
        assert client.get("/api/profile", headers={"X-API-Key": key}).get_json()["username"] == "alice"
    sign_in(client, alice)
    (item,) = client.get("/api/api-keys").get_json()["keys"]
    assert item["last_used_at"] == "2026-05-01T10:00:00Z" and item["kind"] == "api_key"
    assert set(item) == {"id", "name", "prefix", "kind", "last_used_at", "created_at"}


def test_list_shows_only_my_keys_and_devices_newest_first(client, alice):
    bob = make_user("bob")
    make_token(bob, "bob's laptop")
    first, second = create(client, "first"), create(client, "second")
    device, _ = create_token(alice, "laptop", kind="cli")
    db.session.commit()
    for token_id, day in ((first["id"], 1), (second["id"], 2), (device.id, 3)):
        db.session.get(ApiToken, int(token_id)).created_at = datetime(2026, 5, day, tzinfo=timezone.utc)
    db.session.commit()
    keys = client.get("/api/api-keys").get_json()["keys"]
    assert [(k["name"], k["kind"]) for k in keys] == [("laptop", "cli"), ("second", "api_key"), ("first", "api_key")]
    assert keys[0]["created_at"] == "2026-05-03T00:00:00Z"


def test_revoked_key_stops_working_at_once(client, alice):
    body = create(client)
    headers = auth(body["key"])
    assert client.post("/api/sync", json={"records": [record("r1")]}, headers=headers).status_code == 200
    assert client.get("/api/profile", headers=headers).status_code == 200
    response = client.delete(f"/api/api-keys?id={body['id']}")
    assert response.status_code == 200 and response.get_json() == {"success": True}
    assert db.session.scalar(select(ApiToken).where(ApiToken.id == int(body["id"]))) is None
    client.delete_cookie("session")  # the key alone, not the session, must be refused
    for response in (client.post("/api/sync", json={"records": [record("r2")]}, headers=headers),
                     client.get("/api/profile", headers=headers),
                     client.get("/api/profile", headers={"X-API-Key": body["key"]})):
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "UNAUTHORIZED"


def test_another_users_key_cannot_be_deleted(client, alice):
    bob = make_user("bob")
    bobs_key = make_token(bob, "bob's laptop")
    bobs_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == bob.id))
    response = client.delete(f"/api/api-keys?id={bobs_id}")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "NOT_FOUND"
    client.delete_cookie("session")
    assert client.get("/api/profile", headers=auth(bobs_key)).get_json()["username"] == "bob"


@pytest.mark.parametrize("query, status", [("", 400), ("?id=", 400), ("?id=abc", 404), ("?id=999999", 404),
                                           ("?id=-1", 404), ("?id=99999999999999999999999", 404)])
def test_delete_needs_an_existing_id(client, alice, query, status):
    response = client.delete(f"/api/api-keys{query}")
    assert response.status_code == status and "error" in response.get_json()


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "   "}, {"name": 5}, {"name": None},
                                  {"name": "x" * 101}, {"name": "two\nlines"}, ["name"]])
def test_create_rejects_bad_names(client, alice, body):
    response = client.post("/api/api-keys", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "VALIDATION_ERROR"
    assert db.session.scalar(select(ApiToken.id)) is None


def test_keys_are_managed_only_from_a_browser_session(client):
    user = make_user("alice")
    token = make_token(user)
    assert client.get("/api/api-keys", headers=auth(token)).status_code == 401
    assert client.post("/api/api-keys", json={"name": "x"}, headers=auth(token)).status_code == 401
    token_id = db.session.scalar(select(ApiToken.id))
    assert client.delete(f"/api/api-keys?id={token_id}", headers=auth(token)).status_code == 401
    assert client.get("/api/api-keys").status_code == 401


def test_a_cross_site_form_post_cannot_create_a_key(client, alice):
    # A form from another site can send cookies but not a JSON body: the preflight rule refuses it.
    response = client.post("/api/api-keys", data={"name": "evil"})
    assert response.status_code == 403
    assert db.session.scalar(select(ApiToken.id)) is None


def test_last_used_at_is_written_at_most_once_a_minute(client, alice):
    key = create(client)["key"]
    client.delete_cookie("session")
    with freeze_time("2026-05-01 10:00:00") as frozen:
        client.get("/api/profile", headers=auth(key))
        frozen.tick(timedelta(seconds=30))
        client.get("/api/profile", headers=auth(key))
        db.session.expire_all()
        assert db.session.scalar(select(ApiToken.last_used_at)).isoformat() == "2026-05-01T10:00:00+00:00"
        frozen.tick(timedelta(seconds=31))
        client.get("/api/profile", headers=auth(key))
        db.session.expire_all()
        assert db.session.scalar(select(ApiToken.last_used_at)).isoformat() == "2026-05-01T10:01:01+00:00"
