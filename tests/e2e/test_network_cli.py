"""The `openstack` CLI in the gateway's region of a real Keystone: networks as a user sees them.

Keystone's catalog names the gateway's compute, volume and network listeners in region
`Gateway`; two podsim pods sit behind it (az-east, az-west). The user makes networks (with and
without an AZ hint), a subnet, a port, a router with an interface, a security group with a rule,
a server on the network in each AZ and a floating IP, and never names a pod.
"""

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from harness.gateway import Gateway
from harness.http import call
from harness.keystone import DEMO, Keystone
from harness.procs import SimPod
from tests.fixtures.keystone import KEYSTONE_MARKS
from tests.fixtures.keystone_cloud import keystone_cloud

pytestmark = [pytest.mark.e2e, *KEYSTONE_MARKS]

OPENSTACK = Path(sys.executable).parent / "openstack"
EAST, WEST = "az-east", "az-west"
REGION = "Gateway"
_TIMEOUT_S = 120


@pytest.fixture(scope="module")
def cloud(
    keystone: Keystone, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Gateway, dict[str, SimPod]]]:
    with keystone_cloud(tmp_path_factory.mktemp("network-cli"), keystone) as (gateway, pods):
        keystone.add_endpoints(
            REGION,
            {
                "compute": f"{gateway.compute_url}/$(project_id)s",
                "volumev3": f"{gateway.volume_url}/$(project_id)s",
                "network": f"http://127.0.0.1:{gateway.network_port}",
            },
        )
        yield gateway, pods


class Osc:
    """`openstack` as the demo user, in the gateway's region."""

    def __init__(self, keystone: Keystone, directory: Path) -> None:
        user, password, project = DEMO
        clouds = directory / "clouds.yaml"
        clouds.write_text(
            "clouds:\n"
            "  podgate:\n"
            f"    region_name: {REGION}\n"
            "    identity_api_version: '3'\n"
            "    has_image: false\n"
            "    auth:\n"
            f"      auth_url: {keystone.auth_url}\n"
            f"      username: {user}\n"
            f"      password: {password}\n"
            f"      project_name: {project}\n"
            "      user_domain_name: Default\n"
            "      project_domain_name: Default\n"
        )
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("OS_")}
        self.env.update(OS_CLIENT_CONFIG_FILE=str(clouds), OS_CLOUD="podgate")

    def run_all(self, commands: Sequence[Sequence[str]]) -> list[subprocess.CompletedProcess[str]]:
        """Independent commands at once (each `openstack` start costs about a second)."""
        started = [
            (args, subprocess.Popen([str(OPENSTACK), *args], env=self.env, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE))
            for args in commands
        ]  # fmt: skip
        done = []
        for args, proc in started:
            out, err = proc.communicate(timeout=_TIMEOUT_S)
            done.append(subprocess.CompletedProcess(args, proc.returncode, out, err))
        return done

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        (done,) = self.run_all([args])
        return done

    def json(self, *args: str) -> Any:
        return self.json_all([args])[0]

    def json_all(self, commands: Sequence[Sequence[str]]) -> list[Any]:
        results = []
        for done in self.run_all([[*command, "-f", "json"] for command in commands]):
            assert done.returncode == 0, f"openstack {' '.join(done.args)}: {done.stderr}"
            results.append(json.loads(done.stdout))
        return results


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
    cloud: tuple[Gateway, dict[str, SimPod]], keystone: Keystone, tmp_path: Path
) -> None:
    _, pods = cloud
    osc = Osc(keystone, tmp_path)
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
