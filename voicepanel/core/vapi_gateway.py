"""VapiGateway: lists assistants, starts VAPI calls for Fishjam and steers them.

Calls are created with a ``vapi.websocket`` transport so Fishjam can carry them, and, when
the panel listens for live events, with the server URL and the messages it wants
(``EventSubscription``). The panel steers a running call only through its
``monitor.controlUrl`` (say, add a message, mute, end-call) and reads it back with
``calls.get``. ``calls.delete`` is never used to end a call: it erases the record.

Calls and assistants are read as plain JSON through the SDK's own HTTP client (its
authentication, headers, base URL and retries) rather than its typed methods: those build
pydantic models of VAPI's whole call schema for every answer, up to half a second of CPU
each on the event loop (the window's, in the desktop app), and the panel reads a dozen
fields of it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast
from urllib.parse import quote

import aiohttp
import httpx
from vapi.core import AsyncClientWrapper
from vapi.core.api_error import ApiError
from vapi.environment import VapiEnvironment

from voicepanel.core.assistant_check import check_inline_assistant
from voicepanel.core.errors_map import VapiContext, refusal, vapi_error
from voicepanel.core.redact import MASK, REDACTOR

T = TypeVar("T")

REQUEST_TIMEOUT_S = 30.0
SECRET_KEYS = frozenset(
    {"apikey", "api_key", "authorization", "token", "secret", "password", "x-vapi-secret"}
)
MESSAGE_ROLES = ("user", "system")


@dataclass(frozen=True)
class AssistantInfo:
    id: str
    name: str


@dataclass(frozen=True)
class CallInfo:
    id: str
    status: str  # scheduled, queued, ringing, in-progress, forwarding, ended
    ended_reason: str | None
    assistant_id: str | None
    assistant_name: str | None
    created_at: str | None
    started_at: str | None
    ended_at: str | None
    websocket_call_url: str | None
    control_url: str | None
    listen_url: str | None
    transcript: str | None
    summary: str | None
    cost: float | None
    messages: tuple[dict[str, Any], ...] = ()  # artifact messages when present
    raw: dict[str, Any] = field(default_factory=dict)  # the call's JSON, secrets masked

    @property
    def ended(self) -> bool:
        return self.status == "ended"


@dataclass(frozen=True)
class EventSubscription:
    """Where VAPI should post a call's live events, and which ones."""

    url: str
    secret: str  # sent back by VAPI in the X-Vapi-Secret header of every post
    timeout_s: float  # how long VAPI waits for an answer (tool calls)
    messages: tuple[str, ...]

    def server(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "timeoutSeconds": self.timeout_s,
            "headers": {"X-Vapi-Secret": self.secret},
        }

    def applied(self, assistant_id: str | None, assistant: dict[str, Any] | None) -> dict[str, Any]:
        """The create-call fields: overrides for a saved assistant, or the inline
        assistant with its server and messages set."""
        fields = {"server": self.server(), "serverMessages": list(self.messages)}
        if assistant is not None:
            return {"assistant": {**assistant, **fields}}
        return {"assistantId": assistant_id, "assistantOverrides": fields}


def transport_for(sample_rate: int) -> dict[str, Any]:
    """The transport Fishjam needs: raw PCM16 mono over VAPI's WebSocket."""
    return {
        "provider": "vapi.websocket",
        "audioFormat": {"format": "pcm_s16le", "container": "raw", "sampleRate": sample_rate},
    }


# --- reading a call's JSON --------------------------------------------------------------


def _scrub(value: Any, api_key: str) -> Any:
    """A copy of the call's JSON with every secret masked."""
    if isinstance(value, dict):
        return {
            k: (MASK if str(k).lower() in SECRET_KEYS and v else _scrub(v, api_key))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub(v, api_key) for v in value]
    if isinstance(value, str):
        if api_key and api_key in value:
            value = value.replace(api_key, MASK)
        return REDACTOR.redact(value)
    return value


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def call_info_from_dict(
    data: dict[str, Any], api_key: str = "", assistant_names: dict[str, str] | None = None
) -> CallInfo:
    """Build a CallInfo from a call's JSON (camelCase keys, as VAPI sends it)."""
    assistant_id = _text(data.get("assistantId"))
    assistant_name = _text(_get(data, "assistant", "name"))
    if assistant_name is None and assistant_id and assistant_names:
        assistant_name = assistant_names.get(assistant_id)
    messages = _get(data, "artifact", "messages")
    if not isinstance(messages, list):
        messages = data.get("messages")
    raw = cast(dict[str, Any], _scrub(data, api_key))
    return CallInfo(
        id=str(data.get("id") or ""),
        status=str(data.get("status") or "queued"),
        ended_reason=_text(data.get("endedReason")),
        assistant_id=assistant_id,
        assistant_name=assistant_name,
        created_at=_text(data.get("createdAt")),
        started_at=_text(data.get("startedAt")),
        ended_at=_text(data.get("endedAt")),
        websocket_call_url=_text(_get(data, "transport", "websocketCallUrl")),
        control_url=_text(_get(data, "monitor", "controlUrl")),
        listen_url=_text(_get(data, "monitor", "listenUrl")),
        transcript=_text(_get(data, "artifact", "transcript") or data.get("transcript")),
        summary=_text(_get(data, "analysis", "summary") or data.get("summary")),
        cost=_float(data.get("cost")),
        messages=tuple(
            cast(dict[str, Any], _scrub(m, api_key))
            for m in (messages if isinstance(messages, list) else [])
            if isinstance(m, dict)
        ),
        raw=raw,
    )


def _call_dict(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise TypeError(f"expected a VAPI call object, got {type(data).__name__}")
    # A batch answer ("results": [...]) only comes for multi-customer phone calls; take the one.
    if "id" not in data and isinstance(data.get("results"), list) and data["results"]:
        first = data["results"][0]
        if isinstance(first, dict):
            return first
    return data


# --- the gateway ------------------------------------------------------------------------


class VapiGateway:
    """Async facade over the VAPI REST API and the calls' control URLs; raises only
    VoicePanelError."""

    def __init__(self, api_key: str, base_url: str | None = None) -> None:
        REDACTOR.add(api_key)
        self._api_key = api_key
        self.base_url: str = (base_url or VapiEnvironment.DEFAULT.value).rstrip("/")
        self._http = httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S)
        # The SDK's HTTP layer, as AsyncVapi builds it for its typed clients.
        self._sdk = AsyncClientWrapper(
            token=api_key,
            base_url=self.base_url,
            timeout=REQUEST_TIMEOUT_S,
            httpx_client=self._http,
        )
        self._session: aiohttp.ClientSession | None = None
        self._assistant_names: dict[str, str] = {}

    async def close(self) -> None:
        """Release the HTTP connections (the calls themselves keep running)."""
        await self._http.aclose()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _context(self, action: str, call_id: str | None = None, url: str = "") -> VapiContext:
        return VapiContext(action=action, url=url or self.base_url, call_id=call_id)

    async def _call(self, ctx: VapiContext, make: Callable[[], Awaitable[T]]) -> T:
        try:
            return await make()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure becomes a readable error
            raise vapi_error(exc, ctx) from exc

    def _info(self, result: Any) -> CallInfo:
        return call_info_from_dict(_call_dict(result), self._api_key, self._assistant_names)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> Any:
        """One REST request through the SDK's HTTP client; the answer as plain JSON.

        An error status raises the SDK's ApiError, as its typed methods do, so it maps to
        the same sentences; a success that is not JSON raises the decoding error (an answer
        VoicePanel cannot read: a proxy's page, say).
        """
        response = await self._sdk.httpx_client.request(
            path, method=method, params=params, json=body
        )
        if 200 <= response.status_code < 300:
            return response.json()
        raise ApiError(
            status_code=response.status_code,
            headers=dict(response.headers),
            body=_error_body(response.text),
        )

    async def list_assistants(self, limit: int = 100) -> list[AssistantInfo]:
        """GET /assistant: each assistant's id and name."""
        ctx = self._context("Could not list the VAPI assistants.")
        data = await self._call(
            ctx, lambda: self._request("GET", "assistant", params={"limit": limit})
        )
        if not isinstance(data, list):
            raise vapi_error(TypeError("the assistant list is not a JSON array"), ctx)
        infos = [
            AssistantInfo(id=str(a["id"]), name=str(a.get("name") or a["id"]))
            for a in data
            if isinstance(a, dict) and a.get("id")
        ]
        self._assistant_names.update({a.id: a.name for a in infos})
        return infos

    async def create_call(
        self,
        *,
        assistant_id: str | None = None,
        assistant: dict[str, Any] | None = None,
        sample_rate: int = 16000,
        events: EventSubscription | None = None,
    ) -> CallInfo:
        """Starts a call Fishjam can carry; with ``events``, VAPI posts its live events
        to the subscription's URL."""
        action = "Could not start the VAPI call."
        if (assistant_id is None) == (assistant is None) or assistant_id == "":
            raise refusal(
                f"{action} Choose either a saved assistant or an inline assistant, not both"
                " and not neither.",
                "Pick an assistant from the list, or paste an assistant's JSON.",
            )
        if assistant is not None and not isinstance(assistant, dict):
            raise refusal(
                f"{action} The inline assistant must be a JSON object.",
                'Paste an assistant like {"name": "...", "model": {...}, "voice": {...}}.',
            )
        if assistant is not None:
            check_inline_assistant(assistant, action)
        if sample_rate not in (8000, 16000, 24000, 48000):
            raise refusal(
                f"{action} {sample_rate} Hz is not a sample rate VAPI streams.",
                "Use 16000 Hz, the rate Fishjam's VAPI peers use.",
            )
        body: dict[str, Any] = {"transport": transport_for(sample_rate)}
        if events is not None:
            REDACTOR.add(events.secret)
            body.update(events.applied(assistant_id, assistant))
        elif assistant_id is not None:
            body["assistantId"] = assistant_id
        else:
            body["assistant"] = assistant
        ctx = self._context(action)
        result = await self._call(ctx, lambda: self._request("POST", "call", body=body))
        try:
            return self._info(result)
        except Exception as exc:  # noqa: BLE001
            raise vapi_error(exc, ctx) from exc

    async def get_call(self, call_id: str) -> CallInfo:
        ctx = self._context(f"Could not read call {call_id}.", call_id)
        result = await self._call(
            ctx, lambda: self._request("GET", f"call/{quote(call_id, safe='')}")
        )
        try:
            return self._info(result)
        except Exception as exc:  # noqa: BLE001
            raise vapi_error(exc, ctx) from exc

    async def list_calls(self, limit: int = 100) -> list[CallInfo]:
        ctx = self._context("Could not list the VAPI calls.")
        calls = await self._call(ctx, lambda: self._request("GET", "call", params={"limit": limit}))
        try:
            if not isinstance(calls, list):
                raise TypeError("the call list is not a JSON array")
            return [self._info(c) for c in calls]
        except Exception as exc:  # noqa: BLE001
            raise vapi_error(exc, ctx) from exc

    async def say(self, call: CallInfo, text: str, end_call_after: bool = False) -> None:
        """Make the assistant speak ``text`` in the running call."""
        if not text.strip():
            raise refusal(
                f"Could not make the assistant speak in call {call.id}. There is nothing to say.",
                "Type the line the assistant should say.",
            )
        await self._control(
            call,
            {"type": "say", "content": text, "endCallAfterSpoken": end_call_after},
            f"Could not make the assistant speak in call {call.id}.",
        )

    async def add_message(
        self, call: CallInfo, role: str, content: str, trigger_response: bool = True
    ) -> None:
        """Adds a user or system message to the conversation; with ``trigger_response``
        the assistant answers it."""
        action = f"Could not add a message to call {call.id}."
        if role not in MESSAGE_ROLES:
            raise refusal(f"{action} {role!r} is not a role.", "Choose user or system.")
        if not content.strip():
            raise refusal(f"{action} The message is empty.", "Type the message to add.")
        body = {
            "type": "add-message",
            "message": {"role": role, "content": content},
            "triggerResponseEnabled": trigger_response,
        }
        await self._control(call, body, action)

    async def set_assistant_muted(self, call: CallInfo, muted: bool) -> None:
        """Mutes (or unmutes) the assistant's voice in the call; it keeps listening."""
        control = "mute-assistant" if muted else "unmute-assistant"
        what = "mute" if muted else "unmute"
        await self._control(
            call,
            {"type": "control", "control": control},
            f"Could not {what} the assistant in call {call.id}.",
        )

    async def end_call(self, call: CallInfo) -> None:
        """Hang up the call through its control URL (the record and recordings stay)."""
        await self._control(call, {"type": "end-call"}, f"Could not end call {call.id}.")

    async def _control(self, call: CallInfo, body: dict[str, Any], action: str) -> None:
        control_url = call.control_url
        if not control_url:
            control_url = (await self.get_call(call.id)).control_url
        if not control_url:
            raise refusal(
                f"{action} VAPI gave no control address for this call.",
                "Wait until the call is in progress, then try again.",
            )
        ctx = self._context(action, call.id, url=control_url)

        async def post() -> None:
            if self._session is None or self._session.closed:
                self._session = aiohttp.ClientSession(
                    timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
                )
            async with self._session.post(control_url, json=body) as response:
                text = await response.text()
                if response.status >= 400:
                    raise ApiError(
                        status_code=response.status, body=_error_body(text), headers=None
                    )

        await self._call(ctx, post)


def _error_body(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def ended_reason_group(reason: str | None) -> str:
    """A short family name for one of VAPI's hundreds of endedReason values."""
    if not reason:
        return "not ended"
    r = reason.lower()
    if (
        r.startswith("call.start.error")
        or r.startswith("assistant-request")
        or r
        in (
            "assistant-not-found",
            "assistant-not-valid",
        )
    ):
        return "start error"
    if "vapifault" in r or r in ("worker-shutdown", "unknown-error"):
        return "VAPI fault"
    if "providerfault" in r:
        return "provider fault"
    if r.startswith("pipeline-error") or "error-pipeline" in r:
        return "pipeline error"
    if r == "silence-timed-out" or "silence-timeout" in r:
        return "silence timeout"
    if r == "exceeded-max-duration" or "max-duration" in r:
        return "max duration"
    if ".error-" in r:
        return "call error"
    if r.startswith("customer-ended") or r.endswith("caller-hungup-before-call-connect"):
        return "customer ended"
    if r.startswith("assistant-ended") or r == "assistant-said-end-call-phrase":
        return "assistant ended"
    if "forward" in r or "transfer" in r:
        return "forwarded"
    if r in ("customer-busy", "customer-did-not-answer", "voicemail") or "no-answer" in r:
        return "no answer"
    if r in ("manually-canceled", "call-deleted", "scheduled-call-deleted"):
        return "cancelled"
    if r == "assistant-join-timed-out":
        return "start error"
    if "error" in r or "failed" in r:
        return "call error"
    if r.endswith("completed-call") or r.endswith("completed") or "hook-executed" in r:
        return "completed"
    return "other"
