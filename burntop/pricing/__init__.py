"""Model prices shared by the server and the CLI client: pure, no Flask, no database, no network."""

from .rules import TIER_THRESHOLD, ModelPrice, Usage, cost_usd
from .table import (
    PriceTable,
    cost_nanos,
    default_table,
    load_table,
    normalize_model,
    provider_for,
)

__all__ = [
    "TIER_THRESHOLD",
    "ModelPrice",
    "PriceTable",
    "Usage",
    "cost_nanos",
    "cost_usd",
    "default_table",
    "load_table",
    "normalize_model",
    "provider_for",
]
