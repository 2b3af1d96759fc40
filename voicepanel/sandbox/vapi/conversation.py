"""One live call's conversation: hears the user, answers as its assistant, tells everyone.

`LiveCall` turns incoming PCM into turns (endpointing.py, on the wall clock), answers each
turn after the reply delay (an echo of the audio, a scripted line, what its tools answered),
speaks lines in words (voice.py), plays the answer in real time (playout.py), keeps the
call record's messages, and reports every step through `CallEvents` (status, speech,
transcripts, conversation updates, model output, interruptions, tool calls, the end).
It ends the call on end-call, on a silence timeout, at the maximum duration, after a
line that ends it, and on a transfer. It knows nothing of sockets: audio goes to an
`AudioOut`.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from .assistants import AssistantBehavior
from .call_events import CallEvents
from .calls import CallRecord, CallStatus, EndedReason, Speaker
from .commands import AddMessage, Command, Control, ControlKind, EndCall, Say
from .endpointing import EndpointingConfig, UtteranceDetector, VadEvent, VadEventKind
from .event_poster import ServerAnswer
from .playout import Clip, PacedPlayer
from .script import ScriptCursor
from .tools import ToolOutcome, destination_words, new_calls, read_answer, tool_calls_message
from .voice import speak

log = logging.getLogger(__name__)

WATCHDOG_PERIOD_S = 0.25
# VAPI posts `hang` when the assistant is slow to respond; the sandbox does when a tool has
# kept it waiting this long.
HANG_AFTER_S = 5.0


class AudioOut(Protocol):
    """Where a live call's audio and its hang-up go: the transport socket."""

    def send_audio(self, pcm: bytes) -> None: ...
    def hang_up(self, reason: EndedReason) -> None: ...


class AudioTap(Protocol):
    """Listen-only copy of both sides of the call."""

    def feed_user(self, pcm: bytes) -> None: ...
    def feed_assistant(self, pcm: bytes) -> None: ...


@dataclass(frozen=True)
class UserTurn:
    audio: bytes = b""  # what the user said, pauses included (empty for a text turn)
    duration_s: float = 0.0
    words: str | None = None  # known only for a text turn (add-message)


@dataclass(frozen=True)
class Reply:
    pcm: bytes
    text: str
    then: EndedReason | None = None
    transfer_to: dict[str, Any] | None = None


class LiveCall:
    def __init__(
        self,
        record: CallRecord,
        events: CallEvents,
        audio: AudioOut,
        tap: AudioTap | None = None,
        on_ended: Callable[[LiveCall], None] | None = None,
    ) -> None:
        self.record = record
        self.profile = record.request.profile
        self._events = events
        self._audio = audio
        self._tap = tap
        self._on_ended = on_ended
        rate = record.sample_rate
        self._detector = UtteranceDetector(
            rate,
            EndpointingConfig(
                min_speech_s=self.profile.min_speech_s, end_of_turn_s=self.profile.end_of_turn_s
            ),
        )
        self._player = PacedPlayer(rate, self._emit_audio)
        self._script = ScriptCursor(self.profile.script)
        self._tasks: set[asyncio.Task[None]] = set()
        self._pending_reply: asyncio.Task[None] | None = None
        self._speech_chain: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._muted = False
        self._turn = 0  # assistant speech turns, for speech-update
        self._user_turns = 0
        self._playing_turn_id: str | None = None
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
        self._events.emit({"type": "status-update", "status": CallStatus.IN_PROGRESS.value})
        if self.profile.speaks_first and self.profile.first_message:
            self._say_line(self.profile.first_message)

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
        now = self._loop.time()
        for event in self._detector.feed(pcm, now):
            self._on_vad(event)
        if self._detector.speaking:
            self._last_activity = now
        self._arm_endpoint_timer()

    def apply(self, command: Command, from_control: bool) -> None:
        """A steering message; `from_control` tells the control URL from the transport."""
        if self.ended:
            return
        if isinstance(command, EndCall):
            # The transport is the customer's side; the control URL is the API's.
            self.end(
                EndedReason.MANUALLY_CANCELED if from_control else EndedReason.CUSTOMER_ENDED_CALL
            )
        elif isinstance(command, Say):
            then = EndedReason.ASSISTANT_ENDED_CALL_AFTER_MESSAGE_SPOKEN
            self._say_line(command.content, then if command.end_call_after_spoken else None)
        elif isinstance(command, AddMessage):
            self.record.add_note(command.role, command.content)
            self._send_conversation_update()
            if command.trigger_response:
                words = command.content if command.role == Speaker.USER.value else None
                self._start_reply(UserTurn(words=words))
        elif isinstance(command, Control):
            self._control(command.kind)

    def end(self, reason: EndedReason) -> None:
        if not self.record.end(reason):
            return
        self._player.interrupt()
        self._cancel_pending_reply()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._events.call_ended()
        self._audio.hang_up(reason)
        if self._on_ended is not None:
            self._on_ended(self)

    async def close(self) -> None:
        """Stop every task this call started (after `end`, or when the socket is gone)."""
        self._cancel_pending_reply()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        await self._player.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- hearing --------------------------------------------------------------------------

    def _arm_endpoint_timer(self) -> None:
        # One timer at a time; when it fires early (more audio came), it re-arms itself.
        deadline = self._detector.deadline()
        if deadline is not None and self._timer is None and not self.ended:
            self._timer = self._loop.call_at(deadline, self._on_endpoint_timer)

    def _on_endpoint_timer(self) -> None:
        self._timer = None
        for event in self._detector.poll(self._loop.time()):
            self._on_vad(event)
        self._arm_endpoint_timer()

    def _on_vad(self, event: VadEvent) -> None:
        self._last_activity = self._loop.time()
        if event.kind is VadEventKind.SPEECH_STARTED:
            self._cancel_pending_reply()
            if self._player.interrupt():
                self._events.emit({"type": "user-interrupted", "turnId": self._playing_turn_id})
            self._speech_update("started", "user")
            self._send_transcript("user", "partial", "(user speaking)")
            return
        text = f"(user spoke for {event.duration_s:.1f} s)"
        ended_at = time.time() - (self._loop.time() - event.ended_at)
        self.record.add_message(Speaker.USER, text, ended_at - event.duration_s, ended_at)
        self._speech_update("stopped", "user")
        self._send_transcript("user", "final", text)
        self._send_conversation_update()
        self._start_reply(UserTurn(event.audio, event.duration_s))

    # -- answering ------------------------------------------------------------------------

    def _start_reply(self, turn: UserTurn) -> None:
        self._cancel_pending_reply()
        self._pending_reply = self._spawn(self._reply(turn), "vapi-reply")

    async def _reply(self, turn: UserTurn) -> None:
        began = self._loop.time()
        self._user_turns += 1
        turn_id = str(uuid.uuid4())
        reply = await self._compose(turn)
        if reply is not None:
            self._events.emit(
                {
                    "type": "model-output",
                    "output": {"role": "assistant", "content": reply.text},
                    "turnId": turn_id,
                }
            )
            await asyncio.sleep(max(0.0, began + self.profile.reply_delay_s - self._loop.time()))
        self._pending_reply = None
        if reply is not None and not self.ended:
            self._queue_speech(reply, turn_id)

    async def _compose(self, turn: UserTurn) -> Reply | None:
        """What the assistant answers to one user turn (None: nothing)."""
        profile = self.profile
        echo = b""
        said: list[str] = []
        words: list[str] = []  # what is spoken in words, after any echo
        then: EndedReason | None = None
        if profile.behavior is AssistantBehavior.SCRIPTED:
            line = self._script.next_line(turn.words)
            if line is not None:
                words.append(line.text)
                if line.last and profile.tools.end_call:
                    then = EndedReason.ASSISTANT_ENDED_CALL
        elif turn.audio:
            echo = turn.audio
            said.append(f"(echo of {turn.duration_s:.1f} s)")
        elif turn.words:
            words.append(turn.words)
        if profile.tools.functions:
            words.extend(outcome.spoken for outcome in await self._call_tools())
        transfer_to = None
        if (
            profile.tools.transfer is not None
            and profile.tools.transfer_on_turn == self._user_turns
        ):
            transfer_to, sentence = await self._transfer_destination()
            words.append(sentence)
            if transfer_to is not None:
                then = EndedReason.ASSISTANT_FORWARDED_CALL
        if not echo and not words:
            return None
        spoken = " ".join(words)
        pcm = echo + (await speak(spoken, self.record.sample_rate) if spoken else b"")
        return Reply(pcm, " ".join([*said, *words]), then, transfer_to)

    async def _call_tools(self) -> list[ToolOutcome]:
        calls = new_calls(self.profile.tools.functions)
        self.record.add_tool_calls([call.as_json() for call in calls])
        self._send_conversation_update()
        waiting: list[tuple[tuple[Any, ...], asyncio.Future[ServerAnswer]]] = []
        outcomes: list[ToolOutcome] = []
        for server in dict.fromkeys(call.tool.server for call in calls):
            group = tuple(call for call in calls if call.tool.server == server)
            answer = self._events.request(tool_calls_message(group), server)
            told = tuple(c for c in group if c.tool.asynchronous)
            outcomes.extend(
                ToolOutcome(c, result="", spoken=f"I asked {c.tool.name}.") for c in told
            )
            group = tuple(c for c in group if not c.tool.asynchronous)
            if not group:
                continue
            if answer is None:
                gone = ServerAnswer(problem="there is no Server URL to call")
                outcomes.extend(read_answer(group, gone))
            else:
                waiting.append((group, answer))
        futures = [answer for _, answer in waiting]
        if futures:
            _, slow = await asyncio.wait(futures, timeout=HANG_AFTER_S)
            if slow:
                self._events.emit({"type": "hang"})
                await asyncio.wait(slow)
        for group, answer in waiting:
            outcomes.extend(read_answer(group, answer.result()))
        for outcome in outcomes:
            if outcome.call.tool.asynchronous:
                continue
            result = outcome.result if outcome.error is None else f"Error: {outcome.error}"
            self.record.add_tool_result(outcome.call.id, outcome.call.tool.name, result or "")
        self._send_conversation_update()
        return outcomes

    async def _transfer_destination(self) -> tuple[dict[str, Any] | None, str]:
        tool = self.profile.tools.transfer
        assert tool is not None
        if tool.destinations:
            destination = tool.destinations[0]
        else:
            future = self._events.request({"type": "transfer-destination-request"}, tool.server)
            answer = await future if future is not None else ServerAnswer(problem="no server")
            body = answer.body if answer.ok else None
            destination = body.get("destination") if isinstance(body, dict) else None
            if not isinstance(destination, dict):
                why = body.get("error") if isinstance(body, dict) else None
                return None, f"I could not transfer you: {why or 'no destination was given'}."
        return destination, f"Transferring you to {destination_words(destination)}."

    def _cancel_pending_reply(self) -> None:
        if self._pending_reply is not None:
            self._pending_reply.cancel()
            self._pending_reply = None

    # -- speaking -------------------------------------------------------------------------

    def _say_line(self, text: str, then: EndedReason | None = None) -> None:
        """Say `text` in words, after whatever was asked to be said before it."""
        before = self._speech_chain

        async def say() -> None:
            pcm = await speak(text, self.record.sample_rate)
            if before is not None:
                await asyncio.gather(before, return_exceptions=True)
            if not self.ended:
                self._queue_speech(Reply(pcm, text, then), str(uuid.uuid4()))

        self._speech_chain = self._spawn(say(), "vapi-say")

    def _queue_speech(self, reply: Reply, turn_id: str) -> None:
        started: list[float] = []
        then = reply.then
        if then is None and any(p in reply.text.lower() for p in self.profile.end_call_phrases):
            then = EndedReason.ASSISTANT_SAID_END_CALL_PHRASE

        def on_start() -> None:
            started.append(time.time())
            self._playing_turn_id = turn_id
            self._last_activity = self._loop.time()
            self._speech_update("started", "assistant")

        def on_finish(played_s: float, interrupted: bool) -> None:
            self._last_activity = self._loop.time()
            if not started:
                return
            said = (
                f"{reply.text} [interrupted after {played_s:.1f} s]" if interrupted else reply.text
            )
            self.record.add_message(Speaker.BOT, said, started[0], started[0] + played_s)
            if not self.ended:
                self._speech_update("stopped", "assistant")
                self._send_transcript("assistant", "final", said)
                self._send_conversation_update()
            self._turn += 1
            if then is not None and not interrupted:
                if reply.transfer_to is not None:
                    self.record.forward()
                    self._events.emit(
                        {
                            "type": "status-update",
                            "status": "forwarding",
                            "destination": reply.transfer_to,
                        }
                    )
                self.end(then)

        self._player.play(Clip(reply.pcm, on_start, on_finish))

    def _emit_audio(self, frame: bytes) -> None:
        if self._muted:
            return
        self._audio.send_audio(frame)
        if self._tap is not None:
            self._tap.feed_assistant(frame)

    def _control(self, kind: ControlKind) -> None:
        if kind is ControlKind.MUTE_ASSISTANT:
            self._muted = True
        elif kind is ControlKind.UNMUTE_ASSISTANT:
            self._muted = False
        elif kind is ControlKind.SAY_FIRST_MESSAGE and self.profile.first_message:
            self._say_line(self.profile.first_message)

    # -- the clock ------------------------------------------------------------------------

    async def _watchdog(self) -> None:
        silence_s = self.profile.silence_timeout_s
        max_s = self.profile.max_duration_s
        while not self.ended:
            await asyncio.sleep(min(WATCHDOG_PERIOD_S, silence_s / 4))
            now = self._loop.time()
            if now - self._started_at >= max_s:
                self.end(EndedReason.EXCEEDED_MAX_DURATION)
            elif self._busy():
                self._last_activity = now
            elif now - self._last_activity >= silence_s:
                self.end(EndedReason.SILENCE_TIMED_OUT)

    def _busy(self) -> bool:
        saying = self._speech_chain is not None and not self._speech_chain.done()
        return (
            self._player.busy
            or self._detector.speaking
            or self._pending_reply is not None
            or saying
        )

    # -- telling --------------------------------------------------------------------------

    def _speech_update(self, status: str, role: str) -> None:
        self._events.emit(
            {"type": "speech-update", "status": status, "role": role, "turn": self._turn}
        )

    def _send_transcript(self, role: str, kind: str, text: str) -> None:
        self._events.emit(
            {"type": "transcript", "role": role, "transcriptType": kind, "transcript": text}
        )

    def _send_conversation_update(self) -> None:
        self._events.emit(
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
