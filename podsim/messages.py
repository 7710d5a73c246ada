"""Cinder's user messages: what the pod tells a project about its failed asynchronous requests.

A real Cinder writes them when, say, no backend can hold a volume; podsim has no such failures,
so with `--test-hooks` a test seeds them (`POST /volume/v3/{project}/podsim-messages`, body
`{"message": {"user_message", "resource_type", "resource_uuid"}}`, answered 201 with the view).
"""

import uuid
from datetime import timedelta
from typing import Any

from aiohttp import web

from podsim.cinder_lists import cinder_links, listed
from podsim.clock import Clock
from podsim.config import PodConfig
from podsim.faults import Fault, NotFound
from podsim.handlers import json_body
from podsim.kind import Record
from podsim.links import Links
from podsim.store import Store
from podsim.volumes import cinder_time

__all__ = ["Messages"]

_BASE = "/volume/v3/{project_id}/messages"
_SORT_KEYS = frozenset({"id", "event_id", "message_level", "created_at", "resource_uuid"})
_FILTERS = {"event_id": "event_id", "resource_uuid": "resource_uuid"}
# How long Cinder keeps a message ([DEFAULT] message_ttl).
_TTL = timedelta(days=30)


def not_found(message_id: str) -> Fault:
    """Cinder's MessageNotFound."""
    return NotFound(f"Message {message_id} could not be found.")


class Messages:
    """List, show and delete the project's messages."""

    def __init__(self, config: PodConfig, clock: Clock) -> None:
        self._config = config
        self._messages = Store()
        self._clock = clock

    def routes(self) -> list[web.RouteDef]:
        """Routes to add to the app (the seeding one only with test hooks)."""
        routes = [
            web.get(_BASE, self.index),
            web.get(f"{_BASE}/{{message_id}}", self.show),
            web.delete(f"{_BASE}/{{message_id}}", self.delete),
        ]
        if self._config.test_hooks:
            routes.append(web.post("/volume/v3/{project_id}/podsim-messages", self.seed))
        return routes

    async def index(self, request: web.Request) -> web.Response:
        """Every message of the project, full views, paged."""
        project_id = request.match_info["project_id"]
        links = cinder_links(request, project_id, "messages")
        return listed(
            request,
            self._messages.records(project_id),
            path="messages",
            items_key="messages",
            view=lambda record: _view(record, links),
            sort_keys=_SORT_KEYS,
            filters=_FILTERS,
            not_found=not_found,
            links=links,
        )

    async def show(self, request: web.Request) -> web.Response:
        """One message."""
        project_id = request.match_info["project_id"]
        record = self._own(project_id, request.match_info["message_id"])
        links = cinder_links(request, project_id, "messages")
        return web.json_response({"message": _view(record, links)})

    async def delete(self, request: web.Request) -> web.Response:
        """Forget it (204, as Cinder)."""
        project_id = request.match_info["project_id"]
        record = self._own(project_id, request.match_info["message_id"])
        self._messages.remove(project_id, record["id"])
        return web.Response(status=204)

    async def seed(self, request: web.Request) -> web.Response:
        """A test's message for the project."""
        project_id = request.match_info["project_id"]
        body = await json_body(request)
        given = body.get("message", {}) if isinstance(body, dict) else {}
        at = self._clock.tick()
        record = {
            "id": str(uuid.uuid4()),
            "event_id": "VOLUME_VOLUME_001_002",
            "user_message": given.get(
                "user_message",
                "schedule allocate volume: Could not find any available weighted backend.",
            ),
            "message_level": "ERROR",
            "resource_type": given.get("resource_type", "VOLUME"),
            "resource_uuid": given.get("resource_uuid"),
            "request_id": request.get("request_id", ""),
            "created_at": at,
            "expires_at": at + _TTL,
        }
        self._messages.add(project_id, record["id"], record)
        links = cinder_links(request, project_id, "messages")
        return web.json_response({"message": _view(record, links)}, status=201)

    def _own(self, project_id: str, message_id: str) -> Record:
        record = self._messages.get(project_id, message_id)
        if record is None:
            raise not_found(message_id)
        return record


def _view(record: Record, links: Links) -> dict[str, Any]:
    """cinder/api/v3/views/messages.py detail(): resource fields only when set."""
    view = {
        "id": record["id"],
        "event_id": record["event_id"],
        "user_message": record["user_message"],
        "message_level": record["message_level"],
        "created_at": cinder_time(record["created_at"]),
        "guaranteed_until": cinder_time(record["expires_at"]),
        "request_id": record["request_id"],
        "links": links.member(record["id"]),
    }
    for field in ("resource_type", "resource_uuid"):
        if record[field]:
            view[field] = record[field]
    return view
