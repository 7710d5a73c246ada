"""Store: pods and bindings, on SQLite and PostgreSQL."""

import asyncio
import dataclasses
from datetime import UTC

import pytest

from control_plane.errors import AlreadyExists, BadRequest, FailedPrecondition, NotFound
from control_plane.model import Binding, Pod, PodState, ResourceType, Routing
from control_plane.store import Store


async def test_create_pod_assigns_id_and_utc_timestamps(store: Store) -> None:
    pod = await store.create_pod(
        Pod(name="RegionOne", az_name="az1", pod_az_name="nova", dc_name="dc1")
    )
    assert len(pod.id) == 36
    assert pod.created_at is not None and pod.created_at.tzinfo == UTC
    assert pod.updated_at == pod.created_at
    assert await store.get_pod("RegionOne") == pod


async def test_get_pod_returns_every_field(store: Store) -> None:
    given = Pod(
        name="RegionTwo",
        az_name="az1",
        pod_az_name="",
        dc_name="",
        state=PodState.DRAINING,
        endpoints={"volumev3": "http://h:8776/v3/$(project_id)s", "compute": "http://h/v2.1"},
    )
    await store.create_pod(given)
    got = await store.get_pod("RegionTwo")
    assert (got.name, got.az_name, got.pod_az_name, got.dc_name, got.state) == (
        "RegionTwo",
        "az1",
        "",
        "",
        PodState.DRAINING,
    )
    assert got.endpoints == given.endpoints


async def test_unknown_pod_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound, match="Pod nope not found"):
        await store.get_pod("nope")


async def test_duplicate_pod_name_is_already_exists(store: Store) -> None:
    first = await store.create_pod(Pod(name="p", az_name="az1"))
    with pytest.raises(AlreadyExists, match="Pod p already exists"):
        await store.create_pod(Pod(name="p", az_name="az2", endpoints={"compute": "http://x"}))
    assert await store.list_pods() == [first]


@pytest.mark.parametrize(
    "pod",
    [
        Pod(name="", az_name="az1"),
        Pod(name="x" * 256, az_name="az1"),
        Pod(name="p", az_name=""),
        Pod(name="p", az_name="az1", state="BROKEN"),  # type: ignore[arg-type]
        Pod(name="p", az_name="az1", endpoints={"compute": "http://" + "x" * 1020}),
    ],
    ids=["empty-name", "long-name", "empty-az", "bad-state", "long-url"],
)
async def test_invalid_pod_is_bad_request(store: Store, pod: Pod) -> None:
    with pytest.raises(BadRequest):
        await store.create_pod(pod)
    assert await store.list_pods() == []


async def test_list_pods_orders_by_creation_then_filters_by_az(store: Store) -> None:
    for name, az in [("zeta", "az1"), ("alpha", "az2"), ("mid", "az1")]:
        await store.create_pod(Pod(name=name, az_name=az))
    assert [pod.name for pod in await store.list_pods()] == ["zeta", "alpha", "mid"]
    assert [pod.name for pod in await store.list_pods("az1")] == ["zeta", "mid"]
    assert await store.list_pods("az9") == []


async def test_update_pod_changes_only_given_fields(store: Store) -> None:
    before = await store.create_pod(Pod(name="p", az_name="az1", pod_az_name="in", dc_name="dc"))
    after = await store.update_pod("p", state=PodState.DISABLED, dc_name="")
    assert (after.state, after.dc_name, after.az_name, after.pod_az_name) == (
        PodState.DISABLED,
        "",
        "az1",
        "in",
    )
    assert after.created_at == before.created_at
    assert after.updated_at is not None and before.updated_at is not None
    assert after.updated_at > before.updated_at
    assert await store.get_pod("p") == after


async def test_tls_insecure_is_kept_and_changed_only_when_given(store: Store) -> None:
    created = await store.create_pod(Pod(name="p", az_name="az1", tls_insecure=True))
    assert created.tls_insecure and (await store.get_pod("p")).tls_insecure
    assert (await store.update_pod("p", dc_name="dc")).tls_insecure
    assert not (await store.update_pod("p", tls_insecure=False)).tls_insecure
    assert not (await store.get_pod("p")).tls_insecure


async def test_update_pod_sets_and_removes_endpoints(store: Store) -> None:
    await store.create_pod(
        Pod(name="p", az_name="az1", endpoints={"compute": "http://old", "volumev3": "http://v"})
    )
    pod = await store.update_pod(
        "p",
        set_endpoints={"compute": "http://new", "image": "http://i"},
        remove_endpoints=["volumev3", "absent"],
    )
    assert pod.endpoints == {"compute": "http://new", "image": "http://i"}
    assert (await store.get_pod("p")).endpoints == pod.endpoints
    pod = await store.update_pod(
        "p", set_endpoints={"image": "http://i2"}, remove_endpoints=["image"]
    )
    assert pod.endpoints == {"compute": "http://new", "image": "http://i2"}


async def test_update_unknown_pod_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.update_pod("nope", state=PodState.ENABLED)


async def test_delete_pod_with_routings_needs_force(store: Store, pods: tuple[Pod, ...]) -> None:
    await store.put_routing(Routing("vm1", ResourceType.SERVER, "proj", "pod1"))
    await store.put_routing(Routing("vol1", ResourceType.VOLUME, "proj", "pod1"))
    binding = await store.create_binding("proj", "pod1")
    with pytest.raises(FailedPrecondition, match=r"2 routings.*force"):
        await store.delete_pod("pod1")
    assert await store.get_pod("pod1") == pods[0]
    assert await store.count_routings("pod1") == 2
    assert await store.list_bindings(pod_name="pod1") == [binding]


async def test_force_delete_removes_pod_routings_and_bindings(
    store: Store, pods: tuple[Pod, ...]
) -> None:
    await store.put_routing(Routing("vm1", ResourceType.SERVER, "proj", "pod1"))
    kept = await store.put_routing(Routing("vm2", ResourceType.SERVER, "proj", "pod2"))
    await store.create_binding("proj", "pod1")
    other = await store.create_binding("proj", "pod3")
    await store.delete_pod("pod1", force=True)
    assert [pod.name for pod in await store.list_pods()] == ["pod2", "pod3"]
    assert await store.get_routing(ResourceType.SERVER, "vm1") is None
    assert await store.list_routings() == [kept]
    assert await store.list_bindings() == [other]
    recreated = await store.create_pod(Pod(name="pod1", az_name="az1"))
    assert recreated.endpoints == {}


async def test_delete_pod_without_routings_drops_its_bindings(
    store: Store, pods: tuple[Pod, ...]
) -> None:
    await store.create_binding("proj", "pod2")
    await store.delete_pod("pod2")
    with pytest.raises(NotFound):
        await store.get_pod("pod2")
    assert await store.list_bindings() == []


async def test_delete_unknown_pod_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.delete_pod("nope", force=True)


async def test_create_binding_takes_the_pods_az(store: Store, pods: tuple[Pod, ...]) -> None:
    binding = await store.create_binding("proj", "pod3")
    assert (binding.project_id, binding.az_name, binding.pod_name, binding.active) == (
        "proj",
        "az2",
        "pod3",
        True,
    )
    assert len(binding.id) == 36
    assert binding.created_at is not None and binding.created_at.tzinfo == UTC
    assert await store.active_bindings("proj") == [binding]


async def test_rebinding_deactivates_the_old_binding_and_keeps_history(
    store: Store, pods: tuple[Pod, ...]
) -> None:
    first = await store.create_binding("proj", "pod1")
    second = await store.create_binding("proj", "pod2")
    third = await store.create_binding("proj", "pod1")
    assert await store.active_bindings("proj") == [third]
    history = await store.list_bindings(project_id="proj")
    assert [(b.id, b.pod_name, b.active) for b in history] == [
        (first.id, "pod1", False),
        (second.id, "pod2", False),
        (third.id, "pod1", True),
    ]


async def test_bindings_in_different_azs_stay_active(store: Store, pods: tuple[Pod, ...]) -> None:
    in_az1 = await store.create_binding("proj", "pod1")
    in_az2 = await store.create_binding("proj", "pod3")
    assert await store.active_bindings("proj") == [in_az1, in_az2]


async def test_binding_to_the_active_pod_again_is_already_exists(
    store: Store, pods: tuple[Pod, ...]
) -> None:
    binding = await store.create_binding("proj", "pod1")
    with pytest.raises(AlreadyExists, match="proj is already bound to pod pod1"):
        await store.create_binding("proj", "pod1")
    assert await store.list_bindings() == [binding]


async def test_binding_to_unknown_pod_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.create_binding("proj", "nope")


async def test_concurrent_rebinds_leave_one_active_binding(
    store: Store, pods: tuple[Pod, ...]
) -> None:
    results = await asyncio.gather(
        store.create_binding("proj", "pod1"), store.create_binding("proj", "pod2")
    )
    active = await store.active_bindings("proj")
    assert len(active) == 1 and active[0] in results
    assert len(await store.list_bindings(project_id="proj")) == 2


async def test_list_bindings_filters(store: Store, pods: tuple[Pod, ...]) -> None:
    old = await store.create_binding("a", "pod1")
    new = await store.create_binding("a", "pod2")
    other = await store.create_binding("b", "pod1")
    inactive = dataclasses.replace(old, active=False)
    assert _ignoring_updated(await store.list_bindings(project_id="a")) == _ignoring_updated(
        [inactive, new]
    )
    assert [b.id for b in await store.list_bindings(pod_name="pod1")] == [old.id, other.id]
    assert await store.list_bindings(active_only=True) == [new, other]
    assert await store.list_bindings(project_id="a", pod_name="pod1", active_only=True) == []
    assert await store.list_bindings(pod_name="nope") == []


async def test_delete_binding(store: Store, pods: tuple[Pod, ...]) -> None:
    binding = await store.create_binding("proj", "pod1")
    await store.delete_binding(binding.id)
    assert await store.list_bindings() == []
    with pytest.raises(NotFound, match=binding.id):
        await store.delete_binding(binding.id)


def _ignoring_updated(bindings: list[Binding]) -> list[tuple[object, ...]]:
    return [(b.id, b.project_id, b.az_name, b.pod_name, b.active, b.created_at) for b in bindings]
