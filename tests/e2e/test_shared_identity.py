"""Shared objects keep one identity in every pod, through real Envoy, and over time.

Two pods behind the gateway: a flavor made without an id has one id in both; Cinder's volume
types, group types and QoS specs each get a pod's own id, and every later request (specs, QoS
associations, deletes) reaches each pod by its own id while clients see one. A third pod
registered later receives what was made before (the shared-object sync, at once), and an object
made in one pod directly is named as drift in `podgate status` and the metrics.
"""

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import openstack
import pytest

from harness.cloud import TWO_PODS, running_cloud
from harness.gateway import Gateway
from harness.http import call
from harness.procs import SimPod, start_podsim, wait_for
from podgate_api.admin.v1 import admin_pb2

pytestmark = pytest.mark.e2e

_GROUPS = {"openstack-api-version": "volume 3.11"}
# Checked often so the test sees a repair within seconds (a new pod is synced at once anyway).
_ENV = {"PODGATE_DECISION_SHARED_SYNC_S": "2"}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, dict[str, SimPod]]]:
    with running_cloud(tmp_path_factory.mktemp("shared-identity"), TWO_PODS, _ENV) as running:
        yield running


def _in_pod(sim: SimPod, path: str, headers: dict | None = None) -> dict:
    prefix = "compute/v2.1" if path.startswith("flavors") else "volume/v3"
    status, _, body = call("GET", f"{sim.url}/{prefix}/admin/{path}", headers=headers)
    assert status == 200, body
    return body


def _named(sim: SimPod, path: str, key: str, name: str, headers: dict | None = None) -> dict:
    items = _in_pod(sim, path, headers)[key]
    return next(item for item in items if item["name"] == name)


def test_a_flavor_made_without_an_id_has_one_id_in_every_pod_and_one_entry_in_lists(
    cloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway, pods = cloud
    flavors = f"{gateway.compute_url}/admin/flavors"
    status, _, made = call(
        "POST", flavors, {"flavor": {"name": "one-id", "ram": 64, "vcpus": 1, "disk": 1}}
    )
    assert status == 200, made
    flavor_id = made["flavor"]["id"]
    assert {_named(sim, "flavors", "flavors", "one-id")["id"] for sim in pods.values()} == {
        flavor_id
    }
    status, _, page = call("GET", f"{flavors}?limit=1")
    assert status == 200 and len(page["flavors"]) == 1 and "flavors_links" in page

    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(
        "clouds:\n  podgate:\n    auth_type: none\n"
        f"    compute_endpoint_override: {gateway.compute_url}/admin\n"
    )
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    conn = openstack.connect(cloud="podgate")
    try:
        assert conn.compute.find_flavor("one-id", ignore_missing=False).id == flavor_id
    finally:
        conn.close()

    assert call("DELETE", f"{flavors}/{flavor_id}")[0] == 202
    for sim in pods.values():
        assert "one-id" not in {f["name"] for f in _in_pod(sim, "flavors")["flavors"]}


def test_cinder_objects_show_one_id_and_reach_each_pod_by_its_own(cloud) -> None:
    gateway, pods = cloud
    volume = f"{gateway.volume_url}/admin"
    status, _, made = call("POST", f"{volume}/types", {"volume_type": {"name": "ident-gold"}})
    assert status == 200, made
    type_id = made["volume_type"]["id"]
    own = {
        name: _named(sim, "types", "volume_types", "ident-gold")["id"] for name, sim in pods.items()
    }
    assert own["pod1"] == type_id and own["pod2"] != type_id
    # A volume in pod2's zone naming the type by the gateway's id: pod2 gets its own id.
    volume_body = {"volume": {"size": 1, "availability_zone": "az-west", "volume_type": type_id}}
    status, _, made_volume = call("POST", f"{volume}/volumes", volume_body)
    assert status == 202, made_volume
    path = f"volumes/{made_volume['volume']['id']}"
    shown = _in_pod(pods["pod2"], path, {"OpenStack-API-Version": "volume 3.63"})["volume"]
    assert shown["volume_type_id"] == own["pod2"]  # Cinder shows the type's id from 3.63
    specs = {"extra_specs": {"volume_backend_name": "fast"}}
    assert call("POST", f"{volume}/types/{type_id}/extra_specs", specs)[0] == 200
    assert all(
        _in_pod(sim, f"types/{own[name]}/extra_specs")["extra_specs"] == specs["extra_specs"]
        for name, sim in pods.items()
    )

    status, _, qos = call(
        "POST", f"{volume}/qos-specs", {"qos_specs": {"name": "ident-qos", "iops": "9"}}
    )
    assert status == 200, qos
    qos_id = qos["qos_specs"]["id"]
    assert qos["links"][0]["href"].startswith(f"{volume}/qos-specs/")
    associate = f"{volume}/qos-specs/{qos_id}/associate?vol_type_id={type_id}"
    assert call("GET", associate)[0] == 202
    status, _, associations = call("GET", f"{volume}/qos-specs/{qos_id}/associations")
    assert associations == {
        "qos_associations": [
            {"association_type": "volume_type", "name": "ident-gold", "id": type_id}
        ]
    }
    pod2_qos = _named(pods["pod2"], "qos-specs", "qos_specs", "ident-qos")["id"]
    assert (
        _in_pod(pods["pod2"], f"qos-specs/{pod2_qos}/associations")["qos_associations"][0]["id"]
        == own["pod2"]
    )
    assert call("PUT", f"{volume}/qos-specs/{qos_id}/delete_keys", {"keys": ["iops"]})[0] == 202
    assert _in_pod(pods["pod2"], f"qos-specs/{pod2_qos}")["qos_specs"]["specs"] == {}

    groups = f"{volume}/group_types"
    status, _, group = call("POST", groups, {"group_type": {"name": "ident-group"}}, _GROUPS)
    assert status == 202, group
    group_id = group["group_type"]["id"]
    status, _, group_specs = call(
        "POST", f"{groups}/{group_id}/group_specs", {"group_specs": {"k": "v"}}, _GROUPS
    )
    assert (status, group_specs) == (202, {"group_specs": {"k": "v"}})
    status, _, listed = call("GET", f"{groups}?is_public=None&sort=name:asc", headers=_GROUPS)
    assert [g["id"] for g in listed["group_types"] if g["name"] == "ident-group"] == [group_id]
    assert call("DELETE", f"{groups}/{group_id}", headers=_GROUPS)[0] == 202
    for sim in pods.values():
        names = {g["name"] for g in _in_pod(sim, "group_types", _GROUPS)["group_types"]}
        assert "ident-group" not in names


def test_a_pod_registered_later_gets_the_objects_made_before_and_drift_is_named(
    cloud, tmp_path: Path
) -> None:
    gateway, pods = cloud
    compute, volume = f"{gateway.compute_url}/admin", f"{gateway.volume_url}/admin"
    flavor = {"flavor": {"name": "early", "ram": 64, "vcpus": 1, "disk": 1}}
    flavor_id = call("POST", f"{compute}/flavors", flavor)[2]["flavor"]["id"]
    call("POST", f"{compute}/flavors/{flavor_id}/os-extra_specs", {"extra_specs": {"a": "b"}})
    call("POST", f"{volume}/types", {"volume_type": {"name": "early-type"}})
    call("POST", f"{volume}/group_types", {"group_type": {"name": "early-group"}}, _GROUPS)
    call("POST", f"{volume}/qos-specs", {"qos_specs": {"name": "early-qos", "read_iops_sec": "5"}})

    pod3 = start_podsim("pod3", "nova-north", tmp_path)
    try:
        endpoints = {"compute": pod3.compute_url, "volumev3": pod3.volume_url}
        pod = admin_pb2.Pod(
            name="pod3", az_name="az-north", pod_az_name="nova-north", endpoints=endpoints
        )
        gateway.admin().CreatePod(admin_pb2.CreatePodRequest(pod=pod))

        def synced() -> bool | None:
            names = {f["name"] for f in _in_pod(pod3, "flavors")["flavors"]}
            groups = {g["name"] for g in _in_pod(pod3, "group_types", _GROUPS)["group_types"]}
            qos = {q["name"] for q in _in_pod(pod3, "qos-specs")["qos_specs"]}
            return ("early" in names and "early-group" in groups and "early-qos" in qos) or None

        wait_for(synced, timeout=15, what="pod3 to get the shared objects made before")
        assert _in_pod(pod3, f"flavors/{flavor_id}/os-extra_specs")["extra_specs"] == {"a": "b"}
        assert _named(pod3, "types", "volume_types", "early-type")
        assert _named(pod3, "qos-specs", "qos_specs", "early-qos")["specs"] == {
            "read_iops_sec": "5"
        }

        pod1 = f"{pods['pod1'].url}/compute/v2.1/admin/flavors"
        own = {"flavor": {"name": "only-pod1", "ram": 64, "vcpus": 1, "disk": 1, "id": "only-1"}}
        assert call("POST", pod1, own)[0] == 200

        def drift() -> dict[str, list[str]] | None:
            status = gateway.admin().GetStatus(admin_pb2.GetStatusRequest())
            found = {p.pod.name: list(p.shared_drift) for p in status.pods if p.shared_drift}
            return found if set(found) == {"pod2", "pod3"} else None

        assert wait_for(drift, timeout=15, what="the drift check") == {
            "pod2": ["flavors: only-pod1"],
            "pod3": ["flavors: only-pod1"],
        }
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{gateway.metrics_port}/metrics").read()
        line = 'podgate_shared_objects_missing{kind="flavors",pod="pod3"} 1.0'
        assert line in metrics.decode()
    finally:
        gateway.admin().DeletePod(admin_pb2.DeletePodRequest(name="pod3", force=True))
        pod3.proc.stop()
        call("DELETE", f"{pods['pod1'].url}/compute/v2.1/admin/flavors/only-1")
