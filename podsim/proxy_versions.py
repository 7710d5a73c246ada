"""Nova's proxy APIs (images, os-volumes, os-snapshots) exist up to microversion 2.35 only."""

from collections.abc import Awaitable, Callable

from aiohttp import web

from podsim.faults import NotFound

__all__ = ["gated"]

_LAST_PROXY_VERSION = (2, 35)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def gated(handler: Handler) -> Handler:
    """`handler` up to 2.35; above, Nova's plain 404, as for a path it does not have."""

    async def answer(request: web.Request) -> web.StreamResponse:
        text = request.get("version_headers", {}).get("X-OpenStack-Nova-API-Version", "2.1")
        major, _, minor = text.partition(".")
        if (int(major), int(minor)) > _LAST_PROXY_VERSION:
            raise NotFound("The resource could not be found.")
        return await handler(request)

    return answer
