"""The decision service asks Envoy for the pod's status of a resource's GET or DELETE, and
passes it on: the one hunk of the exchange that lets routings of gone resources be forgotten."""

import pytest
from envoy.extensions.filters.http.ext_proc.v3 import processing_mode_pb2

from control_plane.decision.extproc import DecisionService
from control_plane.model import ResourceType, Routing
from tests.unit.decision.extproc_harness import (
    Gateway,
    Stream,
    request_headers,
    response_headers,
)
from tests.unit.decision.fake_pods import pod

_PM = processing_mode_pb2.ProcessingMode


class Watch:
    def __init__(self) -> None:
        self.told: list[tuple[Routing, str, int]] = []

    def answered(self, routing: Routing, method: str, status: int) -> None:
        self.told.append((routing, method, status))


@pytest.fixture
async def gateway() -> tuple[Gateway, Watch, Stream]:
    # At the gateway's paths (no prefix): its links need no rewriting, so only a watch asks
    # for its answer.
    endpoints = {"compute": "http://a.pod/v2.1", "volumev3": "http://a.pod/v3/$(project_id)s"}
    gateway = Gateway(pod("a", "az1", 1, pod_az_name="az1", endpoints=endpoints))
    await gateway.route(ResourceType.SERVER, "s1", "a")
    watch = Watch()
    service = DecisionService(
        store=gateway.store,
        routing_table=gateway.table,
        pods=lambda: gateway.pods,
        fetch=gateway.fetch,
        send=gateway.send,
        gone=watch,
    )
    return gateway, watch, Stream(service, "compute")


@pytest.mark.parametrize(("method", "status"), [("GET", 404), ("DELETE", 204), ("GET", 200)])
async def test_the_status_of_a_resources_own_path_is_passed_on(
    gateway: tuple[Gateway, Watch, Stream], method: str, status: int
) -> None:
    _, watch, stream = gateway
    routed = await stream.send(request_headers(method, "/v2.1/p1/servers/s1"))
    mode = routed.mode_override
    assert (mode.response_header_mode, mode.response_body_mode) == (_PM.SEND, _PM.NONE)
    assert mode.request_body_mode == _PM.NONE
    answered = await stream.send(response_headers(status))
    assert answered.WhichOneof("response") == "response_headers"
    ((routing, told_method, told_status),) = watch.told
    assert (routing.resource_id, routing.pod_name) == ("s1", "a")
    assert (told_method, told_status) == (method, status)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v2.1/p1/servers/s1/os-volume_attachments/v9"),
        ("DELETE", "/v2.1/p1/servers/s1/metadata/k"),
        ("PUT", "/v2.1/p1/servers/s1"),
        ("POST", "/v2.1/p1/servers/s1/action"),
    ],
)
async def test_other_requests_skip_the_pods_answer(
    gateway: tuple[Gateway, Watch, Stream], method: str, path: str
) -> None:
    _, watch, stream = gateway
    routed = await stream.send(request_headers(method, path, end_of_stream=True))
    assert not routed.HasField("mode_override")
    assert watch.told == []
