"""What creating or deleting a server or a volume does to the pod's other records, as Nova and
Cinder do it: a server keeps a copy of its flavor, attaches its boot volumes and gets its ports
(server_ports.py), its deletion detaches them (deleting those marked delete_on_termination) and
deletes the ports made for it; a volume shows its type's name
and id, and Cinder refuses to delete one attached, in a group, with snapshots or busy.
"""

from functools import partial
from typing import Any

from aiohttp import web

from podsim.attacher import Attacher
from podsim.attachments import server_attachment
from podsim.faults import BadRequest
from podsim.flavors import Flavors
from podsim.handlers import Lifecycle
from podsim.kind import Record
from podsim.network.model import NetState
from podsim.server_ports import plug, unplug
from podsim.settling import Settling
from podsim.store import Store
from podsim.volume_types import VolumeTypes

__all__ = ["server_lifecycle", "volume_lifecycle"]

# cinder/volume/api.py API.delete: the statuses a volume may be deleted in (without force).
_DELETABLE = ("available", "error", "error_restoring", "error_extending", "error_managing")
_NOT_DELETABLE = (
    "Invalid volume: Volume status must be " + " or ".join(_DELETABLE) + " and must not be "
    "migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be "
    "disassociated from snapshots after volume transfer."
)
_BOOT_DEVICE = "/dev/vda"
_LETTERS = "bcdefghijklmnopqrstuvwxyz"
_TRUE_WORDS = ("1", "true", "t", "yes", "y", "on")


def server_lifecycle(
    flavors: Flavors, volumes: Store, attacher: Attacher, settling: Settling, network: NetState
) -> Lifecycle:
    """Hooks of the servers collection."""

    def created(project_id: str, server: Record) -> None:
        server["flavor"] = flavors.copy_for_server(server["instance_type_id"])
        mappings = _volume_mappings(server["request"])
        found = [(mapping, _boot_volume(volumes, project_id, mapping)) for mapping in mappings]
        ids = [volume["id"] for _, volume in found]
        if len(set(ids)) < len(ids) or len(ids) > len(_LETTERS):
            raise BadRequest("Block Device Mapping is Invalid: each volume once, at most 25.")
        for _, volume in found:
            attacher.check(volume)
        for index, (mapping, volume) in enumerate(found):
            boot = str(mapping.get("boot_index")) == "0"
            device = _BOOT_DEVICE if boot else f"/dev/vd{_LETTERS[index]}"
            entry = attacher.attach(volume, server_id=server["uuid"], device=device)
            server["attachments"][volume["id"]] = server_attachment(
                server, volume["id"], device, entry, mapping
            )
        plug(network, server)

    def deleting(request: web.Request, server: Record) -> None:
        unplug(network, server)
        for attachment in server["attachments"].values():
            volume = volumes.get(server["project_id"], attachment["volumeId"])
            if volume is None:
                continue
            attacher.detach(volume, server_id=server["uuid"])
            if attachment["delete_on_termination"]:
                settling.finish(partial(volumes.remove, server["project_id"], volume["id"]))

    return Lifecycle(created=created, deleting=deleting)


def volume_lifecycle(types: VolumeTypes, snapshots: Store) -> Lifecycle:
    """Hooks of the volumes collection."""

    def created(project_id: str, volume: Record) -> None:
        volume_type = types.find(str(volume["volume_type"]))
        if volume_type is not None:
            volume["volume_type"] = volume_type["name"]
            volume["volume_type_id"] = volume_type["id"]

    def deleting(request: web.Request, volume: Record) -> None:
        cascade = request.query.get("cascade", "").strip().lower() in _TRUE_WORDS
        own = [s for s in snapshots.records(volume["project_id"]) if s["volume_id"] == volume["id"]]
        if (
            volume["status"] not in _DELETABLE
            or volume["attachments"]
            or volume.get("group_id")
            or (own and not cascade)
        ):
            raise BadRequest(_NOT_DELETABLE)
        for snapshot in own:
            snapshots.remove(volume["project_id"], snapshot["id"])

    return Lifecycle(created=created, deleting=deleting)


def _volume_mappings(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The block_device_mapping_v2 entries that attach an existing volume."""
    mappings = request.get("block_device_mapping_v2")
    return [
        mapping
        for mapping in (mappings if isinstance(mappings, list) else [])
        if isinstance(mapping, dict)
        and mapping.get("source_type") == "volume"
        and mapping.get("destination_type", "volume") == "volume"
    ]


def _boot_volume(volumes: Store, project_id: str, mapping: dict[str, Any]) -> Record:
    volume_id = str(mapping.get("uuid") or "")
    volume = volumes.get(project_id, volume_id)
    if volume is None:
        raise BadRequest(f"Block Device Mapping is Invalid: failed to get volume {volume_id}.")
    return volume
