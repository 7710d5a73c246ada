"""The main process's side of the link: who the workers are and what they learn."""

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator, Callable, Sequence

import grpc

from control_plane.decision.routed.routing_table import FastPath
from control_plane.model import ResourceType
from control_plane.store.changes import Change, encode
from control_plane.store.feed import Subscriber
from control_plane.workers.messages import (
    LINK_METHOD,
    LINK_TOKEN_METADATA,
    Hello,
    Report,
    decode,
)

__all__ = ["WorkerHub", "add_to_server"]

log = logging.getLogger("podgate.workers")

Endpoint = tuple[str, int]


class WorkerHub:
    """Keeps Envoy's decision endpoints to the workers that are connected, feeds their
    fast-path reports into this process's fast-path set and sends them this process's store changes.

    A worker's own writes come back as `publish`ed changes: as this process's own, so that every
    other worker hears of them too.
    """

    def __init__(
        self,
        own: Endpoint,
        fast_path: FastPath,
        on_endpoints: Callable[[tuple[Endpoint, ...]], None],
        origin: str,
        token: str,
        publish: Subscriber,
    ) -> None:
        self._own = own
        self._publish = publish
        self._token = token
        self._fast_path = fast_path
        self._on_endpoints = on_endpoints
        self._origin = origin
        self._workers: dict[int, tuple[Endpoint, asyncio.Queue[bytes]]] = {}
        self._next = 0

    def endpoints(self) -> tuple[Endpoint, ...]:
        """This process first, then every connected worker."""
        return (self._own, *(endpoint for endpoint, _ in self._workers.values()))

    async def broadcast(self, changes: Sequence[Change]) -> None:
        """Hand this process's committed store changes to every connected worker."""
        payloads = [encode(self._origin, change).encode() for change in changes]
        for _, queue in self._workers.values():
            for payload in payloads:
                queue.put_nowait(payload)

    async def follow(
        self, requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[bytes]:
        """One worker's link, for as long as it stays connected.

        Only the workers this process started know `token`: anyone else could otherwise put
        a decision service of theirs in front of every request.
        """
        given = dict(context.invocation_metadata() or ()).get(LINK_TOKEN_METADATA, "")
        if not hmac.compare_digest(str(given), self._token):
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, "not a worker of this process")
            return
        first = decode(await anext(requests, b"{}"))
        if not isinstance(first, Hello):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the first message is a hello")
            return
        key, self._next = self._next, self._next + 1
        outgoing: asyncio.Queue[bytes] = asyncio.Queue()
        self._workers[key] = ((first.host, first.port), outgoing)
        self._on_endpoints(self.endpoints())
        log.info("decision worker joined", extra={"pid": first.pid, "port": first.port})
        reader = asyncio.create_task(self._read(requests))
        try:
            while not reader.done():
                sent = asyncio.create_task(outgoing.get())
                await asyncio.wait((sent, reader), return_when=asyncio.FIRST_COMPLETED)
                if not sent.done():
                    sent.cancel()
                    break
                yield sent.result()
        finally:
            reader.cancel()
            del self._workers[key]
            self._on_endpoints(self.endpoints())
            log.info("decision worker left", extra={"pid": first.pid, "port": first.port})

    async def _read(self, requests: AsyncIterator[bytes]) -> None:
        async for raw in requests:
            report = decode(raw)
            if isinstance(report, Report):
                self._apply(report)
                if report.changes:
                    await self._publish(report.changes)
            else:
                log.warning("malformed worker report ignored")

    def _apply(self, report: Report) -> None:
        for routing in report.added:
            self._fast_path.add(routing)
        for kind, resource_id in report.deleted:
            self._fast_path.delete(ResourceType(kind), resource_id)
        for kind, resource_id in report.forgotten:
            self._fast_path.forget(ResourceType(kind), resource_id)


def add_to_server(server: grpc.aio.Server, hub: WorkerHub) -> None:
    """Serve the link on `server` (bytes in, bytes out: no generated code)."""
    service, method = LINK_METHOD.strip("/").split("/")
    handler = grpc.stream_stream_rpc_method_handler(hub.follow)
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(service, {method: handler}),)
    )
