"""Codex CLI sessions: events, edits and commits read from its rollouts (rules: client/sessions.py).

What codex-rs persists (core/src/rollout/policy.rs): every ``response_item`` that is a
``function_call`` (``name``, ``arguments`` as a JSON string, ``call_id``), ``custom_tool_call``
(``name``, ``input``, ``call_id``: the freeform ``apply_patch`` tool), ``local_shell_call``
(``action.command``, ``call_id``) and their ``function_call_output`` / ``custom_tool_call_output``
(``call_id``, ``output``); ``exec_command_end`` and ``patch_apply_end`` events are not persisted.
A shell output reads ``{"output": ..., "metadata": {"exit_code": N, ...}}`` (structured),
``Exit code: N\\nWall time: ...\\nOutput:\\n...`` (freeform) or, from ``exec_command`` (unified exec),
``...Process exited with code N...Output:\\n...``; newer outputs may be a list of text items.

- Session: the rollout's own thread id (the records' ``session_id``). Events: every line (each
  carries ``timestamp`` as its first key). A fork's copied history is re-stamped with the fork time,
  so it only marks when the fork began.
- Lines of code: an ``apply_patch`` call (the freeform tool, the JSON function's ``input``, or a shell
  command that Codex intercepts as apply_patch, i.e. one holding ``*** Begin Patch``) adds the "+"
  lines of its patch (an ``*** Add File`` body is all "+" lines) once its output shows success: exit
  code 0, or without an exit code apply_patch's own "Success. Updated the following files". A
  verification failure, a rejection or a non-zero exit counts 0.
- Commits: a shell call (``shell``'s ``command`` list, ``shell_command``'s ``command``,
  ``exec_command``'s ``cmd``, ``local_shell_call``) whose command runs ``git commit`` counts the git
  summary lines of its output. Output that a later ``write_stdin`` poll collects (a commit still
  running when ``exec_command`` returned) is not seen.
- Calls wait for their output across runs (``calls`` in the checkpoint). Units are keyed by
  ``call_id``, so a fork's verbatim copy of a parent's call counts once, for the parent.
"""
from __future__ import annotations

import re

import orjson

from burntop.client.sessions import COMMIT_COMMAND, COMMIT_LINE, Tally, epoch, patch_added_lines

_EXIT = re.compile(r"^Exit code: (-?\d+)$|^Process exited with code (-?\d+)$", re.M)
MAX_PENDING = 200  # calls still waiting for their output; older ones are dropped


def _value(line: bytes, key: bytes) -> str | None:
    start = line.find(key)
    if start < 0:
        return None
    start += len(key)
    end = line.find(b'"', start)
    return line[start:end].decode("utf-8", "replace") if end > start else None


def _command(arguments: object) -> str | None:
    """The command a shell-like call runs, as one string."""
    if isinstance(arguments, dict):
        arguments = arguments.get("command", arguments.get("cmd"))
    if isinstance(arguments, list):
        return " ".join(part for part in arguments if isinstance(part, str))
    return arguments if isinstance(arguments, str) else None


def _output(value: object) -> tuple[str, int | None]:
    """(text, exit code or None) of a call's output."""
    if isinstance(value, list):
        value = "\n".join(i.get("text", "") for i in value if isinstance(i, dict) and isinstance(i.get("text"), str))
    if isinstance(value, dict):
        value = value.get("content", "")
    if not isinstance(value, str):
        return "", None
    if value.startswith("{"):
        try:
            structured = orjson.loads(value)
        except orjson.JSONDecodeError:
            structured = None
        if isinstance(structured, dict) and isinstance(structured.get("output"), str):
            meta = structured.get("metadata")
            code = meta.get("exit_code") if isinstance(meta, dict) else None
            return structured["output"], code if isinstance(code, int) else None
    found = _EXIT.search(value)
    return value, int(found.group(1) or found.group(2)) if found else None


class SessionFacts:
    """The session part of one rollout read, resumed from its checkpoint."""

    def __init__(self, checkpoint: dict | None):
        checkpoint = checkpoint or {}
        self.tally = Tally(checkpoint.get("sessions"))
        calls = checkpoint.get("calls")
        self.calls: dict[str, list] = dict(calls) if isinstance(calls, dict) else {}

    def line(self, line: bytes, session: str, obj: dict | None = None) -> None:
        """Any rollout line of this session (``obj``: the line already decoded, if it was)."""
        at = epoch(obj.get("timestamp") if obj is not None else _value(line, b'"timestamp":"'))
        self.tally.event(session, at)
        if b'_call' not in line:  # every anchor below holds it; most lines hold none
            return
        if b'"function_call"' in line or b'"custom_tool_call"' in line or b'"local_shell_call"' in line:
            self._call(line, obj)
        elif self.calls and _value(line, b'"call_id":"') in self.calls and (
                b'"function_call_output"' in line or b'"custom_tool_call_output"' in line):
            self._result(line, obj, session, at)

    @staticmethod
    def _payload(line: bytes, obj: dict | None) -> dict | None:
        if obj is None:
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                return None
        payload = obj.get("payload") if isinstance(obj, dict) else None
        return payload if isinstance(payload, dict) else None

    def _call(self, line: bytes, obj: dict | None) -> None:
        payload = self._payload(line, obj)
        call_id = payload and (payload.get("call_id") or payload.get("id"))
        if not isinstance(call_id, str):
            return
        kind, name = payload.get("type"), payload.get("name")
        if kind == "custom_tool_call":
            patch = payload.get("input") if name == "apply_patch" else None
            command = None
        elif kind == "function_call":
            try:
                arguments = orjson.loads(payload.get("arguments") or "null")
            except (orjson.JSONDecodeError, TypeError):
                return
            patch = arguments.get("input") if name == "apply_patch" and isinstance(arguments, dict) else None
            command = None if name == "apply_patch" else _command(arguments)
        elif kind == "local_shell_call":
            action = payload.get("action")
            patch, command = None, _command(action.get("command") if isinstance(action, dict) else None)
        else:
            return
        if command and "*** Begin Patch" in command:
            patch = command  # Codex intercepts apply_patch run through a shell
        if isinstance(patch, str):
            lines = patch_added_lines(patch)
            if lines:
                self.calls[call_id] = ["patch", lines]
        elif command and COMMIT_COMMAND.search(command):
            self.calls[call_id] = ["commit", 0]

    def _result(self, line: bytes, obj: dict | None, session: str, at: float | None) -> None:
        payload = self._payload(line, obj)
        call_id = payload.get("call_id") if payload else None
        if call_id not in self.calls:
            return
        kind, lines = self.calls.pop(call_id)
        text, code = _output(payload.get("output"))
        if kind == "patch":
            ok = code == 0 if code is not None else "Success. Updated the following files" in text
            self.tally.unit(session, call_id, at, lines=lines if ok else 0)
        else:
            self.tally.unit(session, call_id, at, commits=len(set(COMMIT_LINE.findall(text))))

    def dump(self) -> dict:
        """What the checkpoint keeps: the file's session part and the calls still waiting."""
        return {"sessions": self.tally.dump(), "calls": dict(list(self.calls.items())[-MAX_PENDING:])}
