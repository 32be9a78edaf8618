"""Pure cost rules: token usage times per-token USD prices, exact in Decimal.

Rules (each pinned by a hand-computed test in tests/test_pricing.py):
- cost = input*in + output*out + cacheWrite*cw + cacheRead*cr, all per token.
- Tiers: in each category separately, the tokens above TIER_THRESHOLD (200,000) are priced at that
  category's tier price when the table has one; a category without a tier price stays at base.
- 1-hour cache writes: the cache_creation_1h_tokens part of cache creation costs 2x the input price
  (2x the input tier above the threshold); the 5-minute rest costs the cache-write price. The two
  parts are tiered each on its own count. With no known split (1h = 0) all of it is 5-minute.
- Missing cache prices default to 1.25x input (write) and 0.1x input (read).
- Reasoning tokens are part of output_tokens; there is no separate argument, so never counted twice.
- cost_nanos rounds the exact cost to integer nano-USD (1e-9), half-even, once per record.
- Plausibility: a per-token price lies in [0, MAX_TOKEN_PRICE]; the table is built without entries
  outside it (burntop.pricing.refresh), and a record costing more than MAX_RECORD_COST_NANOS is treated
  as unpriced (burntop.pricing.table.cost_nanos), so a bad price can never overflow a sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

TIER_THRESHOLD = 200_000
NANOS_PER_USD = 10**9
CACHE_WRITE_FACTOR = Decimal("1.25")
CACHE_READ_FACTOR = Decimal("0.1")
ONE_HOUR_WRITE_FACTOR = 2
# The highest plausible list price of one token: $0.001, i.e. $1,000 per million tokens. The dearest
# real prices are o1-pro's $600 per million output tokens and the GPT-5 pro models' $180-270; a price
# above the bound is an upstream data error (a price per thousand or per million tokens entered per token).
MAX_TOKEN_PRICE = Decimal("0.001")
# No single model response costs $1,000 at list prices (o1-pro with a 200k prompt and 100k of output
# costs about $90), so a record above it was priced from a wrong price and is not trusted.
MAX_RECORD_COST_NANOS = 1_000 * NANOS_PER_USD

Rate = Decimal | str | int


@dataclass(frozen=True)
class Usage:
    """Token counts of one usage record; reasoning tokens are already inside output_tokens."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_tokens: int = 0
    cache_read_tokens: int = 0
    cache_creation_1h_tokens: int = 0

    def __post_init__(self) -> None:
        """Reject negative or non-int counts and a 1-hour part larger than all cache creation."""
        i, o, cc, cr, h = counts = (self.input_tokens, self.output_tokens,
                                    self.cache_creation_tokens, self.cache_read_tokens,
                                    self.cache_creation_1h_tokens)
        # One inline check keeps construction cheap: sync builds 10,000 of these per request.
        if (type(i) is int and type(o) is int and type(cc) is int and type(cr) is int
                and type(h) is int and i >= 0 and o >= 0 and cr >= 0 and 0 <= h <= cc):
            return
        for name, value in zip(_USAGE_FIELDS, counts, strict=True):
            if type(value) is not int or value < 0:
                raise ValueError(f"{name} must be a non-negative int, got {value!r}")
        raise ValueError("cache_creation_1h_tokens must not exceed cache_creation_tokens")


_USAGE_FIELDS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens",
                 "cache_creation_1h_tokens")


@dataclass(frozen=True)
class ModelPrice:
    """USD per token for one model; cache prices already defaulted, tier prices apply above 200k."""

    input: Decimal
    output: Decimal
    cache_write: Decimal
    cache_read: Decimal
    input_tier: Decimal | None = None
    output_tier: Decimal | None = None
    cache_write_tier: Decimal | None = None
    cache_read_tier: Decimal | None = None
    provider: str = "unknown"

    @classmethod
    def from_rates(
        cls,
        input: Rate,
        output: Rate,
        cache_write: Rate | None = None,
        cache_read: Rate | None = None,
        *,
        input_tier: Rate | None = None,
        output_tier: Rate | None = None,
        cache_write_tier: Rate | None = None,
        cache_read_tier: Rate | None = None,
        provider: str = "unknown",
    ) -> ModelPrice:
        """Price from decimal strings; cache write defaults to 1.25x input, cache read to 0.1x."""
        base = Decimal(input)
        return cls(
            input=base,
            output=Decimal(output),
            cache_write=base * CACHE_WRITE_FACTOR if cache_write is None else Decimal(cache_write),
            cache_read=base * CACHE_READ_FACTOR if cache_read is None else Decimal(cache_read),
            input_tier=_opt(input_tier),
            output_tier=_opt(output_tier),
            cache_write_tier=_opt(cache_write_tier),
            cache_read_tier=_opt(cache_read_tier),
            provider=provider,
        )

    @cached_property
    def _scaled(self) -> _Scaled:
        """Integer form of the prices, computed once per price for fast exact sums."""
        return _Scaled.of(self)


def _opt(value: Rate | None) -> Decimal | None:
    """Decimal of value, keeping None."""
    return None if value is None else Decimal(value)


@dataclass(frozen=True)
class _Scaled:
    """Every rate multiplied by 10**exp so that cost sums are plain (exact, fast) integers."""

    exp: int
    input: int
    output: int
    write: int
    read: int
    write_1h: int
    input_tier: int | None
    output_tier: int | None
    write_tier: int | None
    read_tier: int | None
    write_1h_tier: int | None

    @classmethod
    def of(cls, p: ModelPrice) -> _Scaled:
        """Scale all rates of p by the smallest power of ten that makes each an integer."""
        one_h = p.input * ONE_HOUR_WRITE_FACTOR
        one_h_tier = None if p.input_tier is None else p.input_tier * ONE_HOUR_WRITE_FACTOR
        base = (p.input, p.output, p.cache_write, p.cache_read, one_h)
        tiers = (p.input_tier, p.output_tier, p.cache_write_tier, p.cache_read_tier, one_h_tier)
        exp = max(0, *(-int(r.as_tuple().exponent) for r in (*base, *tiers) if r is not None))
        i, o, w, r, w1 = (int(rate.scaleb(exp)) for rate in base)
        it, ot, wt, rt, w1t = (None if rate is None else int(rate.scaleb(exp)) for rate in tiers)
        return cls(exp, i, o, w, r, w1, it, ot, wt, rt, w1t)


def _tiered(tokens: int, base: int, tier: int | None) -> int:
    """Tokens up to the threshold at base, the part above it at tier (base when no tier)."""
    if tier is None or tokens <= TIER_THRESHOLD:
        return tokens * base
    return TIER_THRESHOLD * base + (tokens - TIER_THRESHOLD) * tier


def _scaled_cost(usage: Usage, price: ModelPrice) -> tuple[int, int]:
    """Cost times 10**exp as an exact integer, with exp."""
    s = price._scaled
    one_hour = usage.cache_creation_1h_tokens
    five_min = usage.cache_creation_tokens - one_hour
    total = (
        _tiered(usage.input_tokens, s.input, s.input_tier)
        + _tiered(usage.output_tokens, s.output, s.output_tier)
        + _tiered(five_min, s.write, s.write_tier)
        + _tiered(usage.cache_read_tokens, s.read, s.read_tier)
    )
    if one_hour:
        total += _tiered(one_hour, s.write_1h, s.write_1h_tier)
    return total, s.exp


def cost_usd(usage: Usage, price: ModelPrice) -> Decimal:
    """Exact unrounded USD: each category tiered on its own count; 1h cache writes at 2x input."""
    total, exp = _scaled_cost(usage, price)
    return Decimal(f"{total}E-{exp}")


def round_half_even(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to an integer, ties to even."""
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2):
        quotient += 1
    return quotient


def price_nanos(usage: Usage, price: ModelPrice) -> int:
    """Cost in integer nano-USD, rounded half-even once per record."""
    total, exp = _scaled_cost(usage, price)
    if exp <= 9:
        return total * int(10 ** (9 - exp))
    return round_half_even(total, int(10 ** (exp - 9)))
