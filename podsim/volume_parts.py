"""What lives under one Cinder volume: its actions and its metadata."""

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from podsim.attacher import Attacher
from podsim.faults import BadRequest, NotFound
from podsim.handlers import json_body, meta_value
from podsim.store import Record, Store
from podsim.volumes import not_found

_BASE = "/volume/v3/{project_id}/volumes/{volume_id}"

_Action = Callable[[Record, Any], Awaitable[web.Response]]


class VolumeParts:
    """Handlers for `volumes/{id}/...` over the pod's volume records."""

    def __init__(self, volumes: Store, attacher: Attacher) -> None:
        self._volumes = volumes
        self._attacher = attacher
        self._actions: dict[str, _Action] = {
            "os-attach": self._attach,
            "os-detach": self._detach,
            "os-extend": self._extend,
            "os-reserve": self._reserve,
            "os-unreserve": self._unreserve,
            "os-set_bootable": self._set_bootable,
        }

    def routes(self) -> list[web.RouteDef]:
        """Routes to add to the app."""
        return [
            web.post(f"{_BASE}/action", self.action),
            web.get(f"{_BASE}/metadata", self.metadata),
            web.post(f"{_BASE}/metadata", self.merge_metadata),
            web.put(f"{_BASE}/metadata", self.replace_metadata),
            web.get(f"{_BASE}/metadata/{{key}}", self.metadata_item),
            web.put(f"{_BASE}/metadata/{{key}}", self.set_metadata_item),
            web.delete(f"{_BASE}/metadata/{{key}}", self.delete_metadata_item),
        ]

    async def action(self, request: web.Request) -> web.Response:
        """POST action: `{"<action>": {...}}`, dispatched like Cinder's wsgi layer does."""
        volume = self._volume(request)
        body = await json_body(request)
        if not isinstance(body, dict) or len(body) != 1:
            raise BadRequest("Malformed request body")
        ((name, arguments),) = body.items()
        handler = self._actions.get(name)
        if handler is None:
            raise BadRequest(f"There is no such action: {name}")
        return await handler(volume, arguments)

    async def metadata(self, request: web.Request) -> web.Response:
        return web.json_response({"metadata": self._volume(request)["metadata"]})

    async def merge_metadata(self, request: web.Request) -> web.Response:
        volume = self._volume(request)
        volume["metadata"].update(await _metadata_body(request))
        return web.json_response({"metadata": volume["metadata"]})

    async def replace_metadata(self, request: web.Request) -> web.Response:
        volume = self._volume(request)
        volume["metadata"] = await _metadata_body(request)
        return web.json_response({"metadata": volume["metadata"]})

    async def metadata_item(self, request: web.Request) -> web.Response:
        volume, key = self._volume(request), request.match_info["key"]
        if key not in volume["metadata"]:
            raise _no_metadata(volume, key)
        return web.json_response({"meta": {key: volume["metadata"][key]}})

    async def set_metadata_item(self, request: web.Request) -> web.Response:
        volume, key = self._volume(request), request.match_info["key"]
        value = await meta_value(request, key)
        volume["metadata"][key] = value
        return web.json_response({"meta": {key: value}})

    async def delete_metadata_item(self, request: web.Request) -> web.Response:
        volume, key = self._volume(request), request.match_info["key"]
        if volume["metadata"].pop(key, None) is None:
            raise _no_metadata(volume, key)
        return web.Response(status=200)

    async def _attach(self, volume: Record, arguments: Any) -> web.Response:
        if not isinstance(arguments, dict) or not arguments.get("mountpoint"):
            raise BadRequest("Invalid request to attach volume to an invalid target")
        server_id, host = arguments.get("instance_uuid"), arguments.get("host_name")
        if (server_id is None) == (host is None):
            raise BadRequest("Invalid request to attach volume to an instance or a host")
        self._attacher.attach(
            volume, server_id=server_id, device=arguments["mountpoint"], host=host
        )
        return web.Response(status=202)

    async def _detach(self, volume: Record, arguments: Any) -> web.Response:
        attachment_id = arguments.get("attachment_id") if isinstance(arguments, dict) else None
        if not volume["attachments"]:
            raise BadRequest(f"Invalid volume: Volume {volume['id']} is not attached.")
        self._attacher.detach(volume, attachment_id=attachment_id)
        return web.Response(status=202)

    async def _extend(self, volume: Record, arguments: Any) -> web.Response:
        size = arguments.get("new_size") if isinstance(arguments, dict) else None
        if not isinstance(size, int) or isinstance(size, bool) or size <= volume["size"]:
            raise BadRequest(
                "Invalid input received: New size for extend must be greater than current size. "
                f"(current: {volume['size']}, extended: {size})."
            )
        volume["size"] = size
        return web.Response(status=202)

    async def _reserve(self, volume: Record, arguments: Any) -> web.Response:
        if volume["status"] != "available":
            raise BadRequest(f"Invalid volume: Volume {volume['id']} status must be available.")
        volume["status"] = "attaching"
        return web.Response(status=202)

    async def _unreserve(self, volume: Record, arguments: Any) -> web.Response:
        if volume["status"] == "attaching":
            volume["status"] = "available"
        return web.Response(status=202)

    async def _set_bootable(self, volume: Record, arguments: Any) -> web.Response:
        bootable = arguments.get("bootable") if isinstance(arguments, dict) else None
        if bootable not in (True, False, "true", "false", "True", "False"):
            raise BadRequest("Invalid input received: Invalid value for 'bootable'.")
        volume["bootable"] = bootable in (True, "true", "True")
        return web.Response(status=200)

    def _volume(self, request: web.Request) -> Record:
        volume_id = request.match_info["volume_id"]
        volume = self._volumes.get(request.match_info["project_id"], volume_id)
        if volume is None:
            raise not_found(volume_id)
        return volume


def _no_metadata(volume: Record, key: str) -> NotFound:
    return NotFound(f"Volume {volume['id']} has no metadata with key {key}.")


async def _metadata_body(request: web.Request) -> dict[str, Any]:
    body = await json_body(request)
    metadata = body.get("metadata") if isinstance(body, dict) else None
    if not isinstance(metadata, dict):
        raise BadRequest("Malformed request body: 'metadata' must be an object")
    return dict(metadata)
