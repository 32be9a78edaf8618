"""Aider: its local analytics log (``--analytics-log FILE``), one JSON event per line.

Locations: Aider has no default log; it writes one only when asked, through ``--analytics-log``,
the ``AIDER_ANALYTICS_LOG`` environment variable (configargparse maps every option to
``AIDER_<OPTION>``) or ``analytics-log:`` in ``.aider.conf.yml``. We read ``$AIDER_ANALYTICS_LOG``
(one path or a list), the ``analytics-log`` key of ``~/.aider.conf.yml`` (a relative value is taken
from the home folder; the per-repository config files cannot be found from here), and
``~/.aider/analytics.jsonl``, the place burntop suggests. The log is written even with analytics
uploads disabled (``Analytics.event`` writes the file when it has a logfile).

Format (Aider-AI/aider ``aider/analytics.py`` ``event()`` and ``base_coder.show_usage_report``,
aider 0.60-0.86, 2024-2026): ``{"event", "properties", "user_id", "time"}``; ``message_send``
carries ``main_model``, ``edit_format``, ``prompt_tokens``, ``completion_tokens``,
``total_tokens``, ``cost`` (this message) and ``total_cost`` (the session so far).

Counting decisions:

- One ``message_send`` event = one reply. It sums every API call of that reply (a reply cut at
  the output limit and continued is still one message); architect mode logs the architect's and
  the editor's replies as two events, each with its own model. Other events carry no usage.
  Weak-model calls (commit messages, chat summaries) are never logged by Aider: not counted.
- ``prompt_tokens`` is Aider's ``message_tokens_sent``: litellm's ``prompt_tokens`` (which for
  Anthropic already includes cache reads) plus ``cache_creation_input_tokens``. The cache split is
  shown on screen but not logged, so it is unrecoverable: the whole prompt is input_tokens and
  the cache fields stay 0 (a price computed from tokens therefore ignores cache discounts;
  ``cost`` is Aider's own litellm-priced figure with the discounts, kept as logged_cost when > 0,
  Aider logs 0.0 when it has no price). completion_tokens already includes reasoning tokens.
- Model: ``main_model`` as logged. Aider redacts models missing from litellm's list to
  ``<provider>/REDACTED`` (kept as is) or to ``None``; the latter becomes ``unknown``, flagged
  ``model_estimated``.
- request_id: the event has no id of its own; ``aider:`` + a hash of the event's own fields
  (user id, time, model, edit format, tokens, cost, session total), identical on every run and
  machine. ``time`` is Unix seconds (UTC).
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

import orjson

from burntop.client.records import Record
from burntop.client.sources.base import ParseResult, Source, env_paths, file_signature, jsonl_lines, resume_offset

UNKNOWN_MODEL = "unknown"
CONF_KEY = re.compile(r"^analytics-log\s*:\s*(.*?)\s*$")


def config_log(conf: Path) -> Path | None:
    """The analytics-log value of an .aider.conf.yml (plain YAML scalar), if any."""
    try:
        lines = conf.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        match = CONF_KEY.match(line)
        if not match:
            continue
        value = match.group(1)
        if value[:1] in ("'", '"'):
            value = value[1:value.find(value[0], 1)] if value.find(value[0], 1) > 0 else value[1:]
        else:
            value = value.split(" #")[0].strip()
        if value and value not in ("null", "~"):
            path = Path(value).expanduser()
            return path if path.is_absolute() else conf.parent / path
    return None


def discover(env: Mapping[str, str], home: Path) -> list[Path]:
    """Aider analytics logs named by AIDER_ANALYTICS_LOG, ~/.aider.conf.yml or burntop's default."""
    candidates = env_paths(env, "AIDER_ANALYTICS_LOG")
    configured = config_log(home / ".aider.conf.yml")
    if configured:
        candidates.append(configured)
    candidates.append(home / ".aider" / "analytics.jsonl")
    found: dict[Path, None] = {}
    for path in candidates:
        if path.is_file():
            found.setdefault(path, None)
    return list(found)


def number(value: object) -> int:
    """A non-negative token count, 0 when absent or not a number (Aider stringifies non-numbers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return 0
    return max(0, int(value))


def event_id(event: dict, props: dict) -> str:
    """A stable id from the event's own fields."""
    fields = (event.get("user_id"), event.get("time"), props.get("main_model"), props.get("edit_format"),
              props.get("prompt_tokens"), props.get("completion_tokens"), props.get("cost"), props.get("total_cost"))
    return "aider:" + hashlib.sha256(repr(fields).encode()).hexdigest()[:32]


def to_record(event: dict) -> Record | str | None:
    """A message_send event as a Record, a skip reason, or None for events without usage."""
    if event.get("event") != "message_send":
        return None
    props = event.get("properties")
    if not isinstance(props, dict):
        return "no usage"
    prompt, completion = number(props.get("prompt_tokens")), number(props.get("completion_tokens"))
    if not (prompt or completion):
        return "no usage"
    when = event.get("time")
    if isinstance(when, bool) or not isinstance(when, (int, float)) or when <= 0:
        return "no timestamp"
    model = props.get("main_model")
    known = isinstance(model, str) and model not in ("", "None")
    cost = props.get("cost")
    return Record(
        source="aider", request_id=event_id(event, props),
        timestamp=datetime.fromtimestamp(when, timezone.utc), model=model if known else UNKNOWN_MODEL,
        input_tokens=prompt, output_tokens=completion,
        logged_cost=float(cost) if isinstance(cost, (int, float)) and not isinstance(cost, bool) and cost > 0 else None,
        model_estimated=not known,
    )


def parse(path: Path, checkpoint: dict | None) -> ParseResult:
    """Read the analytics log from the checkpoint's offset (it is append-only)."""
    result = ParseResult(seen=0)
    offset = resume_offset(path, checkpoint)
    signature = file_signature(path)
    for end, line in jsonl_lines(path, offset):
        offset = result.skipped.at = end
        result.seen += 1
        if not line.strip():
            continue
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError:
            result.skipped["malformed line"] += 1
            continue
        record = to_record(event) if isinstance(event, dict) else "malformed line"
        if isinstance(record, str):
            result.skipped[record] += 1
        elif record is not None:
            result.records.append(record)
    result.checkpoint = {**signature, "offset": offset}
    return result


SOURCE = Source(
    name="aider",
    label="Aider",
    discover=discover,
    parse=parse,
    unit="lines",
    formats="--analytics-log JSONL message_send events (aider 0.60-0.86)",
)
