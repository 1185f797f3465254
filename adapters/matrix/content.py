"""Matrix event contents for what the engine says, and the poll answers users send: pure functions, no I/O.

Every text goes out twice: ``body`` as plain text and ``formatted_body`` as
HTML made by :func:`bot.richtext.to_html`, which escapes every span, so case
texts and echoed user input can never inject markup.  Display names put in
a notice are cleaned of control and bidi characters.

Polls follow MSC3381 as clients speak it today: the bot sends the unstable
``org.matrix.msc3381.poll.*`` types (with ``org.matrix.msc1767.text``
fallbacks); answers are read in both the unstable and the stable
(``m.poll.response`` with ``m.selections``) form.
"""

from __future__ import annotations

import html
from typing import Any

from bot.richtext import Rich, clean, to_html, to_plain

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
        user_id, name = mention[0], clean(mention[1]).strip() or mention[0]
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


POLL_START = "org.matrix.msc3381.poll.start"
POLL_END = "org.matrix.msc3381.poll.end"
POLL_RESPONSES = {"org.matrix.msc3381.poll.response": "answers", "m.poll.response": "m.selections"}
POLL_UNDISCLOSED = "org.matrix.msc3381.poll.undisclosed"
TEXT = "org.matrix.msc1767.text"


def poll_start(question: str, answers: list[tuple[str, str]]) -> Content:
    """An undisclosed single-choice poll; ``answers`` are ``(id, text)``.  Clients show results only at its end."""
    fallback = "\n".join([question, *(f"{n}. {label}" for n, (_, label) in enumerate(answers, 1))])
    return {POLL_START: {"question": {TEXT: question}, "kind": POLL_UNDISCLOSED, "max_selections": 1,
                         "answers": [{"id": answer_id, TEXT: label} for answer_id, label in answers]},
            TEXT: fallback, "body": fallback}


def poll_end(poll_id: str, result: str) -> Content:
    return {"m.relates_to": {"rel_type": "m.reference", "event_id": poll_id}, POLL_END: {}, TEXT: result,
            "body": result}


def poll_response(event_type: str, content: Content) -> tuple[str, list[str]] | None:
    """``(poll event id, chosen answer ids)`` of a poll answer in either form; None if it is not one."""
    field = POLL_RESPONSES.get(event_type)
    relation = content.get("m.relates_to")
    if field is None or not isinstance(relation, dict) or relation.get("rel_type") != "m.reference":
        return None
    poll_id = relation.get("event_id")
    body = content.get(event_type) if event_type != "m.poll.response" else content
    answers = body.get(field) if isinstance(body, dict) else None
    if not isinstance(poll_id, str) or not isinstance(answers, list):
        return None
    return poll_id, [a for a in answers if isinstance(a, str)]


def encrypted_image(file: dict[str, Any], alt: str, size: int, width: int, height: int,
                    mimetype: str = "image/png") -> Content:
    """An ``m.image`` of uploaded encrypted media: ``file`` holds its url and the keys to decrypt it."""
    return {"msgtype": "m.image", "body": alt, "file": file,
            "info": {"mimetype": mimetype, "size": size, "w": width, "h": height}}
