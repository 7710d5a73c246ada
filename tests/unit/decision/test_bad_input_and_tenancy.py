"""The decision service's own checks on hostile input and on another project's resources."""

import json
from datetime import UTC, datetime

import pytest
from envoy.service.ext_proc.v3 import external_processor_pb2 as ep

from control_plane.decision.classify import classify
from control_plane.decision.operation import Kind, Operation
from control_plane.decision.tenancy import own_projects_only
from control_plane.errors import Forbidden
from control_plane.identity import Caller
from control_plane.model import ResourceType, Routing, Service
from tests.unit.decision.extproc_harness import (
    Gateway,
    request_body,
    request_headers,
    set_headers,
    two_pods,
)

SERVER, VOLUME = ResourceType.SERVER, ResourceType.VOLUME


def _caller(*, admin: bool) -> Caller:
    at = datetime(2030, 1, 1, tzinfo=UTC)
    return Caller("u1", "p1", frozenset({"admin" if admin else "member"}), admin, at)


def _immediate(response: ep.ProcessingResponse) -> tuple[int, dict, dict[str, str]]:
    assert response.WhichOneof("response") == "immediate_response", response
    answer = response.immediate_response
    return answer.status.code, json.loads(answer.body), set_headers(answer.headers)


@pytest.fixture
async def gateway() -> Gateway:
    gw = two_pods()
    await gw.route(SERVER, "s-a", "a")
    await gw.route(VOLUME, "v-a", "a")
    await gw.store.put_routing(Routing("v-other", VOLUME, "p2", "b"))
    return gw


@pytest.mark.parametrize("method", ["get", "PROPFIND", "M-SEARCH", "CONNECT", "TRACE", ""])
@pytest.mark.parametrize("path", ["/v2.1/p1/servers/s-a", "/v2.1/p1/servers", "/"])
def test_methods_outside_http_are_refused_whatever_the_path(method: str, path: str) -> None:
    assert classify(Service.COMPUTE, method, path) == Operation(Kind.BAD_METHOD, Service.COMPUTE)


async def test_an_unknown_method_on_a_known_server_never_reaches_its_pod(gateway) -> None:
    response = await gateway.stream().send(request_headers("PROPFIND", "/v2.1/p1/servers/s-a"))
    status, body, headers = _immediate(response)
    assert (status, list(body)) == (405, ["badMethod"])
    assert "allow" not in headers and headers["x-openstack-request-id"] == "req-rid-1"


async def test_a_body_above_the_limit_is_refused_before_anything_else(gateway) -> None:
    headers = request_headers("POST", "/v2.1/p1/servers", extra={"content-length": str(1_048_577)})
    status, body, _ = _immediate(await gateway.stream().send(headers))
    assert (status, list(body), body["overLimit"]["code"]) == (413, ["overLimit"], 413)
    at_limit = request_headers("POST", "/v2.1/p1/servers", extra={"content-length": str(1_048_576)})
    assert (await gateway.stream().send(at_limit)).WhichOneof("response") == "request_headers"


async def test_attaching_another_projects_volume_tells_nothing_about_its_pod(gateway) -> None:
    """v-other lives in pod b for project p2: p1's server in pod a is sent on to its pod (404)."""
    stream = gateway.stream()
    await stream.send(request_headers("POST", "/v2.1/p1/servers/s-a/os-volume_attachments"))
    response = await stream.send(request_body(b'{"volumeAttachment": {"volumeId": "v-other"}}'))
    routed = set_headers(response.request_body.response.header_mutation)
    assert routed["x-podgate-pod"] == "pod.a.compute"


def test_admins_keep_all_tenants() -> None:
    op = classify(Service.COMPUTE, "GET", "/v2.1/p1/servers/detail?all_tenants=1")
    assert own_projects_only(op, _caller(admin=True)) is op


def test_nova_refuses_all_tenants_to_others() -> None:
    op = classify(Service.COMPUTE, "GET", "/v2.1/p1/servers/detail?limit=1&all_tenants=1")
    with pytest.raises(Forbidden):
        own_projects_only(op, _caller(admin=False))


@pytest.mark.parametrize("key", ["all_tenants", "all%5Ftenants"])
def test_cinder_drops_all_tenants_for_others(key: str) -> None:
    op = classify(Service.VOLUME, "GET", f"/v3/p1/volumes/detail?limit=2&{key}=1&marker=v%2Da")
    assert own_projects_only(op, _caller(admin=False)).query == "limit=2&marker=v%2Da"


def test_other_requests_are_left_alone() -> None:
    op = classify(Service.COMPUTE, "GET", "/v2.1/p1/servers/s-a?all_tenants=1")
    assert own_projects_only(op, _caller(admin=False)) is op
