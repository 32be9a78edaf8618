"""Flask CLI: `flask prices refresh` merges LiteLLM's latest prices into the shipped table."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from .refresh import download_latest_wheel, json_from_wheel, read_litellm_json, refresh_table
from .table import SHIPPED_PATH

prices_cli = AppGroup("prices", help="Manage the model price table shipped in burntop/pricing.")


# The command touches no app state, so it runs without an app context.
@prices_cli.command("refresh", with_appcontext=False)
@click.option(
    "--from", "source", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A LiteLLM model price JSON file or a litellm .whl (default: latest wheel from PyPI).",
)
@click.option(
    "--table", "table_path", type=click.Path(dir_okay=False, path_type=Path),
    default=SHIPPED_PATH, show_default=True, help="The price table to merge into.",
)
def refresh_command(source: Path | None, table_path: Path) -> None:
    """Merge LiteLLM prices into the table; models no longer upstream are kept."""
    if source is None:
        click.echo("Downloading the latest litellm wheel from PyPI...")
        version, wheel = download_latest_wheel()
        data, label = json_from_wheel(wheel), f"litellm {version}"
    else:
        data, label = read_litellm_json(source)
    try:
        report = refresh_table(data, label, table_path)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{label}: {report.summary()}")
    for model, reason in sorted(report.dropped.items()):
        click.echo(f"dropped {model}: {reason}")
    click.echo(f"Wrote {table_path}")
