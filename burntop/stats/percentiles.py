"""Percentiles against a stored, compact summary of a population (pure functions, no database).

Definition. A user's percentile for a metric is the share of the population whose value is strictly
lower than the user's: 0.9 means "higher than 90% of them". Ties do not count in the user's favour, so
the highest value of a population of n scores (n - 1) / n, never 1, and a value shared by everyone
scores 0. A user who is part of the population is counted in n but is never below themselves.

Summary. `summarize` keeps every value when the population has at most MAX_POINTS of them, and
otherwise MAX_POINTS order statistics at evenly spaced ranks (the first and last are the minimum and
maximum). `share_below` bisects into that list (O(log n)) and returns a lower bound of the share that
is exact for a summary that kept every value and at most 1 / (MAX_POINTS - 1) under the truth
otherwise: figures built on it may understate a rank, never overstate it. `share_above` is the
same lower bound for the share strictly higher than a value ("n% of users had a higher one").
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence

MAX_POINTS = 1001  # quantile points stored per period and metric: 0.1% resolution at most
MIN_POPULATION = 10  # below this many users a percentile says more about them than about you


def rank_of(index: int, points: int, population: int) -> int:
    """The rank (0-based, in the sorted population) that summary point `index` holds."""
    if points <= 1:
        return 0
    return index * (population - 1) // (points - 1)


def summarize(values: Sequence[int | float], max_points: int | None = None) -> list:
    """The sorted values, or max_points (default MAX_POINTS) of them at evenly spaced ranks."""
    max_points = max_points or MAX_POINTS
    ordered = sorted(values)
    n = len(ordered)
    if n <= max_points:
        return ordered
    return [ordered[rank_of(i, max_points, n)] for i in range(max_points)]


def share_below(summary: Sequence[int | float], population: int, value: int | float) -> float:
    """The share of the population strictly below `value` (a lower bound when summarized, see above)."""
    if population <= 0 or not summary:
        return 0.0
    j = bisect_left(summary, value)  # summary points strictly below value
    if j == 0:
        return 0.0
    below = rank_of(j - 1, len(summary), population) + 1  # that point's rank, and every rank under it
    return below / population


def share_above(summary: Sequence[int | float], population: int, value: int | float) -> float:
    """The share of the population strictly above `value`, a lower bound like share_below's."""
    if population <= 0 or not summary:
        return 0.0
    j = bisect_right(summary, value)  # summary points at or below value
    if j == len(summary):
        return 0.0
    at_or_below = rank_of(j, len(summary), population)  # every rank from that point's up is above value
    return (population - at_or_below) / population
