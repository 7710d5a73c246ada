"""SnapshotCache: only consistent snapshots, wake-ups for streams, ACK/NACK bookkeeping."""

import asyncio

import pytest

from control_plane.xds.cache import Nack, SnapshotCache
from control_plane.xds.resources import CLUSTER_TYPE, ENDPOINT_TYPE
from control_plane.xds.snapshot import InconsistentSnapshot, Snapshot
from control_plane.xds.translate import translate
from tests.unit.xds.cases import TESTDATA, load_case


def _snapshot(case: str = "two_ip_pods") -> Snapshot:
    return translate(load_case(TESTDATA / f"{case}.in.yaml"))


def _broken() -> Snapshot:
    snapshot = _snapshot()
    clusters = snapshot.resources[CLUSTER_TYPE].values()
    return Snapshot.build(clusters=clusters)


def test_cache_starts_empty() -> None:
    assert SnapshotCache().current is None


def test_set_rejects_an_inconsistent_snapshot_and_keeps_the_last_good_one() -> None:
    cache = SnapshotCache()
    good = _snapshot()
    cache.set(good)
    with pytest.raises(InconsistentSnapshot):
        cache.set(_broken())
    assert cache.current is good


async def test_wait_for_change_returns_at_once_when_the_snapshot_differs() -> None:
    cache = SnapshotCache()
    cache.set(_snapshot())
    assert await asyncio.wait_for(cache.wait_for_change(None), 1) is cache.current


async def test_wait_for_change_wakes_on_set() -> None:
    cache = SnapshotCache()
    first, second = _snapshot(), _snapshot("draining_pod")
    cache.set(first)
    waiter = asyncio.create_task(cache.wait_for_change(first))
    await asyncio.sleep(0.01)
    assert not waiter.done()
    cache.set(second)
    assert await asyncio.wait_for(waiter, 1) is second


async def test_wait_for_change_waits_for_the_first_snapshot() -> None:
    cache = SnapshotCache()
    waiter = asyncio.create_task(cache.wait_for_change(None))
    await asyncio.sleep(0.01)
    assert not waiter.done()
    cache.set(_snapshot())
    assert await asyncio.wait_for(waiter, 1) is cache.current


async def test_a_snapshot_with_equal_versions_wakes_nobody() -> None:
    cache = SnapshotCache()
    first = _snapshot()
    cache.set(first)
    waiter = asyncio.create_task(cache.wait_for_change(first))
    cache.set(_snapshot())
    await asyncio.sleep(0.01)
    assert not waiter.done()
    assert cache.current is first
    waiter.cancel()


async def test_a_rejected_snapshot_wakes_nobody() -> None:
    cache = SnapshotCache()
    first = _snapshot()
    cache.set(first)
    waiter = asyncio.create_task(cache.wait_for_change(first))
    with pytest.raises(InconsistentSnapshot):
        cache.set(_broken())
    await asyncio.sleep(0.01)
    assert not waiter.done()
    waiter.cancel()


def test_acks_and_nacks_are_recorded_per_node_and_type() -> None:
    cache = SnapshotCache()
    cache.record_ack("a", CLUSTER_TYPE, "v1")
    cache.record_nack("a", ENDPOINT_TYPE, "v2", "bad endpoint")
    cache.record_ack("b", CLUSTER_TYPE, "v3")
    assert cache.acked("a") == {CLUSTER_TYPE: "v1"}
    assert cache.nacks("a") == {ENDPOINT_TYPE: Nack("v2", "bad endpoint")}
    assert cache.acked("b") == {CLUSTER_TYPE: "v3"}
    assert cache.nacks("b") == {}
    assert cache.node_ids() == ("a", "b")


def test_a_later_ack_clears_the_nack_of_that_type() -> None:
    cache = SnapshotCache()
    cache.record_nack("a", CLUSTER_TYPE, "v2", "bad cluster")
    cache.record_nack("a", ENDPOINT_TYPE, "v2", "bad endpoint")
    cache.record_ack("a", CLUSTER_TYPE, "v3")
    assert cache.nacks("a") == {ENDPOINT_TYPE: Nack("v2", "bad endpoint")}


def test_status_views_are_copies() -> None:
    cache = SnapshotCache()
    cache.record_ack("a", CLUSTER_TYPE, "v1")
    cache.acked("a")[CLUSTER_TYPE] = "tampered"
    assert cache.acked("a") == {CLUSTER_TYPE: "v1"}
