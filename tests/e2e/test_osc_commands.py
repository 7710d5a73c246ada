"""The common `openstack` commands against a gateway with the clouds.yaml `make demo` writes.

The clouds.yaml is harness.demo's own (noauth: endpoint overrides for compute, volume and
network; the gateway's `[decision] noauth_project` is the project, as the demo sets it), so
this is what a demo user gets. Two podsim pods sit behind the gateway (az-east in pod1, whose
own zone is nova-east; az-west in pod2). One module-wide tour makes a network with a subnet, a
boot and a data volume and a server on the network in each zone; the tests read it back with
the CLI and check the pods directly.

Not here, as `auth_type: none` cannot run them: `quota show` (OSC takes the project from the
token), `versions show` and `catalog list` (they read Keystone's catalog); they are in
test_osc_commands_keystone.py.
"""

import ipaddress
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.cloud import TWO_PODS, running_cloud
from harness.demo import clouds_yaml
from harness.gateway import Gateway
from harness.http import call
from harness.procs import SimPod
from tests.fixtures.osc import Osc

# The tour runs a dozen `openstack` commands before the first test's own.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(360)]

LAYOUT = TWO_PODS
ZONES = tuple(az for az, _ in LAYOUT.values())
POD_OF = {az: pod for pod, (az, _) in LAYOUT.items()}
SUBNETS = {az: f"10.{number}.0.0/24" for number, az in enumerate(ZONES, 1)}
PROJECT = uuid.uuid4().hex


@dataclass(frozen=True)
class Tour:
    """What the tour made, by zone: ids as the CLI printed them."""

    gateway: Gateway
    pods: dict[str, SimPod]
    osc: Osc
    networks: dict[str, str]
    boot: dict[str, str]
    data: dict[str, str]
    servers: dict[str, str]


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tour]:
    root = tmp_path_factory.mktemp("osc-commands")
    env = {"PODGATE_DECISION_NOAUTH_PROJECT": PROJECT}
    with running_cloud(root, LAYOUT, extra_env=env) as (gateway, pods):
        clouds = root / "clouds.yaml"
        network = f"http://127.0.0.1:{gateway.network_port}"
        clouds.write_text(
            clouds_yaml(
                f"{gateway.compute_url}/{PROJECT}", f"{gateway.volume_url}/{PROJECT}", network
            )
        )
        osc = Osc(clouds, timeout_s=120)
        networks = osc.json_all(
            [["network", "create", "--availability-zone-hint", az, f"net-{az}"] for az in ZONES]
        )
        made = osc.json_all(
            [
                *(["subnet", "create", "--network", f"net-{az}", "--subnet-range", SUBNETS[az],
                   f"sub-{az}"] for az in ZONES),
                *(["volume", "create", "--size", "1", "--availability-zone", az, f"{kind}-{az}"]
                  for az in ZONES for kind in ("boot", "data")),
            ]
        )  # fmt: skip
        volumes = {volume["name"]: volume["id"] for volume in made[len(ZONES) :]}
        servers = osc.json_all(
            [
                ["server", "create", "--flavor", "m1.tiny", "--volume", volumes[f"boot-{az}"],
                 "--network", f"net-{az}", "--wait", f"vm-{az}"]
                for az in ZONES
            ]
        )  # fmt: skip
        assert [server["status"] for server in servers] == ["ACTIVE"] * len(ZONES)
        yield Tour(
            gateway,
            pods,
            osc,
            networks={az: made["id"] for az, made in zip(ZONES, networks, strict=True)},
            boot={az: volumes[f"boot-{az}"] for az in ZONES},
            data={az: volumes[f"data-{az}"] for az in ZONES},
            servers={az: server["id"] for az, server in zip(ZONES, servers, strict=True)},
        )


def _pod_get(tour: Tour, az: str, path: str) -> dict:
    """`path` below the zone's pod's compute endpoint, for the project, asked directly."""
    status, _, body = call("GET", f"{tour.pods[POD_OF[az]].compute_url}/{PROJECT}{path}")
    assert status == 200, body
    return body


def test_zone_lists_show_the_users_zones_only(tour: Tour) -> None:
    plain, long = tour.osc.json_all(
        [["availability", "zone", "list"], ["availability", "zone", "list", "--long"]]
    )
    # Without flags: Nova's, Cinder's and Neutron's zones (one row per network resource).
    assert sorted(zone["Zone Name"] for zone in plain) == sorted(ZONES * 4)
    assert {zone["Zone Status"] for zone in plain} == {"available"}
    resources = sorted((zone["Zone Name"], zone["Zone Resource"]) for zone in long)
    assert resources == sorted(
        (az, resource) for az in ZONES for resource in ("", "", "network", "router")
    )
    hidden = {*LAYOUT, *(inner for _, inner in LAYOUT.values())}
    assert not hidden & {value for zone in long for value in zone.values()}


def test_flavor_list_and_a_keypair_every_pod_holds(tour: Tour, tmp_path: Path) -> None:
    name = f"key-{PROJECT[:8]}"
    private = tmp_path / "key"
    flavors, created = tour.osc.json_all(
        [["flavor", "list"], ["keypair", "create", "--private-key", str(private), name]]
    )
    assert [flavor["Name"] for flavor in flavors][:2] == ["m1.tiny", "m1.small"]
    assert created["name"] == name and private.read_text().startswith("-----BEGIN ")
    listed, shown = tour.osc.json_all([["keypair", "list"], ["keypair", "show", name]])
    assert {"Name": name, "Fingerprint": created["fingerprint"], "Type": "ssh"} in listed
    assert shown["fingerprint"] == created["fingerprint"]
    for az in ZONES:
        held = _pod_get(tour, az, "/os-keypairs")["keypairs"]
        fingerprints = {pair["keypair"]["name"]: pair["keypair"]["fingerprint"] for pair in held}
        assert fingerprints[name] == created["fingerprint"]


def test_server_list_long_and_show_name_the_users_zones(tour: Tour) -> None:
    listed, *shown = tour.osc.json_all(
        [["server", "list", "--long"], *(["server", "show", f"vm-{az}"] for az in ZONES)]
    )
    rows = sorted((s["ID"], s["Name"], s["Status"], s["Availability Zone"]) for s in listed)
    assert rows == sorted((tour.servers[az], f"vm-{az}", "ACTIVE", az) for az in ZONES)
    for az, server in zip(ZONES, shown, strict=True):
        assert (server["id"], server["status"]) == (tour.servers[az], "ACTIVE")
        assert server["OS-EXT-AZ:availability_zone"] == az
        assert server["image"] == "N/A (booted from volume)"


def test_server_list_long_and_show_name_the_flavor(tour: Tour) -> None:
    """At microversion 2.47+ a server embeds its flavor (`original_name`): needs podsim's
    flavor object of those microversions (branch i19-podsim)."""
    listed, *shown = tour.osc.json_all(
        [["server", "list", "--long"], *(["server", "show", f"vm-{az}"] for az in ZONES)]
    )
    assert [server["Flavor"] for server in listed] == ["m1.tiny"] * len(ZONES)
    assert [server["flavor"]["original_name"] for server in shown] == ["m1.tiny"] * len(ZONES)


def test_server_on_a_network_has_an_address_on_it(tour: Tour) -> None:
    """podsim gives a server made with `networks` a port on each (server_ports.py)."""
    shown = tour.osc.json_all([["server", "show", f"vm-{az}"] for az in ZONES])
    for az, server in zip(ZONES, shown, strict=True):
        (address,) = server["addresses"][f"net-{az}"]
        assert ipaddress.ip_address(address) in ipaddress.ip_network(SUBNETS[az])


def test_volume_list_long_attach_and_detach(tour: Tour) -> None:
    osc, servers, data = tour.osc, tour.servers, tour.data
    listed = osc.json("volume", "list", "--long")
    names = {tour.boot[az]: f"boot-{az}" for az in ZONES}
    names |= {data[az]: f"data-{az}" for az in ZONES}
    assert {volume["ID"]: volume["Name"] for volume in listed} == names
    assert {volume["Status"] for volume in listed if volume["ID"] in data.values()} == {"available"}

    attached = osc.json_all([["server", "add", "volume", servers[az], data[az]] for az in ZONES])
    assert [a["Volume ID"] for a in attached] == [data[az] for az in ZONES]
    shown = osc.json_all([["volume", "show", data[az]] for az in ZONES])
    for az, volume in zip(ZONES, shown, strict=True):
        assert volume["status"] == "in-use"
        assert [a["server_id"] for a in volume["attachments"]] == [servers[az]]
        assert data[az] in _attached_in_pod(tour, az)

    removed = osc.run_all([["server", "remove", "volume", servers[az], data[az]] for az in ZONES])
    assert [done.returncode for done in removed] == [0] * len(ZONES), removed
    shown = osc.json_all([["volume", "show", data[az]] for az in ZONES])
    assert [(volume["status"], volume["attachments"]) for volume in shown] == [
        ("available", [])
    ] * len(ZONES)
    assert not {data[az] for az in ZONES} & {v for az in ZONES for v in _attached_in_pod(tour, az)}


def test_limits_show_absolute_counts_every_pod(tour: Tour) -> None:
    limits = {row["Name"]: row["Value"] for row in tour.osc.json("limits", "show", "--absolute")}
    pods = [_pod_get(tour, az, "/limits")["limits"]["absolute"] for az in ZONES]
    # Limits as the pods show them (one configuration), usage summed over the pods.
    assert limits["max_total_instances"] == pods[0]["maxTotalInstances"] > 0
    assert limits["max_total_cores"] == pods[0]["maxTotalCores"] > 0
    assert limits["max_total_ram_size"] == pods[0]["maxTotalRAMSize"] > 0
    assert [pod["totalInstancesUsed"] for pod in pods] == [1] * len(ZONES)
    assert limits["total_instances_used"] == len(ZONES)
    assert limits["total_cores_used"] == sum(pod["totalCoresUsed"] for pod in pods)
    assert limits["total_ram_used"] == sum(pod["totalRAMUsed"] for pod in pods) > 0
    assert limits["max_total_volumes"] > 0 and limits["max_total_volume_gigabytes"] > 0
    assert limits["total_volumes_used"] == 2 * len(ZONES)
    assert limits["total_gigabytes_used"] == 2 * len(ZONES)


def _attached_in_pod(tour: Tour, az: str) -> list[str]:
    """The volumes the zone's server has attached, as its pod says."""
    held = _pod_get(tour, az, f"/servers/{tour.servers[az]}/os-volume_attachments")
    return [attachment["volumeId"] for attachment in held["volumeAttachments"]]
