"""The store's change feed: each committed write publishes what it changed, once committed."""

from collections.abc import Sequence

import pytest

from control_plane.errors import AlreadyExists
from control_plane.model import Pod, ResourceType, Routing
from control_plane.store import Store
from control_plane.store.changes import BINDINGS, PODS, ROUTINGS_DROPPED, Change, ChangeKind


class Seen:
    def __init__(self) -> None:
        self.batches: list[tuple[Change, ...]] = []

    async def __call__(self, changes: Sequence[Change]) -> None:
        self.batches.append(tuple(changes))


async def test_each_write_publishes_its_changes_and_reads_publish_nothing(store: Store) -> None:
    seen, own = Seen(), Seen()
    store.changes.subscribe(seen)
    store.changes.subscribe(own, own_only=True)
    await store.create_pod(Pod(name="pod1", az_name="az1", endpoints={"compute": "http://1"}))
    await store.update_pod("pod1", dc_name="dc9")
    binding = await store.create_binding("p1", "pod1")
    await store.delete_binding(binding.id)
    await store.put_routing(Routing("s1", ResourceType.SERVER, "p1", "pod1"))
    await store.delete_routing(ResourceType.SERVER, "s1")
    await store.list_pods()
    await store.delete_pod("pod1")
    assert seen.batches == [
        (PODS,),
        (PODS,),
        (BINDINGS,),
        (BINDINGS,),
        (Change(ChangeKind.ROUTING_DELETED, "server", "s1"),),
        (PODS,),
    ]
    assert own.batches == seen.batches


async def test_a_forced_delete_that_drops_routings_says_so(store: Store) -> None:
    seen = Seen()
    store.changes.subscribe(seen)
    await store.create_pod(Pod(name="pod1", az_name="az1", endpoints={"compute": "http://1"}))
    await store.put_routing(Routing("s1", ResourceType.SERVER, "p1", "pod1"))
    await store.delete_pod("pod1", force=True)
    assert seen.batches[-1] == (PODS, ROUTINGS_DROPPED)


async def test_a_routing_given_to_another_project_is_forgotten_everywhere(store: Store) -> None:
    await store.create_pod(Pod(name="pod1", az_name="az1", endpoints={"volumev3": "http://1"}))
    await store.put_routing(Routing("v1", ResourceType.VOLUME, "p1", "pod1"))
    seen = Seen()
    store.changes.subscribe(seen)
    await store.give_routing(ResourceType.VOLUME, "v1", "p2")
    assert seen.batches == [(Change(ChangeKind.ROUTING_DELETED, "volume", "v1"),)]


async def test_a_refused_write_publishes_nothing(store: Store) -> None:
    pod = Pod(name="pod1", az_name="az1", endpoints={"compute": "http://1"})
    await store.create_pod(pod)
    seen = Seen()
    store.changes.subscribe(seen)
    with pytest.raises(AlreadyExists):
        await store.create_pod(pod)
    assert seen.batches == []


async def test_changes_from_elsewhere_skip_own_only_subscribers(store: Store) -> None:
    seen, own = Seen(), Seen()
    store.changes.subscribe(own, own_only=True)
    store.changes.subscribe(seen)
    await store.changes.publish([PODS], own=False)
    assert seen.batches == [(PODS,)] and own.batches == []
