"""VAPI's official JavaScript server SDK (@vapi-ai/server-sdk) against the sandbox's /vapi.

One Node process (tests/js/vapi_sdk_conformance.js) drives a sandbox started with the
project's own command line, at its own address and with no proxy, and reports each
operation; every operation is a test of its own here, so a failure names it. Node and the
SDK come from `scripts/setup.sh` (npm ci in tests/js); missing, the test fails saying so
(tests/sandbox/node_sdk.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from node_sdk import run_program, sandbox_process

KEY = "js-sdk-vapi-key"

OPERATIONS = [
    "assistants.list",
    "assistants.get",
    "calls.create.assistant_id",
    "calls.create.inline_assistant",
    "calls.get",
    "calls.list",
    "calls.update",
    "calls.delete",
    "errors.400_unknown_field",
    "errors.400_unknown_provider",
    "errors.401_wrong_key",
    "errors.404_call",
]


@pytest.fixture(scope="module")
def vapi_url() -> Iterator[str]:
    with sandbox_process("--vapi-key", KEY) as ready:
        match = re.search(r"VAPI (http://\S+)", ready)
        assert match, f"the sandbox did not announce itself: {ready!r}"
        yield match.group(1)


@pytest.fixture(scope="module")
def results(vapi_url: str) -> dict[str, dict[str, Any]]:
    env = {"VAPI_URL": vapi_url, "VAPI_KEY": KEY}
    reported, stderr = run_program("vapi_sdk_conformance.js", "@vapi-ai/server-sdk", env, 120)
    assert reported, f"the program reported nothing; stderr: {stderr}"
    return reported


@pytest.mark.parametrize("operation", OPERATIONS)
def test_the_vapi_javascript_sdk_operation_works_against_the_sandbox(
    results: dict[str, dict[str, Any]], operation: str
) -> None:
    result = results.get(operation)
    assert result is not None, f"the program never reported {operation}"
    assert result["ok"], result["detail"]


def test_the_vapi_javascript_run_reported_nothing_unexpected(
    results: dict[str, dict[str, Any]],
) -> None:
    unexpected = set(results) - set(OPERATIONS)
    assert not unexpected, [results[op] for op in unexpected]
