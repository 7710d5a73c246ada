"""Nova's `os-server-external-events`: each event for a server of this pod is accepted.

The rules of nova/api/openstack/compute/server_external_events.py: an unknown server fails its
event with 404, a `volume-extended` event without a tag fails with 400; the answer is 200 when
every event was accepted, 207 when some were not, and a 404 fault when none was.
"""

from aiohttp import web

from podsim.faults import BadRequest, NotFound
from podsim.handlers import json_body
from podsim.store import Store

_PATH = "/compute/v2.1/{project_id}/os-server-external-events"


class ExternalEvents:
    """The events handler; admin-only in Nova, so servers of every project are found."""

    def __init__(self, servers: Store) -> None:
        self._servers = servers

    def routes(self) -> list[web.RouteDef]:
        """Routes to add to the app."""
        return [web.post(_PATH, self.create)]

    async def create(self, request: web.Request) -> web.Response:
        """POST: accept what can be delivered, say per event what happened."""
        body = await json_body(request)
        events = body.get("events") if isinstance(body, dict) else None
        if not isinstance(events, list) or not events:
            raise BadRequest("Invalid input for field/attribute events.")
        answered = []
        status = 200
        for event in events:
            if not isinstance(event, dict) or not {"name", "server_uuid"} <= event.keys():
                raise BadRequest("Invalid input for field/attribute events.")
            result = {**event, "status": "completed", "code": 200}
            if self._servers.find(event["server_uuid"]) is None:
                result.update(status="failed", code=404)
            elif event["name"] == "volume-extended" and event.get("tag") is None:
                result.update(status="failed", code=400)
            if result["code"] != 200:
                status = 207
            answered.append(result)
        if all(result["code"] != 200 for result in answered):
            raise NotFound("No instances found for any event")
        return web.json_response({"events": answered}, status=status)
