"""Cinder volume types and their extra specs: global to the pod, `__DEFAULT__` seeded."""

import uuid
from typing import Any

from aiohttp import web

from podsim.extra_specs import ExtraSpecs
from podsim.faults import BadRequest, Fault, NotFound
from podsim.handlers import json_member
from podsim.shared_paging import VOLUME_TYPES, paged
from podsim.store import Record

_BASE = "/volume/v3/{project_id}/types"
DEFAULT_TYPE = "__DEFAULT__"
# Real Cinder makes a random id per deployment; a fixed one lets pods agree on the default.
DEFAULT_TYPE_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "podsim/volume-types/__DEFAULT__"))


class Conflict(Fault):
    """The type exists already (Cinder's 409)."""

    status = 409


class VolumeTypes(ExtraSpecs):
    """The pod's volume types, shared by every project."""

    _noun = "Volume Type"
    _specs_missing = "Missing required element 'extra_specs' in request body."

    def __init__(self) -> None:
        self._types: dict[str, Record] = {
            DEFAULT_TYPE_ID: _record(DEFAULT_TYPE_ID, DEFAULT_TYPE, "Default Volume Type", True, {})
        }

    def find(self, name_or_id: str) -> Record | None:
        """The type called or identified by `name_or_id`, as Cinder's get_by_name_or_id."""
        if name_or_id in self._types:
            return self._types[name_or_id]
        return next((t for t in self._types.values() if t["name"] == name_or_id), None)

    def routes(self) -> list[web.RouteDef]:
        """Routes to add to the app."""
        specs = f"{_BASE}/{{type_id}}/extra_specs"
        return [
            web.get(_BASE, self.index),
            web.post(_BASE, self.create),
            web.get(f"{_BASE}/{{type_id}}", self.show),
            web.put(f"{_BASE}/{{type_id}}", self.update),
            web.delete(f"{_BASE}/{{type_id}}", self.delete),
            web.get(specs, self.extra_specs),
            web.post(specs, self.add_extra_specs),
            web.delete(f"{specs}/{{key}}", self.delete_extra_spec),
        ]

    async def index(self, request: web.Request) -> web.Response:
        """GET: every type, by name (Cinder's own order, `created_at`, is not shown), paged."""
        types = list(self._types.values())
        body = paged(request, VOLUME_TYPES, types, _view, path="types", default_order=("name",))
        return web.json_response(body)

    async def show(self, request: web.Request) -> web.Response:
        """GET one type."""
        return web.json_response({"volume_type": _view(self._get(request))})

    async def create(self, request: web.Request) -> web.Response:
        """POST (admin): a new type, 409 when the name is taken."""
        volume_type = await json_member(request, "volume_type")
        name = volume_type.get("name")
        if not isinstance(name, str) or not name.strip():
            raise BadRequest("Invalid input received: Volume type name can not be empty.")
        if self.find(name) is not None:
            raise Conflict(f"Volume Type {name} already exists.")
        specs = volume_type.get("extra_specs", {})
        public = volume_type.get("os-volume-type-access:is_public", True)
        record = _record(
            str(uuid.uuid4()), name, volume_type.get("description"), bool(public), dict(specs)
        )
        self._types[record["id"]] = record
        return web.json_response({"volume_type": _view(record)})

    async def update(self, request: web.Request) -> web.Response:
        """PUT (admin): a new name, description or visibility."""
        record = self._get(request)
        volume_type = await json_member(request, "volume_type")
        name = volume_type.get("name")
        if name is not None and name != record["name"] and self.find(name) is not None:
            raise Conflict(f"Volume Type {name} already exists.")
        for field in ("name", "description", "is_public"):
            if field in volume_type:
                record[field] = volume_type[field]
        return web.json_response({"volume_type": _view(record)})

    async def delete(self, request: web.Request) -> web.Response:
        """DELETE (admin): 202; the default type cannot go."""
        record = self._get(request)
        if record["name"] == DEFAULT_TYPE:
            raise BadRequest("Default volume type can not be deleted.")
        del self._types[record["id"]]
        return web.Response(status=202)

    def _get(self, request: web.Request) -> Record:
        type_id = request.match_info["type_id"]
        record = self._types.get(type_id)
        if record is None:
            raise NotFound(f"Volume type {type_id} could not be found.")
        return record


def _record(
    type_id: str, name: str, description: object, public: bool, specs: dict[str, Any]
) -> Record:
    return {
        "id": type_id,
        "name": name,
        "description": description,
        "is_public": public,
        "extra_specs": specs,
    }


def _view(record: Record) -> dict[str, Any]:
    return {
        **record,
        "extra_specs": dict(record["extra_specs"]),
        "os-volume-type-access:is_public": record["is_public"],
        "qos_specs_id": None,
    }
