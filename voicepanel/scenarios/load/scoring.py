"""A scored conversation as Locust request events (plain dicts for ``events.request.fire``),
kept apart from Locust so it is tested without it.

- ``turn``: one per turn, named ``<scenario> / <turn>``; response time = the reply latency
  heard at the local agent (the time waited when no reply came); failed with the first
  expectation that did not hold, named without its measured value so that Locust's
  failures table groups failures by kind.
- ``conversation``: one per run, response time = its whole length.
- ``error``: a run that could not be made, or a Fishjam or VAPI error seen during it,
  named ``fishjam``, ``vapi`` or ``set-up``.
"""

from __future__ import annotations

from typing import Any

from voicepanel.core.vapi_gateway import ended_reason_group
from voicepanel.core.wording import plural
from voicepanel.scenarios.results import Outcome, RunResult, TurnResult

TURN, CONVERSATION, ERROR = "turn", "conversation", "error"
ERROR_GROUPS = ("VAPI fault", "provider fault", "pipeline error", "start error")


class ExpectationFailed(Exception):
    """A turn's expectation did not hold (its text is the kind, e.g. 'reply starts within
    800 ms')."""


class ConversationFailed(Exception):
    pass


class ServiceError(Exception):
    pass


def turn_name(result: RunResult, turn: TurnResult) -> str:
    return f"{result.scenario.name} / {turn.turn.title}"


def conversation_events(result: RunResult, waited_ms: float) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for turn in result.turns:
        failures = turn.failures
        exception: Exception | None = None
        if failures:
            exception = ExpectationFailed(f"{failures[0].name} {failures[0].expected}")
        if turn.latency_ms is not None:
            response_ms = turn.latency_ms
        else:
            response_ms = result.scenario.reply_timeout_s * 1000
        found.append(_event(TURN, turn_name(result, turn), response_ms, exception))
    for source, message in service_errors(result):
        found.append(_event(ERROR, source, 0.0, ServiceError(message)))
    failed: Exception | None = None
    if result.outcome is Outcome.ERROR:
        failed = ConversationFailed(result.error)
    elif result.outcome is Outcome.FAILED:
        failed = ConversationFailed(f"{plural(len(result.failed_turns), 'turn')} failed")
    found.append(_event(CONVERSATION, result.scenario.name, waited_ms, failed))
    return found


def service_errors(result: RunResult) -> list[tuple[str, str]]:
    """(source, message): a run that could not start, Fishjam's crash notifications, and
    VAPI's error end reasons and refused posts."""
    errors: list[tuple[str, str]] = []
    if result.outcome is Outcome.ERROR:
        lowered = result.error.lower()
        source = "vapi" if "vapi" in lowered or "assistant" in lowered else "fishjam"
        if "room" not in lowered and "peer" not in lowered and source == "fishjam":
            source = "set-up"
        errors.append((source, result.error))
    for entry in result.timeline:
        if entry.source == "fishjam" and entry.kind.endswith("Crashed"):
            errors.append(("fishjam", f"{entry.kind} {entry.details}".strip()))
        elif entry.source == "vapi" and entry.kind in ("vapi.rejected", "rejected"):
            errors.append(("vapi", f"a post was refused: {entry.details}"))
    reason = result.ended_reason
    if reason and ended_reason_group(reason) in ERROR_GROUPS:
        errors.append(("vapi", f"call ended: {reason}"))
    return errors


def _event(kind: str, name: str, response_ms: float, exception: Exception | None) -> dict[str, Any]:
    return {
        "request_type": kind,
        "name": name,
        "response_time": response_ms,
        "response_length": 0,
        "exception": exception,
        "context": {},
    }


WIRE_ERRORS: dict[str, type[Exception]] = {
    cls.__name__: cls for cls in (ExpectationFailed, ConversationFailed, ServiceError)
}


def to_wire(event: dict[str, Any]) -> dict[str, Any]:
    """An event as JSON (the engine process sends it to the Locust process)."""
    exception = event["exception"]
    wire = {k: v for k, v in event.items() if k not in ("exception", "context")}
    if exception is not None:
        wire["error"] = [type(exception).__name__, str(exception)]
    return wire


def from_wire(wire: dict[str, Any]) -> dict[str, Any]:
    """The event again, ready for ``events.request.fire``."""
    event = {k: v for k, v in wire.items() if k != "error"}
    error = wire.get("error")
    event["exception"] = None
    if error:
        event["exception"] = WIRE_ERRORS.get(error[0], ConversationFailed)(error[1])
    event["context"] = {}
    return event
