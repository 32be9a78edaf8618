"""Pure plausibility bounds: what no honest client can report, so only forged or broken data fails them.

Every bound is a physical ceiling, never a cap on heavy use:
- prompt tokens per response (input + cache creation + cache reads) within the model's context window,
  output tokens within its output limit. The shipped price table has no window sizes, so they are kept
  here per vendor at the largest window that vendor sells (a model's own window is never larger);
  other vendors are bounded by the largest window on the market (10M tokens, Llama 4 Scout);
- tokens per machine per local day within RATE_TOKENS_PER_MACHINE_DAY: 5 billion, i.e. 58,000 tokens a
  second for 24 hours on one machine, more than ten agents each reading a full 200k-token context
  every 35 seconds all day long; the heaviest honest users report hundreds of millions a day;
- cost per response within the price ceiling: a response that would cost more than MAX_RECORD_COST_NANOS
  ($1,000) at list price is flagged (it is stored unpriced, as burntop.pricing does). The floor is $0: the
  server prices every record itself from the table, so a priced record always costs what its tokens cost.
- negative counts and timestamps more than a day ahead are refused with a 400 by burntop.sync.schema,
  never stored, so they need no flag.
"""
from __future__ import annotations

from dataclasses import dataclass

from burntop.format import compact, number, tokens, usd
from burntop.pricing.rules import MAX_RECORD_COST_NANOS

# vendor -> (context window: prompt tokens per response, output tokens per response)
WINDOWS = {
    "anthropic": (1_000_000, 128_000),   # Claude Sonnet 4/4.5 1M-context; Claude 3.7 Sonnet's 128k output
    "openai": (1_047_576, 128_000),      # GPT-4.1's window; GPT-5's 128k output
    "google": (2_097_152, 65_536),       # Gemini 1.5 Pro's 2M window; Gemini 2.5's 64k output
    "xai": (2_000_000, 256_000),         # Grok 4 Fast's 2M window
}
ANY_WINDOW = (10_485_760, 10_485_760)    # the largest window sold (Llama 4 Scout, 10M)
RATE_TOKENS_PER_MACHINE_DAY = 5_000_000_000
COST_CEILING_NANOS = MAX_RECORD_COST_NANOS

RULES = {
    "context_window": "prompt tokens of one response above the model's context window",
    "output_limit": "output tokens of one response above the model's output limit",
    "cost_ceiling": "one response costs more than the price ceiling at list price",
    "machine_day_rate": "tokens of one machine in one local day above the documented rate",
}


@dataclass(frozen=True)
class Finding:
    rule: str
    observed: int
    bound: int


def window(vendor: str) -> tuple[int, int]:
    return WINDOWS.get(vendor, ANY_WINDOW)


def record_findings(vendor: str, input_tokens: int, output_tokens: int, cache_creation_tokens: int,
                    cache_read_tokens: int, over_cost_ceiling: bool = False, cost_nanos: int = 0) -> list[Finding]:
    """The bounds one response fails (usually none). `vendor` comes from the model name, never the client."""
    prompt_limit, output_limit = window(vendor)
    prompt = input_tokens + cache_creation_tokens + cache_read_tokens
    found = []
    if prompt > prompt_limit:
        found.append(Finding("context_window", prompt, prompt_limit))
    if output_tokens > output_limit:
        found.append(Finding("output_limit", output_tokens, output_limit))
    if over_cost_ceiling:
        found.append(Finding("cost_ceiling", cost_nanos, COST_CEILING_NANOS))
    return found


def day_finding(tokens: int) -> Finding | None:
    """A machine's tokens over one local day, checked against the rate."""
    if tokens > RATE_TOKENS_PER_MACHINE_DAY:
        return Finding("machine_day_rate", tokens, RATE_TOKENS_PER_MACHINE_DAY)
    return None


def describe(rule: str, observed: int, bound: int) -> str:
    """One line of evidence: which bound and by how much."""
    ratio = number(observed / bound, 2) if bound else "∞"
    if rule == "cost_ceiling":
        return f"{usd(observed / 1e9)} for one response; the ceiling is {usd(bound / 1e9)} ({ratio}x)"
    unit = "in one local day on one machine" if rule == "machine_day_rate" else "in one response"
    return f"{tokens(observed)} {unit}; the bound is {compact(bound)} ({ratio}x)"
