"""A sound server that stalls for a moment does not leave the presenter without sound.
The real fault, made from outside: the test's PulseAudio daemon is stopped (SIGSTOP) for
2.5 s while a local agent plays a talking peer, as a machine too busy to schedule its
sound server does. The agent's watchdog sees the speaker stop, reopens it by itself and
says so; the talker is heard again. A speaker that stalls again soon after is left closed
and the person is told to choose one."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

from audio_signals import peak_frequency
from room_helpers import wait_for
from talking_room import talker_frequency, talking_room

from voicepanel.core.audio.device_io import DeviceReopened
from voicepanel.core.fishjam_gateway import FishjamGateway
from voicepanel.session.local_agent import LocalAgent

RATE = 16000
SERVER_STOPPED_S = 2.5  # longer than the watchdog's 1.5 s


@contextlib.contextmanager
def sound_server_stopped(pid: int):  # type: ignore[no-untyped-def]
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


async def stall_the_sound_server(pid: int) -> None:
    with sound_server_stopped(pid):
        await asyncio.sleep(SERVER_STOPPED_S)


async def test_a_speaker_stalled_by_the_sound_server_is_reopened_and_heard_again(
    pulse, tmp_path
) -> None:
    with talking_room(pulse.env, peers=1) as room:
        gateway = FishjamGateway(room.url, room.token)
        local = LocalAgent(gateway, room.room_id)
        errors: list = []
        local.on_error.subscribe(errors.append)
        await local.join()
        try:
            assert await local.set_output_device(None)
            first = local.devices.playback
            await wait_for(lambda: first.callbacks > 50, 5, "the speaker to run steadily")

            await stall_the_sound_server(pulse.pid)
            await wait_for(lambda: errors, 10, "the agent to report the stall")
            reopened = local.devices.playback
            assert reopened is not None and reopened is not first
            await wait_for(lambda: reopened.callbacks > 50, 10, "the reopened speaker to run")
            recording = pulse.record_speaker(tmp_path / "after.raw", RATE)
            await asyncio.sleep(1.5)
            heard = recording.stop()

            # Again within half a minute: a speaker that keeps stalling is left closed.
            await stall_the_sound_server(pulse.pid)
            await wait_for(lambda: len(errors) >= 2, 10, "the second stall to be reported")
            await asyncio.sleep(0.5)
            left_closed = local.devices.playback is None
            status = local.device_status()
        finally:
            await local.leave()
            await gateway.close()

    assert isinstance(errors[0], DeviceReopened)
    assert "stopped for" in errors[0].message and "was reopened" in errors[0].message
    steady = heard[int(0.2 * RATE) :]
    assert abs(peak_frequency(steady, RATE) - talker_frequency(0)) < 3

    assert not isinstance(errors[1], DeviceReopened)
    assert "stopped working" in errors[1].message
    assert "choose a speaker again" in errors[1].hint
    assert left_closed
    assert status.output_device is None
