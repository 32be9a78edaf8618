"""`burntop sync`: read what is new since each file's checkpoint, upload it in batches, and advance a
file's checkpoint only after the server acknowledged every batch holding its records."""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from burntop.client.collect import Collected, FileBatch, carried, read_new
from burntop.client.game import Rewards
from burntop.client.config import Settings
from burntop.client.records import Record
from burntop.client.sources.base import Source
from burntop.client.state import SyncState
from burntop.client.upload import Client, ServerError

BATCH_SIZE = 5000


@dataclass
class SourceReport:
    source: str
    files: int = 0
    records: int = 0
    added: int = 0
    skipped: int = 0
    batches: int = 0
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
            "skipped": {f"{source}: {reason}": n for (source, reason), n in sorted(self.skipped_lines.items())},
            "skippedAt": [{"source": source, "path": path, "where": where, "reason": reason}
                          for source, path, where, reason in self.places],
            **self.game.as_json(),
            **({"preview": self.preview} if self.dry_run else {}),
        }


def server_rejects(payloads: list[dict]) -> dict[int, str]:
    """Index -> reason for payloads the server's validation would refuse (it rejects a whole batch
    for one bad record, so such a record must never be sent: it would block the source for good)."""
    from burntop.sync import schema

    if not payloads:
        return {}
    body, problems = schema.parse(json.dumps({"records": payloads}).encode())
    return {p["index"]: f"out of range ({p['field']}: {p['reason']})" for p in problems if "index" in p}


def plan(source: Source, files: list[FileBatch], since: date | None) -> tuple[list[Record], dict[str, int]]:
    """The source's records in upload order, and for each file the last position it depends on."""
    merged = source.merge([r for f in files for r in f.records])
    if since is not None:
        merged = [r for r in merged if r.timestamp.astimezone().date() >= since]
    merged.sort(key=lambda r: (r.timestamp, r.request_id))
    position = {r.request_id: i for i, r in enumerate(merged)}
    needs = {f.path: max((position.get(r.request_id, -1) for r in f.records), default=-1) for f in files}
    return merged, needs


Progress = Callable[[str, int, int], None]  # (source, records sent so far, records in all)


def run(settings: Settings, sources: list[Source], env: Mapping[str, str], home: Path, *, since: date | None,
        full: bool, dry_run: bool, client: Client | None, progress: Progress | None = None) -> SyncReport:
    state = SyncState(settings.folder)
    report = SyncReport(dry_run=dry_run)
    # --full re-reads every file, but a ledger of what was already counted must survive (see carried).
    checkpoint = (lambda s, p: carried(state.checkpoint(s, p))) if full else state.checkpoint
    collected: Collected = read_new(sources, env, home, checkpoint)
    report.skipped_lines = collected.skipped
    report.places = collected.places
    stopped: str | None = None
    for source in sources:
        files = [f for f in collected.files if f.source == source.name]
        records, needs = plan(source, files, since)
        summary = SourceReport(source.name, files=len(files), records=len(records))
        report.sources.append(summary)
        payloads = [r.to_payload(settings.salt, settings.machine_id) for r in records]
        rejected = server_rejects(payloads)
        file_of = {r.request_id: f.path for f in files for r in f.records} if rejected else {}
        for index, reason in rejected.items():
            report.skipped_lines[(source.name, reason.split(" (", 1)[0])] += 1
            request_id = records[index].request_id
            report.places.append((source.name, file_of.get(request_id, ""), f"record {request_id}", reason))
        if rejected:
            payloads = [p for i, p in enumerate(payloads) if i not in rejected]
            kept = {r.request_id: i for i, r in enumerate(r for j, r in enumerate(records) if j not in rejected)}
            needs = {f.path: max((kept.get(r.request_id, -1) for r in f.records), default=-1) for f in files}
        if dry_run:
            report.preview.extend(payloads[:3])
            continue
        if stopped:
            if payloads:
                summary.error = f"not sent: {stopped}"
            continue
        # --since sends a subset: checkpoints stay put, so a later plain sync still sends the rest.
        failure = _upload(source.name, payloads, files, needs, None if since else state, client, summary,
                          progress, report.game)
        if failure is not None and not failure.about_this_batch:
            # Unreachable, overloaded or refusing the token: the next source would only wait for the same.
            stopped = "the server refused the token" if failure.rejected_token else "the sync stopped at the error above"
            report.rejected_token = failure.rejected_token
        if summary.error is None and since is None:
            state.mark_synced(source.name, datetime.now(timezone.utc).isoformat(), summary.added)
    return report


def _upload(name, payloads, files, needs, state, client, summary, progress, game) -> ServerError | None:
    committed: set[str] = set()

    def commit_through(position: int) -> None:
        if state is None:
            return
        ready = {f.path: f.checkpoint for f in files if f.path not in committed and needs[f.path] < position}
        if ready:
            state.commit(name, ready)
            committed.update(ready)

    commit_through(0)  # files with nothing new to send
    for start in range(0, len(payloads), BATCH_SIZE):
        batch = payloads[start:start + BATCH_SIZE]
        try:
            answer = client.sync(batch)
        except ServerError as exc:
            summary.error = str(exc)
            return exc
        summary.batches += 1
        summary.added += answer.get("recordsAdded", 0)
        summary.skipped += answer.get("recordsSkipped", 0)
        game.add(answer)
        commit_through(start + len(batch))
        if progress:
            progress(name, start + len(batch), len(payloads))
    return None
