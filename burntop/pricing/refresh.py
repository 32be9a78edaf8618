"""Build and merge the shipped price table from LiteLLM's model price JSON."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .rules import MAX_TOKEN_PRICE
from .table import SHIPPED_PATH, clear_table_cache, vendor_for

LITELLM_MEMBER = "litellm/model_prices_and_context_window_backup.json"
PYPI_URL = "https://pypi.org/pypi/litellm/json"
SOURCE_NAME = "LiteLLM model_prices_and_context_window_backup.json (PyPI wheel)"
TEXT_MODES = frozenset({"chat", "completion", "responses"})
# Table entry field -> LiteLLM field.
LITELLM_FIELDS = {
    "input": "input_cost_per_token",
    "output": "output_cost_per_token",
    "cacheWrite": "cache_creation_input_token_cost",
    "cacheRead": "cache_read_input_token_cost",
    "inputAbove200k": "input_cost_per_token_above_200k_tokens",
    "outputAbove200k": "output_cost_per_token_above_200k_tokens",
    "cacheWriteAbove200k": "cache_creation_input_token_cost_above_200k_tokens",
    "cacheReadAbove200k": "cache_read_input_token_cost_above_200k_tokens",
}
_OPTIONAL_FIELDS = (
    "inputAbove200k", "outputAbove200k", "cacheWriteAbove200k", "cacheReadAbove200k"
)
_BEDROCK_ALIAS = re.compile(
    r"^(?P<route>bedrock/(?:[^/]+/)*)?(?:(?P<region>[a-z]{2,6}(?:-gov)?)\.)?"
    r"anthropic\.(?P<model>claude-[^@:/]+?)(?:-v\d+(?::\d+)?)?$"
)
_VERTEX_ALIAS = re.compile(r"^vertex_ai/(?P<model>claude-[^@/]+)@(?P<date>\d{8})$")
_RECOVERABLE = re.compile(r"^claude-(?:\d|sonnet|opus|haiku).*-\d{8}$")
_WHEEL_VERSION = re.compile(r"^litellm-([^-]+)-")

Entry = dict[str, str | None]


@dataclass
class MergeReport:
    """What a refresh did to the table."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)  # model -> why its prices are implausible
    total: int = 0

    def summary(self) -> str:
        """One line of counts for the CLI."""
        return (f"{len(self.added)} added, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged, {len(self.kept)} kept (no longer upstream), "
                f"{len(self.dropped)} dropped (implausible prices); {self.total} models in the table")


def decimal_string(value: Any) -> str | None:
    """A LiteLLM number as a plain decimal string ("0.000003"), None when absent or invalid."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        # repr() of a float is its shortest round-trip form, so 3e-06 becomes exactly 0.000003.
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    except InvalidOperation:
        return None
    if not number.is_finite() or number < 0:
        return None
    return format(number.normalize(), "f")


def compact_entry(model: str, raw: Any) -> Entry | None:
    """Compact table entry for one LiteLLM entry, or None when it has no per-token text prices."""
    if not isinstance(raw, Mapping) or raw.get("mode") not in TEXT_MODES | {None}:
        return None
    entry = {name: decimal_string(raw.get(source)) for name, source in LITELLM_FIELDS.items()}
    if entry["input"] is None or entry["output"] is None:
        return None
    for name in _OPTIONAL_FIELDS:
        if entry[name] is None:
            del entry[name]
    entry["provider"] = vendor_for(model, raw.get("litellm_provider"))
    return entry


def implausible(entry: Entry) -> str | None:
    """Why an entry's prices cannot be list prices per token, or None when every one is plausible."""
    for name in LITELLM_FIELDS:
        value = entry.get(name)
        if value is None:
            continue
        price = Decimal(value)
        if not 0 <= price <= MAX_TOKEN_PRICE:
            per_million = format((price * 1_000_000).normalize(), ",f")
            return (f"{name} ${value} per token (${per_million} per million) is outside the plausible "
                    f"0 to ${MAX_TOKEN_PRICE} per token ($1,000 per million)")
    return None


def drop_implausible(models: Mapping[str, Entry]) -> tuple[dict[str, Entry], dict[str, str]]:
    """The entries whose prices are plausible, and the others with the reason each is dropped.

    A dropped model is unknown to burntop, so it costs 0 and is reported as unpriced (never guessed).
    """
    kept: dict[str, Entry] = {}
    dropped: dict[str, str] = {}
    for key, entry in models.items():
        reason = implausible(entry)
        if reason is None:
            kept[key] = entry
        else:
            dropped[key] = reason
    return kept, dropped


def _alias_target(key: str) -> tuple[str, int] | None:
    """Plain dated Claude id behind a Bedrock/Vertex alias id, with a rank (lower is preferred)."""
    match = _BEDROCK_ALIAS.match(key)
    if match:
        plain = match["model"]
        region = match["region"]
        # Plain Bedrock ids carry list prices; regional and routed ones may carry a surcharge.
        rank = 4 if match["route"] else 0 if region is None else 1 if region == "global" else 3
    else:
        match = _VERTEX_ALIAS.match(key)
        if not match:
            return None
        plain, rank = f"{match['model']}-{match['date']}", 2
    return (plain, rank) if _RECOVERABLE.match(plain) else None


def build_entries(litellm: Mapping[str, Any]) -> tuple[dict[str, Entry], dict[str, Entry]]:
    """Compact entries from LiteLLM JSON, and plain Claude ids recovered from alias ids."""
    direct: dict[str, Entry] = {}
    for key, raw in litellm.items():
        if key == "sample_spec":
            continue
        entry = compact_entry(key, raw)
        if entry is not None:
            direct[key] = entry
    best: dict[str, tuple[int, str]] = {}
    for key in sorted(direct):
        target = _alias_target(key)
        if target is None or target[0] in direct:
            continue
        plain, rank = target
        if plain not in best or rank < best[plain][0]:
            best[plain] = (rank, key)
    recovered = {
        plain: {**direct[key], "provider": "anthropic"} for plain, (_, key) in best.items()
    }
    return direct, recovered


def merge_models(
    old: Mapping[str, Entry], direct: Mapping[str, Entry], recovered: Mapping[str, Entry]
) -> tuple[dict[str, Entry], MergeReport]:
    """Merge new entries into old ones: never drop a model; recovered ids only fill gaps."""
    merged = dict(old)
    report = MergeReport()
    for key, entry in direct.items():
        if key not in old:
            report.added.append(key)
        elif old[key] != entry:
            report.updated.append(key)
        else:
            report.unchanged.append(key)
        merged[key] = entry
    for key, entry in recovered.items():
        if key in direct:
            continue
        if key not in old:
            merged[key] = entry
            report.added.append(key)
        elif old[key] == entry:
            report.unchanged.append(key)
    still = set(report.unchanged)
    report.kept = sorted(key for key in old if key not in direct and key not in still)
    report.added.sort()
    report.updated.sort()
    report.unchanged.sort()
    report.total = len(merged)
    return merged, report


def read_litellm_json(path: str | os.PathLike[str]) -> tuple[dict[str, Any], str]:
    """LiteLLM price JSON from a .json file or a litellm wheel, with a source label."""
    path = Path(path)
    if zipfile.is_zipfile(path):
        match = _WHEEL_VERSION.match(path.name)
        label = f"litellm {match.group(1)}" if match else f"wheel {path.name}"
        return json_from_wheel(path.read_bytes()), label
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data, f"file {path.name}"


def json_from_wheel(wheel: bytes) -> dict[str, Any]:
    """The price JSON inside a litellm wheel, read in memory (litellm is never imported)."""
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
        data: dict[str, Any] = json.loads(archive.read(LITELLM_MEMBER))
    return data


def download_latest_wheel(session: Any = None, timeout: float = 120.0) -> tuple[str, bytes]:
    """Download the newest litellm wheel from PyPI, checked against its sha256; (version, bytes)."""
    import requests  # here, so that importing the price module never loads the network stack

    http = session if session is not None else requests.Session()
    response = http.get(PYPI_URL, timeout=timeout)
    response.raise_for_status()
    release = response.json()
    wheels = [item for item in release["urls"] if item.get("packagetype") == "bdist_wheel"]
    if not wheels:
        raise ValueError(f"no wheel for litellm {release['info']['version']} on PyPI")
    # Every wheel of a release ships the same JSON; a pure one is simply the most portable pick.
    wheel = next((item for item in wheels if item["filename"].endswith("-none-any.whl")), wheels[0])
    download = http.get(wheel["url"], timeout=timeout)
    download.raise_for_status()
    data = download.content
    expected = wheel.get("digests", {}).get("sha256")
    if expected and hashlib.sha256(data).hexdigest() != expected:
        raise ValueError(f"sha256 mismatch for {wheel['filename']}")
    return release["info"]["version"], data


def dumps_table(document: Mapping[str, Any]) -> str:
    """The table as JSON with sorted keys and one model per line, for small stable diffs."""
    lines = ["{"]
    for key in sorted(k for k in document if k != "models"):
        lines.append(f"  {json.dumps(key)}: {json.dumps(document[key], sort_keys=True)},")
    lines.append('  "models": {')
    models = sorted(document.get("models", {}).items())
    for index, (key, entry) in enumerate(models):
        comma = "," if index < len(models) - 1 else ""
        lines.append(f"    {json.dumps(key)}: {json.dumps(entry, sort_keys=True)}{comma}")
    lines.extend(["  }", "}", ""])
    return "\n".join(lines)


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write text to path via a temporary file in the same folder and os.replace."""
    target = Path(path)
    handle, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        # mkstemp creates 0600; a shipped data file must stay readable like any other.
        os.chmod(tmp, target.stat().st_mode & 0o777 if target.exists() else 0o644)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def refresh_table(
    litellm: Mapping[str, Any],
    label: str,
    path: str | os.PathLike[str] = SHIPPED_PATH,
    now: datetime | None = None,
) -> MergeReport:
    """Merge LiteLLM data into the table file at path and rewrite it atomically."""
    direct, recovered = build_entries(litellm)
    if not direct:
        raise ValueError(f"{label}: no model with per-token text prices found")
    target = Path(path)
    old: dict[str, Any] = {}
    if target.exists():
        old = json.loads(target.read_text(encoding="utf-8"))
    merged, report = merge_models(old.get("models", {}), direct, recovered)
    merged, report.dropped = drop_implausible(merged)
    for name in ("added", "updated", "unchanged", "kept"):
        setattr(report, name, [key for key in getattr(report, name) if key not in report.dropped])
    report.total = len(merged)
    source = dict(old.get("source") or {"name": SOURCE_NAME, "merged": []})
    history = list(source.get("merged", []))
    source["merged"] = history if history[-1:] == [label] else [*history, label]
    stamp = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    document = {
        "generatedAt": stamp.isoformat().replace("+00:00", "Z"),
        "source": source,
        "models": merged,
    }
    write_atomic(target, dumps_table(document))
    clear_table_cache()
    return report
