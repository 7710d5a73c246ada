"""attach and sources: what attach and snapshot/backup bodies name, and backup AZ rewrites."""

import json

import pytest

from control_plane.decision.create.sources import parse_sourced, sourced_body
from control_plane.decision.routed.attach import Reference, referenced
from control_plane.errors import BadRequest
from control_plane.model import Pod, ResourceType

SERVER, VOLUME = ResourceType.SERVER, ResourceType.VOLUME
SNAPSHOT, BACKUP = ResourceType.SNAPSHOT, ResourceType.BACKUP


def test_nova_attachments_name_the_volume() -> None:
    body = b'{"volumeAttachment": {"volumeId": "v1", "device": "/dev/vdb"}}'
    assert referenced(SERVER, body) == Reference(VOLUME, "v1")


def test_cinder_os_attach_names_the_server() -> None:
    body = b'{"os-attach": {"instance_uuid": "s1", "mountpoint": "/dev/vdb"}}'
    assert referenced(VOLUME, body) == Reference(SERVER, "s1")


@pytest.mark.parametrize(
    ("owner", "body"),
    [
        (SERVER, b"{not json"),
        (SERVER, b"[]"),
        (SERVER, b'{"volumeAttachment": {"device": "/dev/vdb"}}'),
        (SERVER, b'{"volumeAttachment": {"volumeId": 7}}'),
        (VOLUME, b'{"os-extend": {"new_size": 2}}'),
        (VOLUME, b'{"os-attach": {"host_name": "h1", "mountpoint": "/x"}}'),
        (VOLUME, b'{"os-attach": "s1"}'),
    ],
)
def test_bodies_naming_nothing_are_left_to_the_pod(owner: ResourceType, body: bytes) -> None:
    assert referenced(owner, body) is None


@pytest.mark.parametrize("resource_type", [SNAPSHOT, BACKUP])
def test_snapshots_and_backups_name_their_source_volume(resource_type: ResourceType) -> None:
    member = resource_type.value
    body = json.dumps({member: {"volume_id": "v1", "name": "n"}}).encode()
    assert parse_sourced(resource_type, body).volume_id == "v1"


@pytest.mark.parametrize(
    "body",
    [
        b"nope",
        b"{}",
        b'{"snapshot": "v1"}',
        b'{"snapshot": {"name": "n"}}',
        b'{"snapshot": {"volume_id": ""}}',
    ],
)
def test_a_snapshot_without_a_source_volume_is_a_400(body: bytes) -> None:
    with pytest.raises(BadRequest):
        parse_sourced(SNAPSHOT, body)


POD = Pod(name="pod1", az_name="az-east", pod_az_name="nova-east")


def test_a_backup_in_the_pods_zone_gets_the_pods_own_zone_name() -> None:
    body = b'{"backup": {"volume_id": "v1", "availability_zone": "az-east"}}'
    rewritten = sourced_body(parse_sourced(BACKUP, body), POD)
    assert rewritten is not None
    assert json.loads(rewritten) == {
        "backup": {"volume_id": "v1", "availability_zone": "nova-east"}
    }


def test_a_pod_without_an_inner_zone_name_gets_no_zone() -> None:
    body = b'{"backup": {"volume_id": "v1", "availability_zone": "az-east"}}'
    plain = Pod(name="pod2", az_name="az-east")
    rewritten = sourced_body(parse_sourced(BACKUP, body), plain)
    assert rewritten is not None and json.loads(rewritten) == {"backup": {"volume_id": "v1"}}


@pytest.mark.parametrize(
    ("resource_type", "body"),
    [
        (BACKUP, b'{"backup": {"volume_id": "v1"}}'),
        (BACKUP, b'{"backup": {"volume_id": "v1", "availability_zone": "elsewhere"}}'),
        (SNAPSHOT, b'{"snapshot": {"volume_id": "v1", "availability_zone": "az-east"}}'),
    ],
)
def test_other_bodies_go_to_the_pod_unchanged(resource_type: ResourceType, body: bytes) -> None:
    assert sourced_body(parse_sourced(resource_type, body), POD) is None
