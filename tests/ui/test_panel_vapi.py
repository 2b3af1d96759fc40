"""A VAPI assistant end to end: the dialog, the call card, say a line, end the call."""

from __future__ import annotations

import json
from typing import Any

from panel_helpers import find_top, until

from voicepanel.core.fishjam_gateway import RoomSpec
from voicepanel.ui.dialogs.add_vapi import (
    STARTER_ASSISTANT,
    AddVapiDialog,
    check_assistant_config,
)


async def test_the_echo_assistant_joins_talks_and_ends_with_a_reason(panel: Any) -> None:
    room = await panel.host.workspace.create_room(RoomSpec())
    panel.select_key((room.id, None, None))
    panel.act_add_vapi.trigger()
    dialog = await until(lambda: find_top(AddVapiDialog), what="the VAPI dialog")
    await until(lambda: dialog.select_assistant("Echo"), what="Echo in the assistant list")
    dialog.ok_button.click()

    card = await until(lambda: next(iter(panel.calls.cards.values()), None), 60, "a call card")
    record_id = card.record.id
    await until(lambda: card.record.status == "in-progress", 30, "the call in progress")
    assert card.status_label.text() == "in progress"
    assert card.record.peer_id in panel.host.workspace.tree.rooms[room.id].peers

    card.line.setText("Hello from the test")
    card.say_button.click()
    await until(lambda: card.said.isVisibleTo(card), 15, "the line to be said")
    assert "Hello from the test" in card.said.text()
    assert not card.banner.isVisible()

    card.end_button.click()
    await until(lambda: card.record.ended, 30, "the call to end")
    assert card.status_label.text() == "ended"
    assert card.record.call.ended_reason
    why = card.why.text()
    # The tester's click ended it: the card says so, with VAPI's own reason beside it.
    assert why.startswith("the panel ended it (End call)")
    assert card.record.call.ended_reason in why
    assert not card.controls.isVisibleTo(card)
    assert panel.calls.cards[record_id] is card


def test_an_inline_assistant_config_is_checked_before_it_is_sent() -> None:
    assert check_assistant_config(json.dumps(STARTER_ASSISTANT)) == ""
    assert "JSON object" in check_assistant_config("[1, 2]")
    assert "Not valid JSON" in check_assistant_config("{")
    assert "text" in check_assistant_config('{"name": 3}')
    assert "seconds" in check_assistant_config('{"maxDurationSeconds": "long"}')
    assert check_assistant_config("")
    unknown_provider = '{"model": {"provider": "openia", "model": "gpt-4o"}}'
    assert '"model.provider" must be one of' in check_assistant_config(unknown_provider)
    assert '"colour" is not a field' in check_assistant_config('{"colour": "red"}')
    assert "too deeply" in check_assistant_config("[" * 100_000)


async def test_a_vapi_peer_with_a_bad_call_shows_crashed_and_why_in_the_tree(panel: Any) -> None:
    from voicepanel.ui.room_tree_model import NodeKeyRole

    ws = panel.host.workspace
    room = await ws.create_room(RoomSpec())
    peer = await ws.fishjam.create_vapi_peer(room.id, ws.sandbox.config.vapi_key, "no-such-call")
    await until(
        lambda: "PeerCrashed" in [n.kind for n in panel.notifications.model.notifications()],
        20,
        "PeerCrashed",
    )
    panel.select_key((room.id, peer.id, None))
    index = panel.tree.currentIndex()
    assert index.data(NodeKeyRole) == (room.id, peer.id, None)
    state = index.siblingAtColumn(2).data()
    assert state.startswith("crashed")
    assert index.data(0x0003).startswith("Crashed: ")  # ToolTipRole says why
    assert panel.details.kind == "peer"


async def test_the_starter_template_starts_a_call_through_the_dialog(panel: Any) -> None:
    room = await panel.host.workspace.create_room(RoomSpec())
    panel.select_key((room.id, None, None))
    panel.act_add_vapi.trigger()
    dialog = await until(lambda: find_top(AddVapiDialog), what="the VAPI dialog")
    dialog.use_starter()
    assert dialog.use_inline.isChecked() and dialog.ok_button.isEnabled()
    dialog.config.setPlainText('{"name": 1}')
    assert not dialog.ok_button.isEnabled()
    assert "text" in dialog.error_text("config")
    dialog.config.setPlainText('{"voice": {"provider": "robot"}}')
    assert not dialog.ok_button.isEnabled()
    assert '"voice.provider" must be one of' in dialog.error_text("config")
    dialog.use_starter()
    dialog.auto_close.setChecked(False)
    dialog.ok_button.click()
    card = await until(lambda: next(iter(panel.calls.cards.values()), None), 30, "a call card")
    assert card.record.room_id == room.id
    assert card.record.call.assistant_name in ("Demo assistant", None)


async def test_a_call_ended_before_anyone_spoke_says_so_instead_of_an_empty_box(
    panel: Any,
) -> None:
    from PySide6.QtWidgets import QPlainTextEdit

    ws = panel.host.workspace
    room = await ws.create_room(RoomSpec())
    echo = next(a for a in await ws.list_assistants() if a.name == "Echo")
    record = await ws.add_vapi_assistant(room.id, assistant_id=echo.id)
    panel._calls_changed()
    card = await until(lambda: panel.calls.cards.get(record.id), 30, "the call card")
    await until(lambda: card.record.status == "in-progress", 30, "the call in progress")
    card.end_button.click()
    await until(lambda: card.record.ended and card.report.isVisibleTo(card), 30, "the report")
    assert not card.record.call.transcript and not ws.live.conversation(record.id).lines

    empty_boxes = [
        box.objectName()
        for box in card.findChildren(QPlainTextEdit)
        if box.isVisibleTo(card)
        and not box.toPlainText().strip()
        and "Nobody spoke" not in box.placeholderText()
    ]
    assert empty_boxes == []
    assert "Nobody spoke" in card.transcript_view.text.placeholderText()
    assert not card.transcript.isVisibleTo(card)
