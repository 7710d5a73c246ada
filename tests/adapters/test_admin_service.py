"""The PodAdmin gRPC service through a real stub, over a real Store on SQLite."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import grpc
import pytest

from control_plane.admin.service import PodAdminService, add_to_server
from control_plane.errors import Unauthorized
from control_plane.identity import Caller, Gate
from control_plane.model import ResourceType, Routing
from control_plane.store import Store
from control_plane.store.changes import Change, ChangeKind
from podgate_api.admin.v1 import admin_pb2, admin_pb2_grpc
from tests.fixtures.guarded import admin_channel, guarded_server

COMPUTE = "http://10.0.0.1:8774/v2.1"
VOLUME = "http://10.0.0.1:8776/v3/$(project_id)s"


@dataclass
class Events:
    """What the service's writes told the rest of the control plane (the store's change feed)."""

    pods_changed: int = 0
    bindings_changed: int = 0
    routings_deleted: list[tuple[str, str]] = field(default_factory=list)
    routings_dropped: int = 0

    async def __call__(self, changes: Sequence[Change]) -> None:
        kinds = [change.kind for change in changes]
        self.pods_changed += ChangeKind.PODS in kinds
        self.bindings_changed += ChangeKind.BINDINGS in kinds
        self.routings_dropped += ChangeKind.ROUTINGS_DROPPED in kinds
        self.routings_deleted.extend(
            (change.resource_type, change.resource_id)
            for change in changes
            if change.kind is ChangeKind.ROUTING_DELETED
        )


@dataclass
class Admin:
    """A running admin server, a stub to it, and what it has reported."""

    stub: admin_pb2_grpc.PodAdminStub
    store: Store
    events: Events
    target: str


@asynccontextmanager
async def serve_admin(store: Store, gate: Gate | None = None) -> AsyncIterator[Admin]:
    """Serve the admin API over `store` on a free loopback port until the block ends."""
    events = Events()
    store.changes.subscribe(events)
    server = guarded_server(gate)
    service = PodAdminService(store)
    add_to_server(server, service)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    target = f"127.0.0.1:{port}"
    try:
        # noauth: the stub shows the local admin token; keystone tests bring their own tokens.
        async with admin_channel(target, show_token=gate is None) as channel:
            yield Admin(admin_pb2_grpc.PodAdminStub(channel), store, events, target)
    finally:
        await server.stop(None)


@pytest.fixture
async def admin(store: Store) -> AsyncIterator[Admin]:
    async with serve_admin(store) as admin:
        yield admin


def pod_request(name: str = "pod1", **fields: object) -> admin_pb2.CreatePodRequest:
    values: dict[str, object] = {
        "name": name,
        "az_name": "az1",
        "endpoints": {"compute": COMPUTE, "volumev3": VOLUME},
    }
    return admin_pb2.CreatePodRequest(pod=admin_pb2.Pod(**(values | fields)))


async def add_routings(store: Store, pod_name: str, count: int, kind: ResourceType) -> None:
    for i in range(count):
        routing = Routing(f"{kind}-{i:03d}", kind, "proj", pod_name)
        await store.put_routing(routing)


async def expect_error(call: object, code: grpc.StatusCode, match: str = "") -> str:
    """Await a failing call and return its message after checking its status code."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    assert caught.value.code() == code, caught.value.details()
    assert match in caught.value.details()
    return caught.value.details()


async def test_create_pod_returns_it_with_id_timestamps_and_enabled_state(admin: Admin) -> None:
    pod = await admin.stub.CreatePod(pod_request(pod_az_name="nova", dc_name="dc1"))
    assert pod.id and pod.HasField("created_at") and pod.HasField("updated_at")
    assert (pod.name, pod.az_name, pod.pod_az_name, pod.dc_name) == ("pod1", "az1", "nova", "dc1")
    assert pod.state == admin_pb2.ENABLED
    assert dict(pod.endpoints) == {"compute": COMPUTE, "volumev3": VOLUME}
    assert admin.events.pods_changed == 1


async def test_create_pod_ignores_client_id(admin: Admin) -> None:
    pod = await admin.stub.CreatePod(pod_request(id="mine", state=admin_pb2.DRAINING))
    assert pod.id != "mine"
    assert pod.state == admin_pb2.DRAINING


async def test_get_and_list_pods(admin: Admin) -> None:
    await admin.stub.CreatePod(pod_request("pod1"))
    await admin.stub.CreatePod(pod_request("pod2", az_name="az2"))
    got = await admin.stub.GetPod(admin_pb2.GetPodRequest(name="pod2"))
    assert got.az_name == "az2"
    every = await admin.stub.ListPods(admin_pb2.ListPodsRequest())
    assert [p.name for p in every.pods] == ["pod1", "pod2"]
    az2 = await admin.stub.ListPods(admin_pb2.ListPodsRequest(az_name="az2"))
    assert [p.name for p in az2.pods] == ["pod2"]


async def test_update_pod_changes_only_the_given_fields(admin: Admin) -> None:
    await admin.stub.CreatePod(pod_request(dc_name="dc1"))
    pod = await admin.stub.UpdatePod(
        admin_pb2.UpdatePodRequest(
            name="pod1",
            state=admin_pb2.DISABLED,
            pod_az_name="inner",
            set_endpoints={"compute": "https://nova.example/v2.1"},
            remove_endpoints=["volumev3"],
        )
    )
    assert pod.state == admin_pb2.DISABLED
    assert (pod.az_name, pod.pod_az_name, pod.dc_name) == ("az1", "inner", "dc1")
    assert dict(pod.endpoints) == {"compute": "https://nova.example/v2.1"}
    stored = await admin.store.get_pod("pod1")
    assert stored.pod_az_name == "inner" and dict(stored.endpoints) == dict(pod.endpoints)
    assert admin.events.pods_changed == 2


async def test_delete_pod(admin: Admin) -> None:
    await admin.stub.CreatePod(pod_request())
    await admin.stub.DeletePod(admin_pb2.DeletePodRequest(name="pod1"))
    assert await admin.store.list_pods() == []
    assert admin.events.pods_changed == 2


async def test_deleting_a_pod_with_routings_needs_force(admin: Admin) -> None:
    await admin.stub.CreatePod(pod_request())
    await add_routings(admin.store, "pod1", 2, ResourceType.SERVER)
    await expect_error(
        admin.stub.DeletePod(admin_pb2.DeletePodRequest(name="pod1")),
        grpc.StatusCode.FAILED_PRECONDITION,
        "still has 2 routings",
    )
    assert [p.name for p in await admin.store.list_pods()] == ["pod1"]
    assert admin.events.pods_changed == 1

    await admin.stub.DeletePod(admin_pb2.DeletePodRequest(name="pod1", force=True))
    assert await admin.store.list_pods() == []
    assert await admin.store.get_routing(ResourceType.SERVER, "server-000") is None
    assert await admin.store.get_routing(ResourceType.SERVER, "server-001") is None
    assert admin.events.routings_dropped == 1  # every cache reloads its routings
    assert admin.events.pods_changed == 2


async def test_binding_lifecycle(admin: Admin) -> None:
    await admin.stub.CreatePod(pod_request("pod1"))
    await admin.stub.CreatePod(pod_request("pod2"))
    first = await admin.stub.CreateBinding(
        admin_pb2.CreateBindingRequest(project_id="proj", pod_name="pod1")
    )
    assert (first.project_id, first.az_name, first.pod_name, first.active) == (
        "proj",
        "az1",
        "pod1",
        True,
    )
    second = await admin.stub.CreateBinding(
        admin_pb2.CreateBindingRequest(project_id="proj", pod_name="pod2")
    )
    every = await admin.stub.ListBindings(admin_pb2.ListBindingsRequest(project_id="proj"))
    assert [(b.id, b.active) for b in every.bindings] == [(first.id, False), (second.id, True)]
    active = await admin.stub.ListBindings(admin_pb2.ListBindingsRequest(active_only=True))
    assert [b.id for b in active.bindings] == [second.id]
    of_pod1 = await admin.stub.ListBindings(admin_pb2.ListBindingsRequest(pod_name="pod1"))
    assert [b.id for b in of_pod1.bindings] == [first.id]

    await admin.stub.DeleteBinding(admin_pb2.DeleteBindingRequest(id=first.id))
    left = await admin.stub.ListBindings(admin_pb2.ListBindingsRequest())
    assert [b.id for b in left.bindings] == [second.id]
    assert (admin.events.pods_changed, admin.events.bindings_changed) == (2, 3)


async def test_routing_get_and_delete(admin: Admin) -> None:
    await admin.stub.CreatePod(pod_request())
    await add_routings(admin.store, "pod1", 1, ResourceType.VOLUME)
    key = {"resource_type": "volume", "resource_id": "volume-000"}
    routing = await admin.stub.GetRouting(admin_pb2.GetRoutingRequest(**key))
    assert (routing.project_id, routing.pod_name) == ("proj", "pod1")
    assert routing.HasField("created_at")

    await admin.stub.DeleteRouting(admin_pb2.DeleteRoutingRequest(**key))
    assert await admin.store.get_routing(ResourceType.VOLUME, "volume-000") is None
    assert admin.events.routings_deleted == [("volume", "volume-000")]
    await expect_error(
        admin.stub.GetRouting(admin_pb2.GetRoutingRequest(**key)),
        grpc.StatusCode.NOT_FOUND,
        "volume-000",
    )


@pytest.mark.parametrize("page_size", [1, 3, 7, 0])
async def test_list_routings_pages_walk_every_row_once(admin: Admin, page_size: int) -> None:
    await admin.stub.CreatePod(pod_request())
    await add_routings(admin.store, "pod1", 5, ResourceType.SERVER)
    await add_routings(admin.store, "pod1", 4, ResourceType.VOLUME)
    seen: list[tuple[str, str]] = []
    request = admin_pb2.ListRoutingsRequest(page_size=page_size)
    pages = 0
    while True:
        reply = await admin.stub.ListRoutings(request)
        pages += 1
        assert len(reply.routings) <= (page_size or 100)
        seen.extend((r.resource_type, r.resource_id) for r in reply.routings)
        if not reply.next_page_token:
            break
        request.page_token = reply.next_page_token
    assert len(seen) == len(set(seen)) == 9
    assert seen == sorted(seen)
    assert pages == -(-9 // (page_size or 100))


async def test_list_routings_filters(admin: Admin) -> None:
    await admin.stub.CreatePod(pod_request("pod1"))
    await admin.stub.CreatePod(pod_request("pod2"))
    await add_routings(admin.store, "pod1", 2, ResourceType.SERVER)
    await add_routings(admin.store, "pod2", 1, ResourceType.VOLUME)
    await admin.store.put_routing(Routing("other", ResourceType.SERVER, "proj2", "pod2"))

    async def ids(**filters: str) -> list[str]:
        reply = await admin.stub.ListRoutings(admin_pb2.ListRoutingsRequest(**filters))
        assert reply.next_page_token == ""
        return [r.resource_id for r in reply.routings]

    assert await ids(pod_name="pod2") == ["other", "volume-000"]
    assert await ids(resource_type="volume") == ["volume-000"]
    assert await ids(project_id="proj2") == ["other"]


async def test_last_full_page_has_no_next_token(admin: Admin) -> None:
    await admin.stub.CreatePod(pod_request())
    await add_routings(admin.store, "pod1", 2, ResourceType.SERVER)
    reply = await admin.stub.ListRoutings(admin_pb2.ListRoutingsRequest(page_size=2))
    assert len(reply.routings) == 2 and reply.next_page_token == ""


@pytest.mark.parametrize(
    ("request_", "match"),
    [
        (pod_request(""), "pod name is required"),
        (pod_request("bad name"), "pod name 'bad name'"),
        (pod_request(az_name=""), "az_name is required"),
        (pod_request(endpoints={"compute": "ftp://h/v2.1"}), "http:// or https://"),
        (pod_request(endpoints={"image": "http://h:9292"}), "service type 'image'"),
        (pod_request(state=9), "pod state 9"),
    ],
    ids=["empty-name", "malformed-name", "no-az", "non-http-url", "unknown-service", "bad-state"],
)
async def test_invalid_pod_is_rejected_and_not_stored(
    admin: Admin, request_: admin_pb2.CreatePodRequest, match: str
) -> None:
    await expect_error(admin.stub.CreatePod(request_), grpc.StatusCode.INVALID_ARGUMENT, match)
    assert await admin.store.list_pods() == []
    assert admin.events.pods_changed == 0


async def test_duplicate_pod_is_already_exists(admin: Admin) -> None:
    await admin.stub.CreatePod(pod_request())
    await expect_error(
        admin.stub.CreatePod(pod_request(az_name="az9")),
        grpc.StatusCode.ALREADY_EXISTS,
        "pod1",
    )
    assert (await admin.store.get_pod("pod1")).az_name == "az1"
    assert admin.events.pods_changed == 1


@pytest.mark.parametrize(
    ("update", "match"),
    [
        ({"state": 7}, "pod state 7"),
        ({"state": admin_pb2.POD_STATE_UNSPECIFIED}, "pod state 0"),
        ({"az_name": ""}, "az_name is required"),
        ({"set_endpoints": {"compute": "nova:8774"}}, "http"),
        ({"remove_endpoints": ["image"]}, "service type 'image'"),
    ],
    ids=["unknown-state", "unspecified-state", "empty-az", "bad-url", "unknown-service"],
)
async def test_invalid_update_changes_nothing(
    admin: Admin, update: dict[str, object], match: str
) -> None:
    created = await admin.stub.CreatePod(pod_request())
    request = admin_pb2.UpdatePodRequest(name="pod1", dc_name="changed", **update)
    await expect_error(admin.stub.UpdatePod(request), grpc.StatusCode.INVALID_ARGUMENT, match)
    assert await admin.stub.GetPod(admin_pb2.GetPodRequest(name="pod1")) == created
    assert admin.events.pods_changed == 1


async def test_missing_things_are_not_found(admin: Admin) -> None:
    stub = admin.stub
    cases = [
        stub.GetPod(admin_pb2.GetPodRequest(name="ghost")),
        stub.UpdatePod(admin_pb2.UpdatePodRequest(name="ghost", dc_name="x")),
        stub.DeletePod(admin_pb2.DeletePodRequest(name="ghost")),
        stub.CreateBinding(admin_pb2.CreateBindingRequest(project_id="p", pod_name="ghost")),
        stub.DeleteBinding(admin_pb2.DeleteBindingRequest(id="ghost")),
        stub.DeleteRouting(admin_pb2.DeleteRoutingRequest(resource_type="server", resource_id="x")),
    ]
    for call in cases:
        await expect_error(call, grpc.StatusCode.NOT_FOUND)
    assert admin.events == Events()


async def test_pod_not_found_message_names_the_pod(admin: Admin) -> None:
    message = await expect_error(
        admin.stub.GetPod(admin_pb2.GetPodRequest(name="ghost")), grpc.StatusCode.NOT_FOUND
    )
    assert "ghost" in message


async def test_binding_twice_is_already_exists(admin: Admin) -> None:
    await admin.stub.CreatePod(pod_request())
    request = admin_pb2.CreateBindingRequest(project_id="proj", pod_name="pod1")
    await admin.stub.CreateBinding(request)
    await expect_error(admin.stub.CreateBinding(request), grpc.StatusCode.ALREADY_EXISTS, "proj")
    assert (admin.events.pods_changed, admin.events.bindings_changed) == (1, 1)


@pytest.mark.parametrize(
    "request_",
    [
        admin_pb2.CreateBindingRequest(project_id="", pod_name="pod1"),
        admin_pb2.CreateBindingRequest(project_id="a b", pod_name="pod1"),
        admin_pb2.CreateBindingRequest(project_id="proj", pod_name=""),
    ],
    ids=["no-project", "bad-project", "no-pod"],
)
async def test_invalid_binding_is_rejected(
    admin: Admin, request_: admin_pb2.CreateBindingRequest
) -> None:
    await admin.stub.CreatePod(pod_request())
    await expect_error(admin.stub.CreateBinding(request_), grpc.StatusCode.INVALID_ARGUMENT)
    assert await admin.store.list_bindings() == []
    assert admin.events.pods_changed == 1


@pytest.mark.parametrize(
    ("request_", "match"),
    [
        (admin_pb2.ListRoutingsRequest(page_size=-1), "page_size"),
        (admin_pb2.ListRoutingsRequest(page_token="garbled!"), "page_token"),
        (admin_pb2.ListRoutingsRequest(resource_type="image"), "'image'"),
    ],
    ids=["negative-page-size", "garbled-token", "unknown-type"],
)
async def test_invalid_routing_list_is_rejected(
    admin: Admin, request_: admin_pb2.ListRoutingsRequest, match: str
) -> None:
    await expect_error(admin.stub.ListRoutings(request_), grpc.StatusCode.INVALID_ARGUMENT, match)


@pytest.mark.parametrize(
    ("resource_type", "resource_id", "match"),
    [("image", "x", "'image'"), ("", "x", "resource_type"), ("server", "", "resource_id")],
)
async def test_invalid_routing_key_is_rejected(
    admin: Admin, resource_type: str, resource_id: str, match: str
) -> None:
    key = {"resource_type": resource_type, "resource_id": resource_id}
    for call in (
        admin.stub.GetRouting(admin_pb2.GetRoutingRequest(**key)),
        admin.stub.DeleteRouting(admin_pb2.DeleteRoutingRequest(**key)),
    ):
        await expect_error(call, grpc.StatusCode.INVALID_ARGUMENT, match)
    assert admin.events.routings_deleted == []


async def test_malformed_pod_name_is_invalid_before_lookup(admin: Admin) -> None:
    for call in (
        admin.stub.GetPod(admin_pb2.GetPodRequest(name="")),
        admin.stub.DeletePod(admin_pb2.DeletePodRequest(name="../x")),
    ):
        await expect_error(call, grpc.StatusCode.INVALID_ARGUMENT, "pod name")


class TokenGate:
    """Accepts two fixed tokens: one admin, one member; anything else is 401."""

    async def caller(self, token: str | None) -> Caller | None:
        roles = {"admin-token": frozenset({"admin"}), "member-token": frozenset({"member"})}
        if token not in roles:
            raise Unauthorized("The request you have made requires authentication.")
        return Caller("u", "p", roles[token], "admin" in roles[token], datetime.now(UTC))


@pytest.mark.parametrize(
    ("metadata", "code"),
    [
        ((), grpc.StatusCode.UNAUTHENTICATED),
        ((("x-auth-token", "garbage"),), grpc.StatusCode.UNAUTHENTICATED),
        ((("x-auth-token", "member-token"),), grpc.StatusCode.PERMISSION_DENIED),
    ],
)
async def test_keystone_mode_admin_api_needs_the_admin_role(
    store: Store, metadata: tuple, code: grpc.StatusCode
) -> None:
    async with serve_admin(store, TokenGate()) as admin:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await admin.stub.CreatePod(
                admin_pb2.CreatePodRequest(pod=admin_pb2.Pod(name="p1", az_name="az1")),
                metadata=metadata,
            )
        assert err.value.code() == code
        assert await store.list_pods() == []
        assert admin.events.pods_changed == 0


async def test_keystone_mode_admin_token_is_accepted(store: Store) -> None:
    async with serve_admin(store, TokenGate()) as admin:
        await admin.stub.CreatePod(
            admin_pb2.CreatePodRequest(pod=admin_pb2.Pod(name="p1", az_name="az1")),
            metadata=(("x-auth-token", "admin-token"),),
        )
        assert [p.name for p in await store.list_pods()] == ["p1"]
