"""Avatars are fetched by a job from allowed hosts, re-encoded and served by burntop: no page hot-links them."""
from __future__ import annotations

import io
import logging
import re
from datetime import datetime, timezone

import pytest
from PIL import Image
from sqlalchemy import func, select

from burntop.accounts.avatars import fetch_avatar, purge_avatars
from burntop.extensions import db
from burntop.models import Avatar, User
from tests.avatar_host import avatar_host, picture  # noqa: F401  (the fixture)
from tests.conftest import REDIS_URL
from tests.factories import auth, make_token, make_user, record, sign_in

HOSTS = ("avatars.example", "localhost")


@pytest.fixture
def app_config(app_config):
    return {**app_config, "AVATAR_HOSTS": HOSTS}


@pytest.fixture
def alice(client):
    user = make_user("alice", name="Alice Smith")
    sign_in(client, user)
    return user


def run_jobs(runner) -> None:
    """With Redis the fetch is queued for a worker; without, it already ran in the request."""
    if REDIS_URL:
        result = runner.invoke(args=["worker", "--burst"])
        assert result.exit_code == 0, result.output


def digest_of(user_id: int) -> str | None:
    db.session.expire_all()
    return db.session.get(User, user_id).avatar_digest


def set_image(client, url):
    return client.patch("/api/users/me", json={"image": url})


def test_a_new_avatar_is_fetched_re_encoded_and_served_by_burntop(client, runner, alice, avatar_host):
    url = avatar_host.serve("/u/1.jpg", picture(300, 200, "JPEG"), "image/jpeg")
    assert set_image(client, url).status_code == 200
    run_jobs(runner)
    digest = digest_of(alice.id)
    assert digest and re.fullmatch(r"[0-9a-f]{64}", digest)
    assert avatar_host.requests == ["/u/1.jpg"]

    served = client.get(f"/avatars/{digest}.png")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert served.headers["ETag"] == f'"{digest}"'
    with Image.open(io.BytesIO(served.data)) as image:
        assert (image.format, image.size) == ("PNG", (160, 160))
    again = client.get(f"/avatars/{digest}.png", headers={"If-None-Match": f'"{digest}"'})
    assert again.status_code == 304 and again.data == b""

    for path in ("/", "/settings/profile", "/login"):
        page = client.get(path).get_data(as_text=True)
        assert f'src="/avatars/{digest}.png"' in page, path
        assert "localhost:" not in page.replace(f'value="{url}"', ""), f"{path} points a browser at the host"


def test_every_image_on_the_pages_comes_from_burntop(client, runner, alice, avatar_host):
    token = make_token(alice)
    client.post("/api/sync", json={"records": [record("r1", at=datetime.now(timezone.utc))]}, headers=auth(token))
    set_image(client, avatar_host.serve("/a.png", picture()))
    run_jobs(runner)
    for path in ("/", "/settings/profile", "/achievements", "/device", "/settings/keys"):
        page = client.get(path).get_data(as_text=True)
        sources = re.findall(r'\s(?:src|srcset|poster)="([^"]*)"', page)
        assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources), (path, sources)


def test_people_without_an_avatar_show_their_initials(client, alice):
    page = client.get("/settings/profile").get_data(as_text=True)
    assert '<span class="avatar avatar--sm" aria-hidden="true">AS</span>' in page
    assert '<span class="avatar avatar--lg" aria-hidden="true">AS</span>' in page


@pytest.mark.parametrize("url", ["https://gravatar-lookalike.example/a.png", "https://avatars.example.evil.example/a",
                                 "http://avatars.example/a.png", "https://localhost.evil.example/a.png"])
def test_an_address_on_another_host_is_refused_and_the_allowed_hosts_are_named(client, alice, url):
    response = set_image(client, url)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["details"][0]["field"] == "image"
    assert "avatars.example, localhost" in error["message"] or "https://" in error["message"]
    assert db.session.get(User, alice.id).image is None


def test_the_settings_form_names_the_allowed_hosts_too(client, alice):
    page = client.get("/settings/profile")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))[1]
    response = client.post("/settings/profile", data={"csrf_token": csrf, "username": "alice",
                                                      "image": "https://elsewhere.example/me.png"})
    assert response.status_code == 400
    assert "Avatar URL must be an image on avatars.example, localhost" in response.get_data(as_text=True)


@pytest.mark.parametrize("body, content_type, extra, reason", [
    (b"<html>hi</html>", "text/html", {}, "not an image (text/html)"),
    (b"\x89PNG not really", "image/png", {}, "not a readable image"),
    (picture(5000, 4000), "image/png", {}, "larger than 16,777,216 pixels"),
    (b"x" * (5 * 1024 * 1024 + 1), "image/png", {}, "larger than 5 MB"),
])
def test_what_a_host_answers_is_checked(client, runner, alice, avatar_host, caplog, body, content_type, extra, reason):
    caplog.set_level(logging.WARNING, logger="burntop.accounts.avatars")
    assert set_image(client, avatar_host.serve("/x", body, content_type, **extra)).status_code == 200
    run_jobs(runner)
    assert digest_of(alice.id) is None
    assert db.session.scalar(select(func.count()).select_from(Avatar)) == 0
    if not REDIS_URL:  # the worker logs in its own process
        assert reason in caplog.text


def test_redirects_are_followed_only_to_allowed_hosts(client, runner, alice, avatar_host):
    target = avatar_host.serve("/real.png", picture())
    avatar_host.serve("/moved", b"", "text/plain", status=302, Location=target)
    set_image(client, avatar_host.base + "/moved")
    run_jobs(runner)
    assert digest_of(alice.id) is not None and avatar_host.requests == ["/moved", "/real.png"]

    avatar_host.requests.clear()
    outside = avatar_host.base.replace("localhost", "127.0.0.1") + "/real.png"
    avatar_host.serve("/away", b"", "text/plain", status=302, Location=outside)
    set_image(client, avatar_host.base + "/away")
    run_jobs(runner)
    assert digest_of(alice.id) is None and avatar_host.requests == ["/away"]


def test_changing_and_clearing_the_image_replace_and_remove_the_avatar(client, runner, alice, avatar_host):
    set_image(client, avatar_host.serve("/orange.png", picture(colour=(255, 107, 0))))
    run_jobs(runner)
    orange = digest_of(alice.id)
    set_image(client, avatar_host.serve("/blue.png", picture(colour=(0, 90, 255))))
    run_jobs(runner)
    blue = digest_of(alice.id)
    assert blue and blue != orange
    assert purge_avatars() == 1 and client.get(f"/avatars/{orange}.png").status_code == 404
    set_image(client, None)
    run_jobs(runner)
    assert digest_of(alice.id) is None
    assert purge_avatars() == 1 and db.session.scalar(select(func.count()).select_from(Avatar)) == 0


def test_a_late_job_does_not_link_a_picture_the_user_replaced(app, alice, avatar_host):
    url = avatar_host.serve("/old.png", picture())
    alice.image = url
    db.session.commit()
    alice.image = None  # changed again before the job ran
    db.session.commit()
    assert fetch_avatar(alice.id) is None and digest_of(alice.id) is None


def test_deleting_the_account_deletes_the_picture(client, runner, alice, avatar_host):
    set_image(client, avatar_host.serve("/a.png", picture()))
    run_jobs(runner)
    digest = digest_of(alice.id)
    page = client.get("/settings/delete").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    assert client.post("/settings/delete", data={"csrf_token": csrf, "confirm": "alice"}).status_code == 303
    assert client.get(f"/avatars/{digest}.png").status_code == 404


@pytest.mark.parametrize("path", ["/avatars/nothing.png", "/avatars/" + "0" * 64 + ".png", "/avatars/../x.png"])
def test_unknown_avatars_are_404(client, path):
    assert client.get(path).status_code == 404
