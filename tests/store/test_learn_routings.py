"""Store.learn_routings: bulk INSERT ... ON CONFLICT DO NOTHING, on SQLite and PostgreSQL."""

import pytest

from control_plane.errors import BadRequest
from control_plane.model import Pod, ResourceType, Routing
from control_plane.store import Store

SERVER, VOLUME = ResourceType.SERVER, ResourceType.VOLUME


async def test_new_routings_are_stored_and_counted(store: Store, pods: tuple[Pod, ...]) -> None:
    added = await store.learn_routings(
        [Routing("vm1", SERVER, "p1", "pod1"), Routing("vol1", VOLUME, "p1", "pod3")]
    )
    assert added == 2
    vm1 = await store.get_routing(SERVER, "vm1")
    assert vm1 is not None and (vm1.project_id, vm1.pod_name) == ("p1", "pod1")
    assert vm1.created_at is not None
    vol1 = await store.get_routing(VOLUME, "vol1")
    assert vol1 is not None and vol1.pod_name == "pod3"


async def test_stored_routings_win_over_learnt_ones(store: Store, pods: tuple[Pod, ...]) -> None:
    stored = await store.put_routing(Routing("vm1", SERVER, "p1", "pod1"))
    added = await store.learn_routings(
        [Routing("vm1", SERVER, "p2", "pod2"), Routing("vm2", SERVER, "p1", "pod2")]
    )
    assert added == 1
    assert await store.get_routing(SERVER, "vm1") == stored


async def test_same_id_twice_in_one_batch_counts_once(store: Store, pods: tuple[Pod, ...]) -> None:
    added = await store.learn_routings(
        [Routing("vm1", SERVER, "p1", "pod1"), Routing("vm1", SERVER, "p1", "pod2")]
    )
    assert added == 1
    assert (await store.get_routing(SERVER, "vm1")).pod_name == "pod1"


async def test_same_id_of_another_type_is_another_resource(
    store: Store, pods: tuple[Pod, ...]
) -> None:
    added = await store.learn_routings(
        [Routing("x1", SERVER, "p1", "pod1"), Routing("x1", VOLUME, "p1", "pod2")]
    )
    assert added == 2


async def test_routings_of_unknown_pods_are_skipped(store: Store, pods: tuple[Pod, ...]) -> None:
    added = await store.learn_routings(
        [Routing("vm1", SERVER, "p1", "gone"), Routing("vm2", SERVER, "p1", "pod1")]
    )
    assert added == 1
    assert await store.get_routing(SERVER, "vm1") is None


async def test_large_batches_are_stored_whole(store: Store, pods: tuple[Pod, ...]) -> None:
    routings = [Routing(f"vm{i:04d}", SERVER, "p1", "pod2") for i in range(1200)]
    assert await store.learn_routings(routings) == 1200
    assert await store.learn_routings(routings) == 0
    assert await store.count_routings("pod2") == 1200


async def test_nothing_to_learn_is_zero(store: Store) -> None:
    assert await store.learn_routings([]) == 0


async def test_invalid_routings_are_bad_requests(store: Store, pods: tuple[Pod, ...]) -> None:
    with pytest.raises(BadRequest):
        await store.learn_routings([Routing("", SERVER, "p1", "pod1")])
    with pytest.raises(BadRequest):
        await store.learn_routings([Routing("x", "image", "p1", "pod1")])  # type: ignore[arg-type]
