"""Error pages in burntop's own words, with somewhere to go next; /api/ keeps its JSON shape."""
from __future__ import annotations

from flask import abort

from tests.factories import make_user, sign_in

WERKZEUG = ("The requested URL was not found on the server", "If you entered the URL manually",
            "The method is not allowed for the requested URL", "The server encountered an internal error")


def test_not_found_in_burntop_words_with_links(client):
    response = client.get("/no/such/page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "<title>Nothing here (404) · burntop</title>" in html
    assert "There is no page at this address. It may be mistyped, or the page has moved." in html
    assert "You asked for <code>/no/such/page</code>." in html
    assert 'href="/achievements"' in html and '<a class="button button--primary" href="/">' in html
    assert not any(stock in html for stock in WERKZEUG)


def test_the_asked_for_address_is_escaped(client):
    html = client.get("/%3Cscript%3Ealert(1)%3C/script%3E").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_method_not_allowed_and_server_error(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("kaput")

    response = client.post("/achievements")
    html = response.get_data(as_text=True)
    assert response.status_code == 405 and "<h1 id=\"error-title\">Not like that</h1>" in html
    assert not any(stock in html for stock in WERKZEUG)
    response = client.get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and "Something broke on our side" in html
    assert "kaput" not in html and not any(stock in html for stock in WERKZEUG)


def test_a_views_own_message_is_kept(app, client):
    @app.get("/gone-key")
    def gone_key():
        abort(404, "That key was revoked.")

    html = client.get("/gone-key").get_data(as_text=True)
    assert "Nothing here" in html and "That key was revoked." in html
    assert "It may be mistyped" not in html


def test_signed_in_people_get_their_settings_link(client):
    sign_in(client, make_user("alice"))
    html = client.get("/nowhere").get_data(as_text=True)
    assert 'href="/settings/profile">' in html and "Your settings" in html


def test_api_errors_stay_json(client):
    response = client.get("/api/nowhere")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "NOT_FOUND"
