"""What presenter mode says about a room, worked out from the session's plain objects:
who is speaking (the assistant by its call's live events, the local agent by its levels),
and the last turns' latency. No widgets here: the presenter's widgets only draw these values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from voicepanel.session.agent_status import AgentLevels, AgentState, AgentStatus
from voicepanel.session.conversation import Conversation, Speaker
from voicepanel.ui.state_style import Tone

# A local agent sending audio above this level is speaking (below it: room noise, or a
# file's quiet between sentences).
SPEAKING_DBFS = -45.0
LATENCY_TURNS = 4  # the last turns shown; a presenter talks about the newest ones


class Activity(Enum):
    """One side of the conversation, as a word and a colour an audience reads at once."""

    SPEAKING = ("Speaking", Tone.GOOD)
    THINKING = ("Thinking", Tone.WARN)  # the user stopped; the reply has not started
    LISTENING = ("Listening", Tone.INFO)
    JOINING = ("Joining", Tone.WARN)
    DROPPED = ("Reconnecting", Tone.BAD)
    ENDED = ("Call ended", Tone.IDLE)
    ABSENT = ("Not in the room", Tone.IDLE)

    @property
    def word(self) -> str:
        return self.value[0]

    @property
    def tone(self) -> Tone:
        return self.value[1]


def assistant_activity(call: Any | None, conversation: Conversation | None) -> Activity:
    """The assistant's activity from its call record and live conversation."""
    if call is None:
        return Activity.ABSENT
    if call.ended or (conversation is not None and conversation.ended):
        return Activity.ENDED
    if conversation is None:
        return Activity.JOINING if call.status != "in-progress" else Activity.LISTENING
    if conversation.speaking(Speaker.ASSISTANT):
        return Activity.SPEAKING
    last = conversation.spans[-1] if conversation.spans else None
    if last is not None and last.role is Speaker.USER and last.end is not None:
        return Activity.THINKING
    if call.status != "in-progress" and not conversation.spans:
        return Activity.JOINING
    return Activity.LISTENING


def agent_activity(status: AgentStatus | None, levels: AgentLevels | None) -> Activity:
    """The local agent's activity: speaking while it sends audio above the floor."""
    if status is None or status.state in (AgentState.IDLE, AgentState.LEFT):
        return Activity.ABSENT
    if status.state is AgentState.JOINING:
        return Activity.JOINING
    if status.state is AgentState.DROPPED:
        return Activity.DROPPED
    if levels is not None and levels.transmitting and levels.input.rms_dbfs > SPEAKING_DBFS:
        return Activity.SPEAKING
    return Activity.LISTENING


def user_activity(conversation: Conversation | None) -> Activity:
    """The person talking to the assistant, as VAPI hears them (no local agent here)."""
    if conversation is None or conversation.ended:
        return Activity.ABSENT
    return Activity.SPEAKING if conversation.speaking(Speaker.USER) else Activity.LISTENING


@dataclass(frozen=True)
class TurnLatency:
    """One turn's latency: VAPI's reply delay, and voice-to-voice at the local agent."""

    index: int
    reply_delay_s: float | None
    voice_to_voice_s: float | None


def recent_latencies(
    conversation: Conversation | None,
    agent_turns: Sequence[Any] = (),
    count: int = LATENCY_TURNS,
) -> list[TurnLatency]:
    """The last ``count`` turns, oldest first: VAPI's turns (with the local agent's
    latency paired in when it measured one), or only the agent's when no live events
    came (a call on the cloud without a public address)."""
    if conversation is not None and conversation.turns:
        return [
            TurnLatency(t.index, t.reply_delay_s, t.local_latency_s)
            for t in conversation.turns[-count:]
        ]
    return [TurnLatency(t.index, None, t.latency_s) for t in agent_turns[-count:]]


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"
