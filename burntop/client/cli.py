"""The `burntop` command: login, logout, status, stats and sync."""
from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path

import click

from burntop import __version__
from burntop.client import config as cfg

SOURCE_HELP = "Only this source (repeatable): claude-code, codex, gemini-cli, opencode, ..."


def _env_home() -> tuple[dict, Path]:
    return dict(os.environ), Path(os.environ.get("HOME") or Path.home())


def _sources(names: tuple[str, ...]):
    from burntop.client.sources import select

    try:
        return select(names)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--source")


def _date(ctx, param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD")


def _print_json(data) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _warn_skipped(skipped, verbose: bool, files=()) -> None:
    """One warning line for what could not be read; --verbose lists every skip and why."""
    from burntop.client.sources.base import is_problem

    if verbose:
        for (source, reason), n in sorted(skipped.items()):
            kind = "could not read" if is_problem(reason) else "no model response"
            click.echo(f"{source}: skipped {n:,} × {reason} ({kind})", err=True)
        for source, path, reason in files:
            click.echo(f"{source}: skipped file {path}: {reason}", err=True)
        return
    problems = sum(n for (_, reason), n in skipped.items() if is_problem(reason))
    if problems:
        click.echo(f"warning: skipped {problems:,} malformed, unreadable or out-of-range item(s); "
                   "--verbose lists them", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="burntop")
def main() -> None:
    """burntop: exact local usage of your AI coding tools, and sync to burntop."""


@main.command()
@click.option("--token", help="Save this API token instead of approving the machine in a browser.")
@click.option("--api-url", help=f"The burntop server (default {cfg.DEFAULT_API_URL}).")
@click.option("--no-browser", is_flag=True, help="Only print the link to open (ssh sessions, headless machines).")
def login(token: str | None, api_url: str | None, no_browser: bool) -> None:
    """Link this machine: approve it in your browser, or save an API token with --token."""
    settings = cfg.load()
    if not token:
        from burntop.client import device_login

        server = (api_url or settings.api_url).rstrip("/")
        try:
            answer = device_login.run(server, browser=not no_browser, terminal=sys.stdout.isatty())
        except device_login.DeviceLoginError as exc:
            raise click.ClickException(str(exc))
        except KeyboardInterrupt:
            click.echo("\nlogin cancelled; nothing was saved", err=True)
            sys.exit(130)
        cfg.save_login(settings, answer["access_token"], api_url)
        click.echo(f"logged in to {server} as {(answer.get('user') or {}).get('username', '?')}")
        if settings.token_from_env:
            click.echo("note: BURNTOP_TOKEN is set in your environment and overrides the saved token", err=True)
        return
    cfg.save_login(settings, token.strip(), api_url)
    settings = cfg.load()
    from burntop.client.upload import Client, ServerError, make_session

    try:
        who = Client(settings.api_url, settings.token, make_session(retries=1)).profile()
        click.echo(f"logged in to {settings.api_url} as {who.get('username')}")
    except ServerError as exc:
        click.echo(f"token saved, but {settings.api_url} did not confirm it: {exc}", err=True)


@main.command()
def logout() -> None:
    """Forget the saved token."""
    settings = cfg.load()
    cfg.save_login(settings, None, None)
    click.echo("logged out" + (" (BURNTOP_TOKEN is still set in your environment)" if settings.token_from_env else ""))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(as_json: bool) -> None:
    """Who you are, whether the server answers, and what is waiting to sync."""
    from burntop.client.collect import read_new
    from burntop.client.sources import all_sources
    from burntop.client.state import SyncState
    from burntop.client.upload import Client, ServerError, make_session

    settings = cfg.load()
    env, home = _env_home()
    client = Client(settings.api_url, settings.token, make_session(retries=1), timeout=10)
    info = {"apiUrl": settings.api_url, "loggedIn": settings.logged_in, "user": None, "server": "unreachable"}
    try:
        client.health()
        info["server"] = "ok"
        if settings.token:
            info["user"] = client.profile().get("username")
    except ServerError as exc:
        info["serverError"] = str(exc)
    state = SyncState(settings.folder)
    pending = read_new(all_sources(), env, home, state.checkpoint)
    info["sources"] = {}
    for source in all_sources():
        entry = state.source(source.name)
        waiting = sum(len(f.records) for f in pending.files if f.source == source.name)
        if entry.get("lastSyncAt") or waiting:
            info["sources"][source.name] = {"lastSyncAt": entry.get("lastSyncAt"), "pendingRecords": waiting}
    if as_json:
        _print_json(info)
        return
    click.echo(f"server   {settings.api_url} ({info['server']})")
    click.echo(f"account  {info['user'] or ('token saved' if settings.logged_in else 'not logged in')}")
    for name, entry in info["sources"].items():
        click.echo(f"{name:<12} last sync {entry['lastSyncAt'] or 'never'}, {entry['pendingRecords']:,} record(s) pending")
    if not info["sources"]:
        click.echo("no usage logs found yet")


@main.command()
@click.option("--by", type=click.Choice(["day", "week", "month", "session", "model", "source"]), default="day",
              show_default=True)
@click.option("--since", callback=_date, help="First day (YYYY-MM-DD), inclusive.")
@click.option("--until", callback=_date, help="Last day (YYYY-MM-DD), inclusive.")
@click.option("--source", "source_names", multiple=True, help=SOURCE_HELP)
@click.option("--tz", default=None, help="IANA time zone for days (default: this machine's).")
@click.option("--mode", type=click.Choice(["auto", "calculate", "display"]), default="auto", show_default=True,
              help="auto: a cost the tool logged, else calculated; calculate; display: logged costs only.")
@click.option("--json", "as_json", is_flag=True, help="JSON output (ccusage-compatible for --by day).")
@click.option("--verbose", "-v", is_flag=True, help="List what was skipped and why.")
@click.option("--date", "day", callback=_date, help="Only this day (YYYY-MM-DD): --since and --until in one.")
@click.option("--explain", is_flag=True,
              help="Show how each source's figure was reached: files, lines seen, skips, duplicates folded.")
def stats(by, since, until, source_names, tz, mode, as_json, verbose, day, explain) -> None:
    """Usage and cost from your local logs; works offline."""
    from burntop.client.collect import ParseCache, read_all
    from burntop.client.stats import aggregate

    tz = tz or _local_zone()
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(tz)
    except Exception:
        raise click.BadParameter(f"unknown time zone {tz!r}", param_hint="--tz")
    settings_folder = cfg.config_dir(os.environ)
    env, home = _env_home()
    if explain:
        from burntop.client import explain as explaining

        report = explaining.explain(_sources(source_names), env, home, ParseCache(settings_folder), tz, day)
        _print_json(report) if as_json else explaining.render(report, verbose)
        return
    since, until = (day, day) if day else (since, until)
    partials, skipped = read_all(_sources(source_names), env, home, ParseCache(settings_folder))
    report = aggregate(partials, by=by, tz=tz, since=since, until=until, mode=mode)
    _warn_skipped(skipped, verbose)
    if as_json:
        _print_json(report)
    else:
        from burntop.client.render import stats_table

        stats_table(report, by, tz, mode)


def _local_zone() -> str:
    if os.environ.get("TZ"):
        return os.environ["TZ"]
    try:
        link = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in link:
            return link.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    return "UTC"


@main.command()
@click.option("--source", "source_names", multiple=True, help=SOURCE_HELP)
@click.option("--since", callback=_date, help="Only records from this day on (YYYY-MM-DD, local time).")
@click.option("--full", is_flag=True, help="Ignore checkpoints and send everything again (the server dedupes).")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send nothing.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable summary.")
@click.option("--verbose", "-v", is_flag=True, help="List what was skipped and why.")
@click.option("--install-schedule", is_flag=True, help="Sync every hour (cron; Task Scheduler command on Windows).")
@click.option("--remove-schedule", is_flag=True, help="Stop the hourly sync.")
def sync(source_names, since, full, dry_run, as_json, verbose, install_schedule, remove_schedule) -> None:
    """Upload new usage to burntop."""
    if install_schedule or remove_schedule:
        from burntop.client import schedule

        try:
            click.echo(schedule.install() if install_schedule else schedule.remove())
        except schedule.ScheduleError as exc:
            raise click.ClickException(str(exc))
        return
    from burntop.client import sync as syncing
    from burntop.client.upload import Client

    settings = cfg.load()
    if not settings.logged_in and not dry_run:
        raise click.ClickException("not logged in: run `burntop login` (or `burntop login --token <token>`, or set BURNTOP_TOKEN)")
    env, home = _env_home()
    sources = _sources(source_names)
    client = None if dry_run else Client(settings.api_url, settings.token)
    from burntop.client.render import sync_progress

    with sync_progress(enabled=not as_json and sys.stderr.isatty()) as progress:
        report = syncing.run(settings, sources, env, home, since=since, full=full, dry_run=dry_run,
                             client=client, progress=progress)
    _warn_skipped(report.skipped_lines, verbose, report.skipped_files)
    if as_json:
        _print_json(report.as_json())
    else:
        from burntop.client.render import sync_summary

        sync_summary(report)
    if not report.ok:
        sys.exit(1)
