"""Neutron bulk creates through real Envoy and two podsim pods in two AZs, noauth.

A bulk create (`{"networks": [...]}`) is one request to one pod, atomic as Neutron's: its items
go where their hints or their networks are, each then routable by id; items asking for two
zones are refused before any pod sees them.
"""

import uuid
from collections.abc import Iterator

import pytest

from harness.cloud import running_cloud
from harness.gateway import Gateway
from harness.http import Answer, call
from harness.procs import SimPod

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, dict[str, SimPod]]]:
    with running_cloud(tmp_path_factory.mktemp("bulk")) as running:
        yield running


@pytest.fixture
def project() -> str:
    return uuid.uuid4().hex


def as_project(project: str, method: str, url: str, body: object = None) -> Answer:
    return call(method, url, body, {"x-project-id": project})


def in_pod(pod: SimPod, project: str, collection: str) -> list[dict]:
    """The project's resources of `collection` as the pod itself lists them."""
    status, _, body = as_project(project, "GET", f"{pod.network_url}/v2.0/{collection}")
    assert status == 200, body
    return body[collection.replace("-", "_")]


def test_bulk_networks_with_one_hint_land_in_that_zone_and_are_routable(
    cloud: tuple[Gateway, dict[str, SimPod]], project: str
) -> None:
    gateway, pods = cloud
    items = [{"name": f"n{i}", "availability_zone_hints": ["az-west"]} for i in range(3)]
    status, _, made = as_project(
        project, "POST", f"{gateway.network_url}/networks", {"networks": items}
    )
    assert status == 201, made
    networks = made["networks"]
    assert [n["name"] for n in networks] == ["n0", "n1", "n2"]
    assert {
        (tuple(n["availability_zone_hints"]), tuple(n["availability_zones"])) for n in networks
    } == {(("az-west",), ("az-west",))}
    ids = {n["id"] for n in networks}
    assert {n["id"] for n in in_pod(pods["pod2"], project, "networks")} == ids
    assert in_pod(pods["pod1"], project, "networks") == []
    for network in networks:
        status, _, shown = as_project(
            project, "GET", f"{gateway.network_url}/networks/{network['id']}"
        )
        assert status == 200, shown
        assert shown["network"]["availability_zones"] == ["az-west"]
    status, _, listed = as_project(project, "GET", f"{gateway.network_url}/networks")
    assert ids <= {n["id"] for n in listed["networks"]}
    for network_id in ids:
        assert (
            as_project(project, "DELETE", f"{gateway.network_url}/networks/{network_id}")[0] == 204
        )
    assert in_pod(pods["pod2"], project, "networks") == []


def test_bulk_subnets_and_ports_go_with_their_network(
    cloud: tuple[Gateway, dict[str, SimPod]], project: str
) -> None:
    gateway, pods = cloud
    body = {"network": {"name": "east", "availability_zone_hints": ["az-east"]}}
    status, _, made = as_project(project, "POST", f"{gateway.network_url}/networks", body)
    assert status == 201, made
    network = made["network"]["id"]
    subnets = [{"network_id": network, "cidr": f"10.{i}.0.0/24", "ip_version": 4} for i in range(2)]
    status, _, made = as_project(
        project, "POST", f"{gateway.network_url}/subnets", {"subnets": subnets}
    )
    assert status == 201, made
    assert [s["cidr"] for s in made["subnets"]] == ["10.0.0.0/24", "10.1.0.0/24"]
    ports = [{"network_id": network, "name": f"p{i}"} for i in range(2)]
    status, _, made = as_project(project, "POST", f"{gateway.network_url}/ports", {"ports": ports})
    assert status == 201, made
    assert {p["id"] for p in in_pod(pods["pod1"], project, "ports")} == {
        p["id"] for p in made["ports"]
    }
    for port in made["ports"]:
        url = f"{gateway.network_url}/ports/{port['id']}"
        status, _, shown = as_project(project, "GET", url)
        assert (status, shown["port"]["network_id"]) == (200, network)
        assert as_project(project, "DELETE", url)[0] == 204


def test_a_bulk_over_two_zones_is_refused_and_nothing_is_made(
    cloud: tuple[Gateway, dict[str, SimPod]], project: str
) -> None:
    gateway, pods = cloud
    items = [
        {"name": "a", "availability_zone_hints": ["az-east"]},
        {"name": "b", "availability_zone_hints": ["az-west"]},
    ]
    status, _, refused = as_project(
        project, "POST", f"{gateway.network_url}/networks", {"networks": items}
    )
    assert status == 400, refused
    assert refused["NeutronError"]["message"] == (
        "networks[0] is in availability zone az-east and networks[1] in az-west: the items of a "
        "bulk create are made in one availability zone."
    )
    assert in_pod(pods["pod1"], project, "networks") == []
    assert in_pod(pods["pod2"], project, "networks") == []


def test_bulk_ports_on_networks_of_two_zones_are_refused(
    cloud: tuple[Gateway, dict[str, SimPod]], project: str
) -> None:
    gateway, pods = cloud
    networks = []
    for zone in ("az-east", "az-west"):
        body = {"network": {"name": zone, "availability_zone_hints": [zone]}}
        status, _, made = as_project(project, "POST", f"{gateway.network_url}/networks", body)
        assert status == 201, made
        networks.append(made["network"]["id"])
    ports = {"ports": [{"network_id": network} for network in networks]}
    status, _, refused = as_project(project, "POST", f"{gateway.network_url}/ports", ports)
    assert status == 400, refused
    assert refused["NeutronError"]["message"] == (
        f"Network {networks[0]} and network {networks[1]} are in different availability "
        "zones: az-east, az-west."
    )
    assert in_pod(pods["pod1"], project, "ports") == []
    assert in_pod(pods["pod2"], project, "ports") == []


def test_bulk_security_groups_and_rules_are_copied_into_every_pod(
    cloud: tuple[Gateway, dict[str, SimPod]], project: str
) -> None:
    gateway, pods = cloud
    groups_url = f"{gateway.network_url}/security-groups"
    items = {"security_groups": [{"name": "web"}, {"name": "db"}]}
    status, _, made = as_project(project, "POST", groups_url, items)
    assert status == 201, made
    groups = {g["name"]: g["id"] for g in made["security_groups"]}
    assert list(groups) == ["web", "db"]
    copies = {name: in_pod(pod, project, "security-groups") for name, pod in pods.items()}
    for listed in copies.values():
        assert sorted(g["name"] for g in listed) == ["db", "default", "web"]
    _, _, listed = as_project(project, "GET", groups_url)
    assert sorted(g["name"] for g in listed["security_groups"]) == ["db", "default", "web"]
    rules = {
        "security_group_rules": [
            {"security_group_id": groups[name], "direction": "ingress", "protocol": "tcp",
             "port_range_min": port, "port_range_max": port}
            for name, port in (("web", 443), ("db", 5432))
        ]
    }  # fmt: skip
    status, _, made = as_project(
        project, "POST", f"{gateway.network_url}/security-group-rules", rules
    )
    assert status == 201, made
    assert [r["security_group_id"] for r in made["security_group_rules"]] == list(groups.values())
    for name, pod in pods.items():
        own = {g["name"]: g for g in in_pod(pod, project, "security-groups")}
        ports = [r.get("port_range_min") for r in own["db"]["security_group_rules"]]
        assert 5432 in ports, (name, ports)
    # A bulk port naming a group by its gateway id gets the pod's own copy.
    body = {"network": {"name": "n", "availability_zone_hints": ["az-west"]}}
    _, _, network = as_project(project, "POST", f"{gateway.network_url}/networks", body)
    ports = {
        "ports": [{"network_id": network["network"]["id"], "security_groups": [groups["db"]]}] * 2
    }
    status, _, made = as_project(project, "POST", f"{gateway.network_url}/ports", ports)
    assert status == 201, made
    west_db = {g["name"]: g["id"] for g in in_pod(pods["pod2"], project, "security-groups")}["db"]
    assert {
        p["id"] for p in in_pod(pods["pod2"], project, "ports") if p["security_groups"] == [west_db]
    } == {p["id"] for p in made["ports"]}
    for group in groups.values():
        for port in made["ports"]:
            as_project(project, "DELETE", f"{gateway.network_url}/ports/{port['id']}")
        assert as_project(project, "DELETE", f"{groups_url}/{group}")[0] == 204
    for pod in pods.values():
        assert [g["name"] for g in in_pod(pod, project, "security-groups")] == ["default"]
