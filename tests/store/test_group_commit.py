"""Store.put_routing under concurrency: creates recorded together share transactions."""

import asyncio

import pytest

from control_plane.errors import BadRequest, NotFound
from control_plane.model import Pod, ResourceType, Routing
from control_plane.store import Store
from control_plane.store.group_commit import GroupCommit

SERVER = ResourceType.SERVER


async def test_a_burst_of_creates_is_recorded_in_few_transactions(
    store: Store, pods: tuple[Pod, ...]
) -> None:
    routings = [Routing(f"vm{n}", SERVER, "p1", ("pod1", "pod2")[n % 2]) for n in range(60)]
    batches = store._routing_inserts.batches
    stored = await asyncio.gather(*(store.put_routing(routing) for routing in routings))
    assert store._routing_inserts.batches - batches < 10
    for routing, answer in zip(routings, stored, strict=True):
        assert (answer.resource_id, answer.pod_name) == (routing.resource_id, routing.pod_name)
        assert answer.created_at is not None
        assert await store.get_routing(SERVER, routing.resource_id) == answer


async def test_one_batch_mixes_new_moved_and_failing_routings(
    store: Store, pods: tuple[Pod, ...]
) -> None:
    await store.put_routing(Routing("old", SERVER, "p1", "pod1"))
    results = await asyncio.gather(
        store.put_routing(Routing("new", SERVER, "p1", "pod1")),
        store.put_routing(Routing("old", SERVER, "p1", "pod2")),  # never moves: pod1 stays
        store.put_routing(Routing("twice", SERVER, "p1", "pod1")),
        store.put_routing(Routing("twice", SERVER, "p1", "pod2")),
        store.put_routing(Routing("lost", SERVER, "p1", "no-such-pod")),
        return_exceptions=True,
    )
    new, old, _, _, lost = results
    assert isinstance(new, Routing) and new.pod_name == "pod1"
    assert isinstance(old, Routing) and old.pod_name == "pod1"
    assert (await store.get_routing(SERVER, "old")).pod_name == "pod1"
    assert (await store.get_routing(SERVER, "twice")).pod_name in ("pod1", "pod2")  # first wins
    assert isinstance(lost, NotFound)
    assert await store.get_routing(SERVER, "lost") is None


async def test_bad_input_fails_only_its_caller(store: Store, pods: tuple[Pod, ...]) -> None:
    good, bad = await asyncio.gather(
        store.put_routing(Routing("ok", SERVER, "p1", "pod1")),
        store.put_routing(Routing("", SERVER, "p1", "pod1")),
        return_exceptions=True,
    )
    assert isinstance(good, Routing) and isinstance(bad, BadRequest)


async def test_a_failed_batch_fails_each_caller_and_the_next_batch_runs() -> None:
    calls: list[list[int]] = []

    async def write(batch: list[int]) -> list[int]:
        calls.append(batch)
        await asyncio.sleep(0)
        if 13 in batch:
            raise RuntimeError("disk full")
        return [item * 2 for item in batch]

    group: GroupCommit[int, int] = GroupCommit(write, max_batch=4)
    lone = await group.submit(1)
    results = await asyncio.gather(
        *(group.submit(n) for n in (2, 13, 4, 5, 6)), return_exceptions=True
    )
    assert lone == 2
    assert calls == [[1], [2, 13, 4, 5], [6]]
    assert [type(r) for r in results[:4]] == [RuntimeError] * 4 and results[4] == 12
    with pytest.raises(RuntimeError):
        await group.submit(13)
