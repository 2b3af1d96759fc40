"""The local agent in a room with the sandbox's Echo assistant, through a real sound server
that behaves like a room: a PulseAudio loopback carries what the agent plays (null sink
``spk``) back into its microphone (null sink ``mic``), 60 ms late and 20 dB down. The
user's voice is a WAV file of tone bursts (voiced: harmonics and breath; pure sines for
the barge-in test) played into ``mic`` too, so the microphone hears the user and the echo
together, as in a real room. (The agent's own "WAV as microphone" would bypass the
microphone, and with it the echo.)

Without echo control the assistant hears its own reply through the microphone and
answers it (an extra turn per reply; the second echo is 20 dB quieter again and falls
under the assistant's voice detector). With cancellation the reply's echo leaves the
microphone 25 dB or more quieter and the assistant takes exactly the user's turns.
Half-duplex holds the microphone back while the assistant speaks and lets a loud
barge-in through.

What the microphone heard and what the agent sent are taken at the uplink's filter hook,
sample-aligned; what the speaker played comes from the agent's far-end tap. The echo's
delay is found by cross-correlation, so "while only the assistant speaks" is the far
end's activity moved to the microphone's timeline. Energies and counts; no wall clock.
Two device-free checks close the file: the canceller keeps hearing the microphone while
a WAV file is sent instead, and frames are dated with what echo control holds back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pytest
from audio_signals import peak_frequency, silence, tone

from voicepanel.core.audio.device_io import Captured
from voicepanel.core.audio.echo import EchoMode, EchoStatus, estimate_echo_delay
from voicepanel.core.errors import VoicePanelError
from voicepanel.core.fishjam_gateway import FishjamGateway, RoomSpec
from voicepanel.core.vapi_gateway import VapiGateway
from voicepanel.sandbox.vapi import ECHO_ASSISTANT_ID
from voicepanel.session.local_agent import AgentLevels, LocalAgent

RATE = 16000
FRAME = RATE // 50
LOOPBACK_MS = 60
ROOM_ATTENUATION = 0.1  # linear: -20 dB from the speaker to the microphone
USER_LEVEL = 0.5
FADE_S = 0.02
FAR_ACTIVE_DB = -50.0
ECHO_TAIL_FRAMES = 4  # the room's tail and the pulse loopback's jitter, in 20 ms frames
HOLD_FRAMES = 15  # half-duplex's hold time (300 ms) in frames


@pytest.fixture
def room_echo(pulse) -> Iterator[None]:
    """spk.monitor -> mic, delayed and attenuated; removed at the end of the test so the
    other audio tests keep a dry microphone."""
    with pulse.room_echo(LOOPBACK_MS, ROOM_ATTENUATION):
        yield


@dataclass
class Conversation:
    """One call, as the microphone heard it, as the agent sent it, and as the speaker
    played it; plus the assistant's transcript."""

    mic: np.ndarray
    sent: np.ndarray
    played: np.ndarray
    user_turns: int
    assistant_turns: int
    assistant_said: list[str]
    statuses: list[EchoStatus] = field(default_factory=list)

    def echo_delay_samples(self) -> int:
        """Where what was played turns up in the microphone (both from the tap's start)."""
        found = estimate_echo_delay(self.played, self.mic, RATE, max_delay_ms=800)
        # The user's own voice, 20 dB above the echo, keeps the normalised correlation
        # low; the echo path's gain tells that the peak is the echo.
        assert -40.0 < found.gain_db < -10.0, f"no echo reached the microphone: {found}"
        return found.delay_samples

    def assistant_only(self, delay: int) -> np.ndarray:
        """Microphone frames that carry the assistant's echo: the far end's activity moved
        by the echo's delay and widened by the room's tail."""
        n = len(self.mic) // FRAME
        far_db = frame_db(self.played)
        mask = np.zeros(n, dtype=bool)
        for k in np.flatnonzero(far_db > FAR_ACTIVE_DB):
            start = (k * FRAME + delay) // FRAME
            mask[max(0, start) : min(n, start + 2 + ECHO_TAIL_FRAMES)] = True
        return mask


def frame_db(x: np.ndarray) -> np.ndarray:
    n = len(x) // FRAME
    frames = np.asarray(x[: n * FRAME], dtype=np.float64).reshape(n, FRAME)
    return 10.0 * np.log10(np.mean(frames**2, axis=1) + 1e-12)


def energy_db(x: np.ndarray, mask: np.ndarray) -> float:
    n = len(mask)
    frames = np.asarray(x[: n * FRAME], dtype=np.float64).reshape(n, FRAME)[mask]
    return float(10.0 * np.log10(np.mean(frames**2) + 1e-12))


def voiced_burst(seconds: float, pitch_hz: float, seed: int = 0) -> np.ndarray:
    """A breathy sung vowel: a tone with its harmonics, its pitch gliding a little, plus
    breath noise, as a voice has. A pure sine is no test for an echo canceller: one
    frequency says nothing about the echo path at the others, so the canceller's model
    of the room stays ambiguous (see docs/echo-cancellation.md)."""
    t = np.arange(int(round(seconds * RATE))) / RATE
    pitch = pitch_hz * (1.0 + 0.08 * np.sin(2 * np.pi * 1.5 * t))
    phase = 2 * np.pi * np.cumsum(pitch) / RATE
    voice = sum(np.sin(k * phase) / k for k in range(1, 16) if k * pitch_hz < 0.45 * RATE)
    breath = np.random.default_rng(seed).standard_normal(len(t))
    breath = np.convolve(breath, np.hanning(9) / 4.5, mode="same")
    x = np.asarray(voice) + 0.6 * breath
    x *= USER_LEVEL / np.sqrt(2) / np.sqrt(np.mean(np.square(x)))
    return x.astype(np.float32)


def user_voice(
    *bursts: tuple[float, float, float], tail_s: float = 0.3, voiced: bool = True
) -> np.ndarray:
    """(seconds of silence before, burst seconds, pitch) per burst, then ``tail_s`` of
    silence (a stream's last 30-40 ms are lost when it stops). Each burst is a voiced
    tone (``voiced_burst``) or a pure one, at the level of a 0.5-amplitude sine."""
    pieces = []
    fade = np.sin(np.linspace(0.0, np.pi / 2, int(FADE_S * RATE))) ** 2
    for before, seconds, pitch in bursts:
        burst = voiced_burst(seconds, pitch) if voiced else tone(pitch, seconds, RATE, USER_LEVEL)
        # A voice does not start or stop with a click.
        burst[: len(fade)] *= fade
        burst[len(burst) - len(fade) :] *= fade[::-1]
        pieces += [silence(before, RATE), burst]
    pieces.append(silence(tail_s, RATE))
    return np.concatenate(pieces)


async def converse(
    pulse, sandbox, tmp_path, mode: EchoMode, voice: np.ndarray, settle_s: float
) -> Conversation:
    """The local agent joins a room with an Echo assistant, in ``mode``, and the user's
    ``voice`` is played into the microphone; returns once the assistant has answered
    everything it heard."""
    fishjam = FishjamGateway(sandbox.fishjam_url, sandbox.config.token)
    vapi = VapiGateway(sandbox.config.vapi_key, sandbox.vapi_base_url)
    try:
        room = await fishjam.create_room(RoomSpec())
        call = await vapi.create_call(assistant_id=ECHO_ASSISTANT_ID)
        vapi_peer = await fishjam.create_vapi_peer(room.id, sandbox.config.vapi_key, call.id)
        local = LocalAgent(fishjam, room.id, RATE)
        local.set_echo_mode(mode)
        statuses: list[EchoStatus] = []

        def keep_status(levels: AgentLevels) -> None:
            if levels.echo is not None:
                statuses.append(levels.echo)

        local.on_levels.subscribe(keep_status)
        await local.join()
        try:
            assert await local.set_output_device(None)
            assert await local.set_input_device(None)

            async def vapi_connected() -> bool:
                info = await fishjam.get_room(room.id)
                return any(p.id == vapi_peer.id and p.status == "connected" for p in info.peers)

            for _ in range(100):
                if await vapi_connected():
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the Echo assistant never joined the room")
            await asyncio.sleep(0.5)  # both streams running before the user speaks

            # Taps on the agent's own hooks: the microphone before echo control and what
            # leaves it (sample-aligned up to what echo control holds at the start), and
            # every frame handed to the speaker.
            mic: list[np.ndarray] = []
            sent: list[np.ndarray] = []
            played: list[np.ndarray] = []
            echo_filter = local.uplink.microphone_filter
            assert echo_filter is not None
            held_at_start = local.echo.pending_samples

            def tapped(samples: np.ndarray) -> np.ndarray:
                mic.append(samples.copy())
                out = echo_filter(samples)
                sent.append(out.copy())
                return out

            local.uplink.microphone_filter = tapped
            local.far_end_tap = lambda frame: played.append(frame.copy())

            player = pulse.play_into_mic(voice, RATE, tmp_path)
            await asyncio.to_thread(player.wait, 30)
            await asyncio.sleep(settle_s)
            # Until the assistant has answered every utterance it heard and nothing new
            # came for 1.5 s (an echo of its last reply would have been heard by then).
            last: tuple[int, int] | None = None
            steady = 0
            for _ in range(60):
                info = await vapi.get_call(call.id)
                roles = [m.get("role") for m in info.messages]
                seen = (roles.count("user"), roles.count("bot"))
                steady = steady + 1 if seen == last and seen[0] == seen[1] else 0
                last = seen
                if steady >= 3:
                    break
                await asyncio.sleep(0.5)
            local.uplink.microphone_filter = echo_filter
            local.far_end_tap = None
        finally:
            await local.leave()
            with contextlib.suppress(VoicePanelError):
                await vapi.end_call(call)
    finally:
        await vapi.close()
        await fishjam.close()

    # What echo control held when the tap started comes out first: drop it from ``sent``.
    mic_audio = np.concatenate(mic)
    sent_audio = np.concatenate(sent)[held_at_start:]
    n = min(len(mic_audio), len(sent_audio))
    return Conversation(
        mic=mic_audio[:n],
        sent=sent_audio[:n],
        played=np.concatenate(played),
        user_turns=sum(m.get("role") == "user" for m in info.messages),
        assistant_turns=sum(m.get("role") == "bot" for m in info.messages),
        assistant_said=[str(m.get("message", "")) for m in info.messages if m["role"] == "bot"],
        statuses=statuses,
    )


async def test_cancellation_keeps_the_assistant_from_hearing_itself(
    pulse, room_echo, sandbox, tmp_path, record_property
) -> None:
    # Two utterances, far enough apart that the assistant's answer to its own echo (with
    # echo control off) is over before the user speaks again.
    voice = user_voice((0.3, 0.4, 140.0), (3.3, 0.4, 180.0))

    off = await converse(pulse, sandbox, tmp_path, EchoMode.OFF, voice, settle_s=2.0)
    cancel = await converse(pulse, sandbox, tmp_path, EchoMode.CANCEL, voice, settle_s=1.0)

    results = {}
    for name, take in (("off", off), ("cancel", cancel)):
        delay = take.echo_delay_samples()
        mask = take.assistant_only(delay)
        results[name] = {
            "echo_delay_ms": round(1000 * delay / RATE),
            "mic_db": round(energy_db(take.mic, mask), 1),
            "sent_db": round(energy_db(take.sent, mask), 1),
            "frames": int(mask.sum()),
            "user_turns": take.user_turns,
            "assistant_turns": take.assistant_turns,
        }
    reduction = results["off"]["sent_db"] - results["cancel"]["sent_db"]
    print(f"echo in a room: {results}; cancellation takes {reduction:.1f} dB off")
    record_property("echo_room", results)
    record_property("echo_room_reduction_db", round(reduction, 1))

    # (a) Off: the reply comes back into the room and the assistant answers itself.
    assert results["off"]["frames"] >= 20
    assert results["off"]["sent_db"] > -40.0  # the echo, sent as it was heard
    assert off.assistant_turns > 2, off.assistant_said
    assert off.user_turns == off.assistant_turns
    # (b) Cancel: the same echo in the microphone, 25 dB less of it sent, and the
    # assistant takes exactly the user's two turns.
    assert results["cancel"]["mic_db"] == pytest.approx(results["off"]["mic_db"], abs=6.0)
    assert reduction >= 25.0
    assert cancel.assistant_turns == 2, cancel.assistant_said
    assert cancel.user_turns == 2
    final = cancel.statuses[-1]
    assert final.mode is EchoMode.CANCEL and not final.echo_leaking


async def test_half_duplex_holds_the_mic_while_the_assistant_speaks_but_not_a_barge_in(
    pulse, room_echo, sandbox, tmp_path, record_property
) -> None:
    # A long first utterance makes a long reply; the user breaks in loudly at a higher
    # pitch while it plays (the reply starts ~0.9 s after the utterance ends and lasts
    # 2 s: the barge-in lands in it whatever the transport's delay).
    voice = user_voice((0.3, 2.0, 440.0), (1.9, 0.5, 880.0), tail_s=2.0, voiced=False)
    take = await converse(pulse, sandbox, tmp_path, EchoMode.HALF_DUPLEX, voice, settle_s=1.0)

    delay = take.echo_delay_samples()
    echo_frames = take.assistant_only(delay)
    mic_db, sent_db = frame_db(take.mic), frame_db(take.sent)
    loud = mic_db > -25.0
    pitch = np.array(
        [
            peak_frequency(take.mic[k * FRAME : (k + 1) * FRAME], RATE) if loud[k] else 0.0
            for k in range(len(mic_db))
        ]
    )
    barge_in = loud & (np.abs(pitch - 880.0) < 60.0)
    # The user talks on the loud frames; the gate stays open for its hold time after.
    talking = loud.copy()
    for k in np.flatnonzero(loud):
        talking[max(0, k - 1) : k + 1 + HOLD_FRAMES] = True
    only_assistant = echo_frames & ~talking
    held = [s.held_back for s in take.statuses]
    figures = {
        "echo_delay_ms": round(1000 * delay / RATE),
        "echo_mic_db": round(energy_db(take.mic, only_assistant), 1),
        "echo_sent_db": round(energy_db(take.sent, only_assistant), 1),
        "barge_in_frames": int(barge_in.sum()),
        "barge_in_mic_db": round(energy_db(take.mic, barge_in), 1),
        "barge_in_sent_db": round(energy_db(take.sent, barge_in), 1),
        "user_turns": take.user_turns,
        "assistant_turns": take.assistant_turns,
        "assistant_said": take.assistant_said,
    }
    print(f"half-duplex: {figures}")
    record_property("half_duplex_room", figures)

    assert any(held) and not all(held)
    # Held back while only the assistant speaks: its echo is ducked by 30 dB.
    assert only_assistant.sum() >= 20
    assert figures["echo_sent_db"] <= figures["echo_mic_db"] - 25.0
    # The barge-in goes through at full level, and the assistant stops for it.
    assert barge_in.sum() >= 15
    assert figures["barge_in_sent_db"] == pytest.approx(figures["barge_in_mic_db"], abs=1.0)
    assert float(np.median(sent_db[barge_in])) > -15.0
    assert take.user_turns == 2 and take.assistant_turns == 2, take.assistant_said
    assert "interrupted" in take.assistant_said[0]


class NoServer:
    async def create_agent(self, room_id, sample_rate=16000, subscribe_mode="auto"):
        raise VoicePanelError("Could not join.", "Not in this test.")

    async def delete_peer(self, room_id, peer_id):
        return None


def test_echo_control_hears_the_microphone_while_a_file_stands_in_for_it() -> None:
    """The file is sent; the microphone still goes through the canceller, so it stays in
    step with the speaker and need not learn the room again when the file ends."""
    local = LocalAgent(NoServer(), "room-1", RATE)  # type: ignore[arg-type]
    local.uplink.play_file(np.full(3 * FRAME, 0.3, np.float32), loop=False)
    before = local.echo.canceller.frames_processed
    frames = local.uplink.pull(Captured(tone(440, 0.06, RATE), end_time=5.0), now=5.0)
    assert frames and all(f.samples[0] == pytest.approx(0.3) for f in frames)
    assert local.echo.canceller.frames_processed == before + 6  # 60 ms in 10 ms frames


def test_microphone_frames_are_dated_with_what_echo_control_holds_back() -> None:
    local = LocalAgent(NoServer(), "room-1", RATE)  # type: ignore[arg-type]
    local.echo.set_mode(EchoMode.OFF)  # the engine's own, as its audio loop would
    # 50 ms: two whole frames out, 10 ms held by echo control, none by the framer.
    frames = local.uplink.pull(Captured(tone(440, 0.05, RATE), end_time=10.0), now=10.0)
    assert local.echo.pending_samples == 160 and local.uplink.pending == 160
    assert [f.at for f in frames] == pytest.approx([10.0 - 0.01 - 0.04, 10.0 - 0.01 - 0.02])
    assert np.allclose(frames[0].samples, tone(440, 0.02, RATE))
