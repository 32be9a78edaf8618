"""The registry of sources: one module per tool, each defining SOURCE."""
from __future__ import annotations

import importlib

from burntop.client.sources.base import Source

MODULES = (
    "claude_code", "codex", "gemini_cli", "qwen_cli", "opencode", "kilo", "cline", "roo_code", "kilo_code",
    "aider", "continue_dev", "cursor", "amp", "droid",
    "pi", "openclaw", "kimi_cli", "every_code", "gptme", "openhands",
)


def all_sources() -> list[Source]:
    """Every registered source; a misspelt or broken module fails loudly here, never silently."""
    return [importlib.import_module(f"burntop.client.sources.{module}").SOURCE for module in MODULES]


def select(names: tuple[str, ...] | list[str] | None) -> list[Source]:
    """The sources named (all when none); unknown names raise ValueError listing the known ones."""
    sources = all_sources()
    if not names:
        return sources
    by_name = {s.name: s for s in sources}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ValueError(f"unknown {'source' if len(unknown) == 1 else 'sources'} {', '.join(unknown)}; "
                         f"known: {', '.join(by_name)}")
    return [by_name[n] for n in names]
