"""`flask --app app leaderboard refresh`: recompute every leaderboard snapshot now."""
from __future__ import annotations

import time

import click
from flask.cli import AppGroup

leaderboard_cli = AppGroup("leaderboard", help="Leaderboard snapshots.")


@leaderboard_cli.command("refresh")
def refresh_command():
    """Recompute every board (unfiltered, per region, per tool, and the model boards in use)."""
    from burntop.leaderboard.snapshots import refresh_all

    started = time.perf_counter()
    done = refresh_all()
    boards = sum(d["boards"] for d in done.values())
    entries = sum(d["entries"] for d in done.values())
    click.echo(f"refreshed {boards} boards ({entries} ranks) in {time.perf_counter() - started:.1f} s")
