"""VAPI live events as the tests post or apply them: VAPI's JSON shapes, one call."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from voicepanel.core.vapi_events import CallEvent, parse_post

T0 = 1_800_000_000.0  # a fixed epoch second for model tests


def vapi_message(kind: str, call_id: str = "call-1", at: float = T0, **fields: Any) -> dict:
    """The body VAPI posts: {"message": {"type", "timestamp" (ms), "call", ...}}."""
    return {
        "message": {
            "type": kind,
            "timestamp": at * 1000,
            "call": {"id": call_id},
            **fields,
        }
    }


def event(kind: str, at: float = T0, call_id: str = "call-1", **fields: Any) -> CallEvent:
    """The CallEvent the receiver makes of such a post."""
    import json

    return parse_post(json.dumps(vapi_message(kind, call_id, at, **fields)).encode(), at + 0.01)


def speech(role: str, status: str, at: float, call_id: str = "call-1") -> CallEvent:
    return event("speech-update", at, call_id, role=role, status=status)


def transcript(role: str, text: str, at: float, final: bool = True) -> CallEvent:
    kind = "final" if final else "partial"
    return event("transcript", at, role=role, transcriptType=kind, transcript=text)


def tool_calls(at: float, *calls: tuple[str, str, Any], call_id: str = "call-1") -> CallEvent:
    """A tool-calls event; each call is (id, function name, arguments)."""
    items = [
        {"id": i, "type": "function", "function": {"name": name, "arguments": arguments}}
        for i, name, arguments in calls
    ]
    return event("tool-calls", at, call_id, toolCallList=items, toolWithToolCallList=[])


def one_turn(start: float, user: str, reply: str, delay: float = 0.8) -> list[CallEvent]:
    """User speaks for a second, the assistant answers ``delay`` later for a second."""
    stop = start + 1.0
    answer = stop + delay
    return [
        speech("user", "started", start),
        transcript("user", user[: len(user) // 2], start + 0.5, final=False),
        transcript("user", user, stop + 0.1),
        speech("user", "stopped", stop),
        speech("assistant", "started", answer),
        transcript("assistant", reply, answer + 0.2),
        speech("assistant", "stopped", answer + 1.0),
    ]


async def eventually(check: Callable[[], object], timeout_s: float = 20.0) -> None:
    """Waits until ``check()`` is true; fails the test after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout_s} s: {check}")
        await asyncio.sleep(0.02)
