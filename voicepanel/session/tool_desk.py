"""ToolDesk: answers VAPI's tool calls and transfer-destination requests while VAPI waits.

VAPI holds its post open until the answer comes back, up to the call's server timeout.
For each request the desk lets a responder rule answer (after the rule's delay), or waits
for the tester's answer from the call card, and replies once every call in the post is
answered or the answer window closes; what nobody answered in time is marked expired, and
an answer that comes after that is kept but marked late.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

from voicepanel.core.errors import VoicePanelError
from voicepanel.session.conversation import (
    AnswerSource,
    Conversation,
    RequestKind,
    ToolCall,
    ToolCallState,
)
from voicepanel.session.tool_responders import TRANSFER_RULE, ResponderRule, RuleAction

Key = tuple[str, str]  # (call id, tool call id)


class ToolDesk:
    def __init__(
        self,
        rule_for: Callable[[str], ResponderRule | None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._rule_for = rule_for
        self._clock = clock
        self._conversations: dict[str, Conversation] = {}
        self._answered: dict[Key, asyncio.Future[None]] = {}
        self._rule_tasks: set[asyncio.Task[None]] = set()

    async def answer(self, conversation: Conversation, calls: list[ToolCall]) -> dict[str, Any]:
        """The body to answer VAPI's post with, once ``calls`` are answered or expired."""
        self._conversations[conversation.call_id] = conversation
        loop = asyncio.get_running_loop()
        waits = []
        for call in calls:
            key = (call.call_id, call.id)
            future: asyncio.Future[None] = loop.create_future()
            self._answered[key] = future
            waits.append(future)
            rule = self._rule_for(TRANSFER_RULE if call.kind is RequestKind.TRANSFER else call.name)
            if rule is not None:
                self._spawn(self._apply_rule(call, rule))
        if calls:
            remaining = min(c.deadline_at for c in calls) - self._clock()
            await asyncio.wait(waits, timeout=max(0.0, remaining))
        for call in calls:
            self._answered.pop((call.call_id, call.id), None)
            conversation.expire_tool_call(call.id)
        return _reply([conversation.tool_calls[c.id] for c in calls])

    def answer_by_hand(
        self,
        call_id: str,
        tool_call_id: str,
        *,
        result: str | None = None,
        error: str | None = None,
    ) -> ToolCall:
        """The tester's answer from the card; the returned call says whether it was in time."""
        conversation = self._conversations.get(call_id)
        if conversation is None or tool_call_id not in conversation.tool_calls:
            raise VoicePanelError("This tool call is not one VAPI is waiting for.", "")
        call = conversation.tool_calls[tool_call_id]
        if call.kind is RequestKind.TRANSFER and error is None:
            result = _destination_text(result or "")
        return self._settle(conversation, call, AnswerSource.HAND, result, error)

    async def _apply_rule(self, call: ToolCall, rule: ResponderRule) -> None:
        if rule.delay_s > 0:
            await asyncio.sleep(rule.delay_s)
        conversation = self._conversations[call.call_id]
        if rule.action is RuleAction.ERROR:
            self._settle(conversation, call, AnswerSource.RULE, None, rule.text or "error")
        else:
            self._settle(conversation, call, AnswerSource.RULE, rule.text, None)

    def _settle(
        self,
        conversation: Conversation,
        call: ToolCall,
        source: AnswerSource,
        result: str | None,
        error: str | None,
    ) -> ToolCall:
        settled = conversation.settle_tool_call(
            call.id, at=self._clock(), source=source, result=result, error=error
        )
        future = self._answered.get((call.call_id, call.id))
        if future is not None and not future.done() and settled.state in _IN_TIME:
            future.set_result(None)
        return settled

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._rule_tasks.add(task)
        task.add_done_callback(self._rule_tasks.discard)

    async def close(self) -> None:
        for task in list(self._rule_tasks):
            task.cancel()
        for task in list(self._rule_tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for future in self._answered.values():
            future.cancel()
        self._answered.clear()


_IN_TIME = (ToolCallState.ANSWERED, ToolCallState.FAILED)


def _destination_text(text: str) -> str:
    try:
        destination = json.loads(text)
    except ValueError:
        destination = None
    if not isinstance(destination, dict):
        raise VoicePanelError(
            "A transfer destination must be a JSON object.",
            'For example {"type": "number", "number": "+14155550100"}.',
        )
    return json.dumps(destination, separators=(",", ":"))


def _no_answer(call: ToolCall) -> str:
    waited = call.deadline_at - call.received_at
    return f"No answer from VoicePanel within {waited:.3g} s."


def _reply(calls: list[ToolCall]) -> dict[str, Any]:
    """VAPI's answer shapes: ``results`` for tool calls, ``destination``/``error`` for a
    transfer request."""
    transfers = [c for c in calls if c.kind is RequestKind.TRANSFER]
    if transfers:
        call = transfers[0]
        if call.state is ToolCallState.ANSWERED and call.result:
            return {"destination": json.loads(call.result)}
        return {"error": call.error if call.state is ToolCallState.FAILED else _no_answer(call)}
    results = []
    for call in calls:
        item: dict[str, Any] = {"toolCallId": call.id, "name": call.name}
        if call.state is ToolCallState.ANSWERED:
            item["result"] = call.result or ""
        elif call.state is ToolCallState.FAILED:
            item["error"] = call.error or "error"
        else:
            item["error"] = _no_answer(call)
        results.append(item)
    return {"results": results}
