"""What lives under one Nova server: actions, metadata, tags, addresses, interfaces, actions log.

Only the effects a client can see afterwards are simulated (a stopped server shows SHUTOFF, a
lock shows `locked`), and every call is logged as an instance action like Nova does.
"""

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from podsim.faults import BadRequest, Fault, NotFound
from podsim.handlers import ANONYMOUS_USER, json_body, meta_value
from podsim.network.model import NetState
from podsim.server_ports import interfaces
from podsim.servers import not_found
from podsim.store import Record, Store

_BASE = "/compute/v2.1/{project_id}/servers/{server_id}"


class Conflict(Fault):
    """The server's state forbids the action (Nova's 409)."""

    status = 409


# action -> (the vm_state it needs, the vm_state, status and power state it leaves)
_TRANSITIONS = {
    "os-stop": ("stop", "active", ("stopped", "SHUTOFF", 4)),
    "os-start": ("start", "stopped", ("active", "ACTIVE", 1)),
    "pause": ("pause", "active", ("paused", "PAUSED", 3)),
    "unpause": ("unpause", "paused", ("active", "ACTIVE", 1)),
    "suspend": ("suspend", "active", ("suspended", "SUSPENDED", 7)),
    "resume": ("resume", "suspended", ("active", "ACTIVE", 1)),
    "reboot": ("reboot", "active", ("active", "ACTIVE", 1)),
}
_LOCKS = {"lock": True, "unlock": False}


class ServerParts:
    """Handlers for `servers/{id}/...` over the pod's server records."""

    def __init__(self, servers: Store, network: NetState) -> None:
        self._servers = servers
        self._network = network

    def routes(self) -> list[web.RouteDef]:
        """Routes to add to the app."""
        return [
            web.post(f"{_BASE}/action", self.action),
            web.get(f"{_BASE}/metadata", self.metadata),
            web.post(f"{_BASE}/metadata", self.merge_metadata),
            web.put(f"{_BASE}/metadata", self.replace_metadata),
            web.get(f"{_BASE}/metadata/{{key}}", self.metadata_item),
            web.put(f"{_BASE}/metadata/{{key}}", self.set_metadata_item),
            web.delete(f"{_BASE}/metadata/{{key}}", self.delete_metadata_item),
            web.get(f"{_BASE}/tags", self.tags),
            web.put(f"{_BASE}/tags", self.replace_tags),
            web.delete(f"{_BASE}/tags", self.delete_tags),
            web.get(f"{_BASE}/tags/{{tag}}", self.tag),
            web.put(f"{_BASE}/tags/{{tag}}", self.add_tag),
            web.delete(f"{_BASE}/tags/{{tag}}", self.delete_tag),
            web.get(f"{_BASE}/ips", self.ips),
            web.get(f"{_BASE}/ips/{{network}}", self.ips_of_network),
            web.get(f"{_BASE}/os-interface", self.interfaces),
            web.get(f"{_BASE}/os-instance-actions", self.instance_actions),
            web.get(f"{_BASE}/os-instance-actions/{{request_id}}", self.instance_action),
        ]

    async def action(self, request: web.Request) -> web.Response:
        """POST action: one of the state changes or locks; anything else is unknown to Nova."""
        server = self._server(request)
        body = await json_body(request)
        if not isinstance(body, dict) or len(body) != 1:
            raise BadRequest("Malformed request body")
        (name,) = body
        if name in _LOCKS:
            server["locked"] = _LOCKS[name]
            # 2.73: a reason may come with the lock; an unlock drops it.
            reason = body[name].get("locked_reason") if isinstance(body[name], dict) else None
            server["locked_reason"] = reason if _LOCKS[name] else None
            record_action(request, server, name)
            return web.Response(status=202)
        if name not in _TRANSITIONS:
            raise BadRequest(f"There is no such action: {name}")
        verb, needed, (vm_state, status, power_state) = _TRANSITIONS[name]
        if server["vm_state"] != needed:
            raise Conflict(
                f"Cannot '{verb}' instance {server['uuid']} while it is in vm_state "
                f"{server['vm_state']}"
            )
        server.update(vm_state=vm_state, status=status, power_state=power_state)
        server["updated_at"] = datetime.now(UTC)
        record_action(request, server, verb)
        return web.Response(status=202)

    async def metadata(self, request: web.Request) -> web.Response:
        return web.json_response({"metadata": self._server(request)["metadata"]})

    async def merge_metadata(self, request: web.Request) -> web.Response:
        server = self._server(request)
        server["metadata"].update(await _metadata_body(request))
        return web.json_response({"metadata": server["metadata"]})

    async def replace_metadata(self, request: web.Request) -> web.Response:
        server = self._server(request)
        server["metadata"] = await _metadata_body(request)
        return web.json_response({"metadata": server["metadata"]})

    async def metadata_item(self, request: web.Request) -> web.Response:
        server, key = self._server(request), request.match_info["key"]
        if key not in server["metadata"]:
            raise NotFound("Metadata item was not found")
        return web.json_response({"meta": {key: server["metadata"][key]}})

    async def set_metadata_item(self, request: web.Request) -> web.Response:
        server, key = self._server(request), request.match_info["key"]
        value = await meta_value(request, key)
        server["metadata"][key] = value
        return web.json_response({"meta": {key: value}})

    async def delete_metadata_item(self, request: web.Request) -> web.Response:
        server, key = self._server(request), request.match_info["key"]
        if server["metadata"].pop(key, None) is None:
            raise NotFound("Metadata item was not found")
        return web.Response(status=204)

    async def tags(self, request: web.Request) -> web.Response:
        return web.json_response({"tags": self._server(request)["tags"]})

    async def replace_tags(self, request: web.Request) -> web.Response:
        server = self._server(request)
        body = await json_body(request)
        tags = body.get("tags") if isinstance(body, dict) else None
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            raise BadRequest("Invalid input for field/attribute tags.")
        server["tags"] = sorted(set(tags))
        return web.json_response({"tags": server["tags"]})

    async def delete_tags(self, request: web.Request) -> web.Response:
        self._server(request)["tags"] = []
        return web.Response(status=204)

    async def tag(self, request: web.Request) -> web.Response:
        server, tag = self._server(request), request.match_info["tag"]
        if tag not in server["tags"]:
            raise NotFound(f"Tag {tag} could not be found.")
        return web.Response(status=204)

    async def add_tag(self, request: web.Request) -> web.Response:
        server, tag = self._server(request), request.match_info["tag"]
        if tag in server["tags"]:
            return web.Response(status=204)
        server["tags"] = sorted({*server["tags"], tag})
        return web.Response(status=201, headers={"Location": str(request.url)})

    async def delete_tag(self, request: web.Request) -> web.Response:
        server, tag = self._server(request), request.match_info["tag"]
        if tag not in server["tags"]:
            raise NotFound(f"Tag {tag} could not be found.")
        server["tags"] = [kept for kept in server["tags"] if kept != tag]
        return web.Response(status=204)

    async def ips(self, request: web.Request) -> web.Response:
        """The server's addresses by network, each with its version only (Nova's `ips` view)."""
        return web.json_response({"addresses": _ips(self._server(request))})

    async def ips_of_network(self, request: web.Request) -> web.Response:
        name = request.match_info["network"]
        shown = _ips(self._server(request))
        if name not in shown:
            raise NotFound("Instance is not a member of specified network")
        return web.json_response({name: shown[name]})

    async def interfaces(self, request: web.Request) -> web.Response:
        server = self._server(request)
        return web.json_response(
            {"interfaceAttachments": interfaces(self._network, server["uuid"])}
        )

    async def instance_actions(self, request: web.Request) -> web.Response:
        """The server's actions, newest first."""
        actions = self._server(request)["actions"]
        return web.json_response({"instanceActions": list(reversed(actions))})

    async def instance_action(self, request: web.Request) -> web.Response:
        server, request_id = self._server(request), request.match_info["request_id"]
        for action in server["actions"]:
            if action["request_id"] == request_id:
                return web.json_response({"instanceAction": {**action, "events": []}})
        raise NotFound(f"Action for request_id {request_id} on instance {server['uuid']} not found")

    def _server(self, request: web.Request) -> Record:
        server_id = request.match_info["server_id"]
        server = self._servers.get(request.match_info["project_id"], server_id)
        if server is None:
            raise not_found(server_id)
        return server


def record_action(request: web.Request, server: Record, name: str) -> None:
    """Log an instance action under the request's id, as Nova's os-instance-actions shows it."""
    server["actions"].append(
        {
            "action": name,
            "instance_uuid": server["uuid"],
            "request_id": request.get("request_id", ""),
            "user_id": request.headers.get("X-User-Id", ANONYMOUS_USER),
            "project_id": server["project_id"],
            "start_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "message": None,
        }
    )


async def _metadata_body(request: web.Request) -> dict[str, Any]:
    body = await json_body(request)
    metadata = body.get("metadata") if isinstance(body, dict) else None
    if not isinstance(metadata, dict):
        raise BadRequest("Malformed request body: 'metadata' must be an object")
    return dict(metadata)


def _ips(server: Record) -> dict[str, list[dict[str, Any]]]:
    return {
        name: [{"version": ip["version"], "addr": ip["addr"]} for ip in ips]
        for name, ips in server.get("addresses", {}).items()
    }
