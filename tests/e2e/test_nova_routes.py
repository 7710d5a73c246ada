"""Nova's server groups and its proxy APIs through real Envoy and two simulated pods in two zones.

A server group lives in one pod (the project's, in its default zone) and servers naming it in
their scheduler hints go there; `os-volumes` and `os-snapshots` are Cinder's volumes and
snapshots, routed and placed as they are, listed across pods with Nova's offset paging; the
image proxy and `extensions` are answered by one pod, links pointing at the gateway; Nova's
network proxies go to the project's home pod.
"""

from collections.abc import Iterator

import pytest

from harness.cloud import TWO_PODS, running_cloud
from harness.gateway import Gateway
from harness.http import Answer, call
from harness.procs import SimPod

pytestmark = pytest.mark.e2e

POD_HEADER = "x-podsim-pod"
(EAST, _), (WEST, _) = TWO_PODS.values()
Cloud = tuple[Gateway, dict[str, SimPod]]
V2_13 = {"x-openstack-nova-api-version": "2.13"}
V2_36 = {"x-openstack-nova-api-version": "2.36"}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    with running_cloud(tmp_path_factory.mktemp("nova-routes")) as running:
        yield running


def compute(cloud: Cloud, project: str) -> str:
    gateway, _ = cloud
    return f"{gateway.compute_url}/{project}"


def made(answer: Answer, member: str, pod: str, status: int = 200) -> dict:
    """The new object, after checking the pod that made it (podsim names itself)."""
    got, headers, body = answer
    assert got == status, body
    assert headers[POD_HEADER] == pod, body
    return body[member]


def bind_west(cloud: Cloud, project: str) -> None:
    """The project's first resource, in az-west, binds it to pod2 alone: what is created
    without a zone goes there from now on."""
    body = {"server": {"name": "first", "flavorRef": "1", "availability_zone": WEST}}
    made(call("POST", f"{compute(cloud, project)}/servers", body), "server", "pod2", 202)


def test_a_server_group_lives_in_the_projects_pod_and_its_servers_follow_it(cloud, project) -> None:
    base = compute(cloud, project)
    group_body = {"server_group": {"name": "g", "policies": ["affinity"]}}
    group = made(call("POST", f"{base}/os-server-groups", group_body), "server_group", "pod1")
    hints = {"os:scheduler_hints": {"group": group["id"]}}

    server = {"server": {"name": "vm", "flavorRef": "1"}, **hints}
    booted = made(call("POST", f"{base}/servers", server), "server", "pod1", 202)
    status, headers, shown = call("GET", f"{base}/os-server-groups/{group['id']}", headers=V2_13)
    assert (status, headers[POD_HEADER]) == (200, "pod1")
    assert shown["server_group"]["members"] == [booted["id"]]
    assert shown["server_group"]["project_id"] == project

    elsewhere = {"server": {"name": "vm2", "flavorRef": "1", "availability_zone": WEST}, **hints}
    status, headers, refused = call("POST", f"{base}/servers", elsewhere)
    message = f"Instance group {group['id']} is in availability zone {EAST}, not {WEST}."
    assert (status, refused) == (400, {"badRequest": {"message": message, "code": 400}})
    assert POD_HEADER not in headers

    status, _, _ = call("DELETE", f"{base}/os-server-groups/{group['id']}")
    assert status == 204
    status, _, missing = call("GET", f"{base}/os-server-groups/{group['id']}")
    assert status == 404, missing


def test_server_groups_of_both_pods_are_listed_and_cut_by_offset_and_limit(cloud, project) -> None:
    _, pods = cloud
    base = compute(cloud, project)
    east = {"server_group": {"name": "east", "policies": ["anti-affinity"]}}
    made(call("POST", f"{base}/os-server-groups", east), "server_group", "pod1")
    # One made in the other pod directly (as an operator would): the list finds it there.
    west = {"server_group": {"name": "west", "policies": ["affinity"]}}
    direct = f"{pods['pod2'].compute_url}/{project}/os-server-groups"
    status, _, made_there = call("POST", direct, west)
    assert status == 200, made_there
    status, headers, listed = call("GET", f"{base}/os-server-groups")
    assert (status, [g["name"] for g in listed["server_groups"]]) == (200, ["east", "west"])
    assert "x-podgate-missing-pods" not in headers
    status, _, page = call("GET", f"{base}/os-server-groups?offset=1&limit=1")
    assert (status, [g["name"] for g in page["server_groups"]]) == (200, ["west"])
    status, _, refused = call("GET", f"{base}/os-server-groups?limit=-1")
    assert status == 400, refused
    # A server naming the group goes to its pod, where the gateway found it, not to the binding's.
    hints = {"os:scheduler_hints": {"group": made_there["server_group"]["id"]}}
    server = {"server": {"name": "vm", "flavorRef": "1"}, **hints}
    made(call("POST", f"{base}/servers", server), "server", "pod2", 202)


def test_os_volumes_are_cinders_volumes_placed_routed_and_listed_across_pods(
    cloud, project
) -> None:
    gateway, _ = cloud
    base = compute(cloud, project)
    ids = {}
    for az, pod in ((EAST, "pod1"), (WEST, "pod2"), (EAST, "pod1")):
        body = {"volume": {"size": 1, "availability_zone": az, "display_name": f"v-{az}"}}
        volume = made(call("POST", f"{base}/os-volumes", body), "volume", pod)
        assert volume["availabilityZone"] == az  # the pod's own name never shows
        ids.setdefault(az, volume["id"])
    west = ids[WEST]
    status, headers, shown = call("GET", f"{base}/os-volumes/{west}")
    assert (status, headers[POD_HEADER], shown["volume"]["availabilityZone"]) == (200, "pod2", WEST)
    # The same volume through Cinder's own API.
    status, _, cinder = call("GET", f"{gateway.volume_url}/{project}/volumes/{west}")
    assert (status, cinder["volume"]["availability_zone"]) == (200, WEST)

    status, headers, everything = call("GET", f"{base}/os-volumes/detail")
    assert status == 200 and "x-podgate-missing-pods" not in headers
    listed = [v["id"] for v in everything["volumes"]]
    assert len(listed) == 3 and west in listed
    assert {v["availabilityZone"] for v in everything["volumes"]} == {EAST, WEST}
    status, _, page = call("GET", f"{base}/os-volumes?offset=1&limit=1")
    assert (status, [v["id"] for v in page["volumes"]]) == (200, listed[1:2])

    snapshot = {"snapshot": {"volume_id": west, "display_name": "s"}}
    snap = made(call("POST", f"{base}/os-snapshots", snapshot), "snapshot", "pod2")
    status, headers, _ = call("GET", f"{base}/os-snapshots/{snap['id']}")
    assert (status, headers[POD_HEADER]) == (200, "pod2")
    status, _, snaps = call("GET", f"{base}/os-snapshots/detail")
    assert (status, [s["id"] for s in snaps["snapshots"]]) == (200, [snap["id"]])

    status, _, _ = call("DELETE", f"{base}/os-snapshots/{snap['id']}")
    assert status == 202
    status, _, _ = call("DELETE", f"{base}/os-volumes/{west}")
    assert status == 202
    status, _, missing = call("GET", f"{base}/os-volumes/{west}")
    message = f"Volume {west} could not be found."
    assert (status, missing) == (404, {"itemNotFound": {"message": message, "code": 404}})


def test_os_volumes_refuses_what_nova_refuses_and_is_gone_above_2_35(cloud, project) -> None:
    base = compute(cloud, project)
    for body in ({"volume": {"size": 0}}, {"volume": {"size": "#$%"}}, {"volume": {}}):
        status, _, refused = call("POST", f"{base}/os-volumes", body)
        assert status == 400, (body, refused)
    volume = made(call("POST", f"{base}/os-volumes", {"volume": {"size": 1}}), "volume", "pod1")
    status, _, gone = call("GET", f"{base}/os-volumes/{volume['id']}", headers=V2_36)
    assert (status, gone["itemNotFound"]["code"]) == (404, 404)
    status, _, unknown = call("GET", f"{base}/os-volumes/f00-unknown")
    assert status == 404, unknown


def test_the_image_proxy_is_one_image_service_with_gateway_links(cloud, project) -> None:
    gateway, _ = cloud
    base = compute(cloud, project)
    status, _, first = call("GET", f"{base}/images/detail?limit=1")
    assert status == 200 and len(first["images"]) == 1
    next_href = first["images_links"][0]["href"]
    assert next_href.startswith(f"{gateway.compute_url}/{project}/images/detail?")
    status, _, second = call("GET", next_href)
    assert status == 200 and second["images"][0]["id"] != first["images"][0]["id"]
    image = first["images"][0]
    hrefs = {link["rel"]: link["href"] for link in image["links"]}
    assert hrefs["self"] == f"{gateway.compute_url}/{project}/images/{image['id']}"

    url = f"{base}/images/{image['id']}/metadata"
    status, _, meta = call("PUT", f"{url}/purpose", {"meta": {"purpose": "test"}})
    assert (status, meta) == (200, {"meta": {"purpose": "test"}})
    status, _, metadata = call("GET", url)
    assert (status, metadata["metadata"]["purpose"]) == (200, "test")
    status, _, _ = call("DELETE", f"{url}/purpose")
    assert status == 204
    status, _, gone = call("GET", f"{base}/images", headers=V2_36)
    assert status == 404, gone

    status, _, extensions = call("GET", f"{base}/extensions")
    assert status == 200 and "os-server-groups" in {e["alias"] for e in extensions["extensions"]}
    status, _, one = call("GET", f"{base}/extensions/os-keypairs")
    assert (status, one["extension"]["alias"]) == (200, "os-keypairs")


def test_novas_network_proxies_go_to_the_projects_home_pod(cloud, project) -> None:
    base = compute(cloud, project)
    bind_west(cloud, project)
    body = {"security_group": {"name": "sg", "description": "d"}}
    group = made(call("POST", f"{base}/os-security-groups", body), "security_group", "pod2")
    status, headers, _ = call("GET", f"{base}/os-security-groups/{group['id']}")
    assert (status, headers[POD_HEADER]) == (200, "pod2")
    ip = made(call("POST", f"{base}/os-floating-ips", {"pool": "public"}), "floating_ip", "pod2")
    status, _, _ = call("DELETE", f"{base}/os-floating-ips/{ip['id']}")
    assert status == 202
    status, headers, pools = call("GET", f"{base}/os-floating-ip-pools")
    assert (status, headers[POD_HEADER], pools) == (
        200, "pod2", {"floating_ip_pools": [{"name": "public"}]}
    )  # fmt: skip
