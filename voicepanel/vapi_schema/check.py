"""An assistant's JSON checked against VAPI's schema, with VAPI's (NestJS) messages:
"assistant.property foo should not exist", "assistant.model.provider must be one of the
following values: ...", "assistant.name must be a string".
"""

from __future__ import annotations

import functools
import json
import math
from importlib import resources
from typing import Any

MAX_PROBLEMS = 20
# Older fields VAPI's schema no longer lists that the sandbox still honours (see
# docs/sandbox.md); accepted at the top level of an assistant and of its overrides.
LEGACY_FIELDS: dict[str, str] = {
    "silenceTimeoutSeconds": "n",
    "serverUrl": "s",
    "serverUrlSecret": "s",
}


@functools.cache
def _schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("assistant.json").read_text(encoding="utf-8")
    return json.loads(text)


def assistant_problems(value: Any, root: str = "assistant") -> list[str]:
    """Why VAPI would refuse `value` as `root` ("assistant" or "assistantOverrides");
    [] when it would accept it. At most MAX_PROBLEMS, in the order they were found."""
    schema = _schema()
    problems: list[str] = []
    _Checker(schema, problems).model(value, schema["roots"][root], root, legacy=True)
    return problems[:MAX_PROBLEMS]


def unknown_call_fields(body: dict[str, Any]) -> list[str]:
    """The top-level fields of a `POST /call` body that VAPI does not know."""
    known = set(_schema()["callFields"])
    return [key for key in body if key not in known]


class _Checker:
    def __init__(self, schema: dict[str, Any], problems: list[str]) -> None:
        self._models = schema["models"]
        self._enums = schema["enums"]
        self._problems = problems

    def _say(self, problem: str) -> None:
        if len(self._problems) < MAX_PROBLEMS:
            self._problems.append(problem)

    def model(self, value: Any, name: str, path: str, legacy: bool = False) -> None:
        if not isinstance(value, dict):
            self._say(f"{path} must be an object")
            return
        model = self._models[name]
        fields = model["fields"]
        for key, item in value.items():
            if key in fields:
                self.value(item, fields[key], f"{path}.{key}")
            elif legacy and key in LEGACY_FIELDS:
                self.value(item, LEGACY_FIELDS[key], f"{path}.{key}")
            else:
                self._say(f"{path}.property {key} should not exist")
        for key in model["required"]:
            if value.get(key) is None:
                self._say(f"{path}.{key} should not be empty")

    def value(self, value: Any, kind: Any, path: str) -> None:
        if value is None or kind == "a" or len(self._problems) >= MAX_PROBLEMS:
            return
        if isinstance(kind, str):
            self._simple(value, kind, path)
        elif "ref" in kind:
            self.model(value, kind["ref"], path)
        elif "list" in kind:
            if not isinstance(value, list):
                self._say(f"{path} must be an array")
                return
            for index, item in enumerate(value):
                self.value(item, kind["list"], f"{path}.{index}")
        elif "map" in kind:
            if not isinstance(value, dict):
                self._say(f"{path} must be an object")
                return
            for key, item in value.items():
                self.value(item, kind["map"], f"{path}.{key}")
        elif "enum" in kind:
            allowed = self._enums[kind["enum"]]
            if isinstance(value, bool) or value not in allowed:
                listed = ", ".join(str(v) for v in allowed)
                self._say(f"{path} must be one of the following values: {listed}")
        elif "tagged" in kind:
            self._tagged(value, kind["tagged"], kind["variants"], path)
        else:
            self._union(value, kind["union"], path)

    def _simple(self, value: Any, kind: str, path: str) -> None:
        if kind == "s" and not isinstance(value, str):
            self._say(f"{path} must be a string")
        elif kind == "n" and not _finite_number(value):
            self._say(f"{path} must be a number conforming to the specified constraints")
        elif kind == "b" and not isinstance(value, bool):
            self._say(f"{path} must be a boolean value")
        elif kind == "o" and not isinstance(value, dict):
            self._say(f"{path} must be an object")

    def _tagged(self, value: Any, field: str, variants: dict[str, str], path: str) -> None:
        if not isinstance(value, dict):
            self._say(f"{path} must be an object")
            return
        tag = value.get(field)
        if tag not in variants:
            listed = ", ".join(variants)
            self._say(f"{path}.{field} must be one of the following values: {listed}")
            return
        self.model(value, variants[tag], path)

    def _union(self, value: Any, options: list[Any], path: str) -> None:
        best: list[str] | None = None
        for option in options:
            trial: list[str] = []
            _Checker({"models": self._models, "enums": self._enums}, trial).value(
                value, option, path
            )
            if not trial:
                return
            if best is None or len(trial) < len(best):
                best = trial
        for problem in best or [f"{path} is not a valid value"]:
            self._say(problem)


def _finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
