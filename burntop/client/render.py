"""Terminal output: rich tables and a progress bar on a terminal, plain lines otherwise. Every number
and time goes through burntop.format, so it reads as it does on the website."""
from __future__ import annotations

import sys
from contextlib import contextmanager

import click

from burntop.format import duration, number, plural, usd


def stats_table(report: dict, by: str, tz: str, mode: str) -> None:
    from rich.console import Console
    from rich.table import Table

    items, totals = next(iter(report.values())), report["totals"]
    key = {"day": "date", "week": "week", "month": "month", "session": "sessionId", "model": "model",
           "source": "source"}[by]
    table = Table(title=f"burntop usage by {by} ({tz}, cost: {mode})", title_justify="left",
                  header_style="bold #ff6b00", show_footer=True)
    table.add_column(key.capitalize() if key != "sessionId" else "Session", footer="Total")
    if by not in ("model",):
        table.add_column("Models", overflow="fold")
    for label, field in (("Input", "inputTokens"), ("Output", "outputTokens"), ("Cache write", "cacheCreationTokens"),
                         ("Cache read", "cacheReadTokens"), ("Total tokens", "totalTokens")):
        table.add_column(label, justify="right", footer=number(totals[field]))
    table.add_column("Cost (USD)", justify="right", footer=usd(totals["totalCost"]))
    if by == "session":
        for label, field, shown in (("Active", "activeSeconds", duration), ("Commits", "commits", number),
                                    ("Lines", "linesOfCode", number)):
            table.add_column(label, justify="right", footer=shown(totals.get(field, 0)))
    for item in items:
        cells = [str(item[key])]
        if by not in ("model",):
            cells.append(", ".join(item["modelsUsed"]))
        cells += [number(item[f]) for f in ("inputTokens", "outputTokens", "cacheCreationTokens",
                                            "cacheReadTokens", "totalTokens")]
        cells.append(usd(item["totalCost"]))
        if by == "session":
            cells += [duration(item["activeSeconds"]), number(item["commits"]), number(item["linesOfCode"])]
        table.add_row(*cells)
    console = Console()
    if not items:
        console.print("No usage found in your local logs for this selection.")
        return
    console.print(table)
    if totals.get("estimatedModelRecords"):
        n = totals["estimatedModelRecords"]
        console.print(f"[yellow]{plural(n, 'record')} did not name {'its' if n == 1 else 'their'} model; "
                      "each tool's documented default model was assumed.[/yellow]")
    if totals.get("unpricedRecords"):
        n = totals["unpricedRecords"]
        console.print(f"[yellow]{plural(n, 'record')} {'uses' if n == 1 else 'use'} a model without a known "
                      f"price and {'counts' if n == 1 else 'count'} $0.[/yellow]")


@contextmanager
def sync_progress(enabled: bool):
    """Yield (progress, note): progress(source, sent, total) draws a rich bar on a terminal (plain lines
    otherwise); note(text) prints a line above it (a retry, say) on stderr."""
    def say(text: str) -> None:
        click.echo(text, err=True)

    if not enabled:
        def plain(source: str, sent: int, total: int) -> None:
            click.echo(f"{source}: sent {number(sent)}/{plural(total, 'record')}", err=True)

        yield plain, say
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=False) as bar:
        tasks: dict[str, int] = {}

        def update(source: str, sent: int, total: int) -> None:
            if source not in tasks:
                tasks[source] = bar.add_task(source, total=total)
            bar.update(tasks[source], completed=sent)

        yield update, lambda text: bar.console.print(text, markup=False, highlight=False)


def sync_summary(report) -> None:
    if report.dry_run:
        click.echo("dry run: nothing was sent")
    for s in report.sources:
        if not s.files and not s.records and not s.error:
            continue
        if report.dry_run:
            sessions = f" and {plural(s.sessions, 'session')}" if s.sessions else ""
            click.echo(f"{s.source:<12} {plural(s.records, 'record')}{sessions} from {plural(s.files, 'file')} "
                       "would be sent")
        elif s.error and s.error.startswith("not sent"):
            click.echo(f"{s.source:<12} {s.error}", err=True)
        elif s.error:
            click.echo(f"{s.source:<12} stopped after {plural(s.batches, 'batch', 'batches')}: {s.error}", err=True)
        else:
            click.echo(f"{s.source:<12} {number(s.added)} added, {number(s.skipped)} already on the server")
    if not any(s.files or s.records or s.error for s in report.sources):
        click.echo("nothing new to sync")
    for line in report.game.lines():
        click.echo(line)
    if report.rejected_token:
        click.echo("the server rejected your token (revoked, or from another server): log in again with "
                   "`burntop login`; what was acknowledged before is saved", err=True)
    elif not report.ok:
        click.echo("sync incomplete: what was acknowledged is saved; run `burntop sync` again to resume",
                   err=True)
    sys.stdout.flush()
