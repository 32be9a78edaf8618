"""The percentile definition and its compact summary, against brute force."""
from __future__ import annotations

import random

import pytest
from burntop.stats.percentiles import share_above, share_below, summarize


def brute(values, value) -> float:
    return sum(v < value for v in values) / len(values)


def brute_above(values, value) -> float:
    return sum(v > value for v in values) / len(values)


def test_share_strictly_below_with_ties():
    values = [0, 0, 5, 5, 5, 9]
    summary = summarize(values)
    assert summary == sorted(values)
    assert share_below(summary, 6, 0) == 0
    assert share_below(summary, 6, 5) == pytest.approx(2 / 6)
    assert share_below(summary, 6, 6) == pytest.approx(5 / 6)
    assert share_below(summary, 6, 9) == pytest.approx(5 / 6)  # the top value is not above itself
    assert share_below(summary, 6, 10) == 1.0
    assert share_below(summary, 6, -1) == 0
    assert share_above(summary, 6, 5) == pytest.approx(1 / 6)
    assert share_above(summary, 6, 0) == pytest.approx(4 / 6)
    assert share_above(summary, 6, 9) == 0
    assert share_above(summary, 6, -1) == 1.0


def test_empty_population():
    assert share_below([], 0, 3) == 0.0 and share_above([], 0, 3) == 0.0


@pytest.mark.parametrize("n", [1, 2, 999, 1001, 1002, 5000, 12345])
def test_summary_never_overstates_and_is_within_its_resolution(n):
    rng = random.Random(n)
    values = [rng.choice([0, 0, rng.randint(0, 50), rng.randint(0, 10**9)]) for _ in range(n)]
    points = 101
    summary = summarize(values, max_points=points)
    assert len(summary) == min(n, points) and summary == sorted(summary)
    assert summary[0] == min(values) and summary[-1] == max(values)
    probes = set(rng.sample(values, min(n, 200))) | {0, 1, 25, 10**9 + 1, -5}
    for probe in probes:
        for exact, estimate in ((brute(values, probe), share_below(summary, n, probe)),
                                (brute_above(values, probe), share_above(summary, n, probe))):
            assert estimate <= exact + 1e-12
            if n <= points:
                assert estimate == pytest.approx(exact)
            else:
                assert exact - estimate <= 1 / (points - 1) + 1e-12
