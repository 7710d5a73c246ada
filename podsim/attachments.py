"""Volumes attached to servers: Nova's `os-volume_attachments` and the state both APIs show.

An attachment lives on both records: the volume lists it in `attachments` (and is `in-use`),
the server in `os-extended-volumes:volumes_attached`. Only volumes of the same pod and project
can be attached, as in one real cloud.
"""

import uuid
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from podsim.faults import BadRequest, NotFound
from podsim.handlers import json_body
from podsim.server_parts import record_action
from podsim.servers import not_found as server_not_found
from podsim.store import Record, Store
from podsim.volumes import not_found as volume_not_found

_BASE = "/compute/v2.1/{project_id}/servers/{server_id}/os-volume_attachments"
_DEVICES = [f"/dev/vd{letter}" for letter in "bcdefghijklmnopqrstuvwxyz"]


def attach(volume: Record, *, server_id: str | None, device: str, host: str | None) -> None:
    """Mark `volume` attached (to `server_id`, or to a host only); Cinder's checks first."""
    if volume["status"] != "available" and not (volume["multiattach"] and volume["attachments"]):
        raise BadRequest(
            f"Invalid volume: volume '{volume['id']}' status must be 'available'. "
            f"Currently in '{volume['status']}'"
        )
    volume["attachments"].append(
        {
            "id": volume["id"],
            "attachment_id": str(uuid.uuid4()),
            "volume_id": volume["id"],
            "server_id": server_id,
            "host_name": host,
            "device": device,
            "attached_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
        }
    )
    volume.update(status="in-use", attach_status="attached")


def detach(volume: Record, *, server_id: str | None = None, attachment_id: str | None = None):
    """Drop the volume's attachment to `server_id` (or with `attachment_id`, or its first)."""
    kept = list(volume["attachments"])
    for attachment in kept:
        wanted = (server_id is None or attachment["server_id"] == server_id) and (
            attachment_id is None or attachment["attachment_id"] == attachment_id
        )
        if wanted:
            kept.remove(attachment)
            break
    volume["attachments"] = kept
    if not kept:
        volume.update(status="available", attach_status="detached")


class Attachments:
    """Nova's attachment handlers, over the pod's servers and volumes."""

    def __init__(self, servers: Store, volumes: Store) -> None:
        self._servers = servers
        self._volumes = volumes

    def routes(self) -> list[web.RouteDef]:
        """Routes to add to the app."""
        return [
            web.get(_BASE, self.index),
            web.post(_BASE, self.create),
            web.get(f"{_BASE}/{{volume_id}}", self.show),
            web.put(f"{_BASE}/{{volume_id}}", self.swap),
            web.delete(f"{_BASE}/{{volume_id}}", self.delete),
        ]

    async def index(self, request: web.Request) -> web.Response:
        server = self._server(request)
        return web.json_response({"volumeAttachments": list(server["attachments"].values())})

    async def show(self, request: web.Request) -> web.Response:
        server = self._server(request)
        return web.json_response({"volumeAttachment": self._attached(server, request)})

    async def create(self, request: web.Request) -> web.Response:
        """POST: attach a volume of this pod's project at the next free device."""
        server = self._server(request)
        volume = self._volume(request, await _volume_id(request))
        used = {attachment["device"] for attachment in server["attachments"].values()}
        device = next(name for name in _DEVICES if name not in used)
        attach(volume, server_id=server["uuid"], device=device, host=None)
        attachment = _attachment(server, volume["id"], device)
        server["attachments"][volume["id"]] = attachment
        record_action(request, server, "attach_volume")
        return web.json_response({"volumeAttachment": attachment})

    async def swap(self, request: web.Request) -> web.Response:
        """PUT: replace the attached volume with another (Nova's swap volume)."""
        server = self._server(request)
        old = self._attached(server, request)
        new = self._volume(request, await _volume_id(request))
        attach(new, server_id=server["uuid"], device=old["device"], host=None)
        old_volume = self._volumes.get(server["project_id"], old["volumeId"])
        if old_volume is not None:
            detach(old_volume, server_id=server["uuid"])
        del server["attachments"][old["volumeId"]]
        server["attachments"][new["id"]] = _attachment(server, new["id"], old["device"])
        record_action(request, server, "swap_volume")
        return web.Response(status=202)

    async def delete(self, request: web.Request) -> web.Response:
        """DELETE: detach the volume."""
        server = self._server(request)
        attachment = self._attached(server, request)
        volume = self._volumes.get(server["project_id"], attachment["volumeId"])
        if volume is not None:
            detach(volume, server_id=server["uuid"])
        del server["attachments"][attachment["volumeId"]]
        record_action(request, server, "detach_volume")
        return web.Response(status=202)

    def _server(self, request: web.Request) -> Record:
        server_id = request.match_info["server_id"]
        server = self._servers.get(request.match_info["project_id"], server_id)
        if server is None:
            raise server_not_found(server_id)
        return server

    def _volume(self, request: web.Request, volume_id: str) -> Record:
        volume = self._volumes.get(request.match_info["project_id"], volume_id)
        if volume is None:
            raise volume_not_found(volume_id)
        return volume

    def _attached(self, server: Record, request: web.Request) -> dict[str, Any]:
        volume_id = request.match_info["volume_id"]
        attachment = server["attachments"].get(volume_id)
        if attachment is None:
            raise NotFound(f"Volume {volume_id} is not attached to the instance {server['uuid']}")
        return attachment


async def _volume_id(request: web.Request) -> str:
    body = await json_body(request)
    section = body.get("volumeAttachment") if isinstance(body, dict) else None
    volume_id = section.get("volumeId") if isinstance(section, dict) else None
    if not isinstance(volume_id, str) or not volume_id:
        raise BadRequest(
            "Invalid input for field/attribute volumeAttachment. 'volumeId' is a required property"
        )
    return volume_id


def _attachment(server: Record, volume_id: str, device: str) -> dict[str, Any]:
    return {"id": volume_id, "serverId": server["uuid"], "volumeId": volume_id, "device": device}
