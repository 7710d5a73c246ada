"""ADS stream rules, driven through a fake Envoy (the servicer method on a scripted stream)."""

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator, Iterable

import pytest
from envoy.config.cluster.v3 import cluster_pb2
from envoy.config.endpoint.v3 import endpoint_pb2
from envoy.service.discovery.v3 import discovery_pb2
from google.rpc import status_pb2

from control_plane.metrics import Metrics
from control_plane.xds.ads import AdsServer
from control_plane.xds.cache import Nack, SnapshotCache
from control_plane.xds.resources import (
    CLUSTER_TYPE,
    ENDPOINT_TYPE,
    LISTENER_TYPE,
    ROUTE_TYPE,
    TYPE_ORDER,
)
from control_plane.xds.snapshot import Snapshot
from control_plane.xds.translate import XdsInputs, translate
from tests.unit.xds.cases import TESTDATA, load_case

NODE = "envoy-test"
QUIET = 0.05


def _inputs(case: str = "two_ip_pods") -> XdsInputs:
    return load_case(TESTDATA / f"{case}.in.yaml")


def _snapshot(case: str = "two_ip_pods") -> Snapshot:
    return translate(_inputs(case))


class FakeEnvoy:
    """Sends scripted DiscoveryRequests and collects responses, checking nonces increase."""

    def __init__(self, cache: SnapshotCache) -> None:
        self._requests: asyncio.Queue[discovery_pb2.DiscoveryRequest | None] = asyncio.Queue()
        self._responses: asyncio.Queue[discovery_pb2.DiscoveryResponse] = asyncio.Queue()
        self.metrics = Metrics()
        server = AdsServer(cache, self.metrics)
        stream = server.StreamAggregatedResources(self._iterate(), None)
        self._pump = asyncio.create_task(self._collect(stream))
        self._sent_node = False
        self.nonces: list[int] = []

    async def _iterate(self) -> AsyncIterator[discovery_pb2.DiscoveryRequest]:
        while (request := await self._requests.get()) is not None:
            yield request

    async def _collect(self, stream: AsyncIterator[discovery_pb2.DiscoveryResponse]) -> None:
        async for response in stream:
            nonce = int(response.nonce)
            assert not self.nonces or nonce > self.nonces[-1], "nonces must increase"
            self.nonces.append(nonce)
            self._responses.put_nowait(response)

    def request(
        self,
        type_url: str,
        names: Iterable[str] = (),
        *,
        answering: discovery_pb2.DiscoveryResponse | None = None,
        nonce: str | None = None,
        error: str = "",
    ) -> None:
        """Ask for `type_url`; `answering` a response ACKs it (or NACKs it with `error`)."""
        request = discovery_pb2.DiscoveryRequest(type_url=type_url, resource_names=list(names))
        if not self._sent_node:
            request.node.id = NODE
            self._sent_node = True
        if answering is not None:
            request.response_nonce = answering.nonce
            request.version_info = "" if error else answering.version_info
        if nonce is not None:
            request.response_nonce = nonce
        if error:
            request.error_detail.CopyFrom(status_pb2.Status(code=3, message=error))
        self._requests.put_nowait(request)

    async def response(self) -> discovery_pb2.DiscoveryResponse:
        return await asyncio.wait_for(self._responses.get(), 2)

    async def silence(self) -> None:
        """Assert that nothing arrives for a moment."""
        await asyncio.sleep(QUIET)
        assert self._responses.empty(), f"unexpected {self._responses.get_nowait()}"

    async def close(self) -> None:
        self._requests.put_nowait(None)
        await asyncio.wait_for(self._pump, 2)


@pytest.fixture
def cache() -> SnapshotCache:
    cache = SnapshotCache()
    cache.set(_snapshot())
    return cache


@pytest.fixture
async def envoy(cache: SnapshotCache) -> AsyncIterator[FakeEnvoy]:
    fake = FakeEnvoy(cache)
    yield fake
    await fake.close()


def _names(response: discovery_pb2.DiscoveryResponse) -> list[str]:
    kinds = {CLUSTER_TYPE: cluster_pb2.Cluster, ENDPOINT_TYPE: endpoint_pb2.ClusterLoadAssignment}
    names = []
    for packed in response.resources:
        message = kinds[response.type_url]()
        assert packed.Unpack(message)
        names.append(getattr(message, "name", "") or getattr(message, "cluster_name", ""))
    return names


async def test_first_request_gets_a_response(envoy: FakeEnvoy, cache: SnapshotCache) -> None:
    envoy.request(CLUSTER_TYPE)
    response = await envoy.response()
    assert response.type_url == CLUSTER_TYPE
    assert response.version_info == cache.current.version(CLUSTER_TYPE)
    assert _names(response) == sorted(cache.current.resources[CLUSTER_TYPE])


async def test_first_request_is_answered_even_when_there_is_nothing_to_send() -> None:
    cache = SnapshotCache()
    cache.set(_snapshot("no_pods"))
    envoy = FakeEnvoy(cache)
    envoy.request(CLUSTER_TYPE)
    assert len((await envoy.response()).resources) == 0
    envoy.request(ENDPOINT_TYPE, ["pod.nowhere.compute"])
    response = await envoy.response()
    assert response.type_url == ENDPOINT_TYPE
    assert len(response.resources) == 0
    await envoy.close()


async def test_first_request_waits_for_the_first_snapshot() -> None:
    cache = SnapshotCache()
    envoy = FakeEnvoy(cache)
    envoy.request(CLUSTER_TYPE)
    await envoy.silence()
    cache.set(_snapshot())
    assert (await envoy.response()).version_info == cache.current.version(CLUSTER_TYPE)
    await envoy.close()


async def test_ack_does_not_trigger_a_resend(envoy: FakeEnvoy) -> None:
    envoy.request(CLUSTER_TYPE)
    envoy.request(CLUSTER_TYPE, answering=await envoy.response())
    await envoy.silence()


async def test_ack_is_recorded(envoy: FakeEnvoy, cache: SnapshotCache) -> None:
    envoy.request(LISTENER_TYPE)
    envoy.request(LISTENER_TYPE, answering=await envoy.response())
    await envoy.silence()
    assert cache.acked(NODE) == {LISTENER_TYPE: cache.current.version(LISTENER_TYPE)}


async def test_nack_is_recorded_and_the_same_version_is_not_resent(
    envoy: FakeEnvoy, cache: SnapshotCache, caplog: pytest.LogCaptureFixture
) -> None:
    envoy.request(CLUSTER_TYPE)
    refused = await envoy.response()
    with caplog.at_level(logging.WARNING, logger="podgate.xds"):
        envoy.request(CLUSTER_TYPE, answering=refused, error="Invalid duration")
        await envoy.silence()
    assert cache.nacks(NODE) == {CLUSTER_TYPE: Nack(refused.version_info, "Invalid duration")}
    assert any("NACK" in r.message and "Invalid duration" in r.message for r in caplog.records)
    assert cache.acked(NODE) == {}


async def test_nack_waits_for_a_new_snapshot(envoy: FakeEnvoy, cache: SnapshotCache) -> None:
    envoy.request(CLUSTER_TYPE)
    refused = await envoy.response()
    envoy.request(CLUSTER_TYPE, answering=refused, error="bad")
    await envoy.silence()
    cache.set(_snapshot("draining_pod"))
    fixed = await envoy.response()
    assert fixed.version_info not in ("", refused.version_info)


async def test_new_snapshot_pushes_cds_eds_lds_rds_in_order(
    envoy: FakeEnvoy, cache: SnapshotCache
) -> None:
    for type_url in reversed(TYPE_ORDER):
        names = cache.current.resources[type_url] if type_url in (ENDPOINT_TYPE, ROUTE_TYPE) else ()
        envoy.request(type_url, names)
        envoy.request(type_url, names, answering=await envoy.response())
    await envoy.silence()
    changed = dataclasses.replace(_inputs(), compute_port=29998, upstream_timeout_s=5.0)
    moved = dataclasses.replace(changed.pods[0], endpoints={"compute": "http://10.1.1.1:1/v2.1"})
    cache.set(translate(dataclasses.replace(changed, pods=(moved, changed.pods[1]))))
    pushed = [(await envoy.response()).type_url for _ in TYPE_ORDER]
    assert pushed == list(TYPE_ORDER)


async def test_a_pod_change_pushes_only_clusters_and_endpoints(
    envoy: FakeEnvoy, cache: SnapshotCache
) -> None:
    for type_url in TYPE_ORDER:
        names = cache.current.resources[type_url] if type_url in (ENDPOINT_TYPE, ROUTE_TYPE) else ()
        envoy.request(type_url, names)
        envoy.request(type_url, names, answering=await envoy.response())
    cache.set(_snapshot("draining_pod"))
    assert [(await envoy.response()).type_url for _ in range(2)] == [CLUSTER_TYPE, ENDPOINT_TYPE]
    await envoy.silence()


async def test_unknown_nonce_is_ignored(envoy: FakeEnvoy, cache: SnapshotCache) -> None:
    envoy.request(ENDPOINT_TYPE, ["pod.RegionOne.compute"])
    await envoy.response()
    envoy.request(ENDPOINT_TYPE, ["pod.RegionTwo.compute"], nonce="999")
    await envoy.silence()
    assert cache.acked(NODE) == {}


async def test_stale_nonce_is_ignored(envoy: FakeEnvoy, cache: SnapshotCache) -> None:
    envoy.request(ENDPOINT_TYPE, ["pod.RegionOne.compute"])
    first = await envoy.response()
    cache.set(_snapshot("compute_only"))
    await envoy.response()
    envoy.request(ENDPOINT_TYPE, ["pod.computeonly.compute"], answering=first)
    await envoy.silence()
    assert cache.acked(NODE) == {}


async def test_eds_returns_only_requested_names(envoy: FakeEnvoy, cache: SnapshotCache) -> None:
    envoy.request(ENDPOINT_TYPE, ["pod.RegionTwo.volumev3", "pod.unknown.compute"])
    first = await envoy.response()
    assert _names(first) == ["pod.RegionTwo.volumev3"]
    wanted = ["pod.RegionOne.compute", "pod.RegionTwo.volumev3"]
    envoy.request(ENDPOINT_TYPE, wanted, answering=first)
    second = await envoy.response()
    assert _names(second) == wanted
    assert second.version_info == first.version_info
    assert cache.acked(NODE) == {ENDPOINT_TYPE: first.version_info}


async def test_cds_is_wildcard_whatever_names_are_sent(
    envoy: FakeEnvoy, cache: SnapshotCache
) -> None:
    envoy.request(CLUSTER_TYPE, ["pod.RegionOne.compute"])
    assert _names(await envoy.response()) == sorted(cache.current.resources[CLUSTER_TYPE])


async def test_nonces_increase_across_types(envoy: FakeEnvoy, cache: SnapshotCache) -> None:
    for type_url in TYPE_ORDER:
        envoy.request(type_url, cache.current.resources[type_url])
        await envoy.response()
    cache.set(_snapshot("draining_pod"))
    await envoy.response()
    await envoy.response()
    assert envoy.nonces == sorted(set(envoy.nonces))
    assert len(envoy.nonces) == 6


async def test_unknown_type_is_ignored(envoy: FakeEnvoy) -> None:
    envoy.request("type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig")
    await envoy.silence()
    envoy.request(LISTENER_TYPE)
    assert (await envoy.response()).type_url == LISTENER_TYPE


async def test_stream_ends_when_envoy_hangs_up(cache: SnapshotCache) -> None:
    envoy = FakeEnvoy(cache)
    envoy.request(CLUSTER_TYPE)
    await envoy.response()
    await envoy.close()


async def test_pushes_acks_and_nacks_are_counted_per_type(envoy: FakeEnvoy) -> None:
    def count(metric: str, kind: str) -> float:
        value = envoy.metrics.registry.get_sample_value(
            f"podgate_xds_{metric}_total", {"type": kind}
        )
        return value or 0.0

    envoy.request(CLUSTER_TYPE)
    envoy.request(CLUSTER_TYPE, answering=await envoy.response())
    envoy.request(LISTENER_TYPE)
    envoy.request(LISTENER_TYPE, answering=await envoy.response(), error="bad listener")
    await envoy.silence()
    assert (count("pushes", "CDS"), count("acks", "CDS"), count("nacks", "CDS")) == (1, 1, 0)
    assert (count("pushes", "LDS"), count("acks", "LDS"), count("nacks", "LDS")) == (1, 0, 1)


async def test_each_push_logs_the_bytes_it_sends(
    envoy: FakeEnvoy, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="podgate.xds"):
        envoy.request(CLUSTER_TYPE)
        response = await envoy.response()
    sent = sum(len(packed.value) for packed in response.resources)
    assert sent > 0
    pushes = [r.getMessage() for r in caplog.records if r.getMessage().startswith("push CDS")]
    version, nonce, count = response.version_info, response.nonce, len(response.resources)
    assert pushes == [
        f"push CDS version={version} resources={count} bytes={sent} nonce={nonce} node={NODE}"
    ]
