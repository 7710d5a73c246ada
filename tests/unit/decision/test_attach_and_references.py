"""attach and references: what attach and create bodies name for placement to follow."""

import json

import pytest

from control_plane.decision.create.references import hinted_group, references
from control_plane.decision.decisions import Reference
from control_plane.decision.mutate import parse_create
from control_plane.decision.routed.attach import referenced
from control_plane.errors import BadRequest, NotFound
from control_plane.model import ResourceType

SERVER, VOLUME = ResourceType.SERVER, ResourceType.VOLUME
SNAPSHOT, BACKUP = ResourceType.SNAPSHOT, ResourceType.BACKUP
NETWORK, SUBNET, PORT = ResourceType.NETWORK, ResourceType.SUBNET, ResourceType.PORT
ROUTER, FLOATING_IP = ResourceType.ROUTER, ResourceType.FLOATING_IP


def test_nova_attachments_name_the_volume() -> None:
    body = b'{"volumeAttachment": {"volumeId": "v1", "device": "/dev/vdb"}}'
    assert referenced(SERVER, body) == Reference(VOLUME, "v1")


def test_cinder_os_attach_names_the_server() -> None:
    body = b'{"os-attach": {"instance_uuid": "s1", "mountpoint": "/dev/vdb"}}'
    assert referenced(VOLUME, body) == Reference(SERVER, "s1")


@pytest.mark.parametrize(
    ("owner", "body", "named"),
    [
        (ROUTER, {"router": {"external_gateway_info": {"network_id": "ext"}}}, (NETWORK, "ext")),
        (ROUTER, {"subnet_id": "sub1"}, (SUBNET, "sub1")),
        (ROUTER, {"port_id": "port1"}, (PORT, "port1")),
        (FLOATING_IP, {"floatingip": {"port_id": "port1"}}, (PORT, "port1")),
    ],
)
def test_neutron_attachments_name_what_they_connect(
    owner: ResourceType, body: object, named: tuple[ResourceType, str]
) -> None:
    assert referenced(owner, json.dumps(body).encode()) == Reference(*named)


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
        (ROUTER, b'{"router": {"name": "r"}}'),
        (ROUTER, b'{"router": {"external_gateway_info": null}}'),
        (ROUTER, b'{"router": {"external_gateway_info": {}}, "subnet_id": "sub1"}'),
        (FLOATING_IP, b'{"floatingip": {"port_id": null}}'),
        (FLOATING_IP, b'{"floatingip": {"description": "d"}}'),
    ],
)
def test_bodies_naming_nothing_are_left_to_the_pod(owner: ResourceType, body: bytes) -> None:
    assert referenced(owner, body) is None


BOOT_VOLUME = {"boot_index": 0, "uuid": "v1", "source_type": "volume", "destination_type": "volume"}


def test_a_server_names_its_networks_ports_and_boot_sources_in_body_order() -> None:
    server = {
        "networks": [{"uuid": "n1"}, {"port": "port1"}, {"uuid": "n2", "fixed_ip": "10.0.0.5"}],
        "block_device_mapping_v2": [
            BOOT_VOLUME,
            {"uuid": "s1", "source_type": "snapshot", "destination_type": "volume"},
            {"uuid": "img", "source_type": "image", "destination_type": "volume"},
            {"source_type": "blank", "destination_type": "local", "guest_format": "swap"},
        ],
        "block_device_mapping": [{"device_name": "vdb", "snapshot_id": "s2"}],
        "os:scheduler_hints": {"group": "g1"},
    }
    assert references(SERVER, server) == (
        Reference(NETWORK, "n1"),
        Reference(PORT, "port1"),
        Reference(NETWORK, "n2"),
        Reference(VOLUME, "v1"),
        Reference(SNAPSHOT, "s1"),
        Reference(SNAPSHOT, "s2"),
    )


@pytest.mark.parametrize("hints", ["os:scheduler_hints", "OS-SCH-HNT:scheduler_hints"])
def test_a_server_follows_the_group_its_scheduler_hints_name_beside_the_server(hints) -> None:
    document = {"server": {"networks": [{"uuid": "n1"}]}, hints: {"group": "g1"}}
    group = Reference(ResourceType.SERVER_GROUP, "g1")
    assert hinted_group(SERVER, document) == (group,)
    assert parse_create(SERVER, json.dumps(document).encode()).references == (
        Reference(NETWORK, "n1"),
        group,
    )


@pytest.mark.parametrize(
    "hints", [{"group": ""}, {"group": ["g1"]}, {"group": "../g1"}, {"same_host": "x"}, "g1"]
)
def test_scheduler_hints_naming_no_group_name_nothing(hints: object) -> None:
    assert hinted_group(SERVER, {"os:scheduler_hints": hints}) == ()


def test_only_a_server_follows_a_hinted_group() -> None:
    assert hinted_group(VOLUME, {"os:scheduler_hints": {"group": "g1"}}) == ()


@pytest.mark.parametrize(
    "server",
    [
        {"networks": "auto"},
        {"networks": "none"},
        {"networks": [{"uuid": ""}, "n1", {"port": 3}]},
        {"block_device_mapping_v2": {"uuid": "v1"}},
        {"block_device_mapping_v2": [{"uuid": "v1"}, {"source_type": "volume"}, "v1"]},
        {"block_device_mapping_v2": [{"uuid": "v1", "source_type": ["volume"]}]},
        {"block_device_mapping": [{"volume_id": ""}, "v1"], "block_device_mapping_v2": None},
    ],
)
def test_a_server_field_of_the_wrong_shape_names_nothing(server: dict) -> None:
    assert references(SERVER, server) == ()


@pytest.mark.parametrize(
    ("resource_type", "resource", "named"),
    [
        (VOLUME, {"snapshot_id": "s1"}, [(SNAPSHOT, "s1")]),
        (VOLUME, {"source_volid": "v1"}, [(VOLUME, "v1")]),
        (VOLUME, {"backup_id": "b1", "imageRef": "img"}, [(BACKUP, "b1")]),
        (VOLUME, {"size": 1}, []),
        (SNAPSHOT, {"volume_id": "v1"}, [(VOLUME, "v1")]),
        (BACKUP, {"volume_id": "v1"}, [(VOLUME, "v1")]),
        (SUBNET, {"network_id": "n1", "cidr": "10.0.0.0/24"}, [(NETWORK, "n1")]),
        (PORT, {"network_id": "n1"}, [(NETWORK, "n1")]),
        (PORT, {}, []),
        (
            FLOATING_IP,
            {"floating_network_id": "ext", "port_id": "p1"},
            [(NETWORK, "ext"), (PORT, "p1")],
        ),
        (ROUTER, {"external_gateway_info": {"network_id": "ext"}}, [(NETWORK, "ext")]),
        (ROUTER, {"name": "r"}, []),
        (NETWORK, {"name": "n", "availability_zone_hints": ["az1"]}, []),
    ],
)
def test_creates_name_their_sources(
    resource_type: ResourceType, resource: dict, named: list[tuple[ResourceType, str]]
) -> None:
    assert references(resource_type, resource) == tuple(Reference(*ref) for ref in named)


@pytest.mark.parametrize("resource", [{}, {"volume_id": ""}, {"volume_id": 7}, {"name": "n"}])
@pytest.mark.parametrize("resource_type", [SNAPSHOT, BACKUP])
def test_a_snapshot_or_backup_without_a_source_volume_is_a_400(
    resource_type: ResourceType, resource: dict
) -> None:
    with pytest.raises(BadRequest, match="'volume_id' is a required property"):
        references(resource_type, resource)


def test_a_snapshot_of_volume_null_is_cinder_s_404() -> None:
    with pytest.raises(NotFound, match=r"^Volume None could not be found\.$"):
        references(SNAPSHOT, {"volume_id": None, "name": "s"})
    with pytest.raises(BadRequest, match="'volume_id' is a required property"):
        references(BACKUP, {"volume_id": None})
