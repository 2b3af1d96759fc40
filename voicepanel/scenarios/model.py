"""What a scenario file says, as frozen values: where it runs, the room, the assistant, the
tool responders, and the turns with what each expects of the reply.

Nothing here reads files or talks to servers: ``loader`` builds these from TOML, the
runner acts on them, ``capture`` writes them back out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from voicepanel.core.fishjam_gateway import RoomSpec

DEFAULT_REPLY_TIMEOUT_S = 15.0
DEFAULT_END_TIMEOUT_S = 15.0
SAMPLE_RATES = (16000, 24000)


class CallEnding(StrEnum):
    """How the call ends after the last turn."""

    HANG_UP = "hang-up"  # the runner ends it through VAPI (VAPI says manually-canceled)
    LEAVE = "leave"  # the local agent leaves and the room closes (customer-ended-call)
    ASSISTANT = "assistant"  # the runner waits for the assistant to end it


class TurnKind(StrEnum):
    SAY = "say"  # text, spoken by the offline speech engine
    AUDIO = "audio"  # a sound file, at any rate
    SILENCE = "silence"  # nothing for a while: the assistant may speak (a greeting)


@dataclass(frozen=True)
class ToolExpectation:
    """A tool the assistant must call in this turn; ``arguments`` must be among its
    arguments (keys not named here may hold anything)."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Expectations:
    reply_within_ms: int | None = None
    reply_min_s: float | None = None
    reply_max_s: float | None = None
    transcript_contains: tuple[str, ...] = ()
    transcript_matches: re.Pattern[str] | None = None
    tools_called: tuple[ToolExpectation, ...] = ()
    ended_reason: str | None = None

    @property
    def empty(self) -> bool:
        return self == Expectations()

    @property
    def needs_reply(self) -> bool:
        """A reply must be heard for these to be checked."""
        return (
            self.reply_within_ms is not None
            or self.reply_min_s is not None
            or self.reply_max_s is not None
        )


@dataclass(frozen=True)
class ScenarioTurn:
    index: int  # 1-based
    kind: TurnKind
    text: str = ""  # SAY
    audio: Path | None = None  # AUDIO, resolved against the scenario's folder
    silence_ms: int = 0  # SILENCE
    barge_in_after_ms: int | None = None  # speak this long after the last reply began
    label: str = ""
    expect: Expectations = field(default_factory=Expectations)

    @property
    def speaks(self) -> bool:
        return self.kind is not TurnKind.SILENCE

    @property
    def title(self) -> str:
        """How reports and progress lines name the turn."""
        if self.label:
            return f"turn {self.index}: {self.label}"
        if self.kind is TurnKind.SAY:
            said = self.text if len(self.text) <= 40 else self.text[:37] + "..."
            what = f'says "{said}"'
        elif self.kind is TurnKind.AUDIO and self.audio is not None:
            what = f"plays {self.audio.name}"
        else:
            what = f"silent {self.silence_ms} ms"
        if self.barge_in_after_ms is not None:
            what = f"barges in after {self.barge_in_after_ms} ms, {what}"
        return f"turn {self.index}: {what}"


@dataclass(frozen=True)
class AssistantChoice:
    """Exactly one of a saved assistant's id or an inline configuration (from the file
    itself or from a JSON file beside it)."""

    assistant_id: str | None = None
    inline: dict[str, Any] | None = None
    source: Path | None = None  # the JSON file the inline configuration came from

    @property
    def label(self) -> str:
        if self.inline is not None:
            return str(self.inline.get("name") or "inline assistant")
        return self.assistant_id or "?"


@dataclass(frozen=True)
class Responder:
    """How the runner answers one tool's calls (or the transfer-destination request)."""

    tool: str
    result: str | None = None
    error: str | None = None
    delay_ms: int = 0


@dataclass(frozen=True)
class Scenario:
    path: Path
    name: str
    assistant: AssistantChoice
    turns: tuple[ScenarioTurn, ...]
    description: str = ""
    profile: str | None = None  # None: the sandbox, unless the command line says otherwise
    room: RoomSpec = field(default_factory=RoomSpec)
    responders: tuple[Responder, ...] = ()
    sample_rate: int = 16000
    reply_timeout_s: float = DEFAULT_REPLY_TIMEOUT_S
    end: CallEnding = CallEnding.HANG_UP
    end_timeout_s: float = DEFAULT_END_TIMEOUT_S

    @property
    def folder(self) -> Path:
        return self.path.parent
