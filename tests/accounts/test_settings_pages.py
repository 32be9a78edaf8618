"""Settings pages through the front door: access, CSRF, inline errors, keys, public API, export and deletion."""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote, urlsplit

import pytest
from sqlalchemy import func, inspect, select, text

from burntop.accounts.tokens import create_token
from burntop.extensions import db
from burntop.models import (Achievement, AchievementUnlock, Activity, ApiToken, DeviceGrant, EmailCode, Follow,
                            Notification, Referral, ReferralClick, User, XpEvent)
from tests.factories import auth, make_token, make_user, record, sign_in

PAGES = ["/settings/profile", "/settings/privacy", "/settings/time-zone", "/settings/sessions", "/settings/keys",
         "/settings/computers", "/settings/public-api", "/settings/export", "/settings/delete"]
FORMS = {  # every state-changing form, with data that would be valid
    "/settings/profile": {"username": "alice", "name": "A"},
    "/settings/privacy": {"visibility": "private"},
    "/settings/time-zone": {"timezone": "Europe/Berlin", "region": "EU"},
    "/settings/sessions": {"action": "all"},
    "/settings/keys": {"name": "laptop"},
    "/settings/public-api": {"action": "enable"},
    "/settings/delete": {"confirm": "alice"},
}
HTMX = {"HX-Request": "true"}




@pytest.fixture
def alice(client):
    user = make_user("alice", email="alice@example.com")
    sign_in(client, user)
    return user


def csrf(client, path="/settings/profile") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def post(client, path, data, **kwargs):
    return client.post(path, data={"csrf_token": csrf(client), **data}, **kwargs)


def fresh(user_id: int) -> User | None:
    db.session.expire_all()
    return db.session.get(User, user_id)


@pytest.mark.parametrize("path", PAGES + ["/settings/", "/settings/export/download"])
def test_settings_require_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login" and unquote(location.query) == f"next={path}"


@pytest.mark.parametrize("path", FORMS)
def test_posts_require_sign_in(client, path):
    response = client.post(path, data=FORMS[path])
    assert response.status_code in (302, 400)  # CSRF or the sign-in redirect: never a change


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_title_the_navigation_and_labelled_fields(client, alice, path):
    response = client.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert re.search(r"<title>[^<]+ · Settings · burntop</title>", page)
    assert '<nav class="settings-nav" aria-label="Settings">' in page
    # once in the phone's disclosure, once in the list beside the page (CSS shows one of them)
    assert page.count('aria-current="page"') == 2 and page.count(f'href="{path}" aria-current="page"') == 2
    for field_id in re.findall(r'<(?:input|select|textarea) id="([^"]+)"', page):
        assert f'for="{field_id}"' in page, f"{field_id} has no label"


@pytest.mark.parametrize("path", FORMS)
def test_forms_without_the_csrf_token_are_refused(client, alice, path):
    before = fresh(alice.id).username, db.session.scalar(select(func.count()).select_from(ApiToken))
    for headers in ({}, HTMX):
        response = client.post(path, data=FORMS[path], headers=headers)
        assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert fresh(alice.id) is not None
    assert (fresh(alice.id).username, db.session.scalar(select(func.count()).select_from(ApiToken))) == before
    assert fresh(alice.id).is_public and not fresh(alice.id).public_api_enabled


def test_profile_saves_and_redirects_with_a_message(client, alice):
    data = {"name": "Alice Smith", "username": "alice-smith", "bio": "Hi", "location": "Berlin",
            "website": "https://alice.dev", "image": "https://avatars.example.com/a.png"}
    response = post(client, "/settings/profile", data)
    assert response.status_code == 303 and response.headers["Location"] == "/settings/profile"
    page = client.get("/settings/profile").get_data(as_text=True)
    assert "Profile saved." in page and 'value="alice-smith"' in page
    assert "avatars.example.com/a.png" not in page.replace('value="https://avatars.example.com/a.png"', ""), \
        "the page shows burntop's copy of the avatar (none yet: it cannot be fetched here), never the host's"
    user = fresh(alice.id)
    assert (user.name, user.username, user.bio, user.location, user.website) == (
        "Alice Smith", "alice-smith", "Hi", "Berlin", "https://alice.dev")
    post(client, "/settings/profile", {"username": "alice-smith", "name": "", "bio": ""})
    assert (fresh(alice.id).name, fresh(alice.id).bio) == (None, None)


@pytest.mark.parametrize("data, field, status, message", [
    ({"username": "admin"}, "username", 400, "reserved"),
    ({"username": "Bad Name"}, "username", 400, "lowercase"),
    ({"username": ""}, "username", 400, "required"),
    ({"username": "bob"}, "username", 409, "taken"),
    ({"username": "alice", "website": "alice.dev"}, "website", 400, "https://"),
    ({"username": "alice", "image": "http://x.example/a.png"}, "image", 400, "https://"),
    ({"username": "alice", "name": "x" * 51}, "name", 400, "1–50"),
    ({"username": "alice", "bio": "x" * 501}, "bio", 400, "500"),
])
def test_profile_errors_are_shown_next_to_the_field(client, alice, data, field, status, message):
    make_user("bob")
    response = post(client, "/settings/profile", {"bio": "kept?", **data})
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert f'aria-describedby="f-{field}-hint f-{field}-error" aria-invalid="true" autofocus' in page
    error = re.search(rf'<p class="field__error" id="f-{field}-error">.*?<span>([^<]+)</span>', page).group(1)
    assert message in error.replace("&#39;", "'")
    assert "<html" in page and fresh(alice.id).bio is None and fresh(alice.id).username == "alice"
    # htmx gets the form alone, with status 200 because htmx swaps only successful answers
    response = post(client, "/settings/profile", {"bio": "kept?", **data}, headers=HTMX)
    assert response.status_code == 200
    partial = response.get_data(as_text=True)
    assert "<html" not in partial and partial.lstrip().startswith('<form id="profile-form"')
    assert f'id="f-{field}-error"' in partial


def test_profile_saved_over_htmx_returns_the_form_with_a_message(client, alice):
    response = post(client, "/settings/profile", {"username": "alice2", "name": "New"}, headers=HTMX)
    assert response.status_code == 200
    partial = response.get_data(as_text=True)
    assert '<p class="flash flash--success settings-saved" role="status">' in partial and "Profile saved." in partial
    assert 'value="alice2"' in partial and "aria-invalid" not in partial
    assert fresh(alice.id).username == "alice2"


def test_privacy_switches_between_public_and_private(client, alice):
    response = post(client, "/settings/privacy", {"visibility": "private"})
    assert response.status_code == 303 and fresh(alice.id).is_public is False
    page = client.get("/settings/privacy").get_data(as_text=True)
    assert "Your profile is now private." in page and 'value="private" checked' in page
    assert "only your username, name and avatar" in page
    assert post(client, "/settings/privacy", {"visibility": "public"}, headers=HTMX).status_code == 200
    assert fresh(alice.id).is_public is True
    assert post(client, "/settings/privacy", {"visibility": "nobody"}).status_code == 400
    assert fresh(alice.id).is_public is True


def test_time_zone_and_region(client, alice):
    page = client.get("/settings/time-zone").get_data(as_text=True)
    assert '<option value="Europe/Berlin">Europe/Berlin</option>' in page and '<optgroup label="America">' in page
    response = post(client, "/settings/time-zone", {"timezone": "America/New_York", "region": "NA"})
    assert response.status_code == 303
    assert (fresh(alice.id).timezone, fresh(alice.id).region) == ("America/New_York", "NA")
    page = client.get("/settings/time-zone").get_data(as_text=True)
    assert '<option value="America/New_York" selected>' in page and '<option value="NA" selected>' in page
    post(client, "/settings/time-zone", {"timezone": "UTC", "region": ""})
    assert (fresh(alice.id).timezone, fresh(alice.id).region) == ("UTC", None)


@pytest.mark.parametrize("data, field", [({"timezone": "Mars/Olympus_Mons", "region": "EU"}, "timezone"),
                                         ({"timezone": "", "region": "EU"}, "timezone"),
                                         ({"timezone": "Europe/Berlin", "region": "MOON"}, "region")])
def test_bad_time_zone_or_region_is_refused(client, alice, data, field):
    response = post(client, "/settings/time-zone", data)
    assert response.status_code == 400
    assert f'id="f-{field}-error"' in response.get_data(as_text=True)
    assert (fresh(alice.id).timezone, fresh(alice.id).region) == ("UTC", None)


def test_create_a_key_see_it_once_then_only_its_prefix(client, alice):
    response = post(client, "/settings/keys", {"name": "CI runner"}, headers=HTMX)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    partial = response.get_data(as_text=True)
    key = re.search(r'id="new-key-value" type="text" value="(bt_[^"]+)"', partial).group(1)
    assert "Copy it now." in partial and "CI runner" in partial
    assert f'<code id="new-key-login">burntop login --token {key} --api-url http://testserver</code>' in partial
    page = client.get("/settings/keys").get_data(as_text=True)
    assert key not in page and f"{key[:8]}…" in page and "CI runner" in page and "Never" in page
    assert client.get("/api/profile", headers=auth(key)).get_json()["username"] == "alice"
    # without htmx the key is shown in the answer itself: it never travels through a redirect or a cookie
    response = post(client, "/settings/keys", {"name": "second"})
    assert response.status_code == 201 and 'id="new-key-value"' in response.get_data(as_text=True)
    assert all(key not in value for value in response.headers.values())


def test_key_list_shows_devices_with_their_kind(client, alice):
    create_token(alice, "burntop CLI on laptop", kind="cli")
    db.session.commit()
    page = client.get("/settings/keys").get_data(as_text=True)
    assert "<span>burntop CLI on laptop</span>" in page and "CLI device" in page


@pytest.mark.parametrize("data", [{"name": ""}, {"name": "x" * 101}])
def test_bad_key_names_are_shown_inline(client, alice, data):
    response = post(client, "/settings/keys", data)
    assert response.status_code == 400 and 'id="f-name-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_revoke_a_key_and_it_stops_working(client, alice):
    key = make_token(alice, "old laptop")
    token_id = db.session.scalar(select(ApiToken.id))
    response = post(client, f"/settings/keys/{token_id}/revoke", {}, headers=HTMX)
    assert response.status_code == 200 and "Revoked “old laptop”" in response.get_data(as_text=True)
    assert f'id="token-{token_id}"' not in response.get_data(as_text=True)
    assert post(client, f"/settings/keys/{token_id}/revoke", {}).status_code == 303
    client.delete_cookie("session")  # the key alone must now be refused
    assert client.get("/api/profile", headers=auth(key)).status_code == 401


def test_revoking_someone_elses_key_does_nothing(client, alice):
    bobs_key = make_token(make_user("bob"), "bob's key")
    token_id = db.session.scalar(select(ApiToken.id))
    response = post(client, f"/settings/keys/{token_id}/revoke", {}, headers=HTMX)
    assert "already revoked" in response.get_data(as_text=True)
    assert client.get("/api/profile", headers=auth(bobs_key)).get_json()["username"] == "bob"


def test_public_api_on_rotate_off(client, alice):
    assert post(client, "/settings/public-api", {"action": "enable"}).status_code == 303
    user = fresh(alice.id)
    first = user.public_api_id
    assert user.public_api_enabled and uuid.UUID(first).version == 4
    page = client.get("/settings/public-api").get_data(as_text=True)
    assert f'value="http://testserver/api/v1/public/{first}"' in page and "Public API turned on." in page
    response = post(client, "/settings/public-api", {"action": "rotate"}, headers=HTMX)
    second = fresh(alice.id).public_api_id
    assert second != first and uuid.UUID(second).version == 4
    assert first not in response.get_data(as_text=True) and second in response.get_data(as_text=True)
    post(client, "/settings/public-api", {"action": "disable"})
    assert fresh(alice.id).public_api_enabled is False and fresh(alice.id).public_api_id == second
    assert post(client, "/settings/public-api", {"action": "explode"}).status_code == 400


# ---- export and deletion: a user with a row in every table that can hold one


def populate(user, other, client) -> str:
    """Give user data in every table that points at users, some of it shared with `other`."""
    token = make_token(user, "laptop")
    sessions = [{"sessionId": f"s-{user.username}", "source": "claude-code", "startedAt": "2025-06-01T11:00:00Z",
                 "endedAt": "2025-06-01T12:30:00Z", "activeSeconds": 3600, "commits": 2, "linesOfCode": 40}]
    batch = [record(f"req-{user.username}-{i}", sessionId=f"s-{user.username}") for i in range(3)]
    response = client.post("/api/sync", json={"records": batch, "sessions": sessions}, headers=auth(token))
    assert response.status_code == 200, response.get_json()
    if db.session.get(Achievement, "first-sync") is None:
        db.session.add(Achievement(id="first-sync", name="First Sync", description="Sync once", rarity="common",
                                   category="onboarding", icon="flame", xp_reward=10))
    now = datetime.now(timezone.utc)
    if db.session.scalar(select(AchievementUnlock.id).where(AchievementUnlock.user_id == user.id)) is None:
        db.session.add(AchievementUnlock(user_id=user.id, achievement_id="first-sync"))
    db.session.add_all([
        XpEvent(user_id=user.id, key=f"test-{user.id}", kind="test", amount_centi=1000),
        Follow(follower_id=user.id, followee_id=other.id),
        Activity(user_id=user.id, type="sync", data={"tokens": 1}),
        Notification(user_id=user.id, type="follow", title="New follower", message=f"{other.username} followed you"),
        Referral(referrer_id=other.id, referred_id=user.id),
        ReferralClick(referrer_id=user.id, visitor_hash=f"v-{user.id}", hour=now.replace(minute=0)),
        DeviceGrant(device_code_hash=f"d-{user.id}", user_code=f"UC-{user.id}", client_name="laptop",
                    user_id=user.id, expires_at=now + timedelta(minutes=10)),
        EmailCode(email=user.email, code_hash=f"c-{user.id}", ip_hash="ip", expires_at=now + timedelta(minutes=10)),
    ])
    db.session.commit()
    return token


def rows_per_table(user_id: int, email: str) -> dict[str, int]:
    """Count, in the database itself, the rows of every table whose foreign keys point at this user."""
    inspector = inspect(db.engine)
    counts = {"users": db.session.scalar(text("SELECT count(*) FROM users WHERE id = :id"), {"id": user_id}),
              "email_codes": db.session.scalar(text("SELECT count(*) FROM email_codes WHERE email = :e"), {"e": email})}
    for table in inspector.get_table_names():
        columns = [c for fk in inspector.get_foreign_keys(table) if fk["referred_table"] == "users"
                   for c in fk["constrained_columns"]]
        if columns:
            where = " OR ".join(f"{c} = :id" for c in columns)
            counts[table] = db.session.scalar(text(f"SELECT count(*) FROM {table} WHERE {where}"), {"id": user_id})
    return counts


@pytest.fixture
def two_users(client, alice):
    bob = make_user("bob", email="bob@example.com")
    populate(alice, bob, client)
    populate(bob, alice, client)
    return alice, bob


def test_export_holds_my_data_and_nobody_elses(client, two_users):
    alice, bob = two_users
    response = client.get("/settings/export/download")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert re.fullmatch(r'attachment; filename="burntop-alice-\d{4}-\d{2}-\d{2}\.json"',
                        response.headers["Content-Disposition"])
    raw = response.get_data(as_text=True)
    data = json.loads(raw)
    assert data["profile"]["username"] == "alice" and data["profile"]["email"] == "alice@example.com"
    assert sorted(r["request_id"] for r in data["usage_records"]) == [f"req-alice-{i}" for i in range(3)]
    assert len(data["daily_rollups"]) == 1 and data["daily_rollups"][0]["records"] == 3
    assert [s["session_id"] for s in data["coding_sessions"]] == ["s-alice"]
    assert [(t["name"], t["kind"]) for t in data["api_tokens"]] == [("laptop", "api_key")]
    assert "first-sync" in [a["achievement_id"] for a in data["achievement_unlocks"]]
    # every row the database holds for alice is in the file, table by table
    counts = rows_per_table(alice.id, "alice@example.com")
    assert {table: len(data[table]) for table in counts if table != "users"} == {
        table: n for table, n in counts.items() if table != "users"}
    # both directions of a follow and of a referral belong to alice; bob appears by username only
    assert {(f["follower_id"], f["followee_id"]) for f in data["follows"]} == {(alice.id, bob.id), (bob.id, alice.id)}
    assert len(data["referrals"]) == 2 and data["related_users"] == {str(bob.id): "bob"}
    for secret in ("token_hash", "code_hash", "device_code_hash", "visitor_hash", "ip_hash", "user_code"):
        assert secret not in raw
    for bobs in ("req-bob-", "s-bob", "bob@example.com", f"v-{bob.id}"):
        assert bobs not in raw


def test_delete_needs_the_username_typed(client, two_users):
    alice, _ = two_users
    for typed in ("", "ALICE", "bob"):
        response = post(client, "/settings/delete", {"confirm": typed})
        assert response.status_code == 400 and 'id="f-confirm-error"' in response.get_data(as_text=True)
    assert fresh(alice.id) is not None


def test_delete_removes_every_row_of_the_user_and_nothing_else(client, two_users):
    alice, bob = two_users
    alice_id, bobs_before = alice.id, rows_per_table(bob.id, "bob@example.com")
    before = rows_per_table(alice_id, "alice@example.com")
    assert all(before.values()), f"the fixture should fill every table: {before}"
    response = post(client, "/settings/delete", {"confirm": "alice"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    db.session.expire_all()
    assert rows_per_table(alice_id, "alice@example.com") == dict.fromkeys(before, 0)
    bobs_after = rows_per_table(bob.id, "bob@example.com")
    # only the rows bob shared with alice (the two follows, the two referrals) went with her
    assert bobs_after == {**bobs_before, "follows": 0, "referrals": 0}
    assert client.get("/settings/profile").status_code == 302  # signed out
    assert fresh(bob.id).username == "bob"
