"""A Scripted assistant's lines: which one it says next.

A user turn whose words are known (a text turn added with `add-message`) and that contains
one of the script's keywords (whole words, any case) gets that keyword's line; any other
turn gets the next of `lines`, in order. After the last line the assistant repeats it, or,
with an `endCall` tool, hangs up once it has said it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Script:
    lines: tuple[str, ...] = ()
    keywords: tuple[tuple[str, str], ...] = ()  # (keyword, line), in the order given


@dataclass(frozen=True)
class ScriptLine:
    text: str
    last: bool  # the in-order lines have run out with this one


class ScriptCursor:
    def __init__(self, script: Script) -> None:
        self._script = script
        self._next = 0
        self._patterns = [
            (re.compile(rf"\b{re.escape(word)}\b", re.IGNORECASE), line)
            for word, line in script.keywords
        ]

    def next_line(self, user_words: str | None) -> ScriptLine | None:
        if user_words:
            for pattern, line in self._patterns:
                if pattern.search(user_words):
                    return ScriptLine(line, last=False)
        lines = self._script.lines
        if not lines:
            return None
        index = min(self._next, len(lines) - 1)
        self._next += 1
        return ScriptLine(lines[index], last=index == len(lines) - 1)
