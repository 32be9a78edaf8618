"""Talking to the server: each retry is announced, within a time budget the user can set (--timeout).

POST /api/sync is safe to retry: the server dedupes by requestId and stores a batch atomically.
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from burntop import __version__
from burntop.format import duration, plural

RETRY_STATUSES = (429, 500, 502, 503, 504)
DEFAULT_TIMEOUT = 30          # seconds a sync keeps retrying a server that is down or failing
FIRST_DELAY, MAX_DELAY = 1.0, 8.0
MAX_RATE_LIMIT_WAIT = 120     # a Retry-After beyond this is not honoured
MAX_RATE_LIMITED = 10         # 429s in a row for one request before giving up
CONNECT_TIMEOUT, READ_TIMEOUT = 5, 60
SLACK = 1.0                   # seconds of attempts the budget tolerates beyond its waits


class ServerError(Exception):
    """The server refused or could not be reached after retrying; status is None when unreachable."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status

    @property
    def rejected_token(self) -> bool:
        return self.status == 401

    @property
    def about_this_batch(self) -> bool:
        """A refusal of this request's content: another batch or source may still go through."""
        return self.status in (400, 413)


def make_session(retries: int = 6, backoff: float = 1.0, backoff_max: float = 60.0) -> requests.Session:
    """A session with our User-Agent; with retries, urllib3 retries silently (device login's short calls)."""
    session = requests.Session()
    if retries:
        retry = Retry(
            total=retries, connect=retries, read=retries, status=retries,
            backoff_factor=backoff, backoff_max=backoff_max, backoff_jitter=backoff,
            status_forcelist=RETRY_STATUSES, allowed_methods=None,
            respect_retry_after_header=True, raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    session.headers["User-Agent"] = f"burntop-cli/{__version__}"
    return session


def backoff_delays(budget: float) -> list[float]:
    """The waits between attempts that fit in `budget` seconds: 1, 2, 4, 8, 8, ... (30 s: five retries)."""
    delays: list[float] = []
    delay = FIRST_DELAY
    while sum(delays) + delay <= budget:
        delays.append(delay)
        delay = min(delay * 2, MAX_DELAY)
    return delays


def pause(seconds: float) -> None:
    """Wait between attempts (a seam for tests of the full default schedule)."""
    time.sleep(seconds)


def _retry_after(response: requests.Response) -> float | None:
    try:
        return min(max(float(response.headers["Retry-After"]), 0.0), MAX_RATE_LIMIT_WAIT)
    except (KeyError, ValueError):
        return None


class Client:
    """The JSON API as the CLI uses it. `timeout` is the retry budget in seconds (0: one attempt);
    `on_retry` hears one line per retry ("server unreachable, retrying in 4 s (2/5)")."""

    def __init__(self, api_url: str, token: str | None, *, timeout: float = DEFAULT_TIMEOUT,
                 on_retry: Callable[[str], None] | None = None, sleep: Callable[[float], None] | None = None):
        self.api_url = api_url.rstrip("/")
        self.session = make_session(retries=0)
        self.timeout = max(float(timeout), 0.0)
        self.on_retry = on_retry or (lambda message: None)
        self.sleep = sleep or pause
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def _call(self, method: str, path: str, **kwargs) -> dict:
        delays = backoff_delays(self.timeout)
        retries = rate_limited = 0
        first_failure: float | None = None
        jitter = 0.0  # not counted against the budget, so the schedule's last retry always fits
        while True:
            try:
                response = self.session.request(method, self.api_url + path,
                                                timeout=(CONNECT_TIMEOUT, READ_TIMEOUT), **kwargs)
            except requests.RequestException as exc:
                response, failure = None, "server unreachable"
                error = ServerError(f"cannot reach {self.api_url} ({exc.__class__.__name__})")
            else:
                if response.status_code not in RETRY_STATUSES:
                    return self._answer(response)
                failure, error = f"server answered {response.status_code}", self._refusal(response)
            wait = _retry_after(response) if response is not None and response.status_code == 429 else None
            if wait is not None:
                # The server is up and pacing us: its wait does not eat the budget for an outage.
                rate_limited += 1
                if rate_limited > MAX_RATE_LIMITED:
                    raise error
                self.on_retry(f"rate limited by the server, waiting {duration(wait)}")
                self.sleep(wait + random.uniform(0, 0.5))
                continue
            now = time.monotonic()
            first_failure = now if first_failure is None else first_failure
            spent = now - first_failure - jitter  # attempts that time out count; ones refused at once hardly do
            if retries >= len(delays) or spent + delays[retries] > self.timeout + SLACK:
                waited = round(now - first_failure)
                if retries:
                    error.args = (f"{error.args[0]}; gave up after "
                                  f"{plural(retries, 'retry', 'retries')} in {duration(waited)} "
                                  f"(--timeout {duration(self.timeout)})",)
                raise error
            delay = delays[retries]
            retries += 1
            self.on_retry(f"{failure}, retrying in {duration(delay)} ({retries}/{len(delays)})")
            extra = random.uniform(0, delay / 4)  # jitter: hourly syncs must not hit the server in step
            jitter += extra
            self.sleep(delay + extra)

    def _refusal(self, response: requests.Response) -> ServerError:
        try:
            body = response.json()
        except ValueError:
            body = {}
        error = body.get("error", {}) if isinstance(body, dict) else {}
        error = error if isinstance(error, dict) else {}
        message = error.get("message") or response.reason
        detail = error.get("details")
        return ServerError(f"{response.status_code} {error.get('code', '')}: {message}"
                           + (f" (first problem: {detail[0]})" if detail else ""), response.status_code)

    def _answer(self, response: requests.Response) -> dict:
        if response.status_code >= 400:
            raise self._refusal(response)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ServerError(f"{self.api_url} answered {response.status_code} with something that is not "
                              "burntop's JSON: is --api-url right?", response.status_code)
        return body

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def sync(self, records: list[dict], sessions: list[dict] = ()) -> dict:
        body = {"records": records, **({"sessions": list(sessions)} if sessions else {})}
        return self._call("POST", "/api/sync", json=body)

    def health(self) -> dict:
        return self._call("GET", "/api/health")

    def profile(self) -> dict:
        return self._call("GET", "/api/profile")

    def local_token(self, client_name: str) -> dict:
        """A token for the owner of a burntop in local mode (burntop.client.local_login)."""
        return self._call("POST", "/api/local/token", json={"client_name": client_name})
