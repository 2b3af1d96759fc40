"""Validation of a `POST /call` body: which assistant, its overrides, where its events go,
and the websocket transport's format.

The call runs its *effective* assistant: the saved one (or the inline `assistant`) with
`assistantOverrides` laid over it, top-level field by field (`tools:append` adds to
`model.tools`). Every refusal is a 400 whose message names the field and what would be
accepted.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from voicepanel.vapi_schema import assistant_problems, unknown_call_fields

from .assistants import AssistantProfile, Timing, read_profile
from .errors import bad_request, invalid
from .server_url import ServerSettings, server_settings

DEFAULT_SAMPLE_RATE = 16000
MIN_SAMPLE_RATE = 8000
MAX_SAMPLE_RATE = 48000
_UNSUPPORTED_TARGETS = ("squadId", "squad", "workflowId", "workflow")
_PHONE_FIELDS = ("phoneNumberId", "phoneNumber", "customerId", "customer", "customers")
# What a saved assistant has that an assistant in a call's events (CreateAssistantDto) has not.
_SAVED_ONLY = ("id", "orgId", "createdAt", "updatedAt")


@dataclass(frozen=True)
class CallRequest:
    profile: AssistantProfile
    assistant_id: str | None
    assistant: dict[str, Any] | None  # the inline assistant, as the client sent it
    sample_rate: int
    transport: dict[str, Any]  # as it will be echoed back, without the socket URL
    effective_assistant: dict[str, Any]  # saved or inline, with the overrides applied
    server: ServerSettings
    name: str | None = None
    assistant_overrides: dict[str, Any] | None = None


def parse_call_request(body: Any, saved: dict[str, dict[str, Any]], timing: Timing) -> CallRequest:
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    _check_schema(body)
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
            known = ", ".join(f"{a['name']} ({i})" for i, a in saved.items())
            raise bad_request(f"assistantId {assistant_id!r} does not exist. Known: {known}.")
        base = {k: v for k, v in saved[assistant_id].items() if k not in _SAVED_ONLY}
    else:
        if not isinstance(assistant, dict):
            raise bad_request("assistant must be an object.")
        base = assistant
    overrides = body.get("assistantOverrides")
    if overrides is not None and not isinstance(overrides, dict):
        raise bad_request("assistantOverrides must be an object.")
    if overrides:
        read_profile(overrides, timing, "assistantOverrides")  # names the override at fault
        server_settings(overrides, "assistantOverrides")
    effective = _apply_overrides(base, overrides or {})
    profile = read_profile(effective, timing, "assistant")
    server = server_settings(effective, "assistant")
    sample_rate, transport = _parse_transport(body.get("transport"))
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise bad_request("name must be a string.")
    return CallRequest(
        profile=profile,
        assistant_id=assistant_id,
        assistant=assistant,
        sample_rate=sample_rate,
        transport=transport,
        effective_assistant=effective,
        server=server,
        name=name,
        assistant_overrides=overrides,
    )


def _check_schema(body: dict[str, Any]) -> None:
    """Refuse what VAPI's published schema refuses, with VAPI's messages."""
    problems = [f"property {key} should not exist" for key in unknown_call_fields(body)]
    for key in ("assistant", "assistantOverrides"):
        if body.get(key) is not None:
            problems += assistant_problems(body[key], key)
    if problems:
        raise invalid(problems)


def _apply_overrides(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    effective = copy.deepcopy(base)
    for key, value in overrides.items():
        if key == "tools:append":
            if not isinstance(value, list):
                raise bad_request("assistantOverrides.tools:append must be a list of tools.")
            model = effective.get("model")
            if not isinstance(model, dict):
                raise bad_request("assistantOverrides.tools:append needs the assistant's model.")
            model["tools"] = [*(model.get("tools") or []), *copy.deepcopy(value)]
        elif key != "variableValues":
            effective[key] = copy.deepcopy(value)
    return effective


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
