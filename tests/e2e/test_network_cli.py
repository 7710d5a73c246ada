"""The `openstack` CLI in the gateway's region of a real Keystone: networks as a user sees them.

Keystone's catalog names the gateway's compute, volume and network listeners in region
`Gateway`; two podsim pods sit behind it (az-east, az-west). The user makes networks (with and
without an AZ hint), a subnet, a port, a router with an interface, a security group with a rule,
a server on the network in each AZ and a floating IP, and never names a pod.
"""

import json
from pathlib import Path

import pytest

from harness.gateway import Gateway
from harness.http import call
from harness.keystone import DEMO, Keystone
from harness.procs import SimPod
from tests.fixtures.keystone import KEYSTONE_MARKS
from tests.fixtures.keystone_cloud import GATEWAY_REGION as REGION
from tests.fixtures.keystone_cloud import region_cloud  # noqa: F401 (fixture)
from tests.fixtures.osc import Osc, keystone_clouds_yaml

pytestmark = [pytest.mark.e2e, *KEYSTONE_MARKS]

EAST, WEST = "az-east", "az-west"
_TIMEOUT_S = 120


def demo_osc(keystone: Keystone, directory: Path) -> Osc:
    """`openstack` as the demo user, in the gateway's region."""
    clouds = directory / "clouds.yaml"
    clouds.write_text(keystone_clouds_yaml(keystone.auth_url, REGION, *DEMO))
    return Osc(clouds, timeout_s=_TIMEOUT_S)


def holders(pods: dict[str, SimPod], collection: str, resource_id: str) -> list[str]:
    """The pods holding a network resource, asked directly as an admin."""
    admin = {"x-roles": "admin", "x-project-id": "admin"}
    return [
        name
        for name, sim in pods.items()
        if call("GET", f"{sim.network_url}/v2.0/{collection}/{resource_id}", None, admin)[0] == 200
    ]


def external_network(pod: SimPod) -> str:
    """The operator's `public` network, made in the pod itself."""
    admin = {"x-roles": "admin", "x-project-id": "admin"}
    body = {"network": {"name": "public", "router:external": True}}
    status, _, made = call("POST", f"{pod.network_url}/v2.0/networks", body, admin)
    assert status == 201, made
    network = made["network"]["id"]
    subnet = {"subnet": {"network_id": network, "cidr": "172.24.4.0/24", "ip_version": 4}}
    assert call("POST", f"{pod.network_url}/v2.0/subnets", subnet, admin)[0] == 201
    return network


def copies_of(pod: SimPod, name: str) -> str:
    """The id of the pod's own copy of the demo project's security group `name`."""
    admin = {"x-roles": "admin", "x-project-id": "admin"}
    url = f"{pod.network_url}/v2.0/security-groups?name={name}"
    _, _, body = call("GET", url, None, admin)
    (group,) = body["security_groups"]
    return group["id"]


def test_networks_routers_security_groups_and_servers_through_the_cli(
    region_cloud: tuple[Gateway, dict[str, SimPod]],  # noqa: F811 (the fixture imported above)
    keystone: Keystone,
    tmp_path: Path,
) -> None:
    _, pods = region_cloud
    osc = demo_osc(keystone, tmp_path)
    external_network(pods["pod2"])
    # Independent commands run together: each `openstack` start costs about a second.
    zones, hinted, plain, net_east, group, *volumes = osc.json_all(
        [
            ["availability", "zone", "list", "--network"],
            ["network", "create", "--availability-zone-hint", WEST, "net-west"],
            ["network", "create", "net-default"],
            ["network", "create", "--availability-zone-hint", EAST, "net-east"],
            ["security", "group", "create", "web"],
            *(["volume", "create", "--size", "1", "--availability-zone", az, f"boot-{az}"]
              for az in (EAST, WEST)),
        ]
    )  # fmt: skip
    assert sorted({z["Zone Name"] for z in zones}) == [EAST, WEST]
    assert holders(pods, "networks", hinted["id"]) == ["pod2"]
    assert holders(pods, "networks", net_east["id"]) == ["pod1"]
    assert len(holders(pods, "networks", plain["id"])) == 1

    # The subnet first: a port made before it would have no fixed IP to associate later.
    (subnet,) = osc.json_all(
        [["subnet", "create", "--network", "net-west", "--subnet-range", "10.1.0.0/24", "sub-west"]]
    )
    port, router, rule, listed, fip = osc.json_all(
        [
            ["port", "create", "--network", "net-west", "port-west"],
            ["router", "create", "--availability-zone-hint", WEST, "router-west"],
            ["security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "80",
             "web"],
            ["network", "list"],
            ["floating", "ip", "create", "public"],
        ]
    )  # fmt: skip
    for collection, made in (("subnets", subnet), ("ports", port), ("routers", router),
                             ("floatingips", fip)):  # fmt: skip
        assert holders(pods, collection, made["id"]) == ["pod2"], collection
    assert rule["security_group_id"] == group["id"]
    assert {"net-west", "net-default", "net-east", "public"} <= {n["Name"] for n in listed}

    # A server on the network in each AZ, protected by the one `web` group in both pods; the
    # router's gateway and interface; a server across zones is refused, naming them.
    *done, across = osc.run_all(
        [
            ["router", "set", "--external-gateway", "public", "router-west"],
            ["router", "add", "subnet", "router-west", "sub-west"],
            *(["server", "create", "--flavor", "m1.tiny", "--volume", volume["id"],
               "--network", network, "--security-group", "web", "-f", "json", f"vm-{az}"]
              for az, volume, network in ((EAST, volumes[0], "net-east"),
                                          (WEST, volumes[1], "net-west"))),
            ["server", "create", "--flavor", "m1.tiny", "--volume", volumes[0]["id"],
             "--network", "net-west", "vm-across"],
        ]
    )  # fmt: skip
    for command in done:
        assert command.returncode == 0, (command.args, command.stderr)
    servers = [json.loads(command.stdout) for command in done[2:]]
    for server, pod in zip(servers, ("pod1", "pod2"), strict=True):
        _, _, shown = call("GET", f"{pods[pod].compute_url}/{keystone.project_ids['demo']}"
                                  f"/servers/{server['id']}")  # fmt: skip
        groups = [group["name"] for group in shown["server"]["security_groups"]]
        assert groups == [copies_of(pods[pod], "web")], pod
    assert across.returncode != 0
    assert "400" in across.stderr and EAST in across.stderr and WEST in across.stderr
    assert "pod" not in across.stderr.lower()

    associated = osc.run("floating", "ip", "set", "--port", "port-west", fip["id"])
    assert associated.returncode == 0, associated.stderr
    shown = osc.json("floating", "ip", "show", fip["id"])
    assert shown["port_id"] == port["id"]
