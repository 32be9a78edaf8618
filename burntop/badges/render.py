"""A badge's SVG from its variant, style, theme, colour and figures (burntop.badges.data). Pure.

One-line variants (shields.io geometry, burntop.badges.shields): compact (all-time tokens), standard
(tokens, current streak, level), streak, level. Cards (burntop.badges.cards): detailed, heatmap. The
theme sets the label side of one-line badges (dark: badge-maker's #555; light: #eee with dark text) and
the card background. `not_found` is the small badge an unknown or private user gets.
"""
from __future__ import annotations

from burntop import format as fmt
from burntop.badges import cards, shields

VARIANTS = ("compact", "standard", "detailed", "streak", "level", "heatmap")
STYLES = shields.STYLES
THEMES = ("dark", "light")
DEFAULT_COLOR = "#ff6b00"
LABEL_COLORS = {"dark": "#555", "light": "#eee"}
NOT_FOUND_COLOR = "#9f9f9f"
TEMPLATE_VERSION = "1"  # bump when any drawing changes, so ETags change with it


def one_line(variant: str, figures: dict) -> tuple[str, str]:
    """(label, message) of a one-line variant."""
    label = "burntop demo" if figures["sample"] else "burntop"
    tokens = f"{fmt.compact(figures['tokens'])} tokens"
    streak, level = figures["currentStreak"], fmt.number(figures["level"])
    if variant == "compact":
        return label, tokens
    if variant == "standard":
        return label, f"{tokens} · {fmt.number(streak)} day streak · level {level}"
    if variant == "streak":
        return f"{label} streak", fmt.plural(streak, "day")
    if variant == "level":
        return f"{label} level", f"{level} · {figures['title']}"
    raise ValueError(f"{variant!r} is not a one-line variant")


def render(variant: str, style: str, theme: str, color: str, figures: dict) -> str:
    if variant == "detailed":
        return cards.detailed(figures, style, theme, color)
    if variant == "heatmap":
        return cards.heatmap(figures, style, theme, color)
    label, message = one_line(variant, figures)
    return shields.badge(label, message, style, color, LABEL_COLORS[theme])


def not_found(message: str, style: str, theme: str) -> str:
    """"burntop | user not found" (or "private profile") in the requested style and theme."""
    return shields.badge("burntop", message, style, NOT_FOUND_COLOR, LABEL_COLORS[theme])
