"""Where a call's Server URL events go and which ones: read from the call's assistant.

The server comes from the assistant the call runs (the saved one, or the inline
`assistant`), with `assistantOverrides` applied on top, first match wins:

    server: {url, headers, timeoutSeconds, backoffPlan}   VAPI's `Server` object
    serverUrl (+ serverUrlSecret, sent as X-Vapi-Secret)   the legacy fields

`serverMessages` chooses the event types; without it, VAPI's default list applies.
Every refusal is a 400 naming the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .errors import bad_request

DEFAULT_TIMEOUT_S = 20.0  # VAPI's default for server.timeoutSeconds
MAX_TIMEOUT_S = 300.0
MAX_RETRIES = 10
MAX_BASE_DELAY_S = 10.0
LEGACY_SECRET_HEADER = "X-Vapi-Secret"

# VAPI's default `serverMessages` (CreateAssistantDto.serverMessages). The sandbox posts
# the ones it produces; function-call, handoff-destination-request and assistant.started
# never occur in a sandbox call.
DEFAULT_SERVER_MESSAGES = frozenset(
    {
        "conversation-update",
        "end-of-call-report",
        "function-call",
        "hang",
        "speech-update",
        "status-update",
        "tool-calls",
        "transfer-destination-request",
        "handoff-destination-request",
        "user-interrupted",
        "assistant.started",
    }
)
FINAL_TRANSCRIPTS_ONLY = 'transcript[transcriptType="final"]'


@dataclass(frozen=True)
class BackoffPlan:
    """VAPI's `backoffPlan`: how often and how soon a failed post is tried again."""

    exponential: bool
    max_retries: int
    base_delay_s: float
    excluded_status_codes: frozenset[int] = frozenset()

    def delay_before(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        if self.exponential:
            return self.base_delay_s * 2 ** (attempt - 1)
        return self.base_delay_s

    def retries(self, status: int | None) -> bool:
        """Whether a failure (an HTTP status, or None when nothing answered) is retried."""
        return status is None or status not in self.excluded_status_codes


NO_RETRY = BackoffPlan(exponential=False, max_retries=0, base_delay_s=0.0)


@dataclass(frozen=True)
class ServerTarget:
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    timeout_s: float = DEFAULT_TIMEOUT_S
    backoff: BackoffPlan = NO_RETRY


@dataclass(frozen=True)
class ServerSettings:
    """A call's Server URL configuration; `target` is None when events go nowhere."""

    target: ServerTarget | None
    messages: frozenset[str] = DEFAULT_SERVER_MESSAGES

    def wants(self, kind: str) -> bool:
        return self.target is not None and kind in self.messages

    def transcript_type(self, transcript_type: str) -> str | None:
        """The message type a transcript is posted under, or None when it is not wanted."""
        if self.target is None:
            return None
        if "transcript" in self.messages:
            return "transcript"
        if transcript_type == "final" and FINAL_TRANSCRIPTS_ONLY in self.messages:
            return FINAL_TRANSCRIPTS_ONLY
        return None


def server_settings(assistant: dict[str, Any], where: str) -> ServerSettings:
    """Read `server`/`serverUrl` and `serverMessages` of an (effective) assistant."""
    return ServerSettings(_target(assistant, where), _messages(assistant, where))


def server_target(server: Any, where: str) -> ServerTarget | None:
    """A `Server` object (an assistant's or a tool's) as a delivery target."""
    if server is None:
        return None
    if not isinstance(server, dict):
        raise bad_request(f"{where} must be an object.")
    url = server.get("url")
    if url is None:
        return None
    return ServerTarget(
        url=_http_url(url, f"{where}.url"),
        headers=_headers(server.get("headers"), f"{where}.headers"),
        timeout_s=_timeout(server.get("timeoutSeconds"), f"{where}.timeoutSeconds"),
        backoff=_backoff(server.get("backoffPlan"), f"{where}.backoffPlan"),
    )


def _target(assistant: dict[str, Any], where: str) -> ServerTarget | None:
    target = server_target(assistant.get("server"), f"{where}.server")
    if target is not None:
        return target
    legacy = assistant.get("serverUrl")
    if legacy is None:
        return None
    headers = {}
    secret = assistant.get("serverUrlSecret")
    if secret is not None:
        if not isinstance(secret, str):
            raise bad_request(f"{where}.serverUrlSecret must be a string.")
        headers[LEGACY_SECRET_HEADER] = _header_value(secret, f"{where}.serverUrlSecret")
    return ServerTarget(url=_http_url(legacy, f"{where}.serverUrl"), headers=headers)


def _messages(assistant: dict[str, Any], where: str) -> frozenset[str]:
    raw = assistant.get("serverMessages")
    if raw is None:
        return DEFAULT_SERVER_MESSAGES
    if not isinstance(raw, list) or not all(isinstance(kind, str) for kind in raw):
        raise bad_request(f"{where}.serverMessages must be a list of message types.")
    return frozenset(raw)


def _http_url(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise bad_request(f"{where} must be a string.")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad_request(f"{where} must be an http or https URL, not {value[:200]!r}.")
    return value


def _headers(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request(f"{where} must be an object of header names and values.")
    headers = {}
    for name, raw in value.items():
        if not name or not all(33 <= ord(c) <= 126 and c != ":" for c in name):
            raise bad_request(f"{where} has a header name that is not allowed: {name[:100]!r}.")
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise bad_request(f"{where}.{name} must be a string.")
        headers[name] = _header_value(str(raw), f"{where}.{name}")
    return headers


def _header_value(value: str, where: str) -> str:
    if any(c in value for c in "\r\n\0"):
        raise bad_request(f"{where} must not contain line breaks.")
    return value


def _timeout(value: Any, where: str) -> float:
    if value is None:
        return DEFAULT_TIMEOUT_S
    if not _finite_number(value) or not 0 < value <= MAX_TIMEOUT_S:
        raise bad_request(f"{where} must be a number of seconds above 0 and at most 300.")
    return float(value)


def _backoff(value: Any, where: str) -> BackoffPlan:
    if value is None:
        return NO_RETRY
    if not isinstance(value, dict):
        raise bad_request(f"{where} must be an object.")
    kind = value.get("type", "fixed")
    if kind not in ("fixed", "exponential"):
        raise bad_request(f'{where}.type must be "fixed" or "exponential", not {kind!r}.')
    retries = value.get("maxRetries", 0)
    if not _finite_number(retries) or retries != int(retries) or not 0 <= retries <= MAX_RETRIES:
        raise bad_request(f"{where}.maxRetries must be a whole number from 0 to {MAX_RETRIES}.")
    delay = value.get("baseDelaySeconds", 1)
    if not _finite_number(delay) or not 0 <= delay <= MAX_BASE_DELAY_S:
        raise bad_request(f"{where}.baseDelaySeconds must be a number from 0 to 10.")
    excluded = value.get("excludedStatusCodes", [])
    if not isinstance(excluded, list) or not all(
        _finite_number(code) and code == int(code) and 100 <= code <= 599 for code in excluded
    ):
        raise bad_request(f"{where}.excludedStatusCodes must be a list of HTTP status codes.")
    return BackoffPlan(
        exponential=kind == "exponential",
        max_retries=int(retries),
        base_delay_s=float(delay),
        excluded_status_codes=frozenset(int(code) for code in excluded),
    )


def _finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
