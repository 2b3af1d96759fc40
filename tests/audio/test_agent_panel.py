"""The agent window, offscreen: meters follow the agent's levels at the timer's pace,
peers get strips, Space is push-to-talk, failures show as message and hint."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QSettings, Qt  # noqa: E402

from voicepanel.core.audio.latency import Turn  # noqa: E402
from voicepanel.core.audio.meters import Level  # noqa: E402
from voicepanel.core.errors import VoicePanelError  # noqa: E402
from voicepanel.session.local_agent import AgentLevels, LocalAgent, PeerStrip  # noqa: E402
from voicepanel.ui.agent_panel import AgentPanel  # noqa: E402


class NoServer:
    async def create_agent(self, room_id, sample_rate=16000, subscribe_mode="auto"):
        raise VoicePanelError("Could not join.", "Not in this test.")

    async def delete_peer(self, room_id, peer_id):
        return None


@pytest.fixture
def panel(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "panel.ini"), QSettings.Format.IniFormat)
    agent = LocalAgent(NoServer(), "room-1")  # type: ignore[arg-type]
    widget = AgentPanel(agent, settings=settings)
    widget.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def _strip(peer_id: str, rms: float) -> PeerStrip:
    return PeerStrip(
        peer_id,
        "vapi",
        Level(rms, rms + 3),
        1.0,
        False,
        2,
        1,
        40.0,
        40.0,
    )


def test_meters_and_peer_strips_follow_the_latest_levels(panel, qtbot) -> None:
    agent = panel.agent
    for rms in (-50.0, -30.0, -20.0):  # many pushes between two repaints: the last one wins
        agent.on_levels.emit(AgentLevels(Level(rms, rms + 3), True, (_strip("p1", rms),)))
    qtbot.waitUntil(lambda: panel.input_meter.rms_dbfs == -20.0, timeout=1000)
    strip = panel._strips["p1"]
    assert strip.meter.rms_dbfs == -20.0
    assert "underruns 2" in strip.jitter.text() and "overruns 1" in strip.jitter.text()
    assert panel.no_peers.isHidden()
    strip.volume.setValue(50)
    strip.mute.setChecked(True)
    assert agent.room.mixer.channel("p1").gain == pytest.approx(0.5)
    assert agent.room.mixer.channel("p1").muted


def test_space_is_push_to_talk_only_when_enabled(panel, qtbot) -> None:
    controls = panel.agent.uplink.controls
    qtbot.keyPress(panel, Qt.Key.Key_Space)
    assert not controls.talk_held
    panel.ptt_box.setChecked(True)
    assert not controls.transmitting
    qtbot.keyPress(panel.mute_box, Qt.Key.Key_Space)  # focus on a child: still talks
    assert controls.talk_held and controls.transmitting
    assert not panel.mute_box.isChecked()  # Space did not toggle the checkbox
    qtbot.keyRelease(panel.mute_box, Qt.Key.Key_Space)
    assert not controls.talk_held


def test_errors_show_message_and_hint_and_turns_fill_the_table(panel, qtbot) -> None:
    agent = panel.agent
    agent.on_error.emit(VoicePanelError("The microphone stopped working.", "Choose it again."))
    qtbot.waitUntil(lambda: panel.banner.isVisible(), timeout=1000)
    assert "stopped working" in panel.banner.text and "Choose it again" in panel.banner.text
    assert "Traceback" not in panel.banner.text
    agent.latency.turns.extend([Turn(1, 0.0, 0.7), Turn(2, 5.0, 5.6)])
    agent.on_turn.emit(agent.latency.turns[-1])
    qtbot.waitUntil(lambda: panel.latency_table.rowCount() == 2, timeout=1000)
    assert panel.latency_table.item(1, 1).text() == "600"
    assert "median 650 ms" in panel.latency_summary.text()
    assert panel.latency_chart.latencies_ms == pytest.approx([700, 600])
