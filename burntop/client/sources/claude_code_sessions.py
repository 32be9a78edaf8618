"""Claude Code sessions: events, edits and commits read from its transcripts (rules: client/sessions.py).

What Claude Code writes (read in its npm package's cli.js, 1.0.100, 2.0.14 and 2.1.100): every
transcript line is one JSON object with top-level ``sessionId`` and ``timestamp``; tool calls are
``tool_use`` blocks (``id``, ``name``, ``input``) of assistant lines; their results come back on user
lines as ``tool_result`` blocks (``tool_use_id``, ``content``, ``is_error``) with the tool's own
result object beside them in ``toolUseResult``.

- Session: the line's ``sessionId`` (sub-agent transcripts carry their parent's, so a sub-agent's
  work counts in the session that started it). Events: every line with a ``sessionId`` and a
  ``timestamp`` (prompts, responses, tool results, queue operations); lines without either
  (summaries, file-history snapshots) are not events.
- Lines of code: an Edit, MultiEdit or Write result (``toolUseResult`` with ``structuredPatch``, a list
  of hunks whose ``lines`` start with " ", "-" or "+") adds its "+" lines; a Write that created a file
  (``type: "create"``, empty patch) adds every line of its ``content``. These are exactly the lines
  Claude Code's own lines-of-code counter adds (except that a trailing newline is not a line here).
  A NotebookEdit result (``new_source``, ``edit_mode``, ``error``) adds the lines of an inserted cell;
  for a replaced cell, the "+" lines of a diff from the cell's old source, which 2.1+ logs in
  ``original_file`` (before 2.1 the old source is not logged and the new cell's lines count). A
  failed edit has a text ``toolUseResult`` ("Error: ...") and counts 0.
- Commits: a ``tool_use`` whose ``input.command`` runs ``git commit`` (Bash; PowerShell alike) is
  remembered, also across runs (``pending`` in the checkpoint), until its ``tool_result`` arrives; the
  git summary lines in that result's text (and in ``toolUseResult.stdout``) are its commits.
- Units are keyed by ``tool_use_id``, so a call replayed into a /btw, sidechain or resumed copy counts once.

Speed: lines are decoded only when they hold a response (the ``"assistant"`` anchor), an edit result
(``"structuredPatch"``, ``"edit_mode"``) or, while a commit call waits for its result, a git summary
line; every other line gives its session and time by a byte search, never decoded.
"""
from __future__ import annotations

import json
import re

import orjson

from burntop.client.sessions import (
    COMMIT_COMMAND, COMMIT_LINE, COMMIT_LINE_BYTES, Tally, added_lines, diff_added_lines, epoch, text_lines,
)

_SESSION_KEY, _TIME_KEY = b'"sessionId":"', b'"timestamp":"'
_CELL_INDEX = re.compile(r"^cell-(\d+)$")
MAX_PENDING = 200  # commit calls still waiting for their result; older ones are dropped


def _value(line: bytes, key: bytes) -> str | None:
    """The first string value of a key in raw JSON bytes (the writer puts the top-level one first)."""
    start = line.find(key)
    if start < 0:
        return None
    start += len(key)
    end = line.find(b'"', start)
    return line[start:end].decode("utf-8", "replace") if end > start else None


def _text(content: object) -> str:
    """The text of a tool_result's content: a string, or text blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(b.get("text", "") for b in content if isinstance(b, dict) and isinstance(b.get("text"), str))
    return ""


def _notebook_lines(result: dict) -> int:
    new = result.get("new_source")
    if result.get("error") or not isinstance(new, str) or result.get("edit_mode") == "delete":
        return 0
    if result.get("edit_mode") == "insert":
        return text_lines(new)
    old = _old_cell(result.get("original_file"), result.get("cell_id"))
    return text_lines(new) if old is None else diff_added_lines(old, new)


def _old_cell(original: object, cell_id: object) -> str | None:
    """The replaced cell's source in the notebook as it was (Claude Code 2.1+ logs it), or None."""
    if not isinstance(original, str) or not original or not isinstance(cell_id, str):
        return None
    try:
        cells = json.loads(original).get("cells")
    except (ValueError, AttributeError):
        return None
    if not isinstance(cells, list):
        return None
    cell = next((c for c in cells if isinstance(c, dict) and c.get("id") == cell_id), None)
    index = _CELL_INDEX.match(cell_id)
    if cell is None and index and int(index.group(1)) < len(cells):
        cell = cells[int(index.group(1))]
    source = cell.get("source") if isinstance(cell, dict) else None
    if isinstance(source, list):
        return "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else None


class SessionFacts:
    """The session part of one Claude Code transcript read, resumed from its checkpoint."""

    def __init__(self, checkpoint: dict | None):
        checkpoint = checkpoint or {}
        self.tally = Tally(checkpoint.get("sessions"))
        pending = checkpoint.get("pending")
        self.pending: dict[str, None] = dict.fromkeys(p for p in pending if isinstance(p, str)) \
            if isinstance(pending, list) else {}

    def line(self, line: bytes) -> None:
        """A line without a response: an event, an edit result, or the result of a commit call."""
        if b'"structuredPatch"' in line or b'"edit_mode"' in line or (self.pending and COMMIT_LINE_BYTES.search(line)):
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                return
            if isinstance(obj, dict):
                self.decoded(obj)
            return
        self.tally.event(_value(line, _SESSION_KEY), epoch(_value(line, _TIME_KEY)))

    def decoded(self, obj: dict) -> None:
        session, at = obj.get("sessionId"), epoch(obj.get("timestamp"))
        if not isinstance(session, str) or at is None:
            return
        self.tally.event(session, at)
        message = obj.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            return
        if obj.get("type") == "assistant":
            for block in content:
                if isinstance(block, dict) and block.get("type") == "tool_use" and isinstance(block.get("id"), str):
                    command = block.get("input", {}).get("command") if isinstance(block.get("input"), dict) else None
                    if isinstance(command, str) and COMMIT_COMMAND.search(command):
                        self.pending[block["id"]] = None
            return
        results = [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"
                   and isinstance(b.get("tool_use_id"), str)]
        if not results:
            return
        outcome = obj.get("toolUseResult")
        if isinstance(outcome, dict):
            self._edit(session, results[0]["tool_use_id"], at, outcome)
        for block in results:
            if block["tool_use_id"] in self.pending:
                del self.pending[block["tool_use_id"]]
                output = _text(block.get("content"))
                if isinstance(outcome, dict) and isinstance(outcome.get("stdout"), str):
                    output += "\n" + outcome["stdout"]
                self.tally.unit(session, block["tool_use_id"], at, commits=len(set(COMMIT_LINE.findall(output))))

    def _edit(self, session: str, call_id: str, at: float, outcome: dict) -> None:
        patch = outcome.get("structuredPatch")
        if isinstance(patch, list):
            if outcome.get("type") == "create" and not patch:
                content = outcome.get("content")
                lines = text_lines(content) if isinstance(content, str) else 0
            else:
                lines = sum(added_lines(h.get("lines") or ()) for h in patch if isinstance(h, dict))
        elif "edit_mode" in outcome and "new_source" in outcome:
            lines = _notebook_lines(outcome)
        else:
            return
        self.tally.unit(session, call_id, at, lines=lines)

    def dump(self) -> dict:
        """What the checkpoint keeps: the file's session part and the commit calls still waiting."""
        return {"sessions": self.tally.dump(), "pending": list(self.pending)[-MAX_PENDING:]}
