"""A socket's outbox never lets a slow reader hold up its producers."""

from __future__ import annotations

import asyncio

from voicepanel.sandbox.fishjam.outbox import Outbox, Overflow


class StuckSocket:
    """A WebSocket whose reader stopped reading: every send blocks forever."""

    def __init__(self) -> None:
        self.closed_with: tuple[int, bytes] | None = None
        self.closed = asyncio.Event()

    async def send_bytes(self, data: bytes) -> None:
        await asyncio.Event().wait()

    async def send_str(self, data: str) -> None:
        await asyncio.Event().wait()

    async def close(self, *, code: int = 1000, message: bytes = b"") -> bool:
        self.closed_with = (code, message)
        self.closed.set()
        return True


async def test_a_reader_that_falls_hopelessly_behind_is_dropped_with_a_reason() -> None:
    socket = StuckSocket()
    outbox = Outbox(socket, "test socket", max_queued=5)
    outbox.start()
    for _ in range(20):
        outbox.send(b"frame")  # never blocks, however far behind the reader is
    await asyncio.wait_for(socket.closed.wait(), 5)
    assert socket.closed_with == (1008, b"client too slow: fell behind")
    await outbox.stop(grace_s=0.1)


async def test_a_reader_that_cannot_even_take_a_close_frame_is_aborted() -> None:
    aborted = asyncio.Event()

    class DeafSocket(StuckSocket):
        async def close(self, *, code: int = 1000, message: bytes = b"") -> bool:
            await asyncio.Event().wait()
            return True

    outbox = Outbox(DeafSocket(), "test socket", max_queued=2, abort=aborted.set)
    outbox.start()
    for _ in range(5):
        outbox.send(b"frame")
    await asyncio.wait_for(aborted.wait(), 5)
    await outbox.stop(grace_s=0.1)


async def test_a_close_goes_out_after_what_was_already_queued() -> None:
    sent: list[bytes | str] = []

    class RecordingSocket(StuckSocket):
        async def send_bytes(self, data: bytes) -> None:
            sent.append(data)

        async def send_str(self, data: str) -> None:
            sent.append(data)

    socket = RecordingSocket()
    outbox = Outbox(socket, "test socket", max_queued=100)
    outbox.start()
    outbox.send(b"a")
    outbox.send("b")
    outbox.close(1000, "bye")
    outbox.send(b"too late")
    await asyncio.wait_for(socket.closed.wait(), 5)
    assert sent == [b"a", "b"]
    assert socket.closed_with == (1000, b"bye")
    await outbox.stop()


async def test_a_listener_that_never_reads_audio_keeps_only_the_newest_frames() -> None:
    socket = StuckSocket()
    outbox = Outbox(socket, "test socket", max_queued=3, overflow=Overflow.DROP_OLDEST)
    for n in range(10):
        outbox.send(bytes([n]))
    assert not outbox.closing
    assert [outbox._queue.get_nowait() for _ in range(3)] == [b"\x07", b"\x08", b"\x09"]
