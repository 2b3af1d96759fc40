"""ConversationEngine: one asyncio loop on a thread of its own, with one workspace, where a
process's Locust users run their conversations side by side.

``start(scenario)`` may be called from any thread (a user's greenlet); it returns a
concurrent Future of the ``RunResult``. The workspace is opened on first use and closed by
``close()``. Nothing in here knows of gevent or Locust.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import logging
import tempfile
import threading
import time
from pathlib import Path

from voicepanel.core.errors import VoicePanelError
from voicepanel.scenarios.model import Scenario
from voicepanel.scenarios.results import Outcome, RunResult
from voicepanel.scenarios.runner import ScenarioRunner, use_responders
from voicepanel.scenarios.workspaces import open_workspace
from voicepanel.session.workspace import Workspace

log = logging.getLogger(__name__)

OPEN_TIMEOUT_S = 60.0


class ConversationEngine:
    def __init__(
        self, profile: str | None, sandbox_url: str | None = None, folder: Path | None = None
    ) -> None:
        self.profile = profile
        self.sandbox_url = sandbox_url
        self.folder = folder or Path(tempfile.mkdtemp(prefix="voicepanel-load-"))
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name="voicepanel-load", daemon=True)
        self._thread.start()
        self._workspace: Workspace | None = None
        self._opening: asyncio.Future[Workspace] | None = None
        self._restores: list = []
        self._numbers = itertools.count(1)
        self.started = 0
        self.finished = 0
        self.cpu_s = 0.0  # CPU time of this process while conversations ran (for benchmarks)

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def start(self, scenario: Scenario) -> concurrent.futures.Future[RunResult]:
        self.started += 1
        return asyncio.run_coroutine_threadsafe(self._converse(scenario), self.loop)

    async def _converse(self, scenario: Scenario) -> RunResult:
        number = next(self._numbers)
        try:
            workspace = await self._open(scenario)
        except VoicePanelError as exc:
            self.finished += 1
            return RunResult(
                scenario, time.time(), 0.0, Outcome.ERROR, error=str(exc), repeat=number
            )
        runner = ScenarioRunner(workspace, self.folder, record=False)
        result = await runner.run(scenario, number, responders=False)
        self.finished += 1
        return result

    async def _open(self, scenario: Scenario) -> Workspace:
        """The workspace, opened once for every user of this process; the scenario's
        responders stay in force for all of them."""
        if self._opening is None:
            self._opening = asyncio.ensure_future(self._open_once(scenario))
        return await asyncio.shield(self._opening)

    async def _open_once(self, scenario: Scenario) -> Workspace:
        workspace = await asyncio.wait_for(
            open_workspace(self.profile, self.sandbox_url), OPEN_TIMEOUT_S
        )
        self._workspace = workspace
        self._restores.append(use_responders(workspace.live, scenario.responders))
        return workspace

    def close(self, timeout_s: float = 30.0) -> None:
        """Ends the calls and closes the workspace, then stops the thread."""
        future = asyncio.run_coroutine_threadsafe(self._close(), self.loop)
        try:
            future.result(timeout_s)
        except (concurrent.futures.TimeoutError, Exception):  # noqa: BLE001 - quitting anyway
            log.warning("The load engine's workspace did not close cleanly", exc_info=True)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)

    async def _close(self) -> None:
        for restore in self._restores:
            restore()
        if self._workspace is not None:
            await self._workspace.close()
