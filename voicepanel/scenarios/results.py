"""What a scenario run measured and how each expectation came out, as frozen values the
terminal, JUnit XML, the HTML report and the window all read.

Times inside a run are seconds from the run's start (``RunResult.started_at`` is the epoch
time of that instant), so the report can draw turns, speech and events on one axis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from voicepanel.scenarios.model import Scenario, ScenarioTurn


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"  # an expectation did not hold
    ERROR = "error"  # the run could not be made (set-up, a server refused)


@dataclass(frozen=True)
class Check:
    """One expectation: what was expected, what was measured, whether it held."""

    name: str  # e.g. "reply starts within"
    expected: str  # e.g. "800 ms"
    measured: str  # e.g. "1934 ms", or "no reply heard"
    passed: bool

    def sentence(self) -> str:
        verdict = "ok" if self.passed else "FAILED"
        return f"{self.name}: expected {self.expected}, measured {self.measured} ({verdict})"


@dataclass(frozen=True)
class ToolUse:
    name: str
    arguments: Any
    at: float  # run seconds
    answer: str = ""  # the result or error the assistant got, in words


@dataclass(frozen=True)
class Span:
    start: float
    end: float | None = None  # None: still going when the run ended

    @property
    def duration_s(self) -> float | None:
        return None if self.end is None else self.end - self.start


@dataclass(frozen=True)
class TurnResult:
    turn: ScenarioTurn
    started_at: float  # run seconds
    spoke: Span | None = None  # the local side's utterance, as the agent sent it
    reply: Span | None = None  # the assistant's reply, as heard at the local agent
    latency_ms: float | None = None  # from the anchor (end of the utterance) to the reply
    transcript: tuple[str, ...] = ()  # the assistant's final lines in this turn
    tools: tuple[ToolUse, ...] = ()
    checks: tuple[Check, ...] = ()
    note: str = ""  # what the runner noticed (no reply, live events missing...)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed)

    @property
    def latency_limit_ms(self) -> int | None:
        return self.turn.expect.reply_within_ms


@dataclass(frozen=True)
class Line:
    role: str  # "user" | "assistant"
    text: str
    at: float  # run seconds


@dataclass(frozen=True)
class TimelineEntry:
    at: float  # run seconds
    source: str  # "fishjam" | "vapi" | "runner"
    kind: str  # e.g. "PeerConnected", "speech-update", "turn 2 spoke"
    details: str = ""


@dataclass(frozen=True)
class Recording:
    label: str  # "you" | "room" | a peer
    path: Path
    offset_s: float = 0.0  # run seconds at its first sample


@dataclass(frozen=True)
class RunResult:
    scenario: Scenario
    started_at: float  # epoch seconds
    duration_s: float
    outcome: Outcome
    turns: tuple[TurnResult, ...] = ()
    error: str = ""  # why the run could not be made, in words (ERROR)
    repeat: int = 1  # 1-based, with --repeat
    room_id: str | None = None
    call_id: str | None = None
    ended_reason: str | None = None
    transcript: tuple[Line, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    recordings: tuple[Recording, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASSED

    @property
    def failed_turns(self) -> tuple[TurnResult, ...]:
        return tuple(t for t in self.turns if not t.passed)


def outcome_of(turns: tuple[TurnResult, ...]) -> Outcome:
    return Outcome.PASSED if all(t.passed for t in turns) else Outcome.FAILED
