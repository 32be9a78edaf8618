"""The two card variants: detailed (400×100: all-time totals, streak, achievements, level) and heatmap
(600×100: tokens per local day over the last weeks), in the badge styles and the dark/light themes.

Designed for a README at 1×: 10–18 px Verdana (the badge font), numbers in the theme's text colour (the
custom colour is the accent: icon, level pill, heatmap cells), texts measured with the badge-maker width
tables and shortened with "…" rather than overflow. Styles: flat (rounded, faint gradient), flat-square
(square), plastic (rounded, gloss), for-the-badge (square, upper-case spaced labels). Pure.
"""
from __future__ import annotations

from datetime import date, timedelta

from burntop import format as fmt
from burntop.badges.shields import FONT_FAMILY, esc, num, text_colors
from burntop.badges.widths import width

THEMES = {
    "dark": {"bg": "#0d1117", "border": "#30363d", "text": "#e6edf3", "muted": "#9198a1", "empty": "#161b22"},
    "light": {"bg": "#ffffff", "border": "#d0d7de", "text": "#1f2328", "muted": "#59636e", "empty": "#ebedf0"},
}
FLAME = ("M8 0c.6 3.2 4.8 5 4.8 9.6A4.8 4.8 0 0 1 3.2 9.6c0-2.3 1.3-3.6 2.2-4.5"
         ".1 1.7.9 2.7 1.9 2.8C7.2 5.9 6.4 3 8 0z")


def text_width(text: str, size: float, bold: bool = False, spacing: float = 0) -> float:
    base = width(text, "bold 10px Verdana") * size / 10 if bold else width(text, "11px Verdana") * size / 11
    return base + spacing * len(text)


def fit(text: str, size: float, room: float, bold: bool = False, spacing: float = 0) -> str:
    """`text`, cut short with "…" so it is at most `room` px wide."""
    if text_width(text, size, bold, spacing) <= room:
        return text
    while text and text_width(text + "…", size, bold, spacing) > room:
        text = text[:-1]
    return text + "…"


class _Card:
    def __init__(self, w: int, h: int, style: str, theme: str, color: str):
        self.w, self.h, self.style, self.theme, self.color = w, h, style, THEMES[theme], color
        self.caps = style == "for-the-badge"
        self.parts: list[str] = []

    def label(self, text: str) -> str:
        return text.upper() if self.caps else text

    def text(self, x: float, y: float, text: str, size: float, fill: str, *, bold: bool = False,
             anchor: str = "start", room: float | None = None, label: bool = False) -> None:
        spacing = 0.5 if label and self.caps else 0
        text = self.label(text) if label else text
        if room is not None:
            text = fit(text, size, room, bold, spacing)
        attrs = f' x="{num(x)}" y="{num(y)}" font-size="{num(size)}" fill="{fill}"'
        if bold:
            attrs += ' font-weight="bold"'
        if anchor != "start":
            attrs += f' text-anchor="{anchor}"'
        if spacing:
            attrs += f' letter-spacing="{num(spacing)}"'
        self.parts.append(f"<text{attrs}>{esc(text)}</text>")

    def flame(self, x: float, y: float, size: float) -> None:
        self.parts.append(f'<path transform="translate({num(x)} {num(y)}) scale({num(size / 16)})" d="{FLAME}" '
                          f'fill="{self.color}"/>')

    def svg(self, accessible: str) -> str:
        radius = 0 if self.style in ("flat-square", "for-the-badge") else 6
        defs, overlay = "", ""
        if self.style in ("flat", "plastic"):
            stops = ('<stop offset="0" stop-color="#bbb" stop-opacity=".06"/><stop offset="1" stop-opacity=".06"/>'
                     if self.style == "flat" else
                     '<stop offset="0" stop-color="#fff" stop-opacity=".18"/><stop offset=".12" stop-color="#fff" '
                     'stop-opacity=".04"/><stop offset=".88" stop-opacity=".04"/><stop offset="1" stop-opacity=".16"/>')
            defs = f'<linearGradient id="s" x2="0" y2="100%">{stops}</linearGradient>'
            overlay = (f'<rect x=".5" y=".5" width="{self.w - 1}" height="{self.h - 1}" rx="{radius}" '
                       'fill="url(#s)"/>')
        background = (f'<rect x=".5" y=".5" width="{self.w - 1}" height="{self.h - 1}" rx="{radius}" '
                      f'fill="{self.theme["bg"]}" stroke="{self.theme["border"]}"/>')
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.w}" height="{self.h}" '
                f'viewBox="0 0 {self.w} {self.h}" role="img" aria-label="{esc(accessible)}">'
                f"<title>{esc(accessible)}</title>{defs}{background}{overlay}"
                f'<g font-family="{FONT_FAMILY}">{"".join(self.parts)}</g></svg>')


def _who(figures: dict) -> str:
    return "burntop demo" if figures["sample"] else f"@{figures['username']} on burntop"


def detailed(figures: dict, style: str, theme: str, color: str) -> str:
    card = _Card(400, 100, style, theme, color)
    t = card.theme
    pill = f"Level {fmt.number(figures['level'])} · {figures['title']}"
    pill_text = card.label(pill)
    pill_w = text_width(pill_text, 10, bold=True, spacing=0.5 if card.caps else 0) + 16
    card.flame(14, 11, 16)
    card.text(36, 24, _who(figures), 13, t["text"], bold=True, room=400 - 36 - pill_w - 24)
    radius = 0 if style in ("flat-square", "for-the-badge") else 9
    card.parts.append(f'<rect x="{num(400 - 14 - pill_w)}" y="10" width="{num(pill_w)}" height="18" rx="{radius}" '
                      f'fill="{color}"/>')
    card.text(400 - 14 - pill_w / 2, 23, pill, 10, text_colors(color)[0], bold=True, anchor="middle", label=True)
    streak = figures["currentStreak"]
    stats = (
        (fmt.compact(figures["tokens"]), "tokens"),
        (fmt.usd_compact(figures["cost"]), "est. API cost"),
        (fmt.number(streak), "day streak" if streak == 1 else "days streak"),
        (f"{fmt.number(figures['achievements'])}/{fmt.number(figures['achievementsTotal'])}", "achievements"),
    )
    for i, (value, name) in enumerate(stats):
        x = 16 + i * 94
        card.text(x, 62, value, 18, t["text"], bold=True, room=88)
        card.text(x, 77, name, 10, t["muted"], room=88, label=True)
    footer = (f"{'Sample data, all' if figures['sample'] else 'All'} time · {figures['timeZone']} · longest "
              f"{fmt.plural(figures['longestStreak'], 'day')} · cost: API-equivalent estimate")
    card.text(16, 92, footer, 9, t["muted"], room=368)
    accessible = (f"{_who(figures)}{' (sample data)' if figures['sample'] else ''}: level {fmt.number(figures['level'])} ({figures['title']}); all time "
                  f"{fmt.tokens(figures['tokens'])}, {fmt.usd(figures['cost'])} API-equivalent estimate, "
                  f"{fmt.plural(streak, 'day')} current streak, {fmt.plural(figures['longestStreak'], 'day')} "
                  f"longest, {fmt.number(figures['achievements'])} of {fmt.number(figures['achievementsTotal'])} "
                  f"achievements")
    return card.svg(accessible)


def levels(days: list[int]) -> list[int]:
    """0 for an idle day, else 1–4 by quartile of the active days (the busiest quarter is 4)."""
    active = sorted(tokens for tokens in days if tokens > 0)
    if not active:
        return [0] * len(days)
    cuts = [active[(len(active) * q) // 4] for q in (1, 2, 3)]
    return [0 if tokens <= 0 else 1 + sum(tokens >= cut for cut in cuts) for tokens in days]


def heatmap(figures: dict, style: str, theme: str, color: str) -> str:
    card = _Card(600, 100, style, theme, color)
    t = card.theme
    days = figures["days"]
    today = date.fromisoformat(figures["today"])
    start = today - timedelta(days=len(days) - 1)
    weeks = (len(days) + start.weekday() + 6) // 7
    total = sum(days)
    summary = (f"{fmt.tokens(total)} in the last {fmt.number(weeks)} weeks · {fmt.plural(sum(1 for d in days if d), 'active day')}"
               f" · {figures['timeZone']}")
    card.flame(10, 4, 13)
    summary_room = 600 - 12 - 200
    card.text(590, 15, summary, 10, t["muted"], anchor="end", room=summary_room)
    card.text(27, 15, _who(figures), 11, t["text"], bold=True,
              room=600 - 27 - 12 - min(summary_room, text_width(summary, 10)) - 10)
    cell, step = 9, 11
    left = (600 - (weeks * step - 2)) / 2
    opacity = {1: ".35", 2: ".55", 3: ".78", 4: "1"}
    cells = []
    for i, level in enumerate(levels(days)):
        offset = i + start.weekday()
        x, y = left + (offset // 7) * step, 21 + (offset % 7) * step
        fill = f'fill="{t["empty"]}"' if level == 0 else f'fill="{color}" fill-opacity="{opacity[level]}"'
        cells.append(f'<rect x="{num(x)}" y="{y}" width="{cell}" height="{cell}" rx="2" {fill}/>')
    card.parts.append("<g>" + "".join(cells) + "</g>")
    accessible = (f"{_who(figures)}{' (sample data)' if figures['sample'] else ''}: {fmt.tokens(total)} over the last {fmt.number(weeks)} weeks to "
                  f"{figures['today']} ({figures['timeZone']}), one square per day")
    return card.svg(accessible)
