"""Presenter mode, as a presenter uses it: pick a room, open View > Presenter mode, talk to
the assistant as the local agent, and the audience sees who speaks, the words in large
type and each turn's latency; names only, never ids; dark or light as last chosen."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from layout_checks import clipped_texts, off_screen
from panel_helpers import find_top, until
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel

from voicepanel.core.audio.audio_file import write_wav
from voicepanel.core.fishjam_gateway import RoomSpec
from voicepanel.core.vapi_events import parse_post
from voicepanel.session.conversation import Conversation
from voicepanel.speech import synthesize
from voicepanel.ui.agent_panel import AgentPanel
from voicepanel.ui.presenter_model import Activity, assistant_activity, recent_latencies
from voicepanel.ui.presenter_window import NOTHING_SELECTED, PresenterWindow

RATE = 16000


def view_action(panel: Any, text: str) -> Any:
    view = next(m for m in panel.menuBar().actions() if m.text() == "&View").menu()
    return next(a for a in view.actions() if a.text() == text)


async def open_presenter(panel: Any) -> PresenterWindow:
    view_action(panel, "Presenter mode").trigger()
    return await until(lambda: find_top(PresenterWindow), 5, "presenter mode")


def everything_shown(window: PresenterWindow) -> str:
    """Every text a person can read in the window."""
    texts = [window.windowTitle(), window.transcript.plain_text()]
    texts += [w.text() for w in window.findChildren(QLabel) if w.isVisible()]
    texts += [b.text() for b in window.findChildren(QAbstractButton) if b.isVisible()]
    return "\n".join(texts)


def spoken_wav(folder: Path) -> Path:
    """A sentence in eSpeak's voice, then enough quiet for the Echo to answer."""
    speech = np.frombuffer(synthesize("I would like to check on my order.", RATE), "<i2")
    samples = np.concatenate([speech / 32768.0, np.zeros(int(3.0 * RATE))])
    path = folder / "say.wav"
    write_wav(path, samples.astype(np.float32), RATE)
    return path


async def test_presenter_mode_shows_the_conversation_with_names_only(
    panel: Any, tmp_path: Path
) -> None:
    ws = panel.host.workspace
    room = await ws.create_room(RoomSpec())
    ws.names.name_room(room.id, "Demo stage")
    echo = next(a.id for a in await ws.list_assistants() if a.name == "Echo")
    record = await ws.add_vapi_assistant(room.id, assistant_id=echo)
    panel.select_key((room.id, None, None))
    panel.act_agent.trigger()
    agent_window = await until(lambda: find_top(AgentPanel), 10, "the agent window")
    window = await open_presenter(panel)

    assert window.room_name.text() == "Demo stage"
    assert window.sandbox_badge.isVisible() and window.sandbox_badge.text() == "OFFLINE SANDBOX"
    assert window.assistant_tile.name.text() == "Echo"
    await until(lambda: "Listening" in window.agent_tile.state.text(), 15, "the agent live")
    await until(lambda: ws.calls.get(record.id).status == "in-progress", 15, "the call in progress")
    assert "Start a call" not in window.transcript.plain_text()

    await agent_window.agent.play_file(spoken_wav(tmp_path))
    await until(lambda: "Speaking" in window.agent_tile.state.text(), 10, "the agent speaking")
    assert window.agent_tile.meter.rms_dbfs > -45
    await until(
        lambda: "Speaking" in window.assistant_tile.state.text(), 20, "the assistant answering"
    )
    transcript = window.transcript
    await until(lambda: "Echo" in transcript.plain_text().split("User", 1)[-1], 20, "its line")
    lines = transcript.plain_text().splitlines()
    assert lines[0].startswith("User") and "spoke for" in lines[0]
    assert any(line.startswith("Echo") and "echo of" in line for line in lines)
    await until(lambda: window.latency.cells[0][1].isVisible(), 10, "the first turn's latency")
    turn, vapi, _heard = window.latency.cells[0]
    assert turn.text() == "Turn 1" and vapi.text().startswith("0.")
    assert not window.latency.empty.isVisible()

    shown = everything_shown(window)
    peers = ws.tree.rooms[room.id].peers
    ids = {room.id, record.id, *peers}
    assert len(peers) >= 2  # the assistant's and the agent's
    assert [i for i in ids if i in shown] == []

    assert off_screen(window) == ""
    assert clipped_texts(window) == []
    small = window.room_name.font().pixelSize()
    window.resize(1920, 1080)  # a projector
    await asyncio.sleep(0.1)
    assert window.room_name.font().pixelSize() > small
    assert clipped_texts(window) == []
    window.close()
    agent_window.close()


async def test_presenter_mode_asks_for_a_room_and_remembers_dark_or_light(panel: Any) -> None:
    ws = panel.host.workspace
    room = await ws.create_room(RoomSpec())
    await ws.create_room(RoomSpec())
    view_action(panel, "Presenter mode").trigger()
    await until(lambda: panel.banner.isVisible(), 5, "the banner")
    assert NOTHING_SELECTED in panel.banner.text
    assert find_top(PresenterWindow) is None

    panel.select_key((room.id, None, None))
    window = await open_presenter(panel)
    assert window.room_name.text() == "Unnamed room"
    assert "Start a call with an assistant in this room" in window.transcript.plain_text()
    assert "Join this room as an agent" in window.agent_tile.note.text()
    await asyncio.sleep(0.1)  # laid out
    assert clipped_texts(window) == []  # the empty states' sentences too
    dark = window.palette().color(QPalette.ColorRole.Window)
    assert dark.lightness() < 60  # dark by default: kind to a projector
    window.theme_button.click()
    light = window.palette().color(QPalette.ColorRole.Window)
    assert light.lightness() > 200
    assert window.theme_button.text() == "Dark (D)"
    window.close()
    await asyncio.sleep(0.05)

    window = await open_presenter(panel)
    assert window.palette().color(QPalette.ColorRole.Window) == light
    await until(lambda: QApplication.activeWindow() is window, 5, "the window active")
    QTest.keyClick(window, Qt.Key.Key_D)  # the keys work without the mouse
    assert window.palette().color(QPalette.ColorRole.Window) == dark
    QTest.keyClick(window, Qt.Key.Key_Escape)
    await until(lambda: find_top(PresenterWindow) is None, 5, "Esc to leave")


def test_the_assistant_is_listening_thinking_speaking_then_ended() -> None:
    """The assistant's word follows VAPI's speech events: the audience sees it think."""
    call = SimpleNamespace(ended=False, status="in-progress")
    conversation = Conversation("call-1")

    def after(kind: str, at: float, **fields: Any) -> Activity:
        stamp = (1_800_000_000 + at) * 1000  # VAPI's timestamps: epoch milliseconds
        body = {"message": {"type": kind, "timestamp": stamp, "call": {"id": "call-1"}}}
        body["message"].update(fields)
        conversation.apply(parse_post(json.dumps(body).encode(), at))
        return assistant_activity(call, conversation)

    assert assistant_activity(None, None) is Activity.ABSENT
    assert assistant_activity(call, conversation) is Activity.LISTENING
    assert after("speech-update", 1.0, role="user", status="started") is Activity.LISTENING
    assert after("speech-update", 2.0, role="user", status="stopped") is Activity.THINKING
    assert after("speech-update", 2.5, role="assistant", status="started") is Activity.SPEAKING
    assert after("speech-update", 4.0, role="assistant", status="stopped") is Activity.LISTENING
    assert after("status-update", 5.0, status="ended") is Activity.ENDED
    (turn,) = recent_latencies(conversation)
    assert (turn.index, turn.reply_delay_s, turn.voice_to_voice_s) == (1, pytest.approx(0.5), None)
