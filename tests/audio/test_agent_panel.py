"""The agent window, offscreen: meters follow the agent's levels at the timer's pace,
peers get strips, Space is push-to-talk, failures show as message and hint, and the echo
box shows the mode, the echo removed, the mic held back and the leak warning."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QSettings, Qt  # noqa: E402

from voicepanel.core.audio.devices import (  # noqa: E402
    AudioAvailability,
    AudioDevice,
    DeviceInventory,
    DeviceKind,
)
from voicepanel.core.audio.echo import (  # noqa: E402
    EchoCancellationUnavailable,
    EchoMode,
    EchoStages,
    EchoState,
    EchoStatus,
)
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

    async def get_room(self, room_id):
        raise VoicePanelError("No room.", "Not in this test.")


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


def test_a_peer_strip_shows_the_name_people_gave_it_and_its_id_on_hover(qtbot, tmp_path) -> None:
    settings = QSettings(str(tmp_path / "panel.ini"), QSettings.Format.IniFormat)
    agent = LocalAgent(NoServer(), "room-1")  # type: ignore[arg-type]
    names = {"p1": "Echo"}
    panel = AgentPanel(agent, settings=settings, name_of=names.get)
    qtbot.addWidget(panel)
    panel.show()
    agent.on_levels.emit(
        AgentLevels(Level(-40, -37), True, (_strip("p1", -30.0), _strip("p2", -30.0)))
    )
    qtbot.waitUntil(lambda: len(panel._strips) == 2, timeout=1000)
    assert panel._strips["p1"].name.text() == "<b>Echo</b> vapi"
    assert "p1" in panel._strips["p1"].name.toolTip()
    assert panel._strips["p2"].name.text() == "<b>p2</b> vapi"  # no name: the id


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


def _echo(**changes) -> EchoStatus:
    status = EchoStatus(
        mode=EchoMode.CANCEL,
        requested=EchoMode.CANCEL,
        canceller=EchoState.ACTIVE,
        stages=EchoStages(),
        erle_db=45.2,
        echo_leaking=False,
        held_back=False,
        suggest_headset=False,
        stream_delay_ms=140,
        problem=None,
    )
    return dataclasses.replace(status, **changes)


def _push_echo(panel, status: EchoStatus) -> None:
    panel.agent.on_levels.emit(AgentLevels(Level(-60.0, -57.0), True, (), status))


def test_a_reopened_speaker_is_a_warning_that_goes_away_by_itself(panel, qtbot) -> None:
    from voicepanel.core.audio.device_io import DeviceReopened

    panel.agent.on_error.emit(
        DeviceReopened(
            "The speaker 'Speakers' stopped for 1.7 s and was reopened.", "Sound is back."
        )
    )
    qtbot.waitUntil(lambda: panel.banner.isVisible(), timeout=1000)
    assert "was reopened" in panel.banner.text and "Sound is back" in panel.banner.text
    assert panel.banner._timer.isActive()  # it hides itself; an error stays until closed


def test_the_echo_mode_and_how_much_echo_is_removed_are_shown(panel, qtbot) -> None:
    box = panel.echo_box
    assert box.mode_combo.currentText() == "Cancel"  # the default
    assert [box.mode_combo.itemText(i) for i in range(3)] == ["Cancel", "Half-duplex", "Off"]
    _push_echo(panel, _echo())
    qtbot.waitUntil(
        lambda: box.status_label.text() == "Echo cancellation on: 45 dB removed", timeout=1000
    )
    assert box.held_label.isHidden() and box.leak.isHidden()

    _push_echo(panel, _echo(mode=EchoMode.HALF_DUPLEX, erle_db=None, held_back=True))
    qtbot.waitUntil(lambda: box.held_label.isVisible(), timeout=1000)
    assert "Mic held back" in box.held_label.text()
    assert box.status_label.text() == "Half-duplex: microphone held back"


def test_choosing_echo_settings_reaches_the_agent_and_is_remembered(panel, qtbot, tmp_path) -> None:
    agent, box = panel.agent, panel.echo_box
    box.mode_combo.setCurrentIndex(box.mode_combo.findText("Off"))
    # Applied on the agent's audio thread.
    qtbot.waitUntil(lambda: agent.echo.requested is EchoMode.OFF, timeout=1000)
    box.advanced_button.setChecked(True)
    assert box.ns_box.isVisible() and box.ns_box.isChecked() and not box.agc_box.isChecked()
    box.ns_box.setChecked(False)
    box.agc_box.setChecked(True)
    qtbot.waitUntil(
        lambda: not agent.echo.canceller.stages.ns and agent.echo.canceller.stages.agc,
        timeout=1000,
    )

    # The next window (the next run) starts with the same choices.
    settings = QSettings(str(tmp_path / "panel.ini"), QSettings.Format.IniFormat)
    again = LocalAgent(NoServer(), "room-2")  # type: ignore[arg-type]
    other = AgentPanel(again, settings=settings)
    qtbot.addWidget(other)
    assert other.echo_box.mode_combo.currentText() == "Off"
    qtbot.waitUntil(lambda: again.echo.requested is EchoMode.OFF, timeout=1000)
    assert not other.echo_box.ns_box.isChecked() and other.echo_box.agc_box.isChecked()
    qtbot.waitUntil(
        lambda: not again.echo.canceller.stages.ns and again.echo.canceller.stages.agc,
        timeout=1000,
    )


def test_a_leaking_echo_warns_and_offers_half_duplex_and_a_headset(panel, qtbot) -> None:
    box = panel.echo_box
    _push_echo(panel, _echo(erle_db=4.0, echo_leaking=True, suggest_headset=True))
    qtbot.waitUntil(lambda: box.leak.isVisible(), timeout=1000)
    assert "The room can hear its own voice" in box.leak_label.text()
    assert box.headset_label.isVisible()
    assert box.headset_label.text() == (
        "Your output looks like built-in speakers: a headset stops the echo."
    )
    qtbot.mouseClick(box.half_duplex_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.agent.echo.requested is EchoMode.HALF_DUPLEX, timeout=1000)
    assert box.mode_combo.currentText() == "Half-duplex"
    _push_echo(panel, _echo(erle_db=30.0))
    qtbot.waitUntil(lambda: box.leak.isHidden(), timeout=1000)


def test_unavailable_cancellation_is_told_once_without_blocking(panel, qtbot) -> None:
    problem = EchoCancellationUnavailable(
        "Echo cancellation is unavailable (the 'livekit' package could not be loaded).",
        "Use a headset, or turn on half-duplex.",
    )
    status = _echo(
        mode=EchoMode.HALF_DUPLEX, canceller=EchoState.UNAVAILABLE, erle_db=None, problem=problem
    )
    _push_echo(panel, status)
    qtbot.waitUntil(lambda: panel.banner.isVisible(), timeout=1000)
    assert "Echo cancellation is unavailable" in panel.banner.text
    assert "Half-duplex is on instead" in panel.banner.text
    assert panel.echo_box.status_label.text() == "Half-duplex"
    panel.banner.hide()
    _push_echo(panel, status)
    qtbot.wait(100)
    assert panel.banner.isHidden()  # told once, not at 30 Hz


def test_with_nothing_remembered_the_pickers_show_the_system_defaults(panel) -> None:
    mic = AudioDevice(0, "Headset mic", "ALSA", 1, 0, 48000, is_default_input=True)
    other = AudioDevice(1, "Line in", "ALSA", 2, 0, 44100)
    speaker = AudioDevice(2, "Speakers", "ALSA", 0, 2, 48000, is_default_output=True)
    inventory = DeviceInventory(AudioAvailability.READY, (other, mic), (speaker,))
    panel._fill_devices(inventory)
    assert panel.input_combo.currentData() == mic.key
    assert panel.output_combo.currentData() == speaker.key

    panel._settings.setValue(panel._setting_name(DeviceKind.INPUT), "")  # chose "(none)"
    panel._fill_devices(inventory)
    assert panel.input_combo.currentText() == "(none)"


def test_the_window_closes_when_its_profile_closes(panel, qtbot) -> None:
    from voicepanel.session.local_agent import AgentState, AgentStatus

    assert panel.isVisible()
    # Switching or closing the profile makes its agents leave (Workspace close hook).
    panel.agent.on_status.emit(AgentStatus(AgentState.LEFT, "The profile was closed.", None, True))
    qtbot.waitUntil(lambda: not panel.isVisible(), timeout=1000)


def test_opening_a_device_shows_busy_and_locks_the_pickers(panel, qtbot) -> None:
    from voicepanel.session.local_agent import DeviceStatus

    panel.agent.on_devices.emit(DeviceStatus(None, None, AudioAvailability.READY, busy=True))
    qtbot.waitUntil(lambda: panel.device_busy.isVisible(), timeout=1000)
    assert not panel.input_combo.isEnabled() and not panel.refresh_button.isEnabled()
    panel.agent.on_devices.emit(DeviceStatus("x", "y", AudioAvailability.READY, busy=False))
    qtbot.waitUntil(lambda: panel.device_busy.isHidden(), timeout=1000)
    assert panel.input_combo.isEnabled()
