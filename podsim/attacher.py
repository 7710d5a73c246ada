"""A volume attached and detached the same way whichever API asked (Nova's os-volume_attachments,
a boot volume, Cinder's os-attach): Cinder's checks, the volume's `attachments` and status
(attaching -> in-use, detaching -> available), and the attachment record Cinder's attachments
API lists, as Nova's attach creates one there.
"""

import uuid
from datetime import UTC, datetime
from typing import Any

from podsim.clock import Clock
from podsim.faults import BadRequest
from podsim.kind import Record
from podsim.settling import Settling
from podsim.store import Store
from podsim.volumes import cinder_time

__all__ = ["Attacher"]


class Attacher:
    """Attaches and detaches the pod's volumes; `records` is Cinder's attachments store."""

    def __init__(self, records: Store, clock: Clock, settling: Settling) -> None:
        self.records = records
        self._clock = clock
        self._settling = settling

    def check(self, volume: Record) -> None:
        """Cinder's refusal to attach a volume that is not available (unless multiattach)."""
        if volume["status"] != "available" and not (
            volume["multiattach"] and volume["attachments"]
        ):
            raise BadRequest(
                f"Invalid volume: volume '{volume['id']}' status must be 'available'. "
                f"Currently in '{volume['status']}'"
            )

    def attach(
        self, volume: Record, *, server_id: str | None, device: str, host: str | None = None
    ) -> dict[str, Any]:
        """Attach `volume` (to `server_id`, or to a host only); its attachment entry."""
        self.check(volume)
        at = self._clock.tick()
        entry = {
            "id": volume["id"],
            "attachment_id": str(uuid.uuid4()),
            "volume_id": volume["id"],
            "server_id": server_id,
            "host_name": None,
            "device": device,
            "attached_at": cinder_time(at),
        }
        volume["attachments"].append(entry)
        self.records.add(
            volume["project_id"],
            entry["attachment_id"],
            {
                "id": entry["attachment_id"],
                "volume_id": volume["id"],
                "instance_uuid": server_id,
                "attach_status": "attached",
                "attach_mode": "rw",
                "connection_info": {"driver_volume_type": "iscsi", "host": host},
                "mountpoint": device,
                "attached_at": at,
                "created_at": at,
                "updated_at": at,
            },
        )
        after = {"status": "in-use", "attach_status": "attached"}
        self._settling.move(volume, {"status": "attaching", "attach_status": "attaching"}, after)
        return entry

    def detach(
        self, volume: Record, *, server_id: str | None = None, attachment_id: str | None = None
    ) -> None:
        """Drop the volume's attachment to `server_id` (or with `attachment_id`, or its first);
        the volume is available again once none is left."""
        kept = list(volume["attachments"])
        for attachment in kept:
            wanted = (server_id is None or attachment["server_id"] == server_id) and (
                attachment_id is None or attachment["attachment_id"] == attachment_id
            )
            if wanted:
                kept.remove(attachment)
                self.records.remove(volume["project_id"], attachment["attachment_id"])
                break
        volume["attachments"] = kept
        volume["updated_at"] = datetime.now(UTC)
        if not kept:
            after = {"status": "available", "attach_status": "detached"}
            self._settling.move(volume, {"status": "detaching"}, after)
