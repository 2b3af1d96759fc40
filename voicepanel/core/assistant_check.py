"""An inline VAPI assistant checked before it is sent, against VAPI's published schema
(voicepanel.vapi_schema), so a tester hears about a misspelt field or an unknown provider
from the panel, in a sentence naming the field, and not from a failed call."""

from __future__ import annotations

import re
from typing import Any

from voicepanel.core.errors_map import refusal
from voicepanel.vapi_schema import assistant_problems

MAX_LISTED_VALUES = 8
HINT = "Fix the field in the assistant's JSON; VAPI's assistant reference lists every field."

_UNKNOWN = re.compile(r"^(?P<at>.*?)\.?property (?P<field>\S+) should not exist$")
_ONE_OF = re.compile(r"^(?P<field>\S+) must be one of the following values: (?P<values>.*)$")
_RULES = (
    (re.compile(r"^(?P<field>\S+) must be a string$"), "must be text"),
    (re.compile(r"^(?P<field>\S+) must be a number.*$"), "must be a number"),
    (re.compile(r"^(?P<field>\S+) must be a boolean value$"), "must be true or false"),
    (re.compile(r"^(?P<field>\S+) must be an object$"), "must be a JSON object"),
    (re.compile(r"^(?P<field>\S+) must be an array$"), "must be a list"),
    (re.compile(r"^(?P<field>\S+) should not be empty$"), "is required"),
)


def assistant_config_problem(config: Any) -> str:
    """The first reason VAPI would refuse this inline assistant, as a sentence that names
    the field (and how many more there are); "" when VAPI would accept it."""
    problems = assistant_problems(config)
    if not problems:
        return ""
    sentence = _sentence(problems[0])
    more = len(problems) - 1
    return sentence + (f" ({more} more problem{'s' if more > 1 else ''} after it.)" if more else "")


def check_inline_assistant(config: Any, action: str) -> None:
    """Raise the refusal a person reads when VAPI would refuse this assistant."""
    problem = assistant_config_problem(config)
    if problem:
        raise refusal(f"{action} {problem}", HINT)


def _sentence(problem: str) -> str:
    unknown = _UNKNOWN.match(problem)
    if unknown:
        field = _field(f"{unknown['at']}.{unknown['field']}")
        return f'"{field}" is not a field VAPI accepts there.'
    one_of = _ONE_OF.match(problem)
    if one_of:
        values = one_of["values"].split(", ")
        listed = ", ".join(values[:MAX_LISTED_VALUES])
        if len(values) > MAX_LISTED_VALUES:
            listed += f" and {len(values) - MAX_LISTED_VALUES} more"
        return f'"{_field(one_of["field"])}" must be one of: {listed}.'
    for pattern, words in _RULES:
        matched = pattern.match(problem)
        if matched:
            field = _field(matched["field"])
            if words == "must be a number" and field.endswith("Seconds"):
                words = "must be a number of seconds"
            return f'"{field}" {words}.'
    return problem + "."


def _field(path: str) -> str:
    """`assistant.model.provider` as the person typed it: `model.provider`."""
    return path.removeprefix("assistant.").removeprefix("assistant")
