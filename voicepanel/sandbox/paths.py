"""Request paths read as Fishjam's real server (Phoenix/Plug) reads them: empty segments ignored.

Plug splits a path on "/" and drops the empty pieces, so `//room`, `/room/` and
`//socket/server/websocket` reach the same routes as `/room` and `/socket/server/websocket`.
Fishjam's JavaScript server SDK relies on it: it joins its base URL (which ends in "/") with
paths that start with "/". `EmptySegmentsIgnored` gives the whole sandbox that reading once,
for REST and WebSocket routes alike, under Fishjam's root and VAPI's prefix.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aiohttp import web
from yarl import URL


def normalised(path: str) -> str:
    """`path` with its empty segments removed (`//room/` -> `/room`, `//` -> `/`)."""
    return "/" + "/".join(part for part in path.split("/") if part)


def has_empty_segments(path: str) -> bool:
    return "//" in path or (len(path) > 1 and path.endswith("/"))


class EmptySegmentsIgnored(web.AbstractResource):
    """A catch-all resource, consulted after every real route failed to match: a path with
    empty segments is resolved again without them, against the same router.

    aiohttp walks a path's prefixes from the longest, and this resource sits at the root, so
    well-formed paths never reach it and pay nothing.
    """

    def __init__(self, router: web.UrlDispatcher) -> None:
        super().__init__()
        self._router = router

    @property
    def canonical(self) -> str:
        return "/"

    def url_for(self, **kwargs: str) -> URL:
        return URL.build(path="/")

    async def resolve(
        self, request: web.Request
    ) -> tuple[web.UrlMappingMatchInfo | None, set[str]]:
        raw_path = request.rel_url.raw_path
        if not has_empty_segments(raw_path):
            return None, set()
        url = URL.build(
            path=normalised(raw_path), query_string=request.rel_url.raw_query_string, encoded=True
        )
        match = await self._router.resolve(request.clone(rel_url=url))
        exception = match.http_exception
        if exception is None:
            return match, set()
        if isinstance(exception, web.HTTPMethodNotAllowed):
            return None, set(exception.allowed_methods)
        return None, set()

    def add_prefix(self, prefix: str) -> None:
        raise NotImplementedError("EmptySegmentsIgnored belongs at an application's root")

    def get_info(self) -> Any:
        return {"path": "/"}

    def raw_match(self, path: str) -> bool:
        return False

    def __len__(self) -> int:
        return 0

    def __iter__(self) -> Iterator[Any]:
        return iter(())


def ignore_empty_segments(app: web.Application) -> None:
    """Serve `app`'s routes under paths with empty segments too; call after adding routes."""
    app.router.register_resource(EmptySegmentsIgnored(app.router))
