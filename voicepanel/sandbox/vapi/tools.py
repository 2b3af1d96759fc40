"""The tools a sandbox assistant calls: read from `model.tools`, asked over the Server URL.

A sandbox assistant calls every `function` tool in its `model.tools` on each user turn, in
one `tool-calls` message, with the arguments it states:

    metadata.sandbox.toolArguments[<tool name>]   an object, used as given; else
    the first value of each property's `enum` in function.parameters (VAPI's schema for
    parameters has no default or example, so other properties are left out).

The receiver answers `{"results": [{"toolCallId", "result" | "error"}]}` (or `{"error"}`)
within the server's timeout; the assistant then says what each tool answered. A tool with
`"async": true` is told and not waited for. A `transferCall` tool is used on the user turn
`metadata.sandbox.transferOnTurn` names (1 = the first): to its first destination, or, with
none, to what a `transfer-destination-request` answers. An `endCall` tool lets a Scripted
assistant hang up after its last line.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from .errors import bad_request
from .event_poster import ServerAnswer
from .server_url import ServerTarget, server_target

MAX_SPOKEN_RESULT_CHARS = 300


@dataclass(frozen=True)
class FunctionTool:
    name: str
    definition: dict[str, Any]  # the tool as configured, echoed in toolWithToolCallList
    arguments: dict[str, Any]
    server: ServerTarget | None = None
    asynchronous: bool = False


@dataclass(frozen=True)
class TransferTool:
    destinations: tuple[dict[str, Any], ...]
    definition: dict[str, Any]
    server: ServerTarget | None = None


@dataclass(frozen=True)
class Toolbox:
    functions: tuple[FunctionTool, ...] = ()
    transfer: TransferTool | None = None
    end_call: bool = False
    transfer_on_turn: int | None = None


@dataclass(frozen=True)
class ToolCall:
    id: str
    tool: FunctionTool

    def as_json(self) -> dict[str, Any]:
        # A JSON string, as the SDK's ToolCallFunction and OpenAI's tool_calls have it.
        arguments = json.dumps(self.tool.arguments)
        function = {"name": self.tool.name, "arguments": arguments}
        return {"id": self.id, "type": "function", "function": function}


@dataclass(frozen=True)
class ToolOutcome:
    """What one tool answered, and the sentence the assistant says about it."""

    call: ToolCall
    result: str | None = None
    error: str | None = None
    spoken: str = field(default="")


def read_toolbox(assistant: dict[str, Any], sandbox: dict[str, Any], where: str) -> Toolbox:
    model = assistant.get("model")
    tools = model.get("tools") if isinstance(model, dict) else None
    if tools is None:
        return Toolbox()
    if not isinstance(tools, list):
        raise bad_request(f"{where}.model.tools must be a list.")
    arguments = sandbox.get("toolArguments", {})
    if not isinstance(arguments, dict):
        raise bad_request(f"{where}.metadata.sandbox.toolArguments must be an object.")
    functions: list[FunctionTool] = []
    transfer = None
    end_call = False
    for index, tool in enumerate(tools):
        at = f"{where}.model.tools.{index}"
        if not isinstance(tool, dict):
            raise bad_request(f"{at} must be an object.")
        kind = tool.get("type")
        if kind == "function":
            functions.append(_function_tool(tool, arguments, at))
        elif kind == "transferCall":
            destinations = tool.get("destinations") or []
            if not isinstance(destinations, list) or not all(
                isinstance(d, dict) for d in destinations
            ):
                raise bad_request(f"{at}.destinations must be a list of objects.")
            transfer = TransferTool(
                tuple(destinations), tool, server_target(tool.get("server"), f"{at}.server")
            )
        elif kind == "endCall":
            end_call = True
    turn = sandbox.get("transferOnTurn")
    if turn is not None and (isinstance(turn, bool) or not isinstance(turn, int) or turn < 1):
        raise bad_request(f"{where}.metadata.sandbox.transferOnTurn must be a whole number >= 1.")
    return Toolbox(tuple(functions), transfer, end_call, turn)


def _function_tool(tool: dict[str, Any], arguments: dict[str, Any], at: str) -> FunctionTool:
    function = tool.get("function")
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise bad_request(f"{at}.function.name is required for a function tool.")
    name = function["name"]
    given = arguments.get(name)
    if given is not None and not isinstance(given, dict):
        raise bad_request(f"metadata.sandbox.toolArguments.{name} must be an object.")
    asynchronous = tool.get("async", False)
    return FunctionTool(
        name=name,
        definition=tool,
        arguments=given if given is not None else _stated_arguments(function.get("parameters")),
        server=server_target(tool.get("server"), f"{at}.server"),
        asynchronous=asynchronous is True,
    )


def _stated_arguments(parameters: Any) -> dict[str, Any]:
    properties = parameters.get("properties") if isinstance(parameters, dict) else None
    if not isinstance(properties, dict):
        return {}
    stated: dict[str, Any] = {}
    for name, schema in properties.items():
        if isinstance(schema, dict) and isinstance(schema.get("enum"), list) and schema["enum"]:
            stated[name] = schema["enum"][0]
    return stated


def new_calls(tools: tuple[FunctionTool, ...]) -> tuple[ToolCall, ...]:
    return tuple(ToolCall(f"call_{uuid.uuid4().hex[:24]}", tool) for tool in tools)


def tool_calls_message(calls: tuple[ToolCall, ...]) -> dict[str, Any]:
    """The `tool-calls` message (without the common call/timestamp/artifact fields)."""
    return {
        "type": "tool-calls",
        "toolCallList": [call.as_json() for call in calls],
        "toolWithToolCallList": [
            {**call.tool.definition, "toolCall": call.as_json()} for call in calls
        ],
    }


def read_answer(calls: tuple[ToolCall, ...], answer: ServerAnswer) -> list[ToolOutcome]:
    """Each call's outcome from the receiver's answer (or from why there was none)."""
    if not answer.ok:
        return [_failed(call, str(answer.problem)) for call in calls]
    body = answer.body
    if not isinstance(body, dict):
        return [_failed(call, "answered with no JSON object") for call in calls]
    if "error" in body and "results" not in body:
        return [_failed(call, _text(body["error"])) for call in calls]
    results = body.get("results")
    by_id = {}
    if isinstance(results, list):
        by_id = {r.get("toolCallId"): r for r in results if isinstance(r, dict)}
    outcomes = []
    for call in calls:
        found = by_id.get(call.id)
        if found is None:
            outcomes.append(_failed(call, "answered without a result for this call"))
        elif found.get("error") is not None:
            outcomes.append(_failed(call, _text(found["error"])))
        else:
            result = _text(found.get("result", ""))
            spoken = f"{call.tool.name} says: {_speakable(result)}"
            outcomes.append(ToolOutcome(call, result=result, spoken=spoken))
    return outcomes


def _failed(call: ToolCall, why: str) -> ToolOutcome:
    return ToolOutcome(call, error=why, spoken=f"{call.tool.name} failed: {_speakable(why)}")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _speakable(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > MAX_SPOKEN_RESULT_CHARS:
        return text[:MAX_SPOKEN_RESULT_CHARS] + "..."
    return text


def destination_words(destination: dict[str, Any]) -> str:
    """How the assistant names a transfer destination when it announces the transfer."""
    for key in ("number", "sipUri", "assistantName"):
        value = destination.get(key)
        if isinstance(value, str) and value:
            return value
    return "another line"
