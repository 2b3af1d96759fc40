"""Quitting without a person, and finding what a killed run left running.

The real app runs as a subprocess on a profile that points at a sandbox in another process,
so the sandbox outlives the app and says what is still running afterwards."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from app_process import (
    PROFILE,
    SECOND_PROFILE,
    AppProcess,
    SandboxProcess,
    assert_no_secret_in_files_under,
)
from tally import TALLY

CALLS, AGENTS = 3, 2


def start_app_with_calls_and_agents(keyring_file: Path) -> tuple[AppProcess, dict]:
    app = AppProcess(keyring_file, "start", PROFILE, str(CALLS), str(AGENTS))
    app.expect_json("OPEN")
    started = app.expect_json("STARTED", 90)
    assert len(started["calls"]) == CALLS and len(started["agents"]) == AGENTS
    return app, started


def sigterm_ends_everything(
    app: AppProcess, started: dict, sandbox_process: SandboxProcess, what: str
) -> None:
    """SIGTERM: the app exits within ten seconds, having ended every call and agent it
    started (in every window), and each window's ledger went with them."""
    try:
        assert set(started["calls"]) <= set(sandbox_process.live_calls())
        assert set(started["agents"]) <= set(sandbox_process.agent_peers())
        sent = time.monotonic()
        app.signal(signal.SIGTERM)
        assert app.wait(10) == 0
        took = time.monotonic() - sent
    finally:
        app.kill()
    print(f"SIGTERM with {what}: exited in {took:.1f} s")
    assert sandbox_process.live_calls() == []
    assert sandbox_process.agent_peers() == []
    for ledger in started["ledgers"]:  # everything in it ended, so it went
        assert not Path(ledger).exists()
    assert not [line for line in app.err if "Traceback" in line], "".join(app.err)
    TALLY["app SIGTERMs"] += 1


def test_sigterm_ends_every_call_and_agent_and_exits_within_ten_seconds(
    sandbox_process: SandboxProcess, keyring_file: Path
) -> None:
    app, started = start_app_with_calls_and_agents(keyring_file)
    sigterm_ends_everything(app, started, sandbox_process, f"{CALLS} calls and {AGENTS} agents")
    assert_no_secret_in_files_under(Path(os.environ["HOME"]))


def test_sigterm_with_two_profile_windows_ends_what_each_window_started(
    sandbox_process: SandboxProcess, keyring_file: Path
) -> None:
    app = AppProcess(keyring_file, "start", PROFILE, "2", "1", SECOND_PROFILE)
    try:
        app.expect_json("OPEN")
        started = app.expect_json("STARTED", 120)
    except BaseException:
        app.kill()
        raise
    assert started["windows"] == [f"VoicePanel — {PROFILE}", f"VoicePanel — {SECOND_PROFILE}"]
    assert len(started["calls"]) == 4 and len(started["agents"]) == 2
    assert len(set(started["ledgers"])) == 2  # one per window
    sigterm_ends_everything(app, started, sandbox_process, "two windows, 4 calls and 2 agents")


def test_after_sigkill_the_next_start_lists_all_five_and_ends_them_on_end_all(
    sandbox_process: SandboxProcess, keyring_file: Path
) -> None:
    app, started = start_app_with_calls_and_agents(keyring_file)
    app.signal(signal.SIGKILL)
    app.wait(10)
    # Killed: nothing was ended, the calls and agent peers are still there.
    assert set(started["calls"]) <= set(sandbox_process.live_calls())
    assert set(started["agents"]) <= set(sandbox_process.agent_peers())

    again = AppProcess(keyring_file, "recover", PROFILE)
    try:
        leftovers = again.expect_json("LEFTOVERS", 90)
        for thing in [*started["calls"], *started["agents"]]:
            assert thing in leftovers["details"]
        assert "3 VAPI calls and 2 agents" in leftovers["text"]
        again.out.expect("SETTLED", 60)
        assert again.wait(20) == 0
    finally:
        again.kill()
    assert sandbox_process.live_calls() == []
    assert sandbox_process.agent_peers() == []
    assert_no_secret_in_files_under(Path(os.environ["HOME"]))
    TALLY["leftovers ended after a SIGKILL"] += CALLS + AGENTS
