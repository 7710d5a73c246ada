"""Keystone mode in the decision service: the token is checked before anything is looked up."""

from datetime import UTC, datetime

import pytest

from control_plane.model import Pod, ResourceType
from tests.unit.decision.extproc_harness import Gateway, Stream, request_headers, set_headers
from tests.unit.decision.fakes import FakeGate

POD = Pod(
    name="pod1",
    az_name="az1",
    endpoints={"compute": "http://10.0.0.1:8774/v2.1"},
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
)


@pytest.fixture
async def stream() -> tuple[Stream, FakeGate]:
    gate = FakeGate()
    gateway = Gateway(POD, gate=gate)
    await gateway.route(ResourceType.SERVER, "s1", "pod1")
    return gateway.stream(), gate


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
    reply = await get(stream[0], "/v2.1/p1/os-no-such-thing", None)
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


async def test_a_project_less_url_is_the_tokens_project(stream) -> None:
    reply = await get(stream[0], "/v2.1/servers/s1", "p1-token")
    mutated = set_headers(reply.request_headers.response.header_mutation)
    assert mutated["x-podgate-pod"] == "pod.pod1.compute"
    assert mutated[":path"] == "/v2.1/p1/servers/s1"  # the pod's URL names the project


async def test_a_project_less_url_needs_a_token(stream) -> None:
    reply = await get(stream[0], "/v2.1/servers/s1", None)
    assert reply.immediate_response.status.code == 401


async def test_an_admins_project_less_url_reaches_another_projects_resource(stream) -> None:
    reply = await get(stream[0], "/v2.1/servers/s1", "admin-token")
    mutated = set_headers(reply.request_headers.response.header_mutation)
    assert mutated[":path"] == "/v2.1/ops/servers/s1"  # as Nova shows an admin any server
