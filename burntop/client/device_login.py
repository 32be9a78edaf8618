"""`burntop login` without a token: the OAuth 2.0 device authorization grant (RFC 8628) from the client side."""
from __future__ import annotations

import socket
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass

import click
import requests

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
SLOW_DOWN_STEP = 5


class DeviceLoginError(Exception):
    """The login did not complete; the message says why and what to do."""


@dataclass
class DeviceCode:
    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str
    interval: int
    expires_in: int


def client_name() -> str:
    """What the browser asks the person to approve, and the name of the token it creates."""
    return f"burntop CLI on {socket.gethostname() or 'this machine'}"[:100]


def _post(session: requests.Session, url: str, data: dict, timeout: float) -> tuple[int, dict]:
    try:
        response = session.post(url, data=data, timeout=timeout)
    except requests.RequestException as exc:
        raise DeviceLoginError(f"cannot reach {url.split('/api/')[0]}: {exc.__class__.__name__}") from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    return response.status_code, body if isinstance(body, dict) else {}


def request_code(session: requests.Session, api_url: str, name: str, timeout: float = 30) -> DeviceCode:
    """Ask the server for a device code and the user code to show."""
    status, body = _post(session, f"{api_url}/api/auth/device/code", {"client_name": name}, timeout)
    if status != 200:
        message = (body.get("error") or {}).get("message") if isinstance(body.get("error"), dict) else None
        raise DeviceLoginError(f"{api_url} refused to start a login ({status}{': ' + message if message else ''})")
    try:
        return DeviceCode(
            device_code=body["device_code"], user_code=body["user_code"],
            verification_uri=body["verification_uri"],
            verification_uri_complete=body.get("verification_uri_complete") or body["verification_uri"],
            interval=int(body.get("interval") or 5), expires_in=int(body.get("expires_in") or 900),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DeviceLoginError(f"{api_url} answered the login request with something unexpected") from exc


def open_browser(url: str) -> bool:
    """Try to open url in a browser; a machine without one (ssh, CI) is not an error."""
    try:
        return bool(webbrowser.open(url))
    except Exception:
        return False


def poll(session: requests.Session, api_url: str, code: DeviceCode, *, timeout: float = 30,
         sleep: Callable[[float], None] | None = None, clock: Callable[[], float] | None = None) -> dict:
    """Poll the token endpoint until the person decides; return the token response (access_token, user)."""
    sleep, clock = sleep or time.sleep, clock or time.monotonic
    deadline = clock() + code.expires_in
    interval = code.interval
    while True:
        sleep(interval)
        if clock() >= deadline:
            raise DeviceLoginError("the code expired before it was approved: run `burntop login` again")
        status, body = _post(session, f"{api_url}/api/auth/device/token",
                             {"grant_type": GRANT_TYPE, "device_code": code.device_code}, timeout)
        if status == 200 and body.get("access_token"):
            return body
        error = body.get("error")
        if error == "authorization_pending":
            continue
        if error == "slow_down":
            interval += SLOW_DOWN_STEP
            continue
        if error == "access_denied":
            raise DeviceLoginError("the login was denied in the browser; nothing was saved")
        if error == "expired_token":
            raise DeviceLoginError("the code expired before it was approved: run `burntop login` again")
        if status >= 500 or status == 429:
            continue  # the server is having a moment; the code is still good until the deadline
        raise DeviceLoginError(f"the server ended the login ({status} {error or 'unexpected answer'}): "
                               "run `burntop login` again")


def show_code(code: DeviceCode, console) -> None:
    """Tell the person where to go and which code to check: a panel on a terminal, plain lines otherwise."""
    if console is not None:
        from rich.markup import escape
        from rich.panel import Panel

        console.print(Panel.fit(
            f"Open [link={escape(code.verification_uri_complete)}][bold]{escape(code.verification_uri)}[/bold][/link]\n"
            f"and confirm the code  [bold reverse] {escape(code.user_code)} [/bold reverse]",
            title="Log in to burntop", border_style="#ff6b00", padding=(1, 3)))
        return
    click.echo("To log in, open this page in a browser:")
    click.echo(f"  {code.verification_uri_complete}")
    click.echo(f"and confirm the code: {code.user_code}")


def run(api_url: str, *, browser: bool, terminal: bool) -> dict:
    """The whole device login: get a code, show it, open the browser, and wait for the decision."""
    from burntop.client.upload import make_session

    with make_session(retries=2) as session:
        code = request_code(session, api_url, client_name())
        console = None
        if terminal:
            from rich.console import Console

            console = Console()
        show_code(code, console)
        if browser and open_browser(code.verification_uri_complete):
            click.echo("Opened your browser; waiting for you to approve (Ctrl-C to cancel).")
        else:
            click.echo("Waiting for you to approve in the browser (Ctrl-C to cancel).")
        if console is None:
            return poll(session, api_url, code)
        with console.status("Waiting for approval…"):
            return poll(session, api_url, code)
