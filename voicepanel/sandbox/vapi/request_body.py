"""Reading a JSON body a client sent to /vapi, refusing what no JSON API should take: a
body over 1 MB (413), bytes that are not UTF-8, NaN, Infinity or numbers too large for a
double (1e999), nesting deeper than 64 levels, and anything that is not JSON (400). Each
refusal says what was wrong in a sentence.

(The Fishjam side has its own reader, rest_input.py; the two may become one shared module.)
"""

from __future__ import annotations

import json
import math
from typing import Any

from aiohttp import web

from .errors import VapiApiError, bad_request

MAX_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 64


async def read_json_body(request: web.Request) -> Any:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise _too_large()
    raw = bytearray()
    while chunk := await request.content.read(64 * 1024):
        raw += chunk
        if len(raw) > MAX_BODY_BYTES:
            raise _too_large()
    return parse_json(bytes(raw))


def parse_json(raw: bytes | str) -> Any:
    """JSON text as Python values, or a 400 saying why it is refused."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise bad_request("The body is not UTF-8 text.") from None
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except RecursionError:
        raise _too_deep() from None
    except ValueError as exc:  # JSONDecodeError, and integers past Python's digit limit
        raise bad_request(f"The body is not valid JSON: {exc}.") from None
    if _depth(value) > MAX_DEPTH:
        raise _too_deep()
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:40]} is too large for a number")
    return value


def _depth(value: Any) -> int:
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _too_large() -> VapiApiError:
    return VapiApiError(413, f"The body is larger than {MAX_BODY_BYTES // 1024} KB.")


def _too_deep() -> VapiApiError:
    return bad_request(f"The body is nested more than {MAX_DEPTH} levels deep.")
