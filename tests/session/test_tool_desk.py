"""Answering VAPI's tool calls from the panel: by hand, by a responder rule, or too late."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from live_helpers import event, tool_calls

from voicepanel.core.errors import VoicePanelError
from voicepanel.session.conversation import AnswerSource, Conversation, ToolCallState
from voicepanel.session.tool_desk import ToolDesk
from voicepanel.session.tool_responders import (
    TRANSFER_RULE,
    ResponderRule,
    ResponderRules,
    RuleAction,
)


def desk_with(*rules: ResponderRule) -> ToolDesk:
    by_name = {r.tool: r for r in rules}
    return ToolDesk(by_name.get)


def post(conversation: Conversation, *calls: tuple[str, str, object]):
    return conversation.apply(tool_calls(time.time(), *calls))


async def test_a_hand_answer_goes_back_to_vapi_as_the_result() -> None:
    conversation, desk = Conversation("call-1", answer_window_s=10), desk_with()
    opened = post(conversation, ("t1", "lookup_order", {"order": "15"}))
    answering = asyncio.create_task(desk.answer(conversation, opened))
    await asyncio.sleep(0.05)
    assert not answering.done()  # VAPI waits while the tester types
    answered = desk.answer_by_hand("call-1", "t1", result='{"status": "shipped"}')
    assert answered.state is ToolCallState.ANSWERED and answered.source is AnswerSource.HAND
    assert await answering == {
        "results": [{"toolCallId": "t1", "name": "lookup_order", "result": '{"status": "shipped"}'}]
    }


async def test_a_rule_answers_with_its_result_or_error_after_its_delay() -> None:
    conversation = Conversation("call-1", answer_window_s=10)
    desk = desk_with(
        ResponderRule("weather", RuleAction.RESULT, "sunny", delay_s=0.2),
        ResponderRule("book", RuleAction.ERROR, "fully booked"),
    )
    opened = post(conversation, ("t1", "weather", {}), ("t2", "book", {}))
    started = time.monotonic()
    reply = await desk.answer(conversation, opened)
    assert time.monotonic() - started >= 0.2
    assert reply == {
        "results": [
            {"toolCallId": "t1", "name": "weather", "result": "sunny"},
            {"toolCallId": "t2", "name": "book", "error": "fully booked"},
        ]
    }
    states = {c.id: (c.state, c.source) for c in conversation.tool_calls.values()}
    assert states == {
        "t1": (ToolCallState.ANSWERED, AnswerSource.RULE),
        "t2": (ToolCallState.FAILED, AnswerSource.RULE),
    }


async def test_an_unanswered_call_expires_at_its_deadline_and_a_later_answer_is_late() -> None:
    conversation, desk = Conversation("call-1", answer_window_s=0.3), desk_with()
    opened = post(conversation, ("t1", "lookup_order", {}))
    reply = await desk.answer(conversation, opened)
    assert reply["results"][0]["error"].startswith("No answer from VoicePanel within")
    assert conversation.tool_calls["t1"].state is ToolCallState.EXPIRED
    late = desk.answer_by_hand("call-1", "t1", result="too late")
    assert late.state is ToolCallState.LATE


async def test_a_rule_slower_than_the_deadline_answers_late() -> None:
    conversation = Conversation("call-1", answer_window_s=0.2)
    desk = desk_with(ResponderRule("slow", RuleAction.RESULT, "eventually", delay_s=0.4))
    opened = post(conversation, ("t1", "slow", {}))
    reply = await desk.answer(conversation, opened)
    assert "error" in reply["results"][0]
    await asyncio.sleep(0.3)
    assert conversation.tool_calls["t1"].state is ToolCallState.LATE
    await desk.close()


async def test_a_transfer_request_is_answered_with_a_destination_or_an_error() -> None:
    destination = {"type": "number", "number": "+14155550100"}
    conversation = Conversation("call-1", answer_window_s=10)
    desk = desk_with(ResponderRule(TRANSFER_RULE, RuleAction.RESULT, json.dumps(destination)))
    opened = conversation.apply(event("transfer-destination-request", time.time()))
    assert await desk.answer(conversation, opened) == {"destination": destination}

    by_hand = desk_with()
    opened = conversation.apply(event("transfer-destination-request", time.time()))
    answering = asyncio.create_task(by_hand.answer(conversation, opened))
    await asyncio.sleep(0.02)
    with pytest.raises(VoicePanelError):
        by_hand.answer_by_hand("call-1", opened[0].id, result="not json")
    by_hand.answer_by_hand("call-1", opened[0].id, error="Nobody is available.")
    assert await answering == {"error": "Nobody is available."}


def test_rules_are_kept_per_profile(tmp_path: Path) -> None:
    path = tmp_path / "responders.json"
    staging = ResponderRules("Staging", path)
    staging.replace([ResponderRule("lookup_order", RuleAction.RESULT, '{"status": "lost"}', 1.5)])
    ResponderRules("Sandbox", path).replace([ResponderRule("weather", RuleAction.ERROR, "down")])
    again = ResponderRules("Staging", path)
    assert again.for_tool("lookup_order") == ResponderRule(
        "lookup_order", RuleAction.RESULT, '{"status": "lost"}', 1.5
    )
    assert again.for_tool("weather") is None
    assert ResponderRules("Sandbox", path).for_tool("weather") is not None


def test_a_rule_that_cannot_work_is_not_saved(tmp_path: Path) -> None:
    rules = ResponderRules("Staging", tmp_path / "responders.json")
    with pytest.raises(VoicePanelError) as info:
        rules.replace(
            [
                ResponderRule("", RuleAction.RESULT, "x"),
                ResponderRule("f", delay_s=500),
                ResponderRule(TRANSFER_RULE, RuleAction.RESULT, "+1415"),
            ]
        )
    assert "needs the tool's name" in info.value.hint
    assert "must be 0 to 120 s" in info.value.hint
    assert "destination object" in info.value.hint
    assert rules.rules == ()
