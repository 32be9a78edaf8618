"""One-line badges laid out exactly as shields.io's badge-maker 6 lays them out (flat, flat-square,
plastic, for-the-badge), so a burntop badge sits beside other README badges unnoticed.

A port of badge-maker's lib/badge-renderers.js (MIT OR Apache-2.0) for a label and a message without
logo or links: the same widths (burntop.badges.widths), the same rounding ("round up to odd" for the
three 11 px styles, truncation plus 1.25 px per UTF-16 unit for for-the-badge), the same text colour rule
(dark text on a background brighter than 0.69), the same element order and number spelling, so the
output is byte for byte badge-maker's (tests/badges/test_shields.py checks it against recordings).
Pure; every text is XML-escaped here.
"""
from __future__ import annotations

import re

from burntop.badges.widths import width

STYLES = ("flat", "flat-square", "plastic", "for-the-badge")
FONT_FAMILY = "Verdana,Geneva,DejaVu Sans,sans-serif"
_HEX = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def esc(value) -> str:
    """badge-maker's escapeXml (text and attribute values)."""
    return (str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&apos;"))


def num(value: float) -> str:
    """A number as JavaScript prints it (80.75, 430, 0.5)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def brightness(color: str) -> float:
    """badge-maker's perceived brightness of a #rgb / #rrggbb colour, 0..1 to two decimals."""
    digits = _HEX.match(color).group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    r, g, b = (int(digits[i:i + 2], 16) for i in (0, 2, 4))
    return float(f"{(r * 299 + g * 587 + b * 114) / 255000:.2f}")


def text_colors(background: str) -> tuple[str, str]:
    """(text, shadow) colours that read on `background`."""
    return ("#fff", "#010101") if brightness(background) <= 0.69 else ("#333", "#ccc")


def _el(name: str, attrs: dict, content: str | None = None) -> str:
    attributes = "".join(f' {key}="{esc(value)}"' for key, value in attrs.items())
    return f"<{name}{attributes}/>" if not content else f"<{name}{attributes}>{content}</{name}>"


def _fill(attrs: dict, color: str) -> dict:
    return attrs if color == "#fff" else {**attrs, "fill": color}


def _svg(width_px: float, height: int, accessible: str, body: str) -> str:
    return _el("svg", {"xmlns": "http://www.w3.org/2000/svg", "width": num(width_px), "height": height,
                       "role": "img", "aria-label": accessible},
               _el("title", {}, esc(accessible)) + body)


def _odd_width(text: str) -> int:
    measured = int(width(text, "11px Verdana"))
    return measured + 1 if measured % 2 == 0 else measured


_GEOMETRY = {  # style: (height, vertical margin, shadow)
    "flat": (20, 0, True), "flat-square": (20, 0, False), "plastic": (18, -10, True)}


def _classic(style: str, label: str, message: str, label_color: str, color: str) -> str:
    height, margin, shadow = _GEOMETRY[style]
    pad = 5
    label_width = _odd_width(label) if label else 0
    left = label_width + 2 * pad if label else 0
    message_width = _odd_width(message)
    message_margin = left - (1 if message else 0)
    if not label:
        message_margin += 1
        label_color = color
    right = message_width + 2 * pad
    total = left + right
    accessible = f"{label}: {message}" if label else message

    def text(left_margin: int, content: str, background: str, text_width: int) -> str:
        if not content:
            return ""
        fill, shadow_fill = text_colors(background)
        x, y, length = 10 * (left_margin + 0.5 * text_width + pad), 140 + margin, 10 * text_width
        if not shadow:
            return _el("text", _fill({"x": num(x), "y": y, "textLength": num(length), "transform": "scale(.1)"}, fill),
                       esc(content))
        common = {"x": num(x), "y": y + 10}
        shadows = (_el("text", {**common, "fill-opacity": ".8", "filter": "url(#blur)", "textLength": num(length)},
                       esc(content))
                   + _el("text", {**common, "fill-opacity": ".3", "textLength": num(length)}, esc(content)))
        return _el("g", {"transform": "scale(.1)"},
                   _el("g", {"aria-hidden": "true", "fill": shadow_fill}, shadows)
                   + _el("text", _fill({"x": num(x), "y": y, "textLength": num(length)}, fill), esc(content)))

    foreground = _el("g", {"fill": "#fff", "text-anchor": "middle", "font-family": FONT_FAMILY,
                           "text-rendering": "geometricPrecision", "font-size": 110},
                     text(1, label, label_color, label_width) + text(message_margin, message, color, message_width))
    rects = (_el("rect", {"width": left, "height": height, "fill": label_color})
             + _el("rect", {"x": left, "width": right, "height": height, "fill": color}))
    if style == "flat-square":
        return _svg(total, height, accessible, _el("g", {"shape-rendering": "crispEdges"}, rects) + foreground)
    blur = _el("filter", {"id": "blur"}, _el("feGaussianBlur", {"stdDeviation": "16"}))
    if style == "flat":
        stops = (_el("stop", {"offset": 0, "stop-color": "#bbb", "stop-opacity": ".1"})
                 + _el("stop", {"offset": 1, "stop-opacity": ".1"}))
        radius = 3
    else:
        stops = "".join(_el("stop", {"offset": offset, "stop-color": c, "stop-opacity": o}) for offset, c, o in (
            (0, "#fff", ".7"), (".1", "#aaa", ".1"), (".9", "#000", ".3"), (1, "#000", ".5")))
        radius = 4
    gradient = _el("linearGradient", {"id": "s", "x2": 0, "y2": "100%"}, stops)
    clip = _el("clipPath", {"id": "r"}, _el("rect", {"width": total, "height": height, "rx": radius}))
    background = _el("g", {"clip-path": "url(#r)"},
                     rects + _el("rect", {"width": total, "height": height, "fill": "url(#s)"}))
    return _svg(total, height, accessible, blur + gradient + clip + background + foreground)


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _for_the_badge(label: str, message: str, label_color: str, color: str) -> str:
    height, margin, spacing = 28, 12, 1.25
    label, message = label.upper(), message.upper()
    label_width = int(width(label, "10px Verdana")) + spacing * _utf16_length(label) if label else 0
    message_width = int(width(message, "bold 10px Verdana")) + spacing * _utf16_length(message) if message else 0
    if label:
        label_rect = margin + label_width + margin
        message_x = label_rect + margin
    else:
        label_rect, message_x = 0, margin
    message_rect = 2 * margin + message_width
    rects = (_el("rect", {"width": num(label_rect), "height": height, "fill": label_color})
             + _el("rect", {"x": num(label_rect), "width": num(message_rect), "height": height, "fill": color})
             if label else _el("rect", {"width": num(message_rect), "height": height, "fill": color}))
    texts = ""
    if label:
        texts += _el("text", _fill({"transform": "scale(.1)", "x": num(10 * (margin + 0.5 * label_width)), "y": 175,
                                    "textLength": num(10 * label_width)}, text_colors(label_color)[0]), esc(label))
    texts += _el("text", _fill({"transform": "scale(.1)", "x": num(10 * (message_x + 0.5 * message_width)), "y": 175,
                                "textLength": num(10 * message_width), "font-weight": "bold"},
                               text_colors(color)[0]), esc(message))
    foreground = _el("g", {"fill": "#fff", "text-anchor": "middle", "font-family": FONT_FAMILY,
                           "text-rendering": "geometricPrecision", "font-size": 100}, texts)
    accessible = f"{label}: {message}" if label else message
    return _svg(label_rect + message_rect, height, accessible,
                _el("g", {"shape-rendering": "crispEdges"}, rects) + foreground)


def badge(label: str, message: str, style: str = "flat", color: str = "#ff6b00", label_color: str = "#555") -> str:
    """badge-maker's SVG for this label and message. Colours are #rgb or #rrggbb (validated by the caller)."""
    label, message = label.strip(), message.strip()
    if style == "for-the-badge":
        return _for_the_badge(label, message, label_color, color)
    if style not in _GEOMETRY:
        raise ValueError(f"unknown style {style!r}")
    return _classic(style, label, message, label_color, color)
