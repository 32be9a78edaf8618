"""`burntop sync`: read what is new since each file's checkpoint, upload it in batches, and advance a
file's checkpoint only after the server acknowledged every batch holding its records and sessions.

Batches hold the records of every source, one source after another (at most BATCH_SIZE records per
request), so a sync costs one request per 5,000 records however many tools have new data (the server
allows 10 syncs a minute). Each file's sessions (see client/sessions.py) ride in the batch holding the
file's last record, or in the last batch when the file has no record to send; they are the sessions'
totals over every file read so far, never deltas, so sending one twice changes nothing.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from burntop.client import sessions as session_rules
from burntop.client.collect import Collected, FileBatch, carried, read_new
from burntop.client.game import Rewards
from burntop.client.config import Settings
from burntop.client.records import Record
from burntop.client.sources.base import Source
from burntop.client.state import SyncState
from burntop.client.upload import Client, ServerError

BATCH_SIZE = 5000
MAX_SESSIONS = 5000  # per request (the server takes 10,000)


@dataclass
class SourceReport:
    source: str
    files: int = 0
    records: int = 0
    added: int = 0
    skipped: int = 0
    batches: int = 0
    sessions: int = 0  # session summaries sent (their running totals)
    error: str | None = None


@dataclass
class SyncReport:
    sources: list[SourceReport] = field(default_factory=list)
    skipped_lines: Counter = field(default_factory=Counter)
    places: list = field(default_factory=list)  # collect.Place: where each problem was
    preview: list[dict] = field(default_factory=list)
    dry_run: bool = False
    rejected_token: bool = False  # the server answered 401: only a new login helps
    game: Rewards = field(default_factory=Rewards)
    requests: int = 0

    @property
    def ok(self) -> bool:
        return all(s.error is None for s in self.sources)

    def as_json(self) -> dict:
        return {
            "dryRun": self.dry_run,
            "ok": self.ok,
            "sources": [s.__dict__ for s in self.sources],
            "recordsAdded": sum(s.added for s in self.sources),
            "recordsSkipped": sum(s.skipped for s in self.sources),
            "requests": self.requests,
            "skipped": {f"{source}: {reason}": n for (source, reason), n in sorted(self.skipped_lines.items())},
            "skippedAt": [{"source": source, "path": path, "where": where, "reason": reason}
                          for source, path, where, reason in self.places],
            **self.game.as_json(),
            **({"preview": self.preview} if self.dry_run else {}),
        }


def server_rejects(payloads: list[dict], kind: str = "records") -> dict[int, str]:
    """Index -> reason for payloads the server's validation would refuse (it rejects a whole batch
    for one bad item, so such an item must never be sent: it would block the source for good)."""
    from burntop.sync import schema

    if not payloads:
        return {}
    body, problems = schema.parse(json.dumps({"records": [], kind: payloads}).encode())
    return {p["index"]: f"out of range ({p['field']}: {p['reason']})" for p in problems if "index" in p}


def plan(source: Source, files: list[FileBatch], since: date | None) -> tuple[list[Record], dict[str, set[int]]]:
    """The source's records in upload order, and for each file the positions of its records."""
    merged = source.merge([r for f in files for r in f.records])
    if since is not None:
        merged = [r for r in merged if r.timestamp.astimezone().date() >= since]
    merged.sort(key=lambda r: (r.timestamp, r.request_id))
    position = {r.request_id: i for i, r in enumerate(merged)}
    needs = {f.path: {position[r.request_id] for r in f.records if r.request_id in position} for f in files}
    return merged, needs


def session_payloads(source: Source, files: list[FileBatch], stored: dict[str, dict], salt: str,
                     since: date | None) -> dict[str, list[dict]]:
    """For each file read, the totals of the sessions it holds, over every file of the source: those
    read now (their new checkpoints) and the others (their stored ones)."""
    parts = {path: checkpoint.get("sessions") for path, checkpoint in stored.items()}
    parts.update({f.path: f.checkpoint.get("sessions") for f in files})
    if not any(parts.values()):
        return {}
    totals = session_rules.combine(parts.values())
    cutoff = datetime.combine(since, datetime.min.time()).astimezone().timestamp() if since else None
    out: dict[str, list[dict]] = {}
    for f in files:
        part = f.checkpoint.get("sessions")
        if isinstance(part, dict):
            out[f.path] = [totals[s].to_payload(source.name, s, salt) for s in sorted(part)
                           if s in totals and (cutoff is None or totals[s].ended >= cutoff)]
    return out


Progress = Callable[[str, int, int], None]  # (source, records sent so far, records in all)


@dataclass
class Batch:
    records: list[tuple[str, dict]] = field(default_factory=list)   # (source, payload)
    sessions: dict[tuple[str, str], dict] = field(default_factory=dict)  # (source, hashed id) -> payload


@dataclass
class Upload:
    """Every source's payloads cut into batches, and the batches each file waits for."""

    batches: list[Batch] = field(default_factory=list)
    waits: dict[tuple[str, str], set[int]] = field(default_factory=dict)   # (source, path) -> batch indexes
    checkpoints: dict[tuple[str, str], dict] = field(default_factory=dict)
    sessions: list[tuple[tuple[str, str], list[dict]]] = field(default_factory=list)  # placed last

    def add_source(self, name: str, payloads: list[dict], needs: dict[str, set[int]],
                   sessions: dict[str, list[dict]], checkpoints: dict[str, dict]) -> None:
        first = sum(len(b.records) for b in self.batches)
        for payload in payloads:
            if not self.batches or len(self.batches[-1].records) >= BATCH_SIZE:
                self.batches.append(Batch())
            self.batches[-1].records.append((name, payload))
        for path, checkpoint in checkpoints.items():
            key = (name, path)
            self.checkpoints[key] = checkpoint
            self.waits[key] = {(first + i) // BATCH_SIZE for i in needs.get(path, ())}
        self.sessions += [((name, path), sessions[path]) for path in checkpoints if sessions.get(path)]

    def place_sessions(self) -> None:
        """Each file's sessions go with its last record's batch, else with the last batch."""
        for key, payloads in self.sessions:
            if not self.batches:
                self.batches.append(Batch())
            index = max(self.waits[key], default=len(self.batches) - 1)
            while self.batches[index].sessions and len(self.batches[index].sessions) + len(payloads) > MAX_SESSIONS:
                index += 1  # a full batch: the sessions go on, into sessions-only batches at the end
                if index == len(self.batches):
                    self.batches.append(Batch())
            for payload in payloads:
                self.batches[index].sessions[(key[0], payload["sessionId"])] = payload
            self.waits[key].add(index)


def run(settings: Settings, sources: list[Source], env: Mapping[str, str], home: Path, *, since: date | None,
        full: bool, dry_run: bool, client: Client | None, progress: Progress | None = None) -> SyncReport:
    state = SyncState(settings.folder)
    report = SyncReport(dry_run=dry_run)
    # --full re-reads every file, but a ledger of what was already counted must survive (see carried).
    checkpoint = (lambda s, p: carried(state.checkpoint(s, p))) if full else state.checkpoint
    collected: Collected = read_new(sources, env, home, checkpoint)
    report.skipped_lines = collected.skipped
    report.places = collected.places
    upload = Upload()
    for source in sources:
        files = [f for f in collected.files if f.source == source.name]
        records, needs = plan(source, files, since)
        summary = SourceReport(source.name, files=len(files), records=len(records))
        report.sources.append(summary)
        payloads = [r.to_payload(settings.salt, settings.machine_id) for r in records]
        payloads, needs = _drop_rejected(source.name, records, payloads, needs, files, report)
        summary.records = len(payloads)
        stored = {} if full else dict(state.source(source.name)["files"])
        sessions = _valid_sessions(source.name, session_payloads(source, files, stored, settings.salt, since), report)
        summary.sessions = len({p["sessionId"] for ps in sessions.values() for p in ps})
        if dry_run:
            report.preview.extend(payloads[:3])
            continue
        upload.add_source(source.name, payloads, needs, sessions, {f.path: f.checkpoint for f in files})
    if dry_run:
        return report
    upload.place_sessions()
    # --since sends a subset: checkpoints stay put, so a later plain sync still sends the rest.
    _send(upload, None if since else state, client, report, progress)
    if since is None:
        now = datetime.now(timezone.utc).isoformat()
        for summary in report.sources:
            if summary.error is None:
                state.mark_synced(summary.source, now, summary.added)
    return report


def _drop_rejected(name, records, payloads, needs, files, report) -> tuple[list[dict], dict[str, set[int]]]:
    """Records the server would refuse are counted as skipped and never sent."""
    rejected = server_rejects(payloads)
    if not rejected:
        return payloads, needs
    file_of = {r.request_id: f.path for f in files for r in f.records}
    for index, reason in rejected.items():
        report.skipped_lines[(name, reason.split(" (", 1)[0])] += 1
        request_id = records[index].request_id
        report.places.append((name, file_of.get(request_id, ""), f"record {request_id}", reason))
    kept = [i for i in range(len(payloads)) if i not in rejected]
    renumber = {old: new for new, old in enumerate(kept)}
    needs = {path: {renumber[i] for i in positions if i in renumber} for path, positions in needs.items()}
    return [payloads[i] for i in kept], needs


def _valid_sessions(name: str, sessions: dict[str, list[dict]], report: SyncReport) -> dict[str, list[dict]]:
    """Sessions the server would refuse (a time out of range) are counted as skipped and never sent."""
    flat = [p for payloads in sessions.values() for p in payloads]
    rejected = server_rejects(flat, "sessions")
    bad = {flat[i]["sessionId"] for i in rejected}
    for reason in {rejected[i] for i in rejected}:
        report.skipped_lines[(name, "session " + reason.split(" (", 1)[0])] += 1
    return {path: [p for p in payloads if p["sessionId"] not in bad] for path, payloads in sessions.items()}


def _send(upload: Upload, state: SyncState | None, client: Client, report: SyncReport, progress) -> None:
    by_name = {s.source: s for s in report.sources}
    totals = Counter(name for batch in upload.batches for name, _ in batch.records)
    sent: Counter = Counter()
    acked: set[int] = set()
    committed: set[tuple[str, str]] = set()

    def commit_ready() -> None:
        if state is None:
            return
        ready: dict[str, dict] = {}
        for key, waits in upload.waits.items():
            if key not in committed and waits <= acked:
                ready.setdefault(key[0], {})[key[1]] = upload.checkpoints[key]
                committed.add(key)
        for name, checkpoints in ready.items():
            state.commit(name, checkpoints)

    commit_ready()  # files with nothing new to send
    for index, batch in enumerate(upload.batches):
        names = list(dict.fromkeys([n for n, _ in batch.records] + [n for n, _ in batch.sessions]))
        try:
            answer = client.sync([p for _, p in batch.records], list(batch.sessions.values()))
        except ServerError as exc:
            for name in names:
                by_name[name].error = by_name[name].error or str(exc)
            if exc.about_this_batch:
                continue
            # Unreachable, overloaded or refusing the token: the next batch would only wait for the same.
            report.rejected_token = exc.rejected_token
            stopped = "the server refused the token" if exc.rejected_token else "the sync stopped at the error above"
            for later in upload.batches[index + 1:]:
                for name in {n for n, _ in later.records} | {n for n, _ in later.sessions}:
                    by_name[name].error = by_name[name].error or f"not sent: {stopped}"
            return
        report.requests += 1
        acked.add(index)
        _count(answer, batch, by_name)
        report.game.add(answer)
        commit_ready()
        for name in names:
            by_name[name].batches += 1
        for name, n in Counter(n for n, _ in batch.records).items():
            sent[name] += n
            if progress:
                progress(name, sent[name], totals[name])


def _count(answer: dict, batch: Batch, by_name: dict[str, SourceReport]) -> None:
    """Each source's added and skipped records: the server's split, or (an older server without it)
    the batch's counts shared out in upload order."""
    split = answer.get("sources")
    per_source = Counter(name for name, _ in batch.records)
    if isinstance(split, dict):
        for name in per_source:
            counts = split.get(name) if isinstance(split.get(name), dict) else {}
            by_name[name].added += int(counts.get("added", 0))
            by_name[name].skipped += int(counts.get("skipped", 0))
        return
    added = int(answer.get("recordsAdded", 0))
    for name, n in per_source.items():
        share = min(n, added)
        added -= share
        by_name[name].added += share
        by_name[name].skipped += n - share
