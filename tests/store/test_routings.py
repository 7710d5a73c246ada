"""Store: the resource routing table, on SQLite and PostgreSQL."""

import asyncio
import random

import pytest

from control_plane.errors import BadRequest, FailedPrecondition, NotFound
from control_plane.model import Pod, ResourceType, Routing
from control_plane.store import Store

SERVER, VOLUME = ResourceType.SERVER, ResourceType.VOLUME


async def test_put_then_get_routing(store: Store, pods: tuple[Pod, ...]) -> None:
    put = await store.put_routing(Routing("vm1", SERVER, "proj", "pod1"))
    assert put.created_at is not None and put.updated_at == put.created_at
    assert await store.get_routing(SERVER, "vm1") == put
    assert await store.get_routing("server", "vm1") == put


async def test_unknown_routing_is_none(store: Store, pods: tuple[Pod, ...]) -> None:
    await store.put_routing(Routing("id1", SERVER, "proj", "pod1"))
    assert await store.get_routing(VOLUME, "id1") is None
    assert await store.get_routing(SERVER, "id2") is None


async def test_unknown_resource_type_is_bad_request(store: Store) -> None:
    with pytest.raises(BadRequest, match="image"):
        await store.get_routing("image", "x")
    with pytest.raises(BadRequest):
        await store.put_routing(Routing("x", "image", "proj", "pod1"))  # type: ignore[arg-type]


async def test_put_routing_is_idempotent(store: Store, pods: tuple[Pod, ...]) -> None:
    first = await store.put_routing(Routing("vm1", SERVER, "proj", "pod1"))
    again = await store.put_routing(Routing("vm1", SERVER, "proj", "pod1"))
    assert again == first
    assert await store.list_routings() == [first]


async def test_put_routing_never_moves_a_resource_to_another_pod(
    store: Store, pods: tuple[Pod, ...]
) -> None:
    first = await store.put_routing(Routing("vm1", SERVER, "proj", "pod1"))
    kept = await store.put_routing(Routing("vm1", SERVER, "proj", "pod2"))
    assert kept == first  # the caller sees the pod it stays in
    assert await store.get_routing(SERVER, "vm1") == first
    assert (await store.count_routings("pod1"), await store.count_routings("pod2")) == (1, 0)


async def test_learn_routings_never_moves_a_resource_either(
    store: Store, pods: tuple[Pod, ...]
) -> None:
    first = await store.put_routing(Routing("vm1", SERVER, "proj", "pod1"))
    assert await store.learn_routings([Routing("vm1", SERVER, "proj", "pod2")]) == 0
    assert await store.get_routing(SERVER, "vm1") == first


async def test_get_routings_answers_many_ids_at_once(store: Store, pods: tuple[Pod, ...]) -> None:
    stored = [await store.put_routing(Routing(f"vm{n}", SERVER, "proj", "pod1")) for n in range(3)]
    await store.put_routing(Routing("vol", ResourceType.VOLUME, "proj", "pod2"))
    asked = ["vm2", "vm0", "vm0", "vol", "nope", *(f"x{n}" for n in range(1500))]
    found = await store.get_routings(SERVER, asked)
    assert sorted(found, key=lambda r: r.resource_id) == [stored[0], stored[2]]
    assert await store.get_routings(SERVER, []) == []


async def test_put_routing_refuses_another_projects_id(store: Store, pods: tuple[Pod, ...]) -> None:
    owned = await store.put_routing(Routing("vm1", SERVER, "owner", "pod1"))
    with pytest.raises(FailedPrecondition, match="another project"):
        await store.put_routing(Routing("vm1", SERVER, "thief", "pod2"))
    assert await store.get_routing(SERVER, "vm1") == owned


async def test_put_routing_to_unknown_pod_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound, match="Pod nope"):
        await store.put_routing(Routing("vm1", SERVER, "proj", "nope"))
    assert await store.list_routings() == []


async def test_same_id_of_two_types_is_two_routings(store: Store, pods: tuple[Pod, ...]) -> None:
    server = await store.put_routing(Routing("same", SERVER, "a", "pod1"))
    volume = await store.put_routing(Routing("same", VOLUME, "b", "pod3"))
    assert await store.get_routing(SERVER, "same") == server
    assert await store.get_routing(VOLUME, "same") == volume


async def test_put_routing_is_committed_on_return(store_url: str, pods: tuple[Pod, ...]) -> None:
    writer = await Store.open(store_url)
    reader = await Store.open(store_url)
    try:
        put = await writer.put_routing(Routing("vm1", SERVER, "proj", "pod1"))
        assert await reader.get_routing(SERVER, "vm1") == put
    finally:
        await writer.close()
        await reader.close()


async def test_concurrent_puts_of_one_id_leave_one_row(store: Store, pods: tuple[Pod, ...]) -> None:
    results = await asyncio.gather(
        *(store.put_routing(Routing("vm1", SERVER, "proj", f"pod{i % 3 + 1}")) for i in range(8))
    )
    assert all(result.resource_id == "vm1" for result in results)
    assert [(r.resource_id, r.project_id) for r in await store.list_routings()] == [("vm1", "proj")]


async def test_list_routings_filters(store: Store, pods: tuple[Pod, ...]) -> None:
    a1 = await store.put_routing(Routing("a1", SERVER, "a", "pod1"))
    a2 = await store.put_routing(Routing("a2", VOLUME, "a", "pod3"))
    b1 = await store.put_routing(Routing("b1", SERVER, "b", "pod3"))
    assert await store.list_routings() == [a1, b1, a2]
    assert await store.list_routings(project_id="a") == [a1, a2]
    assert await store.list_routings(pod_name="pod3") == [b1, a2]
    assert await store.list_routings(resource_type="volume") == [a2]
    assert await store.list_routings(project_id="b", pod_name="pod3", resource_type="server") == [
        b1
    ]
    assert await store.list_routings(pod_name="nope") == []


async def test_paging_with_after_walks_every_row_once(store: Store, pods: tuple[Pod, ...]) -> None:
    keys = [(kind, f"id-{n:02d}") for kind in (SERVER, VOLUME) for n in range(12)]
    for kind, resource_id in random.Random(7).sample(keys, len(keys)):
        await store.put_routing(Routing(resource_id, kind, "proj", "pod1"))
    seen: list[tuple[str, str]] = []
    after: tuple[str, str] | None = None
    while page := await store.list_routings(limit=5, after=after):
        assert len(page) <= 5
        seen += [(r.resource_type.value, r.resource_id) for r in page]
        after = seen[-1]
    assert seen == sorted((kind.value, resource_id) for kind, resource_id in keys)


async def test_paging_keeps_filters(store: Store, pods: tuple[Pod, ...]) -> None:
    for n in range(6):
        await store.put_routing(Routing(f"vm{n}", SERVER, "proj" if n % 2 else "other", "pod1"))
    first = await store.list_routings(project_id="proj", limit=2)
    rest = await store.list_routings(project_id="proj", limit=2, after=("server", "vm3"))
    assert [r.resource_id for r in first + rest] == ["vm1", "vm3", "vm5"]


async def test_non_positive_limit_is_bad_request(store: Store) -> None:
    with pytest.raises(BadRequest):
        await store.list_routings(limit=0)


async def test_delete_routing(store: Store, pods: tuple[Pod, ...]) -> None:
    kept = await store.put_routing(Routing("vm1", VOLUME, "proj", "pod1"))
    await store.put_routing(Routing("vm1", SERVER, "proj", "pod1"))
    await store.delete_routing("server", "vm1")
    assert await store.list_routings() == [kept]
    with pytest.raises(NotFound, match="server vm1"):
        await store.delete_routing(SERVER, "vm1")


async def test_count_routings(store: Store, pods: tuple[Pod, ...]) -> None:
    for n in range(3):
        await store.put_routing(Routing(f"vm{n}", SERVER, "proj", "pod2"))
    assert await store.count_routings("pod2") == 3
    assert await store.count_routings("pod1") == 0
    with pytest.raises(NotFound):
        await store.count_routings("nope")


async def test_recent_routings_are_the_newest_oldest_first(
    store: Store, pods: tuple[Pod, ...]
) -> None:
    for n in range(5):
        await store.put_routing(Routing(f"vm{n}", SERVER, "proj", "pod1"))
    await store.learn_routings([Routing("vol9", VOLUME, "proj", "pod2")])
    recent = await store.recent_routings(3)
    assert [(r.resource_id, r.pod_name) for r in recent] == [
        ("vm3", "pod1"),
        ("vm4", "pod1"),
        ("vol9", "pod2"),
    ]
    assert await store.recent_routings(0) == []


async def test_routings_per_pod_counts_every_pod(store: Store, pods: tuple[Pod, ...]) -> None:
    for n in range(3):
        await store.put_routing(Routing(f"vm{n}", SERVER, "proj", "pod2"))
    counts = await store.routings_per_pod()
    assert counts == {pod.name: 3 if pod.name == "pod2" else 0 for pod in pods}


async def test_give_routing_changes_the_owner_only(store: Store, pods: tuple[Pod, ...]) -> None:
    await store.put_routing(Routing("v1", VOLUME, "proj", "pod2"))
    given = await store.give_routing(VOLUME, "v1", "other")
    assert given is not None
    assert (given.project_id, given.pod_name) == ("other", "pod2")
    assert await store.get_routing(VOLUME, "v1") == given
    assert await store.give_routing(VOLUME, "v404", "other") is None
