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
LOGIN_TIMEOUT = 5  # seconds `login --token` retries an unreachable server before it gives up


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


def _to_stderr(text: str) -> None:
    click.echo(text, err=True)


def _warn_skipped(skipped, verbose: bool, places=()) -> None:
    """One warning line for what could not be read; --verbose counts every skip and names the file and
    line (or row, or record) of each problem."""
    from burntop.client.sources.base import is_problem
    from burntop.format import number, plural

    if verbose:
        for (source, reason), n in sorted(skipped.items()):
            kind = "could not read" if is_problem(reason) else "no model response"
            click.echo(f"{source}: skipped {number(n)} × {reason} ({kind})", err=True)
        for source, path, wheres, reason in _grouped(places):
            at = f" {', '.join(wheres)}" if wheres else ""
            click.echo(f"  {source}: {reason}: {path or '?'}{at}", err=True)
        return
    problems = sum(n for (_, reason), n in skipped.items() if is_problem(reason))
    if problems:
        click.echo(f"warning: skipped {plural(problems, 'malformed, unreadable or out-of-range item')}; "
                   "--verbose lists them", err=True)


def _grouped(places) -> list[tuple[str, str, list[str], str]]:
    """One entry per (source, file, reason), its lines joined into ranges: "lines 3-5, 9"."""
    from itertools import groupby

    groups: dict[tuple[str, str, str], list[str]] = {}
    for source, path, where, reason in places:
        groups.setdefault((source, path, reason), []).append(where)
    out = []
    for (source, path, reason), wheres in groups.items():
        lines = sorted({int(w[5:]) for w in wheres if w.startswith("line ")})
        others = list(dict.fromkeys(w for w in wheres if w and not w.startswith("line ")))
        spans = []
        for _, run in groupby(enumerate(lines), key=lambda pair: pair[1] - pair[0]):
            run = [n for _, n in run]
            spans.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
        shown = ([f"{'line' if len(lines) == 1 else 'lines'} {', '.join(spans)}"] if spans else []) + others
        out.append((source, path, shown, reason))
    return out


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="burntop")
def main() -> None:
    """burntop: exact local usage of your AI coding tools, and sync to burntop."""
    failed = cfg.tighten(cfg.config_dir(os.environ))
    if failed:
        click.echo(f"warning: could not make {failed[0]} private to you (chmod 700/600 it)", err=True)


@main.command()
@click.option("--token", help="Save this API token instead of approving the machine in a browser.")
@click.option("--api-url", help=f"The burntop server (default {cfg.DEFAULT_API_URL}).")
@click.option("--no-browser", is_flag=True, help="Only print the link to open (ssh sessions, headless machines).")
@click.option("--no-verify", is_flag=True,
              help="With --token: save it without asking the server (it is offline, or not reachable from here).")
@click.option("--local", "local", is_flag=True,
              help="Log in to the burntop `make run` serves on this computer (no sign-up; "
                   "--api-url default http://127.0.0.1:5000).")
def login(token: str | None, api_url: str | None, no_browser: bool, no_verify: bool, local: bool) -> None:
    """Link this machine: approve it in your browser, or save an API token with --token."""
    settings = cfg.load()
    if no_verify and not token:
        raise click.UsageError("--no-verify goes with --token (a browser login is checked by the server itself)")
    if local:
        if token:
            raise click.UsageError("--local gets its own token: leave out --token")
        from burntop.client import local_login

        _local_login(settings, local_login.local_server(api_url, settings.api_url))
        return
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
    token = token.strip()
    server = (api_url or settings.api_url).rstrip("/")
    if no_verify:
        cfg.save_login(settings, token, api_url)
        click.echo(f"token saved for {server} without checking it; `burntop status` checks it later")
        return
    from burntop.client.upload import Client, ServerError

    try:
        with Client(server, token, timeout=LOGIN_TIMEOUT, on_retry=_to_stderr) as client:
            who = client.profile()
    except ServerError as exc:
        if exc.status in (401, 403):
            raise click.ClickException(f"{server} rejected this token (HTTP {exc.status}); nothing was saved. Create a key "
                                       "in the website's settings, or run `burntop login` to approve this machine "
                                       "in a browser")
        raise click.ClickException(f"could not check the token with {server}: {exc}; nothing was saved. "
                                   "Check --api-url, or save it unchecked with --no-verify")
    cfg.save_login(settings, token, api_url)
    click.echo(f"logged in to {server} as {who.get('username', '?')}")
    if settings.token_from_env:
        click.echo("note: BURNTOP_TOKEN is set in your environment and overrides the saved token", err=True)


def _local_login(settings: cfg.Settings, server: str, *, note: str = "") -> None:
    """Get, check and save a token for the owner of the local burntop at server (`login --local`)."""
    from burntop.client import local_login

    try:
        token, username = local_login.log_in(server, on_retry=_to_stderr)
    except local_login.LocalLoginError as exc:
        raise click.ClickException(str(exc))
    cfg.save_login(settings, token, server)
    settings.token, settings.api_url = token, server
    click.echo(f"{note}logged in to {server} as {username} (local mode)", err=bool(note))


@main.command()
def logout() -> None:
    """Forget the saved token."""
    settings = cfg.load()
    cfg.save_login(settings, None, None)
    click.echo("logged out" + (" (BURNTOP_TOKEN is still set in your environment)" if settings.token_from_env else ""))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--all", "show_all", is_flag=True, help="Also list the tools not found on this machine.")
def status(as_json: bool, show_all: bool) -> None:
    """Who you are, whether the server answers, and what is waiting to sync."""
    from burntop.client.collect import read_new
    from burntop.client.sources import all_sources
    from burntop.client.state import SyncState
    from burntop.client.upload import Client, ServerError

    settings = cfg.load()
    env, home = _env_home()
    info = {"apiUrl": settings.api_url, "loggedIn": settings.logged_in, "user": None, "server": "unreachable",
            "token": "unchecked" if settings.token else "none"}
    with Client(settings.api_url, settings.token, timeout=0) as client:
        try:
            client.health()
            info["server"] = "ok"
            if settings.token:
                info["user"] = client.profile().get("username")
                info["token"] = "ok"
        except ServerError as exc:
            if info["server"] == "ok":
                info["token"] = "rejected" if exc.rejected_token else "unchecked"
            else:
                info["server"] = "unreachable" if exc.status is None else "error"
            info["serverError"] = str(exc)
    state = SyncState(settings.folder)
    sources = all_sources()
    found = {source.name: len(source.discover(env, home)) for source in sources}
    pending = read_new([s for s in sources if found[s.name]], env, home, state.checkpoint)
    info["sources"] = {}
    for source in sources:
        if not (found[source.name] or show_all):
            continue
        info["sources"][source.name] = {
            "label": source.label, "found": bool(found[source.name]), "files": found[source.name],
            "lastSyncAt": state.source(source.name).get("lastSyncAt"),
            "pendingRecords": sum(len(f.records) for f in pending.files if f.source == source.name),
        }
    if as_json:
        _print_json(info)
        return
    _status_lines(info, settings, show_all)


def _status_lines(info: dict, settings, show_all: bool) -> None:
    from datetime import datetime

    from burntop.format import ago, plural

    server = info["server"] if info["server"] != "error" else f"error: {info.get('serverError')}"
    click.echo(f"server   {settings.api_url} ({server})")
    account = {
        "ok": info["user"],
        "rejected": "token rejected by the server: run `burntop login`"
                    + (" (or fix BURNTOP_TOKEN)" if settings.token_from_env else ""),
        "unchecked": "token saved, not checked (the server did not answer)",
        "none": "not logged in: run `burntop login`",
    }[info["token"]]
    from burntop.client.local_login import is_loopback_url

    if info["token"] == "none" and is_loopback_url(settings.api_url):
        account = "not logged in: `burntop sync` logs in to the burntop on this computer (`burntop login --local`)"
    click.echo(f"account  {account}")
    if not info["sources"]:
        click.echo("no AI coding tool's usage logs found on this machine "
                   "(`burntop status --all` lists the tools burntop reads)")
        return
    width = max(len(entry["label"]) for entry in info["sources"].values())
    for entry in info["sources"].values():
        if not entry["found"]:
            click.echo(f"{entry['label']:<{width}}  not found on this machine")
            continue
        last = entry["lastSyncAt"] and datetime.fromisoformat(entry["lastSyncAt"])
        click.echo(f"{entry['label']:<{width}}  {plural(entry['files'], 'file')}, last sync {ago(last or None)}, "
                   f"{plural(entry['pendingRecords'], 'record')} pending")
    if not show_all:
        click.echo("`burntop status --all` also lists the tools not found here")


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
@click.option("--verbose", "-v", is_flag=True, help="List what was skipped, why and where.")
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
    sessions: dict = {}
    partials, skipped = read_all(_sources(source_names), env, home, ParseCache(settings_folder), sessions)
    report = aggregate(partials, by=by, tz=tz, since=since, until=until, mode=mode, sessions=sessions)
    _warn_skipped(skipped, verbose, skipped.places)
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
@click.option("--verbose", "-v", is_flag=True, help="List what was skipped, why and where.")
@click.option("--timeout", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="How long to keep retrying a server that is down or failing (default 30; 0: try once).")
@click.option("--install-schedule", is_flag=True, help="Sync every hour (cron; Task Scheduler command on Windows).")
@click.option("--remove-schedule", is_flag=True, help="Stop the hourly sync.")
@click.option("--api-url", help="The burntop server for this sync (default: the saved one). A burntop on this "
                                "computer with no token saved yet logs in as with `login --local`, and is saved.")
def sync(source_names, since, full, dry_run, as_json, verbose, timeout, install_schedule, remove_schedule,
         api_url) -> None:
    """Upload new usage to burntop."""
    if install_schedule or remove_schedule:
        from burntop.client import schedule

        try:
            click.echo(schedule.install() if install_schedule else schedule.remove())
        except schedule.ScheduleError as exc:
            raise click.ClickException(str(exc))
        return
    from burntop.client import sync as syncing
    from burntop.client.render import sync_progress
    from burntop.client.upload import DEFAULT_TIMEOUT, Client

    from burntop.client.local_login import is_loopback_url

    settings = cfg.load()
    if api_url:
        settings.api_url = api_url.rstrip("/")
    if not settings.logged_in and not dry_run:
        if not is_loopback_url(settings.api_url):
            raise click.ClickException("not logged in: run `burntop login` (or `burntop login --token <token>`, "
                                       "or set BURNTOP_TOKEN)")
        _local_login(settings, settings.api_url, note="no token saved: asked the burntop on this computer for one "
                                                      "(as `burntop login --local` does); ")
    env, home = _env_home()
    sources = _sources(source_names)
    with sync_progress(enabled=not as_json and sys.stderr.isatty()) as (progress, note):
        client = None if dry_run else Client(settings.api_url, settings.token, on_retry=note,
                                             timeout=DEFAULT_TIMEOUT if timeout is None else timeout)
        try:
            report = syncing.run(settings, sources, env, home, since=since, full=full, dry_run=dry_run,
                                 client=client, progress=progress)
        finally:
            if client is not None:
                client.close()
    _warn_skipped(report.skipped_lines, verbose, report.places)
    if as_json:
        _print_json(report.as_json())
    else:
        from burntop.client.render import sync_summary

        sync_summary(report)
    if report.rejected_token and settings.token_from_env:
        click.echo("note: the token came from BURNTOP_TOKEN in your environment, which overrides a saved login",
                   err=True)
    elif report.rejected_token and is_loopback_url(settings.api_url):
        click.echo(f"for the burntop on this computer: `burntop login --local --api-url {settings.api_url}`",
                   err=True)
    if not report.ok:
        sys.exit(1)
