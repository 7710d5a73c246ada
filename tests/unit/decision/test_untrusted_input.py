"""What a stranger or a pod cannot make the decision service do: external events without the
role, every project's list in noauth, a refused create leaving a binding, a create answer
taking over another pod's resource."""

import json
import logging

import pytest
from envoy.service.ext_proc.v3 import external_processor_pb2 as ep

from control_plane.model import ResourceType, Routing
from control_plane.settings import DecisionSettings
from tests.unit.decision.extproc_harness import (
    Gateway,
    request_body,
    request_headers,
    response_body,
    response_headers,
    set_headers,
    two_pods,
)

SERVER = ResourceType.SERVER
EVENTS = "/v2.1/p1/os-server-external-events"


def _immediate(response: ep.ProcessingResponse) -> tuple[int, dict]:
    assert response.WhichOneof("response") == "immediate_response", response
    return response.immediate_response.status.code, json.loads(response.immediate_response.body)


def _strict(gateway: Gateway, **settings: object) -> None:
    """The gateway's decision service with the default (untrusting) settings, plus `settings`."""
    gateway.service = gateway.decision_service(DecisionSettings(**settings))


@pytest.fixture
async def gateway() -> Gateway:
    gw = two_pods()
    await gw.route(SERVER, "s-a", "a")
    await gw.route(SERVER, "s-b", "b")
    return gw


async def test_noauth_refuses_external_events_before_reading_the_body(gateway) -> None:
    _strict(gateway)
    response = await gateway.stream().send(request_headers("POST", EVENTS))
    assert not response.HasField("mode_override")  # no body buffered
    assert _immediate(response) == (
        403,
        {
            "forbidden": {
                "message": "Policy doesn't allow os_compute_api:os-server-external-events:"
                "create to be performed.",
                "code": 403,
            }
        },
    )
    assert gateway.send.calls == [] and gateway.store.reads == 0


async def test_events_are_capped_and_looked_up_in_one_store_query(gateway) -> None:
    _strict(gateway, noauth_external_events=True, max_external_events=1000)
    events = [{"name": "network-changed", "server_uuid": f"x-{n % 500}"} for n in range(1000)]
    events[0]["server_uuid"] = "s-a"
    stream = gateway.stream()
    await stream.send(request_headers("POST", EVENTS))
    reads = gateway.store.reads
    status, body = _immediate(
        await stream.send(request_body(json.dumps({"events": events}).encode()))
    )
    assert status == 207 and len(body["events"]) == 1000
    assert (gateway.store.reads - reads, gateway.store.batch_reads) == (1, 1)
    stream = gateway.stream()
    await stream.send(request_headers("POST", EVENTS))
    too_many = json.dumps({"events": [*events, events[0]]}).encode()
    status, fault = _immediate(await stream.send(request_body(too_many)))
    assert status == 400 and "at most 1000 per request" in fault["badRequest"]["message"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/v2.1/p1/servers/detail?all_tenants=1", "os_compute_api:servers:index:get_all_tenants"),
        ("/v2.1/p1/servers?all_projects=true", "os_compute_api:servers:index:get_all_tenants"),
        ("/v2.1/p1/servers?all%5Ftenants", "os_compute_api:servers:index:get_all_tenants"),
        ("/v3/p1/volumes/detail?limit=2&all_tenants=1", "all_tenants"),
    ],
)
async def test_noauth_refuses_every_projects_list(gateway, path: str, message: str) -> None:
    listener = "compute" if path.startswith("/v2.1") else "volumev3"
    response = await gateway.stream(listener).send(request_headers("GET", path))
    status, fault = _immediate(response)
    assert status == 403 and message in fault["forbidden"]["message"]


async def _create(gateway: Gateway, status: int, answer: dict) -> ep.ProcessingResponse:
    stream = gateway.stream()
    await stream.send(request_headers("POST", "/v2.1/p-new/servers"))
    routed = await stream.send(request_body(b'{"server": {"availability_zone": "az2"}}'))
    assert set_headers(routed.request_body.response.header_mutation)["x-podgate-pod"] == (
        "pod.b.compute"
    )
    await stream.send(response_headers(status))
    return await stream.send(response_body(json.dumps(answer).encode()))


async def test_a_create_the_pod_refuses_binds_nothing(gateway) -> None:
    refused = {"badRequest": {"message": "'name' is a required property", "code": 400}}
    reply = await _create(gateway, 400, refused)
    assert reply.WhichOneof("response") == "response_body"
    assert gateway.store.bindings == []
    await _create(gateway, 202, {"server": {"id": "s-new"}})
    assert [(b.project_id, b.pod_name) for b in gateway.store.bindings] == [("p-new", "b")]


async def test_a_create_answer_never_takes_over_another_pods_resource(gateway, caplog) -> None:
    await gateway.route(SERVER, "s-theirs", "a", project="p-new")
    with caplog.at_level(logging.WARNING, logger="podgate.decision"):
        reply = await _create(gateway, 202, {"server": {"id": "s-theirs"}})
    assert _immediate(reply) == (
        500,
        {
            "computeFault": {
                "message": "The server s-theirs was created but could not be recorded.",
                "code": 500,
            }
        },
    )
    assert gateway.store.routings[("server", "s-theirs")].pod_name == "a"
    [record] = [r for r in caplog.records if getattr(r, "event", "") == "routing_collision"]
    assert (record.answering_pod, record.routed_pod, record.resource_id) == ("b", "a", "s-theirs")
    # Another project's id is kept the same way.
    reply = await _create(gateway, 202, {"server": {"id": "s-a"}})
    assert _immediate(reply)[0] == 500
    assert gateway.store.routings[("server", "s-a")] == Routing("s-a", SERVER, "p1", "a")
