"""Render a vote tally as a horizontal bar chart in PNG format.

Pure and deterministic: the same ``ChartData`` always gives the same bytes
(on the same machine with the same fonts). Designed for the handful of
options a dilemma has (two to about eight bars).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

RGB = tuple[int, int, int]

RED: RGB = (211, 47, 47)
GREEN: RGB = (56, 142, 60)
NEUTRAL: RGB = (96, 125, 139)

WIDTH, HEIGHT = 800, 450

_MARGIN = 28
_GAP = 14
_BACKGROUND: RGB = (255, 255, 255)
_TEXT: RGB = (33, 33, 33)
_MUTED: RGB = (97, 97, 97)
_TRACK: RGB = (236, 239, 241)
_TITLE_SIZE, _TITLE_LINE, _TITLE_MAX_LINES = 26, 34, 2
_SUBTITLE_SIZE, _SUBTITLE_LINE = 18, 30
_BAR_TEXT_SIZE = 18
_MAX_BAR_HEIGHT = 48
_MAX_LABEL_SHARE = 0.3
_ELLIPSIS = "…"
_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class Bar:
    """One option of the tally, e.g. ``Bar("Rødt lys", 4, RED)``."""

    label: str
    count: int
    color: RGB

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError(f"negative count for {self.label!r}: {self.count}")


@dataclass(frozen=True)
class ChartData:
    title: str
    subtitle: str
    bars: tuple[Bar, ...]


def percent(count: int, total: int) -> int:
    """Share of ``total`` in whole percent, rounded half up; 0 when total is 0."""
    if total <= 0:
        return 0
    return (200 * count + total) // (2 * total)


def render_chart(data: ChartData) -> bytes:
    """Draw title, subtitle and one labelled bar per option; return PNG bytes."""
    image = Image.new("RGB", (WIDTH, HEIGHT), _BACKGROUND)
    draw = ImageDraw.Draw(image)
    inner_width = WIDTH - 2 * _MARGIN

    y = _MARGIN
    title_font = _font(bold=True, size=_TITLE_SIZE)
    for line in _wrap(data.title, title_font, inner_width, _TITLE_MAX_LINES):
        draw.text((_MARGIN, y), line, font=title_font, fill=_TEXT)
        y += _TITLE_LINE
    if data.subtitle.strip():
        subtitle_font = _font(bold=False, size=_SUBTITLE_SIZE)
        subtitle = _fit(" ".join(data.subtitle.split()), subtitle_font, inner_width)
        draw.text((_MARGIN, y), subtitle, font=subtitle_font, fill=_MUTED)
        y += _SUBTITLE_LINE

    if data.bars:
        _draw_bars(draw, data.bars, top=y + _GAP)

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _draw_bars(draw: ImageDraw.ImageDraw, bars: tuple[Bar, ...], top: int) -> None:
    """Label column | grey track with the coloured bar | "count (pct %)" column.

    Bar lengths are relative to the largest count, so the leader fills its track.
    """
    label_font = _font(bold=False, size=_BAR_TEXT_SIZE)
    value_font = _font(bold=True, size=_BAR_TEXT_SIZE)
    total = sum(bar.count for bar in bars)
    peak = max(bar.count for bar in bars)
    values = [f"{bar.count} ({percent(bar.count, total)} %)" for bar in bars]

    label_width = min(
        max(label_font.getlength(bar.label) for bar in bars),
        (WIDTH - 2 * _MARGIN) * _MAX_LABEL_SHARE,
    )
    value_width = max(value_font.getlength(value) for value in values)
    track_left = round(_MARGIN + label_width + _GAP)
    track_right = round(WIDTH - _MARGIN - value_width - _GAP)
    slot = (HEIGHT - _MARGIN - top) / len(bars)
    bar_height = min(_MAX_BAR_HEIGHT, slot * 0.7)

    for index, (bar, value) in enumerate(zip(bars, values)):
        middle = top + slot * (index + 0.5)
        y0, y1 = round(middle - bar_height / 2), round(middle + bar_height / 2)
        label = _fit(bar.label, label_font, label_width)
        draw.text((_MARGIN, middle), label, font=label_font, fill=_TEXT, anchor="lm")
        draw.rectangle((track_left, y0, track_right, y1), fill=_TRACK)
        if bar.count:
            length = round((track_right - track_left) * bar.count / peak)
            draw.rectangle((track_left, y0, track_left + length, y1), fill=bar.color)
        draw.text(
            (track_right + _GAP, middle), value, font=value_font, fill=_TEXT, anchor="lm"
        )


def _wrap(text: str, font: Font, width: float, max_lines: int) -> list[str]:
    """Greedy word wrap; the last allowed line is shortened with an ellipsis."""
    words = text.split()
    lines: list[str] = []
    while words and len(lines) < max_lines - 1:
        line = words.pop(0)
        while words and font.getlength(f"{line} {words[0]}") <= width:
            line = f"{line} {words.pop(0)}"
        lines.append(_fit(line, font, width))
    if words:
        lines.append(_fit(" ".join(words), font, width))
    return lines


def _fit(text: str, font: Font, width: float) -> str:
    """Return ``text``, or its longest prefix plus an ellipsis, within ``width``."""
    if font.getlength(text) <= width:
        return text
    low, high = 0, len(text)  # invariant: prefix of length `low` fits
    while low < high:
        middle = (low + high + 1) // 2
        if font.getlength(text[:middle].rstrip() + _ELLIPSIS) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + _ELLIPSIS


@lru_cache(maxsize=None)
def _font(bold: bool, size: int) -> Font:
    """DejaVu Sans (has æøå) if installed, else Pillow's scalable default font."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(str(_FONT_DIR / name), size)
    except OSError:
        return ImageFont.load_default(size=size)
