"""Claude Code sessions: events, edits and commits read from its transcripts (rules: client/sessions.py).

What Claude Code writes (read in its npm package's cli.js, 1.0.100, 2.0.14 and 2.1.100): every
transcript line is one JSON object with top-level ``sessionId`` and ``timestamp``; tool calls are
``tool_use`` blocks (``id``, ``name``, ``input``) of assistant lines; their results come back on later
user lines as ``tool_result`` blocks (``tool_use_id``, ``content``, ``is_error``) with the tool's own
result object beside them in ``toolUseResult``.

- Session: the line's ``sessionId`` (sub-agent transcripts carry their parent's, so a sub-agent's
  work counts in the session that started it). Events: every line with a ``sessionId`` and a
  ``timestamp`` (prompts, responses, tool calls and results, queue operations); lines without either
  (summaries, file-history snapshots) are not events.
- Lines of code: an ``Edit``, ``MultiEdit``, ``Write`` or ``NotebookEdit`` call counts when its result
  arrives. Edit, MultiEdit and Write results (``toolUseResult.structuredPatch``, hunks whose ``lines``
  start with " ", "-" or "+") add their "+" lines; a Write that created a file (``type: "create"``,
  empty patch) adds every line of its ``content``: exactly the lines Claude Code's own
  lines-of-code counter adds (but a trailing newline is not a line here). A NotebookEdit result
  (``new_source``, ``edit_mode``, ``error``) adds the lines of an inserted cell, and for a replaced
  cell the "+" lines of a diff from the cell's old source, which 2.1+ logs in ``original_file``
  (before 2.1 it is not logged and every line of the new cell counts). A failed or rejected call has
  a text ``toolUseResult`` ("Error: ...") and counts 0.
- Commits: a ``tool_use`` whose ``input.command`` runs ``git commit`` (Bash; PowerShell alike) counts
  the git summary lines in its result's text (and ``toolUseResult.stdout``).
- Calls wait for their result across runs (``pending`` in the checkpoint: tool_use id -> "edit" or
  "commit"). Units are keyed by the tool_use id, so a call replayed into a /btw, sidechain or
  resumed copy counts once.

Speed: a line is decoded only when it holds a response (the ``"assistant"`` anchor, decoded anyway
for records) or the result of a waiting call (its ``"tool_use_id"``, which the writer puts near the
start); every other line gives its session and time by byte search, never decoded or copied.
"""
from __future__ import annotations

import json
import re
from datetime import datetime

import orjson

from burntop.client.sessions import (
    COMMIT_COMMAND, COMMIT_LINE, Tally, added_lines, diff_added_lines, epoch, epochs, text_lines,
)

_SESSION_KEY, _TIME_KEY, _RESULT_KEY = b'"sessionId":"', b'"timestamp":"', b'"tool_use_id":"'
EDIT_TOOLS = frozenset({"Edit", "MultiEdit", "Write", "NotebookEdit"})
_CELL_INDEX = re.compile(r"^cell-(\d+)$")
MAX_PENDING = 200  # calls still waiting for their result; older ones are dropped


def _value(data: bytes, key: bytes, start: int, stop: int) -> str | None:
    """The first string value of a key in the raw JSON line data[start:stop] (the writer puts the
    top-level one first)."""
    found = data.find(key, start, stop)
    if found < 0:
        return None
    found += len(key)
    end = data.find(b'"', found, stop)
    return data[found:end].decode("utf-8", "replace") if end > found else None


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


def _edit_lines(outcome: dict) -> int:
    """Lines an edit tool's result object says it added."""
    patch = outcome.get("structuredPatch")
    if isinstance(patch, list):
        if outcome.get("type") == "create" and not patch:
            content = outcome.get("content")
            return text_lines(content) if isinstance(content, str) else 0
        return sum(added_lines(h.get("lines") or ()) for h in patch if isinstance(h, dict))
    if "edit_mode" in outcome and "new_source" in outcome:
        return _notebook_lines(outcome)
    return 0


class SessionFacts:
    """The session part of one Claude Code transcript read, resumed from its checkpoint.

    Event times are gathered per session while the file is scanned (the raw timestamp bytes of the
    lines that are not decoded, the times of those that are) and become spans once, in ``dump``: a
    sort and one pass instead of a call per line (``Tally.add_times``: the same spans)."""

    def __init__(self, checkpoint: dict | None):
        checkpoint = checkpoint or {}
        self.tally = Tally(checkpoint.get("sessions"))
        self._last: str | None = None
        self._last_key: bytes | None = None
        self._session_at, self._stamp_size, self._call_size = 0, 24, 32  # lines() guesses, checked before use
        self._stamps: dict[str, list[bytes]] = {}  # session -> raw timestamps of lines not decoded
        self._times: dict[str, list[float]] = {}  # session -> times of decoded lines
        self._moments: list[datetime] = []  # the times of the responses, and their sessions
        self._moment_sessions: list[str] = []
        pending = checkpoint.get("pending")
        # tool_use id -> "edit" or "commit": calls whose result decides what they count
        self.pending: dict[str, str] = {k: v for k, v in pending.items() if v in ("edit", "commit")} \
            if isinstance(pending, dict) else {}

    def lines(self, data: bytes, start: int, stop: int) -> int:
        """The whole lines data[start:stop], none of which holds a response: events, and the results
        of waiting calls (only those are decoded; the others are searched in place, never copied).
        Returns how many lines there were."""
        find, pending, all_stamps = data.find, self.pending, self._stamps
        last, last_key = self._last, self._last_key
        stamps = all_stamps.get(last) if last else None
        # Guesses, each checked before use: where a line held its session id, a time's and a call id's length.
        at, size, call_size = self._session_at, self._stamp_size, self._call_size
        count = 0
        while start < stop:
            end = find(b"\n", start, stop)
            count += 1
            if pending:
                found = find(_RESULT_KEY, start, end) + 15  # len(_RESULT_KEY)
                call = None
                if found > 14:  # its value, found like a time's (below)
                    close = found + call_size
                    if close >= end or data[close] != 34 or 34 in (call := data[found:close]):
                        close = find(b'"', found, end)
                        call_size, call = (close - found, data[found:close]) if close > found else (call_size, None)
                if call is not None and call.decode("utf-8", "replace") in pending:
                    self._last, self._last_key = last, last_key
                    self._result_line(data[start:end])
                    last, last_key, start = self._last, self._last_key, end + 1
                    stamps = all_stamps.get(last) if last else None
                    continue
            # Lines of a file nearly always share one session: look for the last one's id first, where
            # the line before held it (a slice compare costs less than a search), then anywhere.
            if last_key is None or data[start + at:start + at + len(last_key)] != last_key:
                where = -1 if last_key is None else find(last_key, start, end)
                if where < 0:
                    session = _value(data, _SESSION_KEY, start, end)
                    if session != last:
                        last, last_key = session, _SESSION_KEY + session.encode() + b'"' if session else None
                        stamps = all_stamps.get(last) if last else None
                    where = -1 if last_key is None else find(last_key, start, end)
                at = where - start if where >= 0 else 0
            found = find(_TIME_KEY, start, end) + 13  # len(_TIME_KEY)
            if found > 12 and last:
                # The value ends at the first quote: where the one before ended (times share a format)
                # if a byte test says so, else searched.
                close = found + size
                if close >= end or data[close] != 34 or 34 in (stamp := data[found:close]):
                    close = find(b'"', found, end)
                    size, stamp = (close - found, data[found:close]) if close > found else (size, None)
                if stamp is not None:
                    if stamps is None:
                        stamps = self._new_stamps(last)
                    stamps.append(stamp)
            start = end + 1
        self._last, self._last_key = last, last_key
        self._session_at, self._stamp_size, self._call_size = at, size, call_size
        return count

    def _new_stamps(self, session: str) -> list[bytes]:
        self.tally.part(session)  # sessions keep the order in which the file names them
        stamps = self._stamps[session] = []
        return stamps

    def _result_line(self, line: bytes) -> None:
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            return
        if isinstance(obj, dict):
            self.decoded(obj, epoch(obj.get("timestamp")))

    def _remember(self, session: str | None) -> None:
        if session != self._last:
            self._last = session
            self._last_key = _SESSION_KEY + session.encode() + b'"' if session else None

    def _event(self, session: str, at: float) -> None:
        times = self._times.get(session)
        if times is None:
            self.tally.part(session)
            self._times[session] = [at]
        else:
            times.append(at)

    def response(self, session: object, moment: datetime | None, message: object) -> None:
        """A decoded assistant line: its session, time (``utc_time`` of its timestamp) and message; an
        event, and the edit and commit calls it makes (its content blocks are looked at directly: that
        costs less than searching its bytes for a tool_use first)."""
        if session.__class__ is not str or moment is None:
            return
        if session:
            if session not in self.tally.parts:
                self.tally.part(session)
            self._moment_sessions.append(session)
            self._moments.append(moment)
        if session != self._last:
            self._remember(session)  # type: ignore[arg-type]
        if message.__class__ is dict:
            content = message.get("content")  # type: ignore[union-attr]
            if content.__class__ is list:
                self._calls(content)  # type: ignore[arg-type]

    def decoded(self, obj: dict, at: float | None) -> None:
        """A decoded line other than an assistant line (a waiting call's result, or a line that names
        an assistant) and its time (``epoch`` of its timestamp)."""
        session = obj.get("sessionId")
        if not isinstance(session, str) or at is None:
            return
        if session:
            self._event(session, at)
        self._remember(session)
        message = obj.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            return
        if obj.get("type") == "assistant":
            self._calls(content)
            return
        if not self.pending:
            return
        outcome = obj.get("toolUseResult")
        for block in content:
            if not isinstance(block, dict) or block.get("type") != "tool_result":
                continue
            kind = self.pending.pop(block.get("tool_use_id"), None)
            if kind == "edit" and isinstance(outcome, dict):
                self.tally.unit(session, block["tool_use_id"], at, lines=_edit_lines(outcome))
            elif kind == "commit":
                output = _text(block.get("content"))
                if isinstance(outcome, dict) and isinstance(outcome.get("stdout"), str):
                    output += "\n" + outcome["stdout"]
                self.tally.unit(session, block["tool_use_id"], at, commits=len(set(COMMIT_LINE.findall(output))))

    def _calls(self, content: list) -> None:
        """Remember the edit and commit calls of an assistant line until their results arrive."""
        for block in content:  # decoded JSON: a dict is a dict, a str a str
            if block.__class__ is not dict or block.get("type") != "tool_use":
                continue
            call, name = block.get("id"), block.get("name")
            if call.__class__ is not str:
                continue
            if name.__class__ is str and name in EDIT_TOOLS:
                self.pending[call] = "edit"
                continue
            arguments = block.get("input")
            command = arguments.get("command") if arguments.__class__ is dict else None
            if command.__class__ is str and COMMIT_COMMAND.search(command):
                self.pending[call] = "commit"

    def dump(self) -> dict:
        """What the checkpoint keeps: the file's session part and the calls still waiting."""
        if self._moments:
            sessions, times = self._moment_sessions, list(map(datetime.timestamp, self._moments))
            if len(set(sessions)) == 1:
                self._times.setdefault(sessions[0], []).extend(times)
            else:
                for session, at in zip(sessions, times):
                    self._times.setdefault(session, []).append(at)
            self._moments, self._moment_sessions = [], []
        for session in {**self._times, **self._stamps}:
            times = self._times.get(session, [])
            stamps = self._stamps.get(session)
            self.tally.add_times(session, times + epochs(stamps) if stamps else times)
        self._times, self._stamps = {}, {}
        self.tally.drop_empty()  # sessions whose every timestamp was unreadable
        return {"sessions": self.tally.dump(), "pending": dict(list(self.pending.items())[-MAX_PENDING:])}
