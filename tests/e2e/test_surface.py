"""The everyday Nova/Cinder surface through real Envoy and three simulated pods of three releases.

pod1 (az-east, compute up to 2.90), pod2 (az-west, volume up to 3.60, no inner AZ name
registered) and pod3 (also az-east, compute up to 2.93): sub-resources follow their owner,
attachments stay within a pod, snapshots and backups follow their volume, zones, version
documents, microversions, external events, unknown paths and missing methods.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.gateway import Gateway
from harness.http import call
from harness.procs import WAIT_S, SimPod, start_podsim, wait_for
from podgate_api.admin.v1 import admin_pb2

pytestmark = pytest.mark.e2e

# pod -> (user-facing AZ, inner AZ as registered, the pod's own AZ, podsim options)
LAYOUT = {
    "pod1": ("az-east", "nova-east", "nova-east", ("--max-compute-version", "2.90")),
    "pod2": ("az-west", "", "nova-west", ("--max-volume-version", "3.60")),
    "pod3": ("az-east", "nova-east3", "nova-east3", ("--max-compute-version", "2.93")),
}


@dataclass
class Cloud:
    """The gateway, its pods, and one project's URLs through the gateway and at each pod."""

    gateway: Gateway
    pods: dict[str, SimPod]
    project: str

    @property
    def compute(self) -> str:
        return f"{self.gateway.compute_url}/{self.project}"

    @property
    def volume(self) -> str:
        return f"{self.gateway.volume_url}/{self.project}"

    def pod_compute(self, pod: str) -> str:
        return f"{self.pods[pod].url}/compute/v2.1/{self.project}"

    def pod_volume(self, pod: str) -> str:
        return f"{self.pods[pod].url}/volume/v3/{self.project}"

    def server(self, az: str) -> tuple[str, str]:
        """A server created through the gateway in `az`: its id and pod."""
        body = {"server": {"name": f"vm-{az}", "availability_zone": az}}
        status, headers, answer = call("POST", f"{self.compute}/servers", body)
        assert status == 202, answer
        return answer["server"]["id"], headers["x-podsim-pod"]

    def new_volume(self, az: str, size: int = 1) -> tuple[str, str]:
        """A volume created through the gateway in `az`: its id and pod."""
        body = {"volume": {"size": size, "availability_zone": az}}
        status, headers, answer = call("POST", f"{self.volume}/volumes", body)
        assert status == 202, answer
        return answer["volume"]["id"], headers["x-podsim-pod"]

    def set_state(self, pod: str, state: int) -> None:
        self.gateway.admin().UpdatePod(admin_pb2.UpdatePodRequest(name=pod, state=state))


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, dict[str, SimPod]]]:
    logs: Path = tmp_path_factory.mktemp("surface")
    # A noauth deployment that trusts its callers with external events (refused by default:
    # tests/e2e/test_untrusted_input.py).
    trusted = {"PODGATE_DECISION_NOAUTH_EXTERNAL_EVENTS": "true"}
    gateway = Gateway(state_dir=logs / "state", extra_env=trusted)
    gateway.state_dir.mkdir()
    pods: dict[str, SimPod] = {}
    try:
        for name, (_, _, inner, options) in LAYOUT.items():
            pods[name] = start_podsim(name, inner, logs, *options)
        gateway.start_control_plane()
        gateway.start_envoy()
        admin = gateway.admin()
        for name, (az, pod_az, _, _) in LAYOUT.items():
            endpoints = {"compute": pods[name].compute_url, "volumev3": pods[name].volume_url}
            pod = admin_pb2.Pod(name=name, az_name=az, pod_az_name=pod_az, endpoints=endpoints)
            admin.CreatePod(admin_pb2.CreatePodRequest(pod=pod))
        clusters = {f"pod.{name}.{s}" for name in pods for s in ("compute", "volumev3")}
        gateway.wait_for_clusters(clusters)
        yield gateway, pods
    finally:
        gateway.stop()
        for sim in pods.values():
            sim.proc.stop()


@pytest.fixture
def cloud(shared: tuple[Gateway, dict[str, SimPod]]) -> Cloud:
    """A fresh project on the shared gateway."""
    gateway, pods = shared
    return Cloud(gateway, pods, uuid.uuid4().hex)


def test_everything_under_a_server_reaches_its_pod_unchanged(cloud: Cloud) -> None:
    server_id, pod = cloud.server("az-west")
    assert pod == "pod2"
    base, direct = (
        f"{cloud.compute}/servers/{server_id}",
        f"{cloud.pod_compute(pod)}/servers/{server_id}",
    )

    status, headers, _ = call("POST", f"{base}/action", {"os-stop": None})
    assert (status, headers["x-podsim-pod"]) == (202, pod)
    stop_request = headers["x-openstack-request-id"]
    assert call("GET", direct)[2]["server"]["status"] == "SHUTOFF"
    status, headers, body = call("POST", f"{base}/action", {"os-stop": None})
    assert (status, headers["x-podsim-pod"], body["conflictingRequest"]["code"]) == (409, pod, 409)
    assert call("POST", f"{base}/action", {"no-such-action": {}})[2] == {
        "badRequest": {"message": "There is no such action: no-such-action", "code": 400}
    }

    status, headers, body = call("PUT", f"{base}/metadata", {"metadata": {"role": "db"}})
    assert (status, headers["x-podsim-pod"], body) == (200, pod, {"metadata": {"role": "db"}})
    assert call("PUT", f"{base}/metadata/tier", {"meta": {"tier": "2"}})[0] == 200
    assert call("GET", f"{direct}/metadata")[2] == {"metadata": {"role": "db", "tier": "2"}}
    assert call("DELETE", f"{base}/metadata/role")[0] == 204

    assert call("PUT", f"{base}/tags/blue")[0] == 201
    assert call("GET", f"{direct}/tags")[2] == {"tags": ["blue"]}
    assert call("GET", f"{base}/ips")[2] == {"addresses": {}}
    assert call("GET", f"{base}/os-interface")[2] == {"interfaceAttachments": []}
    status, headers, body = call("GET", f"{base}/os-instance-actions/{stop_request}")
    assert (status, headers["x-podsim-pod"], body["instanceAction"]["action"]) == (200, pod, "stop")

    volume_id, volume_pod = cloud.new_volume("az-west")
    assert volume_pod == pod
    attachments = f"{base}/os-volume_attachments"
    status, headers, body = call("POST", attachments, {"volumeAttachment": {"volumeId": volume_id}})
    assert (status, headers["x-podsim-pod"]) == (200, pod), body
    assert body["volumeAttachment"]["volumeId"] == volume_id
    assert [a["volumeId"] for a in call("GET", attachments)[2]["volumeAttachments"]] == [volume_id]
    assert call("GET", f"{attachments}/{volume_id}")[2]["volumeAttachment"]["serverId"] == server_id
    assert call("GET", f"{cloud.volume}/volumes/{volume_id}")[2]["volume"]["status"] == "in-use"
    assert call("DELETE", f"{attachments}/{volume_id}")[0] == 202
    assert call("GET", f"{cloud.pod_volume(pod)}/volumes/{volume_id}")[2]["volume"]["status"] == (
        "available"
    )


def test_everything_under_a_volume_reaches_its_pod_unchanged(cloud: Cloud) -> None:
    volume_id, pod = cloud.new_volume("az-east", size=1)
    assert pod == "pod1"
    base, direct = (
        f"{cloud.volume}/volumes/{volume_id}",
        f"{cloud.pod_volume(pod)}/volumes/{volume_id}",
    )
    status, headers, _ = call("POST", f"{base}/action", {"os-extend": {"new_size": 4}})
    assert (status, headers["x-podsim-pod"]) == (202, pod)
    assert call("GET", direct)[2]["volume"]["size"] == 4
    assert call("POST", f"{base}/metadata", {"metadata": {"a": "1", "b": "2"}})[0] == 200
    assert call("PUT", f"{base}/metadata/b", {"meta": {"b": "3"}})[2] == {"meta": {"b": "3"}}
    assert call("DELETE", f"{base}/metadata/a")[0] == 200
    assert call("GET", f"{direct}/metadata")[2] == {"metadata": {"b": "3"}}
    status, headers, body = call("GET", f"{base}/metadata/a")
    assert (status, headers["x-podsim-pod"]) == (404, pod), body


def test_attaching_across_pods_is_refused_before_anything_is_sent(cloud: Cloud) -> None:
    server_id, server_pod = cloud.server("az-east")
    volume_id, volume_pod = cloud.new_volume("az-west")
    assert (server_pod, volume_pod) == ("pod1", "pod2")

    # Nova's words with `[cinder] cross_az_attach = False`: zones, never pods.
    message = (
        f"Invalid volume: Instance {server_id} and volume {volume_id} are not in the same "
        "availability_zone. Instance is in az-east. Volume is in az-west"
    )
    not_same_zone = {"badRequest": {"message": message, "code": 400}}
    attach = {"volumeAttachment": {"volumeId": volume_id}}
    url = f"{cloud.compute}/servers/{server_id}/os-volume_attachments"
    status, headers, body = call("POST", url, attach)
    assert (status, body) == (400, not_same_zone)
    assert "x-podsim-pod" not in headers
    os_attach = {"os-attach": {"instance_uuid": server_id, "mountpoint": "/dev/vdb"}}
    status, headers, body = call("POST", f"{cloud.volume}/volumes/{volume_id}/action", os_attach)
    assert (status, body) == (400, not_same_zone)
    assert "x-podsim-pod" not in headers

    direct_volume = call("GET", f"{cloud.pod_volume('pod2')}/volumes/{volume_id}")[2]["volume"]
    assert (direct_volume["status"], direct_volume["attachments"]) == ("available", [])
    direct_server = call("GET", f"{cloud.pod_compute('pod1')}/servers/{server_id}")[2]["server"]
    assert direct_server["os-extended-volumes:volumes_attached"] == []

    same_pod_volume, _ = cloud.new_volume("az-east")
    os_attach["os-attach"]["mountpoint"] = "/dev/vdc"
    url = f"{cloud.volume}/volumes/{same_pod_volume}/action"
    status, headers, _ = call("POST", url, os_attach)
    assert (status, headers["x-podsim-pod"]) == (202, "pod1")


def test_snapshots_and_backups_follow_their_volume_and_are_listed_across_pods(cloud) -> None:
    west, west_pod = cloud.new_volume("az-west", size=2)
    east, east_pod = cloud.new_volume("az-east", size=3)
    made = {}
    for volume_id, pod in ((west, west_pod), (east, east_pod)):
        status, headers, body = call(
            "POST", f"{cloud.volume}/snapshots", {"snapshot": {"volume_id": volume_id}}
        )
        assert (status, headers["x-podsim-pod"]) == (202, pod), body
        made[body["snapshot"]["id"]] = pod
    newest_first = list(reversed(made))
    for snapshot_id, pod in made.items():
        status, headers, _ = call("GET", f"{cloud.volume}/snapshots/{snapshot_id}")
        assert (status, headers["x-podsim-pod"]) == (200, pod)
    status, _, body = call("GET", f"{cloud.volume}/snapshots/detail")
    assert [s["id"] for s in body["snapshots"]] == newest_first
    assert [s["size"] for s in body["snapshots"]] == [3, 2]
    brief = call("GET", f"{cloud.volume}/snapshots?limit=1")[2]
    assert [s["id"] for s in brief["snapshots"]] == newest_first[:1]
    assert "links" not in brief["snapshots"][0]
    assert brief["snapshots_links"][0]["href"].startswith(f"{cloud.volume}/snapshots?")

    body = {"backup": {"volume_id": west, "availability_zone": "az-west"}}
    status, headers, created = call("POST", f"{cloud.volume}/backups", body)
    assert (status, headers["x-podsim-pod"]) == (202, west_pod), created
    backup_id = created["backup"]["id"]
    direct = call("GET", f"{cloud.pod_volume(west_pod)}/backups/{backup_id}")[2]["backup"]
    assert direct["availability_zone"] == "nova-west"
    listed = call("GET", f"{cloud.volume}/backups/detail")[2]["backups"]
    assert [(b["id"], b["availability_zone"]) for b in listed] == [(backup_id, "az-west")]

    first = newest_first[0]
    status, headers, _ = call("DELETE", f"{cloud.volume}/snapshots/{first}")
    assert (status, headers["x-podsim-pod"]) == (202, made[first])
    status, _, body = call("POST", f"{cloud.volume}/snapshots", {"snapshot": {"volume_id": "nope"}})
    assert (status, body) == (
        404,
        {"itemNotFound": {"message": "Volume nope could not be found.", "code": 404}},
    )


def test_zones_are_the_enabled_pods_zones_once_each(cloud: Cloud) -> None:
    def zones(base: str) -> list[str]:
        status, headers, body = call("GET", f"{base}/os-availability-zone")
        assert status == 200 and "x-podsim-pod" not in headers
        return [zone["zoneName"] for zone in body["availabilityZoneInfo"]]

    compute = call("GET", f"{cloud.compute}/os-availability-zone")[2]
    assert compute == {
        "availabilityZoneInfo": [
            {"zoneName": "az-east", "zoneState": {"available": True}, "hosts": None},
            {"zoneName": "az-west", "zoneState": {"available": True}, "hosts": None},
        ]
    }
    assert call("GET", f"{cloud.volume}/os-availability-zone")[2]["availabilityZoneInfo"][0] == {
        "zoneName": "az-east",
        "zoneState": {"available": True},
    }
    try:
        cloud.set_state("pod3", admin_pb2.DRAINING)
        assert zones(cloud.compute) == ["az-east", "az-west"]
        cloud.set_state("pod2", admin_pb2.DRAINING)
        assert zones(cloud.compute) == zones(cloud.volume) == ["az-east"]
    finally:
        cloud.set_state("pod2", admin_pb2.ENABLED)
        cloud.set_state("pod3", admin_pb2.ENABLED)


@pytest.mark.parametrize(
    ("api", "path", "status", "key"),
    [
        ("compute", "/", 200, "versions"),
        ("compute", "/v2.1/", 200, "version"),
        ("volume", "/", 300, "versions"),
        ("volume", "/v3/", 200, "versions"),
    ],
)
def test_version_documents_need_no_token_and_show_the_common_window(cloud, api, path, status, key):
    port = cloud.gateway.compute_port if api == "compute" else cloud.gateway.volume_port
    answered, headers, body = call("GET", f"http://127.0.0.1:{port}{path}")
    assert answered == status
    # The current version: Nova's list starts with its legacy v2.0.
    document = body[key] if key == "version" else body[key][-1]
    expected = ("2.1", "2.90") if api == "compute" else ("3.0", "3.60")
    assert (document["min_version"], document["version"]) == expected
    self_link = next(link["href"] for link in document["links"] if link["rel"] == "self")
    assert self_link == f"http://127.0.0.1:{port}/{'v2.1' if api == 'compute' else 'v3'}/"
    assert headers["vary"].startswith("OpenStack-API-Version")


def test_a_microversion_outside_the_window_is_a_406(cloud: Cloud) -> None:
    server_id, _ = cloud.server("az-west")
    asked = {"OpenStack-API-Version": "compute 2.91"}
    status, headers, body = call("GET", f"{cloud.compute}/servers/{server_id}", headers=asked)
    assert (status, body) == (
        406,
        {
            "computeFault": {
                "message": "Version 2.91 is not supported by the API. "
                "Minimum is 2.1 and maximum is 2.90.",
                "code": 406,
            }
        },
    )
    assert "x-podsim-pod" not in headers
    status, _, body = call(
        "GET", f"{cloud.volume}/volumes", headers={"OpenStack-API-Version": "volume 3.61"}
    )
    assert status == 406 and "maximum is 3.60" in body["computeFault"]["message"]


def test_latest_reaches_every_pod_as_the_windows_top(cloud: Cloud) -> None:
    server_id, pod = cloud.server("az-west")
    assert pod == "pod2"  # pod2 itself would answer latest with 2.96
    asked = {"X-OpenStack-Nova-API-Version": "latest"}
    status, headers, _ = call("GET", f"{cloud.compute}/servers/{server_id}", headers=asked)
    assert (status, headers["x-podsim-pod"]) == (200, pod)
    assert headers["openstack-api-version"] == "compute 2.90"
    assert headers["x-openstack-nova-api-version"] == "2.90"
    volume_id, pod = cloud.new_volume("az-east")
    asked = {"OpenStack-API-Version": "volume latest"}
    status, headers, _ = call("GET", f"{cloud.volume}/volumes/{volume_id}", headers=asked)
    assert (status, headers["x-podsim-pod"], headers["openstack-api-version"]) == (
        200,
        pod,
        "volume 3.60",
    )


def test_gateway_answers_name_their_microversion(cloud: Cloud) -> None:
    asked = {"OpenStack-API-Version": "compute 2.60"}
    status, headers, _ = call("GET", f"{cloud.compute}/servers/detail", headers=asked)
    assert status == 200
    assert headers["openstack-api-version"] == "compute 2.60"
    assert headers["x-openstack-nova-api-version"] == "2.60"
    assert headers["vary"] == "OpenStack-API-Version, X-OpenStack-Nova-API-Version"
    _, headers, _ = call("GET", f"{cloud.volume}/os-availability-zone")
    assert (headers["openstack-api-version"], headers["vary"]) == (
        "volume 3.0",
        "OpenStack-API-Version",
    )


def test_the_window_follows_pod_changes(cloud: Cloud) -> None:
    document = f"{cloud.gateway.compute_url}/"
    try:
        cloud.set_state("pod1", admin_pb2.DISABLED)
        wait_for(
            lambda: call("GET", document)[2]["version"]["version"] == "2.93",
            timeout=WAIT_S,
            what="the window without pod1",
        )
    finally:
        cloud.set_state("pod1", admin_pb2.ENABLED)
    wait_for(
        lambda: call("GET", document)[2]["version"]["version"] == "2.90",
        timeout=WAIT_S,
        what="the window with pod1 again",
    )


def test_external_events_are_split_by_pod_and_merged(cloud: Cloud) -> None:
    east, east_pod = cloud.server("az-east")
    west, west_pod = cloud.server("az-west")
    assert {east_pod, west_pod} == {"pod1", "pod2"}
    url = f"{cloud.compute}/os-server-external-events"
    events = [
        {"name": "network-changed", "server_uuid": east, "tag": "port-1"},
        {"name": "network-vif-plugged", "server_uuid": west, "tag": "port-2"},
        {"name": "network-changed", "server_uuid": "0f0f0f0f-0000-4000-8000-000000000000"},
    ]
    status, headers, body = call("POST", url, {"events": events})
    assert status == 207, body
    assert "x-podsim-pod" not in headers
    assert body["events"] == [
        {**events[0], "status": "completed", "code": 200},
        {**events[1], "status": "completed", "code": 200},
        {**events[2], "status": "failed", "code": 404},
    ]
    status, _, body = call("POST", url, {"events": events[:2]})
    assert (status, [e["code"] for e in body["events"]]) == (200, [200, 200])
    status, _, body = call("POST", url, {"events": events[2:]})
    assert (status, body) == (
        404,
        {"itemNotFound": {"message": "No instances found for any event", "code": 404}},
    )


@pytest.mark.parametrize(
    ("api", "method", "path", "status", "allow"),
    [
        ("compute", "GET", "/os-unknown", 404, None),
        ("compute", "PUT", "/servers", 405, "GET, POST"),
        ("compute", "DELETE", "/servers", 405, "GET, POST"),
        ("compute", "POST", "/servers/detail", 405, "GET"),
        ("compute", "GET", "/os-server-external-events", 405, "POST"),
        ("volume", "GET", "/no-such-collection", 404, None),
        ("volume", "DELETE", "/volumes", 405, "GET, POST"),
        ("volume", "PUT", "/snapshots", 405, "GET, POST"),
    ],
)
def test_unknown_paths_are_404_and_missing_methods_405(cloud, api, method, path, status, allow):
    base = cloud.compute if api == "compute" else cloud.volume
    answered, headers, body = call(
        method, f"{base}{path}", {} if method in ("PUT", "POST") else None
    )
    assert answered == status
    name, message = (
        ("itemNotFound", "The resource could not be found.")
        if status == 404
        else ("badMethod", "The method specified is not allowed for this resource.")
    )
    assert body == {name: {"message": message, "code": status}}
    assert headers.get("allow") == allow
    assert "x-podsim-pod" not in headers
