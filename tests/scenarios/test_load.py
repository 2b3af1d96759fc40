"""``voicepanel load`` with 20 users against the sandbox, run as Locust runs across
machines: a master and two worker processes (here on one machine). Every conversation is
run in a room of its own and scored, and the figures come back through Locust to the
master's table and the HTML load report."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = Path(__file__).with_name("load-echo.toml")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def voicepanel_load(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "voicepanel", "load", str(SCENARIO), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env=env,
    )


@pytest.mark.timeout(300)
def test_twenty_users_on_a_master_and_two_workers_are_all_scored(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    port = free_port()
    report = tmp_path / "report"
    # Every user starts at once; 5 s of new conversations is one each (the first one of a
    # process also loads the VAPI SDK), and the test ends when all of them are scored.
    master = voicepanel_load(
        *("--users", "20", "--spawn-rate", "20", "--duration", "5s", "--report", str(report)),
        *("--master", "--expect-workers", "2", "--master-bind-port", str(port), "--only-summary"),
        env=env,
    )
    workers = [voicepanel_load("--worker", "--master-port", str(port), env=env) for _ in range(2)]
    try:
        output, _ = master.communicate(timeout=300)
    finally:
        for worker in workers:
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
    worker_output = [w.stdout.read() if w.stdout else "" for w in workers]
    assert master.returncode == 0, output[-4000:]
    assert all(w.returncode == 0 for w in workers), worker_output
    scored = re.search(r"VoicePanel load: (\d+) conversations scored \((\d+) failed\)", output)
    assert scored, output[-4000:]
    assert int(scored.group(1)) >= 20 and scored.group(2) == "0"
    assert "cut short" not in output
    assert "No failures, no Fishjam or VAPI errors." in output
    # Locust's own table lists the turn as a request, with the master's aggregated count.
    turn = re.search(
        r"turn\s+Echo under load / turn 1: says \"Hello, can you hear me\?\"\s+(\d+)", output
    )
    assert turn and int(turn.group(1)) == int(scored.group(1))
    html = (report / "load-report.html").read_text(encoding="utf-8")
    assert 'class="load-turns"' in html and "Echo under load / turn 1" in html
