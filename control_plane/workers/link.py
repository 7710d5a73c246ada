"""A worker's side of the link: reports what it routes, applies the main process's changes."""

import asyncio
import logging
import os
from collections.abc import Callable, Sequence

import grpc

from control_plane.model import ResourceType, Routing
from control_plane.store.changes import RESYNC, Change
from control_plane.store.changes import decode as decode_change
from control_plane.store.feed import Subscriber
from control_plane.workers.messages import (
    LINK_METHOD,
    LINK_TOKEN_METADATA,
    Hello,
    Report,
    encode,
)

__all__ = ["Link"]

log = logging.getLogger("podgate.workers")

_Key = tuple[str, str]


class MainProcessGone(Exception):
    """The main process exited: a worker has nobody to serve for."""


class Link:
    """A FastPath for the worker's routing table whose events go to the main process in
    batches (one report per `batch_s`); the main process's changes go to `deliver`.

    `connect` opens a channel to the main process (over TLS when its port has TLS).
    Every (re)connect starts with a resync: pods reloaded and routing caches dropped, since
    changes sent while the link was down are lost.
    """

    def __init__(
        self,
        connect: Callable[[], grpc.aio.Channel],
        hello: Hello,
        token: str,
        *,
        batch_s: float = 0.02,
    ) -> None:
        self._connect = connect
        self._hello = hello
        self._metadata = ((LINK_TOKEN_METADATA, token),)
        self._batch_s = batch_s
        self._parent = os.getppid()
        self._added: dict[_Key, Routing] = {}
        self._deleted: dict[_Key, None] = {}
        self._forgotten: dict[_Key, None] = {}
        self._changes: list[Change] = []
        self._wake = asyncio.Event()
        self.connects = 0

    def add(self, routing: Routing) -> None:
        self._added[(str(routing.resource_type), routing.resource_id)] = routing
        self._wake.set()

    def delete(self, resource_type: ResourceType, resource_id: str) -> None:
        key = (str(resource_type), resource_id)
        self._added.pop(key, None)
        self._deleted[key] = None
        self._wake.set()

    def forget(self, resource_type: ResourceType, resource_id: str) -> None:
        key = (str(resource_type), resource_id)
        self._added.pop(key, None)
        self._forgotten[key] = None
        self._wake.set()

    async def changed(self, changes: Sequence[Change]) -> None:
        """A subscriber to the worker's own writes: the main process passes them on."""
        self._changes.extend(changes)
        self._wake.set()

    async def run(self, deliver: Subscriber) -> None:
        """Stay linked until cancelled; raises MainProcessGone once the parent has exited."""
        delay = 0.1
        while True:
            try:
                async with self._connect() as channel:
                    call = channel.stream_stream(LINK_METHOD)(metadata=self._metadata)
                    await call.write(encode(self._hello))
                    self.connects += 1
                    await deliver(RESYNC)
                    delay = 0.1
                    await self._exchange(call, deliver)
            except grpc.aio.AioRpcError as exc:
                log.warning("link to the main process lost", extra={"error": exc.code().name})
            if os.getppid() != self._parent:
                raise MainProcessGone()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def _exchange(self, call: grpc.aio.StreamStreamCall, deliver: Subscriber) -> None:
        receiver = asyncio.create_task(self._receive(call, deliver))
        try:
            while not receiver.done():
                waker = asyncio.create_task(self._wake.wait())
                await asyncio.wait((waker, receiver), return_when=asyncio.FIRST_COMPLETED)
                waker.cancel()
                if receiver.done():
                    break
                await asyncio.sleep(self._batch_s)
                self._wake.clear()
                await call.write(encode(self._take()))
            receiver.result()
        finally:
            receiver.cancel()

    async def _receive(self, call: grpc.aio.StreamStreamCall, deliver: Subscriber) -> None:
        while (raw := await call.read()) is not grpc.aio.EOF:
            decoded = decode_change(raw.decode())
            if decoded is not None:
                await deliver([decoded[1]])

    def _take(self) -> Report:
        report = Report(
            tuple(self._added.values()),
            tuple(self._deleted),
            tuple(self._forgotten),
            tuple(self._changes),
        )
        self._changes.clear()
        self._added.clear()
        self._deleted.clear()
        self._forgotten.clear()
        return report
