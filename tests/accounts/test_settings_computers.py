"""Settings → Computers: the list with totals, renaming (trimmed, bounded, escaped), forgetting a name, CSRF."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from burntop.extensions import db
from burntop.models import Machine
from burntop.settings.machines import MAX_NAME, NameRefused, clean_name
from tests.factories import auth, make_token, make_user, record, sign_in

LAPTOP = "0123456789abcdef0123456789ab1a1a"
DESKTOP = "fedcba9876543210fedcba9876542b2b"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def alice(client):
    user = make_user("alice", timezone="Europe/Berlin")
    token = make_token(user)
    client.post("/api/sync", headers=auth(token), json={"records": [
        record("a", machineId=LAPTOP, at="2025-06-01T10:00:00Z", cacheReadTokens=2_000_000),
        record("b", machineId=DESKTOP, at="2025-06-03T21:30:00Z"),
        record("c", at="2025-06-02T10:00:00Z")]})
    sign_in(client, user)
    return user


def machine(machine_id: str) -> Machine:
    db.session.expire_all()
    return db.session.scalar(select(Machine).where(Machine.machine_id == machine_id))


def csrf(client) -> str:
    page = client.get("/settings/computers").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def rename(client, machine_id: str, name, headers=None):
    row = machine(machine_id)
    return client.post(f"/settings/computers/{row.id}/name", data={"csrf_token": csrf(client), "name": name},
                       headers=headers or {})


@pytest.mark.parametrize("raw, stored", [
    ("  Work   laptop ", "Work laptop"), ("", None), ("   ", None), (None, None), ("Büro\tPC", "Büro PC"),
    ("x" * MAX_NAME, "x" * MAX_NAME), ("Cafe\u0301", "Café"), ("<b>desk</b>", "<b>desk</b>")])
def test_a_name_is_trimmed_and_an_empty_one_means_the_default_label(raw, stored):
    assert clean_name(raw) == stored


@pytest.mark.parametrize("raw, reason", [("x" * (MAX_NAME + 1), "60 characters or fewer (61 now)"),
                                         ("bad\x00name", "letters, digits"), ("right\u202eleft", "letters, digits"),
                                         ("zero\u200bwidth", "letters, digits")])
def test_names_that_break_a_rule_are_refused(raw, reason):
    with pytest.raises(NameRefused, match=re.escape(reason)):
        clean_name(raw)


def test_the_page_lists_each_computer_with_its_totals_and_last_record(client, alice):
    response = client.get("/settings/computers")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    laptop, desktop = page.index("Computer 1 (…1a1a)"), page.index("Computer 2 (…2b2b)")
    assert laptop < page.index("Unknown computer") and laptop < desktop  # the laptop has the most tokens
    assert "2M" in page and "Totals for all time, days in Europe/Berlin" in page and "API-equivalent estimate" in page
    assert "3 Jun 2025, 23:30" in page  # the desktop's last record, in Berlin time
    assert LAPTOP not in page and DESKTOP not in page
    assert 'href="/settings/computers" aria-current="page"' in page


def test_a_new_user_is_told_how_to_add_a_computer(client):
    sign_in(client, make_user("newbie"))
    page = client.get("/settings/computers").get_data(as_text=True)
    assert "No computers yet" in page and "burntop sync" in page


def test_renaming_saves_redirects_and_shows_the_name_escaped(client, alice):
    response = rename(client, LAPTOP, "  <script>alert(1)</script>   laptop ")
    assert response.status_code == 303 and response.headers["Location"] == "/settings/computers"
    assert machine(LAPTOP).name == "<script>alert(1)</script> laptop"
    page = client.get("/settings/computers").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; laptop" in page
    assert "Computer 1 (…1a1a)" in page  # the default label is still shown beside the name
    api = client.get("/api/dashboard/machines").get_json()
    assert [m["label"] for m in api["machines"] if m["known"]][0] == "<script>alert(1)</script> laptop"


def test_renaming_with_htmx_answers_the_refreshed_list(client, alice):
    response = rename(client, DESKTOP, "Desk", headers=HTMX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<div id="computers"' in html and "<html" not in html  # the partial only
    assert "Named it “Desk”." in html
    assert machine(DESKTOP).name == "Desk"


def test_a_name_too_long_is_refused_inline_and_nothing_changes(client, alice):
    rename(client, LAPTOP, "Laptop")
    response = rename(client, LAPTOP, "y" * 61)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Keep it to 60 characters or fewer (61 now)." in page and 'aria-invalid="true"' in page
    assert 'value="' + "y" * 61 + '"' in page  # what was typed is kept for fixing
    assert machine(LAPTOP).name == "Laptop"


def test_an_empty_name_and_forget_both_bring_the_default_label_back(client, alice):
    rename(client, LAPTOP, "Laptop")
    rename(client, LAPTOP, "   ")
    assert machine(LAPTOP).name is None
    rename(client, DESKTOP, "Desk")
    row = machine(DESKTOP)
    response = client.post(f"/settings/computers/{row.id}/forget-name", data={"csrf_token": csrf(client)})
    assert response.status_code == 303 and machine(DESKTOP).name is None
    assert "Computer 2 (…2b2b)" in client.get("/settings/computers").get_data(as_text=True)


def test_the_unknown_computer_can_be_named_too(client, alice):
    rename(client, "", "Before the id")
    assert "Before the id" in client.get("/settings/computers").get_data(as_text=True)


def test_another_users_computer_or_none_is_404_and_unchanged(client, alice):
    bob = make_user("bob")
    client.post("/api/sync", headers=auth(make_token(bob)), json={"records": [record("x", machineId="bobs")]})
    bobs = machine("bobs")
    for path in (f"/settings/computers/{bobs.id}/name", f"/settings/computers/{bobs.id}/forget-name",
                 "/settings/computers/999999/name", f"/settings/computers/{2**63 - 1}/forget-name",
                 f"/settings/computers/{2**63}/name", "/settings/computers/99999999999999999999999/name"):
        response = client.post(path, data={"csrf_token": csrf(client), "name": "mine now"})
        assert response.status_code == 404
    assert machine("bobs").name is None


def test_forms_without_the_csrf_token_are_refused(client, alice):
    row = machine(LAPTOP)
    for headers in ({}, HTMX):
        for path in (f"/settings/computers/{row.id}/name", f"/settings/computers/{row.id}/forget-name"):
            response = client.post(path, data={"name": "sneaky"}, headers=headers)
            assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert machine(LAPTOP).name is None


def test_signed_out_posts_change_nothing(client, alice):
    row = machine(LAPTOP)
    other = client.application.test_client()
    response = other.post(f"/settings/computers/{row.id}/name", data={"name": "x"})
    assert response.status_code in (302, 400)
    assert machine(LAPTOP).name is None
