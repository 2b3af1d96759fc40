"""Validation of a `POST /call` body: which assistant, and the websocket transport's format.

Every refusal is a 400 whose message names the field and what would be accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .assistants import AssistantProfile, profile_from_inline
from .errors import bad_request

DEFAULT_SAMPLE_RATE = 16000
MIN_SAMPLE_RATE = 8000
MAX_SAMPLE_RATE = 48000
_UNSUPPORTED_TARGETS = ("squadId", "squad", "workflowId", "workflow")
_PHONE_FIELDS = ("phoneNumberId", "phoneNumber", "customerId", "customer", "customers")


@dataclass(frozen=True)
class CallRequest:
    profile: AssistantProfile
    assistant_id: str | None
    assistant: dict[str, Any] | None  # the inline assistant, as the client sent it
    sample_rate: int
    transport: dict[str, Any]  # as it will be echoed back, without the socket URL
    name: str | None = None
    assistant_overrides: dict[str, Any] | None = None


def parse_call_request(
    body: Any, saved: dict[str, AssistantProfile], default_reply_delay_s: float
) -> CallRequest:
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    for key in _UNSUPPORTED_TARGETS:
        if body.get(key) is not None:
            raise bad_request(f"{key} is not supported by the sandbox: use assistantId/assistant.")
    for key in _PHONE_FIELDS:
        if body.get(key) is not None:
            raise bad_request(f"{key} is not permitted with the vapi.websocket transport.")
    assistant_id = body.get("assistantId")
    assistant = body.get("assistant")
    if assistant_id is not None and assistant is not None:
        raise bad_request("Give either assistantId or assistant, not both.")
    if assistant_id is None and assistant is None:
        raise bad_request("assistantId or assistant is required.")
    if assistant_id is not None:
        if not isinstance(assistant_id, str) or assistant_id not in saved:
            known = ", ".join(f"{p.name} ({i})" for i, p in saved.items())
            raise bad_request(f"assistantId {assistant_id!r} does not exist. Known: {known}.")
        profile = saved[assistant_id]
    else:
        profile = profile_from_inline(assistant, default_reply_delay_s)
    sample_rate, transport = _parse_transport(body.get("transport"))
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise bad_request("name must be a string.")
    overrides = body.get("assistantOverrides")
    if overrides is not None and not isinstance(overrides, dict):
        raise bad_request("assistantOverrides must be an object.")
    return CallRequest(
        profile=profile,
        assistant_id=assistant_id,
        assistant=assistant,
        sample_rate=sample_rate,
        transport=transport,
        name=name,
        assistant_overrides=overrides,
    )


def _parse_transport(transport: Any) -> tuple[int, dict[str, Any]]:
    if transport is None:
        raise bad_request(
            'transport is required: the sandbox carries only {"provider": "vapi.websocket"} calls.'
        )
    if not isinstance(transport, dict):
        raise bad_request("transport must be an object.")
    provider = transport.get("provider")
    if provider != "vapi.websocket":
        raise bad_request(
            f'transport.provider must be "vapi.websocket" in the sandbox, not {provider!r}.'
        )
    audio = transport.get("audioFormat")
    if audio is None:
        audio = {"format": "pcm_s16le", "container": "raw", "sampleRate": DEFAULT_SAMPLE_RATE}
    if not isinstance(audio, dict):
        raise bad_request("transport.audioFormat must be an object.")
    fmt = audio.get("format", "pcm_s16le")
    if fmt != "pcm_s16le":
        raise bad_request(
            f'transport.audioFormat.format must be "pcm_s16le" in the sandbox, not {fmt!r}.'
        )
    container = audio.get("container", "raw")
    if container != "raw":
        raise bad_request(f'transport.audioFormat.container must be "raw", not {container!r}.')
    rate = audio.get("sampleRate", DEFAULT_SAMPLE_RATE)
    valid_number = isinstance(rate, int | float) and not isinstance(rate, bool)
    if (
        not valid_number
        or rate != int(rate)
        or not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE
        or int(rate) % 50  # a 20 ms frame must hold a whole number of samples
    ):
        raise bad_request(
            f"transport.audioFormat.sampleRate must be a whole number of Hz from {MIN_SAMPLE_RATE}"
            f" to {MAX_SAMPLE_RATE} (e.g. 16000 or 24000), not {rate!r}."
        )
    sample_rate = int(rate)
    echoed = dict(transport)
    echoed["audioFormat"] = {"format": "pcm_s16le", "container": "raw", "sampleRate": sample_rate}
    return sample_rate, echoed
