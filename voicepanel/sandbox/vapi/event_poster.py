"""Delivery of a call's Server URL messages: one ordered sender per call.

`post` queues an informational message (status-update, transcript, ...) and returns at
once; one task sends them in order, each within the server's `timeoutSeconds`, retried as
its `backoffPlan` says (VAPI's default: not at all), then dropped. `request` sends a message
that expects an answer (tool-calls, transfer-destination-request) in the same order, but
waits for the answer off the queue, so a receiver that takes its time answering a tool
never holds back the events after it. Nothing here is awaited by the audio path; a slow or
dead receiver costs a queue, never a frame. Failures are logged once per outage.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import aiohttp

from .server_url import ServerTarget

log = logging.getLogger(__name__)

MAX_PENDING = 2_000
MAX_ANSWER_BYTES = 1024 * 1024
# The lane waits at most this long for a request's body to leave before moving on.
REQUEST_SENT_WAIT_S = 0.2


@dataclass(frozen=True)
class ServerAnswer:
    """What the receiver answered: its JSON (or None) when `problem` is None."""

    status: int | None = None
    body: Any = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def new_http_session() -> aiohttp.ClientSession:
    """The session posters share; it tells a request's sender when its body has left."""
    trace = aiohttp.TraceConfig()
    trace.on_request_chunk_sent.append(_mark_sent)
    trace.on_request_end.append(_mark_sent)
    trace.on_request_exception.append(_mark_sent)
    return aiohttp.ClientSession(trace_configs=[trace])


async def _mark_sent(_session: Any, context: SimpleNamespace, _params: Any) -> None:
    sent = getattr(context, "trace_request_ctx", None)
    if isinstance(sent, asyncio.Event):
        sent.set()


@dataclass
class _Item:
    message: dict[str, Any]
    target: ServerTarget
    answer: asyncio.Future[ServerAnswer] | None = None


class EventPoster:
    def __init__(
        self, target: ServerTarget, session: Callable[[], aiohttp.ClientSession], call_id: str
    ) -> None:
        self.target = target
        self._session = session
        self._call_id = call_id
        self._pending: deque[_Item] = deque()
        self._wake = asyncio.Event()
        self._finishing = False
        self._failing: set[str] = set()
        self._dropped = 0
        self._requests: set[asyncio.Task[None]] = set()
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name=f"vapi server url {call_id}"
        )

    @property
    def task(self) -> asyncio.Task[None]:
        return self._task

    def post(self, message: dict[str, Any]) -> None:
        if self._finishing:
            return
        if len(self._pending) >= MAX_PENDING:
            self._drop_oldest()
        self._pending.append(_Item(message, self.target))
        self._wake.set()

    def request(
        self, message: dict[str, Any], target: ServerTarget | None = None
    ) -> asyncio.Future[ServerAnswer]:
        """Send in order; the future resolves with the answer (or the problem)."""
        answer: asyncio.Future[ServerAnswer] = asyncio.get_running_loop().create_future()
        if self._finishing:
            answer.set_result(ServerAnswer(problem="the call has ended"))
            return answer
        self._pending.append(_Item(message, target or self.target, answer))
        self._wake.set()
        return answer

    def finish(self) -> None:
        """Take nothing more; deliver what is queued, then stop."""
        self._finishing = True
        self._wake.set()

    async def close(self) -> None:
        self._finishing = True
        tasks = [self._task, *self._requests]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for item in self._pending:
            if item.answer is not None and not item.answer.done():
                item.answer.set_result(ServerAnswer(problem="the sandbox stopped"))
        self._pending.clear()

    # -- the lane ---------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            while not self._pending:
                if self._finishing:
                    await asyncio.gather(*self._requests, return_exceptions=True)
                    return
                self._wake.clear()
                await self._wake.wait()
            item = self._pending.popleft()
            body = json.dumps({"message": item.message}, separators=(",", ":")).encode()
            if item.answer is None:
                await self._deliver(item.target, body, None)
                continue
            sent = asyncio.Event()
            task = asyncio.get_running_loop().create_task(
                self._answer(item, body, sent), name=f"vapi server request {self._call_id}"
            )
            self._requests.add(task)
            task.add_done_callback(self._requests.discard)
            waiter = asyncio.ensure_future(sent.wait())
            await asyncio.wait({waiter, task}, timeout=REQUEST_SENT_WAIT_S)
            waiter.cancel()

    async def _answer(self, item: _Item, body: bytes, sent: asyncio.Event) -> None:
        assert item.answer is not None
        answer = ServerAnswer(problem="the sandbox stopped")
        try:
            answer = await self._deliver(item.target, body, sent)
        finally:
            if not item.answer.done():
                item.answer.set_result(answer)

    async def _deliver(
        self, target: ServerTarget, body: bytes, sent: asyncio.Event | None
    ) -> ServerAnswer:
        attempt = 0
        while True:
            answer = await self._attempt(target, body, sent)
            if answer.ok:
                self._recovered(target)
                return answer
            self._failed(target, answer)
            plan = target.backoff
            if attempt >= plan.max_retries or not plan.retries(answer.status):
                return answer
            attempt += 1
            await asyncio.sleep(plan.delay_before(attempt))

    async def _attempt(
        self, target: ServerTarget, body: bytes, sent: asyncio.Event | None
    ) -> ServerAnswer:
        headers = {"Content-Type": "application/json", **target.headers}
        timeout = aiohttp.ClientTimeout(total=target.timeout_s)
        try:
            async with self._session().post(
                target.url, data=body, headers=headers, timeout=timeout, trace_request_ctx=sent
            ) as response:
                raw = await response.content.read(MAX_ANSWER_BYTES + 1)
                if response.status >= 300:
                    return ServerAnswer(response.status, None, f"answered HTTP {response.status}")
                if len(raw) > MAX_ANSWER_BYTES:
                    return ServerAnswer(response.status, None, "answered with more than 1 MB")
                return ServerAnswer(response.status, _json_or_none(raw))
        except TimeoutError:
            return ServerAnswer(problem=f"did not answer within {target.timeout_s:g} s")
        except (aiohttp.ClientError, ValueError, OSError) as exc:
            return ServerAnswer(problem=f"could not be reached ({type(exc).__name__}: {exc})")

    # -- reporting ----------------------------------------------------------------------

    def _failed(self, target: ServerTarget, answer: ServerAnswer) -> None:
        if target.url in self._failing:
            return
        self._failing.add(target.url)
        log.warning(
            "Server URL %s of call %s %s; messages to it are dropped until it answers again",
            target.url,
            self._call_id,
            answer.problem,
        )

    def _recovered(self, target: ServerTarget) -> None:
        if target.url in self._failing:
            self._failing.discard(target.url)
            log.info("Server URL %s of call %s answers again", target.url, self._call_id)

    def _drop_oldest(self) -> None:
        for index, item in enumerate(self._pending):
            if item.answer is None:
                del self._pending[index]
                break
        if self._dropped == 0:
            log.warning(
                "Server URL %s of call %s is %d messages behind; dropping the oldest",
                self.target.url,
                self._call_id,
                MAX_PENDING,
            )
        self._dropped += 1


def _json_or_none(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None
