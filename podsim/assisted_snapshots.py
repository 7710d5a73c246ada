"""Nova's `os-assisted-volume-snapshots`: Cinder's file-based drivers ask Nova to snapshot (or
delete a snapshot of) a volume attached to one of its servers.

podsim has no disk to snapshot: it checks what Nova checks before asking the compute host (a
server of the pod has the volume attached) and answers as Nova does; a volume attached to no
server of this pod is `VolumeBDMNotFound`, a 400.
"""

import json
from typing import Any

from aiohttp import web

from podsim.faults import BadRequest
from podsim.handlers import json_body
from podsim.store import Store

__all__ = ["AssistedSnapshots"]

_PATH = "/compute/v2.1/{project_id}/os-assisted-volume-snapshots"
_CREATE_INFO = ("snapshot_id", "type", "new_file")


class AssistedSnapshots:
    """Assisted snapshot creates and deletes, on the volumes of the pod's servers."""

    def __init__(self, volumes: Store) -> None:
        self._volumes = volumes

    def routes(self) -> list[web.RouteDef]:
        """Routes to add to the app."""
        return [web.post(_PATH, self.create), web.delete(f"{_PATH}/{{item_id}}", self.delete)]

    async def create(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        snapshot = body.get("snapshot") if isinstance(body, dict) else None
        if not isinstance(snapshot, dict):
            raise BadRequest("Invalid input for field/attribute snapshot.")
        volume_id, create_info = snapshot.get("volume_id"), snapshot.get("create_info")
        if not isinstance(volume_id, str) or not volume_id:
            raise BadRequest("Invalid input for field/attribute volume_id.")
        if not isinstance(create_info, dict) or not all(k in create_info for k in _CREATE_INFO):
            raise BadRequest("Invalid input for field/attribute create_info.")
        self._attached(volume_id)
        return web.json_response({"snapshot": {"id": create_info.get("id"), "volumeId": volume_id}})

    async def delete(self, request: web.Request) -> web.Response:
        try:
            info: Any = json.loads(request.query["delete_info"])
            volume_id = info["volume_id"]
        except (KeyError, ValueError, TypeError) as error:
            raise BadRequest(str(error)) from error
        self._attached(str(volume_id))
        return web.Response(status=204)

    def _attached(self, volume_id: str) -> None:
        """Nova's block device mapping lookup: the volume is attached to a server here."""
        volume = self._volumes.find(volume_id)
        if volume is None or not any(a.get("server_id") for a in volume.get("attachments", ())):
            raise BadRequest(f"No volume Block Device Mapping with id {volume_id}.")
