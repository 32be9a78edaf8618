"""The one number/time formatter, at each boundary (pages, badges and the CLI all read through it)."""
from datetime import datetime, timedelta, timezone

import pytest

from burntop import format as fmt


@pytest.mark.parametrize("n, text", [
    (None, "0"), (0, "0"), (1, "1"), (999, "999"), (1000, "1K"), (1500, "1.5K"), (9999, "10K"),
    (10_000, "10K"), (10_001, "10K"), (99_999, "100K"), (743_698, "743.7K"), (999_949, "999.9K"),
    (999_950, "1M"), (1_000_000, "1M"), (1_250_000, "1.2M"), (1_350_000, "1.4M"), (999_950_000, "1B"),
    (1_500_000_000, "1.5B"), (2_500_000_000_000, "2.5T"), (999_950_000_000_000, "1,000T"),
    (1_500_000_000_000_000, "1,500T"), (-1500, "-1.5K"), (12.5, "12.5"), (0.5, "0.5"), (250.4, "250"),
])
def test_compact_at_each_boundary(n, text):
    assert fmt.compact(n) == text


def test_compact_never_shows_a_four_digit_mantissa():
    for n in range(995_000, 1_005_000, 50):
        head = fmt.compact(n).rstrip("KMBT")
        assert float(head) < 1000, (n, fmt.compact(n))


@pytest.mark.parametrize("n, text", [(0, "0"), (999, "999"), (1000, "1,000"), (1_234_567, "1,234,567"),
                                     (None, "0"), (12.6, "13")])
def test_number_groups_thousands(n, text):
    assert fmt.number(n) == text


def test_number_with_digits_drops_trailing_zeros():
    assert fmt.number(1234.5, 2) == "1,234.5"
    assert fmt.number(2.0, 2) == "2"


@pytest.mark.parametrize("amount, text", [(0, "$0.00"), (None, "$0.00"), (0.004, "<$0.01"), (0.0099, "<$0.01"), (0.01, "$0.01"),
                                          (1234.5, "$1,234.50"), (-2.5, "-$2.50")])
def test_usd(amount, text):
    assert fmt.usd(amount) == text


def test_usd_compact_switches_at_a_thousand():
    assert fmt.usd_compact(999.99) == "$999.99"
    assert fmt.usd_compact(1000) == "$1K"
    assert fmt.usd_compact(123_456) == "$123.5K"


@pytest.mark.parametrize("ratio, digits, text", [(0, 0, "0%"), (0.923, 0, "92%"), (0.9234, 1, "92.3%"),
                                                 (1, 0, "100%"), (None, 0, "–"), (12.5, 0, "1,250%")])
def test_percent(ratio, digits, text):
    assert fmt.percent(ratio, digits) == text


@pytest.mark.parametrize("n, text", [(0, "0 followers"), (1, "1 follower"), (2, "2 followers"),
                                     (1234, "1,234 followers")])
def test_plural(n, text):
    assert fmt.plural(n, "follower") == text


def test_plural_irregular_and_short():
    assert fmt.plural(1, "day", "days") == "1 day"
    assert fmt.plural(3, "entry", "entries") == "3 entries"
    assert fmt.plural(1_500_000, "token", short=True) == "1.5M tokens"


def test_tokens():
    assert fmt.tokens(1) == "1 token"
    assert fmt.tokens(1_500_000) == "1.5M tokens"


NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("delta, text", [
    (timedelta(0), "just now"), (timedelta(seconds=-5), "just now"), (timedelta(seconds=-30), "30 seconds ago"),
    (timedelta(minutes=-2), "2 minutes ago"), (timedelta(hours=-3), "3 hours ago"), (timedelta(days=-1), "1 day ago"),
    (timedelta(days=-40), "1 month ago"), (timedelta(hours=5), "in 5 hours"),
])
def test_ago(delta, text):
    assert fmt.ago(NOW + delta, NOW) == text


def test_ago_naive_is_utc_and_none_is_never():
    assert fmt.ago(NOW.replace(tzinfo=None) - timedelta(minutes=2), NOW) == "2 minutes ago"
    assert fmt.ago(None, NOW) == "never"


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (59, "59s"), (60, "1m"), (90, "1m 30s"), (600, "10m"),
                                           (4380, "1h 13m"), (86_400 * 3, "3d 0h"), (-5, "0s"), (None, "0s")])
def test_duration(seconds, text):
    assert fmt.duration(seconds) == text
