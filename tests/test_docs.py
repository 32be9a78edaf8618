"""The repository describes itself: every JSON endpoint is in docs/API.md, and the README stays inside it."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def api_routes(app) -> set[tuple[str, str]]:
    """(method, path) of every /api/ route, path params written :name as the docs do."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r":\1", rule.rule)
            routes |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def test_every_api_endpoint_is_documented(app):
    docs = (ROOT / "docs" / "API.md").read_text()
    documented = {(m, re.sub(r":[a-z_]+", ":param", p))
                  for m, p in re.findall(r"^### `([A-Z]+) (/api/[^`?]+)", docs, re.MULTILINE)}
    served = {(m, re.sub(r":[a-z_]+", ":param", p)) for m, p in api_routes(app)}
    assert len(served) >= 20
    assert served - documented == set(), "served but not in docs/API.md"
    assert documented - served == set(), "in docs/API.md but not served"


def test_the_readme_points_only_inside_the_repository():
    readme = (ROOT / "README.md").read_text()
    assert "../shared" not in readme and "docs/API.md" in readme
    assert "127.0.0.1:5000/api" not in readme, "examples follow $PORT"
    assert "arrives with the accounts work" not in readme
