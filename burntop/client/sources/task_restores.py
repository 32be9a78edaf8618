"""Cline's checkpoint restores: no request lost, none counted twice.

Restoring a task to a checkpoint (cline/cline ``integrations/checkpoints`` ``handleSuccessfulRestore``)
cuts ``ui_messages.json`` after the restored message and appends one ``deleted_api_reqs`` message
whose ``tokensIn``, ``tokensOut``, ``cacheWrites``, ``cacheReads`` and ``cost`` are the totals
(``getApiMetrics``) of every request, sub-agent total and earlier ``deleted_api_reqs`` it removed.
The individual requests are gone from the file; only that total remains.

So each task file keeps a ledger in its checkpoint: key -> [logged counts, record fields] of every
unit (request or restore total) counted so far. On each read:
- a unit in the ledger but no longer in the file was removed by a restore: it stays counted (its
  record is emitted again from the ledger, with its own time and model);
- a restore total covers the messages between the one before it and itself, so it counts only what
  was never counted: its logged totals minus the ledger's counts of the removed units in that span
  (a removed restore total by the part of it that was counted). Read with an empty ledger (the
  requests were never seen), the whole total is counted.
A total smaller than what was counted from its span is counted as zero and noted, never silently.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

NOTE_KEPT = "kept from an earlier read: removed from the file by a checkpoint restore"
NOTE_REDUCED = "checkpoint-restore total: only the part never counted as its requests"
FOLD_RESTORE = "checkpoint-restore total already counted as its requests"
NOTE_BELOW = "checkpoint-restore total smaller than its requests already counted: counted as zero"


@dataclass
class Unit:
    key: str                  # "<ts>", "<ts>:subagents" or "<ts>:deleted"
    ts: int                   # milliseconds
    raw: list                 # logged [tokensIn, tokensOut, cacheWrites, cacheReads, cost]
    fields: list | None       # record fields (see vscode_tasks.record); None: nothing to count
    after: int = 0            # restore totals: the time of the message before it


def stamp(key: str) -> int:
    return int(key.split(":", 1)[0])


def account(units: list[Unit], ledger: dict, convert: Callable[[list, int], list | None]
            ) -> tuple[list[tuple[str, int, list]], dict, Counter, Counter]:
    """(key, ts, fields) of every unit to count, the new ledger, notes and folds; ``convert`` turns a
    restore total's remaining logged counts into record fields."""
    notes: Counter = Counter()
    folded: Counter = Counter()
    present = {unit.key for unit in units}
    gone = [(key, entry) for key, entry in ledger.items() if key not in present]
    removed = [(stamp(key), entry[0]) for key, entry in gone]
    new_ledger = dict(ledger)
    counted = []
    for unit in units:
        if unit.key.endswith(":deleted"):
            covered = [0, 0, 0, 0, 0.0]
            for ts, raw in removed:
                if unit.after < ts < unit.ts:
                    covered = [a + b for a, b in zip(covered, raw)]
            remainder = [a - b for a, b in zip(unit.raw, covered)]
            remainder[4] = round(remainder[4], 9)
            if min(remainder) < 0:
                notes[NOTE_BELOW] += 1
                remainder = [max(value, 0) for value in remainder]
            unit.raw = remainder
            unit.fields = convert(remainder, unit.ts) if sum(remainder[:4]) else None
            if unit.fields is None:
                folded[FOLD_RESTORE] += 1
            elif any(covered):
                notes[NOTE_REDUCED] += 1
        new_ledger[unit.key] = [unit.raw, unit.fields]
        if unit.fields:
            counted.append((unit.key, unit.ts, unit.fields))
    for key, (_, fields) in gone:
        if fields:
            counted.append((key, stamp(key), fields))
            notes[NOTE_KEPT] += 1
    return counted, new_ledger, notes, folded
