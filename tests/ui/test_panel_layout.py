"""Nothing is cut off and nothing opens off-screen: at the default size and on a 1280x720
screen every visible button and label of the main window and of each dialog reads whole,
and every top-level window opens whole on the screen's available area."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from layout_checks import clipped_texts, off_screen
from panel_helpers import find_top, until
from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from voicepanel.core.fishjam_gateway import RoomSpec
from voicepanel.ui.main_window import DEFAULT_SIZE
from voicepanel.ui.placement import ASSUMED_FRAME, fit_on_screen, fitted_rect, reframed_rect


async def _room_with_peers_and_a_call(panel: Any) -> tuple[Any, Any]:
    ws = panel.host.workspace
    room = await ws.create_room(RoomSpec(webhook_url="http://127.0.0.1:9/hook", max_peers=8))
    peer, _ = await ws.create_peer(room.id, {"name": "Alice's phone"})
    await ws.create_peer(room.id, None, "manual")
    echo = next(a for a in await ws.list_assistants() if a.name == "Echo")
    await ws.add_vapi_assistant(room.id, assistant_id=echo.id)
    panel._tree_changed(None)
    panel._calls_changed()
    return room, peer


async def _open(trigger: Callable[[], Any], kind: type[QWidget], name: str | None = None) -> Any:
    trigger()
    window = await until(lambda: find_top(kind, name), what=f"{kind.__name__} {name or ''}")
    await asyncio.sleep(0.05)  # shown, fitted to its frame, laid out
    return window


def _close(window: QWidget) -> None:
    if isinstance(window, QMessageBox):
        window.button(QMessageBox.StandardButton.Cancel).click() if window.button(
            QMessageBox.StandardButton.Cancel
        ) else window.close()
    elif isinstance(window, QDialog):
        window.reject()
    else:
        window.close()


def test_a_window_placed_low_on_a_short_screen_is_moved_up_and_shrunk(qtbot: Any) -> None:
    # The reported case: a 620 px tall agent window placed at y=395 on a 1000 px screen.
    window = QWidget()
    qtbot.addWidget(window)
    window.setGeometry(200, 395, 700, 620)
    screen = window.screen().availableGeometry()
    fit_on_screen(window)
    window.show()
    qtbot.waitUntil(lambda: off_screen(window) == "", timeout=2000)
    assert window.height() == 620 and window.frameGeometry().bottom() <= screen.bottom()
    window.setGeometry(0, 0, 1400, 900)  # larger than the screen: shrunk to fit
    fit_on_screen(window)
    qtbot.waitUntil(lambda: off_screen(window) == "", timeout=2000)
    assert window.width() < 1280 and window.height() < 720


def test_a_window_framed_thinner_than_assumed_keeps_its_frame_at_the_screen_top() -> None:
    # Seen under Xvfb with openbox: the main window was fitted for a 32 px title bar, the
    # window manager drew a 20 px one and kept the client in place: the frame sat 12 px low.
    available, minimum, want = QRect(0, 0, 1280, 720), QSize(400, 300), QSize(1280, 800)
    openbox = QMargins(1, 20, 1, 4)
    fitted = fitted_rect(QRect(QPoint(0, 0), want), ASSUMED_FRAME, available, minimum)
    assert fitted.marginsAdded(openbox).top() == 12  # what the person saw
    placed = reframed_rect(fitted, ASSUMED_FRAME, openbox, want, available, minimum)
    assert placed.marginsAdded(openbox) == available  # the frame fills the screen, not lower


@pytest.mark.parametrize("size", ["default size", "fitted to a 1280x720 screen"])
async def test_the_main_window_shows_every_button_and_id_whole(panel: Any, size: str) -> None:
    if size == "default size":
        panel.resize(DEFAULT_SIZE)
    else:
        fit_on_screen(panel)
    room, peer = await _room_with_peers_and_a_call(panel)
    for key in ((room.id, None, None), (room.id, peer.id, None)):
        panel.select_key(key)
        await asyncio.sleep(0.05)
        assert clipped_texts(panel) == [], key


async def test_on_half_of_a_wide_screen_the_details_go_under_the_rooms(panel: Any) -> None:
    """Two profiles side by side on a 1920x1080 screen: each window 960 px wide. Rooms and
    details side by side squeezed the tree's names and ids."""
    room, peer = await _room_with_peers_and_a_call(panel)
    panel.resize(960, 1040)
    await asyncio.sleep(0.05)
    assert panel.splitter.orientation() == Qt.Orientation.Vertical
    assert panel.rooms_pane.width() == panel.splitter.width()
    for key in ((room.id, None, None), (room.id, peer.id, None)):
        panel.select_key(key)
        await asyncio.sleep(0.05)
        assert clipped_texts(panel) == [], key

    panel.resize(1280, 1040)  # wider, but the calls dock still takes its part
    await asyncio.sleep(0.05)
    assert panel.splitter.orientation() == Qt.Orientation.Vertical
    panel.calls.hide()  # the central area grows without the window resizing
    await asyncio.sleep(0.05)
    assert panel.splitter.orientation() == Qt.Orientation.Horizontal
    panel.calls.show()
    panel.resize(DEFAULT_SIZE)  # too short to stack: beside, as before
    await asyncio.sleep(0.05)
    assert panel.splitter.orientation() == Qt.Orientation.Horizontal
    assert panel.rooms_pane.width() > panel.details.width() > 200


async def test_the_main_window_opens_whole_on_a_1280x720_screen(panel: Any) -> None:
    assert panel.screen().availableGeometry().size().toTuple() == (1280, 720)
    panel._restore_layout()  # what a first start does: the default size, then fitted
    await asyncio.sleep(0.05)
    assert off_screen(panel) == ""


async def test_every_dialog_and_window_opens_whole_with_nothing_cut(panel: Any) -> None:
    from voicepanel.ui.agent_panel import AgentPanel
    from voicepanel.ui.dialogs.add_peer import AddPeerDialog
    from voicepanel.ui.dialogs.add_vapi import AddVapiDialog
    from voicepanel.ui.dialogs.create_room import CreateRoomDialog
    from voicepanel.ui.dialogs.peer_token import PeerTokenDialog
    from voicepanel.ui.dialogs.profiles import ProfilesDialog
    from voicepanel.ui.dialogs.subscribe import SubscribeDialog
    from voicepanel.ui.first_run import FirstRunDialog

    room, peer = await _room_with_peers_and_a_call(panel)
    manual = next(
        p
        for p in panel.host.workspace.tree.rooms[room.id].peers.values()
        if p.subscribe_mode == "manual"
    )
    opened: dict[str, Any] = {}

    async def check(
        name: str, trigger: Callable[[], Any], kind: type[QWidget], obj: str | None = None
    ) -> Any:
        window = await _open(trigger, kind, obj)
        opened[name] = (off_screen(window), clipped_texts(window))
        return window

    panel.select_key((room.id, None, None))
    _close(await check("new room", panel.act_new_room.trigger, CreateRoomDialog))
    _close(await check("add peer", panel.act_add_peer.trigger, AddPeerDialog))
    _close(await check("add assistant", panel.act_add_vapi.trigger, AddVapiDialog))
    _close(await check("delete room", panel.act_delete.trigger, QMessageBox, "confirmBox"))
    # Before the agent joins and leaves: with everyone else gone the assistant hangs up.
    _close(await check("quit with a live call", panel.close, QMessageBox, "endCallsBox"))
    agent = await check("agent window", panel.act_agent.trigger, AgentPanel)
    # Over the main window, not wherever the window manager found room.
    assert panel.frameGeometry().contains(agent.frameGeometry().center())
    agent.close()
    panel.select_key((room.id, manual.id, None))
    _close(await check("subscribe", panel.act_subscribe.trigger, SubscribeDialog))
    panel.select_key((room.id, peer.id, None))
    ask = await check("new token?", panel.act_token.trigger, QMessageBox, "confirmBox")
    issue = next(b for b in ask.buttons() if b.text() == "Issue new token")
    _close(await check("new token", issue.click, PeerTokenDialog))
    _close(await check("profiles", panel.act_profiles.trigger, ProfilesDialog))
    _close(await check("welcome", panel.show_welcome, FirstRunDialog))
    _close(await check("about", panel.act_about.trigger, QMessageBox, "aboutBox"))
    assert opened == {name: ("", []) for name in opened}


async def _agent_window(panel: Any) -> Any:
    from voicepanel.ui.agent_panel import AgentPanel

    room = await panel.host.workspace.create_room(RoomSpec())
    panel._tree_changed(None)
    panel.select_key((room.id, None, None))
    return await _open(panel.act_agent.trigger, AgentPanel)


def _squeezed(window: QWidget) -> list[str]:
    """Visible widgets given less width than they ask for (sliders, tables, combo boxes)."""
    return [
        f"{type(w).__name__} {w.objectName()}: {w.width()} of {w.sizeHint().width()} px"
        for w in window.findChildren(QWidget)
        if w.isVisible() and w.sizeHint().isValid() and w.width() < w.sizeHint().width()
    ]


async def test_the_agent_window_opens_wide_enough_that_nothing_is_squeezed(panel: Any) -> None:
    agent = await _agent_window(panel)
    try:
        assert agent.width() >= 700
        assert _squeezed(agent) == []
        assert off_screen(agent) == ""  # and whole on the 1280x720 screen
    finally:
        agent.close()


async def test_a_banner_in_the_agent_window_keeps_three_latency_rows_in_view(panel: Any) -> None:
    from voicepanel.core.audio.latency import Turn

    agent = await _agent_window(panel)
    try:
        agent._show_turns([Turn(i, 10.0 * i, 10.0 * i + 0.8) for i in range(1, 4)])
        table = agent.latency_table
        for message, hint in (
            (
                "Saved 3 recordings in /home/someone/Music/VoicePanel/recordings.",
                "One WAV file per voice, named after the peer.",
            ),
            (  # three lines at this width
                "No audio device was found.",
                "Connect a microphone or headset, or start the sound server (PulseAudio or "
                "PipeWire), then choose Refresh devices. The agent can still listen to the "
                "room without audio.",
            ),
        ):
            agent.banner.show_message(message, hint)
            await asyncio.sleep(0.1)
            first, last = (table.visualRect(table.model().index(row, 0)) for row in (0, 2))
            assert first.top() >= 0 and last.bottom() < table.viewport().height(), message
            bottom = table.mapTo(agent, table.rect().bottomLeft()).y()
            assert bottom < agent.height(), f"the table runs below the window: {message}"
            assert off_screen(agent) == ""
            # Grown to the height the content prefers with the banner, not held at its minimum.
            layout = agent.layout()
            assert agent.height() >= layout.totalHeightForWidth(agent.width()), message
    finally:
        agent.close()
