"""What burntop can tell about a client from its request, coarsely: browser, network, country.

Pure functions (no Flask, no database). Countries come from iptocc, which embeds the five Regional
Internet Registries' delegation data in its wheel (no network at run time): it names the country a
block is registered to, which is right for most addresses and never finer than a country.
"""
from __future__ import annotations

import ipaddress
import re
from functools import cache

from babel import Locale
from iptocc import country_code

_BROWSERS = (  # checked in order: Edge and Opera also say "Chrome", Chrome also says "Safari"
    ("Edg/", "Edge"), ("EdgA/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"), ("Chromium/", "Chromium"), ("Chrome/", "Chrome"), ("Safari/", "Safari"),
    ("curl/", "curl"), ("python-requests/", "Python"), ("burntop/", "burntop CLI"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("CrOS", "ChromeOS"),
    ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Macintosh", "macOS"), ("Linux", "Linux"),
)


def describe_user_agent(user_agent: str | None) -> str:
    """"Firefox on macOS": enough to recognise one's own browser in a list, nothing more."""
    text = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in text), None)
    system = next((name for marker, name in _SYSTEMS if marker in text), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or (f"A browser on {system}" if system else "Unknown browser")


def _address(ip: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def network(ip: str | None) -> str | None:
    """The network an address is in, as providers hand them out: the /24 of IPv4, the /48 of IPv6."""
    address = _address(ip)
    if address is None:
        return None
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


@cache
def _country_names() -> dict[str, str]:
    return dict(Locale("en").territories)


def country(ip: str | None) -> str | None:
    """The country an address is registered in ("Germany"), or None (private, loopback, unknown)."""
    address = _address(ip)
    if address is None or not address.is_global:
        return None
    code = country_code(str(address))
    if not code or not re.fullmatch(r"[A-Z]{2}", code):
        return None
    return _country_names().get(code, code)


def place(ip: str | None) -> str:
    """Where an address is, as precisely as burntop knows: a country, or what kind of network it is."""
    address = _address(ip)
    if address is None:
        return "an unknown address"
    if address.is_loopback:
        return "this computer"
    if address.is_private or address.is_link_local:
        return "a private network"
    return country(ip) or "an unknown country"
