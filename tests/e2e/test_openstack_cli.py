"""The real `openstack` command (python-openstackclient) drives the gateway like one cloud.

Each command runs as a child process with the README's no-Keystone clouds.yaml (the gateway's
URLs as endpoint overrides, identity discovery at the gateway's v3 document, no image service),
and its `-f json` output is checked against the pods directly. Without Glance, servers boot
from a volume (`--volume`); `--image` looks the image up in Glance.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.cloud import TWO_PODS, running_cloud
from harness.demo import clouds_yaml
from harness.gateway import Gateway
from harness.http import call
from harness.procs import SimPod
from tests.fixtures.osc import Osc

pytestmark = pytest.mark.e2e

LAYOUT = TWO_PODS
EAST, WEST = (az for az, _ in LAYOUT.values())


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, dict[str, SimPod]]]:
    with running_cloud(tmp_path_factory.mktemp("osc"), LAYOUT) as running:
        yield running


@pytest.fixture
def osc(cloud, project: str, tmp_path: Path) -> Osc:
    """`openstack` with the demo's clouds.yaml, for `project`."""
    gateway, _ = cloud
    clouds = tmp_path / "clouds.yaml"
    network = f"http://127.0.0.1:{gateway.network_port}"
    urls = (f"{gateway.compute_url}/{project}", f"{gateway.volume_url}/{project}", network)
    clouds.write_text(clouds_yaml(*urls))
    return Osc(clouds)


def _in_pod(pods: dict[str, SimPod], path: str) -> list[str]:
    """The pods holding `path` (asked directly, not through the gateway)."""
    return [name for name, sim in pods.items() if call("GET", f"{sim.url}{path}")[0] == 200]


def test_zones_flavors_servers_volumes_and_attachments_through_the_cli(
    cloud, project: str, osc: Osc
) -> None:
    _, pods = cloud
    zones, flavors = osc.json_all(
        [["availability", "zone", "list", "--volume"], ["flavor", "list"]]
    )
    assert [(z["Zone Name"], z["Zone Status"]) for z in zones] == [
        (EAST, "available"),
        (WEST, "available"),
    ]
    assert [f["Name"] for f in flavors][:2] == ["m1.tiny", "m1.small"]

    volumes = osc.json_all(
        [
            ["volume", "create", "--size", "1", "--availability-zone", az, f"{kind}-{az}"]
            for az in (EAST, WEST)
            for kind in ("boot", "data")
        ]
    )
    boot = {v["availability_zone"]: v["id"] for v in volumes if v["name"].startswith("boot-")}
    data = {v["availability_zone"]: v["id"] for v in volumes if v["name"].startswith("data-")}
    assert sorted(boot) == sorted(data) == [EAST, WEST]
    for (pod, _), az in zip(LAYOUT.items(), (EAST, WEST), strict=True):
        for volume_id in (boot[az], data[az]):
            assert _in_pod(pods, f"/volume/v3/{project}/volumes/{volume_id}") == [pod]

    created = osc.json_all([[*_server_create(boot[az], az), "--wait"] for az in (EAST, WEST)])
    servers = {az: server["id"] for az, server in zip((EAST, WEST), created, strict=True)}
    assert {s["status"] for s in created} == {"ACTIVE"}
    for pod, az in zip(LAYOUT, (EAST, WEST), strict=True):
        assert _in_pod(pods, f"/compute/v2.1/{project}/servers/{servers[az]}") == [pod]

    listed, shown, volume_list = osc.json_all(
        [["server", "list", "--long"], ["server", "show", f"vm-{WEST}"], ["volume", "list"]]
    )
    assert sorted((s["Name"], s["Availability Zone"]) for s in listed) == [
        (f"vm-{EAST}", EAST),
        (f"vm-{WEST}", WEST),
    ]
    assert (shown["name"], shown["OS-EXT-AZ:availability_zone"]) == (f"vm-{WEST}", WEST)
    assert sorted(v["ID"] for v in volume_list) == sorted([*boot.values(), *data.values()])

    across, *attached = osc.run_all(
        [
            ["server", "add", "volume", servers[EAST], data[WEST]],
            *(["server", "add", "volume", servers[az], data[az]] for az in (EAST, WEST)),
        ]
    )
    assert across.returncode != 0
    assert "are not in the same availability_zone. Instance is in az-east" in across.stderr
    assert "400" in across.stderr
    for done in attached:
        assert done.returncode == 0, done.stderr
    for az in (EAST, WEST):
        path = f"/compute/v2.1/{project}/servers/{servers[az]}/os-volume_attachments"
        pod = next(name for name, (zone, _) in LAYOUT.items() if zone == az)
        _, _, body = call("GET", f"{pods[pod].url}{path}")
        # The boot volume is attached too, as Nova lists it.
        assert [a["volumeId"] for a in body["volumeAttachments"]] == [boot[az], data[az]]

    for az in (EAST, WEST):
        assert osc.run("server", "remove", "volume", servers[az], data[az]).returncode == 0
    deleted = osc.run("server", "delete", "--wait", *servers.values())
    assert deleted.returncode == 0, deleted.stderr
    removed = osc.run("volume", "delete", *boot.values(), *data.values())
    assert removed.returncode == 0, removed.stderr
    assert osc.json_all([["server", "list"], ["volume", "list"]]) == [[], []]
    for name in pods:
        for path in (f"/compute/v2.1/{project}/servers", f"/volume/v3/{project}/volumes"):
            _, _, body = call("GET", f"{pods[name].url}{path}")
            assert body == {"servers": []} or body == {"volumes": []}


def test_compute_zones_list(osc: Osc) -> None:
    """OSC asks `/detail` and falls back to the plain list only on a 403 (Nova's policy)."""
    zones = osc.json("availability", "zone", "list", "--compute")
    assert [z["Zone Name"] for z in zones] == [EAST, WEST]


def test_server_show_by_id_names_the_user_facing_zone(osc: Osc) -> None:
    volume = osc.json("volume", "create", "--size", "1", "--availability-zone", EAST, "boot")
    created = osc.json(*_server_create(volume["id"], EAST))
    shown = osc.json("server", "show", created["id"])
    assert shown["OS-EXT-AZ:availability_zone"] == EAST


def _server_create(volume_id: str, az: str) -> list[str]:
    """`server create` booting from `volume_id` in `az`, without networks (`--nic none`)."""
    zone = ["--availability-zone", az, "--nic", "none", f"vm-{az}"]
    return ["server", "create", "--flavor", "m1.tiny", "--volume", volume_id, *zone]
