"""Every response, page or API, success or error, carries the security headers (walks every route)."""
from __future__ import annotations

import pytest

from burntop.badges.api import CSP as BADGE_CSP
from burntop.security import CSP
from tests.factories import make_user, sign_in

SAMPLE_VALUES = {"int": "1", "string": "someone", "path": "x/y", "any": None}


def _urls(app) -> list[tuple[str, str]]:
    """One concrete URL per route and method, with a plausible value for each argument."""
    found = []
    for rule in app.url_map.iter_rules():
        values = {}
        for name, converter in rule._converters.items():
            kind = type(converter).__name__.removesuffix("Converter").lower()
            if kind == "any":
                values[name] = next(iter(converter.items if hasattr(converter, "items") else ["x"]), "x")
            elif kind == "string" and name == "filename":
                values[name] = "css/burntop.css"
            else:
                values[name] = SAMPLE_VALUES.get(kind, "1")
        with app.test_request_context():
            url = app.url_map.bind("localhost").build(rule.endpoint, values, force_external=False)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    return found


def _check(response) -> None:
    headers = response.headers
    if response.mimetype == "image/svg+xml":  # a badge is an image: a stricter policy of its own
        assert headers["Content-Security-Policy"] == BADGE_CSP
    else:
        assert headers["Content-Security-Policy"] == CSP
    assert "script-src 'self'" in CSP and "'unsafe-inline'" not in CSP and "frame-ancestors 'none'" in CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("signed_in", [False, True])
def test_every_route_sends_the_security_headers(app, client, signed_in):
    if signed_in:
        sign_in(client, make_user("walker"))
    urls = _urls(app)
    assert len(urls) > 30
    for method, url in urls:
        response = client.open(url, method=method, json={} if method != "GET" else None)
        _check(response)
        response.close()


def test_errors_and_static_files_carry_them_too(client):
    for url in ("/no-such-page", "/api/no-such-endpoint", "/static/css/burntop.css", "/static/js/burntop.js"):
        response = client.get(url)
        _check(response)
        response.close()


def test_hsts_only_in_production(app_config):
    from burntop import create_app

    from burntop.extensions import db

    development = create_app(app_config)
    production = create_app({**app_config, "BURNTOP_ENV": "production"})
    assert "Strict-Transport-Security" not in development.test_client().get("/api/health").headers
    assert production.test_client().get("/api/health").headers["Strict-Transport-Security"].startswith("max-age=")
    for app in (development, production):  # their health checks opened database connections
        with app.app_context():
            db.engine.dispose()


def test_no_page_template_holds_inline_script_or_style():
    """The CSP would block them in the browser; catch them before that."""
    import re
    from pathlib import Path

    from burntop import ROOT

    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"<style\b", text) \
                or re.search(r"\sstyle=", text) or re.search(r"\shx-on[:-]", text) or re.search(r"\son[a-z]+=", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
