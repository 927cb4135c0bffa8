"""Bar charts for the Word document, drawn with Pillow (no plotting library, no browser).

Chinese labels need a CJK font: Noto Sans CJK (the fonts-noto-cjk package) where installed; without
one the labels fall back to Latin names and numbers, and the chart is still drawn."""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

# (path, face index): the Simplified Chinese face of the collection first
CJK_FONTS = (("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
             ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
             ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
             ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0))
WIDTH, HEIGHT = 1600, 900
INK, GRID, MUTED = (34, 34, 34), (215, 215, 215), (120, 120, 120)
BLUE, LIGHT, RED = (31, 100, 170), (160, 195, 228), (200, 40, 40)


@dataclass(frozen=True)
class Fonts:
    cjk: bool
    label: ImageFont.ImageFont
    title: ImageFont.ImageFont


@cache
def fonts() -> Fonts:
    for path, index in CJK_FONTS:
        if Path(path).is_file():
            try:
                return Fonts(True, ImageFont.truetype(path, 30, index=index), ImageFont.truetype(path, 40, index=index))
            except OSError:
                continue
    return Fonts(False, _default(30), _default(40))


def _default(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # a Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def reduction_chart(title: str, bars: list[tuple[str, float | None, float | None]], required: float) -> bytes:
    """Per pollutant (label, promised ratio, achieved ratio) as pairs of bars, the required ratio a line."""
    image, draw, f = _canvas(title)
    left, top, right, bottom = 140, 140, WIDTH - 60, HEIGHT - 120
    top_value = max([required * 1.25, 0.05, *((v or 0) * 1.15 for _, *values in bars for v in values)])  # room for labels
    top_value = math.ceil(top_value / _step(top_value) - 1e-9) * _step(top_value)
    y = lambda v: bottom - (bottom - top) * (v / top_value)  # noqa: E731
    _axis(draw, f, left, top, right, bottom, top_value, y)
    slot = (right - left) / max(len(bars), 1)
    for i, (label, promised, achieved) in enumerate(bars):
        x = left + slot * i + slot * 0.15
        width = slot * 0.35
        for j, (value, colour) in enumerate(((promised, LIGHT), (achieved, BLUE))):
            x0 = x + j * width
            draw.rectangle((x0, y(value or 0), x0 + width - 6, bottom), fill=colour)
            _centred(draw, f.label, f"{(value or 0) * 100:.1f}%", x0 + width / 2 - 3, y(value or 0) - 38)
        _centred(draw, f.label, label, left + slot * (i + 0.5), bottom + 16)
    draw.line((left, y(required), right, y(required)), fill=RED, width=4)
    legend = (("清单承诺", "promised"), ("实际（已确认）", "achieved"), ("要求", "required"))
    names = [zh if f.cjk else en for zh, en in legend]
    _legend(draw, f, [(names[0], LIGHT), (names[1], BLUE), (f"{names[2]} {required * 100:.0f}%", RED)])
    return _png(image)


def share_chart(title: str, bars: list[tuple[str, float | None]]) -> bytes:
    """Horizontal bars of a share (0–1) per label, e.g. the confirmed share by town."""
    rows = bars[:20]
    height = 160 + 56 * len(rows)
    image, draw, f = _canvas(title, height)
    left, right = 360, WIDTH - 160
    for i, (label, value) in enumerate(rows):
        top = 120 + 56 * i
        draw.text((left - 20, top + 4), _fit(draw, f.label, label, left - 40), font=f.label, fill=INK, anchor="ra")
        draw.rectangle((left, top + 6, left + (right - left) * (value or 0), top + 42), fill=BLUE)
        draw.text((left + (right - left) * (value or 0) + 12, top + 4), "—" if value is None else f"{value * 100:.0f}%",
                  font=f.label, fill=INK)
    draw.line((left, 110, left, 120 + 56 * len(rows)), fill=MUTED, width=2)
    return _png(image)


def _canvas(title: str, height: int = HEIGHT):
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    f = fonts()
    draw.text((40, 30), title, font=f.title, fill=INK)
    return image, draw, f


def _axis(draw, f: Fonts, left, top, right, bottom, top_value: float, y) -> None:
    step = _step(top_value)
    for k in range(round(top_value / step) + 1):
        value = step * k
        draw.line((left, y(value), right, y(value)), fill=GRID, width=2)
        draw.text((left - 12, y(value)), f"{value * 100:.0f}%", font=f.label, fill=MUTED, anchor="rm")
    draw.line((left, top, left, bottom), fill=INK, width=2)


def _step(top_value: float) -> float:
    """A round tick step giving at most 8 ticks (1 %, 2 %, 5 %, 10 %…)."""
    return next(s for s in (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0) if top_value / s <= 8 + 1e-9)


def _legend(draw, f: Fonts, items: list[tuple[str, tuple]]) -> None:
    x = WIDTH - 60
    for name, colour in reversed(items):
        width = draw.textlength(name, font=f.label)
        x -= width
        draw.text((x, 90), name, font=f.label, fill=INK, anchor="lm")
        draw.rectangle((x - 40, 78, x - 12, 102), fill=colour)
        x -= 70


def _centred(draw, font, text: str, x: float, y: float) -> None:
    draw.text((x, y), text, font=font, fill=INK, anchor="ma")


def _fit(draw, font, text: str, width: float) -> str:
    while len(text) > 1 and draw.textlength(text, font=font) > width:
        text = text[:-2] + "…"
    return text


def _png(image: Image.Image) -> bytes:
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
