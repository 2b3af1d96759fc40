"""The sandbox's VAPI posts a call's live events to the panel, as VAPI's cloud would: the
real vapi SDK starts the call, Fishjam carries it, an SDK agent talks, and the workspace
sees the whole call, in order; tool calls wait for the panel's answer."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from live_helpers import eventually
from speaking_agent import speak_then_listen

from voicepanel.core.vapi_events import CallEvent
from voicepanel.sandbox.server import Sandbox
from voicepanel.session.calls import CallRecord
from voicepanel.session.conversation import AnswerSource, Conversation, Speaker, ToolCallState
from voicepanel.session.profiles import SANDBOX_PROFILE, SecretStore
from voicepanel.session.workspace import Workspace


@pytest.fixture
async def workspace(sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[Workspace]:
    ws = Workspace(SANDBOX_PROFILE, SecretStore(), tmp_path, sandbox=sandbox, events_timeout_s=3.0)
    await ws.open()
    try:
        yield ws
    finally:
        await ws.close()


async def start(ws: Workspace, assistant: str) -> tuple[CallRecord, str]:
    room = await ws.create_room()
    assistant_id = next(a.id for a in await ws.list_assistants() if a.name == assistant)
    return await ws.add_vapi_assistant(room.id, assistant_id=assistant_id), room.id


@contextlib.asynccontextmanager
async def order_desk_call(ws: Workspace) -> AsyncIterator[tuple[CallRecord, Conversation]]:
    """The Order desk in a room, and someone saying one sentence to it (so it calls
    lookup_order), for as long as the block lasts."""
    record, room_id = await start(ws, "Order desk")
    talking = asyncio.create_task(speak_then_listen(ws, room_id, [1.0], gap_s=0.1))
    try:
        yield record, ws.calls.conversation(record.id)
    finally:
        talking.cancel()


def call_events(ws: Workspace, call_id: str) -> list[CallEvent]:
    return [e for e in ws.journal.read() if isinstance(e, CallEvent) and e.call_id == call_id]


async def test_a_whole_echo_call_arrives_in_order(workspace: Workspace) -> None:
    record, room_id = await start(workspace, "Echo")
    talking = asyncio.create_task(speak_then_listen(workspace, room_id, [1.0], gap_s=0.1))
    conversation = workspace.calls.conversation(record.id)
    try:
        await eventually(lambda: len(conversation.final_lines(Speaker.ASSISTANT)) == 1)
        await eventually(lambda: not conversation.speaking(Speaker.ASSISTANT))
        await workspace.end_call(record.id)
        await eventually(lambda: conversation.summary is not None or conversation.cost is not None)
    finally:
        talking.cancel()
    events = call_events(workspace, record.id)
    kinds = [e.type for e in events]
    statuses = [e.details["status"] for e in events if e.type == "status-update"]
    assert statuses == ["queued", "in-progress", "ended"]
    assert kinds[-2:] == ["status-update", "end-of-call-report"]
    said = [(e.details["role"], e.details["status"]) for e in events if e.type == "speech-update"]
    assert said == [
        ("user", "started"),
        ("user", "stopped"),
        ("assistant", "started"),
        ("assistant", "stopped"),
    ]
    # In VAPI's order, by VAPI's clock; on the call's room and peer once the panel knows
    # them (VAPI may post "queued" before the panel has the call back).
    assert [e.at for e in events] == sorted(e.at for e in events)
    started = kinds.index("speech-update")
    assert {(e.room_id, e.peer_id) for e in events[started:]} == {(room_id, record.peer_id)}
    assert conversation.final_lines(Speaker.USER)[0].startswith("(user spoke for")
    (turn,) = conversation.turns
    assert 0 < turn.reply_delay_s < 3
    # The end, as the events told it, is what the card shows: no poll needed.
    assert conversation.ended and conversation.ended_reason
    ended = workspace.calls.get(record.id)
    assert ended is not None and ended.call.ended_reason == conversation.ended_reason


async def test_a_tool_call_answered_by_hand_is_what_the_assistant_says_next(
    workspace: Workspace,
) -> None:
    assert workspace.live is not None
    async with order_desk_call(workspace) as (record, conversation):
        await eventually(lambda: conversation.waiting_tool_calls())
        (call,) = conversation.waiting_tool_calls()
        assert call.name == "lookup_order" and call.arguments == {"orderNumber": "1234"}
        answered = workspace.live.answer_tool_call(
            record.id, call.id, result='{"status": "shipped on Monday"}'
        )
        assert answered.state is ToolCallState.ANSWERED and answered.source is AnswerSource.HAND
        await eventually(lambda: "shipped on Monday" in " ".join(conversation.final_lines()))
    reply = conversation.final_lines(Speaker.ASSISTANT)[-1]
    assert reply.startswith('lookup_order says: {"status": "shipped on Monday"}')


async def test_a_tool_call_answered_after_its_deadline_is_marked_late(
    workspace: Workspace,
) -> None:
    assert workspace.live is not None
    async with order_desk_call(workspace) as (record, conversation):
        await eventually(lambda: conversation.tool_calls)
        (call,) = conversation.tool_calls.values()
        # Nobody answers: at the deadline the panel tells VAPI so, and marks the call.
        await eventually(lambda: conversation.tool_calls[call.id].state is ToolCallState.EXPIRED)
        await eventually(lambda: "lookup_order failed" in " ".join(conversation.final_lines()))
        late = workspace.live.answer_tool_call(record.id, call.id, result="too late")
    assert late.state is ToolCallState.LATE
    assert late.answered_at is not None and late.answered_at > late.deadline_at
    reply = conversation.final_lines(Speaker.ASSISTANT)[-1]
    assert "No answer from VoicePanel within 2.5 s" in reply  # 3 s less the trip back
