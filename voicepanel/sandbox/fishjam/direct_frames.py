"""Writing a server's WebSocket frames straight to the connection when nothing is waiting.

aiohttp's `send_bytes` is a coroutine, so every frame through it costs a task wake-up and a
loop iteration in a writer task. At 20 rooms x 3 agents that was most of the sandbox's
per-frame time and the frames of one 20 ms burst waited behind each other for it (measured
in docs/benchmarks.md, "Sandbox routing"). A server frame is simple to write (RFC 6455
section 5.2: unmasked, a two- to ten-byte header, then the payload), and the transport
writes it at once or buffers it, so an idle socket's frames go out right away here; the
outbox falls back to aiohttp's writer whenever anything is queued or the socket is backed up.
"""

from __future__ import annotations

import asyncio
import struct

from aiohttp import web

_BINARY = 0x82  # FIN + binary opcode
_TEXT = 0x81  # FIN + text opcode
# Past this much unsent data the socket is backed up: frames queue in the outbox instead,
# where its overflow rule (drop the oldest audio, or disconnect a notifier) applies.
BACKED_UP_BYTES = 64 * 1024


def frame(payload: bytes, first_byte: int = _BINARY) -> bytes:
    """One unmasked, unfragmented server-to-client WebSocket frame."""
    size = len(payload)
    if size < 126:
        header = bytes((first_byte, size))
    elif size < 65536:
        header = struct.pack("!BBH", first_byte, 126, size)
    else:
        header = struct.pack("!BBQ", first_byte, 127, size)
    return header + payload


class DirectFrames:
    """A server WebSocket's transport, written to directly while the socket keeps up."""

    def __init__(self, ws: web.WebSocketResponse, transport: asyncio.BaseTransport | None) -> None:
        self._ws = ws
        self._transport = transport if isinstance(transport, asyncio.WriteTransport) else None

    def write(self, data: bytes | str) -> bool:
        """Write `data` as one frame now; False (nothing written) if the socket is closing
        or backed up, and the frame must go through the outbox's queue."""
        transport = self._transport
        if (
            transport is None
            or self._ws.closed
            or transport.is_closing()
            or transport.get_write_buffer_size() > BACKED_UP_BYTES
        ):
            return False
        if isinstance(data, str):
            transport.write(frame(data.encode(), _TEXT))
        else:
            transport.write(frame(data))
        return True

    def abort(self) -> None:
        """Drop the connection at once, for when even a close frame cannot get through."""
        if self._transport is not None:
            self._transport.abort()
