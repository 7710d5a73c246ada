"""Publisher: pods publish at once, known-routing bursts are gathered into one push."""

import asyncio
from pathlib import Path

import pytest

from control_plane.fastpath import HotSet
from control_plane.metrics import Metrics
from control_plane.model import Pod, ResourceType, Routing
from control_plane.runtime.publisher import Publisher
from control_plane.runtime.tls_files import TlsFilesError
from control_plane.settings import Settings
from control_plane.xds.cache import SnapshotCache
from control_plane.xds.resources import CLUSTER_TYPE, ROUTE_TYPE, SECRET_TYPE
from control_plane.xds.tls import LISTENER_SECRET
from tests.fixtures.certs import TestCA

POD = Pod(
    name="pod1",
    az_name="az1",
    pod_az_name="az1",
    endpoints={"compute": "http://127.0.0.1:8774/v2.1"},
)


def _routing(resource_id: str) -> Routing:
    return Routing(resource_id, ResourceType.SERVER, "p1", "pod1")


def _publisher(interval_ms: int) -> tuple[Publisher, SnapshotCache, HotSet, Metrics]:
    settings = Settings(fast_path={"push_interval_ms": interval_ms})
    cache, hot_set, metrics = SnapshotCache(), HotSet(max_entries=10), Metrics()
    return Publisher(settings, cache, hot_set, metrics), cache, hot_set, metrics


async def test_pods_publish_at_once() -> None:
    publisher, cache, _, _ = _publisher(interval_ms=10_000)
    publisher.pods_changed((POD,))
    assert cache.current is not None
    assert "pod.pod1.compute" in cache.current.resources[CLUSTER_TYPE]


async def test_a_burst_of_known_routings_is_one_snapshot() -> None:
    publisher, cache, hot_set, metrics = _publisher(interval_ms=50)
    publisher.pods_changed((POD,))
    first = cache.current
    seen = []
    waiter = asyncio.create_task(cache.wait_for_change(first))
    for n in range(5):
        hot_set.add(_routing(f"s{n}"))
    assert cache.current is first  # nothing before the interval
    seen.append(await asyncio.wait_for(waiter, timeout=2))
    await asyncio.sleep(0.1)
    assert cache.current is seen[0]  # one snapshot for the whole burst
    assert seen[0].version(ROUTE_TYPE) != first.version(ROUTE_TYPE)
    assert metrics.fast_path_routings._value.get() == 5


async def test_close_drops_a_pending_publish() -> None:
    publisher, cache, hot_set, _ = _publisher(interval_ms=20)
    publisher.pods_changed((POD,))
    first = cache.current
    hot_set.add(_routing("s1"))
    publisher.close()
    await asyncio.sleep(0.1)
    assert cache.current is first


async def test_pushes_are_spaced_by_their_cost() -> None:
    ticks = iter(range(1000))
    settings = Settings(fast_path={"push_interval_ms": 0})
    cache, hot_set = SnapshotCache(), HotSet(max_entries=10)
    # Every publish reads the clock twice, 0.01 s apart: it "costs" 10 ms, so 0.1 s apart.
    publisher = Publisher(settings, cache, hot_set, Metrics(), clock=lambda: next(ticks) / 100)
    publisher.pods_changed((POD,))
    assert publisher.spacing_s == pytest.approx(0.1)
    first = cache.current
    loop = asyncio.get_running_loop()
    added = loop.time()
    hot_set.add(_routing("s1"))
    # Timed by the loop's clock, which no timer beats (a sleep beside it could be woken late,
    # together with the publish, on a loaded machine).
    assert await asyncio.wait_for(cache.wait_for_change(first), 10) is cache.current
    assert loop.time() - added >= 0.1


async def test_listener_certificates_are_pushed_and_a_changed_pair_republished(
    tmp_path: Path,
) -> None:
    ca = TestCA.create(tmp_path)
    pair = ca.issue(tmp_path, "listener")
    envoy = {"tls_cert_file": pair.cert, "tls_key_file": pair.key, "tls_reload_interval_s": 0.01}
    cache = SnapshotCache()
    publisher = Publisher(Settings(envoy=envoy), cache, HotSet(max_entries=10), Metrics())
    try:
        publisher.pods_changed((POD,))
        first = cache.current
        assert first is not None
        secret = first.resources[SECRET_TYPE][LISTENER_SECRET]
        assert secret.tls_certificate.certificate_chain.inline_bytes == pair.cert.read_bytes()
        ca.issue(tmp_path, "listener")
        second = await asyncio.wait_for(cache.wait_for_change(first), 5)
        assert second.version(SECRET_TYPE) != first.version(SECRET_TYPE)
        assert second.version(CLUSTER_TYPE) == first.version(CLUSTER_TYPE)
    finally:
        publisher.close()


async def test_unusable_listener_certificates_stop_the_start(tmp_path: Path) -> None:
    envoy = {"tls_cert_file": tmp_path / "c.pem", "tls_key_file": tmp_path / "k.pem"}
    with pytest.raises(TlsFilesError, match="cannot read"):
        Publisher(Settings(envoy=envoy), SnapshotCache(), HotSet(max_entries=10), Metrics())
