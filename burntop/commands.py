"""Operator commands: `flask --app app users|tokens|percentiles|demo|worker|prices ...`."""
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


def register(app: Flask) -> None:
    from burntop.demo import demo_cli
    from burntop.pricing.commands import prices_cli
    from burntop.worker import worker_command

    for group in (users_cli, tokens_cli, percentiles_cli, demo_cli, prices_cli):
        app.cli.add_command(group)
    app.cli.add_command(worker_command)
