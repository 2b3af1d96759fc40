"""The sandbox's assistants: the built-in ones, and how any assistant's JSON becomes the
behaviour of a sandbox call.

Timing uses VAPI's own fields, so the same JSON means the same on the cloud:

    startSpeakingPlan.waitSeconds                                     reply delay (0..5 s)
    startSpeakingPlan.transcriptionEndpointingPlan.onNoPunctuationSeconds
                                                     quiet that ends the user's turn (0..3 s)
    stopSpeakingPlan.voiceSeconds                    speech that starts a turn / barges in
    silenceTimeoutSeconds, maxDurationSeconds        when the call ends on its own
    firstMessage, firstMessageMode, endCallPhrases   what it says first, what ends a call

What VAPI has no field for lives in `metadata.sandbox` (the cloud keeps metadata and ignores
it):

    behavior        "echo" (default): repeats each utterance; "greeter": says its first
                    message, then echoes; "scripted": says `lines` in order
    lines           the Scripted assistant's replies, one per user turn
    keywords        {"word": "line"}: a text turn containing the word gets that line
    toolArguments   {"tool name": {...}}: the arguments its function tools are called with
    transferOnTurn  the user turn on which a transferCall tool is used (1 = the first)
    replyDelayMs    the reply delay in ms (older spelling of startSpeakingPlan.waitSeconds)

Tools (`model.tools`) are described in `tools.py`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .errors import bad_request
from .script import Script
from .tools import Toolbox, read_toolbox

ORG_ID = "aeab6f80-89c2-5e98-9ffa-cb6513651d6b"
ECHO_ASSISTANT_ID = "682a7be9-f7e5-53d9-9f87-f0193fd11264"
GREETER_ASSISTANT_ID = "4a407f47-b12b-5007-bb90-5609f4ff5903"
SCRIPTED_ASSISTANT_ID = "9b1c2d4e-3f5a-5b6c-8d7e-0f1a2b3c4d5e"
ORDER_DESK_ASSISTANT_ID = "c3d4e5f6-a7b8-5c9d-8e0f-1a2b3c4d5e6f"
BUILTIN_CREATED_AT = "2026-01-01T00:00:00.000Z"

DEFAULT_REPLY_DELAY_S = 0.4  # VAPI's startSpeakingPlan.waitSeconds default
# VAPI's transcriptionEndpointingPlan.onNoPunctuationSeconds default: the sandbox hears no
# words, so its transcripts never end in punctuation, and VAPI then waits this long.
DEFAULT_END_OF_TURN_S = 1.5
DEFAULT_MIN_SPEECH_S = 0.2  # VAPI's stopSpeakingPlan.voiceSeconds default
DEFAULT_SILENCE_TIMEOUT_S = 30.0
DEFAULT_MAX_DURATION_S = 600.0  # VAPI's own default for maxDurationSeconds
MAX_WAIT_SECONDS = 5.0
MAX_END_OF_TURN_S = 3.0
MAX_REPLY_DELAY_MS = 10_000
GREETER_FIRST_MESSAGE = "Hello from the VoicePanel sandbox. Say something and I will echo it."

SPEAKS_FIRST = "assistant-speaks-first"
WAITS_FOR_USER = "assistant-waits-for-user"
SANDBOX_KEYS = ("behavior", "lines", "keywords", "toolArguments", "transferOnTurn", "replyDelayMs")


class AssistantBehavior(Enum):
    ECHO = "echo"
    GREETER = "greeter"
    SCRIPTED = "scripted"


@dataclass(frozen=True)
class AssistantProfile:
    """What an assistant does in a sandbox call."""

    name: str
    behavior: AssistantBehavior
    reply_delay_s: float = DEFAULT_REPLY_DELAY_S
    end_of_turn_s: float = DEFAULT_END_OF_TURN_S
    min_speech_s: float = DEFAULT_MIN_SPEECH_S
    first_message: str | None = None
    speaks_first: bool = True
    silence_timeout_s: float = DEFAULT_SILENCE_TIMEOUT_S
    max_duration_s: float = DEFAULT_MAX_DURATION_S
    script: Script = field(default_factory=Script)
    tools: Toolbox = field(default_factory=Toolbox)
    end_call_phrases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Timing:
    """The sandbox's defaults where an assistant sets none."""

    reply_delay_s: float = DEFAULT_REPLY_DELAY_S
    end_of_turn_s: float = DEFAULT_END_OF_TURN_S


def builtin_assistants(timing: Timing) -> dict[str, dict[str, Any]]:
    """The saved assistants every sandbox lists, by id, as `GET /assistant` shows them."""
    plan = {
        "waitSeconds": timing.reply_delay_s,
        "transcriptionEndpointingPlan": {"onNoPunctuationSeconds": timing.end_of_turn_s},
    }
    order_tool = {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "description": "Looks up an order's status by its number.",
            "parameters": {
                "type": "object",
                "properties": {"orderNumber": {"type": "string"}},
                "required": ["orderNumber"],
            },
        },
    }
    assistants = [
        _saved(ECHO_ASSISTANT_ID, "Echo", plan, behavior="echo", speaks_first=False),
        _saved(
            GREETER_ASSISTANT_ID,
            "Greeter",
            plan,
            behavior="greeter",
            firstMessage=GREETER_FIRST_MESSAGE,
        ),
        _saved(
            SCRIPTED_ASSISTANT_ID,
            "Scripted",
            plan,
            behavior="scripted",
            firstMessage="Hello, this is the scripted sandbox assistant. How can I help?",
            lines=[
                "I can help with that. What is your order number?",
                "Thank you. Your order shipped on Monday.",
                "Is there anything else I can help you with?",
                "Thank you for calling. Goodbye!",
            ],
            keywords={"refund": "Refunds take five business days."},
        ),
        _saved(
            ORDER_DESK_ASSISTANT_ID,
            "Order desk",
            plan,
            behavior="scripted",
            firstMessage="Order desk. Say anything and I will look up your order.",
            model={"provider": "openai", "model": "gpt-4o-mini", "tools": [order_tool]},
            tool_arguments={"lookup_order": {"orderNumber": "1234"}},
        ),
    ]
    return {a["id"]: a for a in assistants}


def _saved(
    assistant_id: str,
    name: str,
    plan: dict[str, Any],
    *,
    behavior: str,
    speaks_first: bool = True,
    lines: list[str] | None = None,
    keywords: dict[str, str] | None = None,
    tool_arguments: dict[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    sandbox: dict[str, Any] = {"behavior": behavior}
    if lines:
        sandbox["lines"] = lines
    if keywords:
        sandbox["keywords"] = keywords
    if tool_arguments:
        sandbox["toolArguments"] = tool_arguments
    return {
        "id": assistant_id,
        "orgId": ORG_ID,
        "name": name,
        "firstMessageMode": SPEAKS_FIRST if speaks_first else WAITS_FOR_USER,
        "startSpeakingPlan": plan,
        "maxDurationSeconds": DEFAULT_MAX_DURATION_S,
        **fields,
        "metadata": {"sandbox": sandbox},
        "createdAt": BUILTIN_CREATED_AT,
        "updatedAt": BUILTIN_CREATED_AT,
    }


def read_profile(assistant: dict[str, Any], timing: Timing, where: str) -> AssistantProfile:
    """An assistant's JSON (already checked against VAPI's schema) as sandbox behaviour;
    a value the sandbox cannot act on is a 400 naming the field."""
    sandbox = _sandbox_settings(assistant.get("metadata"), where)
    behavior = _behavior(sandbox, where)
    first_message = _string(assistant, "firstMessage", where)
    if behavior is AssistantBehavior.GREETER and not first_message:
        first_message = GREETER_FIRST_MESSAGE
    start_plan = _object(assistant.get("startSpeakingPlan"), f"{where}.startSpeakingPlan")
    endpointing = _object(
        start_plan.get("transcriptionEndpointingPlan"),
        f"{where}.startSpeakingPlan.transcriptionEndpointingPlan",
    )
    stop_plan = _object(assistant.get("stopSpeakingPlan"), f"{where}.stopSpeakingPlan")
    return AssistantProfile(
        name=_string(assistant, "name", where) or "Inline assistant",
        behavior=behavior,
        reply_delay_s=_reply_delay(start_plan, sandbox, timing, where),
        end_of_turn_s=_seconds(
            endpointing.get("onNoPunctuationSeconds"),
            f"{where}.startSpeakingPlan.transcriptionEndpointingPlan.onNoPunctuationSeconds",
            timing.end_of_turn_s,
            low=0.0,
            high=MAX_END_OF_TURN_S,
        ),
        min_speech_s=_seconds(
            stop_plan.get("voiceSeconds"),
            f"{where}.stopSpeakingPlan.voiceSeconds",
            DEFAULT_MIN_SPEECH_S,
            low=0.0,
            high=0.5,
        ),
        first_message=first_message or None,
        speaks_first=_string(assistant, "firstMessageMode", where) != WAITS_FOR_USER,
        silence_timeout_s=_positive(
            assistant, "silenceTimeoutSeconds", DEFAULT_SILENCE_TIMEOUT_S, where
        ),
        max_duration_s=_positive(assistant, "maxDurationSeconds", DEFAULT_MAX_DURATION_S, where),
        script=_script(sandbox, where),
        tools=read_toolbox(assistant, sandbox, where),
        end_call_phrases=_phrases(assistant.get("endCallPhrases"), f"{where}.endCallPhrases"),
    )


def _sandbox_settings(metadata: Any, where: str) -> dict[str, Any]:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise bad_request(f"{where}.metadata must be an object.")
    sandbox = metadata.get("sandbox")
    if sandbox is None:
        return {}
    if not isinstance(sandbox, dict):
        raise bad_request(f"{where}.metadata.sandbox must be an object.")
    for key in sandbox:
        if key not in SANDBOX_KEYS:
            raise bad_request(
                f"{where}.metadata.sandbox.{key} is not a sandbox setting; "
                f"known: {', '.join(SANDBOX_KEYS)}."
            )
    return sandbox


def _behavior(sandbox: dict[str, Any], where: str) -> AssistantBehavior:
    raw = sandbox.get("behavior", AssistantBehavior.ECHO.value)
    try:
        return AssistantBehavior(raw)
    except ValueError:
        choices = ", ".join(repr(b.value) for b in AssistantBehavior)
        raise bad_request(
            f"{where}.metadata.sandbox.behavior must be one of {choices}, not {raw!r}."
        ) from None


def _reply_delay(
    start_plan: dict[str, Any], sandbox: dict[str, Any], timing: Timing, where: str
) -> float:
    wait = start_plan.get("waitSeconds")
    if wait is not None:
        return _seconds(
            wait, f"{where}.startSpeakingPlan.waitSeconds", 0.0, low=0.0, high=MAX_WAIT_SECONDS
        )
    delay_ms = sandbox.get("replyDelayMs")
    if delay_ms is None:
        return timing.reply_delay_s
    if not _finite(delay_ms) or not 0 <= delay_ms <= MAX_REPLY_DELAY_MS:
        raise bad_request(
            f"{where}.metadata.sandbox.replyDelayMs must be a number from 0 to "
            f"{MAX_REPLY_DELAY_MS}, not {delay_ms!r}."
        )
    return delay_ms / 1000


def _script(sandbox: dict[str, Any], where: str) -> Script:
    lines = sandbox.get("lines", [])
    if not isinstance(lines, list) or not all(isinstance(x, str) and x.strip() for x in lines):
        raise bad_request(f"{where}.metadata.sandbox.lines must be a list of non-empty strings.")
    keywords = sandbox.get("keywords", {})
    if not isinstance(keywords, dict) or not all(
        isinstance(v, str) and v.strip() and k.strip() for k, v in keywords.items()
    ):
        raise bad_request(
            f'{where}.metadata.sandbox.keywords must be an object like {{"word": "line"}}.'
        )
    return Script(tuple(lines), tuple(keywords.items()))


def _phrases(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise bad_request(f"{where} must be a list of strings.")
    return tuple(p.strip().lower() for p in value if p.strip())


def _object(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request(f"{where} must be an object.")
    return value


def _string(assistant: dict[str, Any], key: str, where: str) -> str | None:
    value = assistant.get(key)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"{where}.{key} must be a string.")
    return value


def _seconds(value: Any, where: str, default: float, *, low: float, high: float) -> float:
    if value is None:
        return default
    if not _finite(value) or not low <= value <= high:
        raise bad_request(f"{where} must be a number from {low:g} to {high:g}, not {value!r}.")
    return float(value)


def _positive(assistant: dict[str, Any], key: str, default: float, where: str) -> float:
    value = assistant.get(key)
    if value is None:
        return default
    if not _finite(value) or value <= 0:
        raise bad_request(f"{where}.{key} must be a positive number, not {value!r}.")
    return float(value)


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
