"""burntop.stats.charts: server-drawn SVG charts, each with a title, axis labels and a data table."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from burntop.stats import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup) -> ET.Element:
    """The figure as XML: proves the markup is well formed (no stray '<' from a hostile name)."""
    return ET.fromstring(str(markup))


def svg_of(figure: ET.Element) -> ET.Element:
    return next(figure.iter(f"{SVG}svg"))


def texts(element: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in element.iter(f"{SVG}text")]


def table_rows(figure: ET.Element) -> list[list[str]]:
    body = next(figure.iter("tbody"))
    return [["".join(cell.itertext()) for cell in row] for row in body]


def assert_accessible(figure: ET.Element, title: str) -> None:
    svg = svg_of(figure)
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text == title
    details = next(figure.iter("details"))
    assert details.find("summary").text == "Show data"
    assert next(figure.iter("table")).find("caption") is not None


@pytest.mark.parametrize("value, expected", [(0, 1), (-5, 1), (7, 8), (9, 10), (10, 10), (1234, 1500), (86_000, 100_000),
                                             (0.3, 0.3), (2_600_000_000, 3_000_000_000)])
def test_nice_max_is_a_round_number_at_or_above_the_value(value, expected):
    assert charts.nice_max(value) == pytest.approx(expected)


@pytest.mark.parametrize("value, peak, level", [(0, 100, 0), (1, 100, 1), (25, 100, 1), (26, 100, 2), (75, 100, 3),
                                                (76, 100, 4), (100, 100, 4), (5, 0, 0)])
def test_heat_levels_are_quarters_of_the_peak(value, peak, level):
    assert charts.heat_level(value, peak) == level


def test_heatmap_has_one_cell_per_day_in_weeks_starting_monday():
    end = date(2026, 11, 26)  # a Thursday
    per_day = {end: 1000, end - timedelta(days=1): 250, end - timedelta(days=364): 10, end - timedelta(days=365): 99}
    figure = parse(charts.heatmap(per_day, end, title="Tokens per day, last 365 days", time_zone="Europe/Paris"))
    assert_accessible(figure, "Tokens per day, last 365 days")
    cells = [r for r in svg_of(figure).iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(cells) == 365
    titles = [c.find(f"{SVG}title").text for c in cells]
    assert titles[0].startswith("2025-11-27") and titles[-1] == "2026-11-26: 1,000 tokens"
    by_day = {c.find(f"{SVG}title").text[:10]: c for c in cells}
    assert by_day["2026-11-26"].get("class") == "heat heat--4"
    assert by_day["2026-11-25"].get("class") == "heat heat--1"
    assert by_day["2026-11-24"].get("class") == "heat heat--0"
    assert "2025-11-26" not in by_day  # a day before the window draws nothing
    # Thursday is row 3 of its column: y = top + 3 * (cell + gap)
    assert int(by_day["2026-11-26"].get("y")) - int(by_day["2026-11-23"].get("y")) == 3 * 14
    assert by_day["2026-11-26"].get("x") == by_day["2026-11-23"].get("x")
    labels = texts(svg_of(figure))
    assert {"Mon", "Wed", "Fri", "Less", "More"} <= set(labels)
    assert "Weeks, Monday first (Europe/Paris)" in labels
    assert sum(label in charts.MONTHS for label in labels) >= 11
    rows = table_rows(figure)
    assert rows[0][0] == "Nov 2025" and rows[-1] == ["Nov 2026", "1,250", "2"]
    assert sum(int(r[1].replace(",", "")) for r in rows) == 1260


def test_heatmap_of_nobody_is_all_empty_cells():
    figure = parse(charts.heatmap({}, date(2026, 1, 1), title="t", time_zone="UTC"))
    classes = {r.get("class") for r in svg_of(figure).iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None}
    assert classes == {"heat heat--0"}
    assert "0 active days" in svg_of(figure).find(f"{SVG}desc").text


def test_bar_chart_escapes_names_and_scales_to_the_largest():
    hostile = '<script>alert("x")</script>'
    figure = parse(charts.bar_chart([("claude-sonnet-4", 3000), (hostile, 1500), ("idle", 0)], title="Top models",
                                    extra=[("Share", ["66.7%", "33.3%", "0%"])]))
    assert_accessible(figure, "Top models")
    bars = [r for r in svg_of(figure).iter(f"{SVG}rect")]
    assert float(bars[0].get("width")) == pytest.approx(2 * float(bars[1].get("width")))
    assert float(bars[2].get("width")) == 0
    assert table_rows(figure)[1] == [hostile, "1,500", "33.3%"]  # shown as text, never as markup
    assert "<script>" not in str(charts.bar_chart([(hostile, 1)], title=hostile))
    assert "Tokens" in texts(svg_of(figure))


def test_hour_chart_labels_hours_and_the_time_zone():
    values = [0] * 24
    values[14] = 5000
    figure = parse(charts.hour_chart(values, title="Peak hours", time_zone="America/Los_Angeles"))
    assert_accessible(figure, "Peak hours")
    labels = texts(svg_of(figure))
    assert "Hour of day (America/Los_Angeles)" in labels
    assert {"00", "03", "21"} <= set(labels) and "01" not in labels
    assert {"0", "2.5K", "5K"} <= set(labels)  # the value axis: 0, half, a round top
    drawn = [r for r in svg_of(figure).iter(f"{SVG}rect")]
    assert len(drawn) == 1 and drawn[0].find(f"{SVG}title").text == "14: 5,000"
    assert len(table_rows(figure)) == 24


def test_weekday_chart_starts_on_monday():
    figure = parse(charts.weekday_chart([7, 1, 2, 3, 4, 5, 6], title="By day of week", time_zone="UTC"))
    rows = table_rows(figure)
    assert [r[0] for r in rows] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert rows[0][1] == "7"
    assert "Day of week (UTC)" in texts(svg_of(figure))


def test_bucket_days_keeps_days_then_weeks_then_months():
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(30)]
    assert charts.bucket_days(days) == ("day", days)
    year = [date(2025, 1, 1) + timedelta(days=i) for i in range(365)]
    unit, buckets = charts.bucket_days(year)
    assert unit == "week" and buckets[0] == date(2024, 12, 30) and all(b.weekday() == 0 for b in buckets)
    long = [date(2023, 1, 15) + timedelta(days=i) for i in range(1000)]
    unit, buckets = charts.bucket_days(long)
    assert unit == "month" and buckets[0] == date(2023, 1, 1) and all(b.day == 1 for b in buckets)
    assert buckets[-1] == date(2025, 10, 1)
    assert charts.bucket_days([]) == ("day", [])


def test_time_series_stacks_and_folds_small_series_into_other():
    days = [date(2026, 3, 1) + timedelta(days=i) for i in range(3)]
    series = {f"m{i}": [i + 1, 0, 10 * (i + 1)] for i in range(8)}
    figure = parse(charts.time_series(days, series, title="Tokens per day by model", time_zone="Pacific/Auckland"))
    assert_accessible(figure, "Tokens per day by model")
    header = ["".join(th.itertext()) for th in next(figure.iter("thead")).iter("th")]
    assert header == ["Day", "m7", "m6", "m5", "m4", "m3", "Other", "Total"]
    rows = table_rows(figure)
    assert rows[0][0] == "2026-03-01" and rows[0][-1] == "36" and rows[2][-1] == "360"
    assert rows[0][6] == str(1 + 2 + 3)  # m0..m2 folded
    legend = [li.text or "".join(li.itertext()) for li in next(figure.iter("ul"))]
    assert legend[-1] == "Other"
    assert "Day (Pacific/Auckland)" in texts(svg_of(figure))
    # a day with nothing draws no bar: 6 series on 2 days
    assert len(list(svg_of(figure).iter(f"{SVG}rect"))) == 12


def test_time_series_of_years_groups_by_month_and_keeps_the_sum():
    days = [date(2024, 11, 27) + timedelta(days=i) for i in range(1000)]
    figure = parse(charts.time_series(days, {"tokens": [100] * 1000}, title="Tokens {per}, all time", time_zone="UTC"))
    assert_accessible(figure, "Tokens per month, all time")
    rows = table_rows(figure)
    assert table_rows(figure)[0][0] == "2024-11-01"
    assert sum(int(r[1].replace(",", "")) for r in rows) == 100_000
    assert "Month (UTC)" in texts(svg_of(figure))
    assert next(figure.iter("ul"), None) is None  # one series: no legend


def test_no_inline_style_or_script_in_any_chart():
    markup = "".join(str(c) for c in (
        charts.heatmap({date(2026, 1, 1): 5}, date(2026, 1, 1), title="a", time_zone="UTC"),
        charts.bar_chart([("a", 1)], title="b"),
        charts.hour_chart([1] * 24, title="c", time_zone="UTC"),
        charts.time_series([date(2026, 1, 1)], {"a": [1]}, title="d", time_zone="UTC"),
    ))
    assert not re.search(r"\sstyle=|<script|<style|\son\w+=", markup)
