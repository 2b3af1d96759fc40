"""One live call's conversation: hears the user, answers as its assistant, tells the client.

`LiveCall` turns incoming PCM into utterances (vad), answers them (an echo after the reply
delay, or a tonal prompt for `say` and first messages), plays the answer in real time
(playout), keeps the call record's messages, emits VAPI's client events (status-update,
speech-update, transcript, conversation-update, user-interrupted, model-output) and ends
the call on end-call, on a silence timeout or at the maximum duration. It knows nothing of
sockets: it writes to an `Outbox`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from . import tones
from .calls import CallRecord, CallStatus, EndedReason, Speaker
from .commands import AddMessage, Command, Control, ControlKind, EndCall, Say
from .playout import Clip, PacedPlayer
from .vad import UtteranceDetector, VadEvent, VadEventKind

log = logging.getLogger(__name__)

WATCHDOG_PERIOD_S = 0.25


class Outbox(Protocol):
    """Where a live call's output goes: the transport socket."""

    def send_event(self, event: dict[str, Any]) -> None: ...
    def send_audio(self, pcm: bytes) -> None: ...
    def hang_up(self, reason: EndedReason) -> None: ...


class AudioTap(Protocol):
    """Listen-only copy of both sides of the call."""

    def feed_user(self, pcm: bytes) -> None: ...
    def feed_assistant(self, pcm: bytes) -> None: ...


class LiveCall:
    def __init__(
        self,
        record: CallRecord,
        outbox: Outbox,
        tap: AudioTap | None = None,
        on_ended: Callable[[LiveCall], None] | None = None,
    ) -> None:
        self.record = record
        self.profile = record.request.profile
        self._outbox = outbox
        self._tap = tap
        self._on_ended = on_ended
        self._vad = UtteranceDetector(record.sample_rate)
        self._player = PacedPlayer(record.sample_rate, self._emit_audio)
        self._tasks: set[asyncio.Task[None]] = set()
        self._pending_reply: asyncio.Task[None] | None = None
        self._muted = False
        self._turn = 0
        self._odd_byte = b""
        self._loop = asyncio.get_running_loop()
        self._started_at = self._loop.time()
        self._last_activity = self._started_at

    @property
    def ended(self) -> bool:
        return self.record.status is CallStatus.ENDED

    def start(self) -> None:
        self.record.start()
        self._started_at = self._last_activity = self._loop.time()
        self._player.start()
        self._spawn(self._watchdog(), "vapi-call-watchdog")
        self._send({"type": "status-update", "status": CallStatus.IN_PROGRESS.value})
        if self.profile.speaks_first and self.profile.first_message:
            self._speak_first_message()

    def hear(self, data: bytes) -> None:
        """Incoming PCM s16le from the transport, in chunks of any size."""
        if self.ended:
            return
        pcm = self._odd_byte + data
        if len(pcm) % 2:
            pcm, self._odd_byte = pcm[:-1], pcm[-1:]
        else:
            self._odd_byte = b""
        if self._tap is not None:
            self._tap.feed_user(pcm)
        for event in self._vad.feed(pcm):
            self._on_vad(event)
        if self._vad.speaking:
            self._last_activity = self._loop.time()

    def apply(self, command: Command, from_control: bool) -> None:
        """A steering message; `from_control` tells the control URL from the transport."""
        if self.ended:
            return
        if isinstance(command, EndCall):
            # The transport is the customer's side; the control URL acts for the assistant.
            if from_control:
                self.end(EndedReason.ASSISTANT_ENDED_CALL)
            else:
                self.end(EndedReason.CUSTOMER_ENDED_CALL)
        elif isinstance(command, Say):
            self._say(command.content, command.end_call_after_spoken)
        elif isinstance(command, AddMessage):
            self.record.add_note(command.role, command.content)
            self._send_conversation_update()
        elif isinstance(command, Control):
            self._control(command.kind)

    def end(self, reason: EndedReason) -> None:
        if not self.record.end(reason):
            return
        self._player.interrupt()
        self._cancel_pending_reply()
        self._send({"type": "status-update", "status": "ended", "endedReason": reason.value})
        self._outbox.hang_up(reason)
        if self._on_ended is not None:
            self._on_ended(self)

    async def close(self) -> None:
        """Stop every task this call started (after `end`, or when the socket is gone)."""
        self._cancel_pending_reply()
        await self._player.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- hearing --------------------------------------------------------------------------

    def _on_vad(self, event: VadEvent) -> None:
        self._last_activity = self._loop.time()
        if event.kind is VadEventKind.SPEECH_STARTED:
            self._cancel_pending_reply()
            if self._player.interrupt():
                self._send({"type": "user-interrupted"})
            self._speech_update("started", "user")
            self._send_transcript("user", "partial", "(user speaking)")
            return
        text = f"(user spoke for {event.duration_s:.1f} s)"
        ended_at = time.time() - self._vad.config.hangover_s
        self.record.add_message(Speaker.USER, text, ended_at - event.duration_s, ended_at)
        self._speech_update("stopped", "user")
        self._send_transcript("user", "final", text)
        self._send_conversation_update()
        self._schedule_echo(event)

    def _schedule_echo(self, event: VadEvent) -> None:
        text = f"(echo of {event.duration_s:.1f} s)"
        self._cancel_pending_reply()
        self._pending_reply = self._spawn(self._reply_later(event.audio, text), "vapi-echo-reply")

    async def _reply_later(self, pcm: bytes, text: str) -> None:
        await asyncio.sleep(self.profile.reply_delay_s)
        self._pending_reply = None
        if not self.ended:
            self._send({"type": "model-output", "output": text})
            self._queue_speech(pcm, text)

    def _cancel_pending_reply(self) -> None:
        if self._pending_reply is not None:
            self._pending_reply.cancel()
            self._pending_reply = None

    # -- speaking -------------------------------------------------------------------------

    def _speak_first_message(self) -> None:
        if self.profile.first_message:
            melody = tones.greeting_melody(self.record.sample_rate)
            self._queue_speech(melody, self.profile.first_message)

    def _say(self, text: str, end_after: bool) -> None:
        then = (lambda: self.end(EndedReason.ASSISTANT_ENDED_CALL)) if end_after else None
        self._queue_speech(tones.spoken_phrase(text, self.record.sample_rate), text, then)

    def _queue_speech(self, pcm: bytes, text: str, then: Callable[[], None] | None = None) -> None:
        started: list[float] = []

        def on_start() -> None:
            started.append(time.time())
            self._turn += 1
            self._last_activity = self._loop.time()
            self._speech_update("started", "assistant")

        def on_finish(played_s: float, interrupted: bool) -> None:
            self._last_activity = self._loop.time()
            if not started:
                return
            said = f"{text} [interrupted after {played_s:.1f} s]" if interrupted else text
            self.record.add_message(Speaker.BOT, said, started[0], started[0] + played_s)
            if not self.ended:
                self._speech_update("stopped", "assistant")
                self._send_transcript("assistant", "final", said)
                self._send_conversation_update()
            if then is not None and not interrupted:
                then()

        self._player.play(Clip(pcm, on_start, on_finish))

    def _emit_audio(self, frame: bytes) -> None:
        if self._muted:
            return
        self._outbox.send_audio(frame)
        if self._tap is not None:
            self._tap.feed_assistant(frame)

    def _control(self, kind: ControlKind) -> None:
        if kind is ControlKind.MUTE_ASSISTANT:
            self._muted = True
        elif kind is ControlKind.UNMUTE_ASSISTANT:
            self._muted = False
        elif kind is ControlKind.SAY_FIRST_MESSAGE:
            self._speak_first_message()

    # -- the clock ------------------------------------------------------------------------

    async def _watchdog(self) -> None:
        silence_s = self.profile.silence_timeout_s
        max_s = self.profile.max_duration_s
        while not self.ended:
            await asyncio.sleep(min(WATCHDOG_PERIOD_S, silence_s / 4))
            now = self._loop.time()
            if now - self._started_at >= max_s:
                self.end(EndedReason.EXCEEDED_MAX_DURATION)
            elif self._player.busy or self._vad.speaking or self._pending_reply is not None:
                self._last_activity = now
            elif now - self._last_activity >= silence_s:
                self.end(EndedReason.SILENCE_TIMED_OUT)

    # -- telling the client ---------------------------------------------------------------

    def _send(self, event: dict[str, Any]) -> None:
        self._outbox.send_event(event)

    def _speech_update(self, status: str, role: str) -> None:
        self._send({"type": "speech-update", "status": status, "role": role, "turn": self._turn})

    def _send_transcript(self, role: str, kind: str, text: str) -> None:
        self._send({"type": "transcript", "role": role, "transcriptType": kind, "transcript": text})

    def _send_conversation_update(self) -> None:
        self._send(
            {
                "type": "conversation-update",
                "messages": list(self.record.messages),
                "messagesOpenAIFormatted": self.record.openai_messages(),
            }
        )

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = self._loop.create_task(_guarded(coro, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task


async def _guarded(coro: Coroutine[Any, Any, None], name: str) -> None:
    try:
        await coro
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("Sandbox VAPI task %s failed", name)
