"""Matrix event contents for what the engine says: pure functions, no I/O.

Every text goes out twice: ``body`` as plain text and ``formatted_body`` as
HTML made by :func:`bot.richtext.to_html`, which escapes every span, so case
texts and echoed user input can never inject markup.
"""

from __future__ import annotations

import html
from typing import Any

from bot.richtext import Rich, to_html, to_plain

HTML_FORMAT = "org.matrix.custom.html"
BREAK = "<br>"

Content = dict[str, Any]


def text(rich: Rich, msgtype: str = "m.text") -> Content:
    """An ``m.room.message`` with plain and HTML bodies."""
    return {"msgtype": msgtype, "body": to_plain(rich), "format": HTML_FORMAT, "formatted_body": to_html(rich, newline=BREAK)}


def notice(rich: Rich, reply_to: str | None = None, mention: tuple[str, str] | None = None) -> Content:
    """An ``m.notice`` (bots' voice), optionally a reply, optionally addressed to ``(user_id, name)``."""
    content = text(rich, "m.notice")
    if mention is not None:
        user_id, name = mention
        link = f'<a href="https://matrix.to/#/{html.escape(user_id)}">{html.escape(name, quote=False)}</a>'
        content["body"] = f"{name}: {content['body']}"
        content["formatted_body"] = f"{link}: {content['formatted_body']}"
        content["m.mentions"] = {"user_ids": [user_id]}
    if reply_to is not None:
        content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
    return content


def replacement(rich: Rich, event_id: str) -> Content:
    """An ``m.replace`` edit of ``event_id``; the ``* `` bodies are the fallback for clients without edits."""
    new = text(rich)
    return {
        **new,
        "body": f"* {new['body']}",
        "formatted_body": f"* {new['formatted_body']}",
        "m.new_content": new,
        "m.relates_to": {"rel_type": "m.replace", "event_id": event_id},
    }


def reaction(event_id: str, key: str) -> Content:
    return {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}


def image(url: str, alt: str, size: int, width: int, height: int, mimetype: str = "image/png") -> Content:
    """An ``m.image`` of uploaded media; ``alt`` is its text version."""
    return {"msgtype": "m.image", "body": alt, "url": url,
            "info": {"mimetype": mimetype, "size": size, "w": width, "h": height}}
