"""DecisionService.Process message by message, over an in-memory store."""

import asyncio
import json
import logging
import re
import uuid

import pytest
from envoy.extensions.filters.http.ext_proc.v3 import processing_mode_pb2
from envoy.service.ext_proc.v3 import external_processor_pb2 as ep
from pydantic import ValidationError

from control_plane.decision.extproc import DecisionService
from control_plane.model import Pod, ResourceType, Routing
from control_plane.settings import DecisionSettings
from tests.unit.decision.extproc_harness import (
    Gateway,
    request_body,
    request_headers,
    response_body,
    response_headers,
    set_headers,
)
from tests.unit.decision.fake_pods import pod

PM = processing_mode_pb2.ProcessingMode
SERVER = ResourceType.SERVER
COMPUTE = {
    "compute": "http://10.0.0.1:8774/v2.1",
    "volumev3": "http://10.0.0.1/volume/v3/$(project_id)s",
}


def _pod(name: str, az: str, minute: int, **changes: object) -> Pod:
    return pod(name, az, minute, **{"endpoints": COMPUTE, **changes})


@pytest.fixture
def gateway() -> Gateway:
    # Deliberately out of creation order: "b" is older than "a" and must be preferred.
    return Gateway(_pod("a", "az1", 2), _pod("b", "az1", 1), _pod("c", "az2", 3))


def _fault(response: ep.ProcessingResponse) -> tuple[int, dict, dict[str, str]]:
    assert response.WhichOneof("response") == "immediate_response"
    immediate = response.immediate_response
    return immediate.status.code, json.loads(immediate.body), set_headers(immediate.headers)


async def test_unknown_id_is_a_404_with_the_request_id(gateway: Gateway) -> None:
    response = await gateway.stream().send(request_headers("GET", "/v2.1/p1/servers/s404"))
    status, body, headers = _fault(response)
    assert status == 404
    assert body == {"itemNotFound": {"message": "Instance s404 could not be found.", "code": 404}}
    assert headers == {
        "content-type": "application/json",
        "x-openstack-request-id": "req-rid-1",
        "openstack-api-version": "compute 2.1",
        "x-openstack-nova-api-version": "2.1",
        "vary": "OpenStack-API-Version, X-OpenStack-Nova-API-Version",
    }


async def test_known_server_is_routed_to_its_pod_with_the_path_rewritten(gateway: Gateway) -> None:
    await gateway.route(SERVER, "s1", "a")
    response = await gateway.stream().send(
        request_headers("POST", "/v2.1/p1/servers/s1/action?x=1")
    )
    common = response.request_headers.response
    assert set_headers(common.header_mutation) == {
        "x-podgate-pod": "pod.a.compute",
        ":path": "/v2.1/p1/servers/s1/action?x=1",
    }
    assert common.clear_route_cache
    # Pod a renames its zone: an action's answer (a rebuild's server) is asked for, to show az1.
    assert response.mode_override.response_body_mode == PM.BUFFERED


async def test_known_volume_goes_to_the_templated_endpoint(gateway: Gateway) -> None:
    await gateway.route(ResourceType.VOLUME, "v1", "c")
    response = await gateway.stream("volumev3").send(request_headers("DELETE", "/v3/p1/volumes/v1"))
    assert set_headers(response.request_headers.response.header_mutation) == {
        "x-podgate-pod": "pod.c.volumev3",
        ":path": "/volume/v3/p1/volumes/v1",
    }


async def test_junk_id_is_a_404_without_a_store_read(gateway: Gateway) -> None:
    response = await gateway.stream().send(request_headers("GET", "/v2.1/p1/servers/..%2f"))
    status, body, _ = _fault(response)
    assert (status, body["itemNotFound"]["message"]) == (404, "The resource could not be found.")
    assert gateway.store.reads == 0


async def test_unknown_request_is_a_404(gateway: Gateway) -> None:
    response = await gateway.stream("volumev3").send(request_headers("GET", "/v2.1/p1/servers/s1"))
    status, body, _ = _fault(response)
    assert (status, body) == (
        404,
        {"itemNotFound": {"message": "The resource could not be found.", "code": 404}},
    )


async def test_missing_request_id_gets_a_fresh_uuid(gateway: Gateway) -> None:
    response = await gateway.stream().send(request_headers("GET", "/v2.1/p1/x", request_id=None))
    request_id = _fault(response)[2]["x-openstack-request-id"]
    assert re.fullmatch(
        r"req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", request_id
    )


async def test_create_flow_schedules_rewrites_and_records(gateway: Gateway) -> None:
    stream = gateway.stream()
    headers = await stream.send(request_headers("POST", "/v2.1/p1/servers"))
    assert headers.WhichOneof("response") == "request_headers"
    assert not headers.request_headers.response.HasField("header_mutation")
    mode = headers.mode_override
    assert (mode.request_body_mode, mode.response_header_mode, mode.response_body_mode) == (
        PM.BUFFERED,
        PM.SEND,
        PM.BUFFERED,
    )

    sent = {"server": {"name": "vm", "availability_zone": "az1", "metadata": {"k": "v"}}}
    body = await stream.send(request_body(json.dumps(sent).encode()))
    common = body.request_body.response
    forwarded = common.body_mutation.body
    assert json.loads(forwarded) == {
        "server": {"name": "vm", "availability_zone": "inner-b", "metadata": {"k": "v"}}
    }
    assert set_headers(common.header_mutation) == {
        "x-podgate-pod": "pod.b.compute",
        ":path": "/v2.1/p1/servers",
        "content-length": str(len(forwarded)),
    }
    assert common.clear_route_cache
    assert gateway.store.bindings == []  # bound once the pod accepted the create, not before

    status = await stream.send(response_headers(202))
    assert status.WhichOneof("response") == "response_headers"
    assert not status.response_headers.response.HasField("header_mutation")

    created = {"server": {"id": "s-new", "OS-EXT-AZ:availability_zone": "inner-b"}}
    reply = await stream.send(response_body(json.dumps(created).encode()))
    # The binding and the routing must be durable by the time the client can see the new id.
    assert [(b.project_id, b.pod_name) for b in gateway.store.bindings] == [("p1", "b")]
    assert gateway.store.routings[("server", "s-new")] == Routing(
        "s-new", ResourceType.SERVER, "p1", "b"
    )
    returned = reply.response_body.response.body_mutation.body
    assert json.loads(returned) == {"server": {"id": "s-new", "OS-EXT-AZ:availability_zone": "az1"}}
    assert set_headers(reply.response_body.response.header_mutation) == {
        "content-length": str(len(returned))
    }


async def _create(gateway: Gateway, body: dict, *, listener: str = "compute") -> str:
    """Run a create up to the pod choice and return the cluster it went to."""
    path = "/v2.1/p1/servers" if listener == "compute" else "/v3/p1/volumes"
    stream = gateway.stream(listener)
    await stream.send(request_headers("POST", path))
    response = await stream.send(request_body(json.dumps(body).encode()))
    await stream.send(response_headers(202))
    member = "server" if listener == "compute" else "volume"
    await stream.send(response_body(json.dumps({member: {"id": str(uuid.uuid4())}}).encode()))
    return set_headers(response.request_body.response.header_mutation)["x-podgate-pod"]


async def test_create_reuses_the_projects_binding(gateway: Gateway) -> None:
    assert await _create(gateway, {"server": {}}) == "pod.b.compute"
    gateway.pods["a"] = _pod("a", "az1", 0)  # now the oldest, yet the binding to b holds
    assert await _create(gateway, {"server": {"availability_zone": "az1"}}) == "pod.b.compute"
    assert len(gateway.store.bindings) == 1


async def test_volume_create_removes_the_az_when_the_pod_has_no_inner_name(gateway) -> None:
    gateway.pods["c"] = _pod("c", "az2", 3, pod_az_name="")
    stream = gateway.stream("volumev3")
    await stream.send(request_headers("POST", "/v3/p1/volumes"))
    body = {"volume": {"size": 1, "availability_zone": "az2"}}
    response = await stream.send(request_body(json.dumps(body).encode()))
    common = response.request_body.response
    assert json.loads(common.body_mutation.body) == {"volume": {"size": 1}}
    assert set_headers(common.header_mutation)[":path"] == "/volume/v3/p1/volumes"
    await stream.send(response_headers(202))
    created = {"volume": {"id": "v-new", "availability_zone": "nova", "size": 1}}
    reply = await stream.send(response_body(json.dumps(created).encode()))
    assert json.loads(reply.response_body.response.body_mutation.body)["volume"] == {
        "id": "v-new",
        "availability_zone": "az2",
        "size": 1,
    }
    assert gateway.store.routings[("volume", "v-new")].pod_name == "c"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{oops", "Malformed request body: it is not valid JSON."),
        (b'{"volume": {}}', "Missing required element 'server' in request body."),
        (b'{"server": {"availability_zone": 1}}', "must be a string"),
        (b'{"server": {"availability_zone": "az9"}}', "Availability zone 'az9' is not available."),
    ],
)
async def test_bad_create_body_is_a_400_and_nothing_is_forwarded(gateway, body, message) -> None:
    stream = gateway.stream()
    await stream.send(request_headers("POST", "/v2.1/p1/servers"))
    response = await stream.send(request_body(body))
    status, fault, _ = _fault(response)
    assert (status, list(fault)) == (400, ["badRequest"])
    assert message in fault["badRequest"]["message"]
    assert not response.request_body.response.HasField("header_mutation")
    assert gateway.store.bindings == []


async def test_failed_create_passes_through_and_records_nothing(gateway: Gateway) -> None:
    stream = gateway.stream()
    await stream.send(request_headers("POST", "/v2.1/p1/servers"))
    await stream.send(request_body(b'{"server": {}}'))
    await stream.send(response_headers(403))
    reply = await stream.send(response_body(b'{"server": {"id": "s-x"}}'))
    assert reply == ep.ProcessingResponse(response_body=ep.BodyResponse())
    assert gateway.store.routings == {}


async def test_non_json_success_passes_through(gateway: Gateway) -> None:
    stream = gateway.stream()
    await stream.send(request_headers("POST", "/v2.1/p1/servers"))
    await stream.send(request_body(b'{"server": {}}'))
    await stream.send(response_headers(202))
    reply = await stream.send(response_body(b"<html>accepted</html>"))
    assert reply == ep.ProcessingResponse(response_body=ep.BodyResponse())


async def test_unrecorded_routing_is_a_500_naming_no_pod(gateway, caplog) -> None:
    gateway.store.fail_writes = True
    stream = gateway.stream()
    await stream.send(request_headers("POST", "/v2.1/p1/servers"))
    await stream.send(request_body(b'{"server": {}}'))
    await stream.send(response_headers(202))
    with caplog.at_level(logging.ERROR, logger="podgate.decision"):
        reply = await stream.send(response_body(b'{"server": {"id": "s-lost"}}'))
    status, fault, _ = _fault(reply)
    assert status == 500
    assert fault == {
        "computeFault": {
            "message": "The server s-lost was created but could not be recorded.",
            "code": 500,
        }
    }
    assert "s-lost" in caplog.text


async def test_unexpected_error_is_a_500_and_the_stream_survives(gateway, caplog) -> None:
    def broken_pods():
        raise RuntimeError("boom")

    gateway.service = DecisionService(
        store=gateway.store, routing_table=gateway.table, pods=broken_pods
    )
    await gateway.route(SERVER, "s1", "a")
    stream = gateway.stream()
    with caplog.at_level(logging.ERROR, logger="podgate.decision"):
        response = await stream.send(request_headers("GET", "/v2.1/p1/servers/s1"))
    assert _fault(response)[:2] == (
        500,
        {"computeFault": {"message": "Unexpected error", "code": 500}},
    )
    assert "boom" in caplog.text
    trailer = ep.ProcessingRequest(request_trailers=ep.HttpTrailers())
    assert (await stream.send(trailer)).WhichOneof("response") == "request_trailers"


async def test_stream_without_service_metadata_is_a_500(gateway: Gateway) -> None:
    response = await gateway.stream(None).send(request_headers("GET", "/v2.1/p1/servers/s1"))
    assert _fault(response)[0] == 500


@pytest.mark.parametrize(
    "message",
    [
        request_body(b"{}"),
        response_headers(200),
        response_body(b"{}"),
        ep.ProcessingRequest(response_trailers=ep.HttpTrailers()),
    ],
    ids=["request_body", "response_headers", "response_body", "response_trailers"],
)
async def test_messages_not_asked_for_get_an_empty_answer(gateway, message) -> None:
    await gateway.route(SERVER, "s1", "a")
    stream = gateway.stream()
    await stream.send(request_headers("GET", "/v2.1/p1/servers/s1"))
    kind = message.WhichOneof("request")
    assert await stream.send(message) == ep.ProcessingResponse(**{kind: {}})


async def test_one_log_line_per_decision_without_query_or_headers(gateway, caplog) -> None:
    await gateway.route(SERVER, "s1", "a")
    secret = {"x-auth-token": "gAAAAsecret-token"}
    with caplog.at_level(logging.INFO, logger="podgate.decision"):
        await gateway.stream().send(
            request_headers("GET", "/v2.1/p1/servers/s1?token=q", extra=secret)
        )
        await gateway.stream().send(request_headers("GET", "/v2.1/p1/servers/s2", request_id="r2"))
    lines = [r.getMessage() for r in caplog.records if r.name == "podgate.decision"]
    assert lines == [
        "req-rid-1 GET '/v2.1/p1/servers/s1' routed -> pod.a.compute",
        "req-r2 GET '/v2.1/p1/servers/s2' routed -> 404",
    ]
    assert "secret" not in caplog.text


async def test_concurrent_creates_binding_the_same_pod_both_go_through(gateway) -> None:
    first, second = gateway.stream(), gateway.stream()
    await first.send(request_headers("POST", "/v2.1/p1/servers"))
    await second.send(request_headers("POST", "/v2.1/p1/servers"))
    replies = await asyncio.gather(
        first.send(request_body(b'{"server": {}}')), second.send(request_body(b'{"server": {}}'))
    )
    pods = [set_headers(r.request_body.response.header_mutation)["x-podgate-pod"] for r in replies]
    assert pods == ["pod.b.compute", "pod.b.compute"]
    for stream in (first, second):
        await stream.send(response_headers(202))
    await asyncio.gather(
        first.send(response_body(b'{"server": {"id": "s-1"}}')),
        second.send(response_body(b'{"server": {"id": "s-2"}}')),
    )
    assert [b.pod_name for b in gateway.store.bindings] == ["b"]


async def test_noauth_project_less_urls_take_the_project_header(gateway: Gateway) -> None:
    await gateway.route(SERVER, "s1", "a")
    response = await gateway.stream().send(
        request_headers("GET", "/v2.1/servers/s1", extra={"x-project-id": "p1"})
    )
    mutated = set_headers(response.request_headers.response.header_mutation)
    assert (mutated["x-podgate-pod"], mutated[":path"]) == ("pod.a.compute", "/v2.1/p1/servers/s1")
    reply = await gateway.stream().send(request_headers("GET", "/v2.1/servers/s1"))
    assert _fault(reply)[0] == 401


async def test_noauth_network_requests_without_the_header_take_the_configured_project() -> None:
    """`auth_type: none` clients (the `openstack` CLI) cannot send X-Project-Id."""
    network = {"network": "http://10.0.0.1/network"}
    settings = DecisionSettings(noauth_project="p9")
    gateway = Gateway(_pod("a", "az1", 1, endpoints=network), settings=settings)
    await gateway.route(ResourceType.NETWORK, "n1", "a", project="p9")
    await gateway.route(ResourceType.NETWORK, "n2", "a", project="p1")
    cases = (({}, "n1", "p9"), ({"x-project-id": "p1"}, "n2", "p1"))
    for extra, network_id, project in cases:
        response = await gateway.stream("network").send(
            request_headers("GET", f"/v2.0/networks/{network_id}", extra=extra)
        )
        mutated = set_headers(response.request_headers.response.header_mutation)
        assert (mutated["x-podgate-pod"], mutated["x-project-id"]) == ("pod.a.network", project)
    unset = Gateway(_pod("a", "az1", 1, endpoints=network))
    reply = await unset.stream("network").send(request_headers("GET", "/v2.0/networks/n1"))
    assert _fault(reply)[0] == 401
    with pytest.raises(ValidationError):  # not a project id: refused at start
        DecisionSettings(noauth_project="p/9")
