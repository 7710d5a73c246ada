"""RoutingTable: an LRU of positive answers in front of the store."""

import asyncio

import pytest

from control_plane.decision.routed.routing_table import RoutingTable
from control_plane.model import ResourceType, Routing
from control_plane.xds.fast_path_set import FastPathSet
from tests.unit.decision.fakes import MemoryStore

SERVER = ResourceType.SERVER


def _routing(resource_id: str, pod: str = "a") -> Routing:
    return Routing(resource_id=resource_id, resource_type=SERVER, project_id="p1", pod_name=pod)


async def test_second_lookup_is_served_from_memory() -> None:
    store = MemoryStore()
    await store.put_routing(_routing("s1"))
    table = RoutingTable(store, max_entries=10)
    assert await table.lookup(SERVER, "s1") == _routing("s1")
    assert await table.lookup(SERVER, "s1") == _routing("s1")
    assert (store.reads, table.hits, table.misses) == (1, 1, 1)


async def test_unknown_ids_are_not_cached() -> None:
    store = MemoryStore()
    table = RoutingTable(store, max_entries=10)
    assert await table.lookup(SERVER, "s1") is None
    await store.put_routing(_routing("s1"))
    assert await table.lookup(SERVER, "s1") == _routing("s1")
    assert store.reads == 2


async def test_resource_types_do_not_share_entries() -> None:
    table = RoutingTable(MemoryStore(), max_entries=10)
    await table.record(_routing("x1"))
    assert await table.lookup(ResourceType.VOLUME, "x1") is None


async def test_record_writes_through_and_then_serves_from_memory() -> None:
    store = MemoryStore()
    table = RoutingTable(store, max_entries=10)
    await table.record(_routing("s1"))
    assert store.routings[("server", "s1")] == _routing("s1")
    assert await table.lookup(SERVER, "s1") == _routing("s1")
    assert store.reads == 0


async def test_failed_record_is_not_cached() -> None:
    store = MemoryStore()
    store.fail_writes = True
    table = RoutingTable(store, max_entries=10)
    with pytest.raises(OSError):
        await table.record(_routing("s1"))
    assert len(table) == 0


async def test_forget_makes_the_next_lookup_ask_the_store() -> None:
    store = MemoryStore()
    table = RoutingTable(store, max_entries=10)
    await table.record(_routing("s1"))
    del store.routings[("server", "s1")]
    table.forget(SERVER, "s1")
    assert await table.lookup(SERVER, "s1") is None


async def test_forget_during_a_store_read_keeps_the_answer_out_of_memory() -> None:
    store = MemoryStore()
    await store.put_routing(_routing("s1"))
    table = RoutingTable(store, max_entries=10)
    lookup = asyncio.create_task(table.lookup(SERVER, "s1"))
    await asyncio.sleep(0)
    table.forget(SERVER, "s1")
    assert await lookup == _routing("s1")
    assert len(table) == 0


async def test_least_recently_used_entry_is_evicted() -> None:
    store = MemoryStore()
    table = RoutingTable(store, max_entries=2)
    await table.record(_routing("s1"))
    await table.record(_routing("s2"))
    await table.lookup(SERVER, "s1")
    await table.record(_routing("s3"))
    assert len(table) == 2
    reads = store.reads
    await table.lookup(SERVER, "s1")
    await table.lookup(SERVER, "s3")
    assert store.reads == reads
    await table.lookup(SERVER, "s2")
    assert store.reads == reads + 1


def test_an_empty_cache_is_refused() -> None:
    with pytest.raises(ValueError):
        RoutingTable(MemoryStore(), max_entries=0)


async def test_gone_resources_leave_the_store_the_cache_and_the_fast_path() -> None:
    store = MemoryStore()
    fast_path = FastPathSet(max_entries=10)
    table = RoutingTable(store, max_entries=10, fast_path_set=fast_path)
    await table.record(_routing("s1"))
    await table.record(_routing("s2"))
    assert await table.forget_gone([_routing("s1")]) == [_routing("s1")]
    assert await table.lookup(SERVER, "s1") is None
    assert [r.resource_id for r in fast_path.routings()] == ["s2"]


async def test_a_routing_forgotten_elsewhere_still_leaves_this_processs_memory() -> None:
    """Another process forgot it first: the store has nothing, this cache still held it."""
    store = MemoryStore()
    fast_path = FastPathSet(max_entries=10)
    table = RoutingTable(store, max_entries=10, fast_path_set=fast_path)
    await table.record(_routing("s1"))
    del store.routings[("server", "s1")]
    assert await table.forget_gone([_routing("s1")]) == []
    assert await table.lookup(SERVER, "s1") is None
    assert fast_path.routings() == ()
