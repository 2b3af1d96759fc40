"""VAPI's official JavaScript server SDK (@vapi-ai/server-sdk) against the sandbox's /vapi.

One Node process (tests/js/vapi_sdk_conformance.js) drives a sandbox started with the
project's own command line, at its own address and with no proxy, and reports each
operation; every operation is a test of its own here, so a failure names it. Node and the
SDK come from `scripts/setup.sh` (npm ci in tests/js); missing, the test fails saying so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

JS_DIR = Path(__file__).resolve().parents[1] / "js"
PROGRAM = JS_DIR / "vapi_sdk_conformance.js"
SDK = JS_DIR / "node_modules" / "@vapi-ai" / "server-sdk"
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
    """The sandbox as a user runs it: `python -m voicepanel.sandbox`, its own process."""
    command = [sys.executable, "-m", "voicepanel.sandbox", "--port", "0", "--vapi-key", KEY]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        ready = server.stdout.readline()
        match = re.search(r"VAPI (http://\S+)", ready)
        assert match, f"the sandbox did not announce itself: {ready!r}"
        yield match.group(1)
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def results(vapi_url: str) -> dict[str, dict[str, Any]]:
    node = shutil.which("node")
    if node is None or not SDK.is_dir():
        pytest.fail(
            "Node.js or VAPI's JavaScript SDK is missing: run `bash scripts/setup.sh` "
            "(it installs Node when needed, then runs npm ci in tests/js)."
        )
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env |= {"NO_PROXY": "*", "VAPI_URL": vapi_url, "VAPI_KEY": KEY}
    done = subprocess.run(
        [node, str(PROGRAM)], cwd=JS_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    reported = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert reported, f"the program reported nothing; stderr: {done.stderr}"
    return {result["op"]: result for result in reported}


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
