"""The Trio2oAdmin servicer through a real stub, over PodAdmin and a real Store on SQLite."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
import pytest

from control_plane.admin.service import PodAdminService
from control_plane.admin.trio2o import Trio2oAdminService, add_to_server
from control_plane.errors import Unauthorized
from control_plane.identity import Caller, Gate
from control_plane.model import ResourceType, Routing
from control_plane.store import Store
from control_plane.store.changes import Change
from podgate_api.admin.v1 import trio2o_pb2, trio2o_pb2_grpc
from tests.fixtures.guarded import admin_channel, guarded_server


@dataclass
class Trio2o:
    """A running Trio2oAdmin server, a stub to it, and the store changes its writes made."""

    stub: trio2o_pb2_grpc.Trio2oAdminStub
    store: Store
    changes: list[str]


class TokenGate:
    """Two fixed tokens, one admin and one member; anything else is 401."""

    async def caller(self, token: str | None) -> Caller | None:
        roles = {"admin-token": frozenset({"admin"}), "member-token": frozenset({"member"})}
        if token not in roles:
            raise Unauthorized("The request you have made requires authentication.")
        return Caller("u", "p", roles[token], "admin" in roles[token], datetime.now(UTC))


@asynccontextmanager
async def serve(store: Store, gate: Gate | None = None) -> AsyncIterator[Trio2o]:
    """Serve Trio2oAdmin over `store` on a free loopback port until the block ends."""
    changes: list[str] = []

    async def changed(batch: Sequence[Change]) -> None:
        changes.extend(change.kind.value for change in batch)

    store.changes.subscribe(changed)
    admin = PodAdminService(store)
    server = guarded_server(gate)
    add_to_server(server, Trio2oAdminService(admin))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with admin_channel(f"127.0.0.1:{port}", show_token=gate is None) as channel:
            yield Trio2o(trio2o_pb2_grpc.Trio2oAdminStub(channel), store, changes)
    finally:
        await server.stop(None)


@pytest.fixture
async def trio2o(store: Store) -> AsyncIterator[Trio2o]:
    async with serve(store) as served:
        yield served


def new_pod(
    name: str = "Pod1", az: str = "AZ1", **fields: str
) -> trio2o_pb2.CreateTrio2oPodRequest:
    pod = trio2o_pb2.Trio2oPod(pod_name=name, az_name=az, **fields)
    return trio2o_pb2.CreateTrio2oPodRequest(pod=pod)


def new_binding(tenant_id: str, pod_id: str) -> trio2o_pb2.CreateTrio2oBindingRequest:
    binding = trio2o_pb2.Trio2oPodBinding(tenant_id=tenant_id, pod_id=pod_id)
    return trio2o_pb2.CreateTrio2oBindingRequest(pod_binding=binding)


async def expect_error(call: object, code: grpc.StatusCode, match: str = "") -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    assert caught.value.code() == code, caught.value.details()
    assert match in caught.value.details()


async def test_a_created_pod_is_stored_and_shown_by_its_id(trio2o: Trio2o) -> None:
    created = (await trio2o.stub.CreatePod(new_pod(pod_az_name="az1", dc_name="dc1"))).pod
    stored = await trio2o.store.get_pod("Pod1")
    assert created.pod_id == stored.id and created.pod_id
    assert (created.pod_name, created.az_name, created.pod_az_name, created.dc_name) == (
        "Pod1",
        "AZ1",
        "az1",
        "dc1",
    )
    assert trio2o.changes == ["pods"]
    shown = await trio2o.stub.GetPod(trio2o_pb2.GetTrio2oPodRequest(pod_id=created.pod_id))
    assert shown.pod == created
    listed = await trio2o.stub.ListPods(trio2o_pb2.ListTrio2oPodsRequest())
    assert list(listed.pods) == [created]


async def test_a_pod_needs_its_az_because_there_is_no_top_region(trio2o: Trio2o) -> None:
    await expect_error(
        trio2o.stub.CreatePod(new_pod(az="")), grpc.StatusCode.INVALID_ARGUMENT, "az_name"
    )
    assert await trio2o.store.list_pods() == []


async def test_a_create_without_the_pod_object_is_a_bad_request(trio2o: Trio2o) -> None:
    await expect_error(
        trio2o.stub.CreatePod(trio2o_pb2.CreateTrio2oPodRequest()),
        grpc.StatusCode.INVALID_ARGUMENT,
    )


async def test_a_second_pod_with_the_same_name_already_exists(trio2o: Trio2o) -> None:
    await trio2o.stub.CreatePod(new_pod())
    await expect_error(
        trio2o.stub.CreatePod(new_pod(az="AZ2")), grpc.StatusCode.ALREADY_EXISTS, "Pod1"
    )


async def test_deleting_a_pod_by_id_removes_it_and_its_bindings(trio2o: Trio2o) -> None:
    pod = (await trio2o.stub.CreatePod(new_pod())).pod
    await trio2o.stub.CreateBinding(new_binding("tenant-a", pod.pod_id))
    await trio2o.stub.DeletePod(trio2o_pb2.DeleteTrio2oPodRequest(pod_id=pod.pod_id))
    assert await trio2o.store.list_pods() == []
    assert await trio2o.store.list_bindings() == []
    assert trio2o.changes == ["pods", "bindings", "pods"]


async def test_a_pod_that_owns_routings_is_not_deleted(trio2o: Trio2o) -> None:
    pod = (await trio2o.stub.CreatePod(new_pod())).pod
    await trio2o.store.put_routing(Routing("vm-1", ResourceType.SERVER, "tenant-a", "Pod1"))
    await expect_error(
        trio2o.stub.DeletePod(trio2o_pb2.DeleteTrio2oPodRequest(pod_id=pod.pod_id)),
        grpc.StatusCode.FAILED_PRECONDITION,
        "routings",
    )
    assert [p.name for p in await trio2o.store.list_pods()] == ["Pod1"]


@pytest.mark.parametrize("method", ["GetPod", "DeletePod"])
async def test_an_unknown_pod_id_is_not_found(trio2o: Trio2o, method: str) -> None:
    await trio2o.stub.CreatePod(new_pod())
    request = {
        "GetPod": trio2o_pb2.GetTrio2oPodRequest,
        "DeletePod": trio2o_pb2.DeleteTrio2oPodRequest,
    }
    call = getattr(trio2o.stub, method)(request[method](pod_id="no-such-id"))
    await expect_error(call, grpc.StatusCode.NOT_FOUND, "Pod no-such-id not found")


async def test_a_binding_is_shown_with_the_pod_id_and_listed(trio2o: Trio2o) -> None:
    pod = (await trio2o.stub.CreatePod(new_pod())).pod
    bound = (await trio2o.stub.CreateBinding(new_binding("tenant-a", pod.pod_id))).pod_binding
    assert (bound.tenant_id, bound.pod_id, bound.is_binding) == ("tenant-a", pod.pod_id, True)
    assert bound.id and bound.HasField("created_at") and bound.HasField("updated_at")
    [stored] = await trio2o.store.list_bindings()
    assert (stored.id, stored.project_id, stored.pod_name) == (bound.id, "tenant-a", "Pod1")
    shown = await trio2o.stub.GetBinding(trio2o_pb2.GetTrio2oBindingRequest(id=bound.id))
    assert shown.pod_binding == bound
    listed = await trio2o.stub.ListBindings(trio2o_pb2.ListTrio2oBindingsRequest())
    assert list(listed.pod_bindings) == [bound]


async def test_rebinding_a_tenant_in_the_same_az_keeps_the_old_binding_as_history(
    trio2o: Trio2o,
) -> None:
    first = (await trio2o.stub.CreatePod(new_pod("Pod1", "AZ1"))).pod
    second = (await trio2o.stub.CreatePod(new_pod("Pod2", "AZ1"))).pod
    await trio2o.stub.CreateBinding(new_binding("tenant-a", first.pod_id))
    await trio2o.stub.CreateBinding(new_binding("tenant-a", second.pod_id))
    listed = (await trio2o.stub.ListBindings(trio2o_pb2.ListTrio2oBindingsRequest())).pod_bindings
    assert [(b.pod_id, b.is_binding) for b in listed] == [
        (first.pod_id, False),
        (second.pod_id, True),
    ]


async def test_the_same_binding_twice_already_exists(trio2o: Trio2o) -> None:
    pod = (await trio2o.stub.CreatePod(new_pod())).pod
    await trio2o.stub.CreateBinding(new_binding("tenant-a", pod.pod_id))
    await expect_error(
        trio2o.stub.CreateBinding(new_binding("tenant-a", pod.pod_id)),
        grpc.StatusCode.ALREADY_EXISTS,
    )


@pytest.mark.parametrize(
    ("tenant_id", "pod_id", "match"),
    [
        ("tenant-a", "no-such-id", "Pod no-such-id not found"),
        ("tenant-a", "", "pod_id is required"),
        ("", "POD", "tenant_id is required"),
        ("bad tenant!", "POD", "project_id"),
    ],
)
async def test_a_binding_needs_a_tenant_and_a_known_pod(
    trio2o: Trio2o, tenant_id: str, pod_id: str, match: str
) -> None:
    pod = (await trio2o.stub.CreatePod(new_pod())).pod
    wanted = new_binding(tenant_id, pod.pod_id if pod_id == "POD" else pod_id)
    await expect_error(trio2o.stub.CreateBinding(wanted), grpc.StatusCode.INVALID_ARGUMENT, match)
    assert await trio2o.store.list_bindings() == []


async def test_a_deleted_binding_is_gone(trio2o: Trio2o) -> None:
    pod = (await trio2o.stub.CreatePod(new_pod())).pod
    bound = (await trio2o.stub.CreateBinding(new_binding("tenant-a", pod.pod_id))).pod_binding
    await trio2o.stub.DeleteBinding(trio2o_pb2.DeleteTrio2oBindingRequest(id=bound.id))
    assert await trio2o.store.list_bindings() == []
    await expect_error(
        trio2o.stub.GetBinding(trio2o_pb2.GetTrio2oBindingRequest(id=bound.id)),
        grpc.StatusCode.NOT_FOUND,
        bound.id,
    )
    await expect_error(
        trio2o.stub.DeleteBinding(trio2o_pb2.DeleteTrio2oBindingRequest(id=bound.id)),
        grpc.StatusCode.NOT_FOUND,
    )


@pytest.mark.parametrize(
    ("metadata", "code"),
    [
        ((), grpc.StatusCode.UNAUTHENTICATED),
        ((("x-auth-token", "member-token"),), grpc.StatusCode.PERMISSION_DENIED),
    ],
)
async def test_keystone_mode_refuses_non_admins_before_looking_anything_up(
    store: Store, metadata: tuple, code: grpc.StatusCode
) -> None:
    async with serve(store, TokenGate()) as trio2o:
        calls = (
            trio2o.stub.CreatePod(new_pod(), metadata=metadata),
            trio2o.stub.ListPods(trio2o_pb2.ListTrio2oPodsRequest(), metadata=metadata),
            trio2o.stub.GetPod(trio2o_pb2.GetTrio2oPodRequest(pod_id="x"), metadata=metadata),
            trio2o.stub.DeletePod(trio2o_pb2.DeleteTrio2oPodRequest(pod_id="x"), metadata=metadata),
            trio2o.stub.CreateBinding(new_binding("t", "x"), metadata=metadata),
            trio2o.stub.ListBindings(trio2o_pb2.ListTrio2oBindingsRequest(), metadata=metadata),
            trio2o.stub.GetBinding(trio2o_pb2.GetTrio2oBindingRequest(id="x"), metadata=metadata),
            trio2o.stub.DeleteBinding(
                trio2o_pb2.DeleteTrio2oBindingRequest(id="x"), metadata=metadata
            ),
        )
        for call in calls:
            await expect_error(call, code)
        assert await store.list_pods() == []


async def test_keystone_mode_serves_an_admin_token(store: Store) -> None:
    admin = (("x-auth-token", "admin-token"),)
    async with serve(store, TokenGate()) as trio2o:
        created = (await trio2o.stub.CreatePod(new_pod(), metadata=admin)).pod
        shown = await trio2o.stub.GetPod(
            trio2o_pb2.GetTrio2oPodRequest(pod_id=created.pod_id), metadata=admin
        )
        assert shown.pod == created
