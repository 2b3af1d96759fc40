"""NotifierCut: a TCP proxy in front of the sandbox that can cut the live notifications
while REST keeps working (an outage of the notifier alone, as a flaky proxy or a load
balancer dropping long-lived sockets makes one).

Every connection is piped byte for byte to the sandbox; a connection whose request is for
the server-notification socket is tracked, so ``cut()`` closes those and refuses new ones
until ``restore()``.
"""

from __future__ import annotations

import asyncio
import contextlib

NOTIFIER_PATH = b"/socket/server/websocket"


class NotifierCut:
    def __init__(self, upstream_port: int) -> None:
        self._upstream_port = upstream_port
        self._server: asyncio.Server | None = None
        self._notifier_writers: set[asyncio.StreamWriter] = set()
        self.cut_now = False
        self.refused = 0
        self.url = ""

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def cut(self) -> None:
        """Closes the live notification sockets and refuses new ones."""
        self.cut_now = True
        for writer in list(self._notifier_writers):
            writer.close()

    def restore(self) -> None:
        self.cut_now = False

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        is_notifier = head.split(b"\r\n", 1)[0].split(b" ")[1:2] == [NOTIFIER_PATH]
        if is_notifier and self.cut_now:
            self.refused += 1
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._upstream_port)
        except OSError:
            writer.close()
            return
        if is_notifier:
            self._notifier_writers.add(writer)
        up_writer.write(head)
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            self._notifier_writers.discard(writer)
            for w in (writer, up_writer):
                w.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()
