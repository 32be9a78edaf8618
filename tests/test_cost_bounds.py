"""Costs cannot overflow: plausible prices only, a bound per record, and sums that never fail."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from burntop.extensions import db
from burntop.models import DailyRollup, UsageRecord
from burntop.pricing import Usage, cost_nanos, default_table, load_table
from burntop.pricing.commands import prices_cli
from tests.factories import auth, make_token, make_user, record

INT64_MAX = 9_223_372_036_854_775_807
PRICE_FIELDS = ("input", "output", "cacheWrite", "cacheRead", "inputAbove200k", "outputAbove200k",
                "cacheWriteAbove200k", "cacheReadAbove200k")


def test_every_shipped_price_is_a_plausible_price_per_token():
    # At most $0.001 per token ($1,000 per million): the dearest real price, o1-pro's output, is $600.
    document = json.loads(Path("burntop/pricing/prices.json").read_text())
    wrong = {key: field for key, entry in document["models"].items() for field in PRICE_FIELDS
             if entry.get(field) is not None and not 0 <= Decimal(entry[field]) <= Decimal("0.001")}
    assert wrong == {}
    # Upstream listed this id at $0.055 per input token; without it the name resolves to GLM-4.5's own
    # entry, at its real $0.60 per million.
    assert default_table().lookup("wandb/zai-org/GLM-4.5").input == Decimal("0.0000006")


def test_refresh_drops_implausible_prices_and_says_why(tmp_path):
    app = Flask(__name__)
    app.cli.add_command(prices_cli)
    table = tmp_path / "prices.json"
    # An entry kept from an older refresh is checked again, not only what upstream sends now.
    table.write_text(json.dumps({"models": {"old-typo": {"input": "0.003", "output": "0.000001",
                                                         "provider": "x"}}}))
    source = tmp_path / "litellm.json"
    source.write_text(json.dumps({
        "wandb/zai-org/GLM-4.5": {"input_cost_per_token": 0.055, "output_cost_per_token": 0.2, "mode": "chat"},
        "o1-pro": {"input_cost_per_token": 0.00015, "output_cost_per_token": 0.0006, "mode": "chat"},
        "tiered": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06, "mode": "chat",
                   "output_cost_per_token_above_200k_tokens": 0.02},
    }))
    result = app.test_cli_runner().invoke(args=["prices", "refresh", "--from", str(source), "--table", str(table)])
    assert result.exit_code == 0, result.output
    assert "3 dropped (implausible prices); 1 models in the table" in result.output
    assert ("dropped wandb/zai-org/GLM-4.5: input $0.055 per token ($55,000 per million) is outside the "
            "plausible 0 to $0.001 per token ($1,000 per million)") in result.output
    assert "dropped old-typo: input $0.003 per token ($3,000 per million)" in result.output
    assert "dropped tiered: outputAbove200k $0.02 per token ($20,000 per million)" in result.output
    assert sorted(json.loads(table.read_text())["models"]) == ["o1-pro"]


def test_one_record_costs_at_most_1000_dollars_else_it_is_unpriced(tmp_path):
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"models": {"dear": {"input": "0.0001", "output": "0.001", "provider": "x"}}}))
    table = load_table(path)
    # 10,000,000 input tokens at $0.0001: exactly $1,000.
    assert cost_nanos("dear", Usage(input_tokens=10_000_000), table) == 1_000_000_000_000
    assert cost_nanos("dear", Usage(input_tokens=10_000_000, output_tokens=1), table) is None
    assert cost_nanos("dear", Usage(output_tokens=10_000_000), table) is None


def test_a_record_priced_above_the_bound_is_stored_unpriced(client, app):
    token = make_token(make_user("dear"))
    body = {"records": [record("r1", model="o1-pro", inputTokens=0, outputTokens=10_000_000)]}
    assert client.post("/api/sync", json=body, headers=auth(token)).get_json()["recordsAdded"] == 1
    stored = db.session.scalar(select(UsageRecord))
    assert (stored.cost_nanos, stored.priced) == (0, False)


def _rollup(user_id: int, cost_nanos: int) -> None:
    # A state only about a thousand hostile batches of $1,000 records could reach: a rollup near the
    # 64-bit limit of nano-dollars ($9.2 billion).
    at = datetime(2025, 6, 1, 12, tzinfo=timezone.utc)
    db.session.add(DailyRollup(
        user_id=user_id, day=date(2025, 6, 1), source="claude-code", model="claude-sonnet-4-20250514",
        provider="anthropic", records=1, input_tokens=1, output_tokens=0, cache_creation_tokens=0,
        cache_read_tokens=0, reasoning_tokens=0, cost_nanos=cost_nanos, unpriced_records=0,
        latency_ms_sum=0, latency_count=0, success_count=0, outcome_count=0, first_at=at, last_at=at))
    db.session.commit()


# 10 records of 1,000,000 input and 500 output tokens of Sonnet 4: 10 x (200,000 x $3/M + 800,000 x
# $6/M above 200k + 500 x $15/M) = $54.075.
BATCH = {"records": [record(f"r{i}", at="2025-06-01T13:00:00Z", inputTokens=1_000_000) for i in range(10)]}


def test_sums_across_users_past_64_bits_never_take_down_a_page(client, app):
    first, second = make_user("first"), make_user("second")
    for user in (first, second):
        _rollup(user.id, INT64_MAX - 10**12)  # $1,000 below the limit each: together far above it
        response = client.post("/api/sync", json=BATCH, headers=auth(make_token(user)))
        assert response.status_code == 200, response.get_json()
    page = client.get("/")
    assert page.status_code == 200
    assert 'data-stat="responses">22<' in page.get_data(as_text=True)
    partial = client.get("/partials/global-totals")
    # 2 x ($9,223,372,036.85 - $1,000) + 2 x $54.075
    assert partial.status_code == 200 and 'data-stat="cost">$18,446,742,181.86<' in partial.get_data(as_text=True)
    assert client.get("/api/users/second/achievements").status_code == 200


def test_a_rollup_growing_past_64_bits_never_fails_a_sync(client, app):
    user = make_user("hostile")
    token = make_token(user)
    _rollup(user.id, INT64_MAX - 10**9)  # $1 below the limit
    response = client.post("/api/sync", json=BATCH, headers=auth(token))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["recordsAdded"] == 10
    db.session.expire_all()
    stored = db.session.scalar(select(DailyRollup.cost_nanos))
    # PostgreSQL keeps the exact sum in numeric; SQLite's 64-bit integer stops at its maximum.
    exact = INT64_MAX - 10**9 + 54_075_000_000
    assert type(stored) is int
    assert stored == (exact if db.engine.dialect.name == "postgresql" else INT64_MAX)
    later = {"records": [record("later", at="2025-06-01T14:00:00Z")]}
    assert client.post("/api/sync", json=later, headers=auth(token)).status_code == 200
    assert client.get("/").status_code == 200
