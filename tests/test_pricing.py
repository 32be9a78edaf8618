"""Price module: hand-computed cost rules, name normalisation, the shipped table and refresh."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import subprocess
import sys
import time
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask

from burntop.pricing import (
    TIER_THRESHOLD,
    ModelPrice,
    PriceTable,
    Usage,
    cost_nanos,
    cost_usd,
    default_table,
    load_table,
    normalize_model,
    provider_for,
)
from burntop.pricing.commands import prices_cli
from burntop.pricing.refresh import (
    LITELLM_MEMBER,
    build_entries,
    compact_entry,
    decimal_string,
    download_latest_wheel,
    merge_models,
    read_litellm_json,
    refresh_table,
    write_atomic,
)
from burntop.pricing.rules import round_half_even
from burntop.pricing.table import SHIPPED_PATH

D = Decimal

# Sonnet-4 style prices with every tier, the same without tiers, and one without cache prices.
SONNET = ModelPrice.from_rates(
    "0.000003", "0.000015", "0.00000375", "0.0000003",
    input_tier="0.000006", output_tier="0.0000225",
    cache_write_tier="0.0000075", cache_read_tier="0.0000006", provider="anthropic",
)
FLAT = ModelPrice.from_rates("0.000003", "0.000015", "0.00000375", "0.0000003")
NO_CACHE = ModelPrice.from_rates("0.000002", "0.000008", provider="openai")


@pytest.fixture
def table() -> PriceTable:
    """A small table independent of the shipped data."""
    return PriceTable({
        "claude-sonnet-4-20250514": SONNET,
        "claude-3-5-sonnet-20241022": FLAT,
        "claude-3-5-sonnet-20240620": FLAT,
        "gpt-4o": NO_CACHE,
        "o3": NO_CACHE,
        "gemini-2.5-pro": ModelPrice.from_rates("0.00000125", "0.00001", provider="google"),
        "half-nano": ModelPrice.from_rates("0.0000000005", "0.0000000015"),
    })


# --- cost rules, hand computed ---------------------------------------------------------------

def test_all_four_categories_sonnet_style() -> None:
    # 1000*3e-6 + 500*15e-6 + 2000*3.75e-6 + 10000*0.3e-6 = 0.003 + 0.0075 + 0.0075 + 0.003
    usage = Usage(input_tokens=1000, output_tokens=500, cache_creation_tokens=2000,
                  cache_read_tokens=10_000)
    assert cost_usd(usage, SONNET) == D("0.021")
    assert cost_usd(usage, FLAT) == D("0.021")


def test_input_above_threshold_uses_tier() -> None:
    # 200k*3e-6 + 50k*6e-6 = 0.6 + 0.3
    assert TIER_THRESHOLD == 200_000
    assert cost_usd(Usage(input_tokens=250_000), SONNET) == D("0.9")
    assert cost_usd(Usage(input_tokens=250_000), FLAT) == D("0.75")


def test_exactly_at_threshold_is_all_base() -> None:
    assert cost_usd(Usage(input_tokens=200_000), SONNET) == D("0.6")


def test_output_above_threshold_with_and_without_tier() -> None:
    # tier: 200k*15e-6 + 100k*22.5e-6 = 3 + 2.25; no tier: 300k*15e-6
    assert cost_usd(Usage(output_tokens=300_000), SONNET) == D("5.25")
    assert cost_usd(Usage(output_tokens=300_000), FLAT) == D("4.5")
    only_input_tier = ModelPrice.from_rates("0.000003", "0.000015", input_tier="0.000006")
    assert cost_usd(Usage(output_tokens=300_000), only_input_tier) == D("4.5")


def test_cache_read_above_threshold() -> None:
    # 200k*0.3e-6 + 300k*0.6e-6 = 0.06 + 0.18
    assert cost_usd(Usage(cache_read_tokens=500_000), SONNET) == D("0.24")
    assert cost_usd(Usage(cache_read_tokens=500_000), FLAT) == D("0.15")


def test_tiers_apply_per_category_not_on_the_sum() -> None:
    # 150k input + 150k cache read: 300k in all, but neither category passes 200k.
    usage = Usage(input_tokens=150_000, cache_read_tokens=150_000)
    assert cost_usd(usage, SONNET) == D("0.45") + D("0.045")
    # 250k input is tiered, 150k cache read is not: 0.9 + 0.045
    assert cost_usd(Usage(input_tokens=250_000, cache_read_tokens=150_000), SONNET) == D("0.945")


def test_cache_write_above_threshold() -> None:
    # 200k*3.75e-6 + 50k*7.5e-6 = 0.75 + 0.375
    assert cost_usd(Usage(cache_creation_tokens=250_000), SONNET) == D("1.125")


def test_one_hour_cache_writes_cost_twice_input() -> None:
    # 6000 5-minute at 3.75e-6 = 0.0225; 4000 1-hour at 2*3e-6 = 0.024
    split = Usage(cache_creation_tokens=10_000, cache_creation_1h_tokens=4000)
    assert cost_usd(split, FLAT) == D("0.0465")
    # split unknown: all 10000 at the cache-write price
    assert cost_usd(Usage(cache_creation_tokens=10_000), FLAT) == D("0.0375")


def test_one_hour_cache_writes_above_threshold_use_twice_input_tier() -> None:
    # 200k*2*3e-6 + 100k*2*6e-6 = 1.2 + 1.2
    usage = Usage(cache_creation_tokens=300_000, cache_creation_1h_tokens=300_000)
    assert cost_usd(usage, SONNET) == D("2.4")


def test_missing_cache_prices_default_from_input() -> None:
    assert NO_CACHE.cache_write == D("0.0000025")
    assert NO_CACHE.cache_read == D("0.0000002")
    # 1000*2.5e-6 + 1000*0.2e-6
    usage = Usage(cache_creation_tokens=1000, cache_read_tokens=1000)
    assert cost_usd(usage, NO_CACHE) == D("0.0027")


def test_reasoning_tokens_are_not_a_separate_argument() -> None:
    fields = [f.name for f in dataclasses.fields(Usage)]
    assert fields == ["input_tokens", "output_tokens", "cache_creation_tokens",
                      "cache_read_tokens", "cache_creation_1h_tokens"]


def test_cost_usd_is_exact_and_unrounded() -> None:
    price = ModelPrice.from_rates("0.0000000001", "0")
    assert cost_usd(Usage(input_tokens=7), price) == D("0.0000000007")
    huge = Usage(input_tokens=10**15, output_tokens=10**15)
    assert cost_usd(huge, ModelPrice.from_rates("0.0000029999900000000002", "0.000015")) == D(
        "2999990000.0000002"
    ) + D("15000000000")


@pytest.mark.parametrize("bad", [
    {"input_tokens": -1},
    {"output_tokens": 1.5},
    {"cache_read_tokens": True},
    {"cache_creation_tokens": 5, "cache_creation_1h_tokens": 6},
])
def test_usage_rejects_invalid_counts(bad: dict) -> None:
    with pytest.raises(ValueError):
        Usage(**bad)


# --- nanos and lookup ------------------------------------------------------------------------

def test_cost_nanos_of_a_record(table: PriceTable) -> None:
    usage = Usage(input_tokens=1000, output_tokens=500, cache_creation_tokens=2000,
                  cache_read_tokens=10_000)
    assert cost_nanos("claude-sonnet-4-20250514", usage, table) == 21_000_000


def test_nanos_round_half_even(table: PriceTable) -> None:
    # input 0.5 nano per token, output 1.5 nano per token
    assert cost_nanos("half-nano", Usage(input_tokens=1), table) == 0  # 0.5 -> 0
    assert cost_nanos("half-nano", Usage(input_tokens=3), table) == 2  # 1.5 -> 2
    assert cost_nanos("half-nano", Usage(input_tokens=5), table) == 2  # 2.5 -> 2
    assert cost_nanos("half-nano", Usage(output_tokens=1), table) == 2  # 1.5 -> 2
    assert cost_nanos("half-nano", Usage(input_tokens=1, output_tokens=1), table) == 2  # 2.0
    assert round_half_even(7, 10) == 1 and round_half_even(4, 10) == 0
    assert round_half_even(25, 10) == 2 and round_half_even(35, 10) == 4


def test_unknown_model_is_unpriced(table: PriceTable) -> None:
    assert cost_nanos("made-up-model-9", Usage(input_tokens=10), table) is None
    assert table.lookup("made-up-model-9") is None
    assert table.resolve("made-up-model-9") is None
    assert provider_for("made-up-model-9", table) == "unknown"


def test_synthetic_model_is_free_and_anthropic(table: PriceTable) -> None:
    assert cost_nanos("<synthetic>", Usage(), table) == 0
    assert cost_nanos("<synthetic>", Usage()) == 0
    assert provider_for("<synthetic>", table) == "anthropic"
    assert table.resolve("<synthetic>") == "<synthetic>"


@pytest.mark.parametrize(("name", "key"), [
    ("claude-sonnet-4-20250514", "claude-sonnet-4-20250514"),
    ("  Claude-Sonnet-4-20250514 ", "claude-sonnet-4-20250514"),
    ("anthropic/claude-sonnet-4-20250514", "claude-sonnet-4-20250514"),
    ("us.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4-20250514"),
    ("eu.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4-20250514"),
    ("apac.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4-20250514"),
    ("bedrock/anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4-20250514"),
    ("vertex_ai/claude-3-5-sonnet@20240620", "claude-3-5-sonnet-20240620"),
    ("claude-3.5-sonnet", "claude-3-5-sonnet-20241022"),
    ("claude-3-5-sonnet-latest", "claude-3-5-sonnet-20241022"),
    ("claude-sonnet-4", "claude-sonnet-4-20250514"),
    ("openrouter/anthropic/claude-3.5-sonnet", "claude-3-5-sonnet-20241022"),
    ("gpt-4o-2024-08-06", "gpt-4o"),
    ("openai/gpt-4o", "gpt-4o"),
    ("azure/gpt-4o", "gpt-4o"),
    ("gemini-2.5-pro", "gemini-2.5-pro"),
    ("google/gemini-2.5-pro", "gemini-2.5-pro"),
    ("models/gemini-2.5-pro", "gemini-2.5-pro"),
    ("o3", "o3"),
])
def test_name_normalisation(table: PriceTable, name: str, key: str) -> None:
    assert table.resolve(name) == key


def test_normalize_model_lists_candidates_in_order() -> None:
    candidates = normalize_model("us.anthropic.claude-sonnet-4-20250514-v1:0")
    assert candidates[0] == "us.anthropic.claude-sonnet-4-20250514-v1:0"
    assert candidates.index("claude-sonnet-4-20250514") < candidates.index("claude-sonnet-4")
    assert "claude-3-5-sonnet" in normalize_model("claude-3.5-sonnet")
    assert "claude-opus-4.1-20250805" in normalize_model("claude-opus-4-1-20250805")
    assert "gpt-4o" in normalize_model("gpt-4o-2024-08-06")
    assert normalize_model("gemini-2.5-pro")[0] == "gemini-2.5-pro"


def test_provider_by_pattern_for_names_outside_the_table(table: PriceTable) -> None:
    cases = {
        "claude-9-mega": "anthropic", "gpt-9": "openai", "o4-mini-x": "openai", "o1": "openai",
        "codex-next": "openai", "gemini-9-ultra": "google", "grok-9": "xai",
        "deepseek-v9": "deepseek", "qwen9-coder": "alibaba", "mistral-huge": "mistral",
        "codestral-9": "mistral", "glm-9": "zhipu", "kimi-k9": "moonshot", "foo-bar": "unknown",
    }
    for name, vendor in cases.items():
        assert provider_for(name, table) == vendor, name
    assert provider_for("o3", table) == "openai"
    assert provider_for("gemini-2.5-pro", table) == "google"


def test_resolution_is_cached_and_fast(table: PriceTable) -> None:
    records = [("claude-sonnet-4-20250514", Usage(1000, 200, 3000, 40_000, 1000)),
               ("us.anthropic.claude-sonnet-4-20250514-v1:0", Usage(250_000, 1, 0, 0)),
               ("gpt-4o-2024-08-06", Usage(10, 10, 0, 0)), ("nope", Usage(1, 1, 0, 0))] * 2500
    start = time.perf_counter()
    for model, usage in records:
        cost_nanos(model, usage, table)
    # The figure on this 2-core machine is ~10 ms; the bound only guards against lost caching.
    assert time.perf_counter() - start < 0.5
    assert table._resolve_cached.cache_info().hits >= 9996


# --- the shipped table -----------------------------------------------------------------------

SHIPPED = {
    "claude-sonnet-4-20250514": ("anthropic", "0.000003", "0.000015", "0.00000375", "0.0000003"),
    "claude-opus-4-20250514": ("anthropic", "0.000015", "0.000075", "0.00001875", "0.0000015"),
    "claude-opus-4-1-20250805": ("anthropic", "0.000015", "0.000075", "0.00001875", "0.0000015"),
    "claude-3-5-haiku-20241022": ("anthropic", "0.0000008", "0.000004", "0.000001", "0.00000008"),
    "claude-3-5-sonnet-20241022": ("anthropic", "0.000003", "0.000015", "0.00000375", "0.0000003"),
    "gpt-4o": ("openai", "0.0000025", "0.00001", "0.000003125", "0.00000125"),
    "gpt-5": ("openai", "0.00000125", "0.00001", "0.0000015625", "0.000000125"),
    "o3": ("openai", "0.000002", "0.000008", "0.0000025", "0.0000005"),
    "gemini-2.5-pro": ("google", "0.00000125", "0.00001", "0.0000015625", "0.000000125"),
}


@pytest.mark.parametrize("model", sorted(SHIPPED))
def test_shipped_table_prices(model: str) -> None:
    provider, inp, out, write, read = SHIPPED[model]
    assert model in default_table()
    price = default_table().lookup(model)
    assert price is not None
    assert (price.provider, price.input, price.output, price.cache_write, price.cache_read) == (
        provider, D(inp), D(out), D(write), D(read))


def test_shipped_table_tiers() -> None:
    sonnet = default_table().lookup("claude-sonnet-4-20250514")
    assert sonnet is not None
    assert (sonnet.input_tier, sonnet.output_tier, sonnet.cache_write_tier,
            sonnet.cache_read_tier) == (D("0.000006"), D("0.0000225"), D("0.0000075"),
                                        D("0.0000006"))
    gemini = default_table().lookup("gemini-2.5-pro")
    assert gemini is not None
    assert (gemini.input_tier, gemini.output_tier) == (D("0.0000025"), D("0.000015"))
    opus = default_table().lookup("claude-opus-4-20250514")
    assert opus is not None and opus.input_tier is None


def test_shipped_file_keeps_prices_as_strings_and_metadata() -> None:
    document = json.loads(SHIPPED_PATH.read_text(encoding="utf-8"))
    assert {"source", "generatedAt", "models"} <= set(document)
    assert len(document["models"]) == len(default_table()) > 3000
    for key, entry in document["models"].items():
        for field in ("input", "output"):
            assert isinstance(entry[field], str), key
        assert entry["cacheWrite"] is None or isinstance(entry["cacheWrite"], str), key
        assert list(entry) == sorted(entry), key
    assert list(document["models"]) == sorted(document["models"])


def test_shipped_lookup_of_aliases() -> None:
    t = default_table()
    assert t.lookup("claude-3.5-sonnet") == t.lookup("claude-3-5-sonnet-20241022")
    assert t.lookup("us.anthropic.claude-sonnet-4-20250514-v1:0") == t.get(
        "us.anthropic.claude-sonnet-4-20250514-v1:0")
    assert t.resolve("anthropic/claude-opus-4-1-20250805") == "claude-opus-4-1-20250805"
    assert t.resolve("gpt-4o-2024-08-06") is not None
    # Claude Code style record on the real Sonnet 4 price: same as the fixture figure.
    usage = Usage(input_tokens=1000, output_tokens=500, cache_creation_tokens=2000,
                  cache_read_tokens=10_000)
    assert cost_nanos("claude-sonnet-4-20250514", usage) == 21_000_000


def test_load_table_is_cached() -> None:
    assert load_table() is load_table(None) is load_table(SHIPPED_PATH) is default_table()


def test_import_is_pure() -> None:
    # A bare parent package stands in for burntop/__init__.py, which builds the Flask app.
    package = Path(__file__).resolve().parent.parent / "burntop"
    code = ("import sys, types; root = types.ModuleType('burntop'); "
            f"root.__path__ = [{str(package)!r}]; sys.modules['burntop'] = root; "
            "import burntop.pricing as p; p.default_table(); "
            "print(sorted(m for m in ('flask', 'requests', 'sqlalchemy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


# --- refresh -----------------------------------------------------------------------------------

LITELLM = {
    "sample_spec": {"input_cost_per_token": 0, "output_cost_per_token": 0, "mode": "chat"},
    "claude-x-1-20250101": {"litellm_provider": "anthropic", "mode": "chat",
                            "input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
                            "cache_creation_input_token_cost": 3.75e-06,
                            "cache_read_input_token_cost": 3e-07,
                            "input_cost_per_token_above_200k_tokens": 6e-06},
    "anthropic.claude-sonnet-9-20250202-v1:0": {
        "litellm_provider": "bedrock_converse", "mode": "chat",
        "input_cost_per_token": 1e-06, "output_cost_per_token": 5e-06},
    "us.anthropic.claude-sonnet-9-20250202-v1:0": {"litellm_provider": "bedrock_converse",
                                              "mode": "chat", "input_cost_per_token": 1.1e-06,
                                              "output_cost_per_token": 5.5e-06},
    "vertex_ai/claude-haiku-3@20250303": {
        "litellm_provider": "vertex_ai-anthropic_models", "mode": "chat",
        "input_cost_per_token": 8e-07, "output_cost_per_token": 4e-06},
    "anthropic.claude-x-1-20250101-v1:0": {"litellm_provider": "bedrock", "mode": "chat",
                                           "input_cost_per_token": 9e-06,
                                           "output_cost_per_token": 9e-06},
    "vertex_ai/claude-z": {"litellm_provider": "vertex_ai-anthropic_models", "mode": "chat",
                           "input_cost_per_token": 1e-06, "output_cost_per_token": 5e-06},
    "gemini-9-pro": {"litellm_provider": "vertex_ai-language-models", "mode": "chat",
                     "input_cost_per_token": 1.25e-06, "output_cost_per_token": 1e-05},
    "text-embedding-9": {"litellm_provider": "openai", "mode": "embedding",
                         "input_cost_per_token": 2e-08, "output_cost_per_token": 0},
    "no-output": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-06},
}


def test_decimal_string() -> None:
    assert decimal_string(3e-06) == "0.000003"
    assert decimal_string(3.75e-06) == "0.00000375"
    assert decimal_string(0) == "0"
    assert decimal_string(0.0) == "0"
    assert decimal_string(15) == "15"
    assert decimal_string("1e-7") == "0.0000001"
    assert decimal_string(2.9999900000000002e-06) == "0.0000029999900000000002"
    for bad in (None, True, "n/a", -1, float("nan")):
        assert decimal_string(bad) is None


def test_compact_entry() -> None:
    assert compact_entry("claude-x-1-20250101", LITELLM["claude-x-1-20250101"]) == {
        "provider": "anthropic", "input": "0.000003", "output": "0.000015",
        "cacheWrite": "0.00000375", "cacheRead": "0.0000003", "inputAbove200k": "0.000006"}
    assert compact_entry("gemini-9-pro", LITELLM["gemini-9-pro"]) == {
        "provider": "google", "input": "0.00000125", "output": "0.00001",
        "cacheWrite": None, "cacheRead": None}
    assert compact_entry("text-embedding-9", LITELLM["text-embedding-9"]) is None
    assert compact_entry("no-output", LITELLM["no-output"]) is None


def test_build_entries_recovers_plain_ids_from_aliases() -> None:
    direct, recovered = build_entries(LITELLM)
    assert "sample_spec" not in direct and "text-embedding-9" not in direct
    assert direct["anthropic.claude-sonnet-9-20250202-v1:0"]["provider"] == "anthropic"
    # plain Bedrock id preferred over the regional one
    assert recovered["claude-sonnet-9-20250202"]["input"] == "0.000001"
    assert recovered["claude-haiku-3-20250303"]["input"] == "0.0000008"
    # the plain id exists, so the alias does not replace it; undated ids are not recovered
    assert "claude-x-1-20250101" not in recovered
    assert "claude-z" not in recovered


def test_merge_never_drops_and_updates_changed_prices() -> None:
    old = {
        "kept-model": {"provider": "openai", "input": "1", "output": "1",
                       "cacheWrite": None, "cacheRead": None},
        "changed": {"provider": "openai", "input": "1", "output": "1",
                    "cacheWrite": None, "cacheRead": None},
        "same": {"provider": "openai", "input": "2", "output": "2",
                 "cacheWrite": None, "cacheRead": None},
        "claude-old-1-20240101": {"provider": "anthropic", "input": "5", "output": "5",
                                  "cacheWrite": None, "cacheRead": None},
    }
    direct = {
        "changed": {**old["changed"], "input": "3"},
        "same": dict(old["same"]),
        "new": {"provider": "openai", "input": "4", "output": "4",
                "cacheWrite": None, "cacheRead": None},
    }
    recovered = {"claude-old-1-20240101": {**old["claude-old-1-20240101"], "input": "9"},
                 "claude-new-1-20250101": {**old["claude-old-1-20240101"], "input": "7"}}
    merged, report = merge_models(old, direct, recovered)
    assert set(old) <= set(merged)
    assert merged["changed"]["input"] == "3"
    assert merged["claude-old-1-20240101"]["input"] == "5"
    assert merged["claude-new-1-20250101"]["input"] == "7"
    assert report.added == ["claude-new-1-20250101", "new"]
    assert report.updated == ["changed"]
    assert report.unchanged == ["same"]
    assert report.kept == ["claude-old-1-20240101", "kept-model"]
    assert report.total == 6


def test_refresh_table_writes_merged_file(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    stamp = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    first = refresh_table(LITELLM, "litellm 1.0.0", path, now=stamp)
    assert first.total == len(first.added) == 9
    newer = {key: value for key, value in LITELLM.items() if key != "gemini-9-pro"}
    newer["claude-x-1-20250101"] = {**LITELLM["claude-x-1-20250101"],
                                    "output_cost_per_token": 2e-05}
    second = refresh_table(newer, "litellm 2.0.0", path)
    assert second.kept == ["gemini-9-pro"] and second.updated == ["claude-x-1-20250101"]
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["source"]["merged"] == ["litellm 1.0.0", "litellm 2.0.0"]
    assert "gemini-9-pro" in document["models"]
    loaded = load_table(path)
    assert len(loaded) == 9
    assert loaded.lookup("claude-x-1")  # undated family name -> dated snapshot
    assert loaded.get("claude-x-1-20250101") == loaded.lookup("claude-x-1-20250101")
    assert getattr(loaded.get("claude-x-1-20250101"), "output", None) == D("0.00002")
    assert path.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["prices.json"]
    other = tmp_path / "other.json"
    assert refresh_table(LITELLM, "again", other, now=stamp).total == 9
    assert json.loads(other.read_text())["generatedAt"] == "2025-01-02T03:04:05Z"


def test_refresh_rejects_data_without_prices(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        refresh_table({"sample_spec": {}}, "empty", tmp_path / "prices.json")
    assert not (tmp_path / "prices.json").exists()


def test_write_atomic_keeps_old_file_on_failure(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "prices.json"
    path.write_text("old", encoding="utf-8")

    def fail(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        write_atomic(path, "new")
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["prices.json"]


def _wheel_bytes(data: dict) -> bytes:
    """A minimal zip shaped like a litellm wheel."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(LITELLM_MEMBER, json.dumps(data))
        archive.writestr("litellm/__init__.py", "")
    return buffer.getvalue()


def test_read_litellm_json_from_wheel_and_file(tmp_path: Path) -> None:
    wheel = tmp_path / "litellm-9.9.9-py3-none-any.whl"
    wheel.write_bytes(_wheel_bytes(LITELLM))
    assert read_litellm_json(wheel) == (LITELLM, "litellm 9.9.9")
    plain = tmp_path / "prices.json"
    plain.write_text(json.dumps(LITELLM), encoding="utf-8")
    assert read_litellm_json(plain) == (LITELLM, "file prices.json")


class _Response:
    def __init__(self, payload: object = None, content: bytes = b"") -> None:
        self.payload, self.content = payload, content

    def raise_for_status(self) -> None:
        pass

    def json(self) -> object:
        return self.payload


class _Session:
    """Stands in for requests.Session: PyPI metadata, then the wheel."""

    def __init__(self, wheel: bytes, digest: str) -> None:
        self.wheel, self.digest = wheel, digest
        self.urls: list[str] = []

    def get(self, url: str, timeout: float) -> _Response:
        self.urls.append(url)
        if url.endswith("/json"):
            return _Response({"info": {"version": "9.9.9"}, "urls": [
                {"packagetype": "sdist", "filename": "litellm-9.9.9.tar.gz", "url": "sdist"},
                {"packagetype": "bdist_wheel", "filename": "litellm-9.9.9-py3-none-any.whl",
                 "url": "wheel-url", "digests": {"sha256": self.digest}}]})
        return _Response(content=self.wheel)


def test_download_latest_wheel_checks_sha256() -> None:
    wheel = _wheel_bytes(LITELLM)
    session = _Session(wheel, hashlib.sha256(wheel).hexdigest())
    assert download_latest_wheel(session) == ("9.9.9", wheel)
    assert session.urls == ["https://pypi.org/pypi/litellm/json", "wheel-url"]
    with pytest.raises(ValueError):
        download_latest_wheel(_Session(wheel, "0" * 64))


def test_prices_refresh_command(tmp_path: Path) -> None:
    app = Flask(__name__)
    app.cli.add_command(prices_cli)
    source = tmp_path / "litellm.json"
    source.write_text(json.dumps(LITELLM), encoding="utf-8")
    table_path = tmp_path / "prices.json"
    result = app.test_cli_runner().invoke(
        args=["prices", "refresh", "--from", str(source), "--table", str(table_path)])
    assert result.exit_code == 0, result.output
    assert "9 added, 0 updated, 0 unchanged, 0 kept" in result.output
    assert len(load_table(table_path)) == 9
    bad = tmp_path / "empty.json"
    bad.write_text("{}", encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["prices", "refresh", "--from", str(bad), "--table", str(table_path)])
    assert result.exit_code == 1 and "no model with per-token text prices" in result.output
