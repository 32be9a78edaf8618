"""The insights and recommendations of /api/insights: pure rules over one user's own figures and their
percentiles, each a condition → a message that states the actual figures (burntop.format), or None.

Every message must be true for the user it is shown to. Ranks come from burntop.stats.percentiles,
whose shares are lower bounds, and are floored to a whole percent before they are shown, so "more than
90%" is never said of someone at 89.6%. A rule that needs a percentile does not fire without one (no
snapshot yet, or too few users to compare with).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from burntop import format as fmt

# How each period reads inside a sentence, and who it is compared with.
WHEN = {"all": "overall", "month": "this month", "week": "this week"}
NOTHING_WHEN = {"all": "yet", "month": "this month", "week": "this week"}  # "no usage ... yet"
AUDIENCE = {"all": "public burntop users", "month": "public users active this month",
            "week": "public users active this week"}
WEEKDAYS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")

TOP_RANK = 0.75        # share below from which a rank is worth saying
CHAMPION_RANK = 0.9
LOW_RANK = 0.75        # share above from which a low figure is worth saying
NEAR_AVERAGE = 0.1     # within 10% of the mean reads "about average"
LOW_EFFICIENCY = 0.5
EFFICIENCY_MIN_PROMPT = 100_000  # prompt tokens before cache advice means anything
RECORD_STREAK_MIN = 3


@dataclass(frozen=True)
class Rank:
    """One metric's standing: `below`/`above` are lower bounds of the shares strictly below/above."""
    below: float
    above: float
    population: int
    mean: float


@dataclass(frozen=True)
class Figures:
    period: str  # all | month | week
    time_zone: str
    days: int | None = None  # local days in the period so far; None for "all"
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_tokens: int = 0
    cache_read_tokens: int = 0
    active_days: int = 0
    priced_models: tuple[str, ...] = ()  # distinct priced models of the period, most tokens first
    current_streak: int = 0  # as it stands today
    longest_streak: int = 0
    peak: tuple[int, int, int] | None = None  # all-time busiest (weekday 0=Monday, hour, tokens)
    all_time_tokens: int = 0
    ranks: dict[str, Rank] = field(default_factory=dict)  # by metric, only those with a percentile

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_creation_tokens + self.cache_read_tokens

    @property
    def prompt_tokens(self) -> int:
        return self.input_tokens + self.cache_creation_tokens + self.cache_read_tokens

    @property
    def cache_efficiency(self) -> float | None:
        return self.cache_read_tokens / self.prompt_tokens if self.prompt_tokens else None

    @property
    def models(self) -> int:
        return len(self.priced_models)


def at_least(share: float) -> str:
    """A share as a whole percent rounded down: "more than 93%" stays true at 93.9%."""
    return fmt.percent(math.floor(share * 100 + 1e-9) / 100)


def _hour(hour: int) -> str:
    return f"{hour % 12 or 12} {'AM' if hour < 12 else 'PM'}"


def _insight(kind: str, title: str, message: str, sentiment: str) -> dict:
    return {"type": kind, "title": title, "message": message, "sentiment": sentiment}


def _recommendation(title: str, message: str, action: str) -> dict:
    return {"title": title, "message": message, "action": action}


# Insights ----------------------------------------------------------------------------------------------

def no_usage(f: Figures) -> dict | None:
    if f.tokens:
        return None
    return _insight("productivity", "No Usage Yet",
                    f"burntop has no usage from you {NOTHING_WHEN[f.period]} (days in {f.time_zone}).", "neutral")


def token_comparison(f: Figures) -> dict | None:
    rank = f.ranks.get("tokens")
    if rank is None or not f.tokens or rank.mean <= 0:
        return None
    ratio = f.tokens / rank.mean
    figures = f"{fmt.tokens(f.tokens)} against an average of {fmt.compact(rank.mean)} among " \
              f"{fmt.number(rank.population)} {AUDIENCE[f.period]}"
    if ratio >= 2:
        return _insight("comparison", "Far Above Average Token Usage",
                        f"You used {fmt.number(math.floor(ratio * 10) / 10, 1)} times the average {WHEN[f.period]}: "
                        f"{figures}.", "neutral")
    if ratio >= 1 + NEAR_AVERAGE:
        return _insight("comparison", "Above Average Token Usage",
                        f"You used {fmt.percent(ratio - 1)} more tokens than the average {WHEN[f.period]}: "
                        f"{figures}.", "neutral")
    if ratio <= 1 - NEAR_AVERAGE:
        return _insight("comparison", "Below Average Token Usage",
                        f"You used {fmt.percent(1 - ratio)} fewer tokens than the average {WHEN[f.period]}: "
                        f"{figures}.", "neutral")
    return _insight("comparison", "Average Token Usage",
                    f"You used about the average number of tokens {WHEN[f.period]}: {figures}.", "neutral")


def token_rank(f: Figures) -> dict | None:
    rank = f.ranks.get("tokens")
    if rank is None or not f.tokens or rank.below < TOP_RANK:
        return None
    return _insight("comparison", "Heavy User" if rank.below >= CHAMPION_RANK else "Top Quarter Usage",
                    f"You used more tokens {WHEN[f.period]} ({fmt.tokens(f.tokens)}) than {at_least(rank.below)} "
                    f"of {AUDIENCE[f.period]}.", "neutral")


def cache_champion(f: Figures) -> dict | None:
    rank = f.ranks.get("cacheEfficiency")
    if rank is None or f.cache_efficiency is None or rank.below < CHAMPION_RANK:
        return None
    return _insight("efficiency", "Cache Efficiency Champion",
                    f"Your cache efficiency {WHEN[f.period]}, {fmt.percent(f.cache_efficiency)}, is higher than "
                    f"that of {at_least(rank.below)} of {AUDIENCE[f.period]}.", "positive")


def cache_low(f: Figures) -> dict | None:
    rank = f.ranks.get("cacheEfficiency")
    if rank is None or f.cache_efficiency is None or rank.above < LOW_RANK:
        return None
    return _insight("efficiency", "Low Cache Efficiency",
                    f"Your cache efficiency {WHEN[f.period]} is {fmt.percent(f.cache_efficiency)}; "
                    f"{at_least(rank.above)} of {AUDIENCE[f.period]} had a higher one.", "negative")


def streak_rank(f: Figures) -> dict | None:
    rank = f.ranks.get("streak")
    if rank is None or f.current_streak < 2 or rank.below < TOP_RANK:
        return None
    return _insight("productivity", "Streak Leader",
                    f"Your {fmt.number(f.current_streak)}-day streak is longer than the current streak of "
                    f"{at_least(rank.below)} of {AUDIENCE[f.period]}.", "positive")


def streak_record(f: Figures) -> dict | None:
    if f.current_streak < RECORD_STREAK_MIN or f.current_streak < f.longest_streak:
        return None
    return _insight("achievement", "Personal Best Streak",
                    f"Your current streak of {fmt.plural(f.current_streak, 'day')} is your longest ever.", "positive")


def diversity_rank(f: Figures) -> dict | None:
    rank = f.ranks.get("diversity")
    if rank is None or f.models < 2 or rank.below < TOP_RANK:
        return None
    return _insight("comparison", "Model Explorer",
                    f"You used {fmt.plural(f.models, 'model')} {WHEN[f.period]}, more than "
                    f"{at_least(rank.below)} of {AUDIENCE[f.period]}.", "positive")


def active_days(f: Figures) -> dict | None:
    if f.days is None or not f.active_days:
        return None
    return _insight("productivity", "Active Days",
                    f"You used AI coding tools on {fmt.number(f.active_days)} of the {fmt.plural(f.days, 'day')} "
                    f"{WHEN[f.period]} so far ({f.time_zone}).", "positive" if f.active_days == f.days else "neutral")


def peak_time(f: Figures) -> dict | None:
    if f.period != "all" or f.peak is None or not f.peak[2] or not f.all_time_tokens:
        return None
    weekday, hour, tokens = f.peak
    return _insight("productivity", "Peak Productivity",
                    f"Your busiest hour of the week is {WEEKDAYS[weekday]} at {_hour(hour)} ({f.time_zone}): "
                    f"{fmt.tokens(tokens)}, {fmt.percent(tokens / f.all_time_tokens, 1)} of all your tokens.",
                    "neutral")


# Recommendations ---------------------------------------------------------------------------------------

def sync_usage(f: Figures) -> dict | None:
    if f.tokens:
        return None
    return _recommendation("Sync Your Usage", f"There is no usage from you {NOTHING_WHEN[f.period]}.",
                           "Run `burntop sync` after a coding session to upload it.")


def streak_in_reach(f: Figures) -> dict | None:
    if not 0 < f.current_streak < f.longest_streak:
        return None
    gap = f.longest_streak - f.current_streak
    return _recommendation("Improve Streak",
                           f"You're {fmt.plural(gap, 'day')} away from your longest streak record "
                           f"({fmt.plural(f.longest_streak, 'day')}); your current one is "
                           f"{fmt.plural(f.current_streak, 'day')}.", "Keep syncing daily!")


def start_streak(f: Figures) -> dict | None:
    if f.current_streak or not f.longest_streak:
        return None
    return _recommendation("Start a New Streak",
                           f"You have no current streak; your longest was {fmt.plural(f.longest_streak, 'day')}.",
                           "Use burntop today and tomorrow, and sync, to start one.")


def improve_cache(f: Figures) -> dict | None:
    ratio = f.cache_efficiency
    if ratio is None or ratio >= LOW_EFFICIENCY or f.prompt_tokens < EFFICIENCY_MIN_PROMPT:
        return None
    return _recommendation("Reuse Your Context",
                           f"{fmt.percent(ratio)} of your prompt tokens {WHEN[f.period]} were read from cache "
                           f"({fmt.compact(f.cache_read_tokens)} of {fmt.compact(f.prompt_tokens)}).",
                           "Continue long sessions rather than starting new ones, so more context comes from cache.")


def try_models(f: Figures) -> dict | None:
    if f.models != 1 or not f.tokens:
        return None
    return _recommendation("Try Another Model",
                           f"All your priced usage {WHEN[f.period]} was on one model: {f.priced_models[0]}.",
                           "Try another model for a task that suits it, and compare.")


INSIGHTS = (no_usage, token_comparison, token_rank, cache_champion, cache_low, streak_rank, streak_record,
            diversity_rank, active_days, peak_time)
RECOMMENDATIONS = (sync_usage, streak_in_reach, start_streak, improve_cache, try_models)


def insights(f: Figures) -> list[dict]:
    return [found for rule in INSIGHTS if (found := rule(f)) is not None]


def recommendations(f: Figures) -> list[dict]:
    return [found for rule in RECOMMENDATIONS if (found := rule(f)) is not None]
