"""The address of absolute links the server builds (device login, referrals, the public API, OAuth)."""
from __future__ import annotations

from flask import current_app, has_request_context, request


def base_url() -> str:
    """BURNTOP_BASE_URL when it is set; otherwise the address this request was served on (scheme, host and
    port, as the proxies trusted by BURNTOP_PROXY_FIX tell it), so `PORT=5077 make run` links to 5077."""
    configured = current_app.config.get("BURNTOP_BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return "http://localhost"


def external(path: str) -> str:
    """An absolute link to a path on this site ("/device" -> "https://burntop.example/device")."""
    return base_url() + path
