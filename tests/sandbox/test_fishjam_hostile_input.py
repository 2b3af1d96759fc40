"""Hostile input on every Fishjam REST route is a client error with a sentence, never a 500.

Property-based (Hypothesis): random and hand-made hostile requests (deep nesting, NaN,
Infinity, 1e999, integers of thousands of digits, oversized bodies, wrong types, bad query
values, broken multipart, empty path segments, wrong tokens) against a live sandbox. Counts
(inputs tried, 5xx seen, crashes) are printed. A crash is a request the sandbox did not
answer, or an exception it logged.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import Counter

import httpx
import pytest
from fishjam import FishjamClient
from fishjam.recording import CompositionSource
from fishjam_routes import FISHJAM_ROUTES, HOSTILE_BODIES, HostileRequest, hostile_requests
from hypothesis import HealthCheck, given, settings

from voicepanel.sandbox.server import VAPI_PREFIX, Sandbox, SandboxConfig

EXAMPLES = int(os.environ.get("VOICEPANEL_FUZZ_EXAMPLES", "400"))


def test_the_route_list_covers_every_fishjam_route_of_the_sandbox() -> None:
    app = Sandbox(SandboxConfig(port=0)).build_app()
    served = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
        and route.method != "HEAD"
        and not route.resource.canonical.startswith(VAPI_PREFIX + "/")
    }
    listed = {(route.method, route.path) for route in FISHJAM_ROUTES}
    assert served == listed


def real_ids(sandbox: Sandbox) -> dict[str, str]:
    """A room, a peer and a recording, so generated paths can reach past the 404s."""
    sdk = FishjamClient(sandbox.fishjam_url, sandbox.config.token)
    room = sdk.create_room()
    peer, _ = sdk.create_peer(room.id)
    source = CompositionSource(composition_url="http://127.0.0.1:9/c", output_id="o")
    recording = sdk.create_composition_recording(source)
    sdk.client.get_httpx_client().close()
    return {"room_id": room.id, "peer_id": peer.id, "recording_id": recording.id}


def test_every_hand_made_hostile_body_on_every_route_is_a_client_error(
    threaded_sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="voicepanel.sandbox")
    ids = real_ids(threaded_sandbox)
    headers = {
        "Authorization": f"Bearer {threaded_sandbox.config.token}",
        "Content-Type": "application/json",
    }
    statuses: Counter[int] = Counter()
    # Deleting routes last, so the others still find the room, peer and recording.
    routes = sorted(FISHJAM_ROUTES, key=lambda route: route.method == "DELETE")
    with httpx.Client(base_url=threaded_sandbox.fishjam_url, timeout=20) as http:
        for route in routes:
            path = route.path.format(**ids)
            for body in HOSTILE_BODIES:
                response = http.request(route.method, path, content=body, headers=headers)
                statuses[response.status_code] += 1
                assert response.status_code < 500, (route, body[:40], response.text[:200])
    assert statuses[400] + statuses[413] > len(HOSTILE_BODIES) * 10, statuses
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


def test_hostile_requests_to_every_route_get_4xx_never_5xx(
    threaded_sandbox: Sandbox, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="voicepanel.sandbox")
    ids = real_ids(threaded_sandbox)
    token = threaded_sandbox.config.token
    seen: Counter[str] = Counter()
    routes_hit: set[tuple[str, str]] = set()
    server_errors: list[str] = []
    crashes: list[str] = []

    with httpx.Client(base_url=threaded_sandbox.fishjam_url, timeout=20) as http:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        @given(hostile_requests(ids, token))
        def one_request(request: HostileRequest) -> None:
            seen["inputs"] += 1
            routes_hit.add((request.method, request.route.path))
            try:
                response = http.request(
                    request.method,
                    request.path,
                    params=request.query,
                    content=request.body,
                    headers=request.headers,
                )
            except httpx.HTTPError as exc:
                crashes.append(f"{request}: {exc!r}")
                return
            seen[f"{response.status_code // 100}xx"] += 1
            if response.status_code >= 500:
                server_errors.append(f"{request.method} {request.path}: {response.text[:200]}")
            elif response.status_code >= 400:
                assert response.json()["errors"], request

        one_request()
        still_serving = http.get("/validate", headers={"Authorization": f"Bearer {token}"})
        assert still_serving.status_code == 200

    logged = [r.getMessage() for r in caplog.records if r.exc_info]
    with capsys.disabled():
        print(
            f"\nFishjam REST fault injection: {seen['inputs']} inputs over {len(routes_hit)} "
            f"routes ({seen['2xx']} 2xx, {seen['4xx']} 4xx); 5xx seen: {len(server_errors)}; "
            f"crashes: {len(crashes) + len(logged)}"
        )
    assert server_errors == []
    assert crashes == [] and logged == []
    assert len(routes_hit) == len(FISHJAM_ROUTES)


async def test_an_authorization_header_that_is_not_text_is_unauthorized(sandbox: Sandbox) -> None:
    host, port = sandbox.fishjam_url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b"GET /room HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\r\n"
        b"Connection: close\r\n\r\n"
    )
    await writer.drain()
    answer = await reader.read()
    writer.close()
    assert answer.startswith(b"HTTP/1.1 401 ")
    assert b'"errors"' in answer
