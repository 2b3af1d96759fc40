"""Fixtures shared by every test: a real sandbox on a free port, and isolated user folders."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator

import pytest

from voicepanel.sandbox.server import Sandbox, SandboxConfig


@pytest.fixture(autouse=True)
def _isolated_user_folders(tmp_path_factory, monkeypatch) -> None:
    """Tests never read or write the user's real settings, data, logs or keyring."""
    home = tmp_path_factory.mktemp("home")
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
    ):
        (home / sub).mkdir()
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("HOME", str(home))
    # No keyring daemon here: tests use the in-memory "this run only" fallback unless they
    # install a keyring backend themselves.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


# The assistants' end of turn in test sandboxes: the conversations these tests play are
# paced for it. The default (VAPI's 1.5 s) has its own test, test_vapi_endpointing.py.
TEST_END_OF_TURN_S = 0.3


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A sandbox on this test's event loop, on a free port."""
    server = Sandbox(SandboxConfig(port=0, end_of_turn_s=TEST_END_OF_TURN_S))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


class ThreadedSandbox:
    """A sandbox on its own loop in a background thread, for tests whose loop is Qt's
    or that call the blocking SDK directly."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.loop = asyncio.new_event_loop()
        self.server = Sandbox(config)
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> Sandbox:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(timeout=30)
        return self.server

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


@pytest.fixture
def threaded_sandbox() -> Iterator[Sandbox]:
    with ThreadedSandbox(SandboxConfig(port=0)) as server:
        yield server
