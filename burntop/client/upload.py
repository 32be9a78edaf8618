"""Talking to the server: retries with exponential backoff and jitter, honouring Retry-After.

POST /api/sync is safe to retry: the server dedupes by requestId and stores a batch atomically.
"""
from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from burntop import __version__

RETRY_STATUSES = (429, 500, 502, 503, 504)


class ServerError(Exception):
    """The server refused or could not be reached after retrying."""


def make_session(retries: int = 6, backoff: float = 1.0, backoff_max: float = 60.0) -> requests.Session:
    retry = Retry(
        total=retries, connect=retries, read=retries, status=retries,
        backoff_factor=backoff, backoff_max=backoff_max, backoff_jitter=backoff,
        status_forcelist=RETRY_STATUSES, allowed_methods=None,  # POST /api/sync is idempotent
        respect_retry_after_header=True, raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = f"burntop-cli/{__version__}"
    return session


class Client:
    def __init__(self, api_url: str, token: str | None, session: requests.Session | None = None, timeout: float = 60):
        self.api_url = api_url.rstrip("/")
        self.session = session or make_session()
        self.timeout = timeout
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def _call(self, method: str, path: str, **kwargs) -> dict:
        try:
            response = self.session.request(method, self.api_url + path, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise ServerError(f"cannot reach {self.api_url}: {exc.__class__.__name__}") from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400:
            error = body.get("error", {}) if isinstance(body, dict) else {}
            message = error.get("message") or response.reason
            detail = error.get("details")
            raise ServerError(f"{response.status_code} {error.get('code', '')}: {message}"
                              + (f" (first problem: {detail[0]})" if detail else ""))
        return body

    def sync(self, records: list[dict]) -> dict:
        return self._call("POST", "/api/sync", json={"records": records})

    def health(self) -> dict:
        return self._call("GET", "/api/health")

    def profile(self) -> dict:
        return self._call("GET", "/api/profile")
