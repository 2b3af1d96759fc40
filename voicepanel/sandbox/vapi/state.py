"""What one VAPI sandbox holds: its key, its assistants, the call records, the live calls
and their listen taps. The route handlers share it; nothing else does.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from .assistants import AssistantProfile
from .calls import CallBook
from .conversation import LiveCall
from .listen import ListenTap


@dataclass
class SandboxState:
    api_key: str
    reply_delay_s: float
    assistants: dict[str, AssistantProfile]
    queued_timeout_s: float
    book: CallBook = field(default_factory=CallBook)
    live: dict[str, LiveCall] = field(default_factory=dict)
    taps: dict[str, ListenTap] = field(default_factory=dict)
    background: set[asyncio.Task[None]] = field(default_factory=set)
    expiries: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    closing: bool = False


def close_tap_later(state: SandboxState, call_id: str) -> None:
    """Close a finished call's listen tap in the background (its listeners hear the end)."""
    tap = state.taps.pop(call_id, None)
    if tap is None:
        return
    task = asyncio.get_running_loop().create_task(tap.close(), name="vapi-listen-close")
    state.background.add(task)
    task.add_done_callback(state.background.discard)
