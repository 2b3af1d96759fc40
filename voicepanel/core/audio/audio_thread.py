"""The audio loop: one asyncio event loop on a thread of its own, where every local
agent's real-time work runs (its socket, jitter buffers, echo control, meters, uplink).

The window's loop (qasync's, on the Qt thread) never runs audio work; it hands coroutines
here (``call``) and reads results through the agent's bridge. A stalled window therefore
stalls nothing that is heard. The thread is a daemon, so a crash of the window cannot
keep the process alive; agents close their streams on leave.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from voicepanel.core.audio.realtime import raise_thread_priority

T = TypeVar("T")


class AudioThread:
    def __init__(self, name: str = "voicepanel-audio") -> None:
        self.loop = asyncio.new_event_loop()
        self.priority = "normal"
        """What the system granted the thread (``realtime``, ``nice``, ``normal``)."""
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._main, name=name, daemon=True)
        self.thread.start()
        self._ready.wait()

    def _main(self) -> None:
        self.priority = raise_thread_priority()
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        self.loop.run_forever()

    @property
    def on_audio_thread(self) -> bool:
        return threading.current_thread() is self.thread

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Runs ``coro`` on the audio loop; a Future any thread may wait on."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    async def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Awaits ``coro`` run on the audio loop, from another loop. Cancelling the caller
        cancels it there too."""
        if self.on_audio_thread:
            return await coro
        return await asyncio.wrap_future(self.submit(coro))

    def post(self, fn: Callable[..., Any], *args: Any) -> None:
        """Runs ``fn(*args)`` on the audio loop soon, without waiting."""
        if self.on_audio_thread:
            fn(*args)
        else:
            self.loop.call_soon_threadsafe(fn, *args)


_thread: AudioThread | None = None
_lock = threading.Lock()


def audio_thread() -> AudioThread:
    """The process's audio loop (started on first use)."""
    global _thread
    with _lock:
        if _thread is None:
            _thread = AudioThread()
        return _thread
