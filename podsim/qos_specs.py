"""Cinder QoS specs: global to the pod, associated with volume types (as Cinder, by GETs)."""

import uuid
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from podsim.cinder_shared import cinder_page
from podsim.faults import BadRequest, Fault, NotFound
from podsim.handlers import json_body, json_member
from podsim.store import Record
from podsim.volume_types import VolumeTypes

__all__ = ["QosSpecs"]

_BASE = "/volume/v3/{project_id}/qos-specs"
_CONSUMERS = ("front-end", "back-end", "both")
_TRUE_WORDS = ("1", "t", "true", "on", "y", "yes")


class Conflict(Fault):
    """The QoS specs exist already (Cinder's 409)."""

    status = 409


class QosSpecs:
    """The pod's QoS specs and their associations with its volume types."""

    def __init__(self, types: VolumeTypes) -> None:
        self._types = types
        self._specs: dict[str, Record] = {}
        # volume type id -> QoS specs id (a type has at most one)
        self._associated: dict[str, str] = {}

    def routes(self) -> list[web.RouteDef]:
        """Routes to add to the app."""
        one = f"{_BASE}/{{qos_id}}"
        return [
            web.get(_BASE, self.index),
            web.post(_BASE, self.create),
            web.get(one, self.show),
            web.put(one, self.set_keys),
            web.delete(one, self.delete),
            web.put(f"{one}/delete_keys", self.delete_keys),
            web.get(f"{one}/associations", self.associations),
            web.get(f"{one}/associate", self.associate),
            web.get(f"{one}/disassociate", self.disassociate),
            web.get(f"{one}/disassociate_all", self.disassociate_all),
        ]

    async def index(self, request: web.Request) -> web.Response:
        """GET: every QoS specs, sorted and paged as Cinder does."""
        items = cinder_page(request, list(self._specs.values()))
        return web.json_response({"qos_specs": [_view(record) for record in items]})

    async def show(self, request: web.Request) -> web.Response:
        """GET one, with its links."""
        record = self._get(request)
        return web.json_response({"qos_specs": _view(record), "links": _links(request, record)})

    async def create(self, request: web.Request) -> web.Response:
        """POST (admin): `name`, `consumer`, every other key a spec; 409 when the name is taken."""
        specs = dict(await json_member(request, "qos_specs"))
        name = specs.pop("name", None)
        if not isinstance(name, str) or not name.strip():
            raise BadRequest("Please specify a name for QoS specs.")
        consumer = specs.pop("consumer", "back-end")
        if consumer not in _CONSUMERS:
            raise BadRequest(f"Value {consumer} is not valid for consumer.")
        if any(record["name"] == name for record in self._specs.values()):
            raise Conflict(f"QoS Specs {name} already exists.")
        record = {
            "id": str(uuid.uuid4()),
            "name": name,
            "consumer": consumer,
            "specs": {key: str(value) for key, value in specs.items()},
            "created_at": datetime.now(UTC).isoformat(),
        }
        self._specs[record["id"]] = record
        return web.json_response({"qos_specs": _view(record), "links": _links(request, record)})

    async def set_keys(self, request: web.Request) -> web.Response:
        """PUT: set or change keys; the answer echoes them."""
        record = self._get(request)
        specs = await json_member(request, "qos_specs")
        record["specs"].update({key: str(value) for key, value in specs.items()})
        return web.json_response({"qos_specs": specs})

    async def delete_keys(self, request: web.Request) -> web.Response:
        """PUT `{"keys": [...]}`: 202; 404 for a key it does not have."""
        record = self._get(request)
        body = await json_body(request)
        keys = body.get("keys") if isinstance(body, dict) else None
        if not isinstance(keys, list):
            raise BadRequest("Missing required element 'keys' in request body.")
        for key in keys:
            if key not in record["specs"]:
                raise NotFound(f"QoS spec {key} cannot be found.")
        for key in keys:
            del record["specs"][key]
        return web.Response(status=202)

    async def delete(self, request: web.Request) -> web.Response:
        """DELETE: 202; 400 while associated unless `force`."""
        record = self._get(request)
        force = request.query.get("force", "false").lower() in _TRUE_WORDS
        in_use = [t for t, q in self._associated.items() if q == record["id"]]
        if in_use and not force:
            raise BadRequest(f"QoS Specs {record['id']} is still associated with entities.")
        for type_id in in_use:
            del self._associated[type_id]
        del self._specs[record["id"]]
        return web.Response(status=202)

    async def associations(self, request: web.Request) -> web.Response:
        """GET the volume types associated with it."""
        record = self._get(request)
        found = []
        for type_id, qos_id in self._associated.items():
            volume_type = self._types.find(type_id)
            if qos_id == record["id"] and volume_type is not None:
                found.append(
                    {"association_type": "volume_type", "name": volume_type["name"], "id": type_id}
                )
        return web.json_response({"qos_associations": found})

    async def associate(self, request: web.Request) -> web.Response:
        """GET `?vol_type_id=`: 202; 400 when the type has other QoS specs."""
        record, type_id = self._get(request), self._type_id(request)
        current = self._associated.get(type_id)
        if current is not None and current != record["id"]:
            raise BadRequest(
                f"Type {type_id} is already associated with another qos specs: {current}"
            )
        self._associated[type_id] = record["id"]
        return web.Response(status=202)

    async def disassociate(self, request: web.Request) -> web.Response:
        """GET `?vol_type_id=`: 202."""
        record, type_id = self._get(request), self._type_id(request)
        if self._associated.get(type_id) == record["id"]:
            del self._associated[type_id]
        return web.Response(status=202)

    async def disassociate_all(self, request: web.Request) -> web.Response:
        """GET: 202, no type keeps it."""
        record = self._get(request)
        for type_id in [t for t, q in self._associated.items() if q == record["id"]]:
            del self._associated[type_id]
        return web.Response(status=202)

    def _type_id(self, request: web.Request) -> str:
        type_id = request.query.get("vol_type_id")
        if not type_id:
            raise BadRequest("Volume Type id must not be None.")
        volume_type = self._types.find(type_id)
        if volume_type is None or volume_type["id"] != type_id:
            raise NotFound(f"Volume type {type_id} could not be found.")
        return type_id

    def _get(self, request: web.Request) -> Record:
        qos_id = request.match_info["qos_id"]
        record = self._specs.get(qos_id)
        if record is None:
            raise NotFound(f"No such QoS spec {qos_id}.")
        return record


def _view(record: Record) -> dict[str, Any]:
    return {
        "id": record["id"],
        "name": record["name"],
        "consumer": record["consumer"],
        "specs": dict(record["specs"]),
    }


def _links(request: web.Request, record: Record) -> list[dict[str, str]]:
    origin, project_id = f"{request.scheme}://{request.host}", request.match_info["project_id"]
    return [
        {"rel": "self", "href": f"{origin}/volume/v3/{project_id}/qos-specs/{record['id']}"},
        {"rel": "bookmark", "href": f"{origin}/volume/{project_id}/qos-specs/{record['id']}"},
    ]
