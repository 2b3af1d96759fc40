"""Scenario load against the sandbox: how many conversations run at once on this machine
before the reply latency heard at the local agents grows by more than 10% over a single
conversation, and what the runner itself costs per conversation.

Starts `python -m voicepanel.sandbox` and E conversation engines (the processes `voicepanel
load` runs its conversations in: `python -m voicepanel.scenarios.load.engine`), warms each
engine up with one conversation (loading the VAPI SDK takes seconds, once per process),
then for each N starts N conversations of the scenario at once, split over the engines,
for a few rounds. Reported per N: the reply latency at the agents (p50, p90, max over
every turn), the ratio of its p50 to the single conversation's, failed turns, and the CPU
seconds the engines (the runner) and the sandbox used per conversation. Prints figures,
asserts nothing.

    python benchmarks/load_sandbox.py [--users 1 5 10 20 30] [--engines 2] [--rounds 2]
                                      [--scenario benchmarks/load-echo.toml]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "benchmarks" / "load-echo.toml"


class Engine:
    def __init__(self, scenario: Path, sandbox_url: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "voicepanel.scenarios.load.engine", str(scenario)]
            + ["--sandbox-url", sandbox_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            # The engines' sandbox profile keeps its secrets for the run only: a file keyring
            # would ask for its passphrase on the terminal and the engine would wait on it.
            env={**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
        )
        self.answers: dict[int, list[dict]] = {}
        self._done = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            answer = json.loads(line)
            with self._done:
                self.answers[answer["id"]] = answer["events"]
                self._done.notify_all()

    def start(self, request: int) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"id": request}) + "\n")
        self.process.stdin.flush()

    def wait(self, requests: list[int], timeout_s: float = 300) -> list[list[dict]]:
        with self._done:
            self._done.wait_for(lambda: all(r in self.answers for r in requests), timeout_s)
            return [self.answers.pop(r) for r in requests if r in self.answers]

    def cpu_s(self) -> float:
        times = psutil.Process(self.process.pid).cpu_times()
        return times.user + times.system

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_sandbox() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "voicepanel.sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().split()[3]


def cpu_of(process: subprocess.Popen[str]) -> float:
    times = psutil.Process(process.pid).cpu_times()
    return times.user + times.system


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, nargs="+", default=[1, 5, 10, 15, 20, 25])
    parser.add_argument("--engines", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--scenario", type=Path, default=SCENARIO)
    args = parser.parse_args()
    sandbox, url = start_sandbox()
    engines = [Engine(args.scenario, url) for _ in range(args.engines)]
    request = 0
    try:
        for engine in engines:  # load the SDKs, open the workspaces
            request += 1
            engine.start(request)
            engine.wait([request])
        print(
            f"scenario {args.scenario.name}, {args.engines} engine process(es), "
            f"{args.rounds} round(s) per N, on {psutil.cpu_count()} cores"
        )
        print(
            f"{'N':>4} {'p50 ms':>7} {'p90 ms':>7} {'max ms':>7} {'x single':>8} "
            f"{'failed':>6} {'runner CPU s/conv':>17} {'sandbox CPU s/conv':>18} {'wall s':>7}"
        )
        baseline = None
        for users in args.users:
            latencies: list[float] = []
            failed = conversations = 0
            runner_cpu = sum(e.cpu_s() for e in engines)
            sandbox_cpu = cpu_of(sandbox)
            began = time.perf_counter()
            for _ in range(args.rounds):
                asked: dict[int, list[int]] = {i: [] for i in range(len(engines))}
                for n in range(users):
                    request += 1
                    engines[n % len(engines)].start(request)
                    asked[n % len(engines)].append(request)
                for i, engine in enumerate(engines):
                    for events in engine.wait(asked[i]):
                        conversations += 1
                        for event in events:
                            if event["request_type"] == "turn":
                                latencies.append(event["response_time"])
                                failed += bool(event.get("error"))
            wall = time.perf_counter() - began
            runner_cpu = (sum(e.cpu_s() for e in engines) - runner_cpu) / max(conversations, 1)
            sandbox_cpu = (cpu_of(sandbox) - sandbox_cpu) / max(conversations, 1)
            ordered = sorted(latencies)
            p50 = statistics.median(ordered)
            p90 = ordered[max(0, -(-9 * len(ordered) // 10) - 1)]
            baseline = baseline or p50
            print(
                f"{users:>4} {p50:>7.0f} {p90:>7.0f} {ordered[-1]:>7.0f} {p50 / baseline:>8.2f} "
                f"{failed:>6} {runner_cpu:>17.2f} {sandbox_cpu:>18.2f} {wall:>7.1f}",
                flush=True,
            )
    finally:
        for engine in engines:
            engine.close()
        sandbox.terminate()
        sandbox.wait(10)


if __name__ == "__main__":
    main()
