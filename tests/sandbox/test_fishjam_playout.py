"""The playout clock releases a burst of audio at real-time rate, in 20 ms frames."""

from __future__ import annotations

import asyncio

from voicepanel.sandbox.fishjam.playout import RoomPlayout

RATE = 16000
FRAME_BYTES = 640


async def test_a_burst_is_played_out_over_its_own_duration_without_drift() -> None:
    loop = asyncio.get_running_loop()
    released: list[tuple[float, int]] = []
    done = asyncio.Event()

    def sink(track_id: str, frame: bytes) -> None:
        released.append((loop.time(), len(frame)))
        if sum(size for _, size in released) >= RATE * 2:
            done.set()

    playout = RoomPlayout(sink, "test")
    playout.add_track("t", RATE, 1)
    playout.push("t", bytes(RATE * 2))  # one second at once
    await asyncio.wait_for(done.wait(), 5)
    await playout.close()

    assert [size for _, size in released] == [FRAME_BYTES] * 50
    span = released[-1][0] - released[0][0]
    assert 0.9 < span / (49 * 0.02) < 1.1


async def test_interrupting_drops_the_queue_and_later_audio_still_plays() -> None:
    frames: list[bytes] = []
    more = asyncio.Event()

    def sink(track_id: str, frame: bytes) -> None:
        frames.append(frame)
        if frame[:1] == b"\x01":
            more.set()

    playout = RoomPlayout(sink, "test")
    playout.add_track("t", RATE, 1)
    playout.push("t", bytes(RATE * 2))
    playout.interrupt("t")
    assert playout.queued_s("t") == 0.0
    playout.push("t", b"\x01" * FRAME_BYTES)
    await asyncio.wait_for(more.wait(), 5)
    await playout.close()
    # The first frame started playing the moment it arrived (the track was idle); of the
    # rest of the second nothing played, and the frame pushed after the interrupt did.
    assert frames == [bytes(FRAME_BYTES), b"\x01" * FRAME_BYTES]


async def test_stereo_chunks_split_mid_sample_are_reassembled_into_mono() -> None:
    frames: list[bytes] = []
    got = asyncio.Event()

    def sink(track_id: str, frame: bytes) -> None:
        frames.append(frame)
        got.set()

    playout = RoomPlayout(sink, "test")
    playout.add_track("t", RATE, 2)
    # Left 100, right 300 (little-endian int16), split at an odd byte.
    stereo = (b"\x64\x00\x2c\x01") * 320
    playout.push("t", stereo[:3])
    playout.push("t", stereo[3:])
    await asyncio.wait_for(got.wait(), 5)
    await playout.close()
    assert frames[0] == b"\xc8\x00" * 320  # the average, 200
