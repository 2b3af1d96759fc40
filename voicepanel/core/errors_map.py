"""Turns every exception the Fishjam and VAPI SDKs (and the network under them) can raise
into a VoicePanelError a person can read: what failed, why, and what to try.

One function per service: ``fishjam_error`` and ``vapi_error``. Both run every sentence
through the process-wide redactor, so no secret reaches a dialog or a log.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx
import pydantic
from fishjam import errors as fj_errors
from fishjam.agent.errors import AgentAuthError, AgentError
from vapi.core.api_error import ApiError
from websockets import exceptions as ws_errors

from voicepanel.core.errors import VoicePanelError
from voicepanel.core.redact import REDACTOR

FISHJAM_TOKEN_HINT = "Check the token in the profile (Fishjam dashboard -> Settings)."
FISHJAM_UNREACHABLE_HINT = "Check the address and your network, or switch to the Sandbox profile."
VAPI_KEY_HINT = "Check the VAPI private API key in the profile (VAPI dashboard -> API Keys)."
VAPI_UNREACHABLE_HINT = "Check the VAPI address and your network, or switch to the Sandbox profile."
REFRESH_HINT = "Refresh the room list."
RETRY_HINT = "Try again in a moment."
INVALID_TOKEN_TEXT = "Invalid management token"
TOKEN_REJECTED = "Fishjam rejected the management token."
ROOM_FULL = (
    "The room is full (max peers reached).",
    "Remove a peer first, or create a room with a higher peer limit.",
)


@dataclass(frozen=True)
class FishjamContext:
    """What the panel was doing when a Fishjam call failed, to name it in the sentence."""

    action: str  # "Could not create the room."
    url: str = ""
    room_id: str | None = None
    peer_id: str | None = None
    adds_peer: bool = False


@dataclass(frozen=True)
class VapiContext:
    """What the panel was doing when a VAPI call failed."""

    action: str  # "Could not start the call."
    url: str = ""
    call_id: str | None = None


def _make(
    ctx_action: str,
    reason: str,
    hint: str,
    *,
    status: int | None,
    cause: BaseException,
) -> VoicePanelError:
    message = f"{ctx_action} {reason}".strip() if ctx_action else reason
    return VoicePanelError(
        REDACTOR.redact(message), REDACTOR.redact(hint), status=status, cause=cause
    )


def refusal(message: str, hint: str) -> VoicePanelError:
    """A VoicePanelError for input refused before anything was sent (redacted too)."""
    return VoicePanelError(REDACTOR.redact(message), REDACTOR.redact(hint))


def _sentence(text: str) -> str:
    """Server text as the end of a sentence, trimmed and redacted."""
    text = REDACTOR.redact(" ".join(str(text).split()))
    if len(text) > 300:
        text = text[:297] + "..."
    return text if text.endswith((".", "!", "?")) else text + "."


def _server_text(exc: BaseException) -> str:
    """The ``errors`` text a Fishjam HTTPError carries (its first argument)."""
    detail: Any = exc.args[0] if exc.args else ""
    if isinstance(detail, bytes):
        detail = detail.decode(errors="replace")
    if isinstance(detail, list | tuple):
        detail = "; ".join(str(item) for item in detail)
    if isinstance(detail, dict):
        detail = json.dumps(detail)
    return str(detail or "")


def _parse_error(service: str, exc: BaseException) -> tuple[str, str]:
    return (
        f"{service} sent an answer VoicePanel could not read ({type(exc).__name__}).",
        f"Check that the address points to {service} and not to another web server.",
    )


def _network_reason(service: str, url: str, exc: BaseException) -> tuple[str, str] | None:
    """Sentences for failures below HTTP (refused, timed out, broken socket), or None."""
    where = f" at {url}" if url else ""
    hint = FISHJAM_UNREACHABLE_HINT if service == "Fishjam" else VAPI_UNREACHABLE_HINT
    if isinstance(exc, httpx.TimeoutException | asyncio.TimeoutError | TimeoutError):
        return f"{service}{where} did not answer in time.", "Check your network and try again."
    if isinstance(exc, httpx.ConnectError | aiohttp.ClientConnectorError | ConnectionRefusedError):
        return f"Could not reach {service}{where}.", hint
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol | ws_errors.InvalidURI):
        return f"The {service} address{where} is not a valid URL.", (
            "Check the address in the profile; it should start with http:// or https://."
        )
    if isinstance(exc, ws_errors.InvalidStatus):
        code = exc.response.status_code
        return (
            f"{service}{where} refused the live connection (HTTP {code}).",
            "Check the address and the token in the profile.",
        )
    if isinstance(exc, ws_errors.ConnectionClosed):
        return f"The live connection to {service}{where} was closed.", RETRY_HINT
    if isinstance(exc, ws_errors.InvalidHandshake | ws_errors.InvalidMessage):
        return (
            f"{service}{where} did not accept a live (WebSocket) connection.",
            "Check that the address points to " + service + ".",
        )
    if isinstance(exc, ws_errors.WebSocketException):
        return f"The live connection to {service}{where} failed.", RETRY_HINT
    if isinstance(exc, httpx.HTTPError | aiohttp.ClientError | ConnectionError):
        return f"The connection to {service}{where} broke off.", RETRY_HINT
    if isinstance(exc, OSError):
        return f"Could not reach {service}{where}.", hint
    return None


def _is_parse_error(exc: BaseException) -> bool:
    return isinstance(
        exc, json.JSONDecodeError | pydantic.ValidationError | KeyError | TypeError | ValueError
    )


def is_invalid_token(exc: BaseException) -> bool:
    """True for the notifier's way of saying the token is wrong (a RuntimeError)."""
    return isinstance(exc, RuntimeError) and INVALID_TOKEN_TEXT.lower() in str(exc).lower()


def fishjam_error(exc: BaseException, ctx: FishjamContext) -> VoicePanelError:
    """Map anything raised while talking to Fishjam to a VoicePanelError."""
    if isinstance(exc, VoicePanelError):
        return exc
    action = ctx.action
    if isinstance(exc, fj_errors.MissingFishjamIdError):
        return _make(
            action,
            "No Fishjam ID is set in the profile.",
            "Enter the Fishjam ID or URL from the Fishjam dashboard, or use the Sandbox profile.",
            status=None,
            cause=exc,
        )
    if isinstance(
        exc, fj_errors.InvalidFishjamCredentialsError | fj_errors.UnauthorizedError
    ) or is_invalid_token(exc):
        return _make(action, TOKEN_REJECTED, FISHJAM_TOKEN_HINT, status=401, cause=exc)
    if isinstance(exc, fj_errors.NotFoundError):
        if ctx.peer_id and ctx.room_id:
            reason = f"Peer {ctx.peer_id} is no longer in room {ctx.room_id}."
        elif ctx.room_id:
            reason = f"Room {ctx.room_id} no longer exists."
        else:
            reason = "Fishjam could not find it: " + _sentence(_server_text(exc) or "not found")
        return _make(action, reason, REFRESH_HINT, status=404, cause=exc)
    if isinstance(exc, fj_errors.BadRequestError):
        text = _server_text(exc) or "invalid input"
        return _make(
            action,
            "Fishjam refused the request: " + _sentence(text),
            "Check the values you entered.",
            status=400,
            cause=exc,
        )
    if isinstance(exc, fj_errors.ConflictError):
        if ctx.adds_peer:
            return _make(action, *ROOM_FULL, status=409, cause=exc)
        return _make(
            action,
            "Fishjam reported a conflict: " + _sentence(_server_text(exc) or "conflict"),
            REFRESH_HINT,
            status=409,
            cause=exc,
        )
    if isinstance(exc, fj_errors.ServiceUnavailableError):
        if ctx.adds_peer:
            # Older servers answered 503 for a full room.
            return _make(action, *ROOM_FULL, status=503, cause=exc)
        return _make(
            action, "Fishjam is temporarily unavailable.", RETRY_HINT, status=503, cause=exc
        )
    if isinstance(exc, fj_errors.QuotaExceededError):
        return _make(
            action,
            "The Fishjam plan's quota is used up.",
            "Check usage and billing in the Fishjam dashboard.",
            status=402,
            cause=exc,
        )
    if isinstance(exc, fj_errors.InternalServerError):
        text = _server_text(exc)
        reason = "Fishjam had an internal error" + (": " + _sentence(text) if text else ".")
        return _make(action, reason, RETRY_HINT, status=500, cause=exc)
    if isinstance(exc, fj_errors.StaleSdkError):
        return _make(
            action,
            "Fishjam sent a value this version of VoicePanel cannot read.",
            "Update VoicePanel.",
            status=None,
            cause=exc,
        )
    if isinstance(exc, fj_errors.HTTPError):
        return _make(
            action,
            "Fishjam answered with an error: " + _sentence(_server_text(exc) or "unknown"),
            RETRY_HINT,
            status=None,
            cause=exc,
        )
    if isinstance(exc, AgentAuthError):
        return _make(
            action,
            "Fishjam refused the agent's peer token.",
            "Remove the agent and add it again; its token may have expired.",
            status=401,
            cause=exc,
        )
    if isinstance(exc, AgentError):
        return _make(
            action,
            "The agent connection failed: " + _sentence(str(exc)),
            RETRY_HINT,
            status=None,
            cause=exc,
        )
    return _below_the_api("Fishjam", ctx.url, action, exc)


def _vapi_body_text(body: Any) -> str:
    """VAPI error bodies look like {"message": str | [str], "error": str, "statusCode": n}."""
    if isinstance(body, dict):
        message = body.get("message") or body.get("error") or ""
        if isinstance(message, list):
            return "; ".join(str(m) for m in message)
        return str(message)
    if isinstance(body, bytes):
        return body.decode(errors="replace")
    return "" if body is None else str(body)


def _vapi_status_reason(status: int, text: str, ctx: VapiContext) -> tuple[str, str]:
    if status in (401, 403):
        return "VAPI rejected the API key.", VAPI_KEY_HINT
    if status == 404:
        if ctx.call_id:
            return f"Call {ctx.call_id} no longer exists in VAPI.", "Refresh the call list."
        return "VAPI could not find it: " + _sentence(text or "not found"), (
            "Refresh the list and try again."
        )
    if status in (400, 422):
        return "VAPI refused the request: " + _sentence(text or "invalid input"), (
            "Check the assistant and call settings."
        )
    if status == 402:
        return (
            "The VAPI account has no credit left.",
            "Add credit in the VAPI dashboard -> Billing.",
        )
    if status == 409:
        if ctx.call_id:
            return f"Call {ctx.call_id} is not live: " + _sentence(text or "conflict"), (
                "Refresh the call to see its status; a call must be in progress to steer it."
            )
        return "VAPI reported a conflict: " + _sentence(text or "conflict"), RETRY_HINT
    if status == 429:
        return "VAPI is limiting how many requests the panel may send.", (
            "Wait a moment and try again."
        )
    if status >= 500:
        return f"VAPI had a server error (HTTP {status}).", RETRY_HINT
    return f"VAPI answered with HTTP {status}: " + _sentence(text or "error"), RETRY_HINT


def vapi_error(exc: BaseException, ctx: VapiContext) -> VoicePanelError:
    """Map anything raised while talking to VAPI (SDK or control URL) to a VoicePanelError."""
    if isinstance(exc, VoicePanelError):
        return exc
    action = ctx.action
    if isinstance(exc, ApiError):
        status = exc.status_code
        text = _vapi_body_text(exc.body)
        if status is None:
            return _make(
                action,
                "VAPI answered with something VoicePanel could not read.",
                "Check that the address points to VAPI.",
                status=None,
                cause=exc,
            )
        reason, hint = _vapi_status_reason(status, text, ctx)
        return _make(action, reason, hint, status=status, cause=exc)
    if isinstance(exc, aiohttp.ClientResponseError):
        if exc.status == 404 and ctx.call_id:
            return _make(
                action,
                f"Call {ctx.call_id} has ended or no longer accepts commands.",
                "Refresh the call to see its final status.",
                status=404,
                cause=exc,
            )
        reason, hint = _vapi_status_reason(exc.status, exc.message, ctx)
        return _make(action, reason, hint, status=exc.status, cause=exc)
    return _below_the_api("VAPI", ctx.url, action, exc)


def _below_the_api(service: str, url: str, action: str, exc: BaseException) -> VoicePanelError:
    """What is left once no API error matched: the network, an unreadable answer, or a bug."""
    network = _network_reason(service, url, exc)
    if network is not None:
        return _make(action, network[0], network[1], status=None, cause=exc)
    if _is_parse_error(exc):
        reason, hint = _parse_error(service, exc)
        return _make(action, reason, hint, status=None, cause=exc)
    return _unexpected(action, exc)


def _unexpected(action: str, exc: BaseException) -> VoicePanelError:
    detail = _sentence(f"{type(exc).__name__}: {exc}")
    return _make(
        action,
        "Something unexpected went wrong (" + detail.rstrip(".") + ").",
        "Try again; if it keeps happening, send the log file with a bug report.",
        status=None,
        cause=exc,
    )
