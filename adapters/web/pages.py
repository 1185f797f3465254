"""The HTML of the web pages, from Jinja2 templates that escape every value (case texts included).

No inline script or style anywhere (the pages run under a strict Content-Security-Policy): bars and the QR code
are inline SVG drawn with attributes, and the only script is ``static/present.js``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

import segno
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from adapters.web.report import ReportRound
from adapters.web.stage import Stage
from bot.i18n import t

_ENV = Environment(loader=PackageLoader("adapters.web", "templates"), autoescape=True, trim_blocks=True,
                   lstrip_blocks=True, undefined=StrictUndefined)


@lru_cache(maxsize=256)
def qr_code(link: str) -> Markup:
    """``link`` as a QR code in inline SVG: paths only, no text of its own."""
    return Markup(segno.make_qr(link, error="m").svg_inline(omitsize=True, border=2, dark="#000", light="#fff"))


_ENV.globals["qr_code"] = qr_code


def _say(lang: str, prefix: str) -> Callable[..., str]:
    return lambda key, **params: t(lang, key, p=prefix, **params)


def stage(shown: Stage, votes: int) -> str:
    """The part of the presenter page that follows the round (sent again whole when the scene changes)."""
    return _ENV.get_template("stage.html").render(stage=shown, votes=votes, say=_say(shown.lang, shown.prefix))


def present(shown: Stage, votes: int, token: str) -> str:
    return _ENV.get_template("present.html").render(stage=shown, votes=votes, token=token, lang=shown.lang,
                                                     say=_say(shown.lang, shown.prefix))


def report(rounds: tuple[ReportRound, ...], lang: str, prefix: str, token: str) -> str:
    return _ENV.get_template("report.html").render(rounds=rounds, token=token, lang=lang, say=_say(lang, prefix))
