"""Cinder's volume transfers: `os-volume-transfer` (any version) and `volume-transfers` (3.55+).

A transfer offers one of the project's available volumes (then `awaiting-transfer`) to whoever
holds its auth key; accepting it, from any project, makes the volume that project's, and its
snapshots too unless the transfer said `no_snapshots`.
"""

import secrets
import uuid
from typing import Any

from aiohttp import web

from podsim.cinder_lists import cinder_links, listed, volume_version
from podsim.clock import Clock
from podsim.faults import BadRequest, Fault, NotFound
from podsim.handlers import json_body
from podsim.kind import Record
from podsim.links import Links
from podsim.store import Store
from podsim.volumes import cinder_time
from podsim.volumes import not_found as volume_not_found

__all__ = ["Transfers"]

_OLD, _NEW = "os-volume-transfer", "volume-transfers"
_SORT_KEYS = frozenset({"id", "display_name", "volume_id", "created_at", "updated_at"})
_FILTERS = {"name": "display_name", "volume_id": "volume_id"}
_WITH_SNAPSHOTS, _WITH_HISTORY = (3, 55), (3, 57)


def not_found(transfer_id: str) -> Fault:
    """Cinder's TransferNotFound."""
    return NotFound(f"Transfer {transfer_id} could not be found.")


class Transfers:
    """Handlers of both transfer collections over the pod's volumes."""

    def __init__(self, volumes: Store, snapshots: Store, clock: Clock) -> None:
        self._volumes = volumes
        self._snapshots = snapshots
        self._transfers = Store()
        self._clock = clock

    def routes(self) -> list[web.RouteDef]:
        """The same handlers below both collections."""
        routes = []
        for collection in (_OLD, _NEW):
            base = f"/volume/v3/{{project_id}}/{collection}"
            routes += [
                web.post(base, self.create),
                web.get(base, self.index),
                web.get(f"{base}/detail", self.detail),
                web.get(f"{base}/{{transfer_id}}", self.show),
                web.delete(f"{base}/{{transfer_id}}", self.delete),
                web.post(f"{base}/{{transfer_id}}/accept", self.accept),
            ]
        return routes

    async def create(self, request: web.Request) -> web.Response:
        """Offer a volume: 202 with the transfer and its auth key (shown only here)."""
        project_id = request.match_info["project_id"]
        body = await json_body(request)
        transfer = body.get("transfer") if isinstance(body, dict) else None
        if not isinstance(transfer, dict) or not isinstance(transfer.get("volume_id"), str):
            raise BadRequest(
                "Invalid input for field/attribute transfer. 'volume_id' is a required property"
            )
        volume = self._volumes.get(project_id, transfer["volume_id"])
        if volume is None:
            raise volume_not_found(transfer["volume_id"])
        if volume["status"] != "available":
            raise BadRequest(f"Invalid volume: status must be available, not {volume['status']}")
        at = self._clock.tick()
        record = {
            "id": str(uuid.uuid4()),
            "display_name": transfer.get("name"),
            "volume_id": volume["id"],
            "project_id": project_id,
            "auth_key": secrets.token_hex(8),
            "no_snapshots": bool(transfer.get("no_snapshots", False)),
            "created_at": at,
            "updated_at": at,
        }
        volume["status"] = "awaiting-transfer"
        self._transfers.add(project_id, record["id"], record)
        view = self._detail(request, record, _links(request))
        return web.json_response({"transfer": {**view, "auth_key": record["auth_key"]}}, status=202)

    async def show(self, request: web.Request) -> web.Response:
        """One of the project's transfers."""
        record = self._own(request)
        return web.json_response({"transfer": self._detail(request, record, _links(request))})

    async def delete(self, request: web.Request) -> web.Response:
        """Withdraw the offer: the volume is available again."""
        record = self._own(request)
        self._transfers.remove(record["project_id"], record["id"])
        volume = self._volumes.get(record["project_id"], record["volume_id"])
        if volume is not None:
            volume["status"] = "available"
        return web.Response(status=202)

    async def accept(self, request: web.Request) -> web.Response:
        """Any project holding the auth key takes the volume."""
        transfer_id = request.match_info["transfer_id"]
        record = self._transfers.find(transfer_id)
        if record is None:
            raise not_found(transfer_id)
        body = await json_body(request)
        accept = body.get("accept") if isinstance(body, dict) else None
        if not isinstance(accept, dict) or accept.get("auth_key") != record["auth_key"]:
            raise BadRequest(
                f"Invalid auth key: Attempt to transfer {transfer_id} with invalid auth key."
            )
        source, destination = record["project_id"], request.match_info["project_id"]
        volume = self._volumes.get(source, record["volume_id"])
        if volume is None:
            raise volume_not_found(record["volume_id"])
        self._transfers.remove(source, transfer_id)
        self._volumes.remove(source, volume["id"])
        volume.update(project_id=destination, status="available")
        self._volumes.add(destination, volume["id"], volume)
        moved = [] if record["no_snapshots"] else self._snapshots.records(source)
        for snapshot in moved:
            if snapshot["volume_id"] == volume["id"]:
                self._snapshots.remove(source, snapshot["id"])
                snapshot["project_id"] = destination
                self._snapshots.add(destination, snapshot["id"], snapshot)
        summary = _summary(record, _links(request))
        return web.json_response({"transfer": summary}, status=202)

    async def index(self, request: web.Request) -> web.Response:
        """`GET <collection>`: id, volume, name and links."""
        links = _links(request)
        return self._list(request, lambda record: _summary(record, links), detail=False)

    async def detail(self, request: web.Request) -> web.Response:
        """`GET <collection>/detail`: the detail view."""
        links = _links(request)
        return self._list(request, lambda record: self._detail(request, record, links), True)

    def _list(self, request: web.Request, view: Any, detail: bool) -> web.Response:
        collection = _collection(request)
        # Cinder takes every query parameter for a filter on the transfers' columns, `limit`
        # and `marker` too: asked with them, it lists nothing.
        asked = [(key, value) for key, value in request.query.items() if key != "all_tenants"]
        records = [
            record
            for record in self._transfers.records(request.match_info["project_id"])
            if all(str(record.get(key)) == value for key, value in asked)
        ]
        return listed(
            request,
            records,
            path=f"{collection}/detail" if detail else collection,
            items_key="transfers",
            view=view,
            sort_keys=_SORT_KEYS,
            filters=_FILTERS,
            not_found=not_found,
            links=_links(request),
        )

    def _own(self, request: web.Request) -> Record:
        transfer_id = request.match_info["transfer_id"]
        record = self._transfers.get(request.match_info["project_id"], transfer_id)
        if record is None:
            raise not_found(transfer_id)
        return record

    def _detail(self, request: web.Request, record: Record, links: Links) -> dict[str, Any]:
        """cinder/api/views/transfers.py detail(), by microversion."""
        view = {
            "id": record["id"],
            "created_at": cinder_time(record["created_at"]),
            "name": record["display_name"],
            "volume_id": record["volume_id"],
            "links": links.member(record["id"]),
        }
        version = volume_version(request)
        if version >= _WITH_SNAPSHOTS:
            view["no_snapshots"] = record["no_snapshots"]
        if version >= _WITH_HISTORY:
            view.update(
                destination_project_id=None, source_project_id=record["project_id"], accepted=False
            )
        return view


def _summary(record: Record, links: Links) -> dict[str, Any]:
    return {
        "id": record["id"],
        "volume_id": record["volume_id"],
        "name": record["display_name"],
        "links": links.member(record["id"]),
    }


def _collection(request: web.Request) -> str:
    return _NEW if f"/{_NEW}" in request.path else _OLD


def _links(request: web.Request) -> Links:
    # Cinder's transfer links always name `os-volume-transfer` (its view's collection name).
    return cinder_links(request, request.match_info["project_id"], _OLD)
