"""Counts in words: "1 peer", "2 peers", "1,204 notifications". Every sentence that shows a
count goes through ``plural`` so no window ever says "1 notifications" or "4 time(s)"."""

from __future__ import annotations


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``count`` with the noun that fits it, thousands separated: plural(1, "peer") is
    "1 peer", plural(3, "reply", "replies") is "3 replies"."""
    noun = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count:,} {noun}"
