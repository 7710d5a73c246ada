"""RoutingTable.learn: bulk learning from lists, skipping ids known to be stored."""

import pytest

from control_plane.decision.routed.routing_table import RoutingTable
from control_plane.errors import PodgateError
from control_plane.model import ResourceType, Routing
from tests.unit.decision.fakes import MemoryStore

SERVER = ResourceType.SERVER


def _routing(resource_id: str, pod: str = "a") -> Routing:
    return Routing(resource_id=resource_id, resource_type=SERVER, project_id="p1", pod_name=pod)


async def test_learn_stores_new_routings_once() -> None:
    store = MemoryStore()
    table = RoutingTable(store, max_entries=10)
    assert await table.learn([_routing("s1"), _routing("s2")]) == 2
    assert await table.learn([_routing("s1"), _routing("s2")]) == 0
    assert store.learn_calls == 1
    assert await table.lookup(SERVER, "s1") == _routing("s1")


async def test_learn_skips_cached_routings_without_a_write() -> None:
    store = MemoryStore()
    table = RoutingTable(store, max_entries=10)
    await table.record(_routing("s1"))
    assert await table.learn([_routing("s1")]) == 0
    assert store.learn_calls == 0


async def test_learn_keeps_what_the_store_already_had() -> None:
    store = MemoryStore()
    await store.put_routing(_routing("s1", pod="b"))
    table = RoutingTable(store, max_entries=10)
    assert await table.learn([_routing("s1", pod="a"), _routing("s2")]) == 1
    assert await table.lookup(SERVER, "s1") == _routing("s1", pod="b")


async def test_forgotten_routing_is_learnt_again() -> None:
    store = MemoryStore()
    table = RoutingTable(store, max_entries=10)
    await table.learn([_routing("s1")])
    del store.routings[("server", "s1")]
    table.forget(SERVER, "s1")
    assert await table.learn([_routing("s1")]) == 1
    assert store.learn_calls == 2


async def test_known_ids_are_bounded_by_the_table_size() -> None:
    store = MemoryStore()
    table = RoutingTable(store, max_entries=2)
    await table.learn([_routing("s1"), _routing("s2"), _routing("s3")])
    assert await table.learn([_routing("s1")]) == 0  # stored, but no longer remembered
    assert store.learn_calls == 2


async def test_failed_learning_remembers_nothing() -> None:
    store = MemoryStore()
    table = RoutingTable(store, max_entries=10)
    store.fail_writes = True
    with pytest.raises(PodgateError):
        await table.learn([_routing("s1")])
    store.fail_writes = False
    assert await table.learn([_routing("s1")]) == 1
