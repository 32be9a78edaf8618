"""`burntop login --local`, and the first `burntop sync` against a burntop on this computer: a token for
the local burntop's owner from `POST /api/local/token`, which answers only in local mode (`make run`)
and only programs on this computer. No sign-up, no browser."""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

DEFAULT_LOCAL_URL = "http://127.0.0.1:5000"  # where `make run` serves
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
LOGIN_TIMEOUT = 5  # seconds of retrying a server that does not answer


class LocalLoginError(Exception):
    """No token was obtained; the message says why and what to do."""


def is_loopback_url(url: str | None) -> bool:
    """Whether url points at this computer by one of the names local mode answers to."""
    try:
        parts = urlsplit(url or "")
        return parts.scheme in ("http", "https") and parts.hostname in LOOPBACK_HOSTS
    except ValueError:
        return False


def local_server(api_url: str | None, saved_url: str) -> str:
    """The server `login --local` asks: --api-url, else the saved one when it is local, else `make run`'s."""
    if api_url:
        return api_url.rstrip("/")
    return saved_url if is_loopback_url(saved_url) else DEFAULT_LOCAL_URL


def log_in(server: str, *, timeout: float = LOGIN_TIMEOUT, on_retry: Callable[[str], None] | None = None,
           ) -> tuple[str, str]:
    """Get a token for the owner of the local burntop at server and check it; return (token, username)."""
    from burntop.client.device_login import client_name
    from burntop.client.upload import Client, ServerError

    if not is_loopback_url(server):
        raise LocalLoginError(f"{server} is not on this computer: a local login asks only 127.0.0.1, localhost "
                              "or [::1]; run `burntop login` for another server")
    try:
        with Client(server, None, timeout=timeout, on_retry=on_retry) as client:
            answer = client.local_token(client_name())
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise LocalLoginError(f"{server} answered the local login with something unexpected; nothing was saved")
        with Client(server, token, timeout=timeout, on_retry=on_retry) as client:
            who = client.profile()
    except ServerError as exc:
        if exc.status == 404:
            raise LocalLoginError(f"{server} is not in local mode (BURNTOP_LOCAL_MODE=1, what `make run` uses); "
                                  "nothing was saved. Run `burntop login` to approve this machine instead")
        if exc.status is None:
            raise LocalLoginError(f"{exc}: is `make run` running? Nothing was saved")
        raise LocalLoginError(f"{server} refused a local login ({exc}); nothing was saved")
    return token, str(who.get("username") or "?")
