"""Volumes attached to servers: Nova's `os-volume_attachments` and the state both APIs show.

An attachment lives on both records: the volume lists it in `attachments` (and is `in-use`),
the server in `os-extended-volumes:volumes_attached`. Only volumes of the same pod and project
can be attached, as in one real cloud.
"""

import uuid
from typing import Any

from aiohttp import web

from podsim.attacher import Attacher
from podsim.faults import BadRequest, Fault, NotFound
from podsim.handlers import json_body
from podsim.server_parts import record_action
from podsim.server_views import attached_view, attachment_view
from podsim.servers import not_found as server_not_found
from podsim.store import Record, Store
from podsim.versions import negotiated
from podsim.volumes import not_found as volume_not_found

_BASE = "/compute/v2.1/{project_id}/servers/{server_id}/os-volume_attachments"
_DEVICES = [f"/dev/vd{letter}" for letter in "bcdefghijklmnopqrstuvwxyz"]


class Conflict(Fault):
    """The server's state forbids the action (Nova's 409)."""

    status = 409


def server_attachment(
    server: Record, volume_id: str, device: str, entry: Record, request: Record
) -> Record:
    """The server's block device mapping of one attached volume (what Nova's views read)."""
    return {
        "volumeId": volume_id,
        "serverId": server["uuid"],
        "device": device,
        "tag": request.get("tag"),
        "delete_on_termination": bool(request.get("delete_on_termination", False)),
        "attachment_id": entry["attachment_id"],
        "bdm_uuid": str(uuid.uuid4()),
    }


class Attachments:
    """Nova's attachment handlers, over the pod's servers and volumes."""

    def __init__(self, servers: Store, volumes: Store, attacher: Attacher) -> None:
        self._servers = servers
        self._volumes = volumes
        self._attacher = attacher

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
        server, version = self._server(request), _version(request)
        attached = [attachment_view(a, version) for a in server["attachments"].values()]
        return web.json_response({"volumeAttachments": attached})

    async def show(self, request: web.Request) -> web.Response:
        server = self._server(request)
        view = attachment_view(self._attached(server, request), _version(request))
        return web.json_response({"volumeAttachment": view})

    async def create(self, request: web.Request) -> web.Response:
        """POST: attach a volume of this pod's project at the next free device."""
        server = self._server(request)
        section = await _section(request)
        volume = self._volume(request, section["volumeId"])
        _check_active(server, "attach_volume")
        used = {attachment["device"] for attachment in server["attachments"].values()}
        device = next(name for name in _DEVICES if name not in used)
        entry = self._attacher.attach(volume, server_id=server["uuid"], device=device)
        attachment = server_attachment(server, volume["id"], device, entry, section)
        server["attachments"][volume["id"]] = attachment
        record_action(request, server, "attach_volume")
        return web.json_response({"volumeAttachment": attached_view(attachment, _version(request))})

    async def swap(self, request: web.Request) -> web.Response:
        """PUT: replace the attached volume with another (Nova's swap volume)."""
        server = self._server(request)
        old = self._attached(server, request)
        new = self._volume(request, (await _section(request))["volumeId"])
        entry = self._attacher.attach(new, server_id=server["uuid"], device=old["device"])
        old_volume = self._volumes.get(server["project_id"], old["volumeId"])
        if old_volume is not None:
            self._attacher.detach(old_volume, server_id=server["uuid"])
        del server["attachments"][old["volumeId"]]
        server["attachments"][new["id"]] = server_attachment(
            server, new["id"], old["device"], entry, old
        )
        record_action(request, server, "swap_volume")
        return web.Response(status=202)

    async def delete(self, request: web.Request) -> web.Response:
        """DELETE: detach the volume."""
        server = self._server(request)
        attachment = self._attached(server, request)
        volume = self._volumes.get(server["project_id"], attachment["volumeId"])
        if volume is not None:
            self._attacher.detach(volume, server_id=server["uuid"])
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


def _check_active(server: Record, action: str) -> None:
    """Nova attaches to active, stopped, paused... servers, never to one still building."""
    if server["vm_state"] == "building":
        raise Conflict(
            f"Cannot '{action}' instance {server['uuid']} while it is in vm_state building"
        )


def _version(request: web.Request) -> tuple[int, int]:
    return negotiated(request.get("version_headers", {}))


async def _section(request: web.Request) -> dict[str, Any]:
    body = await json_body(request)
    section = body.get("volumeAttachment") if isinstance(body, dict) else None
    volume_id = section.get("volumeId") if isinstance(section, dict) else None
    if not isinstance(section, dict) or not isinstance(volume_id, str) or not volume_id:
        raise BadRequest(
            "Invalid input for field/attribute volumeAttachment. 'volumeId' is a required property"
        )
    return section
