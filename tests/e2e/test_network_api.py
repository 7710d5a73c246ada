"""The network API (Neutron v2.0) through real Envoy on its own listener, two podsim pods, noauth.

Paths name no project: the gateway takes it from `X-Project-Id` (noauth) and hands it on. A
resource is routed to the pod that holds it, also one made directly in a pod (found once and
remembered); faults are Neutron's; zones and versions are the gateway's own.
"""

from collections.abc import Iterator

import pytest

from harness.cloud import TWO_PODS, running_cloud
from harness.gateway import Gateway
from harness.http import Answer, call
from harness.procs import SimPod

pytestmark = pytest.mark.e2e

PROJECT = "5b2e8a3c9d0f4e1a8b7c6d5e4f3a2b1c"
OTHER = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, dict[str, SimPod]]]:
    with running_cloud(tmp_path_factory.mktemp("network")) as running:
        yield running


def as_project(method: str, url: str, body: object = None, project: str = PROJECT) -> Answer:
    return call(method, url, body, {"x-project-id": project})


def direct_network(pod: SimPod, name: str, project: str = PROJECT, **extra: object) -> str:
    """A network made in the pod itself, behind the gateway's back."""
    body = {"network": {"name": name, **extra}}
    status, _, made = as_project("POST", f"{pod.network_url}/v2.0/networks", body, project)
    assert status == 201, made
    return made["network"]["id"]


def test_version_documents_are_neutrons(cloud: tuple[Gateway, dict[str, SimPod]]) -> None:
    gateway, _ = cloud
    root = f"http://127.0.0.1:{gateway.network_port}"
    status, _, versions = call("GET", f"{root}/")
    assert status == 200
    assert versions["versions"][0]["id"] == "v2.0"
    assert versions["versions"][0]["links"] == [{"href": f"{root}/v2.0/", "rel": "self"}]
    status, _, resources = call("GET", f"{root}/v2.0/")
    assert status == 200
    collections = {item["collection"] for item in resources["resources"]}
    assert {"networks", "subnets", "ports", "routers", "floatingips"} <= collections


def test_zones_are_the_users_not_the_pods(cloud: tuple[Gateway, dict[str, SimPod]]) -> None:
    gateway, _ = cloud
    status, headers, body = as_project("GET", f"{gateway.network_url}/availability_zones")
    assert status == 200, body
    names = {zone["name"] for zone in body["availability_zones"]}
    assert names == {az for az, _ in TWO_PODS.values()}
    assert headers["x-openstack-request-id"].startswith("req-")


def test_a_network_made_in_a_pod_is_found_and_routed_there(
    cloud: tuple[Gateway, dict[str, SimPod]],
) -> None:
    gateway, pods = cloud
    network = direct_network(pods["pod2"], "far")
    url = f"{gateway.network_url}/networks/{network}"
    status, _, shown = as_project("GET", url)
    assert status == 200, shown
    assert shown["network"]["name"] == "far"
    status, _, updated = as_project("PUT", url, {"network": {"name": "renamed"}})
    assert status == 200, updated
    status, _, direct = as_project("GET", f"{pods['pod2'].network_url}/v2.0/networks/{network}")
    assert direct["network"]["name"] == "renamed"
    assert as_project("DELETE", url)[0] == 204
    status, _, gone = as_project("GET", url)
    assert status == 404
    assert gone["NeutronError"]["type"] == "NetworkNotFound"


def test_another_projects_private_network_stays_hidden_its_shared_one_shows(
    cloud: tuple[Gateway, dict[str, SimPod]],
) -> None:
    gateway, pods = cloud
    private = direct_network(pods["pod1"], "theirs", project=OTHER)
    shared = direct_network(pods["pod1"], "everyones", project=OTHER, shared=True)
    status, _, body = as_project("GET", f"{gateway.network_url}/networks/{private}")
    assert status == 404, body
    assert body["NeutronError"]["type"] == "NetworkNotFound"
    status, _, body = as_project("GET", f"{gateway.network_url}/networks/{shared}")
    assert status == 200, body
    assert body["network"]["project_id"] == OTHER
    # The owner still reaches its private network, now that the gateway knows where it is.
    status, _, body = as_project("GET", f"{gateway.network_url}/networks/{private}", project=OTHER)
    assert status == 200, body


def test_unknown_ids_and_paths_answer_neutron_faults(
    cloud: tuple[Gateway, dict[str, SimPod]],
) -> None:
    gateway, _ = cloud
    status, _, body = as_project("GET", f"{gateway.network_url}/ports/0000-unknown")
    assert status == 404
    assert body["NeutronError"]["type"] == "PortNotFound"
    assert body["NeutronError"]["message"] == "Port 0000-unknown could not be found."
    status, headers, body = as_project("DELETE", f"{gateway.network_url}/networks")
    assert status == 405
    assert headers["allow"] == "GET, POST"
    assert body["NeutronError"]["type"] == "HTTPMethodNotAllowed"
    status, _, body = as_project("GET", f"{gateway.network_url}/images")
    assert status == 404
    assert "NeutronError" in body


def test_without_a_project_the_network_api_refuses(
    cloud: tuple[Gateway, dict[str, SimPod]],
) -> None:
    gateway, _ = cloud
    status, _, body = call("GET", f"{gateway.network_url}/availability_zones")
    assert status == 401, body
    assert "X-Project-Id" in body["NeutronError"]["message"]


def test_compute_paths_are_unknown_on_the_network_listener(
    cloud: tuple[Gateway, dict[str, SimPod]],
) -> None:
    gateway, _ = cloud
    root = f"http://127.0.0.1:{gateway.network_port}"
    status, _, _ = as_project("GET", f"{root}/v2.1/{PROJECT}/servers")
    assert status == 404


def direct_groups(pod: SimPod, project: str = PROJECT) -> dict[str, list[str]]:
    """The project's security groups in one pod, by name."""
    status, _, body = as_project("GET", f"{pod.network_url}/v2.0/security-groups", None, project)
    assert status == 200, body
    groups: dict[str, list[str]] = {}
    for group in body["security_groups"]:
        groups.setdefault(group["name"], []).append(group["id"])
    return groups


def test_a_security_group_follows_the_project_into_every_pod(
    cloud: tuple[Gateway, dict[str, SimPod]],
) -> None:
    gateway, pods = cloud
    project = "3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f"
    groups = f"{gateway.network_url}/security-groups"
    status, _, made = as_project("POST", groups, {"security_group": {"name": "web"}}, project)
    assert status == 201, made
    group = made["security_group"]["id"]
    copies = {name: direct_groups(sim, project)["web"] for name, sim in pods.items()}
    assert copies["pod1"] == [group]
    assert len(copies["pod2"]) == 1 and copies["pod2"] != [group]

    status, _, listed = as_project("GET", groups, None, project)
    assert status == 200, listed
    names = sorted(item["name"] for item in listed["security_groups"])
    assert names == ["default", "web"]
    assert [g["id"] for g in listed["security_groups"] if g["name"] == "web"] == [group]

    rule = {"security_group_rule": {"security_group_id": group, "direction": "ingress",
                                    "protocol": "tcp", "port_range_min": 80,
                                    "port_range_max": 80}}  # fmt: skip
    status, _, made_rule = as_project("POST", f"{gateway.network_url}/security-group-rules", rule,
                                      project)  # fmt: skip
    assert status == 201, made_rule
    assert made_rule["security_group_rule"]["security_group_id"] == group
    for name, sim in pods.items():
        url = f"{sim.network_url}/v2.0/security-groups/{copies[name][0]}"
        _, _, shown = as_project("GET", url, None, project)
        ports = [r.get("port_range_min") for r in shown["security_group"]["security_group_rules"]]
        assert 80 in ports, name

    rule_url = (
        f"{gateway.network_url}/security-group-rules/{made_rule['security_group_rule']['id']}"
    )
    assert as_project("GET", rule_url, None, project)[0] == 200
    assert as_project("DELETE", rule_url, None, project)[0] == 204
    for name, sim in pods.items():
        url = f"{sim.network_url}/v2.0/security-groups/{copies[name][0]}"
        _, _, shown = as_project("GET", url, None, project)
        ports = [r.get("port_range_min") for r in shown["security_group"]["security_group_rules"]]
        assert 80 not in ports, name

    assert as_project("DELETE", f"{groups}/{group}", None, project)[0] == 204
    for sim in pods.values():
        assert "web" not in direct_groups(sim, project)
    status, _, gone = as_project("GET", f"{groups}/{group}", None, project)
    assert status == 404
    assert gone["NeutronError"]["type"] == "SecurityGroupNotFound"


def test_a_rule_on_the_default_group_reaches_every_pods_default(
    cloud: tuple[Gateway, dict[str, SimPod]],
) -> None:
    gateway, pods = cloud
    project = "4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a"
    _, _, listed = as_project("GET", f"{gateway.network_url}/security-groups", None, project)
    (default,) = [g["id"] for g in listed["security_groups"] if g["name"] == "default"]
    rule = {"security_group_rule": {"security_group_id": default, "direction": "ingress",
                                    "protocol": "icmp"}}  # fmt: skip
    status, _, made = as_project("POST", f"{gateway.network_url}/security-group-rules", rule,
                                 project)  # fmt: skip
    assert status == 201, made
    for name, sim in pods.items():
        (own,) = direct_groups(sim, project)["default"]
        _, _, shown = as_project("GET", f"{sim.network_url}/v2.0/security-groups/{own}", None,
                                 project)  # fmt: skip
        protocols = [r.get("protocol") for r in shown["security_group"]["security_group_rules"]]
        assert "icmp" in protocols, name
    _, _, rules = as_project("GET", f"{gateway.network_url}/security-group-rules", None, project)
    icmp = [r for r in rules["security_group_rules"] if r.get("protocol") == "icmp"]
    assert [r["security_group_id"] for r in icmp] == [default]


def test_extensions_are_the_pods_once(cloud: tuple[Gateway, dict[str, SimPod]]) -> None:
    gateway, pods = cloud
    status, _, body = as_project("GET", f"{gateway.network_url}/extensions")
    assert status == 200, body
    aliases = [extension["alias"] for extension in body["extensions"]]
    _, _, direct = as_project("GET", f"{pods['pod1'].network_url}/v2.0/extensions")
    assert sorted(aliases) == sorted(extension["alias"] for extension in direct["extensions"])
    assert len(aliases) == len(set(aliases))
    status, _, router = as_project("GET", f"{gateway.network_url}/extensions/router")
    assert status == 200, router
    assert router["extension"]["alias"] == "router"


def test_a_network_shows_the_users_zone_in_every_answer(
    cloud: tuple[Gateway, dict[str, SimPod]],
) -> None:
    gateway, pods = cloud
    body = {"network": {"name": "zoned", "availability_zone_hints": ["az-west"]}}
    status, _, made = as_project("POST", f"{gateway.network_url}/networks", body)
    assert status == 201, made
    network = made["network"]
    _, _, direct = as_project("GET", f"{pods['pod2'].network_url}/v2.0/networks/{network['id']}")
    assert direct["network"]["availability_zone_hints"] == ["nova-west"]
    _, _, shown = as_project("GET", f"{gateway.network_url}/networks/{network['id']}")
    _, _, listed = as_project("GET", f"{gateway.network_url}/networks?name=zoned")
    for seen in (network, shown["network"], *listed["networks"]):
        assert seen["availability_zone_hints"] == ["az-west"]
        assert seen["availability_zones"] == ["az-west"]


def test_cross_zone_interfaces_and_associations_are_refused_before_any_pod(
    cloud: tuple[Gateway, dict[str, SimPod]],
) -> None:
    gateway, pods = cloud
    api = gateway.network_url

    def made(path: str, body: dict) -> dict:
        status, _, answer = as_project("POST", f"{api}/{path}", body)
        assert status == 201, answer
        return next(iter(answer.values()))

    east = made("networks", {"network": {"name": "e", "availability_zone_hints": ["az-east"]}})
    subnet = made("subnets", {"subnet": {"network_id": east["id"], "cidr": "10.9.0.0/24",
                                         "ip_version": 4}})  # fmt: skip
    port = made("ports", {"port": {"network_id": east["id"]}})
    router = made("routers", {"router": {"name": "w", "availability_zone_hints": ["az-west"]}})
    public = direct_network(pods["pod2"], "public-west", project=OTHER, **{"router:external": True})
    pool = {"subnet": {"network_id": public, "cidr": "172.24.9.0/24", "ip_version": 4}}
    assert as_project("POST", f"{pods['pod2'].network_url}/v2.0/subnets", pool, OTHER)[0] == 201
    fip = made("floatingips", {"floatingip": {"floating_network_id": public}})

    for method, path, body in (
        ("PUT", f"routers/{router['id']}/add_router_interface", {"subnet_id": subnet["id"]}),
        ("PUT", f"routers/{router['id']}/add_router_interface", {"port_id": port["id"]}),
        ("PUT", f"floatingips/{fip['id']}", {"floatingip": {"port_id": port["id"]}}),
    ):
        status, headers, answer = as_project(method, f"{api}/{path}", body)
        assert status == 400, (path, answer)
        message = answer["NeutronError"]["message"]
        assert "az-east" in message and "az-west" in message, message
        assert "pod" not in message.lower(), message
        assert "x-podsim-pod" not in headers
    _, _, direct = as_project(
        "GET", f"{pods['pod2'].network_url}/v2.0/ports?device_id={router['id']}"
    )
    assert direct["ports"] == []
