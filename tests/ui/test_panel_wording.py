"""Sentences a person reads: counts agree with their nouns, the quit question fits the
moment, and the notifier says why nothing connects."""

from __future__ import annotations

from typing import Any

from panel_helpers import find_top, until
from PySide6.QtWidgets import QMessageBox

from voicepanel.core.fishjam_gateway import RoomSpec
from voicepanel.session.profiles import Profile, ProfileKind


async def test_one_room_one_peer_and_one_notification_are_counted_in_the_singular(
    panel: Any,
) -> None:
    ws = panel.host.workspace
    room = await ws.create_room(RoomSpec())
    await ws.create_peer(room.id)
    panel._tree_changed(None)
    assert panel.counts_label.text() == "1 room · 1 peer (0 connected)"
    row = panel.tree_model.index_of((room.id, None, None))
    state = row.siblingAtColumn(2).data()
    assert state == "1 peer, 0 connected"
    summary = panel.notifications.summary
    await until(lambda: summary.text() == "2 notifications", what="RoomCreated, PeerAdded")
    panel.notifications.clear_view()
    await ws.create_room(RoomSpec())
    await until(lambda: summary.text() == "1 notification", what="one more RoomCreated")


async def test_the_quit_question_speaks_of_quitting(panel: Any) -> None:
    ws = panel.host.workspace
    room = await ws.create_room(RoomSpec())
    echo = next(a for a in await ws.list_assistants() if a.name == "Echo")
    await ws.add_vapi_assistant(room.id, assistant_id=echo.id)
    panel.close()
    box = await until(lambda: find_top(QMessageBox, "endCallsBox"), what="the question")
    assert box.text().startswith("1 VAPI call is still running")
    assert box.informativeText() == "End them before VoicePanel quits?"
    assert "profile" not in box.informativeText()
    box.button(QMessageBox.StandardButton.Cancel).click()
    await until(lambda: find_top(QMessageBox, "endCallsBox") is None)


async def test_a_profile_without_a_token_says_what_is_missing_not_connecting(
    panel: Any,
) -> None:
    staging = panel.profiles.save(
        Profile("Staging", ProfileKind.CLOUD, fishjam_id="http://127.0.0.1:9")
    )
    assert not await panel.open_profile(staging)
    indicator = panel.notifier
    assert indicator.state == "OFF"
    text = indicator.label.text()
    assert "Connecting" not in text
    assert text == 'Notifications: off: The profile "Staging" has no management token.'
    assert "paste the token" in indicator.toolTip()
    assert indicator.profiles_button.isVisibleTo(indicator)
