"""The xDS runner: pods publish at once, known-routing bursts are gathered into one push, and
pod changes (not binding changes) in the store's change feed retranslate."""

import asyncio
import logging
from pathlib import Path

import pytest

from control_plane.metrics import Metrics
from control_plane.model import Pod, ResourceType, Routing
from control_plane.settings import Settings
from control_plane.store import Store
from control_plane.xds.cache import SnapshotCache
from control_plane.xds.fast_path_set import FastPathSet
from control_plane.xds.live_pods import LivePods
from control_plane.xds.resources import CLUSTER_TYPE, ROUTE_TYPE
from control_plane.xds.runner import XdsRunner

POD = Pod(
    name="pod1",
    az_name="az1",
    pod_az_name="az1",
    endpoints={"compute": "http://127.0.0.1:8774/v2.1"},
)


def _routing(resource_id: str) -> Routing:
    return Routing(resource_id, ResourceType.SERVER, "p1", "pod1")


def _runner(interval_ms: int) -> tuple[XdsRunner, SnapshotCache, FastPathSet, Metrics]:
    settings = Settings(fast_path={"push_interval_ms": interval_ms})
    cache, fast_path_set, metrics = SnapshotCache(), FastPathSet(max_entries=10), Metrics()
    return XdsRunner(settings, cache, fast_path_set, metrics), cache, fast_path_set, metrics


async def test_pods_publish_at_once() -> None:
    runner, cache, _, _ = _runner(interval_ms=10_000)
    runner.pods_changed((POD,))
    assert cache.current is not None
    assert "pod.pod1.compute" in cache.current.resources[CLUSTER_TYPE]


async def test_a_burst_of_known_routings_is_one_snapshot() -> None:
    runner, cache, fast_path_set, metrics = _runner(interval_ms=50)
    runner.pods_changed((POD,))
    first = cache.current
    seen = []
    waiter = asyncio.create_task(cache.wait_for_change(first))
    for n in range(5):
        fast_path_set.add(_routing(f"s{n}"))
    assert cache.current is first  # nothing before the interval
    seen.append(await asyncio.wait_for(waiter, timeout=2))
    await asyncio.sleep(0.1)
    assert cache.current is seen[0]  # one snapshot for the whole burst
    assert seen[0].version(ROUTE_TYPE) != first.version(ROUTE_TYPE)
    assert metrics.fast_path_routings._value.get() == 5


async def test_close_drops_a_pending_publish() -> None:
    runner, cache, fast_path_set, _ = _runner(interval_ms=20)
    runner.pods_changed((POD,))
    first = cache.current
    fast_path_set.add(_routing("s1"))
    runner.close()
    await asyncio.sleep(0.1)
    assert cache.current is first


async def test_pushes_are_spaced_by_their_cost() -> None:
    ticks = iter(range(1000))
    settings = Settings(fast_path={"push_interval_ms": 0})
    cache, fast_path_set = SnapshotCache(), FastPathSet(max_entries=10)
    # Every publish reads the clock twice, 0.01 s apart: it "costs" 10 ms, so 0.1 s apart.
    runner = XdsRunner(settings, cache, fast_path_set, Metrics(), clock=lambda: next(ticks) / 100)
    runner.pods_changed((POD,))
    assert runner.spacing_s == pytest.approx(0.1)
    first = cache.current
    loop = asyncio.get_running_loop()
    added = loop.time()
    fast_path_set.add(_routing("s1"))
    # Timed by the loop's clock, which no timer beats (a sleep beside it could be woken late,
    # together with the publish, on a loaded machine).
    assert await asyncio.wait_for(cache.wait_for_change(first), 10) is cache.current
    assert loop.time() - added >= 0.1


async def test_pod_changes_in_the_store_retranslate_and_binding_changes_do_not(
    tmp_path: Path,
) -> None:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'podgate.db'}")
    try:
        runner, cache, _, _ = _runner(interval_ms=10_000)
        pods = LivePods(store, runner.pods_changed)
        store.changes.subscribe(pods.changed)
        await pods.reload()
        empty = cache.current
        assert empty is not None

        await store.create_pod(POD)  # returns once the runner has published
        with_pod = cache.current
        assert with_pod is not empty
        assert "pod.pod1.compute" in with_pod.resources[CLUSTER_TYPE]
        assert list(pods()) == ["pod1"]

        binding = await store.create_binding("p1", "pod1")
        await store.delete_binding(binding.id)
        assert cache.current is with_pod
    finally:
        await store.close()


async def test_ids_coming_back_after_the_cap_dropped_them_are_counted_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runner, _, fast_path_set, metrics = _runner(interval_ms=0)
    runner.pods_changed((POD,))
    for n in range(11):  # one more than the set holds: s0 drops out
        fast_path_set.add(_routing(f"s{n}"))
    fast_path_set.add(_routing("s0"))
    with caplog.at_level(logging.WARNING, logger="podgate.xds"):
        runner.publish()
        runner.publish()  # nothing new: no second line
    assert metrics.fast_path_readmissions._value.get() == 1
    assert [r.getMessage() for r in caplog.records] == [
        "fast path: 1 ids dropped at the cap came back since the last push; "
        "[fast_path] max_entries=10 is smaller than the ids in use"
    ]
    runner.close()
