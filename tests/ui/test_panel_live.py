"""A call's live conversation in its card: the transcript as it is heard, the turns and
their delays, tool calls answered from the card, and the profile's public address Test.
Events are posted to the panel's receiver over a real socket, as VAPI posts them."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
from panel_helpers import find_top, until
from PySide6.QtGui import QGuiApplication
from speaking_agent import speak_then_listen

from voicepanel.core.fishjam_gateway import RoomSpec
from voicepanel.session.profiles import SecretName
from voicepanel.session.tool_responders import ResponderRule, RuleAction
from voicepanel.ui.dialogs.profiles import ProfilesDialog
from voicepanel.ui.dialogs.responder_rules import ResponderRulesDialog


class Vapi:
    """Posts events for one call to the panel's receiver, as VAPI does."""

    def __init__(self, panel: Any, call_id: str) -> None:
        ws = panel.host.workspace
        self.url = ws.live.receiver.local_url
        self.secret = ws._secrets.get(ws.profile.name, SecretName.EVENTS_SECRET)
        self.call_id = call_id

    async def post(self, kind: str, at: float | None = None, **fields: Any) -> Any:
        body = {
            "message": {
                "type": kind,
                "timestamp": (at or time.time()) * 1000,
                "call": {"id": self.call_id},
                **fields,
            }
        }
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url, json=body, headers={"X-Vapi-Secret": self.secret}) as r,
        ):
            assert r.status == 200
            return await r.json()


async def echo_call_card(panel: Any) -> Any:
    ws = panel.host.workspace
    room = await ws.create_room(RoomSpec())
    echo = next(a.id for a in await ws.list_assistants() if a.name == "Echo")
    record = await ws.add_vapi_assistant(room.id, assistant_id=echo)
    return await until(lambda: panel.calls.cards.get(record.id), 10, "the call card")


async def test_the_transcript_and_turns_fill_in_as_vapi_posts_them(panel: Any) -> None:
    card = await echo_call_card(panel)
    vapi = Vapi(panel, card.record.id)
    t0 = time.time()
    await vapi.post("speech-update", t0, role="user", status="started")
    await vapi.post(
        "transcript", t0 + 0.4, role="user", transcriptType="partial", transcript="I want fif"
    )
    hearing = card.transcript_view.hearing
    await until(lambda: "I want fif" in hearing.text(), 5, "the partial line")
    assert "still speaking" in hearing.text() and card.transcript_view.text.toPlainText() == ""

    await vapi.post(
        "transcript", t0 + 0.9, role="user", transcriptType="final", transcript="I want fifteen"
    )
    await vapi.post("speech-update", t0 + 1.0, role="user", status="stopped")
    await vapi.post("speech-update", t0 + 1.8, role="assistant", status="started")
    await vapi.post(
        "transcript", t0 + 2.0, role="assistant", transcriptType="final", transcript="Fifteen it is"
    )
    text = card.transcript_view.text
    await until(lambda: "Fifteen it is" in text.toPlainText(), 5, "the assistant's line")
    assert hearing.text() == ""  # nothing is being heard any more
    lines = text.toPlainText().splitlines()
    assert lines[0].endswith("User: I want fifteen") and lines[1].endswith(
        "Assistant: Fifteen it is"
    )
    assert "Reply delay (VAPI): last 0.80 s" in card.timeline.summary.text()
    assert card.live_tabs.tabText(card.live_tabs.turns_index) == "Turns (1)"
    card.live_tabs.setCurrentIndex(card.live_tabs.turns_index)
    assert card.turn_table.item(0, 2).text() == "0.80 s"
    card.live_tabs.setCurrentIndex(0)

    card.transcript_view.search.setText("fifteen")  # either case, both speakers
    assert card.transcript_view.match_count == 2
    assert card.transcript_view.matches.text() == "2 matches"
    card.transcript_view.search.setText("it is")
    assert card.transcript_view.matches.text() == "1 match"
    card.transcript_view.copy()
    copied = QGuiApplication.clipboard().text()
    assert "User: I want fifteen" in copied and "Assistant: Fifteen it is" in copied


async def test_a_tool_call_is_answered_from_the_card_within_the_deadline(panel: Any) -> None:
    card = await echo_call_card(panel)
    vapi = Vapi(panel, card.record.id)
    tool_call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "lookup_order", "arguments": {"order": "15"}},
    }
    answered = asyncio.create_task(
        vapi.post("tool-calls", toolCallList=[tool_call], toolWithToolCallList=[])
    )
    row = await until(lambda: card.tool_calls.rows.get("call_1"), 5, "the tool call row")
    assert "1 waiting" in card.live_tabs.tabText(card.live_tabs.tools_index)
    tabs = card.live_tabs
    await until(lambda: tabs.currentIndex() == tabs.tools_index, 5, "the tab to come forward")
    assert "lookup_order" in row.title.text() and '"order": "15"' in row.title.text()
    await until(lambda: "s left" in row.state.text(), 5, "the countdown")
    assert not answered.done()  # VAPI is still waiting

    row.answer_edit.setText('{"status": "shipped"}')
    row.result_button.click()
    reply = await asyncio.wait_for(answered, 5)
    assert reply == {
        "results": [
            {"toolCallId": "call_1", "name": "lookup_order", "result": '{"status": "shipped"}'}
        ]
    }
    await until(lambda: row.state.text().startswith("Answered by hand"), 5, "the answer shown")
    assert not row.editor.isVisibleTo(card)


async def test_a_responder_rule_saved_in_the_table_answers_by_itself(panel: Any) -> None:
    card = await echo_call_card(panel)
    card.tool_calls.rules_button.click()
    dialog = await until(lambda: find_top(ResponderRulesDialog), 5, "the rules dialog")
    dialog.add_rule(ResponderRule("weather", RuleAction.ERROR, "The weather service is down."))
    dialog.save_button.click()
    await until(lambda: not dialog.isVisible(), 5, "the dialog to close")
    assert panel.host.workspace.live.rules.for_tool("weather") is not None

    vapi = Vapi(panel, card.record.id)
    reply = await vapi.post(
        "tool-calls",
        toolCallList=[
            {"id": "w1", "type": "function", "function": {"name": "weather", "arguments": "{}"}}
        ],
        toolWithToolCallList=[],
    )
    assert reply["results"][0]["error"] == "The weather service is down."
    row = await until(lambda: card.tool_calls.rows.get("w1"), 5, "the tool call row")
    await until(lambda: row.state.text().startswith("Error sent by a rule"), 5, "the rule's answer")


async def test_a_sandbox_call_needs_no_public_address(panel: Any) -> None:
    card = await echo_call_card(panel)
    assert card.record.events_missing is None and not card.events_note.isVisibleTo(card)
    assert card.live_tabs.isVisibleTo(card)


async def test_the_public_address_test_fails_in_a_sentence_then_passes_through_a_tunnel(
    panel: Any,
) -> None:
    panel.open_profiles()
    dialog = await until(lambda: find_top(ProfilesDialog), what="the profiles dialog")
    dialog.add_profile()
    dialog.name.setText("Staging")
    dialog.fishjam_id.setText("https://fishjam.example")
    port = dialog._events_port
    assert f"cloudflared tunnel --url http://localhost:{port}" in dialog.tunnel_help.text()
    dialog.public_url.setText("http://127.0.0.1:9")  # nothing answers there
    dialog.test_button.click()
    await until(lambda: "Live events" in dialog.test_result.text(), 15, "the test result")
    assert "Could not reach 127.0.0.1" in dialog.test_result.text()

    # A "tunnel" that is the receiver's own port on this computer: the post arrives.
    dialog.public_url.setText(f"http://127.0.0.1:{port}")
    dialog.test_button.click()
    await until(lambda: "reached VoicePanel" in dialog.test_result.text(), 15, "success")
    saved = dialog.save()
    assert saved is not None and saved.public_url == f"http://127.0.0.1:{port}"
    assert saved.events_port == port
    dialog.reject()


async def test_a_message_is_added_and_the_assistant_muted_from_the_steer_tab(panel: Any) -> None:
    card = await echo_call_card(panel)
    await until(lambda: card.record.status == "in-progress", 30, "the call in progress")
    card.live_tabs.setCurrentIndex(card.live_tabs.steer_index)
    steer = card.steer
    steer.role.setCurrentIndex(steer.role.findData("system"))
    steer.reply.setChecked(False)
    steer.message.setText("The caller's order number is 15.")
    steer.add_button.click()
    await until(lambda: steer.message.text() == "", 15, "the message to be added")
    assert not card.banner.isVisible()
    steer.mute_button.click()
    await until(lambda: steer.mute_button.text() == "Unmute assistant", 15, "muted")
    assert panel.host.workspace.calls.get(card.record.id).assistant_muted
    call = await panel.host.workspace.vapi.get_call(card.record.id)
    assert any("order number is 15" in str(m) for m in call.messages)


async def test_the_order_desks_tool_call_is_answered_from_the_card_then_by_a_rule(
    panel: Any,
) -> None:
    """On the sandbox, the Order desk assistant looks up an order on each user turn: the
    tester answers from the card, and the assistant's next line says the answer; in a
    second call a responder rule answers instead."""
    ws = panel.host.workspace
    desk = next(a.id for a in await ws.list_assistants() if a.name == "Order desk")

    async def call_and_speak() -> tuple[Any, asyncio.Task[None]]:
        room = await ws.create_room(RoomSpec())
        record = await ws.add_vapi_assistant(room.id, assistant_id=desk)
        card = await until(lambda: panel.calls.cards.get(record.id), 10, "the call card")
        speaking = asyncio.create_task(speak_then_listen(ws, room.id, [1.0], gap_s=0.1))
        return card, speaking

    card, speaking = await call_and_speak()
    try:
        row = await until(
            lambda: next(iter(card.tool_calls.rows.values()), None), 30, "a tool call"
        )
        assert "lookup_order" in row.title.text() and '"orderNumber": "1234"' in row.title.text()
        row.answer_edit.setText('{"status": "out for delivery"}')
        row.result_button.click()
        transcript = card.transcript_view.text
        await until(lambda: "out for delivery" in transcript.toPlainText(), 30, "the answer said")
    finally:
        speaking.cancel()
    assert (
        'Assistant: lookup_order says: {"status": "out for delivery"}' in transcript.toPlainText()
    )
    assert row.state.text().startswith("Answered by hand")

    ws.live.rules.replace([ResponderRule("lookup_order", RuleAction.RESULT, '{"status": "lost"}')])
    card, speaking = await call_and_speak()
    try:
        transcript = card.transcript_view.text
        await until(lambda: '"status": "lost"' in transcript.toPlainText(), 30, "the rule's answer")
    finally:
        speaking.cancel()
    # A rule answered at once: the conversation stayed in view.
    assert card.live_tabs.currentIndex() == 0
    (row,) = card.tool_calls.rows.values()
    assert row.state.text().startswith("Answered by a rule")
