"""Which line of a TOML file each key is on, so a problem found after parsing can name it.

``tomllib`` parses, but keeps no positions. This reads the lines again for table headers
(``[a.b]``, ``[[turns]]``, counted per array) and ``key = value`` lines (dotted keys
too), and remembers the first line of every key path, e.g. ``("turns", 1, "expect",
"reply_within_ms")`` (array indexes 0-based). A key inside an inline table or a value
spread over lines is placed on the line of the nearest key that contains it.
"""

from __future__ import annotations

import re

Path = tuple[str | int, ...]

_BARE_OR_QUOTED = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_DOTTED = rf"{_BARE_OR_QUOTED}(?:\s*\.\s*{_BARE_OR_QUOTED})*"
_ARRAY_HEADER = re.compile(rf"^\s*\[\[\s*({_DOTTED})\s*\]\]")
_TABLE_HEADER = re.compile(rf"^\s*\[\s*({_DOTTED})\s*\]")
_KEY_VALUE = re.compile(rf"^\s*({_DOTTED})\s*=")
_PART = re.compile(_BARE_OR_QUOTED)


def _parts(dotted: str) -> list[str]:
    parts = []
    for match in _PART.finditer(dotted):
        text = match.group(0)
        if text[0] in "\"'":
            text = text[1:-1]
        parts.append(text)
    return parts


class KeyLines:
    def __init__(self, text: str) -> None:
        self._lines: dict[Path, int] = {}
        self._scan(text)

    def _scan(self, text: str) -> None:
        arrays: dict[tuple[str, ...], int] = {}  # array of tables -> its last index
        table: Path = ()
        in_string: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if in_string is not None:
                if line.count(in_string) % 2 == 1:
                    in_string = None
                continue
            header = _ARRAY_HEADER.match(line)
            if header:
                names = tuple(_parts(header.group(1)))
                arrays[names] = arrays.get(names, -1) + 1
                table = self._resolve(names, arrays) + (arrays[names],)
                self._remember(table, number)
                continue
            header = _TABLE_HEADER.match(line)
            if header:
                table = self._resolve(tuple(_parts(header.group(1))), arrays)
                self._remember(table, number)
                continue
            pair = _KEY_VALUE.match(line)
            if pair:
                self._remember(table + tuple(_parts(pair.group(1))), number)
                for quote in ('"""', "'''"):
                    if line.count(quote) % 2 == 1:
                        in_string = quote

    @staticmethod
    def _resolve(names: tuple[str, ...], arrays: dict[tuple[str, ...], int]) -> Path:
        """``turns.expect`` inside the latest ``[[turns]]`` is ``("turns", i, "expect")``."""
        path: list[str | int] = []
        for depth, name in enumerate(names):
            path.append(name)
            prefix = names[: depth + 1]
            if prefix in arrays and depth + 1 < len(names):
                path.append(arrays[prefix])
        return tuple(path)

    def _remember(self, path: Path, number: int) -> None:
        for end in range(1, len(path) + 1):
            self._lines.setdefault(path[:end], number)

    def line_of(self, path: Path) -> int | None:
        """The line of ``path``, or of the nearest key containing it; None if unknown."""
        for end in range(len(path), 0, -1):
            found = self._lines.get(path[:end])
            if found is not None:
                return found
        return None
