"""Hostile input on every VAPI REST route of the sandbox: whatever a client sends, the answer
is a 4xx with a sentence or a success, never a 5xx, and the server (its own process) keeps
serving. A fixed list of hostile bodies and limits first, then Hypothesis (derandomized, a
bounded number of examples per route); the counts are printed at the end of the run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from app_process import TOKEN, VAPI_KEY, SandboxProcess
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tally import TALLY

EXAMPLES_PER_ROUTE = 40

# The Fishjam routes have their own suite (tests/sandbox/test_fishjam_hostile_input.py, on
# the route list tests/sandbox/fishjam_routes.py that is checked against the router).
ROUTES = [
    ("POST", "/vapi/call"),
    ("GET", "/vapi/call"),
    ("GET", "/vapi/call/{call}"),
    ("PATCH", "/vapi/call/{call}"),
    ("DELETE", "/vapi/call/{call}"),
    ("GET", "/vapi/assistant"),
    ("GET", "/vapi/assistant/{assistant}"),
    ("POST", "/vapi/call/{call}/control"),
]

# Texts no JSON encoder produces but a hostile or broken client sends.
RAW_BODIES = [
    "[" * 20_000 + "]" * 20_000,
    '{"a":' * 20_000 + "1" + "}" * 20_000,
    '{"maxPeers": NaN}',
    '{"maxPeers": Infinity, "roomType": "conference"}',
    '{"maxPeers": 1e999}',
    '{"maxPeers": -1e999}',
    '{"type": "agent", "options": {"output": {"audioSampleRate": 1e999}}}',
    '{"type": "vapi", "options": {"callId": NaN, "apiKey": []}}',
    '{"assistantId": {"$ne": null}}',
    '{"type": "say", "message": "' + "x" * 300_000 + '"}',
    "\x00\xff\xfe garbage",
    "null",
    "",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=25,
)
field_names = st.sampled_from(
    [
        "maxPeers",
        "videoCodec",
        "webhookUrl",
        "roomType",
        "public",
        "type",
        "options",
        "subscribeMode",
        "metadata",
        "peer_id",
        "track_ids",
        "assistantId",
        "assistant",
        "transport",
        "message",
        "endCallAfterSpoken",
        "content",
    ]
)
shaped_bodies = st.dictionaries(field_names, json_values, max_size=6)
bodies = st.one_of(
    st.sampled_from(RAW_BODIES),
    shaped_bodies.map(json.dumps),
    json_values.map(json.dumps),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
)
ids = st.one_of(
    st.just("{real}"),
    st.text(min_size=1, max_size=40),
    st.sampled_from(["..", "%00", "%2e%2e%2f", "a" * 5000, "NaN", "-1", "💥"]),
)
HOSTILE_LIMITS = ["NaN", "Infinity", "-Infinity", "1e999", "-1", "0", "abc", "9" * 400]
limits = st.one_of(st.none(), st.sampled_from(HOSTILE_LIMITS), st.integers().map(str))


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    """The sandbox as its own process: a crash would show as its exit."""
    server = SandboxProcess()
    server.start()
    try:
        yield server
        assert server.proc is not None and server.proc.poll() is None, "the sandbox crashed"
    finally:
        TALLY["sandbox crashes"] += int(server.proc is not None and server.proc.poll() is not None)
        server.stop()


@pytest.fixture
def server(sandbox: SandboxProcess) -> tuple[SandboxProcess, dict[str, str]]:
    """A fresh real call for each route, so that hostile input also reaches the code behind
    a valid id (an earlier route may have deleted the last one)."""
    with httpx.Client(base_url=sandbox.url, timeout=10) as client:
        vapi = {"Authorization": f"Bearer {VAPI_KEY}"}
        assistant = client.get("/vapi/assistant", headers=vapi).json()[0]["id"]
        transport = {"provider": "vapi.websocket"}
        call = client.post(
            "/vapi/call", json={"assistantId": assistant, "transport": transport}, headers=vapi
        )
    return sandbox, {"call": call.json()["id"], "assistant": assistant}


def _path(template: str, chosen: dict[str, str], real: dict[str, str]) -> str:
    for name, value in chosen.items():
        segment = real[name] if value == "{real}" else quote(value, safe="")
        template = template.replace("{" + name + "}", segment)
    return template


# Known 500s on the sandbox's VAPI side, each marked strict xfail until its fix lands (a
# mark fails the moment it does, and must then go). None left: the nested bodies and
# non-finite limits that answered 500 are 400s now.
_KNOWN_500: set[tuple[str, str]] = set()


def _route(method: str, template: str) -> Any:
    marks = (
        [pytest.mark.xfail(strict=True, reason="a known sandbox 500, its fix pending")]
        if (method, template) in _KNOWN_500
        else []
    )
    return pytest.param(method, template, id=f"{method} {template}", marks=marks)


@pytest.mark.parametrize(("method", "template"), [_route(m, t) for m, t in ROUTES])
def test_every_hostile_request_gets_a_4xx_or_a_success_never_a_5xx(
    server: Any, method: str, template: str
) -> None:
    sandbox, real = server
    token = VAPI_KEY
    real_ids = {name: "{real}" for name in real}

    def send(body: str, ids: dict[str, str], limit: str | None, authorized: bool) -> None:
        path = _path(template, ids, real)
        headers = {"Content-Type": "application/json"}
        if authorized:
            headers["Authorization"] = f"Bearer {token}"
        params = {"limit": limit} if limit is not None else None
        with httpx.Client(base_url=sandbox.url, timeout=30) as client:
            response = client.request(
                method,
                path,
                params=params,
                headers=headers,
                content=body.encode("utf-8", "surrogatepass") if method != "GET" else None,
            )
        TALLY["VAPI REST inputs tried"] += 1
        if response.status_code >= 500:
            known = (method, template) in _KNOWN_500
            TALLY["VAPI REST 5xx seen" + (" (known, xfail routes)" if known else "")] += 1
        assert response.status_code < 500, (method, path, limit, body[:200], response.text[:300])
        if response.status_code >= 400:
            assert response.text.strip(), "an error without a sentence"

    # Every known-hostile body and limit, always, on the real ids...
    for body in RAW_BODIES:
        send(body, real_ids, None, True)
    for limit in HOSTILE_LIMITS:
        send("{}", real_ids, limit, True)

    # ...then what Hypothesis makes of the rest (reproducible run to run).
    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        body=bodies,
        call=ids,
        assistant=ids,
        limit=limits,
        authorized=st.booleans() | st.just(True),
    )
    def attempt(
        body: str,
        call: str,
        assistant: str,
        limit: str | None,
        authorized: bool,
    ) -> None:
        chosen = {"call": call, "assistant": assistant}
        send(body, chosen, limit, authorized)

    attempt()
    # And it still serves.
    with httpx.Client(base_url=sandbox.url, timeout=10) as client:
        alive = client.get("/room", headers={"Authorization": f"Bearer {TOKEN}"})
    assert alive.status_code == 200
    TALLY["VAPI REST routes fuzzed without a 5xx"] += 1
