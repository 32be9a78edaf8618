"""Terminal output: rich tables and a progress bar on a terminal, plain lines otherwise."""
from __future__ import annotations

import sys
from contextlib import contextmanager

import click


def _tokens(n: int) -> str:
    return f"{n:,}"


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
        table.add_column(label, justify="right", footer=_tokens(totals[field]))
    table.add_column("Cost (USD)", justify="right", footer=f"${totals['totalCost']:,.2f}")
    for item in items:
        cells = [str(item[key])]
        if by not in ("model",):
            cells.append(", ".join(item["modelsUsed"]))
        cells += [_tokens(item[f]) for f in ("inputTokens", "outputTokens", "cacheCreationTokens",
                                             "cacheReadTokens", "totalTokens")]
        cells.append(f"${item['totalCost']:,.2f}")
        table.add_row(*cells)
    console = Console()
    if not items:
        console.print("No usage found in your local logs for this selection.")
        return
    console.print(table)
    if totals.get("estimatedModelRecords"):
        console.print(f"[yellow]{totals['estimatedModelRecords']:,} record(s) did not name their model; "
                      "each tool's documented default model was assumed.[/yellow]")
    if totals.get("unpricedRecords"):
        console.print(f"[yellow]{totals['unpricedRecords']:,} record(s) use a model without a known price "
                      "and count $0.[/yellow]")


@contextmanager
def sync_progress(enabled: bool):
    """Yield a progress callback: a rich bar on a terminal, plain lines otherwise."""
    if not enabled:
        def plain(source: str, sent: int, total: int) -> None:
            click.echo(f"{source}: sent {sent:,}/{total:,} records", err=True)

        yield plain
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=False) as bar:
        tasks: dict[str, int] = {}

        def update(source: str, sent: int, total: int) -> None:
            if source not in tasks:
                tasks[source] = bar.add_task(source, total=total)
            bar.update(tasks[source], completed=sent)

        yield update


def sync_summary(report) -> None:
    if report.dry_run:
        click.echo("dry run: nothing was sent")
    for s in report.sources:
        if not s.files and not s.records and not s.error:
            continue
        if report.dry_run:
            click.echo(f"{s.source:<12} {s.records:,} record(s) from {s.files} file(s) would be sent")
        elif s.error:
            click.echo(f"{s.source:<12} stopped after {s.batches} batch(es): {s.error}", err=True)
        else:
            click.echo(f"{s.source:<12} {s.added:,} added, {s.skipped:,} already on the server")
    if not any(s.files or s.records or s.error for s in report.sources):
        click.echo("nothing new to sync")
    if not report.ok:
        click.echo("sync incomplete: what was acknowledged is saved; run `burntop sync` again to resume",
                   err=True)
    sys.stdout.flush()
