"""Copies of security groups, rules and shared objects: every pod's id of one object, kept
under its gateway id."""

import pytest

from control_plane.errors import PodgateError
from control_plane.model import CopiedType, Copies, Pod
from control_plane.store import Store

GROUP = CopiedType.SECURITY_GROUP


async def test_copies_are_found_by_gateway_id_and_by_any_pods_id(
    store: Store, pods: tuple[Pod, Pod, Pod]
) -> None:
    web = Copies(GROUP, "g1", "p1", {"pod1": "g1", "pod2": "g2", "pod3": "g3"})
    await store.record_copies(web)
    assert await store.copies_of(GROUP, ["g1", "unknown"]) == {"g1": web}
    assert await store.copies_of(CopiedType.SECURITY_GROUP_RULE, ["g1"]) == {}
    assert await store.gateway_ids(GROUP, ["g2", "g3", "g1", "x"]) == {
        "g1": "g1",
        "g2": "g1",
        "g3": "g1",
    }


async def test_recording_one_object_twice_is_refused(
    store: Store, pods: tuple[Pod, Pod, Pod]
) -> None:
    await store.record_copies(Copies(GROUP, "g1", "p1", {"pod1": "g1"}))
    with pytest.raises(PodgateError):
        await store.record_copies(Copies(GROUP, "g1", "p1", {"pod1": "g1"}))


async def test_forgotten_and_deleted_pods_copies_are_gone(
    store: Store, pods: tuple[Pod, Pod, Pod]
) -> None:
    await store.record_copies(Copies(GROUP, "g1", "p1", {"pod1": "g1", "pod3": "g3"}))
    await store.record_copies(Copies(GROUP, "h1", "p1", {"pod1": "h1", "pod2": "h2"}))
    await store.delete_pod("pod3")
    assert (await store.copies_of(GROUP, ["g1"]))["g1"].ids == {"pod1": "g1"}
    await store.forget_copies(GROUP, "h1")
    assert await store.copies_of(GROUP, ["h1"]) == {}


async def test_a_pod_registered_later_adds_its_copy_and_every_object_is_listed(
    store: Store, pods: tuple[Pod, Pod, Pod]
) -> None:
    gold = CopiedType.VOLUME_TYPE
    await store.record_copies(Copies(gold, "t1", "admin", {"pod1": "t1", "pod2": "t2"}))
    await store.record_copies(Copies(gold, "t1", "admin", {"pod3": "t3"}))
    await store.record_copies(Copies(gold, "s1", "admin", {"pod1": "s1"}))
    await store.record_copies(Copies(GROUP, "g1", "p1", {"pod1": "g1"}))
    assert await store.every_copy(gold) == [
        Copies(gold, "s1", "admin", {"pod1": "s1"}),
        Copies(gold, "t1", "admin", {"pod1": "t1", "pod2": "t2", "pod3": "t3"}),
    ]
