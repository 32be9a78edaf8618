"""Charts drawn on the server as SVG: no JavaScript chart library, nothing inline that the CSP forbids.

Every function is pure: numbers in, markup out. Each returns one `<figure class="chart">` holding
- an `<svg role="img">` with a `<title>` (what, which period, which time zone) and axis labels,
  coloured only through classes (static/css/stats.css), so the theme applies to it;
- a `<details>` "Show data" with a `<table>` of the same figures, for screen readers and for anyone who
  wants the exact numbers.
Everything passed in (titles, model names) is escaped by markupsafe. Figures read through burntop.format.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date, timedelta

from markupsafe import Markup, escape

from burntop import format as fmt

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SERIES_COLOURS = 6  # .chart__series--0 .. --5 in stats.css; more series fold into "Other"
Format = Callable[[float], str]


# ---------------------------------------------------------------- scales

def nice_max(value: float) -> float:
    """The round number an axis ends at: 0 -> 1, 7 -> 10, 1,234 -> 1,500, 86,000 -> 100,000."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def heat_level(value: int, peak: int) -> int:
    """0 for no use; 1-4 for quarters of the peak day (any use at all is at least 1)."""
    if value <= 0 or peak <= 0:
        return 0
    return min(4, max(1, math.ceil(4 * value / peak)))


def _n(x: float) -> str:
    """A coordinate, short: 12.0 -> "12", 12.345 -> "12.35"."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------- pieces

def _table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> Markup:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = "".join(
        "<tr>" + f'<th scope="row">{escape(row[0])}</th>' + "".join(f'<td class="num">{escape(c)}</td>' for c in row[1:])
        + "</tr>" for row in rows)
    return Markup(
        f'<details class="chart__data"><summary>Show data</summary><div class="table-scroll">'
        f'<table class="data-table"><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div></details>")


def _figure(kind: str, title: str, svg: str, table: Markup, *, legend: Markup = Markup(""),
            scroll: bool = False) -> Markup:
    """The figure around a chart. `scroll`: wide charts (a year, a long series) keep a readable size on a
    phone and scroll sideways inside their frame, starting at the newest end (stats.css)."""
    body = f'<div class="chart__scroll">{svg}</div>' if scroll else svg
    return Markup(f'<figure class="chart chart--{kind}"><figcaption class="chart__title">{escape(title)}</figcaption>'
                  f"{body}{legend}{table}</figure>")


def _svg(title: str, width: int, height: int, inner: str, kind: str, description: str = "") -> str:
    desc = f"<desc>{escape(description)}</desc>" if description else ""
    return (f'<svg class="chart__svg chart__svg--{kind}" role="img" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" preserveAspectRatio="xMinYMin meet" '
            f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{desc}{inner}</svg>')


def _legend(names: Sequence[str]) -> Markup:
    items = "".join(f'<li><span class="chart__swatch chart__swatch--{i}" aria-hidden="true"></span>{escape(name)}</li>'
                    for i, name in enumerate(names))
    return Markup(f'<ul class="chart__legend" aria-label="Legend">{items}</ul>')


def _value_axis(left: float, top: float, plot_w: float, plot_h: float, top_value: float, fmt_value: Format,
                label: str) -> str:
    """Grid lines and tick labels at 0, 1/2 and the top of the value axis, and the axis title."""
    parts = []
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        parts.append(f'<line class="chart__grid" x1="{_n(left)}" x2="{_n(left + plot_w)}" y1="{_n(y)}" y2="{_n(y)}"/>')
        parts.append(f'<text class="chart__tick" x="{_n(left - 6)}" y="{_n(y + 4)}" text-anchor="end">'
                     f"{escape(fmt_value(top_value * fraction))}</text>")
    parts.append(f'<text class="chart__axis-label" x="12" y="{_n(top + plot_h / 2)}" text-anchor="middle" '
                 f'transform="rotate(-90 12 {_n(top + plot_h / 2)})">{escape(label)}</text>')
    return "".join(parts)


# ---------------------------------------------------------------- charts

def heatmap(per_day: dict[date, int], end: date, *, title: str, time_zone: str, days: int = 365) -> Markup:
    """A contribution calendar of the `days` local days ending at `end`: one column per week (Monday on
    top), five shades from none to the busiest day, month names above, and a per-month table."""
    start = end - timedelta(days=days - 1)
    first_monday = start - timedelta(days=start.weekday())
    weeks = (end - first_monday).days // 7 + 1
    cell, gap, left, top = 11, 3, 30, 18
    width, height = left + weeks * (cell + gap), top + 7 * (cell + gap) + 22
    peak = max((v for d, v in per_day.items() if start <= d <= end), default=0)
    parts = []
    for row, name in ((0, "Mon"), (2, "Wed"), (4, "Fri")):
        parts.append(f'<text class="chart__tick" x="{left - 4}" y="{top + row * (cell + gap) + 9}" '
                     f'text-anchor="end">{name}</text>')
    month_seen = None
    for column in range(weeks):
        first = max(first_monday + timedelta(weeks=column), start)
        if (first.year, first.month) != month_seen and column < weeks - 2:
            if month_seen is not None or first.day <= 14:  # no label for a sliver of the first month
                parts.append(f'<text class="chart__tick" x="{left + column * (cell + gap)}" y="{top - 6}">'
                             f"{MONTHS[first.month - 1]}</text>")
            month_seen = (first.year, first.month)
    monthly: dict[tuple[int, int], list[int]] = {}
    day = start
    while day <= end:
        column, row = (day - first_monday).days // 7, day.weekday()
        value = int(per_day.get(day, 0))
        x, y = left + column * (cell + gap), top + row * (cell + gap)
        parts.append(f'<rect class="heat heat--{heat_level(value, peak)}" x="{x}" y="{y}" width="{cell}" '
                     f'height="{cell}" rx="2"><title>{day.isoformat()}: {fmt.plural(value, "token")}</title></rect>')
        totals = monthly.setdefault((day.year, day.month), [0, 0])
        totals[0] += value
        totals[1] += 1 if value else 0
        day += timedelta(days=1)
    # the scale, bottom right: less ... more
    key_y = top + 7 * (cell + gap) + 6
    key_x = width - 5 * (cell + gap) - 34
    parts.append(f'<text class="chart__tick" x="{key_x - 4}" y="{key_y + 9}" text-anchor="end">Less</text>')
    for level in range(5):
        parts.append(f'<rect class="heat heat--{level}" x="{key_x + level * (cell + gap)}" y="{key_y}" '
                     f'width="{cell}" height="{cell}" rx="2"/>')
    parts.append(f'<text class="chart__tick" x="{key_x + 5 * (cell + gap) + 2}" y="{key_y + 9}">More</text>')
    parts.append(f'<text class="chart__axis-label" x="{left}" y="{key_y + 9}">Weeks, Monday first ({escape(time_zone)})</text>')
    active = sum(1 for d, v in per_day.items() if start <= d <= end and v > 0)
    description = (f"{fmt.plural(active, 'active day')} of {fmt.number(days)} from {start.isoformat()} to "
                   f"{end.isoformat()}; busiest day {fmt.tokens(peak)}.")
    rows = [(f"{MONTHS[m - 1]} {y}", fmt.number(t), fmt.number(a)) for (y, m), (t, a) in monthly.items()]
    table = _table(f"{title}: tokens and active days per month ({time_zone})", ("Month", "Tokens", "Active days"), rows)
    return _figure("heatmap", title, _svg(title, width, height, "".join(parts), "heatmap", description), table,
                   scroll=True)


def bar_chart(items: Sequence[tuple[str, float]], *, title: str, value_label: str = "Tokens",
              fmt_value: Format = fmt.compact, extra: Sequence[tuple[str, Sequence[str]]] = ()) -> Markup:
    """Horizontal bars, largest first as given (model or tool shares). `extra`: more table columns,
    (header, one cell per item)."""
    label_w, bar_h, gap, width = 150, 18, 8, 400
    plot_w = width - label_w - 56
    height = max(1, len(items)) * (bar_h + gap) + 28
    peak = max((v for _, v in items), default=0) or 1
    parts = []
    for i, (name, value) in enumerate(items):
        y = i * (bar_h + gap) + 4
        short = name if len(name) <= 22 else name[:21] + "…"
        w = max(1.5, plot_w * value / peak) if value > 0 else 0
        parts.append(f'<text class="chart__tick" x="{label_w - 6}" y="{y + 13}" text-anchor="end">{escape(short)}'
                     f"<title>{escape(name)}</title></text>")
        parts.append(f'<rect class="chart__bar chart__series--{min(i, SERIES_COLOURS - 1)}" x="{label_w}" y="{y}" '
                     f'width="{_n(w)}" height="{bar_h}" rx="3"/>')
        parts.append(f'<text class="chart__value" x="{_n(label_w + w + 5)}" y="{y + 13}">{escape(fmt_value(value))}</text>')
    axis_y = height - 8
    parts.append(f'<text class="chart__axis-label" x="{label_w}" y="{axis_y}">{escape(value_label)}</text>')
    headers = ["Name", value_label] + [h for h, _ in extra]
    rows = [[name, fmt.number(value)] + [cells[i] for _, cells in extra] for i, (name, value) in enumerate(items)]
    return _figure("bars", title, _svg(title, width, height, "".join(parts), "bars"), _table(title, headers, rows))


def column_chart(labels: Sequence[str], values: Sequence[float], *, title: str, axis_label: str,
                 value_label: str = "Tokens", tick_every: int = 1, kind: str = "columns",
                 fmt_value: Format = fmt.compact, header: str | None = None) -> Markup:
    """Vertical bars over categories in order (hours of the day, days of the week). `header`: the
    table's short name for the categories (default: the axis label)."""
    width, height, left, top, bottom = 400, 190, 58, 10, 42
    plot_w, plot_h = width - left - 8, height - top - bottom
    top_value = nice_max(max(values, default=0))
    slot = plot_w / max(1, len(values))
    parts = [_value_axis(left, top, plot_w, plot_h, top_value, fmt_value, value_label)]
    for i, (label, value) in enumerate(zip(labels, values)):
        h = plot_h * value / top_value
        x = left + i * slot + slot * 0.15
        if value > 0:
            parts.append(f'<rect class="chart__bar chart__series--0" x="{_n(x)}" y="{_n(top + plot_h - h)}" '
                         f'width="{_n(slot * 0.7)}" height="{_n(max(h, 1))}" rx="2"><title>{escape(label)}: '
                         f"{escape(fmt.number(value))}</title></rect>")
        if i % tick_every == 0:
            parts.append(f'<text class="chart__tick" x="{_n(left + i * slot + slot / 2)}" y="{top + plot_h + 16}" '
                         f'text-anchor="middle">{escape(label)}</text>')
    parts.append(f'<text class="chart__axis-label" x="{_n(left + plot_w / 2)}" y="{height - 6}" '
                 f'text-anchor="middle">{escape(axis_label)}</text>')
    rows = [(label, fmt.number(value)) for label, value in zip(labels, values)]
    return _figure(kind, title, _svg(title, width, height, "".join(parts), kind),
                   _table(f"{title} ({axis_label})", (header or axis_label, value_label), rows))


def hour_chart(tokens_by_hour: Sequence[int], *, title: str, time_zone: str) -> Markup:
    """Tokens per hour of the day (0-23) in `time_zone`."""
    labels = [f"{h:02d}" for h in range(24)]
    return column_chart(labels, list(tokens_by_hour), title=title, axis_label=f"Hour of day ({time_zone})",
                        tick_every=3, kind="hours", header="Hour")


def weekday_chart(tokens_by_weekday: Sequence[int], *, title: str, time_zone: str) -> Markup:
    """Tokens per day of the week, Monday first, in `time_zone`."""
    return column_chart([d[:3] for d in WEEKDAYS], list(tokens_by_weekday), title=title,
                        axis_label=f"Day of week ({time_zone})", kind="weekdays", header="Day")


def bucket_days(days: Sequence[date], max_bars: int = 120) -> tuple[str, list[date]]:
    """How to group a daily series so it stays readable: by day, by ISO week (Mondays) or by month
    (firsts). Returns the unit and the start date of every bucket, ascending."""
    if not days:
        return "day", []
    if len(days) <= max_bars:
        return "day", list(days)
    first, last = days[0], days[-1]
    if (last - first).days // 7 + 1 <= max_bars:
        start = first - timedelta(days=first.weekday())
        return "week", [start + timedelta(weeks=i) for i in range((last - start).days // 7 + 1)]
    months, cursor = [], first.replace(day=1)
    while cursor <= last:
        months.append(cursor)
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    return "month", months


def _bucket_of(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def time_series(days: Sequence[date], series: dict[str, Sequence[float]], *, title: str, time_zone: str,
                value_label: str = "Tokens", fmt_value: Format = fmt.compact, max_series: int = SERIES_COLOURS) -> Markup:
    """Stacked columns over time: `series` maps a name to one value per day of `days` (ascending,
    zero-filled). Long ranges group into weeks or months; names beyond `max_series` fold into "Other".
    "{per}" in the title reads "per day", "per week" or "per month", as the columns are grouped."""
    names = sorted(series, key=lambda n: -sum(series[n]))
    if len(names) > max_series:
        kept, folded = names[:max_series - 1], names[max_series - 1:]
        other = [sum(series[n][i] for n in folded) for i in range(len(days))]
        series = {**{n: series[n] for n in kept}, "Other": other}
        names = kept + ["Other"]
    unit, buckets = bucket_days(days)
    index = {b: i for i, b in enumerate(buckets)}
    stacked = {n: [0.0] * len(buckets) for n in names}
    for i, day in enumerate(days):
        b = index[_bucket_of(day, unit)]
        for n in names:
            stacked[n][b] += series[n][i]
    totals = [sum(stacked[n][b] for n in names) for b in range(len(buckets))]
    width, height, left, top, bottom = 720, 230, 58, 10, 42
    plot_w, plot_h = width - left - 10, height - top - bottom
    top_value = nice_max(max(totals, default=0))
    slot = plot_w / max(1, len(buckets))
    parts = [_value_axis(left, top, plot_w, plot_h, top_value, fmt_value, value_label)]
    label_every = max(1, math.ceil(len(buckets) / 8))
    for b, start in enumerate(buckets):
        x, y = left + b * slot + slot * 0.12, top + plot_h
        for s, n in enumerate(names):
            h = plot_h * stacked[n][b] / top_value
            if h <= 0:
                continue
            y -= h
            parts.append(f'<rect class="chart__bar chart__series--{s}" x="{_n(x)}" y="{_n(y)}" '
                         f'width="{_n(max(slot * 0.76, 0.8))}" height="{_n(h)}"><title>{start.isoformat()} · '
                         f"{escape(n)}: {escape(fmt.number(stacked[n][b]))}</title></rect>")
        if b % label_every == 0:
            label = start.strftime("%b %Y") if unit == "month" else f"{MONTHS[start.month - 1]} {start.day}"
            parts.append(f'<text class="chart__tick" x="{_n(left + b * slot + slot / 2)}" y="{top + plot_h + 16}" '
                         f'text-anchor="middle">{label}</text>')
    per = {"day": "Day", "week": "Week starting", "month": "Month"}[unit]
    title = title.replace("{per}", f"per {unit}")
    parts.append(f'<text class="chart__axis-label" x="{_n(left + plot_w / 2)}" y="{height - 6}" text-anchor="middle">'
                 f"{per} ({escape(time_zone)})</text>")
    headers = [per] + (names + ["Total"] if len(names) > 1 else [value_label])
    rows = []
    for b, start in enumerate(buckets):
        cells = [fmt.number(stacked[n][b]) for n in names] + ([fmt.number(totals[b])] if len(names) > 1 else [])
        rows.append([start.isoformat()] + cells)
    legend = _legend(names) if len(names) > 1 else Markup("")
    return _figure("series", title, _svg(title, width, height, "".join(parts), "series"),
                   _table(title, headers, rows), legend=legend)
