"""Fixtures for the fault-injection suite: the sandbox as its own process, the app's
profile pointing at it, and a tally of what the suite tried (printed at the end)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from app_process import SandboxProcess, write_profile


@pytest.fixture
def sandbox_process() -> Iterator[SandboxProcess]:
    server = SandboxProcess()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def keyring_file(tmp_path: Path, sandbox_process: SandboxProcess) -> Path:
    """The Lab profile saved, and its secrets in a keyring file outside the app's folders."""
    path = tmp_path / "keyring.json"
    write_profile(sandbox_process, path)
    return path


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tally import TALLY

    if TALLY:
        terminalreporter.section("fault-injection counts")
        for name, count in sorted(TALLY.items()):
            terminalreporter.write_line(f"{name}: {count}")
