"""Every /api/ failure is the spec's JSON error shape; pages get a styled HTML page."""
from __future__ import annotations

import pytest
from flask import Blueprint

from tests.factories import auth, make_token, make_user


@pytest.fixture
def app_config(app_config):
    return {**app_config, "TESTING": False, "PROPAGATE_EXCEPTIONS": False}


@pytest.fixture
def app(app):
    broken = Blueprint("broken", __name__)

    @broken.get("/api/test-boom")
    def boom():
        raise RuntimeError("secret detail that must not leak")

    @broken.get("/test-boom")
    def page_boom():
        raise RuntimeError("secret detail that must not leak")

    app.register_blueprint(broken)
    return app


NOT_FOUND = ("The requested URL was not found on the server. If you entered the URL manually please check your "
             "spelling and try again.")
NOT_ALLOWED = "The method is not allowed for the requested URL."


@pytest.mark.parametrize("method,path,status,code,message", [
    ("get", "/api/does-not-exist", 404, "NOT_FOUND", NOT_FOUND),
    ("delete", "/api/sync", 405, "METHOD_NOT_ALLOWED", NOT_ALLOWED),
    ("get", "/api/sync", 405, "METHOD_NOT_ALLOWED", NOT_ALLOWED),
    ("get", "/api/test-boom", 500, "INTERNAL_ERROR", "Internal server error."),
])
def test_api_errors_are_json(client, method, path, status, code, message):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response.is_json
    assert response.get_json() == {"error": {"code": code, "message": message}}
    assert "secret detail" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_405_keeps_the_allow_header(client):
    assert "POST" in client.get("/api/sync").headers["Allow"]


def test_413_on_api_is_json(client):
    token = make_token(make_user("alice"))
    response = client.post("/api/sync", data=b"x" * (10 * 1024 * 1024 + 1),
                           headers={**auth(token), "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_pages_get_a_styled_html_error(client):
    for path, status in (("/no-such-page", 404), ("/test-boom", 500)):
        response = client.get(path)
        assert response.status_code == status
        assert response.mimetype == "text/html"
        body = response.get_data(as_text=True)
        assert "burntop.css" in body and "secret detail" not in body
