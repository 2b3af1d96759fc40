"""The JSON messages a client may send to steer a call, on the transport socket or by POST
to the control URL, parsed into values. Anything else is a `CommandError` saying why.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any


class CommandError(ValueError):
    pass


class ControlKind(Enum):
    MUTE_ASSISTANT = "mute-assistant"
    UNMUTE_ASSISTANT = "unmute-assistant"
    SAY_FIRST_MESSAGE = "say-first-message"


@dataclass(frozen=True)
class EndCall:
    pass


@dataclass(frozen=True)
class Say:
    content: str
    end_call_after_spoken: bool = False


@dataclass(frozen=True)
class AddMessage:
    role: str
    content: str
    trigger_response: bool = False


@dataclass(frozen=True)
class Control:
    kind: ControlKind


Command = EndCall | Say | AddMessage | Control

KNOWN_TYPES = ("end-call", "hangup", "say", "add-message", "control")
MAX_SAY_CHARS = 2_000
MAX_MESSAGE_CHARS = 20_000


def parse_command(body: Any) -> Command:
    if not isinstance(body, dict):
        raise CommandError("A control message must be a JSON object with a 'type'.")
    kind = body.get("type")
    if kind in ("end-call", "hangup"):
        return EndCall()
    if kind == "say":
        # Older VAPI docs put the text in "message"; the current API uses "content".
        content = body.get("content", body.get("message"))
        if not isinstance(content, str) or not content.strip():
            raise CommandError("say needs a non-empty string 'content'.")
        if len(content) > MAX_SAY_CHARS:
            raise CommandError(
                f"say: 'content' is {len(content)} characters; at most {MAX_SAY_CHARS}."
            )
        end_after = body.get("endCallAfterSpoken", False)
        if not isinstance(end_after, bool):
            raise CommandError("say: 'endCallAfterSpoken' must be true or false.")
        return Say(content, end_after)
    if kind == "add-message":
        message = body.get("message")
        if not isinstance(message, dict):
            raise CommandError("add-message needs a 'message' object with 'role' and 'content'.")
        role, content = message.get("role"), message.get("content")
        if not isinstance(role, str) or not isinstance(content, str):
            raise CommandError("add-message: message.role and message.content must be strings.")
        if len(content) > MAX_MESSAGE_CHARS:
            raise CommandError(
                f"add-message: message.content is {len(content)} characters; "
                f"at most {MAX_MESSAGE_CHARS}."
            )
        trigger = body.get("triggerResponseEnabled", False)
        if not isinstance(trigger, bool):
            raise CommandError("add-message: 'triggerResponseEnabled' must be true or false.")
        return AddMessage(role, content, trigger)
    if kind == "control":
        control = body.get("control")
        try:
            return Control(ControlKind(control))
        except ValueError:
            choices = ", ".join(k.value for k in ControlKind)
            raise CommandError(f"control must be one of {choices}, not {control!r}.") from None
    raise CommandError(f"Unknown message type {kind!r}; known: {', '.join(KNOWN_TYPES)}.")
