"""How the Cline family's ``tokensIn`` relates to its cache reads and writes, per writer.

Each extension stores, per request, ``tokensIn``, ``tokensOut``, ``cacheWrites`` and ``cacheReads``
summed from its provider handler's usage chunks. What ``tokensIn`` holds depends on the handler
(read from the writers: cline/cline ``src/core/api/providers/*.ts`` up to its 2026 SDK rewrite,
RooCodeInc/Roo-Code ``Task.ts`` and ``shared/cost.ts``; Kilo Code is Roo's fork):

- Cline, no ``apiProtocol`` field; the provider comes with the model (see ``vscode_tasks``):
  - uncached input (cache excluded): Anthropic, Claude Code, Bedrock, Vertex, MiniMax, AIHubMix
    (Anthropic usage), OpenRouter, Cline, Vercel AI Gateway, Groq, Moonshot, Gemini, OpenAI native
    (``nonCachedInputTokens``), DeepSeek, and any unknown provider;
  - prompt tokens with the cached ones inside: OpenAI-compatible (``openai``), Requesty, LiteLLM,
    LM Studio, xAI, Z.ai, Doubao, Qwen, Fireworks, HiCap, OCA, OpenAI Codex (and the providers that
    report no cache at all, where it makes no difference);
  - cache misses stored as ``cacheWrites`` (DeepSeek-style ``prompt_cache_miss_tokens``: uncached
    input at the input price, no cache is written): DeepSeek, OpenAI-compatible, Doubao, Qwen,
    Fireworks, HiCap, xAI; LiteLLM and OCA store either the misses or a real
    ``cache_creation_input_tokens``: misses when ``tokensIn`` is exactly reads + writes (the
    DeepSeek shape, prompt = hits + misses).
- Roo Code and Kilo Code write ``apiProtocol``: with ``"openai"`` ``tokensIn`` is the total input
  (``calculateApiCostOpenAI`` subtracts reads and writes from it); their DeepSeek handler stores the
  cache misses as ``cacheWrites`` (a DeepSeek model id tells). With ``"anthropic"`` older versions
  wrote the uncached input, newer ones the total (``calculateApiCostAnthropic`` returns
  ``totalInputTokens``): a total is never below its cache parts.

And for every writer: a row whose ``tokensIn`` is smaller than its cache reads plus writes cannot
include them, so it is read as uncached input; nothing is clamped (each such row is noted, see
``burntop stats --explain``). Cache misses are moved back into input and are not cache writes.
"""
from __future__ import annotations

CLINE_INCLUSIVE = frozenset({"openai", "requesty", "litellm", "lmstudio", "xai", "zai", "doubao", "qwen",
                             "fireworks", "hicap", "oca", "openai-codex"})
CLINE_MISSES = frozenset({"deepseek", "openai", "doubao", "qwen", "fireworks", "hicap", "xai"})
CLINE_MISSES_IF_EXACT = frozenset({"litellm", "oca"})

NOTE_EXCLUSIVE = "tokensIn smaller than its cache reads + writes: read as uncached input"
NOTE_MISSES = "cacheWrites holding cache misses: counted as input"


def split(tokens_in: int, writes: int, reads: int, protocol: object, provider: str | None,
          model: str) -> tuple[int, int, list[str]]:
    """(uncached input, cache writes, notes) of one request's logged counts."""
    if protocol == "openai":
        inclusive, misses = True, bool(writes) and "deepseek" in model.lower()
    elif protocol == "anthropic":
        inclusive, misses = True, False
    else:
        inclusive = provider in CLINE_INCLUSIVE
        misses = bool(writes) and (provider in CLINE_MISSES
                                   or (provider in CLINE_MISSES_IF_EXACT and tokens_in == reads + writes))
    notes = []
    if inclusive and tokens_in < reads + writes:
        inclusive = False  # for Roo's anthropic protocol: the older writer
        notes.append(NOTE_EXCLUSIVE)
    if misses:
        notes.append(NOTE_MISSES)
        return (tokens_in - reads if inclusive else tokens_in + writes), 0, notes
    return (tokens_in - reads - writes if inclusive else tokens_in), writes, notes
