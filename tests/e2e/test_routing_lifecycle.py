"""Routings live as long as their resources, through real Envoy and two simulated pods.

A delete through the gateway forgets the routing once the pod has finished deleting (podsim's
`x-podsim-delete-after-s` hook makes it finish later, as Nova and Cinder do); a resource deleted
in its pod directly is forgotten when a user's GET meets the pod's 404, or else by the
reconciler, which also takes it off Envoy's fast path. `podgate pod delete` is refused while a
pod still has routings and accepted once they are all gone.
"""

import json
import subprocess
from collections.abc import Iterator

import grpc
import pytest

from harness.cloud import running_cloud
from harness.gateway import PODGATE, Gateway, http_get
from harness.http import call
from harness.procs import SimPod, wait_for
from podgate_api.admin.v1 import admin_pb2

pytestmark = pytest.mark.e2e

PROJECT = "lifecycle"
EAST, WEST = "az-east", "az-west"
# pod1 calls its zone as users do: Envoy routes known ids to it by itself. pod2 calls it
# otherwise: the decision service rewrites its answers, so it sees every request to it.
LAYOUT = {"pod1": (EAST, EAST), "pod2": (WEST, "nova-west")}
# A delete that finishes after 1 s is checked after 0.2, 0.6 and 1.4 s: found gone well before
# the reconciler (every 1.5 s) could have missed it twice.
SETTINGS = {
    "PODGATE_ROUTINGS_RECONCILE_INTERVAL_S": "1.5",
    "PODGATE_ROUTINGS_DELETE_CHECK_FIRST_S": "0.2",
}
SLOW_DELETE = {"x-podsim-delete-after-s": "1"}
Cloud = tuple[Gateway, dict[str, SimPod]]


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    hooks = {name: ("--test-hooks",) for name in LAYOUT}
    root = tmp_path_factory.mktemp("routing-lifecycle")
    with running_cloud(root, LAYOUT, extra_env=SETTINGS, podsim_args=hooks) as running:
        yield running


def _server(gateway: Gateway, az: str) -> str:
    body = {"server": {"name": "vm", "flavorRef": "1", "imageRef": "x", "availability_zone": az}}
    status, _, answer = call("POST", f"{gateway.compute_url}/{PROJECT}/servers", body)
    assert status == 202, answer
    return answer["server"]["id"]


def _volume(gateway: Gateway, az: str) -> str:
    body = {"volume": {"size": 1, "availability_zone": az}}
    status, _, answer = call("POST", f"{gateway.volume_url}/{PROJECT}/volumes", body)
    assert status == 202, answer
    return answer["volume"]["id"]


def _routing_list(gateway: Gateway) -> set[tuple[str, str, str]]:
    """`podgate routing list --all` as (type, id, pod)."""
    result = subprocess.run(
        [*PODGATE, "--json", "routing", "list", "--all"],
        env=gateway.env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return {
        (r["resource_type"], r["resource_id"], r["pod_name"]) for r in json.loads(result.stdout)
    }


def _listed(gateway: Gateway) -> set[tuple[str, str, str]]:
    """The admin API's routings (what `podgate routing list` shows) as (type, id, pod)."""
    page = gateway.admin().ListRoutings(admin_pb2.ListRoutingsRequest(page_size=1000))
    return {(r.resource_type, r.resource_id, r.pod_name) for r in page.routings}


def _delete_refused(gateway: Gateway, name: str) -> str:
    """The admin API's reason for refusing to delete pod `name` (`podgate pod delete`'s)."""
    with pytest.raises(grpc.RpcError) as refused:
        gateway.admin().DeletePod(admin_pb2.DeletePodRequest(name=name))
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    return str(refused.value.details())


def _routed(gateway: Gateway, kind: str, resource_id: str) -> bool:
    try:
        gateway.admin().GetRouting(
            admin_pb2.GetRoutingRequest(resource_type=kind, resource_id=resource_id)
        )
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.NOT_FOUND
        return False
    return True


def _forgotten(gateway: Gateway, pod: str, reason: str) -> float:
    """podgate_routings_forgotten_total for `pod` and `reason`."""
    metrics = http_get(f"http://127.0.0.1:{gateway.metrics_port}/metrics")
    prefix = f'podgate_routings_forgotten_total{{pod="{pod}",reason="{reason}"}} '
    lines = [line for line in metrics.splitlines() if line.startswith(prefix)]
    return float(lines[0].removeprefix(prefix)) if lines else 0.0


def test_routings_follow_their_resources_and_an_empty_pod_can_go(cloud: Cloud) -> None:
    gateway, pods = cloud
    east = [_server(gateway, EAST) for _ in range(2)]
    west = _server(gateway, WEST)
    volumes = [_volume(gateway, EAST), _volume(gateway, WEST)]
    assert _listed(gateway) == {
        *(("server", server, "pod1") for server in east),
        ("server", west, "pod2"),
        ("volume", volumes[0], "pod1"),
        ("volume", volumes[1], "pod2"),
    }
    assert "still has 3 routings" in _delete_refused(gateway, "pod1")

    # A delete Nova accepted: the routing stays while the pod still shows the server ...
    slow = east[0]
    status, _, _ = call(
        "DELETE", f"{gateway.compute_url}/{PROJECT}/servers/{slow}", None, SLOW_DELETE
    )
    assert status == 204
    assert _routed(gateway, "server", slow)
    assert call("GET", f"{pods['pod1'].compute_url}/{PROJECT}/servers/{slow}")[0] == 200
    # ... and goes once the pod has finished.
    wait_for(lambda: not _routed(gateway, "server", slow), timeout=15, what="slow delete forgotten")
    assert _forgotten(gateway, "pod1", "deleted") == 1

    # A delete Cinder finished at once.
    status, _, _ = call("DELETE", f"{gateway.volume_url}/{PROJECT}/volumes/{volumes[0]}")
    assert status == 202
    wait_for(
        lambda: not _routed(gateway, "volume", volumes[0]), timeout=15, what="volume forgotten"
    )

    # Deleted in the pod directly, then asked for through the gateway's decision service (the
    # path without the project: Envoy's fast path knows the project's paths only): the pod's 404.
    gone = volumes[1]
    assert call("DELETE", f"{pods['pod2'].url}/volume/v3/{PROJECT}/volumes/{gone}")[0] == 202
    status, _, fault = call(
        "GET", f"{gateway.volume_url}/volumes/{gone}", headers={"X-Project-Id": PROJECT}
    )
    assert (status, fault) == (
        404,
        {"itemNotFound": {"message": f"Volume {gone} could not be found.", "code": 404}},
    )
    wait_for(lambda: not _routed(gateway, "volume", gone), timeout=15, what="404 forgotten")
    assert _forgotten(gateway, "pod2", "not_found") == 1

    # Deleted in the pod directly while Envoy routes it by itself: the reconciler forgets it,
    # and Envoy's fast path lets go of it.
    quiet = east[1]
    url = f"{gateway.compute_url}/{PROJECT}/servers/{quiet}"
    assert gateway.fast_path_get(url)[0] == 200
    assert call("DELETE", f"{pods['pod1'].compute_url}/{PROJECT}/servers/{quiet}")[0] == 204
    wait_for(lambda: not _routed(gateway, "server", quiet), timeout=20, what="reconciled")
    assert _forgotten(gateway, "pod1", "reconciled") == 1

    def decided() -> bool:
        before = gateway.ext_proc_streams()
        status, _, _ = call("GET", url)
        return status == 404 and gateway.ext_proc_streams() == before + 1

    wait_for(decided, timeout=10, what="the reconciled server off the fast path")

    assert _routing_list(gateway) == {("server", west, "pod2")}
    deleted = subprocess.run(
        [*PODGATE, "pod", "delete", "pod1"],
        env=gateway.env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert deleted.returncode == 0, deleted.stderr
    assert "still has 1 routings" in _delete_refused(gateway, "pod2")
