"""Scores one turn: each expectation of the scenario file against what was measured, as a
``Check`` with the expected and the measured value in words."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from voicepanel.scenarios.model import Expectations, ToolExpectation
from voicepanel.scenarios.results import Check, Span, ToolUse

NO_REPLY = "no reply heard"


@dataclass(frozen=True)
class Measured:
    """What a turn produced, for scoring."""

    latency_ms: float | None
    reply: Span | None
    transcript: tuple[str, ...]
    tools: tuple[ToolUse, ...]
    ended_reason: str | None = None  # None: the call had not ended
    events_missing: str | None = None  # why no live events came (transcripts, tools)


def score(expect: Expectations, measured: Measured) -> tuple[Check, ...]:
    checks: list[Check] = []
    if expect.reply_within_ms is not None:
        limit = expect.reply_within_ms
        latency = measured.latency_ms
        checks.append(
            Check(
                "reply starts within",
                f"{limit} ms",
                NO_REPLY if latency is None else f"{latency:.0f} ms",
                latency is not None and latency <= limit,
            )
        )
    duration = measured.reply.duration_s if measured.reply is not None else None
    if measured.reply is None:
        heard = NO_REPLY
    elif duration is None:
        heard = "still speaking at the end"
    else:
        heard = f"{duration:.2f} s"
    if expect.reply_min_s is not None:
        minimum = expect.reply_min_s
        checks.append(
            Check(
                "reply lasts at least",
                f"{minimum:g} s",
                heard,
                measured.reply is not None and (duration is None or duration >= minimum),
            )
        )
    if expect.reply_max_s is not None:
        maximum = expect.reply_max_s
        checks.append(
            Check(
                "reply lasts at most",
                f"{maximum:g} s",
                heard,
                duration is not None and duration <= maximum,
            )
        )
    said = " ".join(measured.transcript)
    said_words = _quoted(said) if said else "no final transcript"
    if measured.events_missing and not said:
        said_words = f"no live events ({measured.events_missing})"
    for words in expect.transcript_contains:
        checks.append(
            Check(
                "transcript contains",
                json.dumps(words),
                said_words,
                words.casefold() in said.casefold(),
            )
        )
    if expect.transcript_matches is not None:
        checks.append(
            Check(
                "transcript matches",
                f"/{expect.transcript_matches.pattern}/",
                said_words,
                expect.transcript_matches.search(said) is not None,
            )
        )
    for tool in expect.tools_called:
        checks.append(_tool_check(tool, measured))
    if expect.ended_reason is not None:
        checks.append(
            Check(
                "call ended with",
                expect.ended_reason,
                measured.ended_reason or "the call had not ended",
                measured.ended_reason == expect.ended_reason,
            )
        )
    return tuple(checks)


def _tool_check(tool: ToolExpectation, measured: Measured) -> Check:
    expected = tool.name + (f" {_compact(tool.arguments)}" if tool.arguments else "")
    named = [use for use in measured.tools if use.name == tool.name]
    held = any(_contains(use.arguments, tool.arguments) for use in named)
    if named:
        shown = "; ".join(f"{use.name} {_compact(use.arguments)}" for use in named)
    elif measured.tools:
        shown = "other tools: " + ", ".join(use.name for use in measured.tools)
    elif measured.events_missing:
        shown = f"no live events ({measured.events_missing})"
    else:
        shown = "no tool called"
    return Check("tool called", expected, shown, held)


def _contains(actual: Any, expected: Any) -> bool:
    """Every key of ``expected`` is in ``actual`` with an equal value (tables compared the
    same way, deeper down); a number given as text matches the same number."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and _contains(actual[k], v) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_contains(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if actual == expected:
        return True
    return str(actual) == str(expected) and not isinstance(actual, dict | list)


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _quoted(text: str) -> str:
    return json.dumps(text if len(text) <= 200 else text[:197] + "...", ensure_ascii=False)
