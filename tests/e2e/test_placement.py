"""Placement follows the data, through real Envoy and two simulated pods in two zones.

A server booted from a volume (or a volume snapshot) goes to that volume's pod and a volume
made from a snapshot to the snapshot's pod, whatever the project's binding says, and without
binding the project anywhere new. What cannot be placed, sources in two zones or a source
contradicting the zone asked for, is a 400 naming zones before any pod sees the request.
"""

from collections.abc import Iterator

import pytest

from harness.cloud import TWO_PODS, running_cloud
from harness.gateway import Gateway
from harness.http import Answer, call
from harness.procs import SimPod
from podgate_api.admin.v1 import admin_pb2

pytestmark = pytest.mark.e2e

POD_HEADER = "x-podsim-pod"
(EAST, _), (WEST, _) = TWO_PODS.values()
Cloud = tuple[Gateway, dict[str, SimPod]]


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    with running_cloud(tmp_path_factory.mktemp("placement")) as running:
        yield running


def compute(cloud: Cloud, project: str, pod: str = "") -> str:
    gateway, pods = cloud
    return f"{pods[pod].url}/compute/v2.1/{project}" if pod else f"{gateway.compute_url}/{project}"


def volume(cloud: Cloud, project: str, pod: str = "") -> str:
    gateway, pods = cloud
    return f"{pods[pod].url}/volume/v3/{project}" if pod else f"{gateway.volume_url}/{project}"


def created(answer: Answer, member: str, pod: str) -> str:
    """The new id, after checking the pod that made it (podsim names itself in a header)."""
    status, headers, body = answer
    assert status == 202, body
    assert headers[POD_HEADER] == pod, body
    return body[member]["id"]


def refused(answer: Answer, message: str) -> None:
    """A 400 the gateway gave itself, in Nova's and Cinder's shape: no pod answered."""
    status, headers, body = answer
    assert (status, body) == (400, {"badRequest": {"message": message, "code": 400}})
    assert POD_HEADER not in headers


def make_volume(cloud: Cloud, project: str, az: str, pod: str) -> str:
    body = {"volume": {"size": 1, "availability_zone": az}}
    return created(call("POST", f"{volume(cloud, project)}/volumes", body), "volume", pod)


def boot(cloud: Cloud, project: str, *sources: tuple[str, str], az: str = "") -> Answer:
    """A server create booting from (and attaching) `sources`: (source_type, id) pairs."""
    mappings = [
        {"boot_index": index, "uuid": uuid, "source_type": kind, "destination_type": "volume"}
        for index, (kind, uuid) in enumerate(sources)
    ]
    server = {"name": "vm", "flavorRef": "1", "block_device_mapping_v2": mappings}
    if az:
        server["availability_zone"] = az
    return call("POST", f"{compute(cloud, project)}/servers", {"server": server})


def bound_pods(gateway: Gateway, project: str) -> dict[str, str]:
    """The pods the project is bound to, and the ids of those bindings."""
    request = admin_pb2.ListBindingsRequest(project_id=project, active_only=True)
    bindings = gateway.admin().ListBindings(request).bindings
    return {binding.pod_name: binding.id for binding in bindings}


def ids(cloud: Cloud, project: str, pod: str, collection: str) -> set[str]:
    """What a pod holds of the project's `collection`, asked directly (not through the gateway)."""
    base = compute(cloud, project, pod) if collection == "servers" else volume(cloud, project, pod)
    status, _, body = call("GET", f"{base}/{collection}")
    assert status == 200, body
    return {item["id"] for item in body[collection]}


def test_boot_from_volume_lands_in_the_volumes_pod_not_the_bound_one(cloud, project) -> None:
    gateway, _ = cloud
    admin = gateway.admin()
    far = make_volume(cloud, project, WEST, "pod2")
    admin.CreateBinding(admin_pb2.CreateBindingRequest(project_id=project, pod_name="pod1"))
    admin.DeleteBinding(admin_pb2.DeleteBindingRequest(id=bound_pods(gateway, project)["pod2"]))
    assert bound_pods(gateway, project).keys() == {"pod1"}

    server = created(boot(cloud, project, ("volume", far)), "server", "pod2")

    status, _, shown = call("GET", f"{compute(cloud, project)}/servers/{server}")
    assert (status, shown["server"]["OS-EXT-AZ:availability_zone"]) == (200, WEST)
    assert bound_pods(gateway, project).keys() == {"pod1"}
    # A server without data still follows the binding.
    plain = {"server": {"name": "plain", "flavorRef": "1", "imageRef": "x"}}
    created(call("POST", f"{compute(cloud, project)}/servers", plain), "server", "pod1")


def test_a_binding_moved_through_the_admin_api_steers_the_very_next_create(cloud, project) -> None:
    """Creates read the project's bindings from memory; an admin's change reaches it at once."""
    gateway, _ = cloud
    admin = gateway.admin()
    plain = {"server": {"name": "plain", "flavorRef": "1", "imageRef": "x"}}
    servers = f"{compute(cloud, project)}/servers"
    status, headers, _ = call("POST", servers, plain)
    assert status == 202
    first = headers[POD_HEADER]
    created(call("POST", servers, plain), "server", first)  # its bindings now held in memory
    other = "pod2" if first == "pod1" else "pod1"
    admin.CreateBinding(admin_pb2.CreateBindingRequest(project_id=project, pod_name=other))
    admin.DeleteBinding(admin_pb2.DeleteBindingRequest(id=bound_pods(gateway, project)[first]))
    created(call("POST", servers, plain), "server", other)


def test_boot_from_a_snapshot_lands_in_the_snapshots_pod(cloud, project) -> None:
    source = make_volume(cloud, project, WEST, "pod2")
    snapshot = {"snapshot": {"volume_id": source}}
    answer = call("POST", f"{volume(cloud, project)}/snapshots", snapshot)
    snapshot_id = created(answer, "snapshot", "pod2")

    created(boot(cloud, project, ("snapshot", snapshot_id), az=WEST), "server", "pod2")


def test_volume_from_snapshot_lands_in_the_snapshots_pod(cloud, project) -> None:
    make_volume(cloud, project, EAST, "pod1")  # the project's binding in az-east
    source = make_volume(cloud, project, WEST, "pod2")
    answer = call(
        "POST", f"{volume(cloud, project)}/snapshots", {"snapshot": {"volume_id": source}}
    )
    snapshot = created(answer, "snapshot", "pod2")

    for asked in ({}, {"availability_zone": WEST}):
        body = {"volume": {"size": 1, "snapshot_id": snapshot, **asked}}
        answer = call("POST", f"{volume(cloud, project)}/volumes", body)
        new = created(answer, "volume", "pod2")
        # The zone is the user's name in the answer, whatever the pod calls it.
        assert answer[2]["volume"]["availability_zone"] == WEST
        assert new in ids(cloud, project, "pod2", "volumes")


def test_every_conflict_is_a_400_naming_zones_and_reaches_no_pod(cloud, project) -> None:
    east = make_volume(cloud, project, EAST, "pod1")
    west = make_volume(cloud, project, WEST, "pod2")
    answer = call("POST", f"{volume(cloud, project)}/snapshots", {"snapshot": {"volume_id": west}})
    snapshot = created(answer, "snapshot", "pod2")
    before = {
        pod: (ids(cloud, project, pod, "servers"), ids(cloud, project, pod, "volumes"))
        for pod in ("pod1", "pod2")
    }

    refused(
        boot(cloud, project, ("volume", west), az=EAST),
        f"Volume {west} is in availability zone {WEST}, not {EAST}.",
    )
    refused(
        boot(cloud, project, ("volume", east), ("volume", west)),
        f"Volume {east} and volume {west} are in different availability zones: {EAST}, {WEST}.",
    )
    refused(
        boot(cloud, project, ("volume", east), ("snapshot", snapshot)),
        f"Volume {east} and snapshot {snapshot} are in different availability zones: "
        f"{EAST}, {WEST}.",
    )
    body = {"volume": {"size": 1, "snapshot_id": snapshot, "availability_zone": EAST}}
    refused(
        call("POST", f"{volume(cloud, project)}/volumes", body),
        f"Snapshot {snapshot} is in availability zone {WEST}, not {EAST}.",
    )
    clone = {"volume": {"size": 1, "source_volid": east, "availability_zone": WEST}}
    refused(
        call("POST", f"{volume(cloud, project)}/volumes", clone),
        f"Volume {east} is in availability zone {EAST}, not {WEST}.",
    )

    after = {
        pod: (ids(cloud, project, pod, "servers"), ids(cloud, project, pod, "volumes"))
        for pod in ("pod1", "pod2")
    }
    assert after == before
