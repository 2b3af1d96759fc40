"""The per-call `vapi.websocket` transport at `websocketCallUrl`.

Binary frames are raw PCM s16le mono at the call's sample rate, both ways. Text frames
from the client are JSON steering messages (end-call, hangup, say, add-message, control);
text frames to the client are the call's JSON events. A call accepts one connection, while
it is queued: connecting starts it, closing the socket ends it (customer-ended-call).
Malformed messages are logged and ignored; they never end the call or the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiohttp import WSMsgType, web

from .calls import CallStatus, EndedReason
from .commands import CommandError, parse_command
from .conversation import LiveCall
from .errors import VapiApiError, error_response
from .listen import ListenTap
from .request_body import parse_json_text
from .state import SandboxState

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 4 * 1024 * 1024
CLOSE_TIMEOUT_S = 2.0


class SocketOutbox:
    """Queues the call's output and writes it to the socket from one task, in order."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self._ws = ws
        self._queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def send_event(self, event: dict[str, Any]) -> None:
        self._queue.put_nowait(("text", json.dumps(event)))

    def send_audio(self, pcm: bytes) -> None:
        self._queue.put_nowait(("bytes", pcm))

    def hang_up(self, reason: EndedReason) -> None:
        self._queue.put_nowait(("close", reason))

    async def run(self) -> None:
        ws = self._ws
        while True:
            kind, payload = await self._queue.get()
            if ws.closed:
                continue
            try:
                if kind == "text":
                    await ws.send_str(payload)
                elif kind == "bytes":
                    await ws.send_bytes(payload)
                else:
                    await ws.close(message=f"call ended: {payload.value}".encode())
            except (ConnectionError, RuntimeError) as exc:
                log.debug("Transport write failed: %s", exc)


class TransportRoute:
    def __init__(self, state: SandboxState) -> None:
        self._state = state

    async def handle(self, request: web.Request) -> web.StreamResponse:
        state = self._state
        call_id = request.match_info["call_id"]
        record = state.book.get(call_id)
        if record is None or state.closing:
            return error_response(VapiApiError(404, f"Call {call_id} not found."))
        if record.status is not CallStatus.QUEUED:
            why = "has ended" if record.status is CallStatus.ENDED else "is already connected"
            return error_response(VapiApiError(409, f"Call {call_id} {why}."))

        ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE_BYTES, timeout=CLOSE_TIMEOUT_S)
        if not ws.can_prepare(request).ok:
            return error_response(VapiApiError(400, "This is a WebSocket endpoint."))
        outbox = SocketOutbox(ws)
        tap = state.taps.setdefault(call_id, ListenTap(record.sample_rate))
        events = state.events_for(record)
        events.socket = outbox
        live = LiveCall(record, events, outbox, tap, on_ended=self._forget)
        expiry = state.expiries.pop(call_id, None)
        if expiry is not None:
            expiry.cancel()
        state.live[call_id] = live
        live.start()  # before any await, so a second connection sees in-progress
        writer = asyncio.get_running_loop().create_task(outbox.run(), name="vapi-transport-writer")
        try:
            await ws.prepare(request)
            async for message in ws:
                if message.type is WSMsgType.BINARY:
                    live.hear(message.data)
                elif message.type is WSMsgType.TEXT:
                    self._on_text(live, message.data)
                elif message.type is WSMsgType.ERROR:
                    # aiohttp has already closed the socket with the reason (e.g. 1007 for
                    # a text frame that is not UTF-8).
                    log.warning("Transport of call %s broke: %s", call_id, ws.exception())
                    break
        except Exception:
            log.exception("Transport of call %s failed", call_id)
        finally:
            live.end(EndedReason.CUSTOMER_ENDED_CALL)  # no-op if it already ended
            await live.close()
            await self._drain(writer)
            with contextlib.suppress(Exception):
                await ws.close()
            state.live.pop(call_id, None)
        return ws

    def _on_text(self, live: LiveCall, text: str) -> None:
        try:
            command = parse_command(parse_json_text(text))
        except (VapiApiError, CommandError) as exc:
            log.warning("Ignored a bad message on call %s: %s", live.record.id, exc)
            return
        live.apply(command, from_control=False)

    def _forget(self, live: LiveCall) -> None:
        self._state.call_ended(live.record)

    @staticmethod
    async def _drain(writer: asyncio.Task[None]) -> None:
        # Let queued events (the final status-update) go out before the socket closes.
        await asyncio.sleep(0)
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
