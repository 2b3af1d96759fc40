"""JSON a client sends to /vapi, read by the sandbox's one strict reader (http_input.py:
size, UTF-8, finite numbers, nesting), its refusals answered in VAPI's error shape."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from voicepanel.sandbox.http_input import InputRejected, parse_json, read_json

from .errors import VapiApiError

# An assistant with a long prompt and many tools fits easily; parsing runs on the loop
# that paces the calls' audio, so larger bodies are refused rather than read.
MAX_BODY_BYTES = 512 * 1024


async def read_json_body(request: web.Request) -> Any:
    try:
        return await read_json(request, MAX_BODY_BYTES)
    except InputRejected as rejected:
        raise VapiApiError(int(rejected.status), rejected.message) from None


def parse_json_text(text: str) -> Any:
    """A JSON message from the transport socket, or VapiApiError saying why not."""
    try:
        return parse_json(text)
    except InputRejected as rejected:
        raise VapiApiError(int(rejected.status), rejected.message) from None
