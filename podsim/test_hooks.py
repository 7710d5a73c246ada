"""Misbehaviour on request, for gateway tests (`--test-hooks` only): a pod the gateway must not
trust, driven by headers the test sends through the gateway.

- `x-podsim-created-id: ID`  a create answers with this id (colliding with another pod's)
- `x-podsim-answer-bytes: N` a list answers a valid but N-byte document, streamed
- `x-podsim-delete-after-s: S` a delete is accepted at once but finishes S seconds later (as
  Nova and Cinder delete: the resource shows until then)
"""

from collections.abc import Awaitable, Callable

from aiohttp import web

from podsim.config import PodConfig

__all__ = ["CREATED_ID", "DELETE_AFTER_S", "misbehaviour"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CREATED_ID = "created_id"
DELETE_AFTER_S = "delete_after_s"
_ID_HEADER = "x-podsim-created-id"
_DELETE_AFTER_HEADER = "x-podsim-delete-after-s"
_SIZE_HEADER = "x-podsim-answer-bytes"
_CHUNK = b"x" * (1024 * 1024)


def misbehaviour(config: PodConfig) -> list[Callable[..., Awaitable[web.StreamResponse]]]:
    """The middlewares of a pod started with `--test-hooks`; none otherwise."""
    return [_misbehave] if config.test_hooks else []


@web.middleware
async def _misbehave(request: web.Request, handler: Handler) -> web.StreamResponse:
    created_id = request.headers.get(_ID_HEADER)
    if created_id and request.method == "POST":
        request[CREATED_ID] = created_id
    delay = request.headers.get(_DELETE_AFTER_HEADER, "")
    if request.method == "DELETE" and delay.replace(".", "", 1).isdigit():
        request[DELETE_AFTER_S] = float(delay)
    size = request.headers.get(_SIZE_HEADER, "")
    if size.isdigit() and request.method == "GET":
        return await _huge_list(request, int(size))
    return await handler(request)


async def _huge_list(request: web.Request, size: int) -> web.StreamResponse:
    """`{"servers": [], "padding": "xxx…"}` of `size` bytes: valid, empty and enormous."""
    collection = request.path.rstrip("/").split("/")[-1]
    if collection == "detail":
        collection = request.path.rstrip("/").split("/")[-2]
    if request.path.startswith("/network/"):
        collection = collection.replace("-", "_")  # Neutron: security-groups -> security_groups
    head = f'{{"{collection}": [], "padding": "'.encode()
    tail = b'"}'
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.content_length = size
    await response.prepare(request)
    await response.write(head)
    left = size - len(head) - len(tail)
    while left > 0:
        piece = _CHUNK[: min(left, len(_CHUNK))]
        await response.write(piece)
        left -= len(piece)
    await response.write(tail)
    await response.write_eof()
    return response
