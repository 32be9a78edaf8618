"""Text widths in Verdana as shields.io's badge-maker measures them: the advance-width tables of the npm
package `anafanafo` (MIT, Metabolize LLC), kept in verdana.json (scripts/badges/verdana_widths.mjs writes
it). A code point missing from a table counts as wide as "m"; control characters count 0. Pure."""
from __future__ import annotations

import json
from bisect import bisect_right
from functools import cache
from pathlib import Path

DATA = Path(__file__).with_name("verdana.json")
FONTS = ("11px Verdana", "10px Verdana", "bold 10px Verdana")


class _Table:
    def __init__(self, widths: list[float], ranges: list[int]):
        self.lowers: list[int] = []
        self.uppers: list[int] = []
        self.widths: list[float] = []
        last = 0
        for i in range(0, len(ranges), 3):
            lower = last + ranges[i]
            last = lower + ranges[i + 1]
            self.lowers.append(lower)
            self.uppers.append(last)
            self.widths.append(widths[ranges[i + 2]])
        self.em = self.char(ord("m"))

    def char(self, code: int) -> float | None:
        if code <= 31 or code == 127:
            return 0.0
        i = bisect_right(self.lowers, code) - 1
        if i >= 0 and code <= self.uppers[i]:
            return self.widths[i]
        return None

    def text(self, text: str) -> float:
        total = 0.0  # summed in order, as anafanafo does, so the float is the same
        for character in text:
            width = self.char(ord(character))
            total += self.em if width is None else width
        return total


@cache
def _tables() -> dict[str, _Table]:
    fonts = json.loads(DATA.read_text())["fonts"]
    return {name: _Table(**fonts[name]) for name in FONTS}


def width(text: str, font: str = "11px Verdana") -> float:
    """The advance width of `text` in px, exactly anafanafo(text, {font})."""
    return _tables()[font].text(text)
