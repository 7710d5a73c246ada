"""Keystone mode in the decision service: the token is checked before anything is looked up."""

from datetime import UTC, datetime

import pytest

from control_plane.decision.extproc import DecisionService
from control_plane.decision.routing_table import RoutingTable
from control_plane.errors import Unauthorized
from control_plane.identity import Caller, IdentityBusy
from control_plane.model import Pod, ResourceType, Routing
from tests.unit.decision.extproc_harness import Stream, request_headers, set_headers
from tests.unit.decision.fakes import FakeVersions, MemoryStore

POD = Pod(
    name="pod1",
    az_name="az1",
    endpoints={"compute": "http://10.0.0.1:8774/v2.1"},
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
)
TOKENS = {"p1-token": ("p1", frozenset({"member"})), "admin-token": ("ops", frozenset({"admin"}))}


class FakeGate:
    """Knows two tokens; counts how often it was asked."""

    def __init__(self) -> None:
        self.calls = 0
        self.clients: list[str] = []

    async def caller(self, token: str | None, *, client: str = "") -> Caller:
        self.calls += 1
        self.clients.append(client)
        if token == "busy-token":
            raise IdentityBusy("Too many token validations in progress; retry later.")
        if token not in TOKENS:
            raise Unauthorized("The request you have made requires authentication.")
        project, roles = TOKENS[token]
        return Caller("user", project, roles, "admin" in roles, datetime.now(UTC))


@pytest.fixture
async def stream() -> tuple[Stream, FakeGate]:
    store = MemoryStore({"pod1": POD})
    await store.put_routing(Routing("s1", ResourceType.SERVER, "p1", "pod1"))
    gate = FakeGate()
    service = DecisionService(
        store=store,
        routing_table=RoutingTable(store, max_entries=10),
        pods=lambda: {"pod1": POD},
        gate=gate,
        fetch=FakeVersions(),
    )
    return Stream(service, "compute"), gate


async def get(stream: Stream, path: str, token: str | None):
    extra = {"x-auth-token": token} if token else {}
    return await stream.send(request_headers("GET", path, extra=extra, end_of_stream=True))


@pytest.mark.parametrize("token", [None, "garbage"])
async def test_missing_or_rejected_token_is_a_401(stream, token) -> None:
    reply = await get(stream[0], "/v2.1/p1/servers/s1", token)
    assert reply.immediate_response.status.code == 401
    assert b'"unauthorized"' in reply.immediate_response.body


async def test_token_of_another_project_is_a_403_before_any_lookup(stream) -> None:
    reply = await get(stream[0], "/v2.1/p2/servers/s1", "p1-token")
    assert reply.immediate_response.status.code == 403
    assert b'"forbidden"' in reply.immediate_response.body


async def test_own_project_is_routed(stream) -> None:
    reply = await get(stream[0], "/v2.1/p1/servers/s1", "p1-token")
    assert set_headers(reply.request_headers.response.header_mutation)["x-podgate-pod"] == (
        "pod.pod1.compute"
    )


async def test_admin_may_use_any_project_url(stream) -> None:
    reply = await get(stream[0], "/v2.1/p2/servers/s1", "admin-token")
    assert not reply.HasField("immediate_response")  # allowed, and p1's server is found
    mutated = {
        option.header.key: option.header.raw_value.decode()
        for option in reply.request_headers.response.header_mutation.set_headers
    }
    assert mutated[":path"].endswith("/p2/servers/s1")  # the admin's URL: the pod lets admins in


async def test_unknown_paths_need_no_token(stream) -> None:
    reply = await get(stream[0], "/v2.1/p1/os-hosts", None)
    assert reply.immediate_response.status.code == 404
    assert stream[1].calls == 0


@pytest.mark.parametrize("path", ["/", "/v2.1/"])
async def test_version_documents_need_no_token(stream, path: str) -> None:
    reply = await get(stream[0], path, None)
    assert reply.immediate_response.status.code == 200
    assert stream[1].calls == 0


async def test_a_known_path_with_a_wrong_method_still_needs_a_token(stream) -> None:
    reply = await stream[0].send(request_headers("PUT", "/v2.1/p1/servers", end_of_stream=True))
    assert reply.immediate_response.status.code == 401


async def test_the_gate_is_told_the_client_address_envoy_saw(stream) -> None:
    address = {"x-envoy-external-address": "198.51.100.7", "x-forwarded-for": "10.0.0.1"}
    message = request_headers("GET", "/v2.1/p1/servers/s1", extra=address, end_of_stream=True)
    await stream[0].send(message)
    assert stream[1].clients == ["198.51.100.7"]


async def test_too_many_validations_is_a_503_with_retry_after(stream) -> None:
    reply = await get(stream[0], "/v2.1/p1/servers/s1", "busy-token")
    assert reply.immediate_response.status.code == 503
    assert set_headers(reply.immediate_response.headers)["retry-after"] == "1"
