"""Listening in to a call's live audio through the speakers, without joining the room: the
real listen socket of a sandbox call, the real PortAudio path to a PulseAudio null sink."""

from __future__ import annotations

import asyncio
import contextlib
import time

import numpy as np
from audio_signals import peak_frequency, rms, silence, tone
from room_helpers import listening_agent, talk, wait_for

from voicepanel.core.audio.listen_player import ListenPlayer, ListenState, ListenStatus
from voicepanel.core.errors import VoicePanelError
from voicepanel.core.fishjam_gateway import FishjamGateway, RoomSpec
from voicepanel.core.vapi_gateway import CallInfo, VapiGateway

RATE = 16000


async def echo_call_in_a_room(sandbox) -> tuple[FishjamGateway, VapiGateway, str, CallInfo]:
    fishjam = FishjamGateway(sandbox.fishjam_url, sandbox.config.token)
    vapi = VapiGateway(sandbox.config.vapi_key, sandbox.vapi_base_url)
    room = await fishjam.create_room(RoomSpec())
    echo = next(a.id for a in await vapi.list_assistants() if a.name == "Echo")
    call = await vapi.create_call(assistant_id=echo)
    await fishjam.create_vapi_peer(room.id, sandbox.config.vapi_key, call.id)
    deadline = time.monotonic() + 10
    while call.status != "in-progress" and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        call = await vapi.get_call(call.id)
    assert call.status == "in-progress"
    return fishjam, vapi, room.id, call


async def hang_up(fishjam: FishjamGateway, vapi: VapiGateway, call: CallInfo) -> None:
    with contextlib.suppress(VoicePanelError):  # it may have ended already
        await vapi.end_call(call)
    await vapi.close()
    await fishjam.close()


async def test_a_call_is_heard_through_the_speakers_and_a_stalled_window_leaves_no_gap(
    pulse, threaded_sandbox, tmp_path
) -> None:
    fishjam, vapi, room_id, call = await echo_call_in_a_room(threaded_sandbox)
    statuses: list[ListenStatus] = []
    assert call.listen_url
    player = ListenPlayer(call.listen_url, RATE, on_status=statuses.append)
    recording = pulse.record_speaker(tmp_path / "speaker.raw", RATE)
    # Someone stays in the room, so the assistant does not leave when the speaker is done.
    async with listening_agent(await fishjam.create_agent(room_id)):
        try:
            player.start()
            await wait_for(lambda: player.status.state is ListenState.PLAYING, 10, "the socket")
            speaker = await fishjam.create_agent(room_id)
            talking = asyncio.create_task(
                talk(speaker, np.concatenate([tone(660, 1.5, RATE), silence(0.5, RATE)]), RATE)
            )
            await asyncio.sleep(0.6)
            time.sleep(0.5)  # the window's loop stalls for half a second mid-sentence
            await talking
            await asyncio.sleep(3.5)  # the Echo answers after its end of turn and delay
            underruns_while_playing = player.underruns
        finally:
            await player.stop()
            heard = recording.stop()
            await hang_up(fishjam, vapi, call)
    assert player.frames_received > RATE  # more than a second of the call came in
    assert [s.state for s in statuses] == [ListenState.PLAYING, ListenState.STOPPED]
    assert underruns_while_playing == 0
    frames = heard[: len(heard) // 320 * 320].reshape(-1, 320)
    loud = np.sqrt((frames**2).mean(axis=1)) > 0.02
    assert loud.sum() * 0.02 > 2.0  # both sides: 1.5 s of tone, then its echo
    assert abs(peak_frequency(heard, RATE) - 660) < 15


async def test_volume_scales_what_is_heard(pulse, threaded_sandbox, tmp_path) -> None:
    fishjam, vapi, room_id, call = await echo_call_in_a_room(threaded_sandbox)
    assert call.listen_url
    player = ListenPlayer(call.listen_url, RATE, volume=0.25)
    levels = []
    async with listening_agent(await fishjam.create_agent(room_id)):
        try:
            player.start()
            await wait_for(lambda: player.status.state is ListenState.PLAYING, 10, "the socket")
            speaker = await fishjam.create_agent(room_id)
            talking = asyncio.create_task(talk(speaker, tone(440, 4.0, RATE), RATE))
            for volume in (0.25, 1.0):
                player.set_volume(volume)
                await asyncio.sleep(0.5)
                recording = pulse.record_speaker(tmp_path / f"v{volume}.raw", RATE)
                await asyncio.sleep(1.0)
                levels.append(rms(recording.stop()))
            await talking
        finally:
            await player.stop()
            await hang_up(fishjam, vapi, call)
    assert levels[1] > 3 * levels[0] > 0


async def test_listening_to_an_ended_call_says_so(pulse, threaded_sandbox) -> None:
    fishjam, vapi, _room, call = await echo_call_in_a_room(threaded_sandbox)
    await vapi.end_call(call)
    await asyncio.sleep(0.3)
    statuses: list[ListenStatus] = []
    assert call.listen_url
    player = ListenPlayer(call.listen_url, RATE, on_status=statuses.append)
    try:
        player.start()
        await wait_for(lambda: bool(statuses), 10, "a status")
    finally:
        await player.stop()
        await hang_up(fishjam, vapi, call)
    assert statuses[-1].state is ListenState.FAILED
    assert statuses[-1].message == "Could not listen to the call: the call has ended."
