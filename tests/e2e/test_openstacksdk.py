"""openstacksdk, unchanged, drives the gateway (real Envoy, two simulated pods) like one cloud.

The test writes a clouds.yaml (no auth, the gateway's URLs as endpoint overrides) and uses
`openstack.connect` to create, list, show, attach and delete servers, volumes and snapshots in
both AZs; every call goes through the gateway, checked against the pods directly.
"""

from collections.abc import Iterator
from pathlib import Path

import openstack
import pytest
from openstack import exceptions

from harness.cloud import TWO_PODS, running_cloud
from harness.gateway import Gateway
from harness.http import call
from harness.procs import WAIT_S, SimPod

pytestmark = pytest.mark.e2e

LAYOUT = TWO_PODS
_WAIT = {"wait": WAIT_S, "interval": 0.1}  # ends once the status is reached


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, dict[str, SimPod]]]:
    with running_cloud(tmp_path_factory.mktemp("sdk"), LAYOUT) as running:
        yield running


@pytest.fixture
def conn(
    cloud: tuple[Gateway, dict[str, SimPod]],
    project: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[openstack.connection.Connection]:
    """`openstack.connect(cloud="podgate")` from a clouds.yaml naming the gateway's endpoints."""
    gateway, _ = cloud
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(
        "clouds:\n"
        "  podgate:\n"
        "    auth_type: none\n"
        f"    compute_endpoint_override: {gateway.compute_url}/{project}\n"
        f"    block_storage_endpoint_override: {gateway.volume_url}/{project}\n"
        "    block_storage_api_version: '3'\n"
    )
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    connection = openstack.connect(cloud="podgate")
    yield connection
    connection.close()


def _pod_has(pods: dict[str, SimPod], pod: str, path: str) -> bool:
    return call("GET", f"{pods[pod].url}{path}")[0] == 200


def test_servers_volumes_snapshots_and_attachments_across_two_pods(cloud, project, conn) -> None:
    _, pods = cloud
    placed = {}
    for pod, (az, _) in LAYOUT.items():
        server = conn.compute.create_server(
            name=f"vm-{az}", flavor_id="1", image_id="img-1", availability_zone=az, networks="none"
        )
        server = conn.compute.wait_for_server(server, **_WAIT)
        volume = conn.block_storage.create_volume(size=1, name=f"vol-{az}", availability_zone=az)
        volume = conn.block_storage.wait_for_status(volume, "available", **_WAIT)
        snapshot = conn.block_storage.create_snapshot(volume_id=volume.id, name=f"snap-{az}")
        snapshot = conn.block_storage.wait_for_status(snapshot, "available", **_WAIT)
        assert _pod_has(pods, pod, f"/compute/v2.1/{project}/servers/{server.id}")
        assert _pod_has(pods, pod, f"/volume/v3/{project}/snapshots/{snapshot.id}")
        assert volume.availability_zone == az
        placed[pod] = (server, volume, snapshot)

    assert sorted(s.name for s in conn.compute.servers()) == ["vm-az-east", "vm-az-west"]
    assert sorted(v.name for v in conn.block_storage.volumes()) == ["vol-az-east", "vol-az-west"]
    assert sorted(s.name for s in conn.block_storage.snapshots()) == [
        "snap-az-east",
        "snap-az-west",
    ]
    east_server, east_volume, east_snapshot = placed["pod1"]
    west_server, west_volume, _ = placed["pod2"]
    assert conn.compute.get_server(west_server.id).name == "vm-az-west"
    assert conn.block_storage.get_volume(east_volume.id).size == 1
    assert conn.block_storage.get_snapshot(east_snapshot.id).volume_id == east_volume.id

    with pytest.raises(exceptions.BadRequestException, match="not in the same availability_zone"):
        conn.compute.create_volume_attachment(east_server, volume=west_volume)
    for server, volume, _ in placed.values():
        attachment = conn.compute.create_volume_attachment(server, volume=volume)
        assert attachment.volume_id == volume.id
        conn.block_storage.wait_for_status(volume, "in-use", **_WAIT)
        assert [a.volume_id for a in conn.compute.volume_attachments(server)] == [volume.id]

    for server, volume, snapshot in placed.values():
        conn.compute.delete_volume_attachment(server, volume)
        conn.block_storage.wait_for_status(volume, "available", **_WAIT)
        conn.block_storage.delete_snapshot(snapshot)
        conn.block_storage.wait_for_delete(snapshot, **_WAIT)
        conn.block_storage.delete_volume(volume)
        conn.block_storage.wait_for_delete(volume, **_WAIT)
        conn.compute.delete_server(server)
        conn.compute.wait_for_delete(server, **_WAIT)
    assert list(conn.compute.servers()) == []
    assert list(conn.block_storage.volumes()) == []
    assert list(conn.block_storage.snapshots()) == []


def test_shared_objects_limits_and_availability_zones_through_the_sdk(conn) -> None:
    assert [f.name for f in conn.compute.flavors()][:2] == ["m1.tiny", "m1.small"]
    keypair = conn.compute.create_keypair(name="sdk-key")
    assert (
        keypair.private_key and conn.compute.get_keypair("sdk-key").public_key == keypair.public_key
    )
    zones = sorted(z.name for z in conn.compute.availability_zones())
    assert zones == ["az-east", "az-west"]
    # The pods' default (10 each), not their sum: docs/quotas.md
    assert conn.compute.get_limits().absolute.instances == 10
    conn.compute.delete_keypair("sdk-key")
    assert [k.name for k in conn.compute.keypairs()] == []
