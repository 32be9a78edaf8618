"""Coding sessions read from a tool's logs: when each ran, its active time, its commits and the lines
of code its edits added. The rules every source shares live here; each source's docstring says which
of its log lines are events, edits and commits.

- **Session**: the tool's own session (thread, conversation) id, sent as the same salted hash as the
  records' ``sessionId``. ``startedAt``/``endedAt`` are its first and last event.
- **Events**: the logged lines of a session that carry a time: prompts, model responses, tool calls,
  tool results.
- **Active time**: the events in time order; a gap of at most 5 minutes (``IDLE_AFTER``) between two
  consecutive events counts in full, a longer gap is idle and counts nothing. A session is thus a few
  runs of events (``spans``) and its active time is the sum of their lengths; one lone event counts 0.
  A long gap counts 0 rather than 5 minutes so that a break never adds time; a model call or a
  command running longer than 5 minutes without a line in between is lost instead (rare).
- **Lines of code**: the lines a successful edit added, i.e. the ``+`` lines of its diff; a created
  file counts all its lines. Removed lines do not count: spec 002 reports "lines of code written", and
  Claude Code's own ``lines_of_code`` metric counts added and removed lines apart, the added ones the
  same way. A failed or rejected edit counts 0.
- **Commits**: a shell tool call whose command runs ``git commit`` counts one commit per distinct git
  commit summary line (``[main 1a2b3c4] subject``: what git prints once it made a commit) in the
  call's output. The summary line is the proof of success: ``git commit && git push`` that fails at the
  push still made its commit; ``git commit`` with nothing to commit prints none. A ``--quiet`` commit
  prints none and is not seen.
- **Counted once**: each edit or commit is a unit keyed by the tool's call id. Copies of a call in other
  files (sidechain, fork or resumed-session copies) count once, for the session of the earliest copy.

Incremental sync: a file's checkpoint keeps that file's part (per session: spans and units), extended
by each appended read and rebuilt whenever the file is read from the start. A session's totals combine
the parts of every file of its source, so they never depend on which run read which line; they are
sent whole (never as deltas) and the server keeps the largest values it has seen.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from operator import attrgetter

from burntop.client.records import hash_text

IDLE_AFTER = 300.0
# The server's bounds (burntop/sync/schema.py SessionIn): a value beyond them would reject a batch.
MAX_ACTIVE_SECONDS = 31 * 86_400
MAX_COMMITS = 100_000
MAX_LINES = 100_000_000

# Claude Code's own test for a commit command (git, its -c/-C options or --flags, then `commit`).
COMMIT_COMMAND = re.compile(r"\bgit(?:\s+-[cC]\s+\S+|\s+--?[\w-]+(?:=\S+)?)*\s+commit\b")
# git's summary after a commit (builtin/commit.c print_commit_summary): "[branch (root-commit) sha] subject".
COMMIT_LINE = re.compile(r"^\[(?:detached HEAD|[^\s\[\]]+)(?: \(root-commit\))? ([0-9a-f]{7,64})\] ", re.M)


def commits_in(command: str, output: str) -> int:
    """Commits a shell call proves it made: its command runs git commit, its output shows the summaries."""
    if not COMMIT_COMMAND.search(command):
        return 0
    return len(set(COMMIT_LINE.findall(output)))


def added_lines(lines: Iterable[object]) -> int:
    """The "+" lines of a diff's hunk lines."""
    return sum(1 for line in lines if isinstance(line, str) and line.startswith("+"))


def text_lines(text: str) -> int:
    """Lines in a text (a last line without a newline counts)."""
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


def patch_added_lines(patch: str) -> int:
    """The "+" lines of an apply_patch envelope (``*** Add File`` bodies are all "+" lines)."""
    start = patch.find("*** Begin Patch")
    end = patch.find("*** End Patch", start + 1)
    if start < 0:
        return 0
    body = patch[start:end if end > start else len(patch)]
    return added_lines(body.split("\n"))


def _add_event(spans: list[list[float]], at: float) -> None:
    """Put one event time into sorted, disjoint spans, joining spans it brings within IDLE_AFTER."""
    if not spans or at > spans[-1][1]:  # the usual case: events arrive in time order
        if spans and at - spans[-1][1] <= IDLE_AFTER:
            spans[-1][1] = at
        else:
            spans.append([at, at])
        return
    i = bisect_right(spans, at, key=lambda span: span[0])
    left = spans[i - 1] if i else None
    right = spans[i] if i < len(spans) else None
    if left is not None and at <= left[1]:
        return
    join_left = left is not None and at - left[1] <= IDLE_AFTER
    join_right = right is not None and right[0] - at <= IDLE_AFTER
    if join_left and join_right:
        left[1] = right[1]
        del spans[i]
    elif join_left:
        left[1] = at
    elif join_right:
        right[0] = at
    else:
        spans.insert(i, [at, at])


def merge_spans(spans: Iterable[list[float]]) -> list[list[float]]:
    """Spans of several files as one sorted list: overlapping or near (within IDLE_AFTER) ones joined."""
    merged: list[list[float]] = []
    for start, end in sorted(spans):
        if merged and start - merged[-1][1] <= IDLE_AFTER:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


class Tally:
    """One file's part of its sessions, as a parse builds it and its checkpoint keeps it:
    {session: {"spans": [[start, end], ...], "units": {call id: [lines, commits, at]}}}."""

    def __init__(self, saved: object = None):
        self.parts: dict[str, dict] = {}
        if isinstance(saved, dict):
            for session, part in saved.items():
                if isinstance(session, str) and isinstance(part, dict):
                    self.parts[session] = {"spans": [list(s) for s in part.get("spans") or ()],
                                           "units": dict(part.get("units") or {})}

    def part(self, session: str) -> dict:
        """The session's part, created empty if the file had none yet (see ``drop_empty``)."""
        part = self.parts.get(session)
        if part is None:
            part = self.parts[session] = {"spans": [], "units": {}}
        return part


    def drop_empty(self) -> None:
        """Forget parts that got no event."""
        for session in [s for s, part in self.parts.items() if not part["spans"] and not part["units"]]:
            del self.parts[session]

    def event(self, session: str | None, at: float | None) -> None:
        """A logged line of the session at this time (seconds since the epoch)."""
        if not session or at is None:
            return
        part = self.parts.get(session)
        spans = (part if part is not None else self.part(session))["spans"]
        if spans and 0 <= at - spans[-1][1] <= IDLE_AFTER:  # the usual case: the next line of a run
            spans[-1][1] = at
        else:
            _add_event(spans, at)

    def add_times(self, session: str, times: list[float]) -> None:
        """Many events of a session at once (``times`` is sorted in place): the same spans as calling
        ``event`` for each, in any order, at the cost of a sort and one pass."""
        if not session or not times:
            return
        times.sort()
        runs: list[list[float]] = []
        first = last = times[0]
        for at in times:
            if at - last > IDLE_AFTER:
                runs.append([first, last])
                first = at
            last = at
        runs.append([first, last])
        part = self.part(session)
        part["spans"] = merge_spans(part["spans"] + runs) if part["spans"] else runs

    def unit(self, session: str | None, call_id: str, at: float | None, *, lines: int = 0, commits: int = 0) -> None:
        """An edit (lines added) or a commit the session made, keyed by the tool's call id."""
        if not session or at is None or not (lines or commits):
            return
        units = self.part(session)["units"]
        seen = units.get(call_id)
        if seen is None or at < seen[2]:
            units[call_id] = [lines, commits, at]
        self.event(session, at)

    def dump(self) -> dict:
        return self.parts


@dataclass
class Totals:
    """One session over everything read so far."""

    started: float
    ended: float
    active_seconds: int = 0
    commits: int = 0
    lines_of_code: int = 0

    def as_json(self) -> dict:
        return {"activeSeconds": self.active_seconds, "commits": self.commits, "linesOfCode": self.lines_of_code}

    def to_payload(self, source: str, session: str, salt: str) -> dict:
        """The ``sessions`` item POST /api/sync takes: the hashed id, times and counts; nothing else."""
        return {
            "sessionId": hash_text(salt, session), "source": source,
            "startedAt": _iso(self.started), "endedAt": _iso(self.ended),
            "activeSeconds": min(self.active_seconds, MAX_ACTIVE_SECONDS),
            "commits": min(self.commits, MAX_COMMITS), "linesOfCode": min(self.lines_of_code, MAX_LINES),
        }


def utc_time(value: object) -> datetime | None:
    """An aware UTC datetime from an ISO-8601 string (naive means UTC), or None."""
    if value.__class__ is not str:
        return None
    try:
        moment = datetime.fromisoformat(value)  # type: ignore[arg-type]
    except ValueError:
        return None
    if moment.tzinfo is timezone.utc:  # the usual "...Z"
        return moment
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def epoch(value: object) -> float | None:
    """Seconds since the epoch of an ISO-8601 time (naive means UTC), or None."""
    moment = utc_time(value)
    return None if moment is None else moment.timestamp()


_TZINFO = attrgetter("tzinfo")


def epochs(stamps: list[bytes]) -> list[float]:
    """``epoch`` of each raw timestamp (the bytes of a JSON string value), leaving out those that are
    not a time: the same values, in bulk (C loops over the list, not a Python call per item)."""
    texts = b"\n".join(stamps).decode("ascii", "replace").split("\n")  # a JSON line holds no newline
    try:
        moments = list(map(datetime.fromisoformat, texts))
    except ValueError:
        moments = None
    if moments is None or None in set(map(_TZINFO, moments)):  # a bad or a naive time: one at a time
        return [at for at in map(epoch, texts) if at is not None]
    return list(map(datetime.timestamp, moments))


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat().replace("+00:00", "Z")


def combine(parts: Iterable[object]) -> dict[str, Totals]:
    """Session totals from the parts of every file of one source (see Tally)."""
    spans: dict[str, list] = {}
    units: dict[str, tuple] = {}  # call id -> (at, session, lines, commits): the earliest copy wins
    for part in parts:
        if not isinstance(part, dict):
            continue
        for session, facts in part.items():
            spans.setdefault(session, []).extend(facts.get("spans") or ())
            for call_id, (lines, commits, at) in (facts.get("units") or {}).items():
                seen = units.get(call_id)
                if seen is None or (at, session) < seen[:2]:
                    units[call_id] = (at, session, lines, commits)
    totals: dict[str, Totals] = {}
    for session, runs in spans.items():
        merged = merge_spans(runs)
        if merged:
            totals[session] = Totals(merged[0][0], merged[-1][1], round(sum(e - s for s, e in merged)))
    for at, session, lines, commits in units.values():
        found = totals.setdefault(session, Totals(at, at))
        found.lines_of_code += lines
        found.commits += commits
    return totals


def diff_added_lines(old: str, new: str) -> int:
    """The "+" lines of a line diff from old to new text."""
    from difflib import SequenceMatcher

    matcher = SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    return sum(j2 - j1 for tag, _, _, j1, j2 in matcher.get_opcodes() if tag in ("replace", "insert"))
