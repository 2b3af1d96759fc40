"""The sandbox's assistants: the built-in Echo and Greeter, and inline assistants.

An assistant's sandbox behaviour comes from its `metadata`, a free-form object in VAPI's
API, so the same JSON is accepted by the cloud (which ignores it):

    {
      "name": "My echo",
      "firstMessage": "Hello!",                      # optional, spoken as a tonal prompt
      "firstMessageMode": "assistant-speaks-first",  # or "assistant-waits-for-user"
      "silenceTimeoutSeconds": 30,                   # optional, default 30
      "maxDurationSeconds": 600,                     # optional, default 600
      "metadata": {"sandbox": {"behavior": "echo", "replyDelayMs": 400}}
    }

`behavior` is "echo" (play each utterance back after the reply delay) or "greeter" (speak
the first message as a melody on connect, then echo; default first message if none is
given). `replyDelayMs` (0..10000) overrides the sandbox's reply delay. Both keys are
optional; an inline assistant without sandbox metadata is an Echo that speaks its
`firstMessage`, if it has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from .errors import bad_request

ORG_ID = "aeab6f80-89c2-5e98-9ffa-cb6513651d6b"
ECHO_ASSISTANT_ID = "682a7be9-f7e5-53d9-9f87-f0193fd11264"
GREETER_ASSISTANT_ID = "4a407f47-b12b-5007-bb90-5609f4ff5903"
BUILTIN_CREATED_AT = "2026-01-01T00:00:00.000Z"

DEFAULT_SILENCE_TIMEOUT_S = 30.0
DEFAULT_MAX_DURATION_S = 600.0  # VAPI's own default for maxDurationSeconds
MAX_REPLY_DELAY_MS = 10_000
GREETER_FIRST_MESSAGE = "Hello from the VoicePanel sandbox. Say something and I will echo it."

SPEAKS_FIRST = "assistant-speaks-first"
WAITS_FOR_USER = "assistant-waits-for-user"


class AssistantBehavior(Enum):
    ECHO = "echo"
    GREETER = "greeter"


@dataclass(frozen=True)
class AssistantProfile:
    """What an assistant does in a sandbox call."""

    name: str
    behavior: AssistantBehavior
    reply_delay_s: float
    first_message: str | None = None
    speaks_first: bool = True
    silence_timeout_s: float = DEFAULT_SILENCE_TIMEOUT_S
    max_duration_s: float = DEFAULT_MAX_DURATION_S
    id: str | None = None  # None for an inline assistant


def builtin_assistants(reply_delay_s: float) -> dict[str, AssistantProfile]:
    """The saved assistants every sandbox lists, by id."""
    echo = AssistantProfile(
        id=ECHO_ASSISTANT_ID,
        name="Echo",
        behavior=AssistantBehavior.ECHO,
        reply_delay_s=reply_delay_s,
        speaks_first=False,
    )
    greeter = AssistantProfile(
        id=GREETER_ASSISTANT_ID,
        name="Greeter",
        behavior=AssistantBehavior.GREETER,
        reply_delay_s=reply_delay_s,
        first_message=GREETER_FIRST_MESSAGE,
    )
    return {echo.id: echo, greeter.id: greeter}  # type: ignore[dict-item]


def assistant_json(profile: AssistantProfile) -> dict[str, Any]:
    """A saved assistant as `GET /assistant` shows it (parses as the SDK's `Assistant`)."""
    body: dict[str, Any] = {
        "id": profile.id,
        "orgId": ORG_ID,
        "name": profile.name,
        "firstMessageMode": SPEAKS_FIRST if profile.speaks_first else WAITS_FOR_USER,
        "silenceTimeoutSeconds": profile.silence_timeout_s,
        "maxDurationSeconds": profile.max_duration_s,
        "metadata": {
            "sandbox": {
                "behavior": profile.behavior.value,
                "replyDelayMs": round(profile.reply_delay_s * 1000),
            }
        },
        "createdAt": BUILTIN_CREATED_AT,
        "updatedAt": BUILTIN_CREATED_AT,
    }
    if profile.first_message:
        body["firstMessage"] = profile.first_message
    return body


def profile_from_inline(assistant: Any, default_reply_delay_s: float) -> AssistantProfile:
    """Read an inline `assistant` object; raise a 400 that names the bad field."""
    if not isinstance(assistant, dict):
        raise bad_request("assistant must be an object.")
    name = assistant.get("name", "Inline assistant")
    if not isinstance(name, str):
        raise bad_request("assistant.name must be a string.")
    first_message = assistant.get("firstMessage")
    if first_message is not None and not isinstance(first_message, str):
        raise bad_request("assistant.firstMessage must be a string.")
    mode = assistant.get("firstMessageMode", SPEAKS_FIRST)
    if not isinstance(mode, str):
        raise bad_request("assistant.firstMessageMode must be a string.")
    behavior, reply_delay_s = _sandbox_metadata(assistant.get("metadata"), default_reply_delay_s)
    if behavior is AssistantBehavior.GREETER and not first_message:
        first_message = GREETER_FIRST_MESSAGE
    return AssistantProfile(
        name=name,
        behavior=behavior,
        reply_delay_s=reply_delay_s,
        first_message=first_message or None,
        speaks_first=mode != WAITS_FOR_USER,
        silence_timeout_s=_positive(assistant, "silenceTimeoutSeconds", DEFAULT_SILENCE_TIMEOUT_S),
        max_duration_s=_positive(assistant, "maxDurationSeconds", DEFAULT_MAX_DURATION_S),
    )


def _sandbox_metadata(metadata: Any, default_delay_s: float) -> tuple[AssistantBehavior, float]:
    if metadata is None:
        return AssistantBehavior.ECHO, default_delay_s
    if not isinstance(metadata, dict):
        raise bad_request("assistant.metadata must be an object.")
    sandbox = metadata.get("sandbox")
    if sandbox is None:
        return AssistantBehavior.ECHO, default_delay_s
    if not isinstance(sandbox, dict):
        raise bad_request("assistant.metadata.sandbox must be an object.")
    raw_behavior = sandbox.get("behavior", AssistantBehavior.ECHO.value)
    try:
        behavior = AssistantBehavior(raw_behavior)
    except ValueError:
        choices = ", ".join(repr(b.value) for b in AssistantBehavior)
        raise bad_request(
            f"assistant.metadata.sandbox.behavior must be one of {choices}, not {raw_behavior!r}."
        ) from None
    delay_ms = sandbox.get("replyDelayMs")
    if delay_ms is None:
        return behavior, default_delay_s
    if not _is_number(delay_ms) or not 0 <= delay_ms <= MAX_REPLY_DELAY_MS:
        raise bad_request(
            f"assistant.metadata.sandbox.replyDelayMs must be a number from 0 to "
            f"{MAX_REPLY_DELAY_MS}, not {delay_ms!r}."
        )
    return behavior, delay_ms / 1000


def _positive(assistant: dict[str, Any], key: str, default: float) -> float:
    value = assistant.get(key)
    if value is None:
        return default
    if not _is_number(value) or value <= 0:
        raise bad_request(f"assistant.{key} must be a positive number, not {value!r}.")
    return float(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
