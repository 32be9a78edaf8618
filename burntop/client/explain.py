"""`burntop stats --explain`: how each source's figure was reached, so it can be checked by hand.

Per source: the files read, the units seen in them (lines, rows, messages: each source says which),
what was skipped and why, the duplicates folded inside a file and across files (and by which rule),
the records counted and their tokens, and the reading decisions worth knowing (notes). It reads the
same parse cache as `stats`, after refreshing it the same way, so its records and tokens are the
ones `stats` adds up. With a day, only that local day's records count (skips and in-file folds are
whole-file figures of the files that hold them).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from burntop import format as fmt
from burntop.client.collect import ParseCache, merge_rows, read_all
from burntop.client.sources.base import Source, is_problem
from burntop.client.stats import CR, CW, EPOCH, INP, OUT

TOKEN_KEYS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")


def explain(sources: list[Source], env: Mapping[str, str], home: Path, cache: ParseCache, tz: str = "UTC",
            day: date | None = None) -> dict:
    """The JSON-ready explanation of every source's figure (see the module docstring)."""
    _, skipped = read_all(sources, env, home, cache)
    zone = ZoneInfo(tz)
    days: dict[int, date] = {}

    def on_day(row: tuple) -> bool:
        bucket = int(row[EPOCH] // 900)
        if bucket not in days:
            days[bucket] = datetime.fromtimestamp(bucket * 900, zone).date()
        return days[bucket] == day

    report = [_source(source, cache, skipped, on_day if day else None) for source in sources]
    totals = {"records": sum(s["records"] for s in report), "files": sum(s["files"] for s in report)}
    for key in (*TOKEN_KEYS, "totalTokens"):
        totals[key] = sum(s["tokens"][key] for s in report)
    return {"tz": tz, "date": day.isoformat() if day else None, "sources": report, "totals": totals}


def _source(source: Source, cache: ParseCache, skipped: Counter, on_day) -> dict:
    index = cache.load(source.name, "index") or {}
    file_rows = cache.load(source.name, "rows") or {}
    every = [row for rows in file_rows.values() for row in rows]
    merged = merge_rows(source, every)
    read_reasons = sum((Counter(entry[1]) for entry in index.values()), Counter())
    not_read = {reason: n - read_reasons[reason] for (name, reason), n in skipped.items()
                if name == source.name and n > read_reasons[reason]}
    if on_day:  # the day's records, every copy folded into them, and the files holding those
        merged = [row for row in merged if on_day(row)]
        keys = {source.merge_key(row[0]) for row in merged}
        index = {path: entry for path, entry in index.items()
                 if any(source.merge_key(row[0]) in keys for row in file_rows.get(path, ()))}
        in_files = sum(1 for row in every if source.merge_key(row[0]) in keys)
    else:
        in_files = len(every)
    files, seen = [], 0
    reasons: Counter = Counter()
    folded: Counter = Counter()
    notes: Counter = Counter()
    for path, (_, file_skips, file_seen, file_folds, file_notes, _places) in sorted(index.items()):
        records = len(file_rows.get(path, ()))
        if file_seen is None:  # a source that does not count its units: every unit is one of these
            file_seen = records + sum(file_skips.values()) + sum(file_folds.values())
        files.append({"path": path, "seen": file_seen, "records": records})
        seen += file_seen
        reasons.update(file_skips)
        folded.update(file_folds)
        notes.update(file_notes)
    tokens = {key: sum(row[col] for row in merged) for key, col in zip(TOKEN_KEYS, (INP, OUT, CW, CR))}
    tokens["totalTokens"] = sum(tokens.values())
    return {
        "source": source.name, "label": source.label, "unit": source.unit, "files": len(index),
        "filesNotRead": not_read, "seen": seen,
        "skipped": [{"reason": r, "count": n, "problem": is_problem(r)} for r, n in sorted(reasons.items()) if n],
        "foldedInFiles": [{"rule": r, "count": n} for r, n in sorted(folded.items()) if n],
        "recordsInFiles": in_files,
        "foldedAcrossFiles": {"rule": source.merge_rule, "count": in_files - len(merged)},
        "records": len(merged), "tokens": tokens,
        "notes": [{"note": r, "count": n} for r, n in sorted(notes.items()) if n],
        "fileList": files,
    }


def render(report: dict, verbose: bool = False) -> None:
    """The explanation as plain text, one block per source that has anything to say."""
    scope = f"records dated {report['date']}" if report["date"] else "all records"
    click.echo(f"How burntop counted ({scope}; days in {report['tz']})")
    shown = [s for s in report["sources"] if s["files"] or s["filesNotRead"]]
    for s in shown:
        click.echo(f"\n{s['source']} ({s['label']})")
        _line("files read", fmt.number(s["files"]))
        for reason, n in s["filesNotRead"].items():
            _line("files not read", f"{fmt.number(n)}: {reason}")
        _line("seen", f"{fmt.number(s['seen'])} {s['unit']}")
        for item in s["skipped"]:
            kind = "could not read" if item["problem"] else "no model response"
            _line("skipped", f"{fmt.number(item['count'])}: {item['reason']} ({kind})")
        for item in s["foldedInFiles"]:
            _line("folded in a file", f"{fmt.number(item['count'])}: {item['rule']}")
        _line("records in files", fmt.number(s["recordsInFiles"]))
        across = s["foldedAcrossFiles"]
        if across["count"]:
            _line("folded across files", f"{fmt.number(across['count'])}: {across['rule']}")
        _line("records counted", f"{fmt.number(s['records'])} (= {fmt.number(s['recordsInFiles'])} - "
                                 f"{fmt.number(across['count'])})")
        t = s["tokens"]
        _line("tokens", f"{fmt.number(t['totalTokens'])} = input {fmt.number(t['inputTokens'])} + output "
                        f"{fmt.number(t['outputTokens'])} + cache write {fmt.number(t['cacheCreationTokens'])} + "
                        f"cache read {fmt.number(t['cacheReadTokens'])}")
        for item in s["notes"]:
            _line("note", f"{fmt.number(item['count'])}: {item['note']}")
        if verbose:
            for f in s["fileList"]:
                _line("file", f"{f['path']}: {fmt.number(f['seen'])} {s['unit']}, {fmt.plural(f['records'], 'record')}")
    if not shown:
        click.echo("\nNo usage logs found for this selection.")
        return
    totals = report["totals"]
    click.echo(f"\nall sources: {fmt.plural(totals['records'], 'record')}, {fmt.plural(totals['totalTokens'], 'token')} "
               f"from {fmt.plural(totals['files'], 'file')}")


def _line(label: str, text: str) -> None:
    click.echo(f"  {label:<20} {text}")
