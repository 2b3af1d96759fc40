"""The conversation engine: a process of its own where a Locust process's users run their
conversations side by side, on one asyncio loop with one workspace.

Locust runs users as gevent greenlets and monkey-patches the standard library for them;
the conversations are asyncio (Fishjam and VAPI sockets, the local agents' audio loop),
which wants the real sockets and threads. So each Locust process that runs users starts
one engine (``python -m voicepanel.scenarios.load.engine``) and talks to it in JSON lines:
a request ``{"id": 7}`` on its standard input starts one conversation of the scenario; the
answer ``{"id": 7, "events": [...]}`` on its standard output carries the scored
conversation as Locust request events (``scoring``). End of input closes the workspace
(ending its calls) and the process.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from voicepanel.core.errors import VoicePanelError
from voicepanel.scenarios.load.scoring import conversation_events, to_wire
from voicepanel.scenarios.loader import ScenarioFileError, load_scenario
from voicepanel.scenarios.model import Scenario
from voicepanel.scenarios.results import Outcome, RunResult
from voicepanel.scenarios.runner import ScenarioRunner, use_responders
from voicepanel.scenarios.workspaces import open_workspace
from voicepanel.session.workspace import Workspace

log = logging.getLogger(__name__)

OPEN_TIMEOUT_S = 60.0
THREADS = 64
SWITCH_INTERVAL_S = 0.001


def use_enough_threads(loop: asyncio.AbstractEventLoop) -> None:
    """The SDKs' blocking calls, speech and file reads go through ``asyncio.to_thread``;
    Python's default pool (cores + 4 threads) makes a dozen conversations queue behind
    each other's HTTP requests, which a load test would report as the assistant's delay."""
    loop.set_default_executor(
        concurrent.futures.ThreadPoolExecutor(THREADS, thread_name_prefix="conversation")
    )


class ConversationHost:
    """Opens the workspace on first use and keeps it for every conversation after."""

    def __init__(self, scenario: Scenario, profile: str | None, sandbox_url: str | None) -> None:
        self.scenario = scenario
        self.profile = profile
        self.sandbox_url = sandbox_url
        self.folder = Path(tempfile.mkdtemp(prefix="voicepanel-load-"))
        self._workspace: Workspace | None = None
        self._opening: asyncio.Task[Workspace] | None = None
        self._restore = lambda: None

    async def converse(self, number: int) -> RunResult:
        started = time.time()
        try:
            workspace = await self._open()
        except VoicePanelError as exc:
            return RunResult(self.scenario, started, 0.0, Outcome.ERROR, error=str(exc))
        runner = ScenarioRunner(workspace, self.folder, record=False, names=False)
        return await runner.run(self.scenario, number, responders=False)

    async def _open(self) -> Workspace:
        if self._opening is None:
            self._opening = asyncio.ensure_future(self._open_once())
        return await asyncio.shield(self._opening)

    async def _open_once(self) -> Workspace:
        workspace = await asyncio.wait_for(
            open_workspace(self.profile, self.sandbox_url), OPEN_TIMEOUT_S
        )
        self._workspace = workspace
        # Every user runs the same scenario: its responders stay in force throughout.
        self._restore = use_responders(workspace.live, self.scenario.responders)
        return workspace

    async def close(self) -> None:
        self._restore()
        if self._workspace is not None:
            await self._workspace.close()


async def serve(host: ConversationHost) -> None:
    loop = asyncio.get_running_loop()
    use_enough_threads(loop)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    tasks: set[asyncio.Task[None]] = set()

    async def one(request_id: Any) -> None:
        began = time.perf_counter()
        result = await host.converse(int(request_id))
        waited_ms = (time.perf_counter() - began) * 1000
        events = [to_wire(e) for e in conversation_events(result, waited_ms)]
        sys.stdout.write(json.dumps({"id": request_id, "events": events}) + "\n")
        sys.stdout.flush()

    while line := await reader.readline():
        with contextlib.suppress(ValueError, KeyError):
            task = asyncio.ensure_future(one(json.loads(line)["id"]))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)
    await host.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m voicepanel.scenarios.load.engine")
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--profile", default="")
    parser.add_argument("--sandbox-url", default="")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="engine %(levelname)s %(name)s: %(message)s")
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioFileError as exc:
        print(f"voicepanel load: {exc}", file=sys.stderr)
        return 2
    host = ConversationHost(scenario, args.profile or None, args.sandbox_url or None)
    # As the window does (app.tune_runtime): the agents' audio thread gets the interpreter
    # back within 1 ms while the loop parses a VAPI response for a second.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    asyncio.run(serve(host))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
