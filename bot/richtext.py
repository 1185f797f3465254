"""A tiny styled-text model shared by the engine and every adapter.

The engine builds :data:`Rich` values; adapters render them as plain text or
as HTML.  Every string is escaped on the way to HTML, so text from cases or
users can never inject markup.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Literal

Style = Literal["", "b", "i", "code"]


@dataclass(frozen=True)
class Span:
    text: str
    style: Style = ""


Rich = tuple[Span, ...]


class RichBuilder:
    """Accumulates spans: ``RichBuilder().bold("Del 1").text(" …").build()``."""

    def __init__(self) -> None:
        self._spans: list[Span] = []

    def text(self, text: str) -> RichBuilder:
        if text:
            self._spans.append(Span(text))
        return self

    def bold(self, text: str) -> RichBuilder:
        if text:
            self._spans.append(Span(text, "b"))
        return self

    def italic(self, text: str) -> RichBuilder:
        if text:
            self._spans.append(Span(text, "i"))
        return self

    def code(self, text: str) -> RichBuilder:
        if text:
            self._spans.append(Span(text, "code"))
        return self

    def line(self, count: int = 1) -> RichBuilder:
        self._spans.append(Span("\n" * count))
        return self

    def extend(self, rich: Rich) -> RichBuilder:
        self._spans.extend(rich)
        return self

    def build(self) -> Rich:
        return tuple(self._spans)


def plain(text: str) -> Rich:
    return (Span(text),)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """Drop control and bidi-override characters (newline and tab stay)."""
    return _CONTROL.sub("", text)


def to_plain(rich: Rich) -> str:
    return clean("".join(span.text for span in rich)).strip()


_TAGS = {"b": "b", "i": "i", "code": "code"}


def to_html(rich: Rich, newline: str = "\n") -> str:
    """HTML with every span escaped; ``newline`` is ``"<br>"`` for Matrix, ``"\\n"`` for Telegram."""
    out: list[str] = []
    for span in rich:
        body = html.escape(clean(span.text), quote=False).replace("\n", newline)
        tag = _TAGS.get(span.style)
        out.append(f"<{tag}>{body}</{tag}>" if tag else body)
    text = "".join(out).strip()
    if newline != "\n":
        text = re.sub(rf"^(?:\s|{re.escape(newline)})+|(?:\s|{re.escape(newline)})+$", "", text)
    return text
