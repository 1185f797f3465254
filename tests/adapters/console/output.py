"""Reading console output the way a person reads it: message by message."""

from __future__ import annotations

RULE = "─" * 60


def block(out: str, heading: str) -> str:
    """The one message in console output ``out`` that starts with ``heading`` (answers to users end it)."""
    messages = []
    for chunk in out.split(RULE):
        lines = []
        for line in chunk.strip().splitlines():
            if "→ @" in line:
                break
            lines.append(line)
        messages.append("\n".join(lines))
    found = [m for m in messages if m.startswith(heading)]
    assert len(found) == 1, (heading, found)
    return found[0]
