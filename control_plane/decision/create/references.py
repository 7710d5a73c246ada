"""What a create body names that the new resource must live beside (in the same pod).

A server uses its networks, ports and boot volume or snapshot; a volume is made from a snapshot,
a volume or a backup (and joins a group); snapshots, backups, transfers and attachments (with
their server) are of a volume; a group is copied from a group or group snapshot, a group
snapshot is of a group; subnets and ports belong to a network,
a floating IP to an external network (and maybe a port), a router's gateway to a network.
A server also follows its server group (`os:scheduler_hints.group`, beside the `server` object;
`OS-SCH-HNT:scheduler_hints` is the old name Nova still reads). Fields of the wrong shape name
nothing: the pod judges them.
"""

from collections.abc import Mapping
from typing import Any

from control_plane.decision.decisions import Reference
from control_plane.decision.families import RESOURCE_ID
from control_plane.decision.resources import SPECS
from control_plane.errors import BadRequest, NotFound
from control_plane.model import ResourceType

__all__ = ["gateway_network", "hinted_group", "references"]

_NETWORK, _PORT = ResourceType.NETWORK, ResourceType.PORT
_VOLUME, _SNAPSHOT, _BACKUP = ResourceType.VOLUME, ResourceType.SNAPSHOT, ResourceType.BACKUP
_GROUP, _GROUP_SNAPSHOT = ResourceType.GROUP, ResourceType.GROUP_SNAPSHOT
# Fields naming one resource each, by the type of the resource created.
_FIELDS: Mapping[ResourceType, tuple[tuple[str, ResourceType], ...]] = {
    _VOLUME: (
        ("snapshot_id", _SNAPSHOT),
        ("source_volid", _VOLUME),
        ("backup_id", _BACKUP),
        ("group_id", _GROUP),
    ),
    _SNAPSHOT: (("volume_id", _VOLUME),),
    _BACKUP: (("volume_id", _VOLUME),),
    ResourceType.TRANSFER: (("volume_id", _VOLUME),),
    ResourceType.ATTACHMENT: (("volume_uuid", _VOLUME), ("instance_uuid", ResourceType.SERVER)),
    _GROUP: (("group_snapshot_id", _GROUP_SNAPSHOT), ("source_group_id", _GROUP)),
    _GROUP_SNAPSHOT: (("group_id", _GROUP),),
    ResourceType.SUBNET: (("network_id", _NETWORK),),
    _PORT: (("network_id", _NETWORK),),
    ResourceType.FLOATING_IP: (("floating_network_id", _NETWORK), ("port_id", _PORT)),
}
# `block_device_mapping_v2[].source_type` values naming a pod's resource (images are shared).
_BOOT_SOURCES = {"volume": _VOLUME, "snapshot": _SNAPSHOT}
# The legacy `block_device_mapping[]` names them in fields of their own.
_LEGACY_SOURCES = (("volume_id", _VOLUME), ("snapshot_id", _SNAPSHOT))
# The field naming what it is made from, always: without it no placement (Cinder's own 400).
_REQUIRED: Mapping[ResourceType, str] = {
    _SNAPSHOT: "volume_id",
    _BACKUP: "volume_id",
    ResourceType.TRANSFER: "volume_id",
    ResourceType.ATTACHMENT: "volume_uuid",
    _GROUP_SNAPSHOT: "group_id",
}


def references(resource_type: ResourceType, resource: Mapping[str, Any]) -> tuple[Reference, ...]:
    """The resources a create's `resource` (the body's member object) names, in body order.

    BadRequest for a snapshot, backup, transfer or attachment that names no volume (a group
    snapshot no group); NotFound for a snapshot whose
    `volume_id` is null (Cinder's schema allows it, then finds no volume None).
    """
    named = [
        Reference(named_type, value)
        for field, named_type in _FIELDS.get(resource_type, ())
        if _is_id(value := resource.get(field))
    ]
    if resource_type is ResourceType.SERVER:
        named = [*_networks(resource.get("networks")), *_boot(resource)]
    elif resource_type is ResourceType.ROUTER:
        gateway = gateway_network(resource.get("external_gateway_info"))
        named = [gateway] if gateway else []
    if resource_type is _SNAPSHOT and "volume_id" in resource and resource["volume_id"] is None:
        raise NotFound("Volume None could not be found.")
    required = _REQUIRED.get(resource_type)
    if required is not None and not _is_id(resource.get(required)):
        member = SPECS[resource_type].member
        raise BadRequest(
            f"Invalid input for field/attribute {member}. '{required}' is a required property."
        )
    return tuple(named)


def gateway_network(gateway: object) -> Reference | None:
    """The network a router's `external_gateway_info` names, if any."""
    if not isinstance(gateway, dict) or not _is_id(network := gateway.get("network_id")):
        return None
    return Reference(_NETWORK, network)


def _networks(networks: object) -> list[Reference]:
    """`networks[].uuid` and `networks[].port` (`"auto"` and `"none"` name nothing)."""
    named = []
    for entry in _dicts(networks):
        if _is_id(network := entry.get("uuid")):
            named.append(Reference(_NETWORK, network))
        if _is_id(port := entry.get("port")):
            named.append(Reference(_PORT, port))
    return named


def _boot(server: Mapping[str, Any]) -> list[Reference]:
    """The volumes and snapshots the block device mappings (v2, then legacy) boot or attach."""
    named = [
        Reference(_BOOT_SOURCES[source], mapping["uuid"])
        for mapping in _dicts(server.get("block_device_mapping_v2"))
        if isinstance(source := mapping.get("source_type"), str)
        and source in _BOOT_SOURCES
        and _is_id(mapping.get("uuid"))
    ]
    for mapping in _dicts(server.get("block_device_mapping")):
        named += [
            Reference(named_type, value)
            for field, named_type in _LEGACY_SOURCES
            if _is_id(value := mapping.get(field))
        ]
    return named


# Where a server create's scheduler hints are, current name first.
_HINTS = ("os:scheduler_hints", "OS-SCH-HNT:scheduler_hints")


def hinted_group(resource_type: ResourceType, document: Mapping[str, Any]) -> tuple[Reference, ...]:
    """The server group a server create's scheduler hints name, beside its `server` object
    (Nova reads either key); nothing for other creates."""
    if resource_type is not ResourceType.SERVER:
        return ()
    for key in _HINTS:
        hints = document.get(key)
        group = hints.get("group") if isinstance(hints, dict) else None
        # Nova's schema wants a UUID: anything else is the pod's to refuse, never probed for.
        if isinstance(group, str) and RESOURCE_ID.fullmatch(group):
            return (Reference(ResourceType.SERVER_GROUP, group),)
    return ()


def _dicts(entries: object) -> list[dict[str, Any]]:
    """The objects of a list field (anything else in it, or another type, names nothing)."""
    if not isinstance(entries, list):
        return []
    return [entry for entry in entries if isinstance(entry, dict)]


def _is_id(value: object) -> bool:
    return isinstance(value, str) and bool(value)
