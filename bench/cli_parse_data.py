"""Realistic Claude Code transcripts for parse benchmarks (no real data: seeded random text).

    generate(folder, files=500, lines=200_000, seed=0) -> dict

writes ``folder/<project key>/<session>.jsonl``, ``folder`` being a Claude Code projects folder (e.g.
``$CLAUDE_CONFIG_DIR/projects``), shaped like Claude Code 2.x logs: user prompts, assistant
responses written as one line per content block (thinking / text / tool_use, sharing message.id and
requestId; sometimes preceded by a streaming snapshot with a small output count), tool results whose
text is repeated in ``toolUseResult`` (the big lines), Task results carrying a sub-agent ``usage``
object, summaries, file-history snapshots, ``<synthetic>`` error lines and sub-agent files under
``<session>/subagents/``. Returns the expected counts: unique responses, their tokens, bytes, lines.

Size: the big tool results fill up to ``target_bytes`` (150 MB), but never less than a tenth of it:
realistic lines (an assistant line is ~900 bytes of metadata alone) already need ~150 MB for 200,000
lines, so the default set is ~163 MB (~96,000 assistant lines, ~76,000 unique responses).

    .venv/bin/python bench/cli_parse_data.py /tmp/cc-bench/projects    # writes the set and prints the counts
"""
from __future__ import annotations

import random
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson

MODELS = ["claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805", "claude-haiku-4-5-20251001",
          "claude-sonnet-4-20250514"]
TOOLS = ["Read", "Bash", "Edit", "Grep", "Glob", "Write", "TodoWrite", "Task"]
_CODE = (
    'def handle(request):\n    """Return the usage summary."""\n    data = request.json()\n'
    '    if data["role"] == "assistant":\n        return {"usage": data.get("usage", {}), "ok": True}\n'
    '    for item in data["items"]:\n        total += item["tokens"] * 2  # keep "quotes" & \\ slashes\n'
    '    raise ValueError(f"bad input: {data!r}")\n\n'
)
_FILL = "@@FILL@@"


def _text(rng: random.Random, n: int) -> str:
    """n characters of code-like text (escaped quotes, newlines, the words usage/assistant)."""
    reps = n // len(_CODE) + 2
    start = rng.randrange(len(_CODE))
    return (_CODE * reps)[start:start + n]


def _uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _ident(rng: random.Random, prefix: str) -> str:
    alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ123456789"
    return prefix + "".join(rng.choice(alphabet) for _ in range(24))


class _Session:
    """Writes one session's lines; counts the unique responses and their tokens."""

    def __init__(self, rng: random.Random, base: dict, sidechain: bool, start: datetime):
        self.rng, self.base, self.sidechain, self.now = rng, base, sidechain, start
        self.parent: str | None = None
        self.lines: list[tuple[bytes, int]] = []   # (serialized line, filler weight)
        self.responses = 0
        self.tokens = 0

    def _emit(self, obj: dict, weight: int = 0) -> None:
        self.now += timedelta(milliseconds=self.rng.randint(200, 9000))
        line_id = _uid(self.rng)
        full = {"parentUuid": self.parent, "isSidechain": self.sidechain, "userType": "external",
                **self.base, **obj, "uuid": line_id,
                "timestamp": self.now.isoformat(timespec="milliseconds").replace("+00:00", "Z")}
        self.parent = line_id
        self.lines.append((orjson.dumps(full), weight))

    def prompt(self) -> None:
        self._emit({"type": "user", "message": {"role": "user", "content": _text(self.rng, self.rng.randint(30, 200))},
                    "thinkingMetadata": {"level": "high", "disabled": False, "triggers": []}})

    def response(self, model: str) -> str | None:
        rng = self.rng
        usage = {"input_tokens": rng.randint(1, 12),
                 "cache_creation_input_tokens": rng.choice([0, 0, rng.randint(100, 9000)]),
                 "cache_read_input_tokens": rng.randint(5_000, 150_000),
                 "output_tokens": rng.randint(20, 2500), "service_tier": "standard"}
        one_hour = usage["cache_creation_input_tokens"] if rng.random() < 0.2 else 0
        usage["cache_creation"] = {"ephemeral_5m_input_tokens": usage["cache_creation_input_tokens"] - one_hour,
                                   "ephemeral_1h_input_tokens": one_hour}
        message_id, request_id = _ident(rng, "msg_01"), _ident(rng, "req_011C")
        blocks: list[dict] = []
        shape = rng.random()  # tool_use only, text only, text + tool_use, thinking + text + tool_use
        if shape > 0.95:
            blocks.append({"type": "thinking", "thinking": _text(rng, rng.randint(50, 300)),
                           "signature": _ident(rng, "Eq") * 4})
        if shape > 0.6:
            blocks.append({"type": "text", "text": _text(rng, rng.randint(20, 250))})
        tool = rng.choice(TOOLS) if not 0.6 < shape <= 0.85 else None
        if tool:
            blocks.append({"type": "tool_use", "id": _ident(rng, "toolu_01"), "name": tool,
                           "input": {"file_path": f"/home/dev/src/app/mod{rng.randint(1, 90)}.py"}})
        if rng.random() < 0.05:  # streaming snapshot: same ids, output still small
            self._line(model, message_id, request_id, blocks[0], {**usage, "output_tokens": rng.randint(1, 9)})
        for block in blocks:
            self._line(model, message_id, request_id, block, usage)
        self.responses += 1
        self.tokens += (usage["input_tokens"] + usage["cache_creation_input_tokens"]
                        + usage["cache_read_input_tokens"] + usage["output_tokens"])
        return tool

    def _line(self, model: str, message_id: str, request_id: str, block: dict, usage: dict) -> None:
        self._emit({"message": {"model": model, "id": message_id, "type": "message", "role": "assistant",
                                "content": [block], "stop_reason": None, "stop_sequence": None, "usage": usage},
                    "requestId": request_id, "type": "assistant"})

    def tool_result(self, tool: str) -> None:
        rng = self.rng
        content: str = _FILL
        weight = 0
        if tool == "Task":
            result: dict = {"status": "completed", "content": [{"type": "text", "text": "done"}],
                            "totalTokens": 51234, "totalToolUseCount": 7,
                            "usage": {"input_tokens": 10, "output_tokens": 900, "cache_read_input_tokens": 40000}}
            content = _text(rng, rng.randint(100, 600))
        elif rng.random() < 0.07:  # a file read or long command output, repeated in toolUseResult
            weight = min(int(rng.paretovariate(1.1) * 4), 120)
            result = {"type": "text", "file": {"filePath": "/home/dev/src/app/mod.py", "content": _FILL,
                                                "numLines": 120, "startLine": 1, "totalLines": 120}}
        else:
            content = _text(rng, rng.randint(20, 120))
            result = {"stdout": content, "stderr": "", "interrupted": False, "isImage": False}
        self._emit({"type": "user", "message": {"role": "user", "content": [
            {"tool_use_id": _ident(rng, "toolu_01"), "type": "tool_result", "content": content}]},
            "toolUseResult": result}, weight)

    def extra(self) -> None:
        rng = self.rng
        kind = rng.random()
        if kind < 0.6:
            self._emit({"type": "system", "subtype": "informational", "content": _text(rng, 30),
                        "isMeta": False, "level": "info"})
        elif kind < 0.75:
            self.lines.append((orjson.dumps({"type": "summary", "summary": _text(rng, 60), "leafUuid": _uid(rng)}), 0))
        elif kind < 0.95:
            self.lines.append((orjson.dumps({"type": "file-history-snapshot", "messageId": _uid(rng),
                                             "snapshot": {"trackedFileBackups": {},
                                                          "timestamp": "2025-10-01T00:00:00Z"},
                                             "isSnapshotUpdate": False}), 0))
        else:
            self._emit({"message": {"id": _uid(rng), "model": "<synthetic>", "role": "assistant", "type": "message",
                                    "content": [{"type": "text", "text": "API Error: 529 overloaded"}],
                                    "usage": {"input_tokens": 0, "output_tokens": 0}},
                        "type": "assistant", "isApiErrorMessage": True})


def generate(folder: Path, files: int = 500, lines: int = 200_000, seed: int = 0,
             target_bytes: int = 150_000_000) -> dict:
    """Write the set; returns {"files", "lines", "bytes", "responses", "tokens"} (expected values)."""
    rng = random.Random(seed)
    root = Path(folder)
    per_file = max(lines // files, 8)
    start = datetime(2025, 9, 1, tzinfo=timezone.utc)
    sessions: list[tuple[Path, _Session]] = []
    main_files: list[tuple[Path, str]] = []
    for index in range(files):
        subagent = index % 10 == 9 and main_files
        cwd = f"/home/dev/src/project{index % 37}"
        if subagent:
            parent_path, session_id = main_files[-1]
            path = parent_path.with_suffix("") / "subagents" / f"agent-{_ident(rng, '')[:8]}.jsonl"
        else:
            session_id = _uid(rng)
            path = root / cwd.replace("/", "-") / f"{session_id}.jsonl"
            main_files.append((path, session_id))
        base = {"cwd": cwd, "sessionId": session_id, "version": "2.0.14", "gitBranch": "main"}
        session = _Session(rng, base, bool(subagent), start + timedelta(hours=7 * index))
        model = rng.choice(MODELS)
        target = per_file if index < files - 1 else max(lines - sum(len(s.lines) for _, s in sessions), 1)
        while len(session.lines) < target:
            session.prompt()
            for _ in range(rng.randint(1, 6)):
                tool = session.response(model)
                if tool and len(session.lines) < target:
                    session.tool_result(tool)
                if rng.random() < 0.35:
                    session.extra()
        del session.lines[target:]  # exact line count; a cut response still counts below
        sessions.append((path, session))
    base_bytes = sum(len(line) + 1 for _, s in sessions for line, _ in s.lines)
    weights = sum(w for _, s in sessions for _, w in s.lines) or 1
    per_weight = max(target_bytes - base_bytes, target_bytes // 10) / weights
    fill = _FILL.encode()
    total_bytes = 0
    expected = _expected(sessions)
    for path, session in sessions:
        path.parent.mkdir(parents=True, exist_ok=True)
        chunks = []
        for line, weight in session.lines:
            if weight:
                text = orjson.dumps(_text(rng, int(weight * per_weight * 0.45)))[1:-1]
                line = line.replace(fill, text)  # both the tool_result and toolUseResult copies
            chunks.append(line)
        data = b"\n".join(chunks) + b"\n"
        path.write_bytes(data)
        total_bytes += len(data)
    responses, tokens = expected
    return {"files": len(sessions), "lines": sum(len(s.lines) for _, s in sessions), "bytes": total_bytes,
            "responses": responses, "tokens": tokens}


def _expected(sessions: list) -> tuple[int, int]:
    """Unique responses and tokens in what was actually kept (after cutting to the line count)."""
    best: dict[str, int] = {}
    for _, session in sessions:
        for line, _ in session.lines:
            if b'"type":"assistant"' not in line or b"<synthetic>" in line:
                continue
            obj = orjson.loads(line)
            usage = obj["message"]["usage"]
            total = (usage["input_tokens"] + usage["cache_creation_input_tokens"]
                     + usage["cache_read_input_tokens"] + usage["output_tokens"])
            key = obj["message"]["id"] + ":" + obj["requestId"]
            best[key] = max(best.get(key, 0), total)
    return len(best), sum(best.values())


if __name__ == "__main__":
    print(generate(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/cc-bench/projects")))
