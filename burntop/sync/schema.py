"""The POST /api/sync body: every field typed and bounded, errors reported per record.

Bounds (documented in the README):
- at most 10,000 records and 10,000 sessions per request (more is 413);
- token counts are integers in [0, 10,000,000] per field: the largest context window on the
  market is 2M tokens, so one model response cannot hold 5x that in any one category;
- ``reasoningTokens`` is a part of ``outputTokens`` and ``cacheCreation1hTokens`` a part of
  ``cacheCreationTokens``, so neither may exceed its whole;
- timestamps are ISO-8601 strings with a zone (2025-06-01T12:00:00Z, ...+02:00), from 2020-01-01 to
  one day after the server's clock; a bare number (Unix time) or a date without a time is refused;
- strings are at most 200 characters without control characters (``source`` at most 64: lowercase
  letters, digits, ``.-_``);
- unknown fields are ignored so older servers accept newer clients; a client-sent cost is never read.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError

MAX_RECORDS = 10_000
MAX_SESSIONS = 10_000
MAX_TOKENS = 10_000_000
EARLIEST = datetime(2020, 1, 1, tzinfo=timezone.utc)
FUTURE_SLACK = timedelta(days=1)

Tokens = Annotated[int, Field(strict=True, ge=0, le=MAX_TOKENS)]
# No control characters (PostgreSQL refuses NUL in text; none belong in ids or model names).
Text = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
Source = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")]


_ISO_8601 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}")


def _iso_8601(value):
    """Only an ISO-8601 date and time reaches the parser (pydantic would also read Unix numbers)."""
    if not isinstance(value, str) or not _ISO_8601.match(value):
        raise ValueError("must be an ISO-8601 date and time with a zone, such as 2025-06-01T12:00:00Z")
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_iso_8601)]


class TooLarge(Exception):
    """The body holds more items than one request may carry."""


def _time_problem(value: datetime, latest: datetime) -> str | None:
    if value < EARLIEST:
        return "is before 2020-01-01"
    if value > latest:
        return "is more than one day in the future"
    return None


class RecordIn(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    timestamp: Timestamp
    model: Text
    source: Source
    requestId: Text
    inputTokens: Tokens
    outputTokens: Tokens
    cacheCreationTokens: Tokens = 0
    cacheReadTokens: Tokens = 0
    cacheCreation1hTokens: Tokens = 0
    reasoningTokens: Tokens = 0
    provider: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")] | None = None
    machineId: Text | None = None
    sessionId: Text | None = None
    project: Text | None = None
    latencyMs: Annotated[int, Field(strict=True, ge=0, le=86_400_000)] | None = None
    success: Annotated[bool, Field(strict=True)] | None = None


class SessionIn(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    sessionId: Text
    source: Source
    startedAt: Timestamp
    endedAt: Timestamp | None = None
    activeSeconds: Annotated[int, Field(strict=True, ge=0, le=31 * 86_400)] = 0
    commits: Annotated[int, Field(strict=True, ge=0, le=100_000)] = 0
    linesOfCode: Annotated[int, Field(strict=True, ge=0, le=100_000_000)] = 0


class SyncBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    records: Annotated[list[RecordIn], Field(max_length=MAX_RECORDS)]
    sessions: Annotated[list[SessionIn], Field(max_length=MAX_SESSIONS)] = []


def _problem(error: dict) -> dict:
    loc = error["loc"]
    where = {}
    if len(loc) >= 2 and loc[0] in ("records", "sessions") and isinstance(loc[1], int):
        where = {"list": loc[0], "index": loc[1]}
        loc = loc[2:]
    field = ".".join(str(part) for part in loc) or None
    message = error["msg"].removeprefix("Value error, ")
    return {**where, "field": field, "reason": message}


def parse(raw: bytes) -> tuple[SyncBody | None, list[dict]]:
    """Validate the raw JSON body; return the body or the list of problems (index, field, reason).

    Raises TooLarge when a list holds more items than one request may carry.
    """
    try:
        body = SyncBody.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
    else:
        problems = _consistency_problems(body)
        return (None, problems) if problems else (body, [])
    if any(e["type"] == "too_long" and len(e["loc"]) == 1 for e in errors):
        raise TooLarge()
    if any(e["type"] in ("json_invalid", "json_type") for e in errors):
        return None, [{"field": None, "reason": "body is not valid JSON"}]
    return None, [_problem(e) for e in errors]


def _consistency_problems(body: SyncBody) -> list[dict]:
    """Rules across fields, checked in one plain loop (far cheaper than per-model validators)."""
    latest = datetime.now(timezone.utc) + FUTURE_SLACK
    problems = []
    for index, r in enumerate(body.records):
        where = {"list": "records", "index": index}
        if (reason := _time_problem(r.timestamp, latest)) is not None:
            problems.append({**where, "field": "timestamp", "reason": f"timestamp {reason}"})
        if r.reasoningTokens > r.outputTokens:
            problems.append({**where, "field": "reasoningTokens",
                             "reason": "reasoningTokens is a part of outputTokens and cannot exceed it"})
        if r.cacheCreation1hTokens > r.cacheCreationTokens:
            problems.append({**where, "field": "cacheCreation1hTokens",
                             "reason": "cacheCreation1hTokens is a part of cacheCreationTokens and cannot exceed it"})
    for index, s in enumerate(body.sessions):
        where = {"list": "sessions", "index": index}
        for field, value in (("startedAt", s.startedAt), ("endedAt", s.endedAt)):
            if value is not None and (reason := _time_problem(value, latest)) is not None:
                problems.append({**where, "field": field, "reason": f"{field} {reason}"})
        if s.endedAt is not None and s.endedAt < s.startedAt:
            problems.append({**where, "field": "endedAt", "reason": "endedAt is before startedAt"})
    return problems
