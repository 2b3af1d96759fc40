"""A tiny Server URL receiver for the tests: a real aiohttp server on a free port that keeps
every message the sandbox posts (with its headers and arrival time) and answers the ones
that expect an answer as the test tells it to."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Answer = Callable[[dict[str, Any]], Awaitable[Any]]


@dataclass
class Post:
    at: float  # loop time of arrival
    message: dict[str, Any]
    headers: dict[str, str]

    @property
    def type(self) -> str:
        return self.message["type"]


@dataclass
class Receiver:
    url: str
    posts: list[Post] = field(default_factory=list)
    answers: dict[str, Answer] = field(default_factory=dict)  # by message type
    delay_s: float = 0.0  # how long every answer takes (a slow receiver)
    failures: int = 0  # how many posts, from now, are answered 503 (a receiver in trouble)
    _news: asyncio.Event = field(default_factory=asyncio.Event)

    def types(self, call_id: str | None = None) -> list[str]:
        return [p.type for p in self.posts if call_id is None or p.message["call"]["id"] == call_id]

    async def wait_for(self, kind: str, timeout: float = 5.0, **fields: Any) -> Post:
        async with asyncio.timeout(timeout):
            while True:
                for post in self.posts:
                    m = post.message
                    if m["type"] == kind and all(m.get(k) == v for k, v in fields.items()):
                        return post
                self._news.clear()
                await self._news.wait()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        message = body["message"]
        self.posts.append(Post(asyncio.get_running_loop().time(), message, dict(request.headers)))
        self._news.set()
        if self.failures > 0:
            self.failures -= 1
            return web.json_response({"error": "busy"}, status=503)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        answer = self.answers.get(message["type"])
        if answer is None:
            return web.json_response({})
        return web.json_response(await answer(message))


@asynccontextmanager
async def server_url_receiver() -> AsyncIterator[Receiver]:
    app = web.Application()
    receiver = Receiver(url="")
    app.router.add_post("/events", receiver.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    receiver.url = f"http://127.0.0.1:{runner.addresses[0][1]}/events"
    try:
        yield receiver
    finally:
        await runner.cleanup()
