"""Cinder's attachment API (3.27+): an attachment reserves one of the project's volumes for a
server, is updated with the host's connector, completed (the volume is then `in-use`) and
deleted (the volume available again once nothing else holds it)."""

import uuid
from typing import Any

from aiohttp import web

from podsim.cinder_lists import cinder_links, listed
from podsim.clock import Clock
from podsim.faults import BadRequest, Fault, NotFound
from podsim.handlers import json_body, json_member
from podsim.kind import Record
from podsim.store import Store
from podsim.volumes import cinder_time
from podsim.volumes import not_found as volume_not_found

__all__ = ["AttachmentApi"]

_BASE = "/volume/v3/{project_id}/attachments"
_SORT_KEYS = frozenset({"id", "attach_status", "created_at", "updated_at"})
_FILTERS = {"volume_id": "volume_id", "instance_id": "instance_uuid", "status": "attach_status"}


def not_found(attachment_id: str) -> Fault:
    """Cinder's VolumeAttachmentNotFound."""
    return NotFound(
        f"Volume attachment could not be found with filter: attachment_id = {attachment_id}."
    )


class AttachmentApi:
    """Handlers of `attachments` over the pod's volumes."""

    def __init__(self, volumes: Store, clock: Clock, attachments: Store) -> None:
        self._volumes = volumes
        self._attachments = attachments  # shared with Nova's attach (attacher.py)
        self._clock = clock

    def routes(self) -> list[web.RouteDef]:
        """Routes to add to the app (`detail` before `{id}`)."""
        return [
            web.post(_BASE, self.create),
            web.get(_BASE, self.index),
            web.get(f"{_BASE}/detail", self.detail),
            web.get(f"{_BASE}/{{attachment_id}}", self.show),
            web.put(f"{_BASE}/{{attachment_id}}", self.update),
            web.delete(f"{_BASE}/{{attachment_id}}", self.delete),
            web.post(f"{_BASE}/{{attachment_id}}/action", self.action),
        ]

    async def create(self, request: web.Request) -> web.Response:
        """Reserve the volume (`attaching` when a connector came along)."""
        project_id = request.match_info["project_id"]
        attachment = await json_member(request, "attachment")
        volume_id = attachment.get("volume_uuid")
        if not isinstance(volume_id, str):
            raise BadRequest(
                "Invalid input for field/attribute attachment. 'volume_uuid' is a required property"
            )
        volume = self._volumes.get(project_id, volume_id)
        if volume is None:
            raise volume_not_found(volume_id)
        if volume["status"] not in ("available", "reserved") and not volume["multiattach"]:
            raise BadRequest(f"Invalid volume: Volume {volume_id} status must be available.")
        at = self._clock.tick()
        connector = attachment.get("connector")
        record = {
            "id": str(uuid.uuid4()),
            "volume_id": volume_id,
            "instance_uuid": attachment.get("instance_uuid"),
            "attach_status": "attaching" if connector else "reserved",
            "attach_mode": attachment.get("mode") or "rw",
            "connection_info": _connection(connector),
            "mountpoint": connector.get("mountpoint") if isinstance(connector, dict) else None,
            "attached_at": None,
            "created_at": at,
            "updated_at": at,
        }
        if volume["status"] == "available":
            volume["status"] = "reserved"
        self._attachments.add(project_id, record["id"], record)
        return web.json_response({"attachment": _detail(record)})

    async def show(self, request: web.Request) -> web.Response:
        """One of the project's attachments."""
        return web.json_response({"attachment": _detail(self._own(request))})

    async def update(self, request: web.Request) -> web.Response:
        """The host's connector: the volume is being attached."""
        record = self._own(request)
        connector = (await json_member(request, "attachment")).get("connector")
        if not isinstance(connector, dict):
            raise BadRequest("Invalid input received: connector is required.")
        record.update(
            attach_status="attaching",
            connection_info=_connection(connector),
            mountpoint=connector.get("mountpoint"),
        )
        return web.json_response({"attachment": _detail(record)})

    async def action(self, request: web.Request) -> web.Response:
        """`os-complete`: attached, the volume in use."""
        record = self._own(request)
        body = await json_body(request)
        if not isinstance(body, dict) or "os-complete" not in body:
            raise BadRequest("Invalid input received: No valid action in the request body.")
        record.update(attach_status="attached", attached_at=self._clock.tick())
        volume = self._volumes.get(request.match_info["project_id"], record["volume_id"])
        if volume is not None:
            volume.update(status="in-use", attach_status="attached")
            # What the volume's own view lists: its attachments in attach_status attached.
            volume["attachments"].append(
                {
                    "id": volume["id"],
                    "attachment_id": record["id"],
                    "volume_id": volume["id"],
                    "server_id": record["instance_uuid"],
                    "host_name": None,
                    "device": record["mountpoint"],
                    "attached_at": cinder_time(record["attached_at"]),
                }
            )
        return web.Response(status=204)

    async def delete(self, request: web.Request) -> web.Response:
        """Detach: the volume is available again once no attachment holds it."""
        project_id = request.match_info["project_id"]
        record = self._own(request)
        self._attachments.remove(project_id, record["id"])
        left = [
            a
            for a in self._attachments.records(project_id)
            if a["volume_id"] == record["volume_id"]
        ]
        volume = self._volumes.get(project_id, record["volume_id"])
        if volume is not None:
            kept = [a for a in volume["attachments"] if a["attachment_id"] != record["id"]]
            volume["attachments"] = kept
        if volume is not None and not left:
            volume.update(status="available", attach_status="detached")
        return web.json_response({"attachments": [_detail(a) for a in left]})

    async def index(self, request: web.Request) -> web.Response:
        """`GET attachments`: id, status, instance and volume."""
        return self._list(request, detail=False)

    async def detail(self, request: web.Request) -> web.Response:
        """`GET attachments/detail`."""
        return self._list(request, detail=True)

    def _list(self, request: web.Request, *, detail: bool) -> web.Response:
        project_id = request.match_info["project_id"]
        return listed(
            request,
            self._attachments.records(project_id),
            path="attachments/detail" if detail else "attachments",
            items_key="attachments",
            view=_detail if detail else _summary,
            sort_keys=_SORT_KEYS,
            filters=_FILTERS,
            not_found=not_found,
            links=cinder_links(request, project_id, "attachments"),
        )

    def _own(self, request: web.Request) -> Record:
        attachment_id = request.match_info["attachment_id"]
        record = self._attachments.get(request.match_info["project_id"], attachment_id)
        if record is None:
            raise not_found(attachment_id)
        return record


def _connection(connector: object) -> dict[str, Any]:
    if not isinstance(connector, dict):
        return {}
    return {"driver_volume_type": "iscsi", "host": connector.get("host")}


def _summary(record: Record) -> dict[str, Any]:
    return {
        "id": record["id"],
        "status": record["attach_status"],
        "instance": record["instance_uuid"],
        "volume_id": record["volume_id"],
    }


def _detail(record: Record) -> dict[str, Any]:
    attached = record["attached_at"]
    return {
        **_summary(record),
        "attached_at": cinder_time(attached) if attached else "",
        "detached_at": "",
        "attach_mode": record["attach_mode"],
        "connection_info": record["connection_info"],
    }
