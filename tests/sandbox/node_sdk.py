"""Running an official JavaScript SDK against the sandbox, as the conformance tests do: the
sandbox started as a user starts it (`python -m voicepanel.sandbox`, its own process) and
a Node program in tests/js that prints one JSON line per operation (tests/js/reporting.js).

Node and the SDKs come from `scripts/setup.sh` (Debian's nodejs and npm when no node is
installed, then `npm ci` in tests/js). Missing, a test fails with that instruction; it
never skips.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

JS_DIR = Path(__file__).resolve().parents[1] / "js"


@contextmanager
def sandbox_process(*args: str) -> Iterator[str]:
    """The sandbox on a free port with `args`; yields the line it announces itself with."""
    command = [sys.executable, "-m", "voicepanel.sandbox", "--port", "0", *args]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        yield server.stdout.readline()
    finally:
        server.terminate()
        server.wait(timeout=30)


def run_program(
    program: str, sdk: str, env: dict[str, str], timeout: float
) -> tuple[dict[str, dict[str, Any]], str]:
    """Runs tests/js/`program`, straight to the sandbox (no proxy: the SDKs' HTTP clients
    honour one from the environment); returns its results by operation, and its stderr."""
    node = shutil.which("node")
    if node is None or not (JS_DIR / "node_modules" / sdk).is_dir():
        pytest.fail(
            f"Node.js or {sdk} is missing: run `bash scripts/setup.sh` "
            "(it installs Debian's nodejs and npm when needed, then runs npm ci in tests/js)."
        )
    clean = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    done = subprocess.run(
        [node, str(JS_DIR / program)],
        cwd=JS_DIR,
        env=clean | {"NO_PROXY": "*"} | env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    results = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            result = json.loads(line)
            results[result["op"]] = result
    return results, done.stderr
