"""How numbers, money, percentages and times read, everywhere burntop shows them (pages, SVG, the CLI).

One module so a figure reads the same on a profile, in a badge and in the terminal. Babel (CLDR data)
does the locale work; the wrappers fix what its compact form gets wrong at unit boundaries
(999,950 reads "1000K" in Babel, "1M" here) and keep every function total for ints, floats and None.
Pure: no Flask import, so the CLI can use it.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

from babel.dates import format_timedelta
from babel.numbers import format_compact_decimal, format_decimal, format_percent

LOCALE = "en"
_UNITS = ("", "K", "M", "B", "T")


def number(n: int | float | None, digits: int = 0) -> str:
    """1234567 -> "1,234,567"; with digits, at most that many decimals (trailing zeros dropped)."""
    if n is None:
        return "0"
    if digits == 0:
        if LOCALE == "en":  # Babel's "#,##0" in English, without its cost (charts format thousands of cells)
            return f"{round(n):,}"
        return format_decimal(round(n), format="#,##0", locale=LOCALE)
    return format_decimal(n, format="#,##0." + "#" * digits, locale=LOCALE)


def compact(n: int | float | None) -> str:
    """The short form of a count: 999 -> "999", 10,000 -> "10K", 743,698 -> "743.7K", 1.5e9 -> "1.5B".

    One decimal at most, rounded half-even by Babel; a value that rounds up to the next unit moves to
    it (999,950 -> "1M"); beyond trillions the count stays in T with grouping ("1,500T").
    """
    if n is None:
        return "0"
    if abs(n) < 1000:
        return number(n) if float(n).is_integer() or abs(n) >= 100 else number(n, 1)
    text = format_compact_decimal(n, format_type="short", fraction_digits=1, locale=LOCALE)
    digits, unit = text.rstrip("KMBT"), text[len(text.rstrip("KMBT")):]
    if digits.lstrip("-") == "1000" and unit in _UNITS[1:-1]:
        return ("-" if n < 0 else "") + "1" + _UNITS[_UNITS.index(unit) + 1]
    if unit == "T" and abs(float(digits.replace(",", ""))) >= 1000:
        return number(n / 1e12) + "T"
    return text


def tokens(n: int | float | None) -> str:
    """A token count for prose: "1.5M tokens", "1 token"."""
    return f"{compact(n)} {'token' if n == 1 else 'tokens'}"


def usd(amount: float | None) -> str:
    """Dollars with cents: "$1,234.50"; a positive amount under a cent reads "<$0.01", never "$0.00"."""
    amount = amount or 0.0
    if 0 < amount < 0.01:
        return "<$0.01"
    sign = "-" if amount < 0 else ""
    return f"{sign}${format_decimal(abs(amount), format='#,##0.00', locale=LOCALE)}"


def usd_compact(amount: float | None) -> str:
    """Dollars for tight spaces: "$12.34" below $1,000, else "$1.2K", "$3.4M"."""
    amount = amount or 0.0
    if abs(amount) < 1000:
        return usd(amount)
    return ("-" if amount < 0 else "") + "$" + compact(abs(amount))


def percent(ratio: float | None, digits: int = 0) -> str:
    """0.923 -> "92%" (digits=1: "92.3%"); a ratio, not a percentage."""
    if ratio is None or (isinstance(ratio, float) and math.isnan(ratio)):
        return "–"
    pattern = "#,##0%" if digits == 0 else "#,##0." + "0" * digits + "%"
    return format_percent(ratio, format=pattern, locale=LOCALE)


def plural(n: int | float, singular: str, plural_form: str | None = None, *, short: bool = False) -> str:
    """Count and noun that agree: "1 follower", "0 followers", "1,234 records" (short: "1.2K records")."""
    word = singular if n == 1 else (plural_form or singular + "s")
    return f"{compact(n) if short else number(n)} {word}"


def ago(moment: datetime | None, now: datetime | None = None, within: timedelta | None = None) -> str:
    """How long ago (or how far ahead) a moment is: "2 minutes ago", "in 3 hours", "never".

    `within` is the resolution a moment was recorded at: a past moment closer than that reads
    "less than 1 hour ago" rather than pretending to a precision it does not have.
    """
    if moment is None:
        return "never"
    now = now or datetime.now(timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    delta = moment - now
    if within is not None and -within < delta <= timedelta(0):
        return f"less than {format_timedelta(within, threshold=1, locale=LOCALE)} ago"
    if abs(delta) < timedelta(seconds=10):
        return "just now"
    return format_timedelta(delta, add_direction=True, threshold=1, locale=LOCALE)


def duration(seconds: int | float | None) -> str:
    """A span in the largest two units: 4,380 s -> "1h 13m", 90 s -> "1m 30s", 3 days -> "3d 0h"."""
    total = max(0, int(seconds or 0))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s" if secs and minutes < 10 else f"{minutes}m"
    return f"{secs}s"


JINJA_FILTERS = {
    "number": number, "compact": compact, "tokens": tokens, "usd": usd, "usd_compact": usd_compact,
    "percent": percent, "plural": plural, "ago": ago, "duration": duration,
}
