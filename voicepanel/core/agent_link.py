"""One agent peer's socket: connected with the fishjam SDK (authentication, the outgoing
track), then audio frames in and out through the hand codec (``voicepanel.wire``)
instead of the SDK's generic betterproto path, which cost tens to hundreds of
microseconds per frame. Runs on the audio loop.

The SDK keeps its websocket in ``AgentSession._ws`` (fishjam-server-sdk 0.31, pinned in
pyproject.toml); the tests check the bytes sent are the SDK's own and that a frame the
codec does not take is still read through betterproto.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import betterproto
from fishjam.agent import Agent, AgentSession, OutgoingAudioTrackOptions, OutgoingTrack
from fishjam.agent.errors import AgentAuthError
from fishjam.events._protos.fishjam import AgentResponse, AgentResponseTrackData

from voicepanel.core.errors import VoicePanelError
from voicepanel.wire.agent_frames import chunk_prefix, decode_received, encode_chunk

AudioSink = Callable[[str, str, bytes, float], None]
"""(peer id, track id, PCM16 bytes, perf_counter when it came off the socket)."""


class AgentLink:
    def __init__(
        self,
        agent: Agent,
        room_id: str,
        sample_rate: int,
        on_audio: AudioSink,
        on_lost: Callable[[str], None],
    ) -> None:
        self.agent = agent
        self.room_id = room_id
        self.sample_rate = sample_rate
        self._on_audio = on_audio
        self._on_lost = on_lost
        self.session: AgentSession | None = None
        self._track: OutgoingTrack | None = None
        self._ws: Any = None
        self._prefix = b""
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def live(self) -> bool:
        return self._ws is not None

    async def open(self, timeout_s: float) -> None:
        """Connects and adds the outgoing track; VoicePanelError if the room refuses."""
        ready: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._run(ready), name="agent-socket")
        try:
            error = await asyncio.wait_for(asyncio.shield(ready), timeout_s)
        except TimeoutError as exc:
            await self.close()
            raise VoicePanelError(
                f"Could not join room {self.room_id} as an agent: the server did not answer.",
                "Check that the server is reachable and try again.",
                cause=exc,
            ) from exc
        except BaseException:
            await self.close()
            raise
        if error is not None:
            await self.close()
            raise join_error(self.room_id, error)

    async def send(self, pcm: bytes) -> None:
        ws = self._ws
        if ws is not None:
            await ws.send(encode_chunk(self._prefix, pcm))

    async def interrupt(self) -> None:
        if self._track is not None:
            await self._track.interrupt()

    async def close(self) -> None:
        self._closing = True
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._ws = None

    async def _run(self, ready: asyncio.Future[BaseException | None]) -> None:
        reason = "The connection to the room closed."
        try:
            async with self.agent.connect() as session:
                self.session = session
                self._track = await session.add_track(
                    OutgoingAudioTrackOptions(
                        sample_rate=self.sample_rate,  # type: ignore[arg-type]
                        metadata={"source": "voicepanel-local-agent"},
                    )
                )
                self._prefix = chunk_prefix(self._track.id)
                self._ws = session._ws
                ready.set_result(None)
                await self._receive(session._ws)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any socket failure is a drop, with its reason
            if not ready.done():
                ready.set_result(exc)
                return
            reason = f"The connection to the room was lost ({type(exc).__name__}: {exc})."
        finally:
            self.session = None
            self._ws = None
        if not ready.done():
            ready.set_result(ConnectionError("closed before it was ready"))
            return
        if not self._closing:
            self._on_lost(reason)

    async def _receive(self, ws: Any) -> None:
        on_audio = self._on_audio
        clock = time.perf_counter
        while True:
            message = await ws.recv(decode=False)
            arrived = clock()
            frame = decode_received(message)
            if frame is None:
                frame = _read_slowly(message)
                if frame is None:
                    continue
            on_audio(frame[0], frame[1], frame[2], arrived)


def _read_slowly(message: bytes) -> tuple[str, str, bytes] | None:
    """What the codec does not take, read as the SDK does (betterproto)."""
    _, content = betterproto.which_one_of(AgentResponse().parse(message), "content")
    if isinstance(content, AgentResponseTrackData) and content.data:
        track_id = content.track.id if content.track is not None else ""
        return content.peer_id, track_id, content.data
    return None


def join_error(room_id: str, exc: BaseException) -> VoicePanelError:
    if isinstance(exc, VoicePanelError):
        return exc
    if isinstance(exc, AgentAuthError):
        return VoicePanelError(
            f"Could not join room {room_id} as an agent: the server refused the agent.",
            "The room or the agent peer may have been deleted; join again.",
            cause=exc,
        )
    return VoicePanelError(
        f"Could not join room {room_id} as an agent ({type(exc).__name__}).",
        "Check that the server is reachable and try again.",
        cause=exc,
    )
