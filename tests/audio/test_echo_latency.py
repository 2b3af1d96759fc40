"""A WAV-file conversation with the sandbox's Echo assistant, heard on the virtual
speaker: one latency per turn, matching the configured reply delay.

What the Echo adds on top of its configured delay is fixed by its design: it decides an
utterance has ended after 300 ms of quiet (sandbox/vapi/vad.py), then waits the reply
delay. So no turn can measure less than delay + 300 ms (minus one 20 ms frame of VAD
granularity): that bound is exact and load-independent, and a latency meter that dated
either end wrongly would break it. The rest is transport and buffering (sandbox pacing,
our jitter buffer, the speaker's lead, PortAudio's latency): about 150 ms on an idle
machine, but the jitter buffer grows on a loaded one, so the upper allowance is 800 ms.
Where the pipeline cancels, the algorithm is checked more tightly: two conversations whose
delays differ by 600 ms must measure 600 ms apart, within 150 ms (the pipeline's drift
between two runs seen with the machine's two cores saturated by other test runs).
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics

import numpy as np
import pytest
from audio_signals import silence, tone
from room_helpers import wait_for

from voicepanel.core.audio.audio_file import write_wav
from voicepanel.core.errors import VoicePanelError
from voicepanel.core.fishjam_gateway import FishjamGateway, RoomSpec
from voicepanel.core.vapi_gateway import VapiGateway
from voicepanel.sandbox.server import Sandbox, SandboxConfig
from voicepanel.sandbox.vapi import ECHO_ASSISTANT_ID
from voicepanel.session.local_agent import LocalAgent

ECHO_HANGOVER_S = 0.3
PIPELINE_ALLOWANCE_S = 0.8
VAD_FRAME_S = 0.02
BURSTS = 3


@pytest.fixture
async def echo_sandbox():
    server = Sandbox(SandboxConfig(port=0, reply_delay_s=0.8, end_of_turn_s=ECHO_HANGOVER_S))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def _converse(server: Sandbox, wav_path, assistant_id=None, assistant=None) -> list[float]:
    fishjam = FishjamGateway(server.fishjam_url, server.config.token)
    vapi = VapiGateway(server.config.vapi_key, server.vapi_base_url)
    try:
        room = await fishjam.create_room(RoomSpec())
        call = await vapi.create_call(assistant_id=assistant_id, assistant=assistant)
        vapi_peer = await fishjam.create_vapi_peer(room.id, server.config.vapi_key, call.id)
        local = LocalAgent(fishjam, room.id)
        await local.join()
        try:
            assert await local.set_output_device(None)

            async def vapi_connected() -> bool:
                info = await fishjam.get_room(room.id)
                return any(p.id == vapi_peer.id and p.status == "connected" for p in info.peers)

            for _ in range(100):
                if await vapi_connected():
                    break
                await asyncio.sleep(0.05)
            await local.play_file(wav_path)
            await wait_for(lambda: len(local.turns) >= BURSTS, 20, f"{BURSTS} turns")
            return [t.latency_s for t in local.turns]
        finally:
            await local.leave()
            with contextlib.suppress(VoicePanelError):  # it may have ended with the room
                await vapi.end_call(call)
    finally:
        await vapi.close()


async def test_echo_turn_latencies_follow_the_configured_reply_delay(
    pulse, echo_sandbox, tmp_path
) -> None:
    rate = 16000
    bursts = [silence(0.3, rate)]
    for _ in range(BURSTS):
        bursts += [tone(440, 0.5, rate), silence(2.3, rate)]
    wav = tmp_path / "three-bursts.wav"
    write_wav(wav, np.concatenate(bursts), rate)

    configured = echo_sandbox.config.reply_delay_s
    slow = await _converse(echo_sandbox, wav, assistant_id=ECHO_ASSISTANT_ID)
    fast_delay = configured - 0.6
    fast = await _converse(
        echo_sandbox,
        wav,
        assistant={
            "name": "Fast echo",
            "firstMessageMode": "assistant-waits-for-user",
            "metadata": {"sandbox": {"behavior": "echo", "replyDelayMs": round(fast_delay * 1000)}},
        },
    )
    print(f"turns at {configured:.1f} s: {[round(x, 3) for x in slow]}")
    print(f"turns at {fast_delay:.1f} s: {[round(x, 3) for x in fast]}")

    for delay, turns in ((configured, slow), (fast_delay, fast)):
        assert len(turns) == BURSTS
        for latency in turns:
            pipeline = latency - (delay + ECHO_HANGOVER_S)
            assert -VAD_FRAME_S <= pipeline <= PIPELINE_ALLOWANCE_S, (delay, turns)
    difference = statistics.median(slow) - statistics.median(fast)
    assert difference == pytest.approx(0.6, abs=0.15)
