"""Fishjam's official JavaScript server SDK (@fishjam-cloud/js-server-sdk) against the sandbox.

One Node process (tests/js/fishjam_sdk_conformance.js) drives a sandbox started with the
project's own command line, at the sandbox's own address and with no proxy, and reports
each operation; every operation is a test of its own here, so a failure names it. The SDK
builds its URLs with a doubled slash (`http://host:port//room`), so every operation also
proves the sandbox reads paths as Fishjam's real server does.

Node and the SDK come from `scripts/setup.sh` (Debian's nodejs/npm when no node is installed,
then `npm ci` in tests/js). Missing, the test fails with that instruction; it never skips.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from node_sdk import run_program, sandbox_process

from voicepanel.sandbox.fishjam.rest_input import ROOM_TYPES

PROGRAM = "fishjam_sdk_conformance.js"
TOKEN = "js-sdk-management-token"
SECRET = "js-sdk-webhook-secret"

OPERATIONS = [
    *(f"rooms.create.{room_type}" for room_type in ROOM_TYPES),
    "rooms.create.with_options",
    "rooms.get",
    "rooms.list",
    "peers.create.webrtc_with_metadata",
    "peers.refresh_token",
    "peers.delete",
    "agents.create",
    "agents.audio_both_ways",
    "agents.pcm16_48k_track",
    "agents.opus_track_refused",
    "agents.interrupt",
    "subscriptions.subscribe_peer",
    "subscriptions.subscribe_tracks",
    "agents.delete_track",
    "notifier.events_in_order",
    "notifier.bad_token",
    "livestream.viewer_and_streamer_tokens",
    "errors.400_livestream_token_for_a_conference_room",
    "errors.400_bad_room_config",
    "errors.401_wrong_token",
    "errors.404_room",
    "errors.404_peer",
    "errors.409_room_full",
    "webhooks.signed_and_in_order",
]


class JsRun:
    """What the Node program reported, one result per operation, and what it logged."""

    def __init__(self, results: dict[str, dict[str, Any]], stderr: str) -> None:
        self.results = results
        self.stderr = stderr


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    with sandbox_process("--token", TOKEN, "--webhook-secret", SECRET) as ready:
        match = re.search(r"Fishjam (http://\S+)", ready)
        assert match, f"the sandbox did not announce itself: {ready!r}"
        yield match.group(1)


@pytest.fixture(scope="module")
def js_run(sandbox_url: str) -> JsRun:
    env = {"FISHJAM_URL": sandbox_url, "FISHJAM_TOKEN": TOKEN, "WEBHOOK_SECRET": SECRET}
    return JsRun(*run_program(PROGRAM, "@fishjam-cloud/js-server-sdk", env, timeout=240))


@pytest.mark.parametrize("operation", OPERATIONS)
def test_the_javascript_sdk_operation_works_against_the_sandbox(
    js_run: JsRun, operation: str
) -> None:
    result = js_run.results.get(operation)
    assert result is not None, f"the program never reported {operation}; stderr: {js_run.stderr}"
    assert result["ok"], result["detail"]


def test_the_javascript_run_reported_nothing_unexpected(js_run: JsRun) -> None:
    unexpected = set(js_run.results) - set(OPERATIONS) - {"runtime"}
    assert not unexpected, [js_run.results[op] for op in unexpected]
    # The SDK logs, rather than raises, frames it cannot decode.
    assert "Couldn't decode" not in js_run.stderr, js_run.stderr
