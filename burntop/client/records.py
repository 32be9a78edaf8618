"""The client's usage record: one model response, as the sources read it from a tool's logs."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone


@dataclass(slots=True)
class Record:
    """One model response. Token fields follow DESIGN.md: input excludes cache reads and writes,
    reasoning is a part of output, the 1-hour cache write is a part of cache creation."""

    source: str
    request_id: str          # stable across runs and machines: derived from the tool's own ids
    timestamp: datetime      # aware, UTC
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_tokens: int = 0
    cache_read_tokens: int = 0
    cache_creation_1h_tokens: int = 0
    reasoning_tokens: int = 0
    logged_cost: float | None = None   # USD the tool itself logged, if it logs one (for --mode)
    session_id: str | None = None
    project: str | None = None         # raw project key (a path); hashed before it leaves the machine
    provider: str | None = None
    model_estimated: bool = False      # the model is a documented default, not read from the log
    latency_ms: int | None = None
    success: bool | None = None
    priority: int = 0                  # among copies of one response the higher wins (e.g. the main-chain copy)
    extra: dict = field(default_factory=dict)  # parser-private, never uploaded

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_creation_tokens + self.cache_read_tokens

    def usage_size(self) -> tuple[int, int, int]:
        """Ordering used to keep one copy among duplicates of one response: the preferred copy, then
        the largest usage."""
        return (self.priority, self.total_tokens, self.output_tokens)

    def to_payload(self, salt: str, machine_id: str | None = None) -> dict:
        """The JSON record POST /api/sync takes: no paths, no text, the project as a salted hash."""
        payload = {
            "timestamp": self.timestamp.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"),
            "model": self.model,
            "source": self.source,
            "requestId": self.request_id,
            "inputTokens": self.input_tokens,
            "outputTokens": self.output_tokens,
            "cacheCreationTokens": self.cache_creation_tokens,
            "cacheReadTokens": self.cache_read_tokens,
        }
        optional = {
            "cacheCreation1hTokens": self.cache_creation_1h_tokens or None,
            "reasoningTokens": self.reasoning_tokens or None,
            "provider": self.provider,
            "sessionId": hash_text(salt, self.session_id) if self.session_id else None,
            "project": hash_text(salt, self.project) if self.project else None,
            "machineId": machine_id,
            "latencyMs": self.latency_ms,
            "success": self.success,
        }
        payload.update({k: v for k, v in optional.items() if v is not None})
        return payload


def hash_text(salt: str, text: str) -> str:
    """A salted, truncated SHA-256: stable for one install, meaningless to anyone else."""
    return hashlib.sha256(f"{salt}\0{text}".encode()).hexdigest()[:32]


def keep_largest(records: list[Record]) -> list[Record]:
    """One record per request_id, keeping the preferred copy, else the one with the largest usage
    (streaming replays, resumes)."""
    best: dict[str, Record] = {}
    for record in records:
        current = best.get(record.request_id)
        if current is None or record.usage_size() > current.usage_size():
            best[record.request_id] = record
    return list(best.values())
