"""ScenarioRunner: plays one scenario against an open Workspace and scores it.

For each run: a room of its own, this computer in it as a local agent (no devices: what it
says comes from files or offline speech, what it hears is measured at the point it would
be played), a recording of both sides, the assistant added as a VAPI peer with live
events, the scenario's tool responders in force; then the turns, one after the other,
each scored as soon as it is over (``on_turn``); then the call ended as the scenario says,
the agent gone and the room deleted. Every failure of a server or a file becomes the run's
``error`` in words: the runner never raises for one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voicepanel.core.audio.audio_file import write_wav
from voicepanel.core.audio.latency import Turn
from voicepanel.core.errors import VoicePanelError
from voicepanel.scenarios.checks import Measured, score
from voicepanel.scenarios.ears import Ears, HeardSpan
from voicepanel.scenarios.model import CallEnding, Responder, Scenario, ScenarioTurn, TurnKind
from voicepanel.scenarios.results import (
    Line,
    Outcome,
    Recording,
    RunResult,
    Span,
    ToolUse,
    TurnResult,
    outcome_of,
)
from voicepanel.scenarios.timeline import EventTimeline, RunClock
from voicepanel.session.conversation import Conversation, Speaker
from voicepanel.session.live_events import LiveEvents
from voicepanel.session.local_agent import LocalAgent
from voicepanel.session.tool_responders import ResponderRule, RuleAction
from voicepanel.session.workspace import Workspace
from voicepanel.speech import SpeechUnavailable, synthesize_async

log = logging.getLogger(__name__)

START_TIMEOUT_S = 20.0  # for the assistant's call to be in progress (Fishjam joined it)
TRANSCRIPT_WAIT_S = 2.0  # after a reply, for its final transcript line to be posted
FILE_START_S = 1.0  # for a file handed to the agent to start playing
MAX_REPLY_S = 120.0  # a reply heard longer than this is cut off by the runner's wait

TurnListener = Callable[[RunResult, TurnResult], None]


@dataclass
class _TurnState:
    turn: ScenarioTurn
    started_at: float  # perf
    window_start: float  # perf: lines and tools from here on are this turn's
    spoke: tuple[float, float | None] | None = None
    anchor: float | None = None  # the end of the utterance, or the start of a silent turn
    reply_start: float | None = None
    latency_ms: float | None = None
    note: str = ""
    result: TurnResult | None = None


def responder_rules(responders: tuple[Responder, ...]) -> tuple[ResponderRule, ...]:
    return tuple(
        ResponderRule(
            tool=r.tool,
            action=RuleAction.ERROR if r.error is not None else RuleAction.RESULT,
            text=r.error if r.error is not None else (r.result or ""),
            delay_s=r.delay_ms / 1000,
        )
        for r in responders
    )


def use_responders(
    live: LiveEvents | None, responders: tuple[Responder, ...]
) -> Callable[[], None]:
    """Puts the scenario's responders ahead of the profile's rules (the first rule for a
    tool answers it) while it runs; returns what puts the profile's rules back."""
    if live is None or not responders:
        return lambda: None
    rules = live.rules
    before = rules.rules
    rules.rules = responder_rules(responders) + before

    def restore() -> None:
        rules.rules = before

    return restore


class ScenarioRunner:
    """Runs scenarios in ``workspace`` (open), one at a time or side by side; keeps the
    recordings and spoken turns under ``folder``."""

    def __init__(
        self,
        workspace: Workspace,
        folder: Path,
        *,
        on_turn: TurnListener | None = None,
        record: bool = True,
        names: bool = True,
    ) -> None:
        self.workspace = workspace
        self.folder = folder
        self.on_turn = on_turn
        self.record = record
        self.names = names  # name the room and the agent for people (not under load)

    async def run(
        self, scenario: Scenario, repeat: int = 1, *, responders: bool = True
    ) -> RunResult:
        """Plays ``scenario`` once (``repeat`` numbers the run); with ``responders``, its
        tool responders are put in force while it runs (a load test sets them once)."""
        return await _Run(self, scenario, repeat, responders).play()


class _Run:
    def __init__(
        self, runner: ScenarioRunner, scenario: Scenario, repeat: int, responders: bool
    ) -> None:
        self.runner = runner
        self.responders = scenario.responders if responders else ()
        self.workspace = runner.workspace
        self.scenario = scenario
        self.repeat = repeat
        self.clock = RunClock()
        self.timeline = EventTimeline(self.clock)
        self._first_turn_from = self.clock.perf0
        self.folder = runner.folder / _safe(f"{scenario.name}-{repeat}")
        self.room_id: str | None = None
        self.call_id: str | None = None
        self.agent: LocalAgent | None = None
        self.ears: Ears | None = None
        self.conversation: Conversation | None = None
        self.states: list[_TurnState] = []
        self.recordings: list[Recording] = []
        self.notes: list[str] = []
        self.ended_reason: str | None = None
        self._unhook: list[Callable[[], None]] = []
        self._ending_done = False

    # -- the run --------------------------------------------------------------------------

    async def play(self) -> RunResult:
        error = ""
        restore = use_responders(self.workspace.live, self.responders)
        try:
            await self._set_up()
            for index, turn in enumerate(self.scenario.turns):
                following = (
                    self.scenario.turns[index + 1] if index + 1 < len(self.scenario.turns) else None
                )
                await self._play_turn(turn, following)
            await self._end_call()
        except VoicePanelError as exc:
            error = str(exc)
            log.info("Scenario %s could not run: %s", self.scenario.name, error)
        finally:
            restore()
            await self._clean_up()
        return self._result(error)

    async def _set_up(self) -> None:
        ws = self.workspace
        self._unhook.append(ws.on_notification(self.timeline.notification))
        live = ws.live
        if live is not None:
            self._unhook.append(live.on_entry.subscribe(self.timeline.vapi))
        if live is None or live.subscription is None:
            reason = live.missing_reason if live is not None else "the profile has no VAPI key"
            self.notes.append(f"No live events: {reason}")
        room = await ws.create_room(self.scenario.room)
        self.room_id = room.id
        self.timeline.mark("room created", room.id)
        self._name(ws.names.name_room, room.id, f"Scenario: {self.scenario.name}")
        agent = LocalAgent.in_workspace(ws, room.id, self.scenario.sample_rate)
        self.agent = agent
        await agent.join()
        self.timeline.mark("local agent joined", agent.peer_id or "")
        self._name(ws.names.name_peer, agent.peer_id or "", "Scenario agent")
        self.ears = Ears(agent)
        if self.runner.record:
            await self._start_recording(agent)
        choice = self.scenario.assistant
        added_at = time.perf_counter()
        record = await ws.add_vapi_assistant(
            room.id, assistant_id=choice.assistant_id, assistant=choice.inline
        )
        self.call_id = record.id
        self.timeline.mark("assistant added", f"call {record.id}")
        self.conversation = ws.calls.conversation(record.id)
        if live is not None:
            self.conversation = live.conversation(record.id)
            self._unhook.append(live.watch_agent(agent))
        self._first_turn_from = added_at

    def _name(self, name: Callable[[str, str], None], object_id: str, text: str) -> None:
        if self.runner.names and object_id:
            try:
                name(object_id, text)
            except VoicePanelError as exc:
                log.info("Could not name %s: %s", object_id, exc)

    async def _start_recording(self, agent: LocalAgent) -> None:
        try:
            recording = await agent.start_recording(self.folder)
        except VoicePanelError as exc:
            self.notes.append(f"Not recorded: {exc}")
            return
        offset = self.clock.now()
        self.recordings = [
            Recording("you", recording.local.path, offset),
            Recording("room", recording.room.path, offset),
        ]

    async def _wait_in_progress(self) -> None:
        """A speaking turn waits for the call to be carried (Fishjam joined it), or the
        assistant would not hear it."""
        call_id = self.call_id or ""
        deadline = time.perf_counter() + START_TIMEOUT_S
        while time.perf_counter() < deadline:
            record = self.workspace.calls.get(call_id)
            status = self.conversation.status if self.conversation else None
            if status in ("in-progress", "ended") or (
                record and record.status in ("in-progress", "ended")
            ):
                if (record and record.ended) or status == "ended":
                    raise VoicePanelError(
                        "The assistant's call ended before the scenario could speak.",
                        f"VAPI said: {self._ended_reason() or 'no reason'}.",
                    )
                return
            await asyncio.sleep(0.05)
        raise VoicePanelError(
            f"The assistant's call did not start within {START_TIMEOUT_S:.0f} s.",
            "Check that Fishjam can reach VAPI and that the assistant is valid.",
        )

    # -- turns ----------------------------------------------------------------------------

    async def _play_turn(self, turn: ScenarioTurn, following: ScenarioTurn | None) -> None:
        assert self.ears is not None and self.agent is not None
        if turn.barge_in_after_ms is not None:
            await self._wait_to_barge_in(turn)
        now = time.perf_counter()
        first = not self.states
        state = _TurnState(turn, now, self._first_turn_from if first and not turn.speaks else now)
        self.states.append(state)
        if turn.speaks:
            await self._wait_in_progress()
            await self._speak(state)
        else:
            await self._stay_silent(state)
        next_barges = following is not None and following.barge_in_after_ms is not None
        if next_barges:
            return  # scored once the turn that cuts in on its reply is over
        await self._finish(state)
        if turn.barge_in_after_ms is not None and len(self.states) > 1:
            await self._finish(self.states[-2])
            self._report(self.states[-2])
        if turn.expect.ended_reason is not None:
            if following is None:
                await self._end_call()
            await self._wait_call_ended(self.scenario.end_timeout_s)
        self._report(state)

    async def _finish(self, state: _TurnState) -> None:
        """Waits for the turn's reply to end and its transcript to arrive."""
        ears = self.ears
        assert ears is not None
        start = state.reply_start
        if start is None:
            return
        await ears.wait_for(
            lambda: (ears.reply_at(start) or HeardSpan(0, 0)).end is not None, MAX_REPLY_S
        )
        await self._wait_transcript(state)

    def _report(self, state: _TurnState) -> None:
        state.result = self._score(state)
        self.timeline.mark(f"turn {state.turn.index} scored")
        listener = self.runner.on_turn
        if listener is not None:
            listener(self._result(""), state.result)

    async def _wait_to_barge_in(self, turn: ScenarioTurn) -> None:
        previous = self.states[-1] if self.states else None
        if previous is None or previous.reply_start is None:
            self.notes.append(f"{turn.title}: there was no reply to barge in on; it spoke at once.")
            return
        due = previous.reply_start + (turn.barge_in_after_ms or 0) / 1000
        await asyncio.sleep(max(0.0, due - time.perf_counter()))

    async def _speak(self, state: _TurnState) -> None:
        assert self.ears is not None and self.agent is not None
        path = await self._audio_for(state.turn)
        start = time.perf_counter()
        await self.agent.play_file(path)
        self.timeline.mark(f"turn {state.turn.index} speaks", path.name)
        await self._wait_file_played()
        ended = time.perf_counter()
        self.timeline.mark(f"turn {state.turn.index} spoke")
        state.spoke = (start, ended)
        ears = self.ears
        turn = await ears.wait_for(lambda: ears.turn_after(start), self.scenario.reply_timeout_s)
        if isinstance(turn, Turn):
            state.anchor = turn.local_end
            state.reply_start = turn.reply_start
            state.latency_ms = turn.latency_s * 1000
            state.spoke = (start, min(ended, turn.local_end))
            return
        # The agent closed no turn: its utterance may not have ended before a reply
        # began (the assistant spoke over it). Fall back on the sound heard after it.
        span = ears.span_after(start)
        if span is not None:
            state.anchor = ended
            state.reply_start = span.start
            state.latency_ms = (span.start - ended) * 1000
            state.note = "The agent measured no turn; latency taken from the end of its file."
        else:
            state.note = f"No reply heard within {self.scenario.reply_timeout_s:g} s."

    async def _audio_for(self, turn: ScenarioTurn) -> Path:
        if turn.kind is TurnKind.AUDIO and turn.audio is not None:
            return turn.audio
        rate = self.scenario.sample_rate
        try:
            pcm = await synthesize_async(turn.text, rate)
        except (SpeechUnavailable, ValueError) as exc:
            raise VoicePanelError(
                f"Could not speak turn {turn.index}'s text.",
                f"{exc} Use an audio file for this turn instead.",
                cause=exc,
            ) from exc
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        path = self.folder / f"turn-{turn.index}.wav"
        try:
            await asyncio.to_thread(_write, path, samples, rate)
        except OSError as exc:
            raise VoicePanelError(
                f"Could not write turn {turn.index}'s speech to {path}.",
                "Choose a report folder you can write to.",
                cause=exc,
            ) from exc
        return path

    async def _wait_file_played(self) -> None:
        agent = self.agent
        assert agent is not None
        deadline = time.perf_counter() + FILE_START_S
        while not agent.playing_file and time.perf_counter() < deadline:
            await asyncio.sleep(0.005)
        while agent.playing_file:
            await asyncio.sleep(0.01)

    async def _stay_silent(self, state: _TurnState) -> None:
        assert self.ears is not None
        ears = self.ears
        state.anchor = state.window_start
        until = state.started_at + state.turn.silence_ms / 1000
        limit = max(until, state.window_start + self.scenario.reply_timeout_s)
        needs_reply = state.turn.expect.needs_reply or bool(state.turn.expect.transcript_contains)
        await asyncio.sleep(max(0.0, until - time.perf_counter()))
        span = ears.span_after(state.window_start)
        if span is None and needs_reply:
            span = await ears.wait_for(
                lambda: ears.span_after(state.window_start), limit - time.perf_counter()
            )
        if isinstance(span, HeardSpan):
            state.reply_start = span.start
            state.latency_ms = (span.start - state.window_start) * 1000
        elif needs_reply:
            state.note = f"No reply heard within {self.scenario.reply_timeout_s:g} s."

    async def _wait_transcript(self, state: _TurnState) -> None:
        conversation = self.conversation
        if conversation is None or self.workspace.live is None:
            return
        deadline = time.perf_counter() + TRANSCRIPT_WAIT_S
        while time.perf_counter() < deadline:
            if (
                not conversation.speaking(Speaker.ASSISTANT)
                and Speaker.ASSISTANT not in conversation.partials
                and self._lines_of(state)
            ):
                return
            await asyncio.sleep(0.05)

    # -- the end --------------------------------------------------------------------------

    async def _end_call(self) -> None:
        call_id = self.call_id
        if call_id is None or self._ending_done:
            return
        self._ending_done = True
        ending = self.scenario.end
        record = self.workspace.calls.get(call_id)
        if record is not None and not record.ended:
            if ending is CallEnding.HANG_UP:
                await self.workspace.end_call(call_id)
            elif ending is CallEnding.LEAVE and self.agent is not None:
                await self.agent.leave()
        self.timeline.mark(f"call end: {ending.value}")
        await self._wait_call_ended(self.scenario.end_timeout_s)
        if self._ended_reason() is None:
            self.notes.append(
                f"The call had not ended {self.scenario.end_timeout_s:g} s after the last turn."
            )

    async def _wait_call_ended(self, timeout_s: float) -> None:
        deadline = time.perf_counter() + timeout_s
        while self._ended_reason() is None and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        if self._ended_reason() is None and self.call_id:
            with contextlib.suppress(VoicePanelError):
                await self.workspace.calls.refresh(self.call_id)

    def _ended_reason(self) -> str | None:
        conversation = self.conversation
        if conversation is not None and conversation.ended and conversation.ended_reason:
            self.ended_reason = conversation.ended_reason
        record = self.workspace.calls.get(self.call_id or "")
        if record is not None and record.ended:
            self.ended_reason = self.ended_reason or record.call.ended_reason or "ended"
        return self.ended_reason

    async def _clean_up(self) -> None:
        agent = self.agent
        if agent is not None:
            with contextlib.suppress(Exception):
                await agent.stop_recording()
            if self.ears is not None:
                self.ears.close()
            with contextlib.suppress(Exception):
                await agent.leave()
        call_id = self.call_id
        record = self.workspace.calls.get(call_id or "")
        if call_id and record is not None and not record.ended:
            with contextlib.suppress(VoicePanelError):
                await self.workspace.end_call(call_id)
        if self.room_id is not None:
            with contextlib.suppress(VoicePanelError):
                await self.workspace.delete_room(self.room_id)
        for unhook in self._unhook:
            unhook()
        self._unhook.clear()

    # -- scoring --------------------------------------------------------------------------

    def _window(self, state: _TurnState) -> tuple[float, float]:
        """The turn's stretch of the call in epoch seconds (VAPI's clock): from its
        utterance (or its start, when silent) to the next turn's start."""
        index = self.states.index(state)
        following = self.states[index + 1] if index + 1 < len(self.states) else None
        end = following.window_start if following is not None else float("inf")
        start = state.spoke[0] if state.spoke is not None else state.window_start
        offset = self.clock.epoch_offset
        return start + offset, end + offset

    def _lines_of(self, state: _TurnState) -> tuple[str, ...]:
        if self.conversation is None:
            return ()
        start, end = self._window(state)
        return tuple(
            line.text
            for line in self.conversation.lines
            if line.role is Speaker.ASSISTANT and start - 0.05 <= line.at < end
        )

    def _tools_of(self, state: _TurnState) -> tuple[ToolUse, ...]:
        if self.conversation is None:
            return ()
        start, end = self._window(state)
        return tuple(
            ToolUse(
                call.name,
                call.arguments,
                self.clock.from_epoch(call.received_at),
                call.result if call.result is not None else (call.error or call.state.value),
            )
            for call in self.conversation.tool_calls.values()
            if start <= call.received_at < end
        )

    def _score(self, state: _TurnState) -> TurnResult:
        assert self.ears is not None
        reply: Span | None = None
        if state.reply_start is not None:
            span = self.ears.reply_at(state.reply_start)
            end = span.end if span is not None else None
            reply = Span(
                self.clock.from_perf(state.reply_start),
                None if end is None else self.clock.from_perf(end),
            )
        transcript = self._lines_of(state)
        tools = self._tools_of(state)
        live = self.workspace.live
        missing = None
        if live is None or live.subscription is None:
            missing = live.missing_reason if live is not None else "no VAPI key"
        measured = Measured(
            latency_ms=state.latency_ms,
            reply=reply,
            transcript=transcript,
            tools=tools,
            ended_reason=self._ended_reason(),
            events_missing=missing,
        )
        spoke = None
        if state.spoke is not None:
            until = state.spoke[1]
            spoke = Span(
                self.clock.from_perf(state.spoke[0]),
                None if until is None else self.clock.from_perf(until),
            )
        return TurnResult(
            turn=state.turn,
            started_at=self.clock.from_perf(state.started_at),
            spoke=spoke,
            reply=reply,
            latency_ms=state.latency_ms,
            transcript=transcript,
            tools=tools,
            checks=score(state.turn.expect, measured),
            note=state.note,
        )

    def _result(self, error: str) -> RunResult:
        final = (
            not error
            and all(s.result is not None for s in self.states)
            and len(self.states) == len(self.scenario.turns)
        )
        turns: tuple[TurnResult, ...] = ()
        if self.ears is not None:
            turns = tuple(self._score(s) for s in self.states)
        # A run stopped before its last turn was scored did not pass, whatever was scored.
        complete = outcome_of(turns) if final else Outcome.FAILED
        outcome = Outcome.ERROR if error else complete
        return RunResult(
            scenario=self.scenario,
            started_at=self.clock.epoch0,
            duration_s=time.perf_counter() - self.clock.perf0,
            outcome=outcome,
            turns=turns,
            error=error,
            repeat=self.repeat,
            room_id=self.room_id,
            call_id=self.call_id,
            ended_reason=self.ended_reason,
            transcript=self._transcript(),
            timeline=self.timeline.entries(self.room_id, self.call_id),
            recordings=tuple(r for r in self.recordings if r.path.exists()),
            notes=tuple(self.notes),
        )

    def _transcript(self) -> tuple[Line, ...]:
        conversation = self.conversation
        if conversation is None:
            return ()
        return tuple(
            Line(str(line.role), line.text, self.clock.from_epoch(line.at))
            for line in conversation.lines
        )


def _write(path: Path, samples: np.ndarray, rate: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_wav(path, samples, rate)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-")[:60] or "scenario"
