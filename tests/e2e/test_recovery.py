"""Routings lost in a crash are recovered: a GET by id for a resource the gateway never recorded
finds it in its pod, routes the request there and stores the routing; an id no pod has is
looked for once, however often it is asked for within the negative TTL.

A server created straight in a pod (POST to the pod's own URL) is exactly what a gateway that
died between the pod's answer and the routing write leaves behind.
"""

import uuid
from collections.abc import Iterator

import grpc
import pytest

from harness.cloud import TWO_PODS, running_cloud
from harness.gateway import Gateway
from harness.http import call
from harness.procs import SimPod
from podgate_api.admin.v1 import admin_pb2

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, dict[str, SimPod]]]:
    with running_cloud(tmp_path_factory.mktemp("recovery"), TWO_PODS) as running:
        yield running


def _routing(gateway: Gateway, server_id: str) -> admin_pb2.Routing | None:
    request = admin_pb2.GetRoutingRequest(resource_type="server", resource_id=server_id)
    try:
        return gateway.admin().GetRouting(request)
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.NOT_FOUND, error
        return None


def _probes(gateway: Gateway, server_id: str) -> int:
    """How many times the control plane asked the pods for `server_id` (one log line each)."""
    log = (gateway.state_dir / "control-plane.log").read_text()
    return log.count(f"no routing for server {server_id}: asking pods")


def test_a_server_the_gateway_never_recorded_is_found_by_id(cloud) -> None:
    gateway, pods = cloud
    project = uuid.uuid4().hex
    body = {"server": {"name": "orphan", "flavorRef": "1", "imageRef": "img"}}
    status, _, made = call("POST", f"{pods['pod2'].compute_url}/{project}/servers", body)
    assert status == 202, made
    server_id = made["server"]["id"]
    assert _routing(gateway, server_id) is None

    status, _, shown = call("GET", f"{gateway.compute_url}/{project}/servers/{server_id}")
    assert status == 200 and shown["server"]["name"] == "orphan"
    routing = _routing(gateway, server_id)
    assert routing is not None
    assert (routing.pod_name, routing.project_id) == ("pod2", project)

    status, _, _ = call("GET", f"{gateway.compute_url}/{project}/servers/{server_id}")
    assert status == 200
    assert _probes(gateway, server_id) == 1


def test_another_projects_server_is_not_recovered(cloud) -> None:
    gateway, pods = cloud
    owner, other = uuid.uuid4().hex, uuid.uuid4().hex
    body = {"server": {"name": "not-yours", "flavorRef": "1", "imageRef": "img"}}
    status, _, made = call("POST", f"{pods['pod1'].compute_url}/{owner}/servers", body)
    assert status == 202, made
    server_id = made["server"]["id"]
    status, _, fault = call("GET", f"{gateway.compute_url}/{other}/servers/{server_id}")
    assert status == 404 and "itemNotFound" in fault
    assert _routing(gateway, server_id) is None


def test_an_id_no_pod_has_is_looked_for_once(cloud) -> None:
    gateway, _ = cloud
    project, server_id = uuid.uuid4().hex, str(uuid.uuid4())
    for _ in range(2):
        status, _, fault = call("GET", f"{gateway.compute_url}/{project}/servers/{server_id}")
        assert status == 404 and "itemNotFound" in fault, fault
    assert _probes(gateway, server_id) == 1
    assert _routing(gateway, server_id) is None
