"""The shipped price table: loading, model-name normalisation and lookup, provider derivation."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from .rules import MAX_RECORD_COST_NANOS, ModelPrice, Usage, price_nanos

SHIPPED_PATH = Path(__file__).with_name("prices.json")
SYNTHETIC = "<synthetic>"
_SYNTHETIC_PRICE = ModelPrice.from_rates("0", "0", "0", "0", provider="anthropic")

_ROUTE_PREFIX = re.compile(
    r"^(?:openrouter|anthropic|openai|bedrock|vertex_ai|google|gemini|azure|azure_ai|models)/"
)
# Bedrock region / mode path segments such as "us-east-1/", "invoke/", "converse/".
_BEDROCK_SEGMENT = re.compile(r"^(?:[a-z]{2}(?:-gov)?-[a-z]+-\d|invoke|converse)/")
_BEDROCK_ID = re.compile(r"^(?:(?:us|eu|apac|au|jp|ca|global|us-gov)\.)?anthropic\.")
_BEDROCK_VERSION = re.compile(r"-v\d+(?::\d+)?$")
_BEDROCK_COLON_VERSION = re.compile(r"-v\d+:\d+$")
_VERTEX_AT = re.compile(r"@([^@/]*)$")
_DATE_SUFFIX = re.compile(r"-(?:\d{8}|\d{4}-\d{2}-\d{2})$")
_DOT_VERSION = re.compile(r"(?<![\d.])(\d)\.(\d)(?![\d.])")
_DASH_VERSION = re.compile(r"(?<![\d.])(\d)-(\d)(?!\d)")

_NAME_VENDORS = tuple(
    (re.compile(pattern), vendor)
    for pattern, vendor in (
        (r"claude", "anthropic"),
        (r"gpt|chatgpt|codex|davinci|(?:^|[/.])o\d(?:-|$)", "openai"),
        (r"gemini|gemma|learnlm", "google"),
        (r"grok", "xai"),
        (r"deepseek", "deepseek"),
        (r"qwen|qwq", "alibaba"),
        (r"mistral|mixtral|codestral|devstral|magistral|ministral|pixtral", "mistral"),
        (r"glm", "zhipu"),
        (r"kimi|moonshot", "moonshot"),
        (r"llama", "meta"),
        (r"minimax", "minimax"),
        (r"nemotron", "nvidia"),
        (r"(?:^|[/.])phi-\d", "microsoft"),
    )
)
# Vendor spelled as a path segment ("openrouter/cohere/...") or a Bedrock id prefix ("ai21.j2").
_SEGMENT_VENDORS = {
    "ai21": "ai21", "amazon": "amazon", "amazon-nova": "amazon", "cohere": "cohere",
    "meta": "meta", "meta-llama": "meta", "microsoft": "microsoft", "nvidia": "nvidia",
    "mistralai": "mistral", "x-ai": "xai", "z-ai": "zhipu", "zai-org": "zhipu",
    "moonshotai": "moonshot", "deepseek-ai": "deepseek", "minimaxai": "minimax", "baidu": "baidu",
    "bytedance": "bytedance", "bytedance-seed": "bytedance", "perplexity": "perplexity",
    "ibm-granite": "ibm", "writer": "writer", "inception": "inception",
}
# Routes whose "route/model" keys are the vendor's own API, so a bare "model" means the same.
_FIRST_PARTY_ROUTES = frozenset(
    {"anthropic", "openai", "gemini", "xai", "deepseek", "mistral", "codestral", "moonshot",
     "zai", "dashscope", "cohere", "minimax"}
)
_SEGMENTS = re.compile(r"[/.]")
_ROUTE_VENDORS = {
    "gemini": "google", "vertex_ai": "google", "vertex_ai-language-models": "google",
    "vertex_ai-text-models": "google", "palm": "google", "dashscope": "alibaba",
    "qwen": "alibaba", "qwen_ai_platform": "alibaba", "qwencloud": "alibaba", "zai": "zhipu",
    "bigmodel": "zhipu", "llama": "meta", "codestral": "mistral", "amazon_nova": "amazon",
}


def vendor_from_name(model: str) -> str | None:
    """Vendor of a model by name pattern (claude -> anthropic, gpt/o3 -> openai, ...), else None."""
    low = model.strip().lower()
    for pattern, vendor in _NAME_VENDORS:
        if pattern.search(low):
            return vendor
    for segment in _SEGMENTS.split(low)[:-1]:
        if segment in _SEGMENT_VENDORS:
            return _SEGMENT_VENDORS[segment]
    return None


def vendor_for(model: str, litellm_provider: str | None) -> str:
    """Vendor stored for a table entry: by model name first, else LiteLLM's route normalised."""
    by_name = vendor_from_name(model)
    if by_name:
        return by_name
    route = (litellm_provider or "").strip().lower()
    if not route:
        return "unknown"
    route = re.sub(r"^vertex_ai-(\w+)_models$", r"\1", route)
    route = re.sub(r"^text-completion-|_chat$", "", route)
    return _ROUTE_VENDORS.get(route, route)


def _unwrap_steps(name: str) -> Iterator[str]:
    """Successively stripped forms: route prefixes, Bedrock region/id/version, Vertex @suffix."""
    current = name
    while True:
        step = _ROUTE_PREFIX.sub("", current, count=1)
        step = _BEDROCK_SEGMENT.sub("", step, count=1)
        if step == current:
            break
        current = step
        yield current
    bedrock = _BEDROCK_ID.sub("", current, count=1)
    version = _BEDROCK_VERSION if bedrock != current else _BEDROCK_COLON_VERSION
    bedrock = version.sub("", bedrock)
    if bedrock != current:
        current = bedrock
        yield current
    at = _VERTEX_AT.search(current)
    if at:
        stem = current[: at.start()]
        if at.group(1).isdigit():
            yield f"{stem}-{at.group(1)}"
        current = stem
        yield current
    if "/" in current:
        yield current.rsplit("/", 1)[1]


def _separator_variants(name: str) -> tuple[str, ...]:
    """The name with version separators as dashes (3-5) and as dots (3.5)."""
    return (_DOT_VERSION.sub(r"\1-\2", name), _DASH_VERSION.sub(r"\1.\2", name))


@lru_cache(maxsize=16384)
def _candidates(name: str) -> tuple[str, ...]:
    """Lookup keys for name in order, without duplicates."""
    seen: dict[str, None] = {}
    seen[name] = None
    low = name.strip().lower()
    seen[low] = None
    base = low
    for step in _unwrap_steps(low):
        seen[step] = None
        base = step
    forms = (base, *_separator_variants(base))
    for form in forms:
        seen[form] = None
    for form in forms:
        seen[_DATE_SUFFIX.sub("", form)] = None
        unlatest = form.removesuffix("-latest")
        seen[unlatest] = None
        seen[_DATE_SUFFIX.sub("", unlatest)] = None
    seen.pop("", None)
    return tuple(seen)


def normalize_model(name: str) -> list[str]:
    """Candidate table keys for a model name, in lookup order (exact first)."""
    return list(_candidates(name))


def _date_key(key: str) -> str:
    """Trailing date of a key as YYYYMMDD for ordering snapshots."""
    match = _DATE_SUFFIX.search(key)
    return match.group(0).replace("-", "") if match else ""


class PriceTable:
    """Model prices keyed by table id, with normalised, cached name resolution."""

    def __init__(
        self, prices: Mapping[str, ModelPrice], meta: Mapping[str, Any] | None = None
    ) -> None:
        """Index prices; undated names map to the latest dated snapshot, bare names to vendor keys."""
        self._prices = dict(prices)
        self.meta = dict(meta or {})
        names: dict[str, str] = {}
        for key in sorted(self._prices, key=_date_key):
            undated = _DATE_SUFFIX.sub("", key)
            if undated != key:
                names[undated] = key
        for key in sorted(self._prices):
            route, _, bare = key.partition("/")
            if route in _FIRST_PARTY_ROUTES and "/" not in bare:
                names[bare] = key
        names.update((key, key) for key in self._prices)
        self._names = names
        self._resolve_cached = lru_cache(maxsize=16384)(self._resolve)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PriceTable:
        """Table from the prices.json structure ({"models": {id: entry}} plus metadata)."""
        prices = {key: entry_to_price(entry) for key, entry in data.get("models", {}).items()}
        meta = {key: value for key, value in data.items() if key != "models"}
        return cls(prices, meta)

    def _resolve(self, model: str) -> str | None:
        """First candidate of model that names an entry."""
        if model.strip() == SYNTHETIC:
            return SYNTHETIC
        names = self._names
        for candidate in _candidates(model):
            key = names.get(candidate)
            if key is not None:
                return key
        return None

    def resolve(self, model: str) -> str | None:
        """Table key used for model, or None when unknown."""
        return self._resolve_cached(model)

    def lookup(self, model: str) -> ModelPrice | None:
        """Price of model after normalisation, or None when unknown (never guessed)."""
        key = self._resolve_cached(model)
        if key is None:
            return None
        if key == SYNTHETIC:
            return _SYNTHETIC_PRICE
        return self._prices[key]

    def get(self, key: str) -> ModelPrice | None:
        """Price stored under exactly key."""
        return self._prices.get(key)

    def keys(self) -> list[str]:
        """All table keys, sorted."""
        return sorted(self._prices)

    def __contains__(self, key: object) -> bool:
        """Whether key is exactly a table key."""
        return key in self._prices

    def __len__(self) -> int:
        """Number of priced models."""
        return len(self._prices)


def entry_to_price(entry: Mapping[str, Any]) -> ModelPrice:
    """ModelPrice from one compact JSON entry (decimal strings, null when absent)."""
    return ModelPrice.from_rates(
        entry["input"], entry["output"], entry.get("cacheWrite"), entry.get("cacheRead"),
        input_tier=entry.get("inputAbove200k"), output_tier=entry.get("outputAbove200k"),
        cache_write_tier=entry.get("cacheWriteAbove200k"),
        cache_read_tier=entry.get("cacheReadAbove200k"),
        provider=entry.get("provider") or "unknown",
    )


@lru_cache(maxsize=8)
def _load_cached(path: str) -> PriceTable:
    """Parse the table file at path once."""
    with open(path, encoding="utf-8") as handle:
        return PriceTable.from_json(json.load(handle))


def load_table(path: str | os.PathLike[str] | None = None) -> PriceTable:
    """Load a prices.json (default: the shipped one); cached per resolved path."""
    return _load_cached(os.path.realpath(SHIPPED_PATH if path is None else path))


def clear_table_cache() -> None:
    """Forget loaded tables, so the next load reads the file again (after a refresh)."""
    _load_cached.cache_clear()


def default_table() -> PriceTable:
    """The cached shipped table."""
    return load_table()


def provider_for(model: str, table: PriceTable | None = None) -> str:
    """Vendor of model: from the table when known, else by name pattern, else "unknown"."""
    price = (default_table() if table is None else table).lookup(model)
    if price is not None and price.provider != "unknown":
        return price.provider
    return vendor_from_name(model) or "unknown"


def cost_nanos(model: str, usage: Usage, table: PriceTable | None = None) -> int | None:
    """Integer nano-USD for one record, half-even; None (unpriced) when the model is unknown or the
    cost is above MAX_RECORD_COST_NANOS, which only a wrong price can produce."""
    price = (default_table() if table is None else table).lookup(model)
    if price is None:
        return None
    nanos = price_nanos(usage, price)
    return nanos if nanos <= MAX_RECORD_COST_NANOS else None
