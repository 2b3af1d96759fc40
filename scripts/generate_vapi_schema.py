"""Regenerates voicepanel/vapi_schema/assistant.json from the installed `vapi` SDK.

The SDK's types are generated from VAPI's OpenAPI document, so they say which fields an
assistant (CreateAssistantDto) and a call's assistantOverrides (AssistantOverrides) may
have, their types, the values of their enumerations, and which provider picks which
model/voice/transcriber shape. This script walks those types and writes them compactly:
models with identical shapes are stored once, enumerations once.

    .venv/bin/python scripts/generate_vapi_schema.py          # after upgrading vapi-server-sdk

Type descriptors in the file: "s" string, "n" number, "b" boolean, "a" anything,
"o" any object, {"ref": model}, {"list": t}, {"map": t}, {"enum": index},
{"union": [t, ...]}, {"tagged": field, "variants": {value: model}}.
"""

from __future__ import annotations

import datetime
import inspect
import json
import sys
import typing
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pydantic
import vapi.types
from vapi.calls.client import CallsClient
from vapi.core.unchecked_base_model import UnionMetadata

# Where the SDK's generated types say less than VAPI's documentation: BackoffPlan.type is
# "fixed" or "exponential", and excludedStatusCodes a list of status codes, not objects.
CORRECTIONS = {
    ("BackoffPlan", "type"): {"enum-values": ["fixed", "exponential"]},
    ("BackoffPlan", "excludedStatusCodes"): {"list": "n"},
}

OUT = Path(__file__).resolve().parent.parent / "voicepanel" / "vapi_schema" / "assistant.json"
ROOTS = {
    "assistant": vapi.types.CreateAssistantDto,
    "assistantOverrides": vapi.types.AssistantOverrides,
}


class Walker:
    def __init__(self) -> None:
        self.models: dict[str, dict[str, Any]] = {}
        self.enums: dict[str, int] = {}

    def model(self, cls: type[pydantic.BaseModel]) -> dict[str, Any]:
        name = cls.__name__
        if name not in self.models:
            self.models[name] = {}  # placeholder: the model may refer to itself
            fields = {
                (f.alias or n): self.describe(f.annotation) for n, f in cls.model_fields.items()
            }
            for (model, field), kind in CORRECTIONS.items():
                if model == name:
                    values = kind.get("enum-values")
                    fields[field] = self.enum(values) if values else kind
            required = sorted(f.alias or n for n, f in cls.model_fields.items() if f.is_required())
            self.models[name] = {"fields": fields, "required": required}
        return {"ref": name}

    def enum(self, values: list[Any]) -> dict[str, Any]:
        key = json.dumps(values)
        return {"enum": self.enums.setdefault(key, len(self.enums))}

    def describe(self, annotation: Any) -> Any:
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin is typing.Annotated:
            base, *metadata = args
            for meta in metadata:
                if isinstance(meta, UnionMetadata) and meta.discriminant:
                    return self.tagged(base, meta.discriminant)
            return self.describe(base)
        if origin is typing.Union:
            options = [a for a in args if a is not type(None)]
            literals = [a for a in options if typing.get_origin(a) is typing.Literal]
            others = [a for a in options if a not in literals and a is not typing.Any]
            if literals and not others:  # the SDK's open enums: VAPI checks the values
                return self.enum([v for lit in literals for v in typing.get_args(lit)])
            if not literals and typing.Any in options:
                return "a"
            if len(options) == 1:
                return self.describe(options[0])
            described = [self.describe(a) for a in options if a is not typing.Any]
            return {"union": described}
        if origin is typing.Literal:
            return self.enum(list(args))
        if origin is list:
            return {"list": self.describe(args[0])}
        if origin is dict:
            return "o" if args[1] is typing.Any else {"map": self.describe(args[1])}
        simple = {str: "s", float: "n", int: "n", bool: "b", datetime.datetime: "s"}
        if annotation in simple:
            return simple[annotation]
        if annotation is typing.Any:
            return "a"
        if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
            return self.model(annotation)
        raise TypeError(f"no descriptor for {annotation!r}")

    def tagged(self, union: Any, field: str) -> dict[str, Any]:
        variants = {}
        for cls in typing.get_args(union):
            tag = next(f for n, f in cls.model_fields.items() if (f.alias or n) == field)
            (value,) = typing.get_args(tag.annotation)
            variants[value] = self.model(cls)["ref"]
        return {"tagged": field, "variants": variants}


def deduplicated(
    models: dict[str, dict[str, Any]],
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Models with the same shape become one, under the shortest of their names; also
    returns what each name became."""
    canonical = {name: name for name in models}

    def renamed(node: Any) -> Any:
        if isinstance(node, dict):
            if "ref" in node:
                return {"ref": canonical[node["ref"]]}
            if "variants" in node:
                return {**node, "variants": {k: canonical[v] for k, v in node["variants"].items()}}
            return {k: renamed(v) for k, v in node.items()}
        if isinstance(node, list):
            return [renamed(x) for x in node]
        return node

    while True:
        shapes: dict[str, list[str]] = {}
        for name in models:
            if canonical[name] == name:
                shape = json.dumps(renamed(models[name]), sort_keys=True)
                shapes.setdefault(shape, []).append(name)
        merged = False
        for names in shapes.values():
            keep = min(names, key=lambda n: (len(n), n))
            for name in names:
                if name != keep:
                    for alias, target in canonical.items():
                        if target == name:
                            canonical[alias] = keep
                    merged = True
        if not merged:
            break
    kept = {name: renamed(body) for name, body in sorted(models.items()) if canonical[name] == name}
    return kept, canonical


def call_fields() -> list[str]:
    """The JSON names of `calls.create`'s body fields (snake_case parameters, camelCased)."""
    names = inspect.signature(CallsClient.create).parameters
    skip = {"self", "request_options"}
    return [_camel(name) for name in names if name not in skip]


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def main() -> int:
    walker = Walker()
    roots = {key: walker.model(cls)["ref"] for key, cls in ROOTS.items()}
    models, canonical = deduplicated(walker.models)
    roots = {key: canonical[name] for key, name in roots.items()}
    lines = [
        "{",
        f'"sdk": {json.dumps("vapi-server-sdk " + version("vapi-server-sdk"))},',
        f'"roots": {json.dumps(roots)},',
        f'"callFields": {json.dumps(call_fields())},',
        '"enums": [',
        ",\n".join(json.dumps(json.loads(key)) for key in walker.enums),
        "],",
        '"models": {',
        ",\n".join(
            f"{json.dumps(name)}: {json.dumps(body, separators=(',', ':'))}"
            for name, body in models.items()
        ),
        "}}",
    ]
    OUT.write_text("\n".join(lines) + "\n")
    print(f"{OUT}: {len(models)} models, {len(walker.enums)} enumerations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
