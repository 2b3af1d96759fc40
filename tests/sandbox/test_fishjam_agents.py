"""Agents talking through the sandbox with the real `fishjam` SDK: audio, pacing, subscriptions."""

from __future__ import annotations

import asyncio

import pytest
from fishjam import AgentOptions, AgentOutputOptions, FishjamClient
from fishjam.agent import AgentAuthError, OutgoingAudioTrackOptions
from fishjam.agent.agent import Agent
from fishjam_helpers import NotificationLog, peak_hz, receive_audio, silence, tone

from voicepanel.sandbox.server import Sandbox

run = asyncio.to_thread


async def new_agent(
    client: FishjamClient, room_id: str, rate: int = 16000, mode: str = "auto"
) -> Agent:
    options = AgentOptions(
        output=AgentOutputOptions(audio_sample_rate=rate),  # type: ignore[arg-type]
        subscribe_mode=mode,  # type: ignore[arg-type]
    )
    return await run(client.create_agent, room_id, options)


async def test_two_agents_hear_each_others_tone_paced_in_real_time(
    fishjam_client: FishjamClient,
) -> None:
    room = await run(fishjam_client.create_room)
    alice, bob = await new_agent(fishjam_client, room.id), await new_agent(fishjam_client, room.id)
    async with alice.connect() as a, bob.connect() as b:
        a_track = await a.add_track(OutgoingAudioTrackOptions())
        b_track = await b.add_track(OutgoingAudioTrackOptions())
        # Two seconds at once: the sandbox must play it out over about two seconds.
        await a_track.send_chunk(tone(440, 2.0, 16000))
        await b_track.send_chunk(tone(660, 0.5, 16000))
        bob_heard, alice_heard = await asyncio.gather(
            receive_audio(b, int(2.0 * 16000) * 2), receive_audio(a, int(0.5 * 16000) * 2)
        )

    assert abs(peak_hz(bytes(bob_heard.data), 16000) - 440) < 5
    assert abs(peak_hz(bytes(alice_heard.data), 16000) - 660) < 5
    assert set(bob_heard.chunk_sizes) == {640}  # 20 ms frames, never empty
    played_s = (len(bob_heard.chunk_sizes) - 1) * 0.02
    assert 0.8 < bob_heard.span_s / played_s < 1.25


async def test_a_24_khz_listener_gets_a_16_khz_tone_resampled(
    fishjam_client: FishjamClient,
) -> None:
    room = await run(fishjam_client.create_room)
    speaker = await new_agent(fishjam_client, room.id)
    listener = await new_agent(fishjam_client, room.id, rate=24000)
    async with speaker.connect() as s, listener.connect() as listen:
        track = await s.add_track(OutgoingAudioTrackOptions(sample_rate=16000))
        await track.send_chunk(tone(440, 1.0, 16000))
        heard = await receive_audio(listen, int(0.9 * 24000) * 2)
    assert abs(peak_hz(bytes(heard.data), 24000) - 440) < 5
    assert set(heard.chunk_sizes) == {960}


async def test_a_24_khz_stereo_speaker_is_heard_mono_at_16_khz(
    fishjam_client: FishjamClient,
) -> None:
    room = await run(fishjam_client.create_room)
    speaker = await new_agent(fishjam_client, room.id)
    listener = await new_agent(fishjam_client, room.id)
    mono = tone(440, 1.0, 24000)
    stereo = b"".join(mono[i : i + 2] * 2 for i in range(0, len(mono), 2))
    async with speaker.connect() as s, listener.connect() as listen:
        track = await s.add_track(OutgoingAudioTrackOptions(sample_rate=24000, channels=2))
        # Odd-sized chunks: the sandbox must keep whole stereo samples together.
        for start in range(0, len(stereo), 1001):
            await track.send_chunk(stereo[start : start + 1001])
        heard = await receive_audio(listen, int(0.9 * 16000) * 2)
    assert abs(peak_hz(bytes(heard.data), 16000) - 440) < 5


async def test_interrupting_a_track_drops_what_was_queued(fishjam_client: FishjamClient) -> None:
    room = await run(fishjam_client.create_room)
    speaker = await new_agent(fishjam_client, room.id)
    listener = await new_agent(fishjam_client, room.id)
    async with speaker.connect() as s, listener.connect() as listen:
        track = await s.add_track(OutgoingAudioTrackOptions())
        await track.send_chunk(tone(440, 2.0, 16000))
        before = await receive_audio(listen, int(0.3 * 16000) * 2)
        await track.interrupt()
        await track.send_chunk(tone(880, 0.3, 16000))
        after = bytearray()

        async def until_the_new_tone() -> None:
            async for message in listen.receive():
                after.extend(message.data)
                if len(after) >= 3200 and abs(peak_hz(bytes(after[-3200:]), 16000) - 880) < 20:
                    return

        await asyncio.wait_for(until_the_new_tone(), 10)
    heard_s = (len(before.data) + len(after)) / 2 / 16000
    assert heard_s < 1.0  # far less than the 2 s that were queued before the interrupt


async def test_a_manual_listener_hears_nothing_until_it_subscribes(
    fishjam_client: FishjamClient,
) -> None:
    room = await run(fishjam_client.create_room)
    speaker = await new_agent(fishjam_client, room.id)
    witness = await new_agent(fishjam_client, room.id)
    manual = await new_agent(fishjam_client, room.id, mode="manual")
    async with speaker.connect() as s, witness.connect() as w, manual.connect() as m:
        heard_by_manual = bytearray()
        heard_enough = asyncio.Event()

        async def listen_manual() -> None:
            async for message in m.receive():
                heard_by_manual.extend(message.data)
                if len(heard_by_manual) >= 0.25 * 16000 * 2:
                    heard_enough.set()

        manual_task = asyncio.create_task(listen_manual())
        track = await s.add_track(OutgoingAudioTrackOptions())
        await track.send_chunk(tone(440, 0.3, 16000))
        await receive_audio(w, int(0.3 * 16000) * 2)  # the whole tone has been played out
        assert heard_by_manual == b""

        await run(fishjam_client.subscribe_peer, room.id, manual.id, speaker.id)
        await track.send_chunk(tone(440, 0.3, 16000))
        await receive_audio(w, int(0.3 * 16000) * 2)
        await asyncio.wait_for(heard_enough.wait(), 5)
        manual_task.cancel()


async def test_subscribing_to_a_track_lets_a_manual_listener_hear_it(
    fishjam_client: FishjamClient, fishjam_notifications: NotificationLog
) -> None:
    room = await run(fishjam_client.create_room)
    speaker = await new_agent(fishjam_client, room.id)
    manual = await new_agent(fishjam_client, room.id, mode="manual")
    async with speaker.connect() as s, manual.connect() as m:
        track = await s.add_track(OutgoingAudioTrackOptions())
        await fishjam_notifications.wait_kind("TrackAdded", peer_id=speaker.id)
        await run(fishjam_client.subscribe_tracks, room.id, manual.id, [track.id])
        await track.send_chunk(tone(440, 0.4, 16000))
        heard = await receive_audio(m, int(0.3 * 16000) * 2)
    assert abs(peak_hz(bytes(heard.data), 16000) - 440) < 10


async def test_an_agent_with_a_wrong_token_is_refused(sandbox: Sandbox) -> None:
    impostor = Agent("peer", "room", "not-a-token", sandbox.fishjam_url)
    with pytest.raises(AgentAuthError) as refused:
        async with impostor.connect():
            pass
    assert refused.value.reason == "invalid token"


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        (OutgoingAudioTrackOptions(sample_rate=44100), "sample rate 44100"),  # type: ignore[arg-type]
        (OutgoingAudioTrackOptions(channels=6), "6 channels"),  # type: ignore[arg-type]
    ],
)
async def test_a_track_with_unsupported_codec_parameters_closes_the_socket_with_a_reason(
    fishjam_client: FishjamClient, options: OutgoingAudioTrackOptions, reason: str
) -> None:
    room = await run(fishjam_client.create_room)
    agent = await new_agent(fishjam_client, room.id)
    async with agent.connect() as session:
        await session.add_track(options)
        await asyncio.wait_for(session._ws.wait_closed(), 5)
        assert reason in (session._ws.close_reason or "")


async def test_an_agent_that_disconnects_can_come_back_with_the_same_token(
    fishjam_client: FishjamClient, fishjam_notifications: NotificationLog
) -> None:
    room = await run(fishjam_client.create_room)
    agent = await new_agent(fishjam_client, room.id)
    async with agent.connect():
        await fishjam_notifications.wait_kind("PeerConnected", peer_id=agent.id)
    await fishjam_notifications.wait_kind("PeerDisconnected", peer_id=agent.id)
    peer = (await run(fishjam_client.get_room, room.id)).peers[0]
    assert peer.status.value == "disconnected"
    async with agent.connect():
        await fishjam_notifications.wait_for(
            lambda n: fishjam_notifications.kinds(room.id).count("PeerConnected") == 2
        )
        peer = (await run(fishjam_client.get_room, room.id)).peers[0]
        assert peer.status.value == "connected"


async def test_a_second_connection_with_the_same_token_is_refused(
    fishjam_client: FishjamClient,
) -> None:
    room = await run(fishjam_client.create_room)
    agent = await new_agent(fishjam_client, room.id)
    async with agent.connect():
        with pytest.raises(AgentAuthError) as refused:
            async with agent.connect():
                pass
    assert refused.value.reason == "peer already connected"


async def test_deleting_an_agent_closes_its_socket(fishjam_client: FishjamClient) -> None:
    room = await run(fishjam_client.create_room)
    agent = await new_agent(fishjam_client, room.id)
    async with agent.connect() as session:
        await run(fishjam_client.delete_peer, room.id, agent.id)
        await asyncio.wait_for(session._ws.wait_closed(), 5)
        assert session._ws.close_reason == "peer deleted"


async def test_an_agent_never_hears_itself(fishjam_client: FishjamClient) -> None:
    room = await run(fishjam_client.create_room)
    alone = await new_agent(fishjam_client, room.id)
    witness = await new_agent(fishjam_client, room.id)
    async with alone.connect() as a, witness.connect() as w:
        heard_by_self = bytearray()

        async def listen_self() -> None:
            async for message in a.receive():
                heard_by_self.extend(message.data)

        task = asyncio.create_task(listen_self())
        track = await a.add_track(OutgoingAudioTrackOptions())
        await track.send_chunk(tone(440, 0.3, 16000) + silence(0.1, 16000))
        await receive_audio(w, int(0.4 * 16000) * 2)
        task.cancel()
    assert heard_by_self == b""
