"""Cinder's generic volume groups and group snapshots (3.13+, 3.14+): create, copy, show,
update, list, actions and delete. Group types are taken as given (they are shared objects)."""

import uuid
from typing import Any

from aiohttp import web

from podsim.cinder_lists import cinder_links, listed, volume_version
from podsim.clock import Clock
from podsim.config import PodConfig
from podsim.faults import BadRequest, Fault, NotFound
from podsim.handlers import json_body, json_member
from podsim.kind import Record
from podsim.store import Store
from podsim.volumes import cinder_time

__all__ = ["VolumeGroups"]

_BASE = "/volume/v3/{project_id}"
_SORT_KEYS = frozenset({"id", "display_name", "status", "created_at", "updated_at"})
_FILTERS = {"name": "display_name", "status": "status"}
_SOURCES, _REPLICATION = (3, 14), (3, 38)


def group_not_found(group_id: str) -> Fault:
    """Cinder's GroupNotFound."""
    return NotFound(f"Group {group_id} could not be found.")


def snapshot_not_found(snapshot_id: str) -> Fault:
    """Cinder's GroupSnapshotNotFound."""
    return NotFound(f"GroupSnapshot {snapshot_id} could not be found.")


class VolumeGroups:
    """Handlers of `groups` and `group_snapshots` over the pod's volumes."""

    def __init__(self, config: PodConfig, volumes: Store, clock: Clock) -> None:
        self._config = config
        self._volumes = volumes
        self._groups = Store()
        self._snapshots = Store()
        self._clock = clock

    def routes(self) -> list[web.RouteDef]:
        """Routes to add to the app (`detail` and `action` before `{id}`)."""
        groups, snapshots = f"{_BASE}/groups", f"{_BASE}/group_snapshots"
        return [
            web.post(groups, self.create_group),
            web.post(f"{groups}/action", self.copy_group),
            web.get(groups, self.list_groups),
            web.get(f"{groups}/detail", self.list_groups),
            web.get(f"{groups}/{{group_id}}", self.show_group),
            web.put(f"{groups}/{{group_id}}", self.update_group),
            web.post(f"{groups}/{{group_id}}/action", self.group_action),
            web.post(snapshots, self.create_snapshot),
            web.get(snapshots, self.list_snapshots),
            web.get(f"{snapshots}/detail", self.list_snapshots),
            web.get(f"{snapshots}/{{snapshot_id}}", self.show_snapshot),
            web.delete(f"{snapshots}/{{snapshot_id}}", self.delete_snapshot),
            web.post(f"{snapshots}/{{snapshot_id}}/action", self.snapshot_action),
        ]

    async def create_group(self, request: web.Request) -> web.Response:
        """A group of the given type and volume types, in the pod's zone."""
        group = await json_member(request, "group")
        if not isinstance(group.get("group_type"), str) or not group.get("volume_types"):
            raise BadRequest(
                "Invalid input for field/attribute group. 'group_type' and 'volume_types' are "
                "required properties"
            )
        zone = group.get("availability_zone")
        if zone is not None and zone != self._config.az:
            raise BadRequest(f"Availability zone '{zone}' is invalid.")
        record = self._new_group(request, group, group["group_type"], list(group["volume_types"]))
        return web.json_response({"group": _brief(record)}, status=202)

    async def copy_group(self, request: web.Request) -> web.Response:
        """`create-from-src`: a group like a group snapshot's group, or like another group."""
        source = await json_member(request, "create-from-src")
        project_id = request.match_info["project_id"]
        if isinstance(source.get("group_snapshot_id"), str):
            snapshot = self._snapshot(project_id, source["group_snapshot_id"])
            original = self._group(project_id, snapshot["group_id"])
        elif isinstance(source.get("source_group_id"), str):
            original = self._group(project_id, source["source_group_id"])
        else:
            raise BadRequest("Either 'group_snapshot_id' or 'source_group_id' must be given.")
        record = self._new_group(
            request, source, original["group_type"], list(original["volume_types"])
        )
        record["group_snapshot_id"] = source.get("group_snapshot_id")
        record["source_group_id"] = source.get("source_group_id")
        return web.json_response({"group": _brief(record)}, status=202)

    async def show_group(self, request: web.Request) -> web.Response:
        """One of the project's groups."""
        record = self._group(request.match_info["project_id"], request.match_info["group_id"])
        return web.json_response({"group": _group_view(request, record)})

    async def update_group(self, request: web.Request) -> web.Response:
        """Name, description, and volumes added or removed (comma-separated ids)."""
        record = self._group(request.match_info["project_id"], request.match_info["group_id"])
        update = await json_member(request, "group")
        for field, column in (("name", "display_name"), ("description", "display_description")):
            if field in update:
                record[column] = update[field]
        project_id = request.match_info["project_id"]
        for volume_id in _ids(update.get("add_volumes")):
            self._volume(project_id, volume_id)["group_id"] = record["id"]
        for volume_id in _ids(update.get("remove_volumes")):
            self._volume(project_id, volume_id)["group_id"] = None
        record["updated_at"] = self._clock.tick()
        return web.Response(status=202)

    async def group_action(self, request: web.Request) -> web.Response:
        """`delete` (its volumes too when asked) and `reset_status`."""
        project_id = request.match_info["project_id"]
        record = self._group(project_id, request.match_info["group_id"])
        body = await json_body(request)
        if isinstance(body, dict) and isinstance(body.get("delete"), dict):
            members = [v for v in self._volumes.records(project_id) if _in(v, record)]
            if members and not body["delete"].get("delete-volumes"):
                raise BadRequest(f"Invalid group: Group {record['id']} still contains volumes.")
            for volume in members:
                self._volumes.remove(project_id, volume["id"])
            self._groups.remove(project_id, record["id"])
            return web.Response(status=202)
        record["status"] = _reset_status(body)
        return web.Response(status=202)

    async def list_groups(self, request: web.Request) -> web.Response:
        """`groups` (id and name) and `groups/detail`."""
        detail = request.path.rstrip("/").endswith("/detail")
        return listed(
            request,
            self._groups.records(request.match_info["project_id"]),
            path="groups/detail" if detail else "groups",
            items_key="groups",
            links_key="group_links",
            view=(lambda r: _group_view(request, r)) if detail else _brief,
            sort_keys=_SORT_KEYS,
            filters=_FILTERS,
            not_found=group_not_found,
            links=cinder_links(request, request.match_info["project_id"], "groups"),
        )

    async def create_snapshot(self, request: web.Request) -> web.Response:
        """A snapshot of one of the project's groups."""
        snapshot = await json_member(request, "group_snapshot")
        if not isinstance(snapshot.get("group_id"), str):
            raise BadRequest(
                "Invalid input for field/attribute group_snapshot. 'group_id' is a required "
                "property"
            )
        project_id = request.match_info["project_id"]
        group = self._group(project_id, snapshot["group_id"])
        at = self._clock.tick()
        record = {
            "id": str(uuid.uuid4()),
            "group_id": group["id"],
            "group_type_id": group["group_type"],
            "display_name": snapshot.get("name"),
            "display_description": snapshot.get("description"),
            "status": "available",
            "created_at": at,
            "updated_at": at,
        }
        self._snapshots.add(project_id, record["id"], record)
        return web.json_response({"group_snapshot": _snapshot_brief(record)}, status=202)

    async def show_snapshot(self, request: web.Request) -> web.Response:
        """One of the project's group snapshots."""
        record = self._snapshot(request.match_info["project_id"], request.match_info["snapshot_id"])
        return web.json_response({"group_snapshot": _snapshot_view(record)})

    async def delete_snapshot(self, request: web.Request) -> web.Response:
        """Forget it at once."""
        project_id = request.match_info["project_id"]
        record = self._snapshot(project_id, request.match_info["snapshot_id"])
        self._snapshots.remove(project_id, record["id"])
        return web.Response(status=202)

    async def snapshot_action(self, request: web.Request) -> web.Response:
        """`reset_status`."""
        record = self._snapshot(request.match_info["project_id"], request.match_info["snapshot_id"])
        record["status"] = _reset_status(await json_body(request))
        return web.Response(status=202)

    async def list_snapshots(self, request: web.Request) -> web.Response:
        """`group_snapshots` (id, name, type) and `group_snapshots/detail`."""
        detail = request.path.rstrip("/").endswith("/detail")
        collection = "group_snapshots"
        return listed(
            request,
            self._snapshots.records(request.match_info["project_id"]),
            path=f"{collection}/detail" if detail else collection,
            items_key=collection,
            links_key="group_snapshot_links",
            view=_snapshot_view if detail else _snapshot_brief,
            sort_keys=_SORT_KEYS,
            filters=_FILTERS,
            not_found=snapshot_not_found,
            links=cinder_links(request, request.match_info["project_id"], collection),
        )

    def _new_group(
        self, request: web.Request, body: dict, group_type: str, volume_types: list
    ) -> Record:
        project_id = request.match_info["project_id"]
        at = self._clock.tick()
        record = {
            "id": str(uuid.uuid4()),
            "display_name": body.get("name"),
            "display_description": body.get("description"),
            "group_type": group_type,
            "volume_types": volume_types,
            "availability_zone": self._config.az,
            "status": "available",
            "group_snapshot_id": None,
            "source_group_id": None,
            "created_at": at,
            "updated_at": at,
        }
        self._groups.add(project_id, record["id"], record)
        return record

    def _group(self, project_id: str, group_id: str) -> Record:
        record = self._groups.get(project_id, group_id)
        if record is None:
            raise group_not_found(group_id)
        return record

    def _snapshot(self, project_id: str, snapshot_id: str) -> Record:
        record = self._snapshots.get(project_id, snapshot_id)
        if record is None:
            raise snapshot_not_found(snapshot_id)
        return record

    def _volume(self, project_id: str, volume_id: str) -> dict[str, Any]:
        """The request fields of one of the project's volumes (where `group_id` shows)."""
        volume = self._volumes.get(project_id, volume_id)
        if volume is None:
            raise BadRequest(f"Invalid volume: Volume {volume_id} could not be found.")
        request: dict[str, Any] = volume["request"]
        return request


def _in(volume: Record, group: Record) -> bool:
    return volume.get("group_id") == group["id"]


def _ids(value: object) -> list[str]:
    return [part for part in value.split(",") if part] if isinstance(value, str) else []


def _reset_status(body: object) -> str:
    reset = body.get("reset_status") if isinstance(body, dict) else None
    if not isinstance(reset, dict) or not isinstance(reset.get("status"), str):
        raise BadRequest("Invalid input received: No valid action in the request body.")
    return reset["status"]


def _brief(record: Record) -> dict[str, Any]:
    return {"id": record["id"], "name": record["display_name"]}


def _group_view(request: web.Request, record: Record) -> dict[str, Any]:
    """cinder/api/v3/views/groups.py detail(), by microversion."""
    view = {
        "id": record["id"],
        "status": record["status"],
        "availability_zone": record["availability_zone"],
        "created_at": cinder_time(record["created_at"]),
        "name": record["display_name"],
        "description": record["display_description"],
        "group_type": record["group_type"],
        "volume_types": list(record["volume_types"]),
    }
    version = volume_version(request)
    if version >= _SOURCES:
        view["group_snapshot_id"] = record["group_snapshot_id"]
        view["source_group_id"] = record["source_group_id"]
    if version >= _REPLICATION:
        view["replication_status"] = "disabled"
    return view


def _snapshot_brief(record: Record) -> dict[str, Any]:
    return {
        "id": record["id"],
        "name": record["display_name"],
        "group_type_id": record["group_type_id"],
    }


def _snapshot_view(record: Record) -> dict[str, Any]:
    return {
        "id": record["id"],
        "group_id": record["group_id"],
        "group_type_id": record["group_type_id"],
        "status": record["status"],
        "created_at": cinder_time(record["created_at"]),
        "name": record["display_name"],
        "description": record["display_description"],
    }
