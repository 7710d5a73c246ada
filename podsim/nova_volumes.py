"""Nova's proxies to Cinder, `os-volumes` and `os-snapshots` (microversions up to 2.35).

They show the pod's own Cinder volumes and snapshots (the same stores) in Nova's camelCase
views; lists are the project's whole list, newest first, cut by `offset` and `limit` (Nova's
`common.limited`). Above 2.35 Nova answers 404, as for any path it does not have.
"""

import uuid
from collections.abc import Callable
from typing import Any

from aiohttp import web

from podsim.clock import Clock
from podsim.config import PodConfig
from podsim.faults import BadRequest, NotFound
from podsim.handlers import ANONYMOUS_USER, json_body
from podsim.kind import MAX_LIMIT, NewRecord
from podsim.proxy_versions import gated as _gated
from podsim.snapshots import from_volume, new_snapshot
from podsim.store import Record, Store
from podsim.volumes import VOLUMES, cinder_time, new_volume

__all__ = ["NovaVolumes"]

_BASE = "/compute/v2.1/{project_id}"
_VOLUME_FIELDS = ("volume_type", "metadata", "snapshot_id", "size", "availability_zone")
_NAMES = {"display_name": "name", "display_description": "description"}
_SNAPSHOT_FIELDS = ("volume_id", "force", "display_name", "display_description")


class NovaVolumes:
    """`os-volumes` and `os-snapshots` over the pod's Cinder stores."""

    def __init__(self, config: PodConfig, volumes: Store, snapshots: Store) -> None:
        self._config = config
        self._volumes = volumes
        self._snapshots = snapshots
        self._clock = Clock(VOLUMES.clock_step)

    def routes(self) -> list[web.RouteDef]:
        """Routes to add to the app (`detail` before `{id}`)."""
        routes = []
        for collection, store, view, create in (
            ("os-volumes", self._volumes, _volume_view, self._create_volume),
            ("os-snapshots", self._snapshots, _snapshot_view, self._create_snapshot),
        ):
            base = f"{_BASE}/{collection}"
            listed = self._lister(store, view, collection[3:])
            routes += [
                web.get(base, listed),
                web.get(f"{base}/detail", listed),
                web.post(base, _gated(create)),
                web.get(f"{base}/{{item_id}}", self._shower(store, view, collection)),
                web.delete(f"{base}/{{item_id}}", self._deleter(store, collection)),
            ]
        return routes

    def _lister(self, store: Store, view: Callable[[Record], dict], key: str) -> Callable:
        @_gated
        async def index(request: web.Request) -> web.Response:
            records = store.records(request.match_info["project_id"])
            records.sort(key=lambda r: (r["created_at"], r["id"]), reverse=True)
            offset, limit = _int_param(request, "offset"), _int_param(request, "limit")
            page = records[offset : offset + min(limit or MAX_LIMIT, MAX_LIMIT)]
            return web.json_response({key: [view(record) for record in page]})

        return index

    def _shower(self, store: Store, view: Callable[[Record], dict], collection: str) -> Callable:
        member = "volume" if collection == "os-volumes" else "snapshot"

        @_gated
        async def show(request: web.Request) -> web.Response:
            return web.json_response({member: view(_get(request, store, collection))})

        return show

    def _deleter(self, store: Store, collection: str) -> Callable:
        @_gated
        async def delete(request: web.Request) -> web.Response:
            record = _get(request, store, collection)
            if collection == "os-volumes" and record["attachments"]:
                raise BadRequest("Invalid input received: Volume status must be available.")
            store.remove(request.match_info["project_id"], record["id"])
            return web.Response(status=202)

        return delete

    async def _create_volume(self, request: web.Request) -> web.Response:
        """POST os-volumes: Nova's schema, then a Cinder volume of the pod (200)."""
        body = await json_body(request)
        volume = body.get("volume") if isinstance(body, dict) else None
        if not isinstance(volume, dict):
            raise BadRequest("Invalid input for field/attribute volume.")
        size = volume.get("size")
        if not _whole(size):
            raise BadRequest(f"Invalid input for field/attribute size. Value: {size}.")
        project_id = request.match_info["project_id"]
        snapshot_id = volume.get("snapshot_id")
        if snapshot_id is not None and self._snapshots.get(project_id, str(snapshot_id)) is None:
            raise NotFound(f"Snapshot {snapshot_id} could not be found.")
        cinder = {key: volume[key] for key in _VOLUME_FIELDS if key in volume}
        cinder |= {ours: volume[theirs] for theirs, ours in _NAMES.items() if theirs in volume}
        record = new_volume({"volume": {**cinder, "size": int(size)}}, self._new(request))
        record["snapshot_id"] = snapshot_id
        self._volumes.add(project_id, record["id"], record)
        location = f"{request.url}/{record['id']}"
        return web.json_response({"volume": _volume_view(record)}, headers={"Location": location})

    async def _create_snapshot(self, request: web.Request) -> web.Response:
        """POST os-snapshots: a Cinder snapshot of the project's volume (200)."""
        body = await json_body(request)
        snapshot = body.get("snapshot") if isinstance(body, dict) else None
        if not isinstance(snapshot, dict):
            raise BadRequest("Invalid input for field/attribute snapshot.")
        cinder = {key: snapshot[key] for key in _SNAPSHOT_FIELDS if key in snapshot}
        cinder |= {ours: cinder.pop(theirs) for theirs, ours in _NAMES.items() if theirs in cinder}
        record = new_snapshot({"snapshot": cinder}, self._new(request))
        project_id = request.match_info["project_id"]
        volume = self._volumes.get(project_id, record["volume_id"])
        if volume is None:
            raise NotFound(f"Volume {record['volume_id']} could not be found.")
        from_volume(record, volume)
        self._snapshots.add(project_id, record["id"], record)
        return web.json_response({"snapshot": _snapshot_view(record)})

    def _new(self, request: web.Request) -> NewRecord:
        return NewRecord(
            id=str(uuid.uuid4()),
            project_id=request.match_info["project_id"],
            user_id=request.headers.get("X-User-Id", ANONYMOUS_USER),
            az=self._config.az,
            pod=self._config.name,
            at=self._clock.tick(),
            request_id=request.get("request_id", ""),
        )


def _volume_view(record: Record) -> dict[str, Any]:
    """nova/api/openstack/compute/volumes.py `_translate_volume_summary_view`."""
    attachments: list[dict[str, Any]] = [{}]
    if record["attachments"]:
        first = record["attachments"][0]
        attachments = [{"id": record["id"], "volumeId": record["id"]}]
        if first.get("server_id"):
            attachments[0]["serverId"] = first["server_id"]
        if first.get("device"):
            attachments[0]["device"] = first["device"]
    return {
        "id": record["id"],
        "status": record["status"],
        "size": record["size"],
        "availabilityZone": record["availability_zone"],
        "createdAt": cinder_time(record["created_at"]),
        "attachments": attachments,
        "displayName": record["display_name"],
        "displayDescription": record["display_description"],
        "volumeType": record["volume_type"],
        "snapshotId": record.get("snapshot_id"),
        "metadata": dict(record["metadata"]),
    }


def _snapshot_view(record: Record) -> dict[str, Any]:
    """nova/api/openstack/compute/snapshots.py `_translate_snapshot_summary_view`."""
    return {
        "id": record["id"],
        "volumeId": record["volume_id"],
        "status": record["status"],
        "size": record["volume_size"],
        "createdAt": cinder_time(record["created_at"]),
        "displayName": record["display_name"],
        "displayDescription": record["display_description"],
    }


def _get(request: web.Request, store: Store, collection: str) -> Record:
    item_id = request.match_info["item_id"]
    record = store.get(request.match_info["project_id"], item_id)
    if record is None:
        noun = "Volume" if collection == "os-volumes" else "Snapshot"
        raise NotFound(f"{noun} {item_id} could not be found.")
    return record


def _whole(value: object) -> bool:
    """Nova's schema: an integer, or a string of digits, of at least 1."""
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        return value.isdigit() and int(value) >= 1
    return isinstance(value, int) and value >= 1


def _int_param(request: web.Request, name: str) -> int:
    values = request.query.getall(name, [])
    if not values:
        return 0
    if not values[-1].isdigit():
        raise BadRequest(f"{name} param must be an integer")
    return int(values[-1])
