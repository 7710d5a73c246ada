"""The store's bindings cache: answered from memory, current after every binding or pod change,
whichever process made it (what reaches the change feed)."""

import asyncio

from control_plane.model import Binding, Pod, ResourceType
from control_plane.store import Store
from control_plane.store.binding_cache import BindingCache
from control_plane.store.changes import BINDINGS, PODS, ROUTINGS_DROPPED, routing_deleted


async def test_a_second_read_is_answered_from_memory(
    store: Store, store_url: str, pods: tuple[Pod, ...]
) -> None:
    bound = await store.create_binding("proj", "pod1")
    assert await store.active_bindings("proj") == [bound]
    other = await Store.open(store_url)
    try:
        await other.create_binding("proj", "pod2")  # another process: nobody told this store
        assert await store.active_bindings("proj") == [bound]
        assert [b.pod_name for b in await store.stored_bindings("proj")] == ["pod2"]
        await store.changes.publish([BINDINGS], own=False)  # now it is told
        assert [b.pod_name for b in await store.active_bindings("proj")] == ["pod2"]
    finally:
        await other.close()


async def test_own_binding_writes_and_pod_deletes_are_seen_at_once(
    store: Store, pods: tuple[Pod, ...]
) -> None:
    assert await store.active_bindings("proj") == []
    first = await store.create_binding("proj", "pod1")
    assert await store.active_bindings("proj") == [first]
    second = await store.create_binding("proj", "pod3")
    assert await store.active_bindings("proj") == [first, second]
    await store.delete_binding(first.id)
    assert await store.active_bindings("proj") == [second]
    await store.delete_pod("pod3")
    assert await store.active_bindings("proj") == []


def _binding(pod: str) -> Binding:
    return Binding(f"b-{pod}", "proj", "az1", pod)


def test_reads_are_counted_and_routing_changes_keep_the_cache() -> None:
    reads: list[str] = []
    answer = [_binding("pod1")]

    async def read(project_id: str) -> list[Binding]:
        reads.append(project_id)
        return list(answer)

    async def scenario() -> None:
        cache = BindingCache(read)
        assert await cache.active_bindings("proj") == answer
        assert await cache.active_bindings("proj") == answer
        assert (reads, cache.hits, cache.misses) == (["proj"], 1, 1)
        await cache.changed([routing_deleted(ResourceType.SERVER, "vm1")])
        await cache.active_bindings("proj")
        assert reads == ["proj"]
        for change in (BINDINGS, PODS, ROUTINGS_DROPPED):
            await cache.changed([change])
            await cache.active_bindings("proj")
        assert reads == ["proj"] * 4

    asyncio.run(scenario())


def test_a_read_racing_a_change_is_answered_but_not_kept() -> None:
    reads: list[str] = []
    gate = asyncio.Event()

    async def read(project_id: str) -> list[Binding]:
        reads.append(project_id)
        if len(reads) == 1:
            await gate.wait()  # the binding changes while this read is under way
        return [_binding(f"pod{len(reads)}")]

    async def scenario() -> None:
        cache = BindingCache(read)
        racing = asyncio.create_task(cache.active_bindings("proj"))
        await asyncio.sleep(0)
        await cache.changed([BINDINGS])
        gate.set()
        assert await racing == [_binding("pod1")]
        assert await cache.active_bindings("proj") == [_binding("pod2")]
        assert await cache.active_bindings("proj") == [_binding("pod2")]
        assert len(reads) == 2

    asyncio.run(scenario())


def test_the_least_recently_read_project_goes_first() -> None:
    reads: list[str] = []

    async def read(project_id: str) -> list[Binding]:
        reads.append(project_id)
        return []

    async def scenario() -> None:
        cache = BindingCache(read, max_projects=2)
        for project in ("a", "b", "a", "c", "a", "b"):
            await cache.active_bindings(project)
        assert reads == ["a", "b", "c", "b"]

    asyncio.run(scenario())
