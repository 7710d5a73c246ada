"""Cinder group types (3.11+) and their group specs: global to the pod, a default seeded."""

import uuid
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from podsim.cinder_shared import cinder_page, public_filter, specs_of
from podsim.faults import BadRequest, Fault, NotFound
from podsim.handlers import json_body, json_member
from podsim.store import Record

__all__ = ["GroupTypes"]

_BASE = "/volume/v3/{project_id}/group_types"
DEFAULT_GROUP_TYPE = "default_group_type"
# Real Cinder makes a random id per deployment; a fixed one lets pods agree on the default.
_DEFAULT_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "podsim/group-types/default_group_type"))


class Conflict(Fault):
    """The group type exists already (Cinder's 409)."""

    status = 409


class GroupTypes:
    """The pod's group types, shared by every project."""

    def __init__(self) -> None:
        default = _record(_DEFAULT_ID, DEFAULT_GROUP_TYPE, "Default group type", True, {})
        self._types: dict[str, Record] = {_DEFAULT_ID: default}

    def routes(self) -> list[web.RouteDef]:
        """Routes to add to the app."""
        one = f"{_BASE}/{{type_id}}"
        specs = f"{one}/group_specs"
        return [
            web.get(_BASE, self.index),
            web.post(_BASE, self.create),
            web.get(f"{_BASE}/default", self.default),
            web.get(one, self.show),
            web.put(one, self.update),
            web.delete(one, self.delete),
            web.get(specs, self.specs),
            web.post(specs, self.add_specs),
            web.get(f"{specs}/{{key}}", self.spec),
            web.put(f"{specs}/{{key}}", self.set_spec),
            web.delete(f"{specs}/{{key}}", self.delete_spec),
        ]

    async def index(self, request: web.Request) -> web.Response:
        """GET: the types of the visibility asked for, sorted and paged as Cinder does."""
        public = public_filter(request)
        types = [t for t in self._types.values() if public is None or t["is_public"] == public]
        return web.json_response({"group_types": [_view(t) for t in cinder_page(request, types)]})

    async def show(self, request: web.Request) -> web.Response:
        """GET one type."""
        return web.json_response({"group_type": _view(self._get(request))})

    async def default(self, request: web.Request) -> web.Response:
        """GET the default group type."""
        return web.json_response({"group_type": _view(self._types[_DEFAULT_ID])})

    async def create(self, request: web.Request) -> web.Response:
        """POST (admin): a new type, 202; 409 when the name is taken."""
        group_type = await json_member(request, "group_type")
        name = group_type.get("name")
        if not isinstance(name, str) or not name.strip():
            raise BadRequest("Group type name can not be empty.")
        if any(t["name"] == name for t in self._types.values()):
            raise Conflict(f"Group Type {name} already exists.")
        specs = specs_of(group_type, "group_specs") if "group_specs" in group_type else {}
        record = _record(
            str(uuid.uuid4()),
            name,
            group_type.get("description"),
            bool(group_type.get("is_public", True)),
            dict(specs),
        )
        self._types[record["id"]] = record
        return web.json_response({"group_type": _view(record)}, status=202)

    async def update(self, request: web.Request) -> web.Response:
        """PUT (admin): a new name, description or visibility."""
        record = self._get(request)
        group_type = await json_member(request, "group_type")
        name = group_type.get("name")
        if name is not None and any(
            t["name"] == name and t["id"] != record["id"] for t in self._types.values()
        ):
            raise Conflict(f"Group Type {name} already exists.")
        for field in ("name", "description", "is_public"):
            if field in group_type:
                record[field] = group_type[field]
        return web.json_response({"group_type": _view(record)})

    async def delete(self, request: web.Request) -> web.Response:
        """DELETE (admin): 202; the default type cannot go."""
        record = self._get(request)
        if record["id"] == _DEFAULT_ID:
            raise BadRequest("Default group type can not be deleted.")
        del self._types[record["id"]]
        return web.Response(status=202)

    async def specs(self, request: web.Request) -> web.Response:
        """GET every group spec."""
        return web.json_response({"group_specs": dict(self._get(request)["group_specs"])})

    async def add_specs(self, request: web.Request) -> web.Response:
        """POST: merge the given specs, 202."""
        record = self._get(request)
        specs = specs_of(await json_body(request), "group_specs")
        record["group_specs"].update(specs)
        return web.json_response({"group_specs": specs}, status=202)

    async def spec(self, request: web.Request) -> web.Response:
        """GET one spec."""
        record, key = self._get(request), request.match_info["key"]
        if key not in record["group_specs"]:
            raise _no_spec(record, key)
        return web.json_response({key: record["group_specs"][key]})

    async def set_spec(self, request: web.Request) -> web.Response:
        """PUT one spec; the body names exactly that key."""
        record, key = self._get(request), request.match_info["key"]
        body = await json_body(request)
        if not isinstance(body, dict) or list(body) != [key]:
            raise BadRequest("Request body and URI mismatch")
        record["group_specs"][key] = body[key]
        return web.json_response(body)

    async def delete_spec(self, request: web.Request) -> web.Response:
        """DELETE one spec: 202."""
        record, key = self._get(request), request.match_info["key"]
        if record["group_specs"].pop(key, None) is None:
            raise _no_spec(record, key)
        return web.Response(status=202)

    def _get(self, request: web.Request) -> Record:
        type_id = request.match_info["type_id"]
        record = self._types.get(type_id)
        if record is None:
            raise NotFound(f"Group type with id {type_id} could not be found.")
        return record


def _no_spec(record: Record, key: str) -> NotFound:
    return NotFound(f"Group Type {record['id']} has no specs with key {key}.")


def _record(
    type_id: str, name: str, description: object, public: bool, specs: dict[str, str]
) -> Record:
    return {
        "id": type_id,
        "name": name,
        "description": description,
        "is_public": public,
        "group_specs": specs,
        "created_at": datetime.now(UTC).isoformat(),
    }


def _view(record: Record) -> dict[str, Any]:
    return {
        "id": record["id"],
        "name": record["name"],
        "description": record["description"],
        "is_public": record["is_public"],
        "group_specs": dict(record["group_specs"]),
    }
