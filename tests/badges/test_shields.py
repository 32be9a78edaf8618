"""One-line badges against shields.io's badge-maker: the recorded output of badge-maker 6 for each style
(tests/badges/badge_maker_cases.json, written by scripts/badges/record_badge_maker.mjs) and ours."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from burntop.badges import cards, shields
from burntop.badges.data import demo_figures
from burntop.badges.widths import width

CASES = json.loads((Path(__file__).with_name("badge_maker_cases.json")).read_text())["cases"]
GEOMETRY = ("width", "height", "x", "y", "rx", "textLength")
SVG = "{http://www.w3.org/2000/svg}"


def geometry(svg: str) -> list[tuple]:
    """Every element's tag and its size and position attributes, in document order."""
    return [(element.tag.removeprefix(SVG), *(element.get(name) for name in GEOMETRY))
            for element in ET.fromstring(svg).iter()]


def ours(case: dict) -> str:
    return shields.badge(case["label"], case["message"], case["style"], case["color"], case["labelColor"])


def test_the_recordings_cover_every_style_and_hostile_text():
    assert {case["style"] for case in CASES} == set(shields.STYLES)
    assert any("<" in case["label"] for case in CASES) and any("🔥" in case["message"] for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[f"{c['style']}-{i}" for i, c in enumerate(CASES)])
def test_geometry_matches_badge_maker(case):
    mine = geometry(ours(case))
    assert mine == geometry(case["svg"])
    root = ET.fromstring(ours(case))
    assert root.get("height") == {"flat": "20", "flat-square": "20", "plastic": "18", "for-the-badge": "28"}[case["style"]]


@pytest.mark.parametrize("case", CASES, ids=[f"{c['style']}-{i}" for i, c in enumerate(CASES)])
def test_output_is_badge_makers_byte_for_byte(case):
    assert ours(case) == case["svg"]


def test_widths_are_anafanafos():
    # Values anafanafo 2.0.0 returns (node: anafanafo(text, {font})).
    assert width("burntop") == 43.32
    assert width("burntop", "bold 10px Verdana") == 44.62
    assert width("1.5M tokens") == 67.88
    assert width("\x01") == 0 and width("\U0010fffd") == width("m")  # control: 0; unknown: an "m"


def test_hostile_text_is_escaped_and_stays_text():
    hostile = '</text><script>alert(1)</script>&"\''
    svg = shields.badge(hostile, hostile, "flat")
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}script") is None and "<script>" not in svg
    assert root.get("aria-label") == f"{hostile}: {hostile}"
    assert root.find(f"{SVG}title").text == f"{hostile}: {hostile}"


def test_text_colour_follows_the_background():
    assert shields.text_colors("#555") == ("#fff", "#010101")
    assert shields.text_colors("#eee") == ("#333", "#ccc")
    assert shields.text_colors("#fe7") == ("#333", "#ccc")


@pytest.mark.parametrize("draw", [cards.detailed, cards.heatmap])
def test_cards_escape_and_shorten_what_they_are_given(draw):
    figures = demo_figures(__import__("datetime").date(2026, 3, 11), True)
    figures.update(sample=False, username='<b>&"x\'' * 10, timeZone="Etc/<evil>")
    svg = draw(figures, "flat", "dark", "#ff6b00")
    root = ET.fromstring(svg)
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert any(text.startswith('@<b>&"x') and text.endswith("…") for text in texts)
    assert "<b>" not in svg and root.get("aria-label").startswith('@<b>&"x')


def test_heatmap_levels_are_quartiles_of_active_days():
    assert cards.levels([0, 0]) == [0, 0]
    assert cards.levels([0, 1, 2, 3, 4, 100]) == [0, 1, 2, 3, 4, 4]
