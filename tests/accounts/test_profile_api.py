"""The owner's profile over JSON: GET/PUT /api/profile (spec 003) and PATCH /api/users/me (spec 000)."""
from __future__ import annotations

import pytest

from burntop.extensions import db
from burntop.models import User
from tests.factories import auth, make_token, make_user, sign_in



@pytest.fixture
def alice():
    return make_user("alice", email="alice@example.com", name="Alice")


@pytest.fixture
def token(alice):
    return make_token(alice)


def fresh(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def error(response, status, code):
    assert response.status_code == status, response.get_json()
    body = response.get_json()["error"]
    assert body["code"] == code
    return body


def test_get_profile_with_a_token_or_a_session(client, alice, token):
    expected = {"id": str(alice.id), "name": "Alice", "email": "alice@example.com", "username": "alice",
                "image": None, "bio": None, "website": None}
    assert client.get("/api/profile", headers=auth(token)).get_json() == expected
    assert client.get("/api/profile", headers={"X-API-Key": token}).get_json() == expected
    sign_in(client, alice)
    assert client.get("/api/profile").get_json() == expected


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer bt_wrong"}, {"X-API-Key": "nope"}])
def test_profile_needs_a_valid_key_or_session(client, alice, headers):
    error(client.get("/api/profile", headers=headers), 401, "UNAUTHORIZED")
    error(client.patch("/api/users/me", json={"name": "X"}, headers=headers), 401, "UNAUTHORIZED")
    error(client.put("/api/profile", json={"name": "X"}, headers=headers), 401, "UNAUTHORIZED")


def test_patch_me_updates_every_field(client, alice, token):
    changes = {"name": "Alice Smith", "bio": "Full-stack developer", "location": "San Francisco, CA",
               "websiteUrl": "https://alice.dev", "isPublic": False, "username": "alice-smith",
               "timezone": "Europe/Berlin", "region": "EU"}
    response = client.patch("/api/users/me", json=changes, headers=auth(token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["success"] is True
    user = body["user"]
    assert {k: user[k] for k in changes} == changes
    assert user["id"] == str(alice.id) and user["level"] == 1 and user["xp"] == 20  # Full Profile just unlocked and user["createdAt"].endswith("Z")
    stored = fresh(alice)
    assert (stored.name, stored.username, stored.website, stored.is_public, stored.timezone, stored.region) == (
        "Alice Smith", "alice-smith", "https://alice.dev", False, "Europe/Berlin", "EU")


def test_patch_me_leaves_absent_fields_and_clears_empty_ones(client, alice, token):
    client.patch("/api/users/me", json={"bio": "hi", "location": "Berlin"}, headers=auth(token))
    response = client.patch("/api/users/me", json={"bio": "", "location": None, "unknownField": 1},
                            headers=auth(token))
    assert response.status_code == 200
    stored = fresh(alice)
    assert (stored.bio, stored.location, stored.name, stored.username) == (None, None, "Alice", "alice")


@pytest.mark.parametrize("changes, field", [
    ({"name": ""}, "name"),
    ({"name": "x" * 51}, "name"),
    ({"name": 7}, "name"),
    ({"bio": "x" * 501}, "bio"),
    ({"location": "x" * 101}, "location"),
    ({"websiteUrl": "alice.dev"}, "websiteUrl"),
    ({"websiteUrl": "javascript:alert(1)"}, "websiteUrl"),
    ({"websiteUrl": "ftp://alice.dev"}, "websiteUrl"),
    ({"websiteUrl": "https://"}, "websiteUrl"),
    ({"websiteUrl": "https://alice.dev/a b"}, "websiteUrl"),
    ({"isPublic": "yes"}, "isPublic"),
    ({"isPublic": None}, "isPublic"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"timezone": ""}, "timezone"),
    ({"region": "XX"}, "region"),
    ({"username": "Alice"}, "username"),
    ({"username": "al"}, "username"),
    ({"username": "a" * 40}, "username"),
    ({"username": "al ice"}, "username"),
    ({"username": "api"}, "username"),
    ({"username": "settings"}, "username"),
])
def test_patch_me_rejects_invalid_values_and_changes_nothing(client, alice, token, changes, field):
    response = client.patch("/api/users/me", json={"bio": "would be saved", **changes}, headers=auth(token))
    body = error(response, 400, "VALIDATION_ERROR")
    assert [d["field"] for d in body["details"]] == [field]
    assert fresh(alice).bio is None


def test_reserved_username_says_so(client, alice, token):
    body = error(client.patch("/api/users/me", json={"username": "admin"}, headers=auth(token)), 400, "VALIDATION_ERROR")
    assert "reserved" in body["message"]


def test_taken_username_is_a_conflict(client, alice, token):
    make_user("bob")
    body = error(client.patch("/api/users/me", json={"username": "bob", "bio": "x"}, headers=auth(token)),
                 409, "CONFLICT")
    assert body["details"] == [{"field": "username", "reason": body["message"]}] and "taken" in body["message"]
    assert fresh(alice).username == "alice" and fresh(alice).bio is None
    error(client.put("/api/profile", json={"username": "bob"}, headers=auth(token)), 409, "CONFLICT")


def test_keeping_my_own_username_is_fine(client, alice, token):
    assert client.patch("/api/users/me", json={"username": "alice"}, headers=auth(token)).status_code == 200


@pytest.mark.parametrize("body", [None, "[]", '"name"', "{bad json"])
def test_patch_me_needs_a_json_object(client, alice, token, body):
    response = client.patch("/api/users/me", data=body, content_type="application/json", headers=auth(token))
    error(response, 400, "VALIDATION_ERROR")


def test_put_profile_uses_spec_003_names(client, alice, token):
    changes = {"name": "John Doe", "username": "johndoe", "image": "https://avatars.example.com/j.png",
               "bio": "Developer", "website": "https://johndoe.com"}
    response = client.put("/api/profile", json=changes, headers=auth(token))
    assert response.status_code == 200
    assert response.get_json() == {"id": str(alice.id), "email": "alice@example.com", **changes}
    assert client.get("/api/profile", headers=auth(token)).get_json()["username"] == "johndoe"


@pytest.mark.parametrize("changes, field", [
    ({"image": "http://avatars.example.com/j.png"}, "image"),
    ({"website": "not a url"}, "website"),
    ({"username": "login"}, "username"),
])
def test_put_profile_rejects_invalid_values(client, alice, token, changes, field):
    body = error(client.put("/api/profile", json=changes, headers=auth(token)), 400, "VALIDATION_ERROR")
    assert body["details"][0]["field"] == field


def test_put_profile_ignores_fields_it_does_not_name(client, alice, token):
    response = client.put("/api/profile", json={"isPublic": False, "stream": {"title": "x"}}, headers=auth(token))
    assert response.status_code == 200 and fresh(alice).is_public is True


def test_a_browser_session_patches_with_json_only(client, alice):
    sign_in(client, alice)
    assert client.patch("/api/users/me", json={"bio": "from the browser"}).status_code == 200
    assert fresh(alice).bio == "from the browser"
