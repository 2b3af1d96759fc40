"""The local agent in a sandbox room over the real audio path: the virtual microphone
reaches another agent, another agent is heard on the virtual speaker, recordings hold
what was heard, and a failing or missing device never takes the agent out of the room."""

from __future__ import annotations

import asyncio
import contextlib
import wave

import numpy as np
import pytest
from audio_signals import peak_frequency, rms, silence, tone
from room_helpers import listening_agent, talk, wait_for

from voicepanel.core.audio.audio_thread import audio_thread
from voicepanel.core.audio.devices import AudioAvailability, DeviceInventory
from voicepanel.core.errors import VoicePanelError
from voicepanel.core.fishjam_gateway import FishjamGateway, RoomSpec
from voicepanel.core.notifications import Notification
from voicepanel.session.local_agent import AgentState, LocalAgent
from voicepanel.session.state import RoomTree


@pytest.fixture
async def gateway(sandbox) -> FishjamGateway:
    return FishjamGateway(sandbox.fishjam_url, sandbox.config.token)


async def test_the_virtual_microphone_reaches_another_agent_in_the_room(
    pulse, gateway, tmp_path
) -> None:
    room = await gateway.create_room(RoomSpec())
    listener = await gateway.create_agent(room.id)
    local = LocalAgent(gateway, room.id)
    async with listening_agent(listener) as heard:
        await local.join()
        pid = local.peer_id or ""
        assert await local.set_input_device(None)
        try:
            player = pulse.play_into_mic(
                np.concatenate([tone(440, 1.0, 44100), silence(0.3, 44100)]), 44100, tmp_path
            )
            await asyncio.to_thread(player.wait, 10)
            await wait_for(lambda: len(heard.audio(pid)) > 16000, 5, "the tone to arrive")
            await asyncio.sleep(0.3)
            # The capture callback woke the loop for its blocks (no polling needed).
            cap = local.devices.capture
            assert cap is not None and cap.waker is not None and cap.waker.wakeups > 10
        finally:
            await local.leave()
    audio = heard.audio(pid)
    assert abs(peak_frequency(audio, 16000) - 440) < 3
    loud = np.abs(audio) > 0.1
    assert loud.sum() > 0.7 * 16000
    assert local.state is AgentState.LEFT


async def test_a_32_bit_float_44_1_khz_stereo_wav_plays_as_the_microphone(
    pulse, gateway, tmp_path
) -> None:
    # What editors and text-to-speech tools export; the standard library's reader refused it.
    import soundfile

    wav = tmp_path / "float-stereo.wav"
    left = tone(440, 1.0, 44100, 0.5)
    soundfile.write(str(wav), np.stack([left, left], axis=1), 44100, subtype="FLOAT")
    assert soundfile.info(str(wav)).subtype == "FLOAT"
    room = await gateway.create_room(RoomSpec())
    listener = await gateway.create_agent(room.id)
    local = LocalAgent(gateway, room.id)
    async with listening_agent(listener) as heard:
        await local.join()
        pid = local.peer_id or ""
        try:
            await local.load_devices()
            assert await local.set_output_device(None)
            await local.play_file(wav)
            await wait_for(lambda: len(heard.audio(pid)) >= 16000, 10, "the file to arrive")
            await asyncio.sleep(0.5)  # anything after it (there should be nothing loud)
        finally:
            await local.leave()
    audio = heard.audio(pid)
    loud = np.abs(audio) > 0.1
    voiced = audio[np.flatnonzero(loud)[0] : np.flatnonzero(loud)[-1] + 1]
    assert abs(len(voiced) - 16000) < 0.05 * 16000  # one second, as long as the file
    assert abs(peak_frequency(voiced, 16000) - 440) < 3
    assert rms(voiced) == pytest.approx(0.5 / np.sqrt(2), rel=0.1)  # its level, -9 dBFS


async def test_another_agent_is_heard_on_the_virtual_speaker_and_recorded(
    pulse, gateway, tmp_path
) -> None:
    room = await gateway.create_room(RoomSpec())
    talker = await gateway.create_agent(room.id, 24000)
    local = LocalAgent(gateway, room.id, 24000)
    await local.join()
    assert await local.set_output_device(None)
    await local.start_recording(tmp_path / "rec")
    speaker = pulse.record_speaker(tmp_path / "spk.raw")
    try:
        await talk(talker, np.concatenate([tone(660, 1.0, 24000), silence(0.3, 24000)]), 24000)
        await asyncio.sleep(0.4)
        paths = await local.stop_recording()
        strips = local.levels().peers
    finally:
        heard = speaker.stop()
        await local.leave()
    assert abs(peak_frequency(heard, 16000) - 660) < 3
    assert np.sum(np.abs(heard) > 0.1) > 0.7 * 16000 * 0.6
    # One strip for the talker, no underruns on a steady stream.
    assert [s.peer_id for s in strips] == [talker.id]
    names = sorted(p.name for p in paths)
    assert names == sorted(["room-mix.wav", "local.wav", f"peer-{talker.id}.wav"])
    for path in paths:
        with wave.open(str(path)) as w:
            assert w.getframerate() == 24000 and w.getnchannels() == 1
            data = np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32768
        if path.name != "local.wav":
            assert abs(peak_frequency(data, 24000) - 660) < 3
            assert rms(data) > 0.05


async def test_without_any_audio_device_the_agent_stays_in_the_room_and_still_receives(
    gateway, monkeypatch
) -> None:
    nothing = DeviceInventory(
        AudioAvailability.NO_DEVICES, message="No audio device was found.", hint="Connect one."
    )
    monkeypatch.setattr(
        "voicepanel.core.audio.portaudio_owner.list_devices", lambda refresh=False: nothing
    )
    room = await gateway.create_room(RoomSpec())
    talker = await gateway.create_agent(room.id)
    local = LocalAgent(gateway, room.id)
    errors: list[VoicePanelError] = []
    local.on_error.subscribe(errors.append)
    await local.join()
    try:
        assert not await local.set_input_device(None)
        assert not await local.set_output_device(None)
        assert errors and errors[0].message == "No audio device was found."
        levels = []
        local.on_levels.subscribe(levels.append)
        await talk(talker, tone(440, 0.6, 16000), 16000)
        assert local.state is AgentState.LIVE
        loud = [p.level.rms_dbfs for lv in levels for p in lv.peers if p.peer_id == talker.id]
        assert max(loud) > -12  # the 0.5-amplitude tone metered at about -9 dBFS
    finally:
        await local.leave()


async def test_a_microphone_taken_away_mid_call_is_reported_and_can_be_chosen_again(
    pulse, gateway, tmp_path
) -> None:
    room = await gateway.create_room(RoomSpec())
    listener = await gateway.create_agent(room.id)
    local = LocalAgent(gateway, room.id)
    errors: list[VoicePanelError] = []
    local.on_error.subscribe(errors.append)
    async with listening_agent(listener) as heard:
        await local.join()
        pid = local.peer_id or ""
        try:
            assert await local.set_input_device(None)
            # Running steadily (a stream just started gets longer before it counts as lost).
            await wait_for(lambda: local.devices.capture.callbacks > 60, 5, "a steady microphone")
            # The sound server stops delivering (as when a USB headset is pulled): PortAudio
            # just stops calling back, and the watchdog must notice.
            pulse.pactl("suspend-source", "vp_mic", "1")
            await wait_for(
                lambda: any("stopped working" in e.message for e in errors), 5, "the loss told"
            )
            await wait_for(lambda: local.devices.capture is None, 5, "the microphone closed")
            assert local.state is AgentState.LIVE
            pulse.pactl("suspend-source", "vp_mic", "0")
            # Choosing the device again brings the microphone back.
            assert await local.set_input_device(None)
            before = len(heard.audio(pid))
            player = pulse.play_into_mic(
                np.concatenate([tone(440, 0.8, 44100), silence(0.3, 44100)]), 44100, tmp_path
            )
            await asyncio.to_thread(player.wait, 10)
            await asyncio.sleep(0.5)
        finally:
            pulse.pactl("suspend-source", "vp_mic", "0")
            await local.leave()
    audio = heard.audio(pid)[before:]
    assert abs(peak_frequency(audio, 16000) - 440) < 3


async def test_a_dropped_socket_is_reported_and_rejoin_brings_the_agent_back(gateway) -> None:
    room = await gateway.create_room(RoomSpec())
    local = LocalAgent(gateway, room.id)
    statuses = []
    local.on_status.subscribe(statuses.append)
    await local.join()
    try:
        peer_id = local.peer_id
        link = local.link
        assert link is not None and link.session is not None
        ws = link.session._ws
        audio_thread().post(ws.transport.abort)  # the network goes away (on its loop)
        await wait_for(lambda: local.state is AgentState.DROPPED, 5, "the drop")
        assert statuses[-1].reason and "lost" in statuses[-1].reason
        await local.rejoin()
        assert local.state is AgentState.LIVE
        assert local.peer_id == peer_id
    finally:
        await local.leave()
    room_after = await gateway.get_room(room.id)
    assert all(p.id != peer_id for p in room_after.peers)


async def test_closing_the_workspace_makes_the_agent_leave_and_deletes_its_peer(gateway) -> None:
    hooks = []

    class WorkspaceLike:
        tree = RoomTree()

        def __init__(self) -> None:
            self.create_agent = gateway.create_agent
            self.delete_peer = gateway.delete_peer
            self.get_room = gateway.get_room

        def add_close_hook(self, hook):
            hooks.append(hook)
            return lambda: hooks.remove(hook) if hook in hooks else None

        def on_notification(self, callback):
            return lambda: None

    room = await gateway.create_room(RoomSpec())
    local = LocalAgent.in_workspace(WorkspaceLike(), room.id)
    await local.join()
    assert any(p.id == local.peer_id for p in (await gateway.get_room(room.id)).peers)
    for hook in list(hooks):
        await hook()
    assert local.state is AgentState.LEFT and local.status.host_closed
    assert not (await gateway.get_room(room.id)).peers
    assert not hooks
    with pytest.raises(VoicePanelError):  # its profile is closed: no Rejoin into a dead client
        await local.join()


async def test_peers_are_named_by_type_and_leave_the_mix_when_they_leave_the_room(gateway) -> None:
    listeners = []

    class WorkspaceLike:
        tree = RoomTree()  # empty: the type comes from one REST read of the room

        def __init__(self) -> None:
            self.create_agent = gateway.create_agent
            self.delete_peer = gateway.delete_peer
            self.get_room = gateway.get_room

        def on_notification(self, callback):
            listeners.append(callback)
            return lambda: listeners.remove(callback)

        def add_close_hook(self, hook):
            return lambda: None

    room = await gateway.create_room(RoomSpec())
    talker = await gateway.create_agent(room.id)
    local = LocalAgent.in_workspace(WorkspaceLike(), room.id)
    await local.join()
    try:
        await talk(talker, tone(440, 0.3, 16000), 16000)
        await wait_for(lambda: local.peer_kinds.get(talker.id) == "agent", 5, "the peer's type")
        assert [s.kind for s in local.levels().peers] == ["agent"]
        for listener in list(listeners):
            listener(Notification(0.0, "PeerDeleted", room.id, talker.id))
        await wait_for(lambda: local.levels().peers == (), 2, "the strip to go")
    finally:
        await local.leave()
    assert not listeners


@pytest.mark.parametrize("leave_after_s", [0.0, 0.005, 0.02, 0.05, 0.1])
async def test_leaving_while_joining_leaves_no_agent_peer_in_the_room(
    gateway, leave_after_s: float
) -> None:
    """Leave (or the window closing) at any moment of a join: while the peer is being
    created, while the socket connects, or just after."""
    room = await gateway.create_room(RoomSpec())
    local = LocalAgent(gateway, room.id)
    joining = asyncio.create_task(local.join())
    await asyncio.sleep(leave_after_s)
    await local.leave()
    with contextlib.suppress(asyncio.CancelledError, VoicePanelError):
        await joining
    assert local.state is AgentState.LEFT
    assert (await gateway.get_room(room.id)).peers == ()
    # Nothing is opened behind a closed window either.
    assert not await local.set_output_device(None)
    assert local.devices.playback is None
