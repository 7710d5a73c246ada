"""Admin views of Nova and Cinder through real Envoy and two simulated pods, as one cloud shows
them: items exactly as the pods give them (no `"pod"` key), integer ids unique at the gateway
and routed back to their pod, hosts answered by the pod that has them, totals summed, and the
pods' policy kept for non-admins (keystone mode)."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.cloud import TWO_PODS, running_cloud
from harness.gateway import Gateway
from harness.http import call
from harness.keystone import ADMIN, DEMO, Keystone
from harness.procs import WAIT_S, SimPod, start_podsim, wait_for
from podgate_api.admin.v1 import admin_pb2
from podsim.volume_types import DEFAULT_TYPE
from tests.fixtures.keystone import KEYSTONE_MARKS

pytestmark = pytest.mark.e2e

Cloud = tuple[Gateway, dict[str, SimPod]]
_V253 = {"x-openstack-nova-api-version": "2.53"}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    with running_cloud(tmp_path_factory.mktemp("admin-views"), TWO_PODS) as running:
        yield running


def _compute(cloud: Cloud, project: str, pod: str = "") -> str:
    gateway, pods = cloud
    return f"{pods[pod].url}/compute/v2.1/{project}" if pod else f"{gateway.compute_url}/{project}"


def _volume(cloud: Cloud, project: str, pod: str = "") -> str:
    gateway, pods = cloud
    return f"{pods[pod].url}/volume/v3/{project}" if pod else f"{gateway.volume_url}/{project}"


def test_services_and_hypervisors_are_novas_items_with_unique_ids(cloud, project) -> None:
    _, _, nova = call("GET", f"{_compute(cloud, project)}/os-services")
    assert all("pod" not in service for service in nova["services"])
    assert sorted((s["host"], s["zone"]) for s in nova["services"]) == [
        ("pod1-host", "az-east"),
        ("pod2-host", "az-west"),
    ]
    assert len({service["id"] for service in nova["services"]}) == 2
    _, _, cinder = call("GET", f"{_volume(cloud, project)}/os-services")
    assert sorted(s["host"] for s in cinder["services"]) == ["pod1-host@lvm", "pod2-host@lvm"]
    assert all("pod" not in service for service in cinder["services"])
    _, _, listed = call("GET", f"{_compute(cloud, project)}/os-hypervisors/detail")
    by_host = {h["hypervisor_hostname"]: h for h in listed["hypervisors"]}
    assert sorted(by_host) == ["pod1-host", "pod2-host"]
    assert by_host["pod1-host"]["id"] != by_host["pod2-host"]["id"]
    assert all("pod" not in hypervisor for hypervisor in listed["hypervisors"])


def test_a_hypervisor_is_shown_by_its_gateway_id_from_its_own_pod(cloud, project) -> None:
    base = _compute(cloud, project)
    _, _, listed = call("GET", f"{base}/os-hypervisors")
    for hypervisor in listed["hypervisors"]:
        status, _, shown = call("GET", f"{base}/os-hypervisors/{hypervisor['id']}")
        assert status == 200
        assert shown["hypervisor"]["id"] == hypervisor["id"]
        assert shown["hypervisor"]["hypervisor_hostname"] == hypervisor["hypervisor_hostname"]
        _, _, uptime = call("GET", f"{base}/os-hypervisors/{hypervisor['id']}/uptime")
        assert uptime["hypervisor"]["hypervisor_hostname"] == hypervisor["hypervisor_hostname"]
    status, _, missing = call("GET", f"{base}/os-hypervisors/999999")
    assert (status, missing["itemNotFound"]["code"]) == (404, 404)
    _, _, statistics = call("GET", f"{base}/os-hypervisors/statistics")
    assert statistics["hypervisor_statistics"]["count"] == 2
    _, _, found = call("GET", f"{base}/os-hypervisors/pod2/search")
    assert [h["hypervisor_hostname"] for h in found["hypervisors"]] == ["pod2-host"]
    assert call("GET", f"{base}/os-hypervisors/nowhere/search")[0] == 404


def test_hypervisors_are_paged_across_pods_from_2_33(cloud, project) -> None:
    url = f"{_compute(cloud, project)}/os-hypervisors?limit=1"
    seen = []
    while url:
        status, _, page = call("GET", url, headers={"x-openstack-nova-api-version": "2.33"})
        assert status == 200
        seen += [h["hypervisor_hostname"] for h in page["hypervisors"]]
        url = next((link["href"] for link in page.get("hypervisors_links", [])), "")
    assert seen == ["pod1-host", "pod2-host"]


def test_uuid_ids_from_2_53_pass_unchanged_and_reach_the_pod_that_has_them(cloud, project) -> None:
    base = _compute(cloud, project)
    _, _, listed = call("GET", f"{base}/os-hypervisors", headers=_V253)
    (pod2,) = [h for h in listed["hypervisors"] if h["hypervisor_hostname"] == "pod2-host"]
    _, _, direct = call("GET", f"{_compute(cloud, project, 'pod2')}/os-hypervisors", headers=_V253)
    assert pod2["id"] == direct["hypervisors"][0]["id"]
    status, _, shown = call("GET", f"{base}/os-hypervisors/{pod2['id']}", headers=_V253)
    assert (status, shown["hypervisor"]["hypervisor_hostname"]) == (200, "pod2-host")
    _, _, services = call("GET", f"{base}/os-services?host=pod2-host", headers=_V253)
    (service,) = services["services"]
    change = {"status": "disabled", "disabled_reason": "maintenance"}
    status, _, updated = call("PUT", f"{base}/os-services/{service['id']}", change, _V253)
    assert (status, updated["service"]["status"]) == (200, "disabled")
    _, _, after = call("GET", f"{_compute(cloud, project, 'pod2')}/os-services")
    assert after["services"][0]["disabled_reason"] == "maintenance"
    enable = {"status": "enabled"}
    assert call("PUT", f"{base}/os-services/{service['id']}", enable, _V253)[0] == 200


def test_services_are_disabled_by_host_in_the_pod_that_has_it(cloud, project) -> None:
    base = _compute(cloud, project)
    body = {"host": "pod1-host", "binary": "nova-compute"}
    status, _, answer = call("PUT", f"{base}/os-services/disable", body)
    assert (status, answer["service"]["status"]) == (200, "disabled")
    _, _, direct = call("GET", f"{_compute(cloud, project, 'pod1')}/os-services")
    assert direct["services"][0]["status"] == "disabled"
    assert call("PUT", f"{base}/os-services/enable", body)[0] == 200
    unknown = {"host": "nowhere", "binary": "nova-compute"}
    assert call("PUT", f"{base}/os-services/disable", unknown)[0] == 404


def test_hosts_are_listed_from_every_pod_and_shown_by_theirs(cloud, project) -> None:
    base = _compute(cloud, project)
    _, _, hosts = call("GET", f"{base}/os-hosts")
    assert sorted((h["host_name"], h["zone"]) for h in hosts["hosts"]) == [
        ("pod1-host", "az-east"),
        ("pod2-host", "az-west"),
    ]
    _, _, west = call("GET", f"{base}/os-hosts?zone=az-west")
    assert [(h["host_name"], h["zone"]) for h in west["hosts"]] == [("pod2-host", "az-west")]
    status, _, shown = call("GET", f"{base}/os-hosts/pod2-host")
    assert (status, shown["host"][0]["resource"]["host"]) == (200, "pod2-host")
    assert call("GET", f"{base}/os-hosts/nowhere")[0] == 404
    status, _, refused = call("PUT", f"{base}/os-hosts/pod2-host", {"status": "sideways"})
    assert (status, refused["badRequest"]["message"]) == (400, "Invalid status: 'sideways'")


def test_an_aggregate_lives_in_its_zones_pod_under_a_unique_id(cloud, project) -> None:
    base = _compute(cloud, project)
    made = {}
    for pod, zone in (("pod1", "az-other"), ("pod2", "az-west")):
        body = {"aggregate": {"name": f"ag-{pod}-{project}", "availability_zone": zone}}
        status, _, created = call("POST", f"{base}/os-aggregates", body)
        assert (status, created["aggregate"]["availability_zone"]) == (200, zone), created
        made[pod] = created["aggregate"]["id"]
        _, _, direct = call("GET", f"{_compute(cloud, project, pod)}/os-aggregates")
        assert body["aggregate"]["name"] in [a["name"] for a in direct["aggregates"]]
    assert made["pod1"] != made["pod2"]
    ours = f"{base}/os-aggregates/{made['pod2']}"
    status, _, added = call("POST", f"{ours}/action", {"add_host": {"host": "pod2-host"}})
    assert (status, added["aggregate"]["hosts"]) == (200, ["pod2-host"])
    assert added["aggregate"]["id"] == made["pod2"]
    metadata = {"set_metadata": {"metadata": {"ssd": "true"}}}
    _, _, tagged = call("POST", f"{ours}/action", metadata)
    assert tagged["aggregate"]["metadata"]["ssd"] == "true"
    assert call("POST", f"{ours}/action", {"add_host": {"host": "pod1-host"}})[0] == 404
    _, _, listed = call("GET", f"{base}/os-aggregates")
    ids = {a["id"] for a in listed["aggregates"] if a["name"].endswith(project)}
    assert ids == set(made.values())
    assert call("POST", f"{ours}/action", {"remove_host": {"host": "pod2-host"}})[0] == 200
    for aggregate_id in made.values():
        assert call("DELETE", f"{base}/os-aggregates/{aggregate_id}")[0] == 200
    assert call("GET", f"{ours}")[0] == 404


def test_a_projects_usage_is_summed_over_its_servers_in_both_pods(cloud, project) -> None:
    base = _compute(cloud, project)
    for zone in ("az-east", "az-west"):
        server = {"server": {"name": f"vm-{zone}", "flavorRef": "1", "availability_zone": zone}}
        assert call("POST", f"{base}/servers", server)[0] == 202
    status, _, usage = call("GET", f"{base}/os-simple-tenant-usage/{project}")
    assert status == 200
    names = sorted(server["name"] for server in usage["tenant_usage"]["server_usages"])
    assert names == ["vm-az-east", "vm-az-west"]
    assert usage["tenant_usage"]["total_hours"] == 2.0
    _, _, every = call("GET", f"{base}/os-simple-tenant-usage")
    (ours,) = [entry for entry in every["tenant_usages"] if entry["tenant_id"] == project]
    assert ours["total_hours"] == 2.0
    url, paged = f"{base}/os-simple-tenant-usage/{project}?limit=1", []
    while url:
        status, _, page = call("GET", url, headers={"x-openstack-nova-api-version": "2.40"})
        assert status == 200, page
        paged += [s["name"] for s in page["tenant_usage"].get("server_usages", [])]
        url = next((link["href"] for link in page.get("tenant_usage_links", [])), "")
    assert paged == ["vm-az-east", "vm-az-west"]
    _, _, audit = call("GET", f"{base}/os-instance_usage_audit_log")
    assert audit["instance_usage_audit_logs"]["num_hosts"] == 2
    assert call("GET", f"{base}/os-migrations")[2] == {"migrations": []}


@pytest.mark.parametrize("api", ["compute", "volume"])
def test_quota_classes_are_written_to_every_pod(cloud, project, api: str) -> None:
    """The `default` class (the only one Nova and Cinder use): every pod's defaults change."""
    url = _compute if api == "compute" else _volume
    key = "cores" if api == "compute" else "volumes"
    classes = f"{url(cloud, project)}/os-quota-class-sets/default"
    before = call("GET", classes)[2]["quota_class_set"][key]
    status, _, updated = call("PUT", classes, {"quota_class_set": {key: 33}})
    try:
        assert (status, updated["quota_class_set"][key]) == (200, 33)
        for pod in TWO_PODS:
            _, _, direct = call("GET", f"{url(cloud, project, pod)}/os-quota-class-sets/default")
            assert direct["quota_class_set"][key] == 33
        _, _, shown = call("GET", classes)
        assert (shown["quota_class_set"]["id"], shown["quota_class_set"][key]) == ("default", 33)
    finally:
        call("PUT", classes, {"quota_class_set": {key: before}})


def test_cinder_hosts_pools_and_capabilities_keep_the_pods_host_names(cloud, project) -> None:
    base = _volume(cloud, project)
    _, _, hosts = call("GET", f"{base}/os-hosts")
    assert sorted(h["host_name"] for h in hosts["hosts"]) == ["pod1-host@lvm", "pod2-host@lvm"]
    status, _, shown = call("GET", f"{base}/os-hosts/pod2-host@lvm")
    assert (status, shown["host"][0]["resource"]["host"]) == (200, "pod2-host@lvm")
    _, _, pools = call("GET", f"{base}/scheduler-stats/get_pools?detail=True")
    assert sorted(p["name"] for p in pools["pools"]) == ["pod1-host@lvm#lvm", "pod2-host@lvm#lvm"]
    status, _, capabilities = call("GET", f"{base}/capabilities/pod2-host@lvm")
    assert (status, capabilities["namespace"]) == (200, "OS::Storage::Capabilities::pod2-host@lvm")
    assert call("GET", f"{base}/capabilities/nowhere@lvm")[0] == 404
    _, _, extensions = call("GET", f"{base}/extensions")
    assert "os-hosts" in [extension["alias"] for extension in extensions["extensions"]]
    _, _, filters = call("GET", f"{base}/resource_filters?resource=volume")
    assert [f["resource"] for f in filters["resource_filters"]] == ["volume"]


def test_cinder_service_actions_reach_the_host_or_give_the_pods_own_errors(cloud, project) -> None:
    base = _volume(cloud, project)
    host = {"host": "pod2-host@lvm", "binary": "cinder-volume"}
    status, _, disabled = call("PUT", f"{base}/os-services/disable", host)
    assert (status, disabled["status"]) == (200, "disabled")
    _, _, direct = call("GET", f"{_volume(cloud, project, 'pod2')}/os-services")
    assert direct["services"][0]["status"] == "disabled"
    assert call("PUT", f"{base}/os-services/enable", host)[0] == 200
    assert call("PUT", f"{base}/os-services/enable", {**host, "host": "nowhere"})[0] == 404
    assert call("PUT", f"{base}/os-services/disable-log-reason", host)[0] == 400
    assert call("PUT", f"{base}/os-services/freeze", {"host": "nowhere"})[0] == 400
    assert call("PUT", f"{base}/os-services/freeze", {"host": "pod1-host@lvm"})[0] == 200
    assert call("PUT", f"{base}/os-services/thaw", {"host": "pod1-host@lvm"})[0] == 200


def test_cinder_clusters_workers_and_manageable_volumes_of_every_pod(cloud, project) -> None:
    base = _volume(cloud, project)
    v3_24 = {"openstack-api-version": "volume 3.24"}
    _, _, clusters = call("GET", f"{base}/clusters/detail", headers=v3_24)
    names = sorted(cluster["name"] for cluster in clusters["clusters"])
    assert names == ["pod1-host-cluster@lvm", "pod2-host-cluster@lvm"]
    status, _, shown = call("GET", f"{base}/clusters/pod2-host-cluster@lvm", headers=v3_24)
    assert (status, shown["cluster"]["num_hosts"]) == (200, 1)
    named = {"name": "pod2-host-cluster@lvm", "binary": "cinder-volume"}
    status, _, disabled = call("PUT", f"{base}/clusters/disable", named, v3_24)
    assert (status, disabled["cluster"]["status"]) == (200, "disabled")
    assert call("PUT", f"{base}/clusters/enable", named, v3_24)[0] == 200
    status, _, cleaning = call("POST", f"{base}/workers/cleanup", {}, v3_24)
    assert status == 202
    assert sorted(w["host"] for w in cleaning["cleaning"]) == ["pod1-host@lvm", "pod2-host@lvm"]
    url = f"{base}/manageable_volumes?host=pod1-host@lvm"
    status, _, manageable = call("GET", url, headers=v3_24)
    assert (status, [v["reference"] for v in manageable["manageable-volumes"]]) == (
        200,
        [{"source-name": "pod1-lv"}],
    )


def test_a_default_volume_type_is_set_in_every_pod_and_read_from_one(cloud, project) -> None:
    base = _volume(cloud, project)
    headers = {"openstack-api-version": "volume 3.62"}
    wanted = {"default_type": {"volume_type": DEFAULT_TYPE}}
    status, _, set_ = call("PUT", f"{base}/default-types/{project}", wanted, headers)
    assert (status, set_["default_type"]["project_id"]) == (200, project)
    for pod in TWO_PODS:
        url = f"{_volume(cloud, project, pod)}/default-types/{project}"
        assert call("GET", url, headers=headers)[0] == 200
    status, _, shown = call("GET", f"{base}/default-types/{project}", headers=headers)
    assert (status, shown) == (200, set_)
    assert call("DELETE", f"{base}/default-types/{project}", headers=headers)[0] == 204
    for pod in TWO_PODS:
        url = f"{_volume(cloud, project, pod)}/default-types/{project}"
        assert call("GET", url, headers=headers)[0] == 404


def test_the_compute_version_list_starts_with_v2_0_and_each_version_answers(cloud) -> None:
    gateway, _ = cloud
    root = f"http://127.0.0.1:{gateway.compute_port}"
    _, _, listed = call("GET", f"{root}/")
    assert [version["id"] for version in listed["versions"]] == ["v2.0", "v2.1"]
    for version in listed["versions"]:
        (link,) = version["links"]
        status, _, own = call("GET", link["href"])
        assert (status, own["version"]["id"], own["version"]["links"][0]) == (
            200,
            version["id"],
            link,
        )


@pytest.fixture
def keystone_gateway(tmp_path: Path, keystone: Keystone) -> Iterator[Gateway]:
    """A keystone-mode gateway with one pod."""
    gateway = Gateway(state_dir=tmp_path / "state", extra_env=keystone.gateway_env())
    gateway.state_dir.mkdir()
    pod: SimPod | None = None
    try:
        pod = start_podsim("kpod", "nova", tmp_path)
        gateway.start_control_plane()
        gateway.start_envoy()
        endpoints = {"compute": pod.compute_url, "volumev3": pod.volume_url}
        gateway.admin().CreatePod(
            admin_pb2.CreatePodRequest(
                pod=admin_pb2.Pod(name="kpod", az_name="az-k", endpoints=endpoints)
            ),
            metadata=(("x-auth-token", keystone.token(*ADMIN)),),
        )
        wait_for(
            lambda: "pod.kpod.compute" in gateway.envoy_clusters(), timeout=WAIT_S, what="kpod"
        )
        yield gateway
    finally:
        gateway.stop()
        if pod is not None:
            pod.proc.stop()


def _needs_keystone(test: Callable[..., None]) -> Callable[..., None]:
    """The marks of a test that needs Keystone (tests/fixtures/keystone.py)."""
    for mark in KEYSTONE_MARKS:
        test = mark(test)
    return test


@_needs_keystone
def test_the_pods_machinery_stays_with_admins(keystone_gateway: Gateway, keystone) -> None:
    member = {"x-auth-token": keystone.token(*DEMO)}
    admin = {"x-auth-token": keystone.token(*ADMIN)}
    compute = f"{keystone_gateway.compute_url}/{keystone.project_ids['demo']}"
    volume = f"{keystone_gateway.volume_url}/{keystone.project_ids['demo']}"
    for url in (
        f"{compute}/os-availability-zone/detail",
        f"{compute}/os-services",
        f"{compute}/os-hypervisors/1000",
        f"{volume}/scheduler-stats/get_pools",
    ):
        status, _, body = call("GET", url, headers=member)
        assert (status, body["forbidden"]["code"]) == (403, 403), url
        assert body["forbidden"]["message"].startswith("Policy doesn't allow "), url
    status, _, zones = call("GET", f"{compute}/os-availability-zone/detail", headers=admin)
    assert (status, zones["availabilityZoneInfo"][0]["zoneName"]) == (200, "az-k")
    assert call("GET", f"{compute}/os-availability-zone", headers=member)[0] == 200
    assert call("GET", f"{compute}/os-services", headers=admin)[0] == 200
