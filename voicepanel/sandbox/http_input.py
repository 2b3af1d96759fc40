"""Reading what an HTTP client sends, for every REST route of the sandbox (Fishjam and VAPI).

One reader for JSON bodies so hostile input is a client error everywhere, never a 500:
bodies over a size limit (413), bytes that are not UTF-8 JSON, NaN/Infinity and numbers
that overflow (1e999, integers beyond 64 bits), and nesting deeper than any real request
(400). Each side turns `InputRejected` into its own error body.
"""

from __future__ import annotations

import json
import math
from http import HTTPStatus
from typing import Any

from aiohttp import BodyPartReader, web

# A JSON body larger than this is refused before it is parsed (413). Parsing runs on the
# event loop that also paces audio, so the limit also bounds how long one body can hold it.
MAX_JSON_BYTES = 128 * 1024
# Objects and arrays nested deeper than this are refused (400).
MAX_JSON_DEPTH = 32
# Integers outside a signed 64-bit range are refused: no client means them, and other
# JSON readers (JavaScript's among them) cannot hold them exactly.
MAX_JSON_INT = 2**63 - 1
_READ_CHUNK = 64 * 1024


class InputRejected(Exception):
    """Input the sandbox refuses: an HTTP status (400 or 413) and a sentence saying why."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad_input(message: str) -> InputRejected:
    return InputRejected(HTTPStatus.BAD_REQUEST, message)


async def read_body(request: web.Request, max_bytes: int = MAX_JSON_BYTES) -> bytes:
    """The raw body, or InputRejected(413) once it passes `max_bytes`."""
    too_large = InputRejected(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        f"The request body is larger than the limit of {max_bytes} bytes.",
    )
    if request.content_length is not None and request.content_length > max_bytes:
        raise too_large
    body = bytearray()
    while chunk := await request.content.read(_READ_CHUNK):
        body += chunk
        if len(body) > max_bytes:
            raise too_large
    return bytes(body)


async def read_json(
    request: web.Request, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH
) -> Any:
    """The request's JSON body (None when it is empty or blank), or InputRejected."""
    raw = await read_body(request, max_bytes)
    if not raw.strip():
        return None
    return parse_json(raw, max_depth)


def parse_json(raw: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Strict JSON: finite numbers in range, nesting at most `max_depth` deep."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = json.loads(text, parse_constant=_no_constant, parse_float=_float, parse_int=_int)
    except InputRejected:
        raise
    except RecursionError:
        raise bad_input(f"The JSON body is nested more than {max_depth} levels deep.") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_input(f"The request body is not valid JSON ({_short(exc)}).") from None
    if depth(value, max_depth) > max_depth:
        raise bad_input(f"The JSON body is nested more than {max_depth} levels deep.")
    return value


def depth(value: Any, give_up_past: int = MAX_JSON_DEPTH) -> int:
    """How deeply objects and arrays nest in `value` (a scalar is 0), without recursion;
    stops counting once past `give_up_past`."""
    containers = (dict, list)
    if not isinstance(value, containers):
        return 0
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > deepest:
            deepest = level
            if deepest > give_up_past:
                break
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, level + 1) for child in children if isinstance(child, containers))
    return deepest


def query_text(request: web.Request, name: str, *, max_length: int = 256) -> str | None:
    """One query parameter as text (None when absent); refuses over-long values."""
    value = request.query.get(name)
    if value is not None and len(value) > max_length:
        raise bad_input(f"Query parameter {name} is longer than {max_length} characters.")
    return value


def _no_constant(name: str) -> Any:
    raise bad_input(f"The JSON body contains {name}, which is not a number JSON allows.")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise bad_input(f"The number {_clip(text)} in the JSON body is out of range.")
    return value


def _int(text: str) -> int:
    # Length first: Python refuses to convert integers of over 4300 digits at all.
    if len(text.lstrip("-")) <= 19:
        value = int(text)
        if -MAX_JSON_INT - 1 <= value <= MAX_JSON_INT:
            return value
    raise bad_input(f"The integer {_clip(text)} in the JSON body is out of range.")


def _clip(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _short(exc: Exception) -> str:
    return _clip(str(exc), 120)


async def read_form_parts(
    request: web.Request, max_part_bytes: dict[str, int], max_parts: int = 8
) -> dict[str, bytes]:
    """The named parts of a multipart/form-data body, each within its own size limit.

    Parts named in `max_part_bytes` are kept; others are read (up to the smallest limit)
    and dropped. A body that is not well-formed multipart is a 400.
    """
    if not request.content_type.startswith("multipart/"):
        raise bad_input("The request body must be multipart/form-data.")
    parts: dict[str, bytes] = {}
    try:
        reader = await request.multipart()
        for _ in range(max_parts + 1):
            part = await reader.next()
            if part is None:
                return parts
            if not isinstance(part, BodyPartReader):
                raise bad_input("Nested multipart bodies are not accepted.")
            name = part.name or ""
            limit = max_part_bytes.get(name, min(max_part_bytes.values(), default=0))
            data = bytearray()
            while chunk := await part.read_chunk(_READ_CHUNK):
                data += chunk
                if len(data) > limit:
                    raise InputRejected(
                        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                        f"The {name or 'unnamed'} part is larger than {limit} bytes.",
                    )
            if name in max_part_bytes:
                parts[name] = bytes(data)
    except InputRejected:
        raise
    except Exception as exc:  # aiohttp's parser raises several kinds on malformed input
        raise bad_input(f"The multipart body could not be read ({_short(exc)}).") from None
    raise bad_input(f"The multipart body has more than {max_parts} parts.")
