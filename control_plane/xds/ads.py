"""ADS over grpc.aio, state of the world only: streams the SnapshotCache to each Envoy."""

import asyncio
import logging
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

import grpc
from envoy.service.discovery.v3 import ads_pb2_grpc, discovery_pb2
from google.protobuf import any_pb2

from control_plane.metrics import Metrics
from control_plane.xds.cache import SnapshotCache
from control_plane.xds.resources import PUSH_ORDER, TYPE_NAMES, WILDCARD_TYPES
from control_plane.xds.snapshot import Snapshot

__all__ = ["AdsServer", "add_to_server"]

log = logging.getLogger("podgate.xds")

Request = discovery_pb2.DiscoveryRequest
Response = discovery_pb2.DiscoveryResponse


class AdsServer(ads_pb2_grpc.AggregatedDiscoveryServiceServicer):
    """One `_Stream` per Envoy connection; all of them read the same cache."""

    def __init__(self, cache: SnapshotCache, metrics: Metrics | None = None) -> None:
        self._cache = cache
        self._metrics = metrics or Metrics()

    async def StreamAggregatedResources(
        self, request_iterator: AsyncIterable[Request], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[Response]:
        async for response in _Stream(self._cache, self._metrics).run(request_iterator):
            yield response

    async def DeltaAggregatedResources(
        self, request_iterator: AsyncIterable[object], context: grpc.aio.ServicerContext
    ) -> None:
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "podgate serves state-of-the-world ADS")


def add_to_server(
    server: grpc.aio.Server, cache: SnapshotCache, metrics: Metrics | None = None
) -> AdsServer:
    """Register the ADS service on `server` (which also carries the admin API and ext_proc)."""
    servicer = AdsServer(cache, metrics)
    ads_pb2_grpc.add_AggregatedDiscoveryServiceServicer_to_server(servicer, server)
    return servicer


@dataclass(slots=True)
class _Subscription:
    """What the stream asked for of one type, and what it was last sent."""

    names: frozenset[str]
    sent_version: str | None = None
    sent_names: frozenset[str] = frozenset()
    nonce: str = ""


class _Stream:
    """SotW state of one stream: per type its subscription, last version and last nonce."""

    def __init__(self, cache: SnapshotCache, metrics: Metrics) -> None:
        self._cache = cache
        self._metrics = metrics
        self._node_id = ""
        self._subscriptions: dict[str, _Subscription] = {}
        self._last_nonce = 0

    async def run(self, requests: AsyncIterable[Request]) -> AsyncIterator[Response]:
        """Wait on the next request or a new snapshot, whichever comes first, and answer."""
        queue: asyncio.Queue[Request | None] = asyncio.Queue()
        reader = asyncio.create_task(_read(requests, queue))
        snapshot = self._cache.current
        next_request = asyncio.create_task(queue.get())
        change = asyncio.create_task(self._cache.wait_for_change(snapshot))
        try:
            while True:
                await asyncio.wait({next_request, change}, return_when=asyncio.FIRST_COMPLETED)
                if change.done():
                    snapshot = change.result()
                    change = asyncio.create_task(self._cache.wait_for_change(snapshot))
                    for type_url in PUSH_ORDER:
                        if (response := self._respond(type_url, snapshot)) is not None:
                            yield response
                if next_request.done():
                    request = next_request.result()
                    if request is None:
                        return
                    next_request = asyncio.create_task(queue.get())
                    if self._accept(request) and snapshot is not None:
                        if (response := self._respond(request.type_url, snapshot)) is not None:
                            yield response
        finally:
            for task in (reader, next_request, change):
                task.cancel()

    def _accept(self, request: Request) -> bool:
        """Apply one request to the stream state; False when it must be ignored."""
        if request.node.id:
            self._node_id = request.node.id
        type_url = request.type_url
        if type_url not in TYPE_NAMES:
            log.warning("ignoring unknown type %s from node=%s", type_url, self._node_id)
            return False
        names = frozenset() if type_url in WILDCARD_TYPES else frozenset(request.resource_names)
        subscription = self._subscriptions.get(type_url)
        if subscription is None or not subscription.nonce:
            self._subscriptions[type_url] = _Subscription(names)
            return True
        kind = TYPE_NAMES[type_url]
        if request.response_nonce != subscription.nonce:
            log.debug("stale %s nonce=%s node=%s", kind, request.response_nonce, self._node_id)
            return False
        if request.HasField("error_detail"):
            version, message = subscription.sent_version or "", request.error_detail.message
            log.warning("NACK %s version=%s node=%s: %s", kind, version, self._node_id, message)
            self._cache.record_nack(self._node_id, type_url, version, message)
            self._metrics.xds_nacks.labels(kind).inc()
        else:
            version = request.version_info
            log.info("ACK %s version=%s node=%s", kind, version, self._node_id)
            self._cache.record_ack(self._node_id, type_url, version)
            self._metrics.xds_acks.labels(kind).inc()
        subscription.names = names
        return True

    def _respond(self, type_url: str, snapshot: Snapshot) -> Response | None:
        """A response when the type is subscribed and its version or names changed since sent.

        After a NACK the sent version stays recorded, so the refused version is never resent.
        """
        subscription = self._subscriptions.get(type_url)
        if subscription is None:
            return None
        version = snapshot.version(type_url)
        if subscription.sent_version == version and subscription.sent_names == subscription.names:
            return None
        resources = snapshot.resources[type_url]
        if type_url in WILDCARD_TYPES:
            names = sorted(resources)
        else:
            names = sorted(subscription.names & resources.keys())
        self._last_nonce += 1
        nonce = str(self._last_nonce)
        subscription.sent_version, subscription.sent_names = version, subscription.names
        subscription.nonce = nonce
        self._metrics.xds_pushes.labels(TYPE_NAMES[type_url]).inc()
        payloads = [snapshot.payloads[type_url][name] for name in names]
        # The size says what a change costs: SotW resends every resource of the type.
        log.info(
            "push %s version=%s resources=%d bytes=%d nonce=%s node=%s",
            TYPE_NAMES[type_url],
            version,
            len(names),
            sum(map(len, payloads)),
            nonce,
            self._node_id,
        )
        return Response(
            version_info=version,
            type_url=type_url,
            nonce=nonce,
            resources=[any_pb2.Any(type_url=type_url, value=payload) for payload in payloads],
        )


async def _read(requests: AsyncIterable[Request], queue: asyncio.Queue[Request | None]) -> None:
    """Move requests into the queue; None marks the end of the stream however it ended."""
    try:
        async for request in requests:
            queue.put_nowait(request)
    except grpc.RpcError as exc:
        log.debug("ADS stream read ended: %s", exc)
    finally:
        queue.put_nowait(None)
