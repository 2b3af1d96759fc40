"""The Locust side of ``voicepanel load``: a scenario as a Locust user.

Each user runs the scenario over and over (a conversation in its own room, with its own
call) through this process's ConversationEngine, and reports every scored turn as a Locust
request event: type ``turn``, named after the turn, its response time the reply latency
heard at the local agent, failed with the expectation that did not hold. Each
conversation is one ``conversation`` event; set-up failures and Fishjam or VAPI errors are
``error`` events named after their source. Locust's stats, failures table, CSV, web UI and
master/worker distribution therefore need nothing of VoicePanel's.

Run it through ``voicepanel load`` (which loads Locust without monkey-patching); Locust's
own ``locust -f`` works too with ``LOCUST_SKIP_MONKEY_PATCH=1`` set.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import gevent
from gevent import GreenletExit
from locust import User, events, task
from locust.env import Environment
from locust.runners import WorkerRunner

from voicepanel.scenarios.load.engine import ConversationEngine
from voicepanel.scenarios.load.scoring import CONVERSATION, ConversationFailed, conversation_events
from voicepanel.scenarios.load.summary import (
    CUT_SHORT,
    load_report_html,
    summarize,
    terminal_table,
)
from voicepanel.scenarios.loader import load_scenario
from voicepanel.scenarios.model import Scenario

log = logging.getLogger(__name__)
# A line per HTTP request of every conversation would bury Locust's own output.
logging.getLogger("httpx").setLevel(logging.WARNING)

POLL_S = 0.05


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    group = parser.add_argument_group("VoicePanel")
    group.add_argument("--scenario", help="the scenario file each user runs")
    group.add_argument("--profile-name", default="", help="a saved profile (default: sandbox)")
    group.add_argument("--sandbox-url", default="", help="a running voicepanel-sandbox")
    group.add_argument("--vp-report", default="", help="folder for the HTML load report")


class _Shared:
    engine: ConversationEngine | None = None
    scenario: Scenario | None = None


def _engine(environment: Environment) -> tuple[ConversationEngine, Scenario]:
    if _Shared.engine is None or _Shared.scenario is None:
        options = environment.parsed_options
        _Shared.scenario = load_scenario(options.scenario)
        _Shared.engine = ConversationEngine(
            options.profile_name or None, options.sandbox_url or None
        )
    return _Shared.engine, _Shared.scenario


@events.quitting.add_listener
def _close(environment: Environment, **_kwargs: Any) -> None:
    if _Shared.engine is not None:
        _Shared.engine.close()
        _Shared.engine = None
    if isinstance(environment.runner, WorkerRunner):
        return  # the master reports everyone's figures
    options = environment.parsed_options
    users = int(getattr(options, "num_users", 0) or 0)
    summary = summarize(environment.stats, users)
    print(terminal_table(summary), flush=True)
    folder = getattr(options, "vp_report", "")
    if folder:
        path = Path(folder) / "load-report.html"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(
                load_report_html(summary, Path(options.scenario), str(options.run_time or "")),
                encoding="utf-8",
            )
            print(f"Load report: {path}", flush=True)
        except OSError as exc:
            log.error("Could not write the load report in %s: %s", folder, exc)


class ScenarioUser(User):
    """One person talking to the assistant: the scenario, again and again."""

    def wait_time(self) -> float:
        return 0.0

    @task
    def converse(self) -> None:
        engine, scenario = _engine(self.environment)
        started = time.perf_counter()
        future = engine.start(scenario)
        try:
            while not future.done():
                gevent.sleep(POLL_S)  # cooperative: other users and Locust's own work go on
        except GreenletExit:
            # Locust stopped this user mid-conversation (past --stop-timeout): say so, so
            # no conversation goes uncounted.
            self.environment.events.request.fire(
                request_type=CONVERSATION,
                name=scenario.name,
                response_time=(time.perf_counter() - started) * 1000,
                response_length=0,
                exception=ConversationFailed(CUT_SHORT),
                context={},
            )
            raise
        result = future.result()
        for event in conversation_events(result, (time.perf_counter() - started) * 1000):
            self.environment.events.request.fire(**event)
