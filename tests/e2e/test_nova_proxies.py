"""Nova's last proxies through real Envoy and two simulated pods in two zones.

`os-networks` and `os-tenant-networks` list what every pod's Nova shows of its own Neutron,
each network once, and show a network from the pod whose Neutron has it; assisted volume
snapshots reach the pod of the volume they name (in the body or the `delete_info` query); an
admin's `all_tenants` list of Nova security groups is every pod's.
"""

import json
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from harness.cloud import TWO_PODS, running_cloud
from harness.http import call
from tests.e2e.test_nova_routes import Cloud, compute, made

pytestmark = pytest.mark.e2e

POD_HEADER = "x-podsim-pod"
(EAST, _), (WEST, _) = TWO_PODS.values()
V2_36 = {"x-openstack-nova-api-version": "2.36"}
NOVA_NETWORK_FIELDS = {
    "id", "cidr", "netmask", "gateway", "broadcast", "dns1", "dns2", "cidr_v6", "gateway_v6",
    "label", "netmask_v6",
}  # fmt: skip


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    with running_cloud(tmp_path_factory.mktemp("nova-proxies")) as running:
        yield running


def network(url: str, project: str, name: str, roles: str = "member", **extra: object) -> dict:
    """A Neutron network made at `url` (the gateway's or a pod's network API) for `project`."""
    headers = {"x-project-id": project, "x-roles": roles}
    status, _, body = call("POST", f"{url}/networks", {"network": {"name": name, **extra}}, headers)
    assert status == 201, body
    return body["network"]


def test_nova_network_proxies_list_every_pods_networks_and_show_them_from_their_pod(
    cloud, project
) -> None:
    gateway, pods = cloud
    base = compute(cloud, project)
    mine = network(gateway.network_url, project, "mine")
    behind = network(f"{pods['pod2'].network_url}/v2.0", project, "behind")
    public = network(
        f"{pods['pod2'].network_url}/v2.0", "ops", "public", "admin", **{"router:external": True}
    )
    theirs = network(gateway.network_url, uuid.uuid4().hex, "theirs")

    status, _, listed = call("GET", f"{base}/os-tenant-networks")
    assert status == 200, listed
    shown = {n["id"]: n for n in listed["networks"]}
    assert len(shown) == len(listed["networks"])
    assert {mine["id"], behind["id"], public["id"]} <= set(shown)
    assert theirs["id"] not in shown
    assert shown[mine["id"]] == {"id": mine["id"], "cidr": "None", "label": "mine"}

    # Shown by the pod whose Neutron has it: another project's external network too (found
    # in the pods, its routing learnt), a network made behind the gateway's back.
    for item, pod in ((mine, "pod1"), (behind, "pod2"), (public, "pod2")):
        status, headers, one = call("GET", f"{base}/os-tenant-networks/{item['id']}")
        assert (status, headers[POD_HEADER]) == (200, pod), one
        assert one["network"]["label"] == item["name"]
    status, headers, one = call("GET", f"{base}/os-networks/{public['id']}")
    assert (status, headers[POD_HEADER], set(one["network"])) == (200, "pod2", NOVA_NETWORK_FIELDS)
    assert one["network"]["label"] == "public" and one["network"]["cidr"] is None
    status, _, listed = call("GET", f"{base}/os-networks")
    assert [n["id"] for n in listed["networks"]].count(public["id"]) == 1

    # Another project's own network: its pod's Neutron hides it, as Nova says.
    not_found = {"itemNotFound": {"message": "Network not found", "code": 404}}
    status, headers, refused = call("GET", f"{base}/os-tenant-networks/{theirs['id']}")
    assert (status, headers[POD_HEADER], refused) == (404, "pod1", not_found)
    status, headers, refused = call("GET", f"{base}/os-networks/{uuid.uuid4()}")
    assert (status, refused) == (404, not_found)
    assert POD_HEADER not in headers


def test_nova_network_proxies_are_gone_above_2_35_and_their_writes_gone_always(
    cloud, project
) -> None:
    base = compute(cloud, project)
    for path in ("os-networks", "os-tenant-networks"):
        status, _, refused = call("GET", f"{base}/{path}", headers=V2_36)
        assert (status, refused["itemNotFound"]["code"]) == (404, 404)
        status, _, refused = call("POST", f"{base}/{path}", {"network": {"label": "x"}})
        assert (status, refused["computeFault"]["code"]) == (410, 410)
    status, _, refused = call("DELETE", f"{base}/os-tenant-networks/{uuid.uuid4()}")
    assert status == 410, refused


def test_assisted_snapshots_reach_the_pod_of_the_volume_they_name(cloud, project) -> None:
    gateway, _ = cloud
    base = compute(cloud, project)
    body = {"server": {"name": "vm", "flavorRef": "1", "availability_zone": WEST}}
    server = made(call("POST", f"{base}/servers", body), "server", "pod2", 202)
    volumes = f"{gateway.volume_url}/{project}/volumes"
    volume = made(
        call("POST", volumes, {"volume": {"size": 1, "availability_zone": WEST}}),
        "volume",
        "pod2",
        202,
    )
    attach = {"volumeAttachment": {"volumeId": volume["id"]}}
    made(call("POST", f"{base}/servers/{server['id']}/os-volume_attachments", attach),
         "volumeAttachment", "pod2")  # fmt: skip

    # Cinder's service user calls from its own project, naming the volume.
    service = compute(cloud, uuid.uuid4().hex)
    snapshot_id = str(uuid.uuid4())
    info = {"snapshot_id": snapshot_id, "type": "qcow2", "new_file": "new_file"}
    create = {"snapshot": {"volume_id": volume["id"], "create_info": info}}
    created = made(call("POST", f"{service}/os-assisted-volume-snapshots", create), "snapshot",
                   "pod2")  # fmt: skip
    assert created == {"id": None, "volumeId": volume["id"]}
    delete_info = quote(json.dumps({"volume_id": volume["id"]}))
    url = f"{service}/os-assisted-volume-snapshots/{snapshot_id}?delete_info={delete_info}"
    status, headers, _ = call("DELETE", url)
    assert (status, headers[POD_HEADER]) == (204, "pod2")

    # A volume no pod has attached: refused as Nova refuses it, by the oldest pod.
    unknown = str(uuid.uuid4())
    create = {"snapshot": {"volume_id": unknown, "create_info": info}}
    status, headers, refused = call("POST", f"{service}/os-assisted-volume-snapshots", create)
    message = f"No volume Block Device Mapping with id {unknown}."
    assert (status, headers[POD_HEADER], refused) == (
        400, "pod1", {"badRequest": {"message": message, "code": 400}}
    )  # fmt: skip
    status, _, refused = call("DELETE", f"{service}/os-assisted-volume-snapshots/{snapshot_id}")
    assert (status, refused["badRequest"]["code"]) == (400, 400)


def test_every_projects_nova_security_groups_are_listed_from_every_pod(cloud, project) -> None:
    west, east = project, uuid.uuid4().hex
    body = {"server": {"name": "first", "flavorRef": "1", "availability_zone": WEST}}
    made(call("POST", f"{compute(cloud, west)}/servers", body), "server", "pod2", 202)
    groups = {}
    for owner, pod in ((west, "pod2"), (east, "pod1")):
        body = {"security_group": {"name": f"sg-{pod}", "description": "d"}}
        url = f"{compute(cloud, owner)}/os-security-groups"
        groups[owner] = made(call("POST", url, body), "security_group", pod)

    status, _, own = call("GET", f"{compute(cloud, east)}/os-security-groups")
    assert status == 200 and [g["id"] for g in own["security_groups"]] == [groups[east]["id"]]
    status, _, every = call("GET", f"{compute(cloud, east)}/os-security-groups?all_tenants=1")
    listed = [(g["tenant_id"], g["name"]) for g in every["security_groups"]]
    assert status == 200 and listed == sorted(listed)
    assert {groups[west]["id"], groups[east]["id"]} <= {g["id"] for g in every["security_groups"]}
