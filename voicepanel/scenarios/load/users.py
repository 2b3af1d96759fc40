"""A scenario as a Locust user: what `voicepanel load` runs (through `locustfile`).

Each user runs the scenario over and over, a conversation in its own room with its own
call, and reports every scored turn as a Locust request event: type ``turn``, named after
the turn, its response time the reply latency heard at the local agent, failed with the
expectation that did not hold. Each conversation is one ``conversation`` event; set-up
failures and Fishjam or VAPI errors are ``error`` events named after their source.
Locust's stats, failures table, CSV, web UI and master/worker distribution therefore work
unchanged. The conversations themselves run in this process's engine (``engine``), a child
process of plain asyncio, out of gevent's way.
"""

from __future__ import annotations

import itertools
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from gevent import GreenletExit, sleep, spawn, spawn_later, subprocess
from gevent.event import AsyncResult
from gevent.lock import Semaphore
from locust import User, events, task
from locust.env import Environment
from locust.exception import StopUser
from locust.runners import MasterRunner, WorkerRunner

from voicepanel.scenarios.load.scoring import (
    CONVERSATION,
    ConversationFailed,
    ServiceError,
    from_wire,
)
from voicepanel.scenarios.load.summary import (
    CUT_SHORT,
    load_report_html,
    summarize,
    terminal_table,
)

log = logging.getLogger(__name__)
ENGINE_QUIT_S = 60.0
FINISH, IDLE = "voicepanel-finish", "voicepanel-idle"  # custom messages, master <-> workers
STATS_SETTLE_S = 4.0  # longer than Locust's 3 s between a worker's stats reports


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    group = parser.add_argument_group("VoicePanel")
    group.add_argument("--scenario", help="the scenario file each user runs")
    group.add_argument("--profile-name", default="", help="a saved profile (default: sandbox)")
    group.add_argument("--sandbox-url", default="", help="a running voicepanel-sandbox")
    group.add_argument("--vp-report", default="", help="folder for the HTML load report")
    group.add_argument("--vp-duration", type=float, default=0.0, help="seconds, then stop")


class EngineClient:
    """The engine process of this Locust process, and the answers it owes."""

    def __init__(self, scenario: str, profile: str, sandbox_url: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "voicepanel.scenarios.load.engine", scenario]
            + ["--profile", profile, "--sandbox-url", sandbox_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._waiting: dict[int, AsyncResult] = {}
        self._ids = itertools.count(1)
        self._reader = spawn(self._read)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                answer = json.loads(line)
                waiting = self._waiting.pop(answer["id"])
            except (ValueError, KeyError):
                continue
            waiting.set(answer["events"])
        for waiting in self._waiting.values():
            waiting.set_exception(ServiceError("the conversation engine stopped"))

    def converse(self) -> list[dict[str, Any]]:
        """One conversation, scored; blocks this greenlet only."""
        request = next(self._ids)
        result = AsyncResult()
        self._waiting[request] = result
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"id": request}) + "\n")
        self.process.stdin.flush()
        return [from_wire(e) for e in result.get()]

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(ENGINE_QUIT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()


class _Shared:
    engine: EngineClient | None = None
    starting = Semaphore()  # starting the engine yields: only one user starts it
    conversing = 0  # this process's users in a conversation now
    finishing = False  # the duration is over: no new conversations
    told_idle = False
    idle_workers = 0  # on the master: workers whose conversations are all over


def _engine(environment: Environment) -> EngineClient:
    with _Shared.starting:
        if _Shared.engine is None:
            options: Any = environment.parsed_options
            _Shared.engine = EngineClient(
                options.scenario, options.profile_name or "", options.sandbox_url or ""
            )
    return _Shared.engine


@events.test_start.add_listener
def _schedule_end(environment: Environment, **_kwargs: Any) -> None:
    """Ends a headless test after its duration the patient way: each user finishes the
    conversation it is in, then stops; the test quits once every process is idle. (Locust's
    own --run-time makes a master quit at once and kills users mid-conversation, and its
    stop makes workers sleep past the heartbeat timeout.)"""
    seconds = getattr(environment.parsed_options, "vp_duration", 0.0)
    if seconds and not isinstance(environment.runner, WorkerRunner):
        spawn_later(seconds, _end, environment)


@events.init.add_listener
def _listen(environment: Environment, **_kwargs: Any) -> None:
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        runner.register_message(FINISH, lambda *_a, **_k: _finish(environment))
    elif isinstance(runner, MasterRunner):
        runner.register_message(IDLE, _worker_idle)


def _worker_idle(*_args: Any, **_kwargs: Any) -> None:
    _Shared.idle_workers += 1


def _finish(environment: Environment) -> None:
    """No new conversations; say so once the ones under way are over."""
    _Shared.finishing = True
    if _Shared.conversing == 0:
        _say_idle(environment)


def _say_idle(environment: Environment) -> None:
    if isinstance(environment.runner, WorkerRunner) and not _Shared.told_idle:
        _Shared.told_idle = True
        environment.runner.send_message(IDLE)


def _end(environment: Environment) -> None:
    runner = environment.runner
    if runner is None:
        return
    log.info("The duration is over: the conversations under way finish, then the test ends.")
    stop_timeout = float(environment.stop_timeout or 0) or 120.0
    deadline = time.monotonic() + stop_timeout
    if isinstance(runner, MasterRunner):
        workers = len(runner.clients)
        runner.send_message(FINISH)
        while _Shared.idle_workers < workers and time.monotonic() < deadline:
            sleep(0.5)
        sleep(STATS_SETTLE_S)  # the workers' last stats reports reach the master
    else:
        _finish(environment)
        while _Shared.conversing and time.monotonic() < deadline:
            sleep(0.5)
    runner.quit()


@events.quitting.add_listener
def _quit(environment: Environment, **_kwargs: Any) -> None:
    if _Shared.engine is not None:
        _Shared.engine.close()
        _Shared.engine = None
    if isinstance(environment.runner, WorkerRunner):
        return  # the master reports everyone's figures
    options: Any = environment.parsed_options
    summary = summarize(environment.stats, int(getattr(options, "num_users", 0) or 0))
    print(terminal_table(summary), flush=True)
    folder = getattr(options, "vp_report", "")
    if folder:
        path = Path(folder) / "load-report.html"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            html = load_report_html(summary, Path(options.scenario), str(options.run_time or ""))
            path.write_text(html, encoding="utf-8")
            print(f"Load report: {path}", flush=True)
        except OSError as exc:
            log.error("Could not write the load report in %s: %s", folder, exc)


class ScenarioUser(User):
    """One person talking to the assistant: the scenario, again and again."""

    def wait_time(self) -> float:
        return 0.0

    @task
    def converse(self) -> None:
        if _Shared.finishing:
            raise StopUser()
        engine = _engine(self.environment)
        started = time.perf_counter()
        _Shared.conversing += 1
        try:
            scored = engine.converse()
        except GreenletExit:
            # Locust stopped this user mid-conversation (past --stop-timeout): counted, so
            # no conversation goes missing from the figures.
            self.environment.events.request.fire(
                request_type=CONVERSATION,
                name=Path(self.environment.parsed_options.scenario).stem,
                response_time=(time.perf_counter() - started) * 1000,
                response_length=0,
                exception=ConversationFailed(CUT_SHORT),
                context={},
            )
            raise
        finally:
            _Shared.conversing -= 1
        for event in scored:
            self.environment.events.request.fire(**event)
        if _Shared.finishing:
            if _Shared.conversing == 0:
                _say_idle(self.environment)
            raise StopUser()
