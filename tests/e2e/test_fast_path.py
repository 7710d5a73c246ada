"""Known resources are routed by Envoy itself: no ext_proc stream, still the right pod.

Envoy's `ext_proc.streams_started` counts every request that reached the decision service, so
a flat counter proves the fast path; each check also looks at the answer to prove the pod.
"""

import uuid
from collections.abc import Iterator

import pytest

from harness.cloud import pod_clusters, running_cloud
from harness.gateway import Gateway
from harness.http import call
from harness.procs import WAIT_S, SimPod, wait_for
from podgate_api.admin.v1 import admin_pb2

pytestmark = pytest.mark.e2e

# pod -> (user-facing AZ, the pod's own AZ): pod1 and pod2 call their zones as users do; pod3
# renames its zone (with a `-`, a Lua pattern character), which Envoy renames on the fast path.
LAYOUT = {
    "pod1": ("az-east", "az-east"),
    "pod2": ("az-west", "az-west"),
    "pod3": ("az-north", "nova-north"),
}
FAST_PODS = {pod: zones for pod, zones in LAYOUT.items() if pod != "pod3"}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, dict[str, SimPod]]]:
    with running_cloud(tmp_path_factory.mktemp("fast"), LAYOUT) as running:
        yield running


def _get_without_stream(gateway: Gateway, listener: str, url: str) -> tuple[int, dict]:
    """GET `url` once it is on the fast path (waits for the push); fails if it never gets there."""
    status, _, body = gateway.fast_path_get(url, listener)
    return status, body


def _a_later_push(gateway: Gateway, project: str) -> None:
    """Wait until Envoy holds a route table pushed after now (each push carries every routing)."""
    server_id = _create_server(gateway, project, LAYOUT["pod1"][0], "vm-later")
    _get_without_stream(gateway, "compute", f"{gateway.compute_url}/{project}/servers/{server_id}")


def _create_server(gateway: Gateway, project: str, az: str, name: str) -> str:
    body = {"server": {"name": name, "flavorRef": "1", "imageRef": "img", "availability_zone": az}}
    status, _, answer = call("POST", f"{gateway.compute_url}/{project}/servers", body)
    assert status == 202, answer
    return answer["server"]["id"]


def test_known_servers_and_volumes_skip_the_decision_service(cloud, project) -> None:
    gateway, _ = cloud
    servers = {
        pod: _create_server(gateway, project, az, f"vm-{pod}") for pod, (az, _) in FAST_PODS.items()
    }
    for pod, server_id in servers.items():
        url = f"{gateway.compute_url}/{project}/servers/{server_id}"
        status, body = _get_without_stream(gateway, "compute", url)
        assert status == 200 and body["server"]["name"] == f"vm-{pod}"
        before = gateway.ext_proc_streams("compute")
        for _ in range(20):
            status, _, body = call("GET", url)
            assert status == 200 and body["server"]["id"] == server_id
        status, _, ips = call("GET", f"{url}/ips")
        assert status == 200 and "addresses" in ips
        assert gateway.ext_proc_streams("compute") == before
    volume = {"volume": {"size": 1, "availability_zone": LAYOUT["pod2"][0]}}
    status, _, created = call("POST", f"{gateway.volume_url}/{project}/volumes", volume)
    assert status == 202, created
    url = f"{gateway.volume_url}/{project}/volumes/{created['volume']['id']}"
    status, body = _get_without_stream(gateway, "volume", url)
    assert status == 200 and body["volume"]["id"] == created["volume"]["id"]


def test_a_pod_that_renames_its_zone_is_on_the_fast_path_with_the_users_zone(
    cloud, project
) -> None:
    gateway, pods = cloud
    zone, inner = LAYOUT["pod3"]
    # Values that merely contain the pod's zone, or name it below the resource, stay as they are.
    metadata = {
        "OS-EXT-AZ:availability_zone": inner,
        "availability_zone": inner,
        "at": f"{inner}-1",
    }
    server = {
        "server": {
            "name": f"{inner}-vm",
            "flavorRef": "1",
            "imageRef": "img",
            "availability_zone": zone,
            "metadata": metadata,
        }
    }
    status, _, made = call("POST", f"{gateway.compute_url}/{project}/servers", server)
    assert status == 202, made
    path = f"/{project}/servers/{made['server']['id']}"
    status, _, shown = gateway.fast_path_get(f"{gateway.compute_url}{path}", "compute")
    status_in_pod, _, in_pod = call("GET", f"{pods['pod3'].compute_url}{path}")
    assert status == status_in_pod == 200
    assert in_pod["server"]["OS-EXT-AZ:availability_zone"] == inner
    assert shown == {"server": {**in_pod["server"], "OS-EXT-AZ:availability_zone": zone}}
    assert shown["server"]["name"] == f"{inner}-vm" and shown["server"]["metadata"] == metadata
    volume = {"volume": {"size": 1, "availability_zone": zone, "metadata": metadata}}
    status, _, made = call("POST", f"{gateway.volume_url}/{project}/volumes", volume)
    assert status == 202, made
    volume_path = f"/{project}/volumes/{made['volume']['id']}"
    status, _, shown = gateway.fast_path_get(f"{gateway.volume_url}{volume_path}", "volume")
    _, _, in_pod = call("GET", f"{pods['pod3'].url}/volume/v3{volume_path}")
    assert status == 200 and in_pod["volume"]["availability_zone"] == inner
    assert shown == {"volume": {**in_pod["volume"], "availability_zone": zone}}
    # Every later GET, and those below the resource (their answers as the pod gives them), skip
    # the decision service.
    before = gateway.ext_proc_streams("compute"), gateway.ext_proc_streams("volume")
    for _ in range(5):
        status, _, again = call("GET", f"{gateway.compute_url}{path}")
        assert status == 200 and again["server"]["OS-EXT-AZ:availability_zone"] == zone
    for below in ("ips", "metadata"):
        got = call("GET", f"{gateway.compute_url}{path}/{below}")
        assert (
            got[0] == 200 and got[2] == call("GET", f"{pods['pod3'].compute_url}{path}/{below}")[2]
        )
    got = call("GET", f"{gateway.volume_url}{volume_path}/metadata")
    assert got[0] == 200 and got[2] == {"metadata": metadata}
    after = gateway.ext_proc_streams("compute"), gateway.ext_proc_streams("volume")
    assert after == before


def test_writes_lists_and_other_projects_still_ask(cloud, project) -> None:
    gateway, _ = cloud
    server_id = _create_server(gateway, project, LAYOUT["pod1"][0], "vm-asks")
    url = f"{gateway.compute_url}/{project}/servers/{server_id}"
    _get_without_stream(gateway, "compute", url)
    before = gateway.ext_proc_streams("compute")
    status, _, _ = call("POST", f"{url}/action", {"os-stop": None})
    assert status == 202
    status, _, listed = call("GET", f"{gateway.compute_url}/{project}/servers")
    assert status == 200 and [s["id"] for s in listed["servers"]] == [server_id]
    other = uuid.uuid4().hex
    status, _, fault = call("GET", f"{gateway.compute_url}/{other}/servers/{server_id}")
    assert status == 404 and "itemNotFound" in fault
    assert gateway.ext_proc_streams("compute") == before + 3


def test_first_touch_puts_a_listed_server_on_the_fast_path(cloud, project) -> None:
    gateway, pods = cloud
    body = {"server": {"name": "made-in-pod", "flavorRef": "1", "imageRef": "img"}}
    status, _, made = call("POST", f"{pods['pod2'].compute_url}/{project}/servers", body)
    assert status == 202
    server_id = made["server"]["id"]
    status, _, listed = call("GET", f"{gateway.compute_url}/{project}/servers")
    assert status == 200 and server_id in {s["id"] for s in listed["servers"]}
    url = f"{gateway.compute_url}/{project}/servers/{server_id}"
    before = gateway.ext_proc_streams("compute")
    status, _, _ = call("GET", url)
    assert status == 200
    assert gateway.ext_proc_streams("compute") == before + 1  # learnt by the list, not yet in Envoy
    status, body = _get_without_stream(gateway, "compute", url)
    assert status == 200 and body["server"]["name"] == "made-in-pod"


def test_delete_takes_a_server_off_the_fast_path(cloud, project) -> None:
    gateway, _ = cloud
    server_id = _create_server(gateway, project, LAYOUT["pod2"][0], "vm-gone")
    url = f"{gateway.compute_url}/{project}/servers/{server_id}"
    _get_without_stream(gateway, "compute", url)
    status, _, _ = call("DELETE", url)
    assert status == 204

    def asks_again() -> bool:
        before = gateway.ext_proc_streams("compute")
        status, _, _ = call("GET", url)
        return status == 404 and gateway.ext_proc_streams("compute") == before + 1

    wait_for(asks_again, timeout=WAIT_S, what="the deleted server to leave the fast path")
    _a_later_push(gateway, project)  # must not bring it back
    assert asks_again()


def test_admin_routing_delete_takes_it_off_the_fast_path(cloud, project) -> None:
    gateway, _ = cloud
    server_id = _create_server(gateway, project, LAYOUT["pod1"][0], "vm-unrouted")
    url = f"{gateway.compute_url}/{project}/servers/{server_id}"
    _get_without_stream(gateway, "compute", url)
    gateway.admin().DeleteRouting(
        admin_pb2.DeleteRoutingRequest(resource_type="server", resource_id=server_id)
    )

    def asks_again() -> bool:
        before = gateway.ext_proc_streams("compute")
        status, _, _ = call("GET", url)
        # The decision service finds it again in its pod (recovery) and records it anew.
        return status == 200 and gateway.ext_proc_streams("compute") == before + 1

    wait_for(asks_again, timeout=WAIT_S, what="the unrouted server to leave the fast path")
    routing = gateway.admin().GetRouting(
        admin_pb2.GetRoutingRequest(resource_type="server", resource_id=server_id)
    )
    assert routing.pod_name == "pod1"


def test_known_routings_survive_a_restart_of_both_halves(cloud, project) -> None:
    gateway, _ = cloud
    server_id = _create_server(gateway, project, LAYOUT["pod1"][0], "vm-restart")
    url = f"{gateway.compute_url}/{project}/servers/{server_id}"
    _get_without_stream(gateway, "compute", url)
    gateway.stop()
    gateway.start_control_plane()
    gateway.start_envoy()
    gateway.wait_for_clusters(pod_clusters(LAYOUT))
    before = gateway.ext_proc_streams("compute")
    status, _, body = call("GET", url)
    assert status == 200 and body["server"]["name"] == "vm-restart"
    assert gateway.ext_proc_streams("compute") == before


def test_only_the_whole_id_segment_takes_the_fast_path(cloud, project) -> None:
    gateway, _ = cloud
    server_id = _create_server(gateway, project, LAYOUT["pod1"][0], "vm-segment")
    url = f"{gateway.compute_url}/{project}/servers/{server_id}"
    _get_without_stream(gateway, "compute", url)
    pod_requests = "cluster.pod.pod1.compute.upstream_rq_total"
    # The id, what lies below it and its query still go straight to its pod.
    for path in (url, f"{url}/ips", f"{url}/action", f"{url}?fields=name"):
        before = gateway.ext_proc_streams("compute")
        status, _, _ = call("GET", path)
        assert status in (200, 404, 405) and gateway.ext_proc_streams("compute") == before, path
    # Neighbours of the id name other resources: only the decision service may route them,
    # even when the client sends the header the table is keyed on.
    key = {"x-podgate-path": f"/v2.1/{project}/servers/{server_id}/"}
    for path in (f"{url}0", f"{url};a=b"):
        before = gateway.ext_proc_streams("compute")
        status, _, fault = call("GET", path, headers=key)
        assert gateway.ext_proc_streams("compute") == before + 1, path
        assert status == 404 and "itemNotFound" in fault, (path, fault)
    # An escaped slash would make one segment two once a pod decodes it: refused by Envoy.
    before = (gateway.ext_proc_streams("compute"), gateway.envoy_stat(pod_requests))
    status, _, fault = call("GET", f"{url}%2F..%2F{uuid.uuid4()}")
    assert status == 400 and "badRequest" in fault
    assert (gateway.ext_proc_streams("compute"), gateway.envoy_stat(pod_requests)) == before
