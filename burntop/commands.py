"""Operator commands: `flask --app app users|tokens|percentiles|xp|demo|worker|prices ...`."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from burntop.accounts.tokens import create_token
from burntop.accounts.users import UsernameError, create_user
from burntop.extensions import db
from burntop.models import User

users_cli = AppGroup("users", help="Create and list users.")
tokens_cli = AppGroup("tokens", help="Create API tokens.")
percentiles_cli = AppGroup("percentiles", help="Community percentile snapshots (/api/insights).")
xp_cli = AppGroup("xp", help="XP maintenance.")


@users_cli.command("create")
@click.argument("username")
@click.option("--email", help="Email address (verified).")
@click.option("--name", help="Display name.")
@click.option("--admin", is_flag=True, help="Make the user an administrator.")
@click.option("--private", is_flag=True, help="Make the profile private.")
@click.option("--timezone", "tz", default="UTC", show_default=True, help="IANA time zone for the user's days.")
def create_user_command(username, email, name, admin, private, tz):
    """Create a user."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown time zone {tz!r}", param_hint="--timezone")
    try:
        user = create_user(username, email=email, email_verified=bool(email), name=name,
                           is_admin=admin, is_public=not private, timezone=tz)
    except UsernameError as exc:
        raise click.ClickException(str(exc))
    db.session.commit()
    click.echo(f"created user {user.username} (id {user.id})")


@users_cli.command("list")
def list_users_command():
    """List users."""
    for user in db.session.scalars(select(User).order_by(User.id)):
        flags = ", ".join(f for f, on in (("admin", user.is_admin), ("private", not user.is_public),
                                            ("demo", user.is_demo)) if on)
        click.echo(f"{user.id}\t{user.username}\t{user.timezone}\t{flags}")


@tokens_cli.command("create")
@click.argument("username")
@click.option("--name", "label", default="cli", show_default=True, help="A label for the token.")
def create_token_command(username, label):
    """Create an API token for USERNAME and print it (only the token, shown once)."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user named {username!r}")
    _, plaintext = create_token(user, label[:100])
    db.session.commit()
    click.echo(plaintext)


def _burntop_command() -> str:
    """How to type the client here: `burntop` when it is on PATH, else the venv's script (.venv/bin/burntop)."""
    import os
    import shutil
    import sys
    from pathlib import Path

    script = Path(sys.executable).with_name("burntop")
    found = shutil.which("burntop")
    if found and Path(found).resolve() == script.resolve():
        return "burntop"
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return os.fspath(script)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), envvar="PORT",
              help="Port to listen on ($PORT).")
def serve_command(host: str, port: int) -> None:
    """Serve burntop (what `make run` uses): print its address and the sync command, then serve.

    In local mode (BURNTOP_LOCAL_MODE=1) it refuses any address other computers could reach, and makes
    the owner account before the first visit."""
    from flask import current_app
    from werkzeug.serving import is_running_from_reloader, run_simple

    from burntop import local_mode

    app = current_app._get_current_object()
    local = local_mode.enabled(app)
    if local:
        try:
            local_mode.check_bind(host)
        except local_mode.LocalModeRefused as exc:
            raise click.ClickException(str(exc))
        local_mode.ensure_owner()
        db.session.remove()
    shown = f"[{host}]" if ":" in host else host
    if not is_running_from_reloader():  # --debug: the reloader's child serves; the lines were printed once
        for line in local_mode.newcomer_lines(f"http://{shown}:{port}", _burntop_command(), local):
            click.echo(line)
    run_simple(host, port, app, threaded=True, use_reloader=app.debug, use_debugger=app.debug)


@percentiles_cli.command("refresh")
@click.option("--if-missing", is_flag=True, help="Only when no snapshot exists yet (what `make run` does).")
def refresh_percentiles_command(if_missing):
    """Recompute the percentile snapshots now (the worker does it every 15 minutes)."""
    from burntop.format import plural
    from burntop.stats.benchmarks import last_computed, refresh_percentiles

    if if_missing and last_computed() is not None:
        click.echo("percentile snapshots exist; nothing to do")
        return
    for period, populations in refresh_percentiles().items():
        click.echo(f"{period}: " + ", ".join(f"{metric} {plural(n, 'user')}" for metric, n in populations.items()))


@xp_cli.command("recompute")
def recompute_xp_command():
    """Run now every token-XP recompute still pending (migration 0009_xp_curve records one per user)."""
    from burntop.format import plural
    from burntop.gamification.recompute import recompute_pending

    click.echo(f"recomputed the token XP of {plural(recompute_pending(), 'user')}")


def register(app: Flask) -> None:
    from burntop.demo import demo_cli
    from burntop.leaderboard.commands import leaderboard_cli
    from burntop.pricing.commands import prices_cli
    from burntop.worker import worker_command

    for group in (users_cli, tokens_cli, percentiles_cli, xp_cli, demo_cli, prices_cli, leaderboard_cli):
        app.cli.add_command(group)
    app.cli.add_command(worker_command)
    app.cli.add_command(serve_command)
