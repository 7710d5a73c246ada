"""Store.forget_routings: batch DELETE ... RETURNING of gone resources, SQLite and PostgreSQL."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from control_plane.errors import FailedPrecondition
from control_plane.model import Pod, ResourceType, Routing
from control_plane.store import Store
from control_plane.store.changes import ROUTINGS_DROPPED, Change, ChangeKind

SERVER, VOLUME = ResourceType.SERVER, ResourceType.VOLUME


def _keys(routings: Sequence[Routing]) -> list[tuple[str, str, str]]:
    return sorted((str(r.resource_type), r.resource_id, r.pod_name) for r in routings)


async def test_forgotten_routings_are_gone_and_returned(
    store: Store, pods: tuple[Pod, ...]
) -> None:
    vm1 = await store.put_routing(Routing("vm1", SERVER, "p1", "pod1"))
    await store.put_routing(Routing("vm2", SERVER, "p1", "pod1"))
    vol = await store.put_routing(Routing("vol1", VOLUME, "p2", "pod3"))
    forgotten = await store.forget_routings([vm1, vol])
    assert sorted(forgotten, key=lambda r: r.resource_id) == [vm1, vol]
    assert [r.resource_id for r in await store.list_routings()] == ["vm2"]


async def test_a_routing_naming_another_pod_stays(store: Store, pods: tuple[Pod, ...]) -> None:
    stored = await store.put_routing(Routing("vm1", SERVER, "p1", "pod1"))
    assert await store.forget_routings([Routing("vm1", SERVER, "p1", "pod2")]) == []
    assert await store.get_routing(SERVER, "vm1") == stored


async def test_routings_newer_than_the_bound_stay(store: Store, pods: tuple[Pod, ...]) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    stored = await store.put_routing(Routing("vm1", SERVER, "p1", "pod1"))
    assert await store.forget_routings([stored], created_before=before) == []
    assert await store.get_routing(SERVER, "vm1") == stored
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert _keys(await store.forget_routings([stored], created_before=later)) == [
        ("server", "vm1", "pod1")
    ]


async def test_forgetting_unknown_routings_is_harmless(store: Store, pods: tuple[Pod, ...]) -> None:
    stored = await store.put_routing(Routing("vm1", SERVER, "p1", "pod1"))
    assert await store.forget_routings([]) == []
    assert await store.forget_routings([Routing("nope", SERVER, "p1", "pod1")]) == []
    assert await store.forget_routings([Routing("vm1", SERVER, "p1", "no-such-pod")]) == []
    assert await store.forget_routings([stored, stored]) == [stored]
    assert await store.forget_routings([stored]) == []


async def test_large_batches_are_forgotten_whole(store: Store, pods: tuple[Pod, ...]) -> None:
    routings = [Routing(f"vm{i:04d}", SERVER, "p1", "pod2") for i in range(2500)]
    await store.learn_routings(routings)
    assert len(await store.forget_routings(routings)) == 2500
    assert await store.count_routings("pod2") == 0


async def test_a_pod_emptied_by_forgetting_can_be_deleted(
    store: Store, pods: tuple[Pod, ...]
) -> None:
    stored = await store.put_routing(Routing("vm1", SERVER, "p1", "pod1"))
    with pytest.raises(FailedPrecondition, match="1 routings"):
        await store.delete_pod("pod1")
    await store.forget_routings([stored])
    assert await store.delete_pod("pod1") == 0


async def test_subscribers_hear_each_forgotten_routing(store: Store, pods: tuple[Pod, ...]) -> None:
    heard: list[Change] = []

    async def hear(changes: Sequence[Change]) -> None:
        heard.extend(changes)

    store.changes.subscribe(hear)
    vm1 = await store.put_routing(Routing("vm1", SERVER, "p1", "pod1"))
    await store.forget_routings([vm1, Routing("nope", SERVER, "p1", "pod1")])
    assert heard == [Change(ChangeKind.ROUTING_DELETED, "server", "vm1")]
    heard.clear()
    await store.forget_routings([Routing("nope", SERVER, "p1", "pod1")])
    assert heard == []


async def test_many_forgotten_routings_are_heard_as_one_reload(
    store: Store, pods: tuple[Pod, ...]
) -> None:
    heard: list[Change] = []

    async def hear(changes: Sequence[Change]) -> None:
        heard.extend(changes)

    routings = [Routing(f"vm{i:04d}", SERVER, "p1", "pod2") for i in range(300)]
    await store.learn_routings(routings)
    store.changes.subscribe(hear)
    await store.forget_routings(routings)
    assert heard == [ROUTINGS_DROPPED]
