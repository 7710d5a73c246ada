"""Nova's host aggregates in one pod: made, shown, renamed, deleted, given hosts and metadata.

The pod's one compute host (Inventory's) is the only host an aggregate may hold. Shapes and
errors as Nova's (404 for an unknown aggregate or host, 409 for a name taken or a host
already a member).
"""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from podsim.faults import BadRequest, Fault, NotFound
from podsim.inventory import Inventory, version_of

# Aggregates show their UUID from 2.41.
_AGGREGATE_UUID_SINCE = (2, 41)


class Conflict(Fault):
    """The request conflicts with the state of the object."""

    status = 409


class Aggregates:
    """`/compute/v2.1/{project}/os-aggregates[/{id}[/action]]`."""

    def __init__(self, inventory: Inventory) -> None:
        self._inventory = inventory
        self._aggregates: dict[int, dict[str, Any]] = {}
        self._next_aggregate = 1

    def routes(self) -> list[web.RouteDef]:
        """Routes to add to the app."""
        at = "/compute/v2.1/{project_id}/os-aggregates"
        aggregate = f"{at}/{{aggregate_id}}"
        return [
            web.get(at, self.aggregates),
            web.post(at, self.create_aggregate),
            web.get(aggregate, self.show_aggregate),
            web.put(aggregate, self.update_aggregate),
            web.delete(aggregate, self.delete_aggregate),
            web.post(f"{aggregate}/action", self.aggregate_action),
        ]

    async def aggregates(self, request: web.Request) -> web.Response:
        """GET every aggregate."""
        shown = [self._aggregate(request, record) for record in self._aggregates.values()]
        return web.json_response({"aggregates": shown})

    async def create_aggregate(self, request: web.Request) -> web.Response:
        """POST a new aggregate (a name, maybe a zone)."""
        new = (await _json(request)).get("aggregate")
        if not isinstance(new, dict) or not isinstance(new.get("name"), str):
            raise BadRequest("Invalid input for field/attribute aggregate.")
        if any(record["name"] == new["name"] for record in self._aggregates.values()):
            raise Conflict(f"Aggregate {new['name']} already exists.")
        number = self._next_aggregate
        self._next_aggregate += 1
        zone = new.get("availability_zone")
        self._aggregates[number] = {
            "id": number, "uuid": str(uuid.uuid4()), "name": new["name"],
            "availability_zone": zone, "hosts": [],
            "metadata": {"availability_zone": zone} if zone else {},
            "created_at": _now(), "updated_at": None, "deleted_at": None, "deleted": False,
        }  # fmt: skip
        shown = self._aggregate(request, self._aggregates[number])
        del shown["hosts"], shown["metadata"]
        return web.json_response({"aggregate": shown})

    async def show_aggregate(self, request: web.Request) -> web.Response:
        """GET one aggregate."""
        return web.json_response({"aggregate": self._aggregate(request, self._named(request))})

    async def update_aggregate(self, request: web.Request) -> web.Response:
        """PUT an aggregate's name or zone."""
        record = self._named(request)
        change = (await _json(request)).get("aggregate") or {}
        for key in ("name", "availability_zone"):
            if key in change:
                record[key] = change[key]
        if change.get("availability_zone"):
            record["metadata"]["availability_zone"] = change["availability_zone"]
        record["updated_at"] = _now()
        return web.json_response({"aggregate": self._aggregate(request, record)})

    async def delete_aggregate(self, request: web.Request) -> web.Response:
        """DELETE an aggregate without hosts."""
        record = self._named(request)
        if record["hosts"]:
            raise BadRequest(f"Cannot remove aggregate {record['id']}: it still has hosts.")
        del self._aggregates[record["id"]]
        return web.Response(status=200)

    async def aggregate_action(self, request: web.Request) -> web.Response:
        """POST add_host, remove_host or set_metadata."""
        record = self._named(request)
        body = await _json(request)
        if "set_metadata" in body:
            for key, value in (body["set_metadata"].get("metadata") or {}).items():
                if value is None:
                    record["metadata"].pop(key, None)
                else:
                    record["metadata"][key] = value
        elif "add_host" in body or "remove_host" in body:
            adding = "add_host" in body
            host = (body.get("add_host") or body.get("remove_host") or {}).get("host")
            if host != self._inventory.host:
                raise NotFound(f"Compute host {host} could not be found.")
            if adding == (host in record["hosts"]):
                raise Conflict(f"Host {host} is {'already' if adding else 'not'} a member.")
            if adding:
                record["hosts"].append(host)
            else:
                record["hosts"].remove(host)
        else:
            raise BadRequest("Invalid action.")
        record["updated_at"] = _now()
        return web.json_response({"aggregate": self._aggregate(request, record)})

    def _named(self, request: web.Request) -> dict[str, Any]:
        wanted = request.match_info["aggregate_id"]
        record = self._aggregates.get(int(wanted)) if wanted.isdigit() else None
        if record is None:
            raise NotFound(f"Aggregate {wanted} could not be found.")
        return record

    def _aggregate(self, request: web.Request, record: dict[str, Any]) -> dict[str, Any]:
        shown = {**record, "hosts": list(record["hosts"]), "metadata": dict(record["metadata"])}
        if version_of(request) < _AGGREGATE_UUID_SINCE:
            del shown["uuid"]
        return shown


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError as exc:
        raise BadRequest("Malformed request body") from exc
    if not isinstance(body, dict):
        raise BadRequest("Malformed request body")
    return body


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
