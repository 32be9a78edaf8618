"""Leaderboard rules: the boards, their windows, scores, minimum volumes, order and labels.

Plain functions, no Flask or database, so tests can pin every rule.

Time zones. Rollups are bucketed by each user's local day (burntop.sync), so a board's period is applied
in each person's own zone: "this week" is every user's own ISO week (their Monday to their today), "this
month" their own calendar month, "7d"/"30d" their own last 7/30 local days (today included). A board
ranks people whose weeks may start a few hours apart, exactly as their streaks do; no viewer's zone
changes anybody else's figures, so one stored snapshot serves every viewer.

Order. Score first (higher is better), then the type's tie-break figure (higher is better), then the
earlier account (lower user id). Ranks are positions 1, 2, 3, ... in that order: nothing random, and
the same data always gives the same ranks.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from burntop.format import compact, percent, plural
from burntop.stats import periods

TYPES = ("global", "diverse", "efficient", "streak", "rising", "reasoning", "friends")
STORED_TYPES = ("global", "diverse", "efficient", "reasoning", "streak", "rising")  # friends reads global
WINDOW_TYPES = ("global", "diverse", "efficient", "reasoning")  # the ones a period applies to
BOARD_PERIODS = ("all", "month", "week", "30d", "7d")
REGIONS = ("NA", "EU", "APAC", "SA", "AF", "OCE")
FILTERS = ("tool", "model", "region")
MAX_LIMIT = 100
DEFAULT_LIMIT = 100

# Minimum volumes: below them a user is not on the board at all.
EFFICIENT_MIN_PROMPT_TOKENS = 1_000_000  # input + cache writes + cache reads in the window
RISING_MIN_PREVIOUS_TOKENS = 1_000_000   # tokens in the 7 days before the last 7
RISING_DAYS = 7

# Scores are stored as integers: rates in millionths (efficient) and gains in basis points (rising).
EFFICIENT_SCALE = 1_000_000
RISING_SCALE = 10_000

TIE_BREAKS = {
    "global": "more output tokens in the window",
    "diverse": "more tokens in the window",
    "efficient": "more prompt tokens (input, cache writes and reads) in the window",
    "reasoning": "more tokens in the window",
    "streak": "longer longest streak",
    "rising": "more tokens in the last 7 days",
}


class BoardError(ValueError):
    """A parameter outside what boards accept; `field` names it and `allowed` lists the valid values."""

    def __init__(self, field: str, message: str, allowed: tuple[str, ...] | None = None):
        super().__init__(message)
        self.field = field
        self.allowed = allowed


@dataclass(frozen=True)
class BoardKey:
    """What identifies a stored snapshot: its type, period and at most one filter ("" when none)."""
    type: str
    period: str
    filter_kind: str = ""
    filter_value: str = ""

    @property
    def label(self) -> str:
        return f"{self.type}:{self.period}:{self.filter_kind}={self.filter_value}"


def stored_period(board_type: str, period: str) -> str:
    """The period a type is stored under: streak is the current streak and rising its own 7-vs-7 days,
    so neither depends on the period asked for."""
    if board_type == "streak":
        return "all"
    if board_type == "rising":
        return "7d"
    return period


def choose(field: str, value: str | None, allowed: tuple[str, ...], default: str) -> str:
    if value is None or value == "":
        return default
    if value not in allowed:
        raise BoardError(field, f"{field} must be one of: {', '.join(allowed)}.", allowed)
    return value


def board_key(board_type: str, period: str, tool: str | None = None, model: str | None = None,
              region: str | None = None) -> BoardKey:
    """Validate a request's parameters into the stored board it reads (friends reads the global board)."""
    board_type = choose("type", board_type, TYPES, "global")
    period = choose("period", period, BOARD_PERIODS, "all")
    if region:
        choose("region", region, REGIONS, "")
    given = [(name, value) for name, value in (("tool", tool), ("model", model), ("region", region)) if value]
    if len(given) > 1:
        raise BoardError(given[1][0], "Use at most one of tool, model and region at a time.", FILTERS)
    for name, value in given:
        if len(value) > (64 if name == "tool" else 200):
            raise BoardError(name, f"{name} is too long.")
    stored_type = "global" if board_type == "friends" else board_type
    kind, value = given[0] if given else ("", "")
    return BoardKey(stored_type, stored_period(stored_type, period), kind, value)


def parse_cursor(raw: str | None) -> int:
    if raw is None or raw == "":
        return 1
    if not raw.isdigit() or not 1 <= int(raw) <= 10**9:
        raise BoardError("cursor", "cursor must be a rank: a whole number from 1.")
    return int(raw)


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise BoardError("limit", f"limit must be a whole number from 1 to {MAX_LIMIT}.")
    return int(raw)


# --- Scores ------------------------------------------------------------------------------------------

def efficient_score(cache_read: int, prompt: int) -> int | None:
    """Cache hit rate in millionths, or None below the minimum prompt volume."""
    if prompt < EFFICIENT_MIN_PROMPT_TOKENS or prompt <= 0:
        return None
    return cache_read * EFFICIENT_SCALE // prompt


def rising_score(last: int, previous: int) -> int | None:
    """Week-over-week gain in basis points ((last - previous) / previous), or None when the previous 7 days
    are under the minimum (a jump from nothing is not a rise) or there is no gain."""
    if previous < RISING_MIN_PREVIOUS_TOKENS:
        return None
    gain = (last - previous) * RISING_SCALE // previous
    return gain if gain > 0 else None


def sort_key(score: int, tie_break: int, user_id: int) -> tuple:
    """The documented order as a Python key (the SQL orders the same way)."""
    return (-score, -tie_break, user_id)


def score_value(board_type: str, score: int) -> int | float:
    """The API's `score`: a count for most types, a ratio for efficient (0.92) and rising (1.5 = +150%)."""
    if board_type == "efficient":
        return round(score / EFFICIENT_SCALE, 4)
    if board_type == "rising":
        return round(score / RISING_SCALE, 4)
    return int(score)


def score_label(board_type: str, score: int) -> str:
    """The human-readable score: "1.5M tokens", "92% cache hits", "12 days", "+150% week over week"."""
    if board_type in ("global", "friends"):
        return f"{compact(score)} {'token' if score == 1 else 'tokens'}"
    if board_type == "reasoning":
        return f"{compact(score)} reasoning {'token' if score == 1 else 'tokens'}"
    if board_type == "diverse":
        return plural(score, "model")
    if board_type == "efficient":
        return f"{percent(score / EFFICIENT_SCALE)} cache hits"
    if board_type == "streak":
        return plural(score, "day")
    if board_type == "rising":
        return f"+{percent(score / RISING_SCALE)} week over week"
    raise ValueError(board_type)


def trend(rank: int, baseline_rank: int | None) -> str:
    """"up", "down", "same" against the rank a day ago; "new" for someone not on the board then."""
    if baseline_rank is None:
        return "new"
    return "up" if rank < baseline_rank else "down" if rank > baseline_rank else "same"


# --- Windows per time zone ---------------------------------------------------------------------------

def local_today(zone: str, now: datetime) -> date:
    try:
        return now.astimezone(ZoneInfo(zone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return now.astimezone(timezone.utc).date()


def zone_days(zones: list[str], now: datetime) -> dict[date, list[str]]:
    """Group time zones by their local date now: at any moment at most three dates are current."""
    groups: dict[date, list[str]] = {}
    for zone in sorted(set(zones)):
        groups.setdefault(local_today(zone, now), []).append(zone)
    return groups


@dataclass(frozen=True)
class Window:
    """The local days one user's figures cover on a board, given their local today."""
    today: date
    starts: dict[str, date | None]  # period -> first day (None: no lower bound)
    previous_start: date            # rising: first and last day of the 7 days before the last 7
    previous_end: date
    yesterday: date                 # streak: alive while the last active day is today or yesterday


def window(today: date) -> Window:
    starts = {name: periods.resolve(name, "UTC", today=today).start for name in BOARD_PERIODS}
    last_start = today - timedelta(days=RISING_DAYS - 1)
    return Window(today=today, starts=starts, previous_start=last_start - timedelta(days=RISING_DAYS),
                  previous_end=last_start - timedelta(days=1), yesterday=today - timedelta(days=1))


def feed_instance(period: str, today: date) -> str:
    """Which "period" a top-10/top-100 entry is announced once in: the month, the ISO week, or ever."""
    if period in ("month", "30d"):
        return f"{today:%Y-%m}"
    if period in ("week", "7d"):
        year, week, _ = today.isocalendar()
        return f"{year}-W{week:02d}"
    return "all"


FEED_TIERS = (10, 100)


def tier_entered(rank: int, previous_rank: int | None) -> int | None:
    """The best top-N tier a rank is in that the previous rank was not (None if nothing new)."""
    for tier in FEED_TIERS:
        if rank <= tier and (previous_rank is None or previous_rank > tier):
            return tier
    return None


def describe_period(board_type: str, period: str) -> str:
    """What a board covers, for the page: "This week (each person's own Monday to today)"."""
    if board_type == "streak":
        return "Current usage streak, as of each person's today"
    if board_type == "rising":
        return "Last 7 days against the 7 before, in each person's local days"
    return {
        "all": "All time",
        "month": "This calendar month, in each person's own time zone",
        "week": "This ISO week (Monday to today), in each person's own time zone",
        "30d": "The last 30 days (today included), in each person's own local days",
        "7d": "The last 7 days (today included), in each person's own local days",
    }[period]
